//! The Diesel schema, written by hand to match `migrations/` (identical on both backends);
//! `tests/schema.rs` compares it with the migrated databases.

diesel::table! {
    regions (code) {
        code -> Text,
        nom -> Text,
        chef_lieu -> Nullable<Text>,
        zone -> Text,
    }
}

diesel::table! {
    departements (code) {
        code -> Text,
        nom -> Text,
        region -> Text,
        chef_lieu -> Nullable<Text>,
        zone -> Text,
    }
}

diesel::table! {
    communes (code_insee) {
        code_insee -> Text,
        nom -> Text,
        nom_recherche -> Text,
        departement -> Text,
        region -> Text,
        siren -> Nullable<Text>,
        population -> Nullable<BigInt>,
    }
}

diesel::table! {
    communes_codes_postaux (code_postal, code_insee) {
        code_postal -> Text,
        code_insee -> Text,
    }
}

diesel::table! {
    epci (siren) {
        siren -> Text,
        nom -> Text,
        nom_recherche -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        population -> Nullable<BigInt>,
    }
}

diesel::table! {
    epci_membres (epci_siren, code_insee) {
        epci_siren -> Text,
        code_insee -> Text,
    }
}

diesel::table! {
    referentiel_chargements (jeu) {
        jeu -> Text,
        empreinte -> Text,
        charge_le -> Text,
    }
}

diesel::table! {
    idempotence (appelant, cle) {
        appelant -> Text,
        cle -> Text,
        empreinte -> Text,
        statut -> Nullable<Integer>,
        corps -> Nullable<Text>,
        location -> Nullable<Text>,
        cree_le -> Text,
        expire_le -> Text,
    }
}

diesel::joinable!(departements -> regions (region));
diesel::joinable!(communes -> departements (departement));
diesel::joinable!(communes_codes_postaux -> communes (code_insee));
diesel::joinable!(epci_membres -> epci (epci_siren));
diesel::joinable!(epci_membres -> communes (code_insee));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    departements,
    communes,
    communes_codes_postaux,
    epci,
    epci_membres,
    referentiel_chargements,
    idempotence,
);
