//! Activities (activités): the workshops and individual help sessions an advisor gives, and what
//! each adds to the per-day statistics.
//!
//! No beneficiary identity exists here: an activity is a date, a place, a kind, a duration, a
//! number of participants and themes from a closed list. The rules are plain functions:
//! [`check_sous_contrat`], [`check_ou`], [`check_participants`], [`check_thematiques`], and the
//! date rule (not after today) reuses [`effective_date`](super::calendar::effective_date). [`Apport`] is what one activity adds to
//! (or, deleted, removes from) its département's day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::codes::{CodeDepartement, CodeInsee};
use super::ids::{ActiviteId, ConseillerId, LieuId, StructureId};
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind, VALIDATION};
use crate::closed_enum;

closed_enum! {
    /// Type d'activité : un atelier collectif ou un accompagnement individuel.
    TypeActivite, "type d'activité" {
        /// Atelier collectif (1 à 100 participants).
        AtelierCollectif = "atelier_collectif",
        /// Accompagnement individuel (exactement 1 participant).
        AccompagnementIndividuel = "accompagnement_individuel",
    }
}

closed_enum! {
    /// Où a lieu une activité.
    TypeLieu, "type de lieu" {
        /// Dans un des lieux d'activité du conseiller (`lieu_id`).
        LieuActivite = "lieu_activite",
        /// Au domicile de la personne accompagnée (`code_insee` de la commune).
        Domicile = "domicile",
        /// À distance (téléphone, visio) : ni lieu ni commune.
        ADistance = "a_distance",
        /// Ailleurs : atelier itinérant, lieu partenaire (`code_insee` de la commune).
        Autre = "autre",
    }
}

closed_enum! {
    /// Thématique d'une activité (liste fermée : celles qu'annonce le programme).
    Thematique, "thématique" {
        /// Échanger avec ses proches (messageries, visio).
        EchangerAvecSesProches = "echanger_avec_ses_proches",
        /// Trouver un emploi (CV, candidatures).
        TrouverUnEmploi = "trouver_un_emploi",
        /// Accompagner la scolarité de ses enfants.
        AccompagnerScolarite = "accompagner_scolarite",
        /// Protéger ses données personnelles.
        DonneesPersonnelles = "donnees_personnelles",
        /// Vérifier les informations (sources, fausses nouvelles).
        VerifierLesInformations = "verifier_les_informations",
        /// Faire ses démarches en ligne.
        DemarchesEnLigne = "demarches_en_ligne",
        /// Prendre en main un équipement (ordinateur, téléphone, tablette).
        PrendreEnMainUnEquipement = "prendre_en_main_un_equipement",
        /// Naviguer sur internet.
        NaviguerSurInternet = "naviguer_sur_internet",
        /// Utiliser les courriels.
        Courriels = "courriels",
        /// Sécurité numérique (arnaques, mots de passe).
        SecuriteNumerique = "securite_numerique",
        /// Santé (espace santé, téléconsultation).
        Sante = "sante",
        /// Budget (banque en ligne, comparateurs).
        Budget = "budget",
        /// Autre thématique.
        Autre = "autre",
    }
}

/// Durations accepted, in minutes.
pub const DUREE_MINUTES: std::ops::RangeInclusive<i64> = 1..=600;
/// Participants accepted for one activity.
pub const PARTICIPANTS: std::ops::RangeInclusive<i64> = 1..=100;
/// Themes per activity.
pub const THEMATIQUES_PAR_ACTIVITE: std::ops::RangeInclusive<usize> = 1..=10;

/// 409: the advisor has no contract in force on the activity's date.
pub const SANS_CONTRAT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "sans_contrat",
    title: "Sans contrat en vigueur",
    example: "Le conseiller 01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98 n'a pas de contrat en vigueur le 2021-03-31.",
};

