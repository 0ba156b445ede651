//! Identifiers of the programme's resources, each declared with [`id_type!`](crate::id_type):
//! a UUID v7 as text, never a bare `String`. A new resource adds its line here.

use crate::id_type;

id_type! {
    /// Identifiant d'une structure (UUID).
    StructureId
}

id_type! {
    /// Identifiant d'une convention (UUID).
    ConventionId
}

id_type! {
    /// Identifiant d'un avenant à une convention (UUID).
    AvenantId
}

id_type! {
    /// Identifiant d'une entrée du journal (UUID, dans l'ordre du temps).
    JournalId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_is_lower_case_hyphenated() {
        assert!(crate::domain::is_canonical_uuid(
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
        ));
        for other in [
            "01936B2E-9A4C-7D41-8F3E-2B5C6D7E8F90",
            "01936b2e9a4c7d418f3e2b5c6d7e8f90",
            "{01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90}",
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f9",
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f9g",
            "01936b2e_9a4c-7d41-8f3e-2b5c6d7e8f90",
            "",
        ] {
            assert!(!crate::domain::is_canonical_uuid(other), "{other}");
        }
    }

    #[test]
    fn identifiers_are_uuids_in_lower_case() {
        let id = StructureId::new();
        assert_eq!(StructureId::parse(id.as_str()).unwrap(), id);
        let upper = "01936B2E-9A4C-7D41-8F3E-2B5C6D7E8F90";
        assert_eq!(
            StructureId::parse(upper).unwrap().as_str(),
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
        );
        assert!(StructureId::parse("structure-1").is_err());
        // Owned text keeps its form's rules: canonical text is kept, other UUID forms are
        // rewritten, anything else refused.
        let canonical = id.as_str().to_owned();
        assert_eq!(StructureId::parse_owned(canonical).unwrap(), id);
        assert_eq!(
            StructureId::parse_owned(upper.to_owned()).unwrap().as_str(),
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
        );
        assert_eq!(
            StructureId::parse_owned("01936b2e9a4c7d418f3e2b5c6d7e8f90".to_owned())
                .unwrap()
                .as_str(),
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
        );
        assert!(
            StructureId::parse_owned("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f9g".to_owned()).is_err()
        );
        assert!(StructureId::try_from("structure-1".to_owned()).is_err());
        let from_json: Vec<StructureId> =
            serde_json::from_str(r#"["01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"]"#).unwrap();
        assert_eq!(
            from_json[0].as_str(),
            "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
        );
        // Time-ordered: a later identifier sorts after an earlier one.
        let later = StructureId::new();
        assert!(later > id);
    }
}

id_type! {
    /// Identifiant d'une enveloppe de financement (UUID).
    EnveloppeId
}

id_type! {
    /// Identifiant d'un engagement de crédits (UUID).
    EngagementId
}

id_type! {
    /// Identifiant d'un versement (UUID).
    VersementId
}

id_type! {
    /// Identifiant d'un conseiller numérique (UUID).
    ConseillerId
}

id_type! {
    /// Identifiant d'un lieu d'activité (UUID).
    LieuId
}

id_type! {
    /// Identifiant d'une activité (atelier ou accompagnement, UUID).
    ActiviteId
}

id_type! {
    /// Identifiant d'un poste attribué à une structure d'accueil (UUID).
    PosteId
}

id_type! {
    /// Identifiant d'un contrat de conseiller (UUID).
    ContratId
}

id_type! {
    /// Identifiant d'une formation suivie par un conseiller (UUID).
    FormationId
}

id_type! {
    /// Identifiant d'une certification passée par un conseiller (UUID).
    CertificationId
}
