//! Host structures (structures d'accueil): who they are and the rule tying a territorial
//! structure's SIRET to the référentiel.

use serde::Serialize;
use utoipa::ToSchema;

use super::codes::{CodeDepartement, CodeInsee, CodeRegion, Siren, Siret};
use super::ids::StructureId;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};
use crate::closed_enum;

closed_enum! {
    /// Nature juridique d'une structure d'accueil.
    TypeStructure, "type de structure" {
        /// Une commune.
        Commune = "commune",
        /// Un EPCI à fiscalité propre ou un établissement public territorial (EPT).
        Epci = "epci",
        /// Un conseil départemental.
        Departement = "departement",
        /// Un conseil régional.
        Region = "region",
        /// Un autre organisme public (CCAS, syndicat mixte, établissement public…).
        AutrePublic = "autre_public",
        /// Une association.
        Association = "association",
        /// Une autre structure privée (entreprise de l'ESS, fondation…).
        AutrePrive = "autre_prive",
    }
}

closed_enum! {
    /// Catégorie d'employeur, dont dépend le barème de la subvention : `public` (collectivités,
    /// EPCI et EPT, départements, régions, CCAS et autres organismes publics) ou `prive`
    /// (associations, entreprises, fondations).
    CategorieEmployeur, "catégorie d'employeur" {
        /// Un employeur public.
        Public = "public",
        /// Un employeur privé.
        Prive = "prive",
    }
}

impl TypeStructure {
    /// The employer category of this legal nature: the territorial authorities and the other
    /// public bodies are public; associations and the other private structures are private.
    pub fn categorie(self) -> CategorieEmployeur {
        match self {
            TypeStructure::Commune
            | TypeStructure::Epci
            | TypeStructure::Departement
            | TypeStructure::Region
            | TypeStructure::AutrePublic => CategorieEmployeur::Public,
            TypeStructure::Association | TypeStructure::AutrePrive => CategorieEmployeur::Prive,
        }
    }
}

/// Une structure d'accueil, avec ce que le référentiel dit de son siège.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "siret": "20005786700018", "siren": "200057867",
    "nom": "Plaine Commune", "type": "epci", "categorie": "public",
    "territoire_prioritaire": false, "code_insee": "93066", "commune": "Saint-Denis",
    "departement": "93", "region": "11", "version": 1,
    "cree_le": "2026-11-26T10:00:00.000000Z", "modifie_le": "2026-11-26T10:00:00.000000Z"
}))]
pub struct Structure {
    /// Identifiant.
    pub id: StructureId,
    /// SIRET.
    pub siret: Siret,
    /// SIREN (les 9 premiers chiffres du SIRET).
    pub siren: Siren,
    /// Nom.
    pub nom: String,
    /// Nature juridique.
    #[serde(rename = "type")]
    pub type_structure: TypeStructure,
    /// Catégorie d'employeur, déduite de la nature juridique (`type`) : `public` ou `prive`.
    pub categorie: CategorieEmployeur,
    /// Vrai quand la structure est en territoire prioritaire (quartier prioritaire de la
    /// politique de la ville, QPV, ou zone de revitalisation rurale, ZRR), ce qui majore son
    /// barème. Fixé par la préfecture de son département ou l'administration
    /// (`POST /structures/{id}/territoire-prioritaire`), journalisé ; faux par défaut.
    pub territoire_prioritaire: bool,
    /// Code INSEE de la commune du siège.
    pub code_insee: CodeInsee,
    /// Nom de la commune du siège.
    pub commune: String,
    /// Département du siège.
    pub departement: CodeDepartement,
    /// Région du siège.
    pub region: CodeRegion,
    /// Version de l'enregistrement : l'`ETag` de la réponse, à renvoyer dans `If-Match`.
    pub version: i64,
    /// Création (RFC 3339, UTC).
    pub cree_le: String,
    /// Dernière modification (RFC 3339, UTC).
    pub modifie_le: String,
}

/// 422: the seat commune is not a current commune of the référentiel.
pub const COMMUNE_INCONNUE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "commune_inconnue",
    title: "Commune inconnue",
    example: "Aucune commune actuelle de code INSEE 93999 dans le référentiel.",
};

/// 422: the SIREN of a commune or EPCI is not the one the référentiel gives.
pub const SIREN_INCOHERENT: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "siren_incoherent",
    title: "SIREN incohérent avec le référentiel",
    example: "Le SIREN de la commune 93066 est 200090504 selon le référentiel, pas 219300662.",
};

