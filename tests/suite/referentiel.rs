//! The référentiel territorial: repository functions and HTTP endpoints, on both backends.

use crate::common;

use cnfs_api::db::repo::referentiel::{self as repo, CommuneFilter, EpciFilter};
use cnfs_api::domain::referentiel::{Zone, search_key};
use common::{TestDb, get};

fn codes(items: &serde_json::Value, field: &str) -> Vec<String> {
    items["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item[field].as_str().expect("code").to_owned())
        .collect()
}

async fn repo_reads_the_loaded_referentiel(db: TestDb) {
    let mut conn = db.conn();
    let regions = repo::list_regions(&mut conn).unwrap();
    assert_eq!(regions.len(), 26);
    let departements = repo::list_departements(&mut conn, None).unwrap();
    assert_eq!(departements.len(), 109);
    let idf = repo::list_departements(&mut conn, Some(&"11".parse().unwrap())).unwrap();
    assert_eq!(
        idf.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["75", "77", "78", "91", "92", "93", "94", "95"]
    );
    let corse = repo::find_departement(&mut conn, &"2A".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (corse.nom.as_str(), corse.zone),
        ("Corse-du-Sud", Zone::Metro)
    );
    assert!(
        repo::find_departement(&mut conn, &"00".parse().unwrap())
            .unwrap()
            .is_none()
    );

    let saint_denis = repo::find_commune(&mut conn, &"93066".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        saint_denis.siren.as_ref().map(|s| s.as_str()),
        Some("929939411")
    );
    assert_eq!(saint_denis.codes_postaux, ["93200", "93210", "93380"]);

    let (plaine_commune, membres) = repo::find_epci(&mut conn, &"200057867".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(plaine_commune.nom, "Plaine Commune");
    assert!(membres.iter().any(|m| m.code_insee == "93066"));
    assert!(membres.iter().all(|m| m.departement == "93"));
}

async fn repo_search_ranks_prefix_matches_first_and_pages_without_gaps(db: TestDb) {
    let mut conn = db.conn();
    let filter = CommuneFilter {
        q: Some(search_key("saint denis")),
        ..Default::default()
    };
    // Walk the whole result set in small pages and compare with one big page.
    let whole = repo::search_communes(&mut conn, &filter, None, 200).unwrap();
    assert!(whole.next.is_none());
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = repo::search_communes(&mut conn, &filter, after.as_ref(), 7).unwrap();
        walked.extend(page.items.into_iter().map(|c| c.code_insee));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let whole_codes: Vec<_> = whole.items.iter().map(|c| c.code_insee.clone()).collect();
    assert_eq!(walked, whole_codes);
    // Every name starting with the query comes before every other match.
    let starts: Vec<bool> = whole
        .items
        .iter()
        .map(|c| search_key(&c.nom).starts_with("saint denis"))
        .collect();
    let first_other = starts.iter().position(|s| !s).expect("some infix matches");
    assert!(starts[..first_other].iter().all(|s| *s));
    assert!(starts[first_other..].iter().all(|s| !*s));
    assert!(whole_codes.iter().any(|c| c == "93066"));
    assert!(whole_codes.iter().any(|c| c == "93039")); // L'Île-Saint-Denis, an infix match

    let by_postcode = CommuneFilter {
        code_postal: Some("93200".parse().unwrap()),
        ..Default::default()
    };
    let page = repo::search_communes(&mut conn, &by_postcode, None, 50).unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|c| c.code_insee.as_str())
            .collect::<Vec<_>>(),
        ["93066"]
    );

    let epci_93 = EpciFilter {
        departement: Some("93".parse().unwrap()),
        ..Default::default()
    };
    let page = repo::search_epci(&mut conn, &epci_93, None, 50).unwrap();
    let sirens: Vec<_> = page.items.iter().map(|e| e.siren.as_str()).collect();
    assert!(sirens.contains(&"200057867")); // Plaine Commune
    assert!(sirens.contains(&"200054781")); // Métropole du Grand Paris
    assert!(sirens.windows(2).all(|w| w[0] < w[1]));
}