/// Une activité (atelier collectif ou accompagnement individuel). Aucune donnée sur les
/// personnes accompagnées n'est conservée.
// As stored, and the API's view of it (`api::activite::Activite` re-exports it): the French docs
// are the spec's descriptions, the example its example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa0",
    "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "departement": "93",
    "type_lieu": "lieu_activite", "lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97",
    "code_insee": null, "date": "2022-03-14",
    "type": "atelier_collectif", "duree_minutes": 120, "nb_participants": 8,
    "thematiques": ["trouver_un_emploi", "courriels"], "cree_le": "2022-03-14T16:02:11Z"
}))]
pub struct Activite {
    /// Identifiant.
    pub id: ActiviteId,
    /// Le conseiller.
    pub conseiller_id: ConseillerId,
    /// Son employeur.
    pub structure_id: StructureId,
    /// Le département de sa convention.
    pub departement: CodeDepartement,
    /// Où : un lieu du conseiller, le domicile de la personne, à distance, ailleurs.
    pub type_lieu: TypeLieu,
    /// Le lieu (`lieu_activite` seulement).
    pub lieu_id: Option<LieuId>,
    /// La commune, code INSEE (`domicile` et `autre` seulement).
    pub code_insee: Option<CodeInsee>,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Atelier collectif ou accompagnement individuel.
    #[serde(rename = "type")]
    pub type_activite: TypeActivite,
    /// Durée, en minutes.
    pub duree_minutes: i64,
    /// Participants.
    pub nb_participants: i64,
    /// Thématiques.
    pub thematiques: Vec<Thematique>,
    /// Déclarée le (UTC).
    #[schema(format = DateTime)]
    pub cree_le: String,
}

/// An activity is declared on a day its advisor is under contract (409 `sans_contrat`
/// otherwise): `contrat` is the advisor's contract in force on `date`, if any.
pub fn check_sous_contrat<T>(
    conseiller: &ConseillerId,
    date: NaiveDate,
    contrat: Option<T>,
) -> Result<T, Refusal> {
    contrat.ok_or_else(|| {
        Refusal::new(
            &SANS_CONTRAT,
            format!("Le conseiller {conseiller} n'a pas de contrat en vigueur le {date}."),
        )
        .with_member("date", date.to_string())
    })
}

/// An activity at a lieu sits at one of its advisor's lieux (`travaille_la`: whether the
/// advisor works at `lieu`), else 422 `lieu_non_eligible` on `/lieu_id`.
pub fn check_lieu_du_conseiller(lieu: &LieuId, travaille_la: bool) -> Result<(), Refusal> {
    if travaille_la {
        return Ok(());
    }
    let detail = format!("Le lieu {lieu} n'est pas un des lieux où travaille le conseiller.");
    Err(
        Refusal::new(&super::conseiller::LIEU_NON_ELIGIBLE, detail.clone())
            .with_error(FieldError::pointer("/lieu_id", detail)),
    )
}

/// Where an activity happens says what locates it (422 `validation` on the field): a lieu
/// (`lieu_id`) for `lieu_activite`, a commune (`code_insee`) for `domicile` and `autre`,
/// neither for `a_distance`; a field that does not belong is refused too.
pub fn check_ou(
    type_lieu: TypeLieu,
    lieu_id: Option<&LieuId>,
    code_insee: Option<&CodeInsee>,
) -> Result<(), Refusal> {
    let lieu_attendu = type_lieu == TypeLieu::LieuActivite;
    let commune_attendue = matches!(type_lieu, TypeLieu::Domicile | TypeLieu::Autre);
    let faute = |champ: &str, attendu: bool| {
        let detail = if attendu {
            format!("{champ} est obligatoire pour une activité « {type_lieu} »")
        } else {
            format!("{champ} ne s'applique pas à une activité « {type_lieu} »")
        };
        Refusal::new(&VALIDATION, detail.clone())
            .with_error(FieldError::pointer(format!("/{champ}"), detail))
    };
    if lieu_id.is_some() != lieu_attendu {
        return Err(faute("lieu_id", lieu_attendu));
    }
    if code_insee.is_some() != commune_attendue {
        return Err(faute("code_insee", commune_attendue));
    }
    Ok(())
}

/// An individual session has exactly one participant (422 `validation` on `/nb_participants`).
/// The ranges themselves are checked with the body.
pub fn check_participants(
    type_activite: TypeActivite,
    nb_participants: i64,
) -> Result<(), Refusal> {
    if type_activite == TypeActivite::AccompagnementIndividuel && nb_participants != 1 {
        let detail = format!(
            "un accompagnement individuel a exactement 1 participant (reçu {nb_participants})"
        );
        return Err(Refusal::new(&VALIDATION, detail.clone())
            .with_error(FieldError::pointer("/nb_participants", detail)));
    }
    Ok(())
}

