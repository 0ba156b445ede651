//! The reads' cache (`src/http/cache.rs`) on both backends: a page or a convention kept by an
//! instance shows every committed change at the next read, whatever made it (an action, a
//! recruitment that changes the posts filled without a new version, SQL by hand, another
//! instance), and is never shown to a caller of another scope.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{admin, app_on, convention, get, post, prefecture_93, recrue, structures};
use common::{App, TestApp, TestDb, count, token};
use diesel::RunQueryDsl;
use serde_json::{Value, json};

const PAGE: &str = "/api/v1/conventions?departement=93&limit=50";

/// The page's conventions: (id, intitulé, statut, posts filled).
async fn page(app: &TestApp<impl App>, who: &str) -> Vec<(String, String, String, i64)> {
    let answer = get(app, PAGE, who).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item: &Value| {
            (
                item["id"].as_str().unwrap().to_owned(),
                item["intitule"].as_str().unwrap().to_owned(),
                item["statut"].as_str().unwrap().to_owned(),
                item["postes_pourvus"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// One convention as read by id: (intitulé, statut, posts filled, ETag).
async fn one(app: &TestApp<impl App>, id: &str) -> (String, String, i64, String) {
    let answer = get(app, &format!("/api/v1/conventions/{id}"), &prefecture_93()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    (
        answer.json["intitule"].as_str().unwrap().to_owned(),
        answer.json["statut"].as_str().unwrap().to_owned(),
        answer.json["postes_pourvus"].as_i64().unwrap(),
        answer.header("etag").to_owned(),
    )
}

fn generation(db: &TestDb) -> i64 {
    count(
        db,
        "SELECT valeur AS n FROM generations WHERE ressource = 'conventions'",
    )
}

async fn what_is_kept_shows_every_change_at_the_next_read(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let id = convention(&app, &ids, (1, 1), true).await;
    let first = page(&app, &prefecture_93()).await;
    assert_eq!(first.len(), 1);
    assert_eq!(page(&app, &prefecture_93()).await, first, "read twice");
    assert_eq!(one(&app, &id).await, one(&app, &id).await, "read twice");
    let kept = generation(&db);

    // An action through the API (a new version).
    let etag = get(&app, &format!("/api/v1/conventions/{id}"), &admin())
        .await
        .header("etag")
        .to_owned();
    let patched = app
        .as_(prefecture_93())
        .if_match(&etag)
        .patch(
            &format!("/api/v1/conventions/{id}"),
            json!({"intitule": "CnFS 93 — renommée"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert!(generation(&db) > kept, "the change counted");
    assert_eq!(
        page(&app, &prefecture_93()).await[0].1,
        "CnFS 93 — renommée"
    );

    // A recruitment fills a post: the convention's version stays, its page changes.
    let version = patched.json["version"].as_i64().unwrap();
    let employer = token(Role::Structure, &[], Some(&ids[0]));
    let recruited = post(
        &app,
        "/api/v1/conseillers",
        &employer,
        recrue(&id, &ids[0], 1),
    )
    .await;
    assert_eq!(recruited.status, 201, "{}", recruited.text);
    let shown = get(&app, &format!("/api/v1/conventions/{id}"), &admin()).await;
    assert_eq!(shown.json["version"].as_i64().unwrap(), version);
    assert_eq!(page(&app, &prefecture_93()).await[0].3, 1, "posts filled");
    assert_eq!(one(&app, &id).await.2, 1, "posts filled");

    // SQL by hand, outside the application.
    let before = generation(&db);
    let repair = format!("UPDATE conventions SET intitule = 'Réparée à la main' WHERE id = '{id}'");
    let mut conn = db.conn();
    cnfs_api::db_run!(&mut conn, |c| diesel::sql_query(&repair).execute(c)).unwrap();
    assert!(generation(&db) > before, "the trigger counted it");
    assert_eq!(page(&app, &prefecture_93()).await[0].1, "Réparée à la main");
    assert_eq!(one(&app, &id).await.0, "Réparée à la main");

    // A second convention, created then resiliated.
    let created = post(
        &app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "Deuxième", "signataires": [ids[2]], "postes_attribues": 3}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let second = created.json["id"].as_str().unwrap().to_owned();
    let listed = page(&app, &prefecture_93()).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].0, second, "newest first");
    let ended = post(
        &app,
        &format!("/api/v1/conventions/{second}/resiliation"),
        &prefecture_93(),
        json!({"motif": "Erreur de saisie"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(page(&app, &prefecture_93()).await[0].2, "resiliee");
    assert_eq!(one(&app, &second).await.1, "resiliee");
}

async fn another_instance_sees_the_change_at_once(db: TestDb) {
    let writer = app_on(&db).await;
    let reader = app_on(&db).await; // its own state: its own cache
    let ids = structures(&writer).await;
    let id = convention(&writer, &ids, (1, 1), false).await;
    let kept = page(&reader, &prefecture_93()).await;
    assert_eq!(kept[0].2, "projet_depose");
    assert_eq!(one(&reader, &id).await.1, "projet_depose");
    let validated = post(
        &writer,
        &format!("/api/v1/conventions/{id}/validation"),
        &prefecture_93(),
        json!({"date_validation": "2021-03-15"}),
    )
    .await;
    assert_eq!(validated.status, 200, "{}", validated.text);
    assert_eq!(page(&reader, &prefecture_93()).await[0].2, "en_execution");
    assert_eq!(one(&reader, &id).await.1, "en_execution");
}

async fn what_is_kept_is_never_shown_to_another_scope(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let id = convention(&app, &ids, (1, 1), true).await;
    let all = "/api/v1/conventions?limit=50";
    let seen = |answer: common::Answer| answer.json["items"].as_array().unwrap().len();
    assert_eq!(seen(get(&app, all, &prefecture_93()).await), 1);
    assert_eq!(seen(get(&app, all, &admin()).await), 1);
    let paris = token(Role::Prefecture, &["75"], None);
    assert_eq!(seen(get(&app, all, &paris).await), 0, "another département");
    let bobigny = token(Role::Structure, &[], Some(&ids[2]));
    assert_eq!(
        seen(get(&app, all, &bobigny).await),
        0,
        "neither signs nor hosts"
    );
    let host = token(Role::Structure, &[], Some(&ids[0]));
    assert_eq!(seen(get(&app, all, &host).await), 1, "a signatory");

    // The convention kept by id: access is decided at every read.
    let by_id = format!("/api/v1/conventions/{id}");
    assert_eq!(get(&app, &by_id, &admin()).await.status, 200);
    assert_eq!(
        get(&app, &by_id, &paris).await.status,
        404,
        "another département"
    );
    assert_eq!(
        get(&app, &by_id, &bobigny).await.status,
        404,
        "neither signs nor hosts"
    );
    assert_eq!(get(&app, &by_id, &host).await.status, 200, "a signatory");
}

on_both_backends!(
    what_is_kept_shows_every_change_at_the_next_read,
    another_instance_sees_the_change_at_once,
    what_is_kept_is_never_shown_to_another_scope,
);
