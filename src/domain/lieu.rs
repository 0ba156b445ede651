//! Places of activity (lieux d'activité): where advisors receive the public. Every field follows
//! the national "lieux de médiation numérique" standard (schema v1.0.2, in
//! `tests/schemas/lieux-mediation-numerique/schema.json`): its enumerations are closed
//! lists here, its patterns are checks here, so that a lieu accepted by the API always exports
//! cleanly.

use serde::Serialize;
use utoipa::ToSchema;

use super::codes::{CodeDepartement, CodeInsee};
use super::ids::{LieuId, StructureId};
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind, VALIDATION};
use super::structure::COMMUNE_INCONNUE;
use crate::closed_enum;

/// 422: a postcode that is not one of the commune's.
pub const CODE_POSTAL_INCOHERENT: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "code_postal_incoherent",
    title: "Code postal incohérent",
    example: "Le code postal 75001 n'est pas un code postal de la commune 93001 (93300).",
};

/// 403: a change of a lieu's commune that would take it into another département. A lieu stays
/// in its département, whoever edits it (a structure, a préfecture, an admin): the préfecture
/// and the statistics of a département answer for its lieux.
pub const CHANGEMENT_DE_DEPARTEMENT: RefusalCode = RefusalCode {
    kind: RefusalKind::Forbidden,
    code: "changement_de_departement",
    title: "Changement de département interdit",
    example: "Un lieu reste dans son département (93) : la commune 75056 est dans le 75.",
};

/// A lieu moved to the commune `code_insee` of `departement` stays in its département `current`.
pub fn check_meme_departement(
    current: &CodeDepartement,
    code_insee: &CodeInsee,
    departement: &CodeDepartement,
) -> Result<(), Refusal> {
    if current == departement {
        return Ok(());
    }
    let detail = format!(
        "Un lieu reste dans son département ({current}) : la commune {code_insee} est dans le {departement}."
    );
    Err(Refusal::new(&CHANGEMENT_DE_DEPARTEMENT, detail.clone())
        .with_error(FieldError::pointer("/code_insee", detail)))
}

/// What the référentiel says about a lieu's commune: its name, département and postcodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneLieu {
    /// The commune's name.
    pub nom: String,
    /// Its département.
    pub departement: CodeDepartement,
    /// Its postcodes.
    pub codes_postaux: Vec<String>,
}

/// Latitude and longitude come together (422 `validation` on the missing one).
pub fn check_coordonnees(latitude: Option<f64>, longitude: Option<f64>) -> Result<(), Refusal> {
    let missing = match (latitude, longitude) {
        (Some(_), None) => "/longitude",
        (None, Some(_)) => "/latitude",
        _ => return Ok(()),
    };
    let detail = "la latitude et la longitude vont ensemble";
    Err(Refusal::new(&VALIDATION, detail).with_error(FieldError::pointer(missing, detail)))
}

/// A lieu's address fits the référentiel: a current commune (`commune`: `None` when there is
/// none of that code), and a postcode of that commune.
pub fn check_adresse(
    code_insee: &CodeInsee,
    code_postal: &str,
    commune: Option<&CommuneLieu>,
) -> Result<(), Refusal> {
    let Some(commune) = commune else {
        let detail =
            format!("Aucune commune actuelle de code INSEE {code_insee} dans le référentiel.");
        return Err(Refusal::new(&COMMUNE_INCONNUE, detail.clone())
            .with_error(FieldError::pointer("/code_insee", detail)));
    };
    if !commune.codes_postaux.iter().any(|c| c == code_postal) {
        let detail = format!(
            "Le code postal {code_postal} n'est pas un code postal de la commune {code_insee} ({}).",
            commune.codes_postaux.join(", ")
        );
        return Err(Refusal::new(&CODE_POSTAL_INCOHERENT, detail.clone())
            .with_error(FieldError::pointer("/code_postal", detail)));
    }
    Ok(())
}