async fn departements_list_comes_whole(db: TestDb) {
    let app = common::app(db.state()).await;
    let answer = get(&app, "/api/v1/departements").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), "application/json");
    let codes = codes(&answer.json, "code");
    assert_eq!(codes.len(), 109);
    for code in ["93", "2A", "2B", "971", "976", "989"] {
        assert!(codes.contains(&code.to_owned()), "{code}");
    }
    assert!(answer.json["next_cursor"].is_null());
    let seine_saint_denis = &answer.json["items"][codes.iter().position(|c| c == "93").unwrap()];
    assert_eq!(
        *seine_saint_denis,
        serde_json::json!({"code": "93", "nom": "Seine-Saint-Denis", "region": "11", "chef_lieu": "93008", "zone": "metro"})
    );

    let answer = get(&app, "/api/v1/departements?region=94").await;
    assert_eq!(codes_of(&answer), ["2A", "2B"]);
    let answer = get(&app, "/api/v1/departements?region=99").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["items"], serde_json::json!([]));
    get(&app, "/api/v1/departements?region=x")
        .await
        .assert_problem(400, "parametre_invalide");
}

fn codes_of(answer: &common::Answer) -> Vec<String> {
    codes(&answer.json, "code")
}

async fn regions_and_single_items(db: TestDb) {
    let app = common::app(db.state()).await;
    let answer = get(&app, "/api/v1/regions").await;
    assert_eq!(answer.status, 200);
    assert_eq!(codes_of(&answer).len(), 26);
    assert!(answer.json["next_cursor"].is_null());

    let answer = get(&app, "/api/v1/regions/975").await;
    assert_eq!(answer.json["nom"], "Saint-Pierre-et-Miquelon");
    assert_eq!(answer.json["zone"], "com");
    get(&app, "/api/v1/regions/99")
        .await
        .assert_problem(404, "ressource_introuvable");
    get(&app, "/api/v1/regions/1")
        .await
        .assert_problem(400, "parametre_invalide");

    let answer = get(&app, "/api/v1/departements/2A").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["nom"], "Corse-du-Sud");
    assert_eq!(
        get(&app, "/api/v1/departements/971").await.json["nom"],
        "Guadeloupe"
    );
    get(&app, "/api/v1/departements/00")
        .await
        .assert_problem(404, "ressource_introuvable");
    let answer = get(&app, "/api/v1/departements/2a").await;
    answer.assert_problem(400, "parametre_invalide");
    assert_eq!(answer.faulty_parameters(), ["code"]);

    let answer = get(&app, "/api/v1/communes/93066").await;
    assert_eq!(
        answer.json,
        serde_json::json!({
            "code_insee": "93066", "nom": "Saint-Denis", "siren": "929939411", "departement": "93",
            "region": "11", "population": 149077, "codes_postaux": ["93200", "93210", "93380"]
        })
    );
    assert_eq!(
        get(&app, "/api/v1/communes/2A004").await.json["nom"],
        "Ajaccio"
    );
    get(&app, "/api/v1/communes/93999")
        .await
        .assert_problem(404, "ressource_introuvable");
    get(&app, "/api/v1/communes/9306")
        .await
        .assert_problem(400, "parametre_invalide");

    let answer = get(&app, "/api/v1/epci/200057867").await;
    assert_eq!(answer.json["type"], "EPT");
    assert_eq!(answer.json["membres"].as_array().unwrap().len(), 8);
    assert_eq!(
        answer.json["membres"][0],
        serde_json::json!({"code_insee": "93001", "nom": "Aubervilliers", "departement": "93"})
    );
    get(&app, "/api/v1/epci/123456789")
        .await
        .assert_problem(404, "ressource_introuvable");
    get(&app, "/api/v1/epci/12345")
        .await
        .assert_problem(400, "parametre_invalide");
}

async fn commune_search_ignores_case_and_accents(db: TestDb) {
    let app = common::app(db.state()).await;
    let answer = get(&app, "/api/v1/communes?q=saint%20denis&departement=93").await;
    assert_eq!(answer.status, 200);
    assert_eq!(codes(&answer.json, "code_insee"), ["93066", "93039"]);

    // Lower case without accent, and a decomposed É (E + U+0301): both find Épinay-sur-Seine.
    for q in ["epinay", "E%CC%81PINAY"] {
        let answer = get(&app, &format!("/api/v1/communes?q={q}&departement=93")).await;
        assert_eq!(codes(&answer.json, "code_insee"), ["93031"], "{q}");
        assert_eq!(answer.json["items"][0]["nom"], "Épinay-sur-Seine");
    }
    // A query with no letter or digit filters nothing; the list then comes by code INSEE.
    let answer = get(&app, "/api/v1/communes?q=-&departement=93&limit=3").await;
    assert_eq!(
        codes(&answer.json, "code_insee"),
        ["93001", "93005", "93006"]
    );
    let answer = get(&app, "/api/v1/communes?q=zzzzqqq").await;
    assert_eq!(
        answer.json,
        serde_json::json!({"items": [], "next_cursor": null})
    );
    assert!(answer.headers.get("link").is_none());
}

