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
        actuelle -> Bool,
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
        etag -> Nullable<Text>,
    }
}

diesel::table! {
    structures (id) {
        id -> Text,
        siret -> Text,
        siren -> Text,
        nom -> Text,
        nom_recherche -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        code_insee -> Text,
        departement -> Text,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
        territoire_prioritaire -> Bool,
    }
}

diesel::table! {
    conventions (id) {
        id -> Text,
        numero -> Text,
        departement -> Text,
        intitule -> Text,
        postes_attribues -> BigInt,
        postes_pourvus -> BigInt,
        delai_projet_mois -> BigInt,
        statut -> Text,
        date_signature -> Nullable<Text>,
        date_limite_projet -> Nullable<Text>,
        date_depot -> Nullable<Text>,
        lieux_prevus -> Nullable<BigInt>,
        date_validation -> Nullable<Text>,
        date_cloture -> Nullable<Text>,
        date_resiliation -> Nullable<Text>,
        motif_resiliation -> Nullable<Text>,
        signataires -> Text,
        repartition -> Text,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
    }
}

diesel::table! {
    conventions_numeros (departement) {
        departement -> Text,
        dernier -> BigInt,
    }
}

diesel::table! {
    conventions_signataires (convention_id, structure_id) {
        convention_id -> Text,
        structure_id -> Text,
    }
}

diesel::table! {
    conventions_repartition (convention_id, structure_id) {
        convention_id -> Text,
        structure_id -> Text,
        postes -> BigInt,
        postes_coordinateur -> BigInt,
    }
}

diesel::table! {
    avenants (id) {
        id -> Text,
        convention_id -> Text,
        rang -> BigInt,
        #[sql_name = "type"]
        type_ -> Text,
        nombre_postes -> BigInt,
        motif -> Text,
        postes_avant -> BigInt,
        postes_apres -> BigInt,
        auteur -> Text,
        cree_le -> Text,
    }
}

diesel::table! {
    journal (id) {
        id -> Text,
        horodatage -> Text,
        sub -> Text,
        role -> Text,
        action -> Text,
        ressource -> Text,
        ressource_id -> Text,
        departement -> Nullable<Text>,
        avant -> Nullable<Text>,
        apres -> Nullable<Text>,
    }
}

diesel::table! {
    enveloppes (id) {
        id -> Text,
        libelle -> Text,
        financeur -> Text,
        programme_budgetaire -> Nullable<Text>,
        nature -> Text,
        montant_centimes -> BigInt,
        date_debut -> Text,
        date_fin -> Text,
        perimetre_departement -> Nullable<Text>,
        objectif_postes -> Nullable<BigInt>,
        engage_centimes -> BigInt,
        verse_centimes -> BigInt,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
    }
}

diesel::table! {
    baremes (enveloppe_id, categorie, territoire_prioritaire) {
        enveloppe_id -> Text,
        categorie -> Text,
        territoire_prioritaire -> Bool,
        montant_par_poste_centimes -> BigInt,
        duree_mois -> BigInt,
        tranches -> Text,
    }
}

diesel::table! {
    enveloppes_departements (enveloppe_id, departement) {
        enveloppe_id -> Text,
        departement -> Text,
        plafond_centimes -> Nullable<BigInt>,
        engage_centimes -> BigInt,
        verse_centimes -> BigInt,
    }
}

diesel::table! {
    engagements (id) {
        id -> Text,
        enveloppe_id -> Text,
        convention_id -> Text,
        departement -> Text,
        montant_centimes -> BigInt,
        verse_centimes -> BigInt,
        date_engagement -> Text,
        objet -> Text,
        statut -> Text,
        date_annulation -> Nullable<Text>,
        motif_annulation -> Nullable<Text>,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
        beneficiaire_id -> Text,
    }
}

diesel::table! {
    versements (id) {
        id -> Text,
        engagement_id -> Text,
        montant_centimes -> BigInt,
        date_versement -> Text,
        reference -> Text,
        statut -> Text,
        date_annulation -> Nullable<Text>,
        motif_annulation -> Nullable<Text>,
        cree_le -> Text,
        tranche -> Nullable<BigInt>,
    }
}

diesel::table! {
    lieux (id) {
        id -> Text,
        structure_id -> Text,
        nom -> Text,
        adresse -> Text,
        code_postal -> Text,
        code_insee -> Text,
        departement -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        horaires -> Nullable<Text>,
        telephone -> Nullable<Text>,
        courriels -> Text,
        site_web -> Text,
        itinerance -> Text,
        services -> Text,
        modalites_acces -> Text,
        publics_specifiquement_adresses -> Text,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
    }
}