closed_enum! {
    /// Service proposé (liste du standard des lieux de médiation numérique).
    Service, "service" {
        /// Aide aux démarches administratives.
        AideDemarches = "Aide aux démarches administratives",
        /// Maîtrise des outils numériques du quotidien.
        OutilsQuotidien = "Maîtrise des outils numériques du quotidien",
        /// Insertion professionnelle via le numérique.
        InsertionProfessionnelle = "Insertion professionnelle via le numérique",
        /// Utilisation sécurisée du numérique.
        UtilisationSecurisee = "Utilisation sécurisée du numérique",
        /// Parentalité et éducation avec le numérique.
        Parentalite = "Parentalité et éducation avec le numérique",
        /// Loisirs et créations numériques.
        Loisirs = "Loisirs et créations numériques",
        /// Compréhension du monde numérique.
        ComprehensionNumerique = "Compréhension du monde numérique",
        /// Accès internet et matériel informatique.
        AccesInternet = "Accès internet et matériel informatique",
        /// Acquisition de matériel informatique à prix solidaire.
        MaterielSolidaire = "Acquisition de matériel informatique à prix solidaire",
    }
}

closed_enum! {
    /// Itinérance du lieu (standard des lieux de médiation numérique).
    Itinerance, "itinérance" {
        /// Le lieu se déplace.
        Itinerant = "Itinérant",
        /// Le lieu est fixe.
        Fixe = "Fixe",
    }
}

closed_enum! {
    /// Modalité d'accès (standard des lieux de médiation numérique).
    ModaliteAcces, "modalité d'accès" {
        /// Se présenter.
        SePresenter = "Se présenter",
        /// Téléphoner.
        Telephoner = "Téléphoner",
        /// Contacter par mail.
        ContacterParMail = "Contacter par mail",
        /// Prendre un RDV en ligne.
        RdvEnLigne = "Prendre un RDV en ligne",
        /// Ce lieu n'accueille pas de public.
        SansAccueil = "Ce lieu n'accueille pas de public",
        /// Envoyer un mail avec une fiche de prescription.
        FichePrescription = "Envoyer un mail avec une fiche de prescription",
    }
}

closed_enum! {
    /// Public spécifiquement adressé (standard des lieux de médiation numérique).
    PublicAdresse, "public" {
        /// Jeunes.
        Jeunes = "Jeunes",
        /// Étudiants.
        Etudiants = "Étudiants",
        /// Familles et/ou enfants.
        Familles = "Familles et/ou enfants",
        /// Seniors.
        Seniors = "Seniors",
        /// Femmes.
        Femmes = "Femmes",
    }
}

/// The standard's telephone pattern: an international prefix of France (metropolitan or overseas)
/// then 6 to 9 digits, no spaces.
pub const TELEPHONE_PATTERN: &str =
    r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$";

const TELEPHONE_PREFIXES: [&str; 10] = [
    "+33", "+590", "+594", "+262", "+596", "+269", "+687", "+689", "+508", "+681",
];