/// What the référentiel says about the seat of a structure being created, read by the storage
/// layer for [`check_siren`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The seat commune.
    pub code_insee: CodeInsee,
    /// The commune's own SIREN, when the référentiel gives one.
    pub commune_siren: Option<Siren>,
    /// The SIRENs of the EPCI and EPT the commune belongs to.
    pub epci_sirens: Vec<Siren>,
}

/// For a commune or an EPCI, the SIREN of the SIRET must be the one the référentiel gives: the
/// seat commune's own, or one of the EPCI/EPT the seat belongs to. Other types are not checked
/// (the référentiel does not list them).
pub fn check_siren(kind: TypeStructure, siret: &Siret, seat: &Seat) -> Result<(), Refusal> {
    let siren = siret.siren();
    let refusal = |detail: String| {
        Err(Refusal::new(&SIREN_INCOHERENT, detail.clone())
            .with_error(FieldError::pointer("/siret", detail)))
    };
    match kind {
        TypeStructure::Commune => match &seat.commune_siren {
            Some(expected) if *expected == siren => Ok(()),
            Some(expected) => refusal(format!(
                "Le SIREN de la commune {} est {expected} selon le référentiel, pas {siren}.",
                seat.code_insee
            )),
            None => refusal(format!(
                "Le référentiel ne donne pas de SIREN pour la commune {} : elle ne peut pas être \
                 enregistrée comme structure de type commune.",
                seat.code_insee
            )),
        },
        TypeStructure::Epci => {
            if seat.epci_sirens.contains(&siren) {
                Ok(())
            } else {
                let known: Vec<&str> = seat.epci_sirens.iter().map(|s| s.as_str()).collect();
                refusal(format!(
                    "Le SIREN {siren} n'est pas celui d'un EPCI ou EPT dont la commune {} est \
                     membre selon le référentiel (connus : {}).",
                    seat.code_insee,
                    if known.is_empty() {
                        "aucun".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat() -> Seat {
        Seat {
            code_insee: CodeInsee::parse("93066").unwrap(),
            commune_siren: Some(Siren::parse("200090504").unwrap()),
            epci_sirens: vec![Siren::parse("200057867").unwrap()],
        }
    }

    /// A valid SIRET (Luhn) for a SIREN: the first NIC that passes the check.
    fn siret_of(siren: &str) -> Siret {
        (1..100_000)
            .map(|nic| format!("{siren}{nic:05}"))
            .find_map(|text| Siret::parse(&text).ok())
            .unwrap()
    }

    #[test]
    fn a_commune_must_carry_the_sirens_of_the_referentiel() {
        assert_eq!(
            check_siren(TypeStructure::Commune, &siret_of("200090504"), &seat()),
            Ok(())
        );
        // Saint-Denis' SIREN before 2025: the référentiel's value wins.
        let refusal =
            check_siren(TypeStructure::Commune, &siret_of("219300662"), &seat()).unwrap_err();
        assert_eq!(refusal.kind().status(), 422);
        assert_eq!(refusal.code_at(), ("siren_incoherent", Some("/siret")));
        let no_siren = Seat {
            commune_siren: None,
            ..seat()
        };
        assert!(check_siren(TypeStructure::Commune, &siret_of("200090504"), &no_siren).is_err());
    }

    #[test]
    fn an_epci_must_be_one_its_seat_belongs_to() {
        assert_eq!(
            check_siren(TypeStructure::Epci, &siret_of("200057867"), &seat()),
            Ok(())
        );
        // The commune's own SIREN is not an EPCI's.
        assert!(check_siren(TypeStructure::Epci, &siret_of("200090504"), &seat()).is_err());
    }

    #[test]
    fn other_types_are_not_checked_against_the_referentiel() {
        for kind in [
            TypeStructure::Departement,
            TypeStructure::Region,
            TypeStructure::AutrePublic,
            TypeStructure::Association,
            TypeStructure::AutrePrive,
        ] {
            assert_eq!(check_siren(kind, &siret_of("775672272"), &seat()), Ok(()));
        }
    }

    #[test]
    fn public_bodies_are_public_employers_and_the_others_private() {
        let public: Vec<TypeStructure> = TypeStructure::ALL
            .iter()
            .copied()
            .filter(|kind| kind.categorie() == CategorieEmployeur::Public)
            .collect();
        assert_eq!(
            public,
            [
                TypeStructure::Commune,
                TypeStructure::Epci,
                TypeStructure::Departement,
                TypeStructure::Region,
                TypeStructure::AutrePublic,
            ]
        );
        assert_eq!(
            TypeStructure::Association.categorie(),
            CategorieEmployeur::Prive
        );
        assert_eq!(
            TypeStructure::AutrePrive.categorie(),
            CategorieEmployeur::Prive
        );
    }
}