diesel::table! {
    conseillers (id) {
        id -> Text,
        convention_id -> Nullable<Text>,
        departement -> Text,
        structure_id -> Text,
        nom -> Nullable<Text>,
        prenom -> Nullable<Text>,
        email -> Nullable<Text>,
        commune_residence -> Nullable<Text>,
        anonymise_le -> Nullable<Text>,
        recrutement_local -> Bool,
        type_contrat -> Nullable<Text>,
        date_recrutement -> Nullable<Text>,
        date_debut_formation -> Nullable<Text>,
        organisme_formation -> Nullable<Text>,
        date_certification -> Nullable<Text>,
        date_prise_poste -> Nullable<Text>,
        lieu_id -> Nullable<Text>,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
        telephone -> Nullable<Text>,
        doublon_de -> Nullable<Text>,
        fin_contrats -> Nullable<Text>,
    }
}

diesel::table! {
    activites (id) {
        id -> Text,
        conseiller_id -> Text,
        structure_id -> Text,
        departement -> Text,
        lieu_id -> Nullable<Text>,
        date -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        duree_minutes -> Integer,
        nb_participants -> Integer,
        thematiques -> Text,
        cree_le -> Text,
        supprime_le -> Nullable<Text>,
        type_lieu -> Text,
        code_insee -> Nullable<Text>,
    }
}

diesel::table! {
    activites_jour (departement, jour) {
        departement -> Text,
        jour -> Text,
        nombre -> BigInt,
        participants -> BigInt,
        minutes -> BigInt,
        t_echanger_avec_ses_proches -> BigInt,
        t_trouver_un_emploi -> BigInt,
        t_accompagner_scolarite -> BigInt,
        t_donnees_personnelles -> BigInt,
        t_verifier_les_informations -> BigInt,
        t_demarches_en_ligne -> BigInt,
        t_prendre_en_main_un_equipement -> BigInt,
        t_naviguer_sur_internet -> BigInt,
        t_courriels -> BigInt,
        t_securite_numerique -> BigInt,
        t_sante -> BigInt,
        t_budget -> BigInt,
        t_autre -> BigInt,
        l_lieu_activite -> BigInt,
        l_domicile -> BigInt,
        l_a_distance -> BigInt,
        l_autre -> BigInt,
    }
}

diesel::table! {
    activites_mois (departement, mois) {
        departement -> Text,
        mois -> Text,
        nombre -> BigInt,
        participants -> BigInt,
        minutes -> BigInt,
        t_echanger_avec_ses_proches -> BigInt,
        t_trouver_un_emploi -> BigInt,
        t_accompagner_scolarite -> BigInt,
        t_donnees_personnelles -> BigInt,
        t_verifier_les_informations -> BigInt,
        t_demarches_en_ligne -> BigInt,
        t_prendre_en_main_un_equipement -> BigInt,
        t_naviguer_sur_internet -> BigInt,
        t_courriels -> BigInt,
        t_securite_numerique -> BigInt,
        t_sante -> BigInt,
        t_budget -> BigInt,
        t_autre -> BigInt,
        l_lieu_activite -> BigInt,
        l_domicile -> BigInt,
        l_a_distance -> BigInt,
        l_autre -> BigInt,
    }
}

diesel::table! {
    postes (id) {
        id -> Text,
        convention_id -> Text,
        structure_id -> Text,
        departement -> Text,
        typologie -> Text,
        etat -> Text,
        depuis -> Text,
        conseiller_id -> Nullable<Text>,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
        contrat_id -> Nullable<Text>,
        libere_le -> Nullable<Text>,
    }
}

diesel::table! {
    contrats (id) {
        id -> Text,
        conseiller_id -> Text,
        poste_id -> Nullable<Text>,
        structure_id -> Text,
        convention_id -> Text,
        departement -> Text,
        typologie -> Text,
        #[sql_name = "type"]
        type_contrat -> Text,
        date_debut -> Text,
        date_fin -> Nullable<Text>,
        date_rupture -> Nullable<Text>,
        motif_rupture -> Nullable<Text>,
        commentaire_rupture -> Nullable<Text>,
        salaire_brut_mensuel_centimes -> Nullable<BigInt>,
        version -> BigInt,
        cree_le -> Text,
        modifie_le -> Text,
    }
}