/// Whether a telephone number fits the standard's pattern ([`TELEPHONE_PATTERN`]).
pub fn telephone_valide(telephone: &str) -> bool {
    TELEPHONE_PREFIXES.iter().any(|prefix| {
        telephone.strip_prefix(prefix).is_some_and(|digits| {
            (6..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// Whether a web address is absolute `http(s)://host…` without spaces or the standard's list
/// separator `|`.
pub fn site_web_valide(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && host.contains('.') && !r.contains([' ', '|'])
    })
}

/// Checks the shape of an OpenStreetMap `opening_hours` value, on the subset the standard's
/// examples use: `24/7`, or rules separated by `;` (or `||`), each a day selector (`Mo-Fr`,
/// `Sa,Su`, `PH`, `Mo[1]`), times (`09:00-12:00,14:00-18:30`, `10:00+`) or both, optionally
/// `off`/`closed`/`open`, optionally a quoted comment. Returns what is wrong.
pub fn check_horaires(horaires: &str) -> Result<(), String> {
    let text = horaires.trim();
    if text.is_empty() {
        return Err("vide".to_owned());
    }
    if text == "24/7" {
        return Ok(());
    }
    for rule in text.split("||").flat_map(|part| part.split(';')) {
        let rule = rule.trim();
        if rule.is_empty() {
            return Err("règle vide entre deux « ; »".to_owned());
        }
        check_rule(rule).map_err(|e| format!("« {rule} » : {e}"))?;
    }
    Ok(())
}

fn check_rule(rule: &str) -> Result<(), String> {
    // A trailing comment: "…" (no quote inside).
    let (body, comment) = match rule.find('"') {
        Some(start) => {
            let comment = &rule[start..];
            if comment.len() < 2
                || !comment.ends_with('"')
                || comment[1..comment.len() - 1].contains('"')
            {
                return Err("commentaire mal fermé".to_owned());
            }
            (rule[..start].trim(), true)
        }
        None => (rule, false),
    };
    let mut parts: Vec<&str> = body.split_whitespace().collect();
    if let Some(last) = parts.last()
        && matches!(*last, "off" | "closed" | "open" | "unknown")
    {
        parts.pop();
    }
    if parts.is_empty() {
        return if comment || body.split_whitespace().count() == 1 {
            Ok(())
        } else {
            Err("ni jours ni horaires".to_owned())
        };
    }
    if parts.len() > 2 {
        return Err("attendu : jours, horaires, ou jours puis horaires".to_owned());
    }
    match parts.as_slice() {
        [only] if is_times(only) => Ok(()),
        [only] if is_days(only) => Ok(()),
        [days, times] if is_days(days) && is_times(times) => Ok(()),
        _ => Err("jours (Mo-Fr, Sa, PH…) ou horaires (09:00-12:00) invalides".to_owned()),
    }
}

const DAYS: [&str; 9] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "PH", "SH"];

fn is_day(text: &str) -> bool {
    let (day, nth) = match text.find('[') {
        Some(i) => (&text[..i], Some(&text[i..])),
        None => (text, None),
    };
    DAYS.contains(&day)
        && nth.is_none_or(|n| {
            n.len() >= 3
                && n.ends_with(']')
                && n[1..n.len() - 1]
                    .split(',')
                    .all(|k| matches!(k.trim_start_matches('-'), "1" | "2" | "3" | "4" | "5"))
        })
}

fn is_days(text: &str) -> bool {
    text.split(',').all(|item| match item.split_once('-') {
        Some((from, to)) => DAYS[..7].contains(&from) && DAYS[..7].contains(&to),
        None => is_day(item),
    })
}

fn is_time(text: &str) -> bool {
    let Some((hours, minutes)) = text.split_once(':') else {
        return false;
    };
    hours.len() == 2
        && minutes.len() == 2
        && hours.parse::<u8>().is_ok_and(|h| h <= 24)
        && minutes.parse::<u8>().is_ok_and(|m| m <= 59)
        && hours
            .bytes()
            .chain(minutes.bytes())
            .all(|b| b.is_ascii_digit())
}

fn is_times(text: &str) -> bool {
    text.split(',').all(|span| {
        if let Some(start) = span.strip_suffix('+') {
            return is_time(start);
        }
        span.split_once('-')
            .is_some_and(|(from, to)| is_time(from) && is_time(to))
    })
}

/// Un lieu d'activité : où les conseillers reçoivent le public (champs du standard des lieux de
/// médiation numérique).
// As stored, and the API's view of it (`api::lieu::Lieu` re-exports it): the French docs are the
// spec's descriptions, the example its example.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97", "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
    "nom": "Médiathèque André Breton", "adresse": "1 rue Bordier", "code_postal": "93300",
    "code_insee": "93001", "commune": "Aubervilliers", "departement": "93",
    "latitude": 48.9146, "longitude": 2.3821, "horaires": "Tu-Sa 10:00-18:00",
    "telephone": "+33148393850", "courriels": ["mediatheques@plainecommune.fr"],
    "site_web": ["https://www.mediatheques-plainecommune.fr"], "itinerance": ["Fixe"],
    "services": ["Aide aux démarches administratives"], "modalites_acces": ["Se présenter"],
    "publics_specifiquement_adresses": [], "version": 1,
    "cree_le": "2021-06-01T09:00:00.000000Z", "modifie_le": "2021-06-01T09:00:00.000000Z"
}))]
pub struct Lieu {
    /// Identifiant.
    pub id: LieuId,
    /// Structure qui tient le lieu.
    pub structure_id: StructureId,
    /// Nom.
    pub nom: String,
    /// Adresse.
    pub adresse: String,
    /// Code postal.
    pub code_postal: String,
    /// Code INSEE de la commune.
    pub code_insee: CodeInsee,
    /// Nom de la commune (référentiel).
    pub commune: String,
    /// Département de la commune.
    pub departement: CodeDepartement,
    /// Latitude (WGS 84).
    pub latitude: Option<f64>,
    /// Longitude (WGS 84).
    pub longitude: Option<f64>,
    /// Horaires OpenStreetMap.
    pub horaires: Option<String>,
    /// Téléphone.
    pub telephone: Option<String>,
    /// Adresses électroniques.
    pub courriels: Vec<String>,
    /// Sites web.
    pub site_web: Vec<String>,
    /// Fixe et/ou itinérant.
    pub itinerance: Vec<Itinerance>,
    /// Services proposés.
    pub services: Vec<Service>,
    /// Modalités d'accès.
    pub modalites_acces: Vec<ModaliteAcces>,
    /// Publics spécifiquement adressés.
    pub publics_specifiquement_adresses: Vec<PublicAdresse>,
    /// Version de l'enregistrement : l'`ETag`, à renvoyer dans `If-Match`.
    pub version: i64,
    /// Création (RFC 3339, UTC).
    pub cree_le: String,
    /// Dernière modification (RFC 3339, UTC) : la `date_maj` du standard.
    pub modifie_le: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_lieu_stays_in_its_departement() {
        let code = |c: &str| CodeDepartement::parse(c).unwrap();
        let insee = CodeInsee::parse("75056").unwrap();
        assert!(check_meme_departement(&code("93"), &insee, &code("93")).is_ok());
        let refused = check_meme_departement(&code("93"), &insee, &code("75")).unwrap_err();
        assert_eq!(
            refused.code_at(),
            ("changement_de_departement", Some("/code_insee"))
        );
        assert_eq!(refused.kind().status(), 403);
    }

