//! No personal data for the public or a lecteur: after a story where advisors have distinctive
//! names and e-mails (one in post with an activity, one gone), every `GET` operation of the spec
//! (statistics, open-data exports, lieux, référentiel, conventions…, listed from the OpenAPI
//! document, so that a new endpoint is walked without editing this test) is called anonymously,
//! as a national lecteur and as a lecteur of the 93, on the real objects of the story; no answer
//! may contain a name or an e-mail of an advisor.

use crate::common;
use crate::common::scenario::rupture;

use cnfs_api::auth::Role;
use common::scenario::{
    admin, app_on, convention, created_id, lieu, post, prefecture_93, structure, structures,
};
use common::{TestDb, token};
use serde_json::json;

/// The personal data of the story's advisors: none may leak.
const SECRETS: [&str; 6] = [
    "Zorglub",
    "Anatole",
    "Quetzalcoatl",
    "Philomène",
    "anatole.zorglub",
    "p.quetzalcoatl",
];

async fn no_name_or_email_reaches_the_public(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let executed = convention(&app, &ids, (3, 3), true).await;
    let lieu = lieu(&app, &ids[0], "Médiathèque André Breton", "93001", "93300").await;
    let employer = structure(&ids[0]);
    let mut advisors = Vec::new();
    for (nom, prenom, email) in [
        ("Zorglub", "Anatole", "anatole.zorglub@example.org"),
        ("Quetzalcoatl", "Philomène", "p.quetzalcoatl@example.org"),
    ] {
        advisors.push(created_id(
            &post(
                &app,
                "/api/v1/conseillers",
                &employer,
                json!({"convention_id": executed, "structure_id": ids[0], "nom": nom, "prenom": prenom,
                       "email": email, "commune_residence": "93001", "date_recrutement": "2021-04-01",
                       "type_contrat": "cdd"}),
            )
            .await,
        ));
    }
    let uri = format!("/api/v1/conseillers/{}", advisors[0]);
    let placed = app
        .as_(&employer)
        .put(&format!("{uri}/lieux/{lieu}"), json!({"principal": true}))
        .await;
    assert_eq!(placed.status, 200, "{}", placed.text);
    let activity = created_id(
        &post(
            &app,
            "/api/v1/activites",
            &employer,
            json!({"conseiller_id": advisors[0], "lieu_id": lieu, "date": "2021-06-14",
                   "type": "atelier_collectif", "duree_minutes": 90, "nb_participants": 7,
                   "thematiques": ["courriels"]}),
        )
        .await,
    );
    let left = rupture(&app, &advisors[1], &employer, "2021-06-30", "demission").await;
    assert_eq!(left.status, 200, "{}", left.text);
    let enveloppe = created_id(
        &post(
            &app,
            "/api/v1/enveloppes",
            &admin(),
            json!({"libelle": "Plan de relance", "financeur": "DGCL", "nature": "postes_conseillers",
                   "montant_centimes": 20_000_000_000i64, "date_debut": "2021-01-01",
                   "date_fin": "2023-12-31", "baremes": common::baremes_uniformes(5_000_000)}),
        )
        .await,
    );
    let engagement = created_id(
        &app.as_(prefecture_93()).idempotency_key("pii-1").post(&format!("/api/v1/enveloppes/{enveloppe}/engagements"), json!({"convention_id": executed, "beneficiaire_id": ids[0], "objet": "Postes", "date_engagement": "2021-03-20"}))
        .await,
    );
    let versement = created_id(
        &post(
            &app,
            &format!("/api/v1/engagements/{engagement}/versements"),
            &admin(),
            json!({"montant_centimes": 100_000, "date_versement": "2021-04-01", "reference": "MANDAT-1"}),
        )
        .await,
    );
    // The data is there, for those who may see it.
    let seen = common::scenario::get(&app, &uri, &employer).await;
    assert_eq!(seen.json["nom"], "Zorglub");

    // Every GET of the spec, on the story's objects.
    let spec = serde_json::to_value(cnfs_api::openapi_document()).unwrap();
    let object_of = |path: &str| -> Option<&str> {
        let resource = path.trim_start_matches("/api/v1/").split('/').next()?;
        Some(match resource {
            "structures" => ids[0].as_str(),
            "conventions" => executed.as_str(),
            "enveloppes" => enveloppe.as_str(),
            "engagements" => engagement.as_str(),
            "versements" => versement.as_str(),
            "lieux" => lieu.as_str(),
            "conseillers" => advisors[0].as_str(),
            "activites" => activity.as_str(),
            _ => return None,
        })
    };
    let callers = [
        None,
        Some(token(Role::Lecteur, &[], None)),
        Some(token(Role::Lecteur, &["93"], None)),
    ];
    let mut walked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let instead = object_of(path).map(|id| ("id", id));
        let uri = common::example_uri(path, operation, instead);
        for caller in &callers {
            let answer = app.caller(caller.as_deref()).get(&uri).await;
            assert!(
                answer.status.as_u16() < 500,
                "{uri}: {} {}",
                answer.status,
                answer.text
            );
            for secret in SECRETS {
                assert!(
                    !answer.text.to_lowercase().contains(&secret.to_lowercase()),
                    "{uri} as {}: the answer holds {secret:?}: {}",
                    if caller.is_some() {
                        "lecteur"
                    } else {
                        "anonymous"
                    },
                    answer.text
                );
            }
            walked += 1;
        }
    }
    assert!(walked > 3 * 30, "{walked} calls");
    // The statistics did count the story.
    let stats = app
        .anonymous()
        .get("/api/v1/statistiques/departements/93")
        .await;
    assert_eq!(stats.json["conseillers"]["en_poste"], 1);
    assert_eq!(stats.json["activites"]["nombre"], 1);
}

on_both_backends!(no_name_or_email_reaches_the_public);