diesel::table! {
    conseillers_lieux (conseiller_id, lieu_id) {
        conseiller_id -> Text,
        lieu_id -> Text,
        principal -> Bool,
    }
}

diesel::table! {
    postes_historique (poste_id, rang) {
        poste_id -> Text,
        rang -> BigInt,
        date -> Text,
        evenement -> Text,
        etat -> Text,
        structure_id -> Text,
        conseiller_id -> Nullable<Text>,
    }
}

diesel::table! {
    formations (id) {
        id -> Text,
        conseiller_id -> Text,
        #[sql_name = "type"]
        type_formation -> Text,
        parcours_heures -> Nullable<Integer>,
        date_debut -> Text,
        date_fin -> Nullable<Text>,
        organisme -> Nullable<Text>,
        contrat_id -> Nullable<Text>,
        structure_id -> Text,
        reprise -> Bool,
        version -> BigInt,
        cree_le -> Text,
    }
}

diesel::table! {
    certifications (id) {
        id -> Text,
        conseiller_id -> Text,
        formation_id -> Text,
        #[sql_name = "type"]
        type_certification -> Text,
        date -> Text,
        resultat -> Text,
        reprise -> Bool,
        version -> BigInt,
        cree_le -> Text,
    }
}

diesel::joinable!(departements -> regions (region));
diesel::joinable!(communes -> departements (departement));
diesel::joinable!(communes_codes_postaux -> communes (code_insee));
diesel::joinable!(epci_membres -> epci (epci_siren));
diesel::joinable!(epci_membres -> communes (code_insee));
diesel::joinable!(structures -> communes (code_insee));
diesel::joinable!(conventions -> departements (departement));
diesel::joinable!(conventions_signataires -> conventions (convention_id));
diesel::joinable!(conventions_signataires -> structures (structure_id));
diesel::joinable!(conventions_repartition -> conventions (convention_id));
diesel::joinable!(conventions_repartition -> structures (structure_id));
diesel::joinable!(avenants -> conventions (convention_id));
diesel::joinable!(enveloppes_departements -> enveloppes (enveloppe_id));
diesel::joinable!(baremes -> enveloppes (enveloppe_id));
diesel::joinable!(engagements -> enveloppes (enveloppe_id));
diesel::joinable!(engagements -> conventions (convention_id));
diesel::joinable!(versements -> engagements (engagement_id));
diesel::joinable!(lieux -> structures (structure_id));
diesel::joinable!(lieux -> communes (code_insee));
diesel::joinable!(conseillers -> conventions (convention_id));
diesel::joinable!(conseillers -> structures (structure_id));
diesel::joinable!(conseillers -> lieux (lieu_id));
diesel::joinable!(activites -> conseillers (conseiller_id));
diesel::joinable!(activites -> structures (structure_id));
diesel::joinable!(activites -> lieux (lieu_id));
diesel::joinable!(postes -> conventions (convention_id));
diesel::joinable!(postes -> structures (structure_id));
diesel::joinable!(postes -> conseillers (conseiller_id));
diesel::joinable!(postes_historique -> postes (poste_id));
diesel::joinable!(contrats -> conseillers (conseiller_id));
diesel::joinable!(conseillers_lieux -> conseillers (conseiller_id));
diesel::joinable!(conseillers_lieux -> lieux (lieu_id));
diesel::joinable!(contrats -> structures (structure_id));
diesel::joinable!(formations -> conseillers (conseiller_id));
diesel::joinable!(certifications -> formations (formation_id));
diesel::joinable!(activites_jour -> departements (departement));
diesel::joinable!(activites_mois -> departements (departement));

diesel::table! {
    coordinations (conseiller_id) {
        conseiller_id -> Text,
        coordinateur_id -> Text,
        depuis -> Text,
        cree_le -> Text,
    }
}

diesel::table! {
    generations (ressource) {
        ressource -> Text,
        valeur -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    departements,
    communes,
    communes_codes_postaux,
    epci,
    epci_membres,
    referentiel_chargements,
    idempotence,
    structures,
    conventions,
    conventions_numeros,
    conventions_signataires,
    conventions_repartition,
    avenants,
    journal,
    enveloppes,
    enveloppes_departements,
    baremes,
    engagements,
    versements,
    lieux,
    conseillers,
    activites,
    activites_jour,
    activites_mois,
    generations,
    postes,
    postes_historique,
    contrats,
    conseillers_lieux,
    coordinations,
    formations,
    certifications,
);