    use super::*;

    #[test]
    fn coordinates_come_together() {
        assert!(check_coordonnees(None, None).is_ok());
        assert!(check_coordonnees(Some(48.9), Some(2.38)).is_ok());
        let pointer = |r: Refusal| r.errors[0].pointer.clone().unwrap();
        assert_eq!(
            pointer(check_coordonnees(Some(48.9), None).unwrap_err()),
            "/longitude"
        );
        assert_eq!(
            pointer(check_coordonnees(None, Some(2.38)).unwrap_err()),
            "/latitude"
        );
    }

    #[test]
    fn an_address_is_a_current_commune_and_one_of_its_postcodes() {
        let aubervilliers = CommuneLieu {
            nom: "Aubervilliers".to_owned(),
            departement: CodeDepartement::parse("93").unwrap(),
            codes_postaux: vec!["93300".to_owned()],
        };
        let code = CodeInsee::parse("93001").unwrap();
        assert!(check_adresse(&code, "93300", Some(&aubervilliers)).is_ok());
        let refusal = check_adresse(&code, "75001", Some(&aubervilliers)).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            ("code_postal_incoherent", Some("/code_postal"))
        );
        let refusal = check_adresse(&code, "93300", None).unwrap_err();
        assert_eq!(refusal.code_at(), ("commune_inconnue", Some("/code_insee")));
    }

    #[test]
    fn telephones_follow_the_standard() {
        for ok in ["+33180059880", "+590590123456", "+262123456"] {
            assert!(telephone_valide(ok), "{ok}");
        }
        for bad in [
            "0180059880",
            "+33 1 80 05 98 80",
            "+3312345",
            "+441234567890",
            "+331800598801",
        ] {
            assert!(!telephone_valide(bad), "{bad}");
        }
    }

    #[test]
    fn web_sites_are_absolute_urls() {
        assert!(site_web_valide("https://www.laquincaillerie.tl/"));
        assert!(site_web_valide(
            "http://mairie-aubervilliers.fr/numerique?x=1"
        ));
        for bad in [
            "www.example.fr",
            "https://",
            "https://a b.fr",
            "https://a.fr|https://b.fr",
            "ftp://a.fr",
        ] {
            assert!(!site_web_valide(bad), "{bad}");
        }
    }

    #[test]
    fn opening_hours_of_the_standards_examples_are_accepted() {
        for ok in [
            "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
            "24/7",
            "Mo,We,Fr 10:00-17:00",
            "Tu-Sa 09:00-18:00; PH off",
            "Mo[1] 14:00-16:00",
            "10:00-18:00",
            "Sa 10:00+",
            "Mo-Fr 09:00-17:00 \"sur rendez-vous\"",
            "Mo-Fr 08:00-12:00 || Sa 09:00-11:00",
            "Su closed",
        ] {
            assert_eq!(check_horaires(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn malformed_opening_hours_are_refused() {
        for bad in [
            "",
            "lundi 9h-12h",
            "Mo-Fr 9:00-12:00",
            "Mo-Fr 09:00-25:00",
            "Mo-Xx 09:00-12:00",
            "Mo-Fr 09:00-12:00;;",
            "Mo-Fr 09:00 12:00 14:00",
            "Mo-Fr 09:00-12:00 \"ouvert",
            "Mo[9] 10:00-11:00",
        ] {
            assert!(check_horaires(bad).is_err(), "{bad}");
        }
    }

    /// The standard's field `name`: its constraints.
    fn constraints(name: &str) -> serde_json::Value {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/schemas/lieux-mediation-numerique/schema.json"
        ))
        .unwrap();
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in the standard"))["constraints"]
            .clone()
    }

    /// The values a list pattern of the standard allows: `(?:(?:^|\|)(A|B\(x\)))+$`.
    fn pattern_values(name: &str) -> Vec<String> {
        let pattern = constraints(name)["pattern"].as_str().unwrap().to_owned();
        let inner = pattern
            .strip_prefix("(?:(?:^|\\|)(")
            .and_then(|p| p.strip_suffix("))+$"))
            .unwrap_or_else(|| panic!("{name}: unexpected pattern {pattern}"));
        inner
            .split('|')
            .map(|v| v.replace("\\(", "(").replace("\\)", ")"))
            .collect()
    }

    #[test]
    fn closed_lists_and_patterns_are_exactly_the_standards() {
        let texts = |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        assert_eq!(pattern_values("services"), texts(Service::TEXTS));
        assert_eq!(pattern_values("itinerance"), texts(Itinerance::TEXTS));
        assert_eq!(
            pattern_values("modalites_acces"),
            texts(ModaliteAcces::TEXTS)
        );
        assert_eq!(
            pattern_values("publics_specifiquement_adresses"),
            texts(PublicAdresse::TEXTS)
        );
        assert_eq!(constraints("telephone")["pattern"], TELEPHONE_PATTERN);
        assert_eq!(constraints("code_postal")["pattern"], "^\\d{5}$");
    }

    #[test]
    fn enumerations_are_the_standards() {
        assert_eq!(Service::ALL.len(), 9);
        assert_eq!(
            Service::parse("Aide aux démarches administratives"),
            Ok(Service::AideDemarches)
        );
        assert_eq!(Itinerance::TEXTS, ["Itinérant", "Fixe"]);
        assert_eq!(ModaliteAcces::ALL.len(), 6);
        assert_eq!(PublicAdresse::ALL.len(), 5);
        assert!(Service::parse("aide aux démarches administratives").is_err());
    }
}
