//! The integration tests, as one test binary: one module per area (linking and preparing the
//! SQLite template once for all of them instead of once per file). Run one area with
//! `cargo test --test suite <module>::`, e.g. `cargo test --test suite conventions::`.

#[macro_use]
mod common;

mod access_matrix;
mod activites;
mod anonymisation;
mod baremes;
mod bounded_resources;
mod cache_lectures;
mod conseillers;
mod contrats;
mod contrats_directs;
mod conventions;
mod coordination;
mod demo;
mod donnees_personnelles;
mod entrees;
mod errors;
mod exports;
mod financement;
mod financement_concurrence;
mod financement_proprietes;
mod formations;
mod idempotency;
mod isolation;
mod layers;
mod lieux;
mod lieux_conseillers;
mod migration;
mod observabilite;
mod openapi;
mod partition;
mod personnes;
mod postes;
mod postes_concurrence;
mod referentiel;
mod referentiel_reload;
mod registries;
mod schema;
mod security_headers;
mod seed_national;
mod shutdown;
mod startup;
mod statistiques;
mod structures;
mod swagger;
mod tokens;
mod use_cases;
mod write_path;