/// 1 to 10 themes, each once (422 `validation` on `/thematiques`, or on the repeated value):
/// a theme counted twice would count the activity twice in the statistics.
pub fn check_thematiques(thematiques: &[Thematique]) -> Result<(), Refusal> {
    if !THEMATIQUES_PAR_ACTIVITE.contains(&thematiques.len()) {
        let detail = format!(
            "de {} à {} thématiques (reçu {})",
            THEMATIQUES_PAR_ACTIVITE.start(),
            THEMATIQUES_PAR_ACTIVITE.end(),
            thematiques.len()
        );
        return Err(Refusal::new(&VALIDATION, detail.clone())
            .with_error(FieldError::pointer("/thematiques", detail)));
    }
    for (index, theme) in thematiques.iter().enumerate() {
        if thematiques[..index].contains(theme) {
            let detail = format!("la thématique « {theme} » apparaît deux fois");
            return Err(Refusal::new(&VALIDATION, detail.clone())
                .with_error(FieldError::pointer(format!("/thematiques/{index}"), detail)));
        }
    }
    Ok(())
}

/// What one activity adds to its département's day in the per-day aggregates (negated by
/// [`Apport::retrait`] when it is deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Apport {
    /// Activities (1, or −1 for a deletion).
    pub nombre: i64,
    /// Participants.
    pub participants: i64,
    /// Minutes.
    pub minutes: i64,
    /// Activities per theme, in the order of [`Thematique::ALL`].
    pub par_thematique: [i64; Thematique::ALL.len()],
}

impl Apport {
    /// What `activite` adds.
    pub fn de(activite: &Activite) -> Apport {
        let mut par_thematique = [0; Thematique::ALL.len()];
        for theme in &activite.thematiques {
            par_thematique[theme.index()] += 1;
        }
        Apport {
            nombre: 1,
            participants: activite.nb_participants,
            minutes: activite.duree_minutes,
            par_thematique,
        }
    }

    /// The opposite: what a deletion removes.
    pub fn retrait(self) -> Apport {
        Apport {
            nombre: -self.nombre,
            participants: -self.participants,
            minutes: -self.minutes,
            par_thematique: self.par_thematique.map(|n| -n),
        }
    }

    /// The sum of two contributions (a day's total), or `None` on overflow.
    pub fn plus(self, other: Apport) -> Option<Apport> {
        let mut par_thematique = self.par_thematique;
        for (sum, n) in par_thematique.iter_mut().zip(other.par_thematique) {
            *sum = sum.checked_add(n)?;
        }
        Some(Apport {
            nombre: self.nombre.checked_add(other.nombre)?,
            participants: self.participants.checked_add(other.participants)?,
            minutes: self.minutes.checked_add(other.minutes)?,
            par_thematique,
        })
    }
}