async fn commune_pages_chain_through_cursor_and_link(db: TestDb) {
    let app = common::app(db.state()).await;
    let first = get(&app, "/api/v1/communes?departement=93&limit=20").await;
    assert_eq!(first.status, 200);
    let first_codes = codes(&first.json, "code_insee");
    assert_eq!(first_codes.len(), 20);
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let link = first.header("link").to_owned();
    assert!(
        link.starts_with("</api/v1/communes?departement=93&limit=20&cursor="),
        "{link}"
    );
    assert!(link.ends_with(">; rel=\"next\""));

    // Following the Link header walks all 39 communes of the département, each once, in order.
    let mut all = first_codes;
    let mut next = link[1..link.find('>').unwrap()].to_owned();
    loop {
        let page = get(&app, &next).await;
        assert_eq!(page.status, 200, "{}", page.text);
        all.extend(codes(&page.json, "code_insee"));
        match page.headers.get("link") {
            Some(link) => {
                let link = link.to_str().unwrap();
                next = link[1..link.find('>').unwrap()].to_owned();
            }
            None => {
                assert!(page.json["next_cursor"].is_null());
                break;
            }
        }
    }
    assert_eq!(all.len(), 39); // Pierrefitte-sur-Seine merged into Saint-Denis in 2025
    assert!(all.windows(2).all(|w| w[0] < w[1]));

    // A list without q is ordered by code INSEE: its cursor is the last code.
    assert_eq!(&cursor, all.get(19).unwrap(), "{cursor}");
    // Any cursor of the documented form is a position, even given to another list: for a search,
    // its first part is the rank, compared as text ("93…" sorts after the last rank, "1": nothing
    // is left). Anything else is refused.
    let answer = get(
        &app,
        &format!("/api/v1/communes?q=saint&departement=93&cursor={cursor}"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["items"], serde_json::json!([]));
    for garbage in ["%25%25%25", "0.93%2066.", "a.b.c.d.e", "%C3%A9", "a%2Fb"] {
        let answer = get(&app, &format!("/api/v1/communes?cursor={garbage}")).await;
        answer.assert_problem(400, "parametre_invalide");
        assert_eq!(answer.faulty_parameters(), ["cursor"], "{garbage}");
    }
}

async fn list_parameters_are_checked(db: TestDb) {
    let app = common::app(db.state()).await;
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=1000", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("departement=7", "departement"),
        ("code_postal=9320", "code_postal"),
        ("ville=Paris", "ville"),
        ("q=a&q=b", "q"),
    ] {
        let answer = get(&app, &format!("/api/v1/communes?{query}")).await;
        answer.assert_problem(400, "parametre_invalide");
        assert_eq!(answer.faulty_parameters(), [parameter], "{query}");
        assert!(answer.json["detail"].as_str().unwrap().contains(parameter));
    }
    // JSON Schema counts 2.0 as an integer: accepted as 2.
    let answer = get(&app, "/api/v1/communes?limit=2.0").await;
    assert_eq!(answer.json["items"].as_array().unwrap().len(), 2);
    let answer = get(&app, &format!("/api/v1/communes?q={}", "a".repeat(101))).await;
    assert_eq!(answer.faulty_parameters(), ["q"]);
    // Lists that take no parameter refuse any.
    let answer = get(&app, "/api/v1/regions?limit=5").await;
    assert_eq!(answer.faulty_parameters(), ["limit"]);
}

async fn epci_search_and_filters(db: TestDb) {
    let app = common::app(db.state()).await;
    let answer = get(&app, "/api/v1/epci?q=plaine%20commune").await;
    assert_eq!(answer.status, 200);
    assert_eq!(codes(&answer.json, "siren")[0], "200057867");
    let answer = get(&app, "/api/v1/epci?departement=93&limit=200").await;
    let sirens = codes(&answer.json, "siren");
    assert!(sirens.contains(&"200057867".to_owned()));
    assert!(
        answer.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"].is_string())
    );
    let answer = get(&app, "/api/v1/epci?limit=1").await;
    assert!(answer.json["next_cursor"].is_string());
    assert!(answer.header("link").contains("cursor="));
    get(&app, "/api/v1/epci?departement=XX")
        .await
        .assert_problem(400, "parametre_invalide");
}

on_both_backends!(
    repo_reads_the_loaded_referentiel,
    repo_search_ranks_prefix_matches_first_and_pages_without_gaps,
    departements_list_comes_whole,
    regions_and_single_items,
    commune_search_ignores_case_and_accents,
    commune_pages_chain_through_cursor_and_link,
    list_parameters_are_checked,
    epci_search_and_filters,
);