impl Thematique {
    /// The theme's position in [`Thematique::ALL`] (its column in the aggregates).
    pub fn index(self) -> usize {
        Thematique::ALL
            .iter()
            .position(|t| *t == self)
            .expect("every theme is in ALL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::refusal::RefusalKind;

    fn activite(type_activite: TypeActivite, participants: i64, themes: &[Thematique]) -> Activite {
        Activite {
            id: ActiviteId::new(),
            conseiller_id: ConseillerId::new(),
            structure_id: StructureId::new(),
            departement: CodeDepartement::parse("93").unwrap(),
            type_lieu: TypeLieu::LieuActivite,
            lieu_id: Some(LieuId::new()),
            code_insee: None,
            date: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            type_activite,
            duree_minutes: 90,
            nb_participants: participants,
            thematiques: themes.to_vec(),
            cree_le: String::new(),
        }
    }

    #[test]
    fn an_activity_needs_a_contract_in_force() {
        let (id, day) = (
            ConseillerId::new(),
            NaiveDate::from_ymd_opt(2021, 3, 31).unwrap(),
        );
        assert_eq!(check_sous_contrat(&id, day, Some(7)), Ok(7));
        let refusal = check_sous_contrat::<()>(&id, day, None).unwrap_err();
        assert_eq!(refusal.code.code, "sans_contrat");
        assert_eq!(refusal.code.kind, RefusalKind::Conflict);
        assert_eq!(refusal.members["date"], "2021-03-31");
    }

    #[test]
    fn an_activity_sits_at_one_of_its_advisors_lieux() {
        let lieu = LieuId::new();
        assert!(check_lieu_du_conseiller(&lieu, true).is_ok());
        let refusal = check_lieu_du_conseiller(&lieu, false).unwrap_err();
        assert_eq!(refusal.code_at(), ("lieu_non_eligible", Some("/lieu_id")));
    }

    #[test]
    fn where_an_activity_happens_says_what_locates_it() {
        use TypeLieu::*;
        let (lieu, commune) = (LieuId::new(), CodeInsee::parse("93066").unwrap());
        let ok = [
            (LieuActivite, Some(&lieu), None),
            (Domicile, None, Some(&commune)),
            (Autre, None, Some(&commune)),
            (ADistance, None, None),
        ];
        for (type_lieu, l, c) in ok {
            assert!(check_ou(type_lieu, l, c).is_ok(), "{type_lieu}");
        }
        let refused = [
            (LieuActivite, None, None, "/lieu_id"),
            (LieuActivite, Some(&lieu), Some(&commune), "/code_insee"),
            (Domicile, None, None, "/code_insee"),
            (Domicile, Some(&lieu), Some(&commune), "/lieu_id"),
            (Autre, None, None, "/code_insee"),
            (ADistance, Some(&lieu), None, "/lieu_id"),
            (ADistance, None, Some(&commune), "/code_insee"),
        ];
        for (type_lieu, l, c, pointer) in refused {
            let refusal = check_ou(type_lieu, l, c).unwrap_err();
            assert_eq!(
                refusal.code_at(),
                ("validation", Some(pointer)),
                "{type_lieu}"
            );
        }
    }

    #[test]
    fn an_individual_session_has_one_participant() {
        assert!(check_participants(TypeActivite::AccompagnementIndividuel, 1).is_ok());
        assert!(check_participants(TypeActivite::AtelierCollectif, 1).is_ok());
        assert!(check_participants(TypeActivite::AtelierCollectif, 100).is_ok());
        let refusal = check_participants(TypeActivite::AccompagnementIndividuel, 2).unwrap_err();
        assert_eq!(refusal.code_at(), ("validation", Some("/nb_participants")));
    }

    #[test]
    fn themes_are_one_to_ten_and_never_repeated() {
        use Thematique::*;
        assert!(check_thematiques(&[Sante]).is_ok());
        let ten = &Thematique::ALL[..10];
        assert!(check_thematiques(ten).is_ok());
        assert_eq!(
            check_thematiques(&[]).unwrap_err().errors[0]
                .pointer
                .as_deref(),
            Some("/thematiques")
        );
        assert_eq!(
            check_thematiques(&Thematique::ALL[..11])
                .unwrap_err()
                .errors[0]
                .pointer
                .as_deref(),
            Some("/thematiques")
        );
        assert_eq!(
            check_thematiques(&[Sante, Budget, Sante])
                .unwrap_err()
                .errors[0]
                .pointer
                .as_deref(),
            Some("/thematiques/2")
        );
    }

    #[test]
    fn the_announced_themes_are_in_the_list() {
        for text in [
            "echanger_avec_ses_proches",
            "trouver_un_emploi",
            "accompagner_scolarite",
            "donnees_personnelles",
            "verifier_les_informations",
            "demarches_en_ligne",
            "prendre_en_main_un_equipement",
            "naviguer_sur_internet",
            "courriels",
            "securite_numerique",
            "sante",
            "budget",
            "autre",
        ] {
            assert!(Thematique::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn a_deletion_takes_back_exactly_what_the_activity_added() {
        use Thematique::*;
        let a = activite(TypeActivite::AtelierCollectif, 12, &[Sante, Budget]);
        let b = activite(TypeActivite::AccompagnementIndividuel, 1, &[Sante]);
        let added = Apport::de(&a);
        assert_eq!(added.nombre, 1);
        assert_eq!(added.participants, 12);
        assert_eq!(added.minutes, 90);
        assert_eq!(added.par_thematique[Sante.index()], 1);
        assert_eq!(added.par_thematique[Budget.index()], 1);
        assert_eq!(added.par_thematique.iter().sum::<i64>(), 2);
        let day = Apport::default()
            .plus(added)
            .unwrap()
            .plus(Apport::de(&b))
            .unwrap();
        assert_eq!(day.nombre, 2);
        assert_eq!(day.par_thematique[Sante.index()], 2);
        let after = day.plus(added.retrait()).unwrap();
        assert_eq!(after, Apport::de(&b));
        assert_eq!(
            after.plus(Apport::de(&b).retrait()).unwrap(),
            Apport::default()
        );
    }

    #[test]
    fn sums_refuse_to_overflow() {
        let big = Apport {
            nombre: i64::MAX,
            ..Apport::default()
        };
        assert_eq!(big.plus(big), None);
    }
}
