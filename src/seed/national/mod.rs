//! `cnfs-api seed --scale national`: a deterministic national dataset, for load tests and
//! benchmarks.
//!
//! [`generation`] builds every row in memory from the référentiel and a graine (the same graine
//! on the same database gives the same rows, ids included); [`seed_national`] writes them in bulk
//! ([`crate::db::repo::seed_national`]: `COPY` on PostgreSQL, multi-row `INSERT`s on SQLite) in one
//! write transaction, the per-day and per-month aggregates computed alongside, and reports each
//! step.
//!
//! - One transaction for the whole write: a seed that fails leaves nothing behind, so it can be
//!   run again without `--force`.
//! - A database that already holds programme data (structures, conventions, envelopes,
//!   commitments, lieux, advisors or activities) is refused unless `--force`; then the seed adds
//!   to it: its graine is mixed with what the database holds (new ids), SIRETs already taken get
//!   another establishment number (NIC), convention numbers continue each département's counter,
//!   and the aggregates are added to (never overwritten). The new national envelope comes
//!   in addition to any other.
//! - No journal entries: the journal records who changed what through the API; a seed is not a
//!   change by anyone (the rows' `cree_le`/`modifie_le` carry their history's dates).

pub mod alea;
pub mod generation;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;

use crate::db::repo::seed_national as repo;
use crate::db::{self, DbConn};
use generation::{Parametres, RegleEnfreinte};

/// Activities generated when `--activites` is not given.
pub const ACTIVITES_PAR_DEFAUT: u64 = 1_000_000;
/// The graine when `--graine` is not given.
pub const GRAINE_PAR_DEFAUT: u64 = 2021;
/// Activities per bulk statement group (one progress line each).
const ACTIVITES_PAR_LOT: usize = 200_000;

/// The tables the seed writes.
const TABLES_ECRITES: [&str; 18] = [
    "structures",
    "conventions",
    "conventions_signataires",
    "conventions_repartition",
    "enveloppes",
    "enveloppes_departements",
    "engagements",
    "versements",
    "lieux",
    "conseillers",
    "conseillers_lieux",
    "contrats",
    "postes",
    "postes_historique",
    "activites",
    "activites_jour",
    "activites_mois",
    "conventions_numeros",
];

/// What to seed.
#[derive(Debug, Clone)]
pub struct Options {
    /// The graine of the generator.
    pub graine: u64,
    /// Activities to generate.
    pub activites: u64,
    /// Add to a database that already holds programme data.
    pub force: bool,
    /// Today: nothing is dated after it (activities stop at 2024-12-31 anyway).
    pub today: NaiveDate,
}

/// One step of the seed, done (or, for the activities, done so far).
#[derive(Debug, Clone, PartialEq)]
pub struct Etape {
    /// What it did.
    pub nom: &'static str,
    /// Rows read, generated or written.
    pub lignes: u64,
    /// How long it took.
    pub duree: Duration,
}

/// `1234567` → `"1 234 567"`.
pub fn milliers(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, c) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

impl std::fmt::Display for Etape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.duree.as_secs_f64();
        let rate = if seconds > 0.0 && self.lignes > 0 {
            milliers((self.lignes as f64 / seconds) as u64)
        } else {
            "—".to_owned()
        };
        write!(
            f,
            "{:<30} {:>11} lignes {:>8.2} s {:>11} lignes/s",
            self.nom,
            milliers(self.lignes),
            seconds,
            rate
        )
    }
}

/// What the seed did.
#[derive(Debug, Clone)]
pub struct Bilan {
    /// The graine used (mixed with what the database held under `--force`).
    pub graine: u64,
    /// Each step.
    pub etapes: Vec<Etape>,
    /// From start to commit and analysis.
    pub duree: Duration,
    /// Counts of what was written: structures, conventions, lieux, advisors (of which en poste),
    /// posts, activities.
    pub comptes: Comptes,
}

/// Counts of the dataset written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Comptes {
    /// Départements with conventions.
    pub departements: u64,
    /// Structures.
    pub structures: u64,
    /// Conventions.
    pub conventions: u64,
    /// Posts granted.
    pub postes: u64,
    /// Posts attributed to a host (those of the validated conventions), written as rows.
    pub postes_attribues: u64,
    /// Lieux.
    pub lieux: u64,
    /// Advisors.
    pub conseillers: u64,
    /// Advisors en poste.
    pub en_poste: u64,
    /// Commitments.
    pub engagements: u64,
    /// Payments.
    pub versements: u64,
    /// Activities.
    pub activites: u64,
}

/// Why the seed did not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database holds programme data and `--force` was not given.
    #[error(
        "la base contient déjà des données du programme ({}) : relancer avec --force pour y ajouter le jeu national",
        .0.iter().map(|(t, n)| format!("{t} : {n}")).collect::<Vec<_>>().join(", ")
    )]
    DonneesPresentes(Vec<(&'static str, i64)>),
    /// The référentiel is not loaded (run `cnfs-api migrate` first).
    #[error("référentiel absent : lancer d'abord `cnfs-api migrate`")]
    ReferentielAbsent,
    /// A generated row broke a rule of the domain (a bug of the generator).
    #[error(transparent)]
    Regle(#[from] RegleEnfreinte),
    /// The database refused or failed.
    #[error("base de données : {0}")]
    Base(#[from] diesel::result::Error),
}

fn timed<T>(
    progress: &mut dyn FnMut(&Etape),
    etapes: &mut Vec<Etape>,
    nom: &'static str,
    f: impl FnOnce() -> Result<(T, u64), SeedError>,
) -> Result<T, SeedError> {
    let started = Instant::now();
    let (value, lignes) = f()?;
    let etape = Etape {
        nom,
        lignes,
        duree: started.elapsed(),
    };
    progress(&etape);
    etapes.push(etape);
    Ok(value)
}

/// Seeds the national dataset into the migrated database behind `conn` (référentiel loaded),
/// calling `progress` after each step. See the module documentation.
pub fn seed_national(
    conn: &mut DbConn,
    options: &Options,
    progress: &mut dyn FnMut(&Etape),
) -> Result<Bilan, SeedError> {
    let started = Instant::now();
    let mut etapes = Vec::new();
    let (source, existant) = timed(progress, &mut etapes, "lecture du référentiel", || {
        let source = repo::referentiel(conn)?;
        let existant = repo::existant(conn)?;
        let lignes = (source.communes.len() + source.epci.len()) as u64;
        Ok(((source, existant), lignes))
    })?;
    if source.departements.is_empty() || source.communes.is_empty() {
        return Err(SeedError::ReferentielAbsent);
    }
    if !existant.is_empty() && !options.force {
        return Err(SeedError::DonneesPresentes(existant.tables.clone()));
    }
    let parametres = Parametres {
        graine: generation::graine_effective(options.graine, &existant),
        activites: options.activites,
        today: options.today,
    };
    let programme = timed(progress, &mut etapes, "génération du programme", || {
        let p = generation::programme(&source, &existant, &parametres)?;
        let lignes = (p.structures.len()
            + p.conventions.len()
            + p.financement.engagements.len()
            + p.financement.versements.len()
            + p.lieux.len()
            + p.conseillers.len()
            + p.contrats.len()
            + p.postes.len()) as u64;
        Ok((p, lignes))
    })?;
    let activites = timed(progress, &mut etapes, "génération des activités", || {
        let a = generation::activites(&programme.declarants, &parametres)?;
        let lignes = a.activites.len() as u64;
        Ok((a, lignes))
    })?;
    let declarants: Vec<repo::DeclarantSeed> = programme
        .declarants
        .iter()
        .map(|(d, _, _)| d.clone())
        .collect();
    if let DbConn::Sqlite(sqlite) = conn {
        // A larger page cache (256 MB) for the index inserts of the big tables.
        sqlite.batch_execute("PRAGMA cache_size = -262144;")?;
    }
    let add_to_aggregates = existant.rows("activites") > 0;
    let commit_started = std::cell::Cell::new(Instant::now());
    db::write(conn, |tx| -> Result<(), SeedError> {
        let p = &programme;
        timed(progress, &mut etapes, "structures", || {
            Ok(((), repo::write_structures(tx, &p.structures)? as u64))
        })?;
        timed(progress, &mut etapes, "conventions (+ signataires)", || {
            repo::write_conventions(tx, &p.conventions, &p.numeros)?;
            let rows = p.conventions.len()
                + p.conventions
                    .iter()
                    .map(|c| c.signataires.len() + c.repartition.len())
                    .sum::<usize>();
            Ok(((), rows as u64))
        })?;
        timed(progress, &mut etapes, "financement", || {
            Ok(((), repo::write_financement(tx, &p.financement)? as u64))
        })?;
        timed(progress, &mut etapes, "lieux", || {
            Ok(((), repo::write_lieux(tx, &p.lieux)? as u64))
        })?;
        timed(progress, &mut etapes, "conseillers", || {
            let written = repo::write_conseillers(tx, &p.conseillers)?
                + repo::write_lieux_conseillers(tx, &p.conseillers)?;
            Ok(((), written as u64))
        })?;
        timed(progress, &mut etapes, "contrats", || {
            Ok(((), repo::write_contrats(tx, &p.contrats)? as u64))
        })?;
        // Posts and their history (their rows count both), then the contracts' posts.
        timed(progress, &mut etapes, "postes", || {
            let written = repo::write_postes(tx, &p.postes)?;
            repo::lier_contrats_postes(tx)?;
            Ok(((), written as u64))
        })?;
        let step = Instant::now();
        let mut written = 0u64;
        for lot in activites.activites.chunks(ACTIVITES_PAR_LOT) {
            written += repo::write_activites(tx, lot, &declarants)? as u64;
            if written < activites.activites.len() as u64 {
                progress(&Etape {
                    nom: "activités (en cours)",
                    lignes: written,
                    duree: step.elapsed(),
                });
            }
        }
        let etape = Etape {
            nom: "activités",
            lignes: written,
            duree: step.elapsed(),
        };
        progress(&etape);
        etapes.push(etape);
        timed(progress, &mut etapes, "agrégats par jour et mois", || {
            let mut rows = 0;
            for (agregat, sommes) in [
                (repo::Agregat::Jour, &activites.jours),
                (repo::Agregat::Mois, &activites.mois),
            ] {
                rows += if add_to_aggregates {
                    repo::add_sommes(tx, agregat, sommes)?
                } else {
                    repo::write_sommes(tx, agregat, sommes)?
                };
            }
            Ok(((), rows as u64))
        })?;
        commit_started.set(Instant::now());
        Ok(())
    })?;
    let etape = Etape {
        nom: "validation (commit)",
        lignes: 0,
        duree: commit_started.get().elapsed(),
    };
    progress(&etape);
    etapes.push(etape);
    timed(
        progress,
        &mut etapes,
        "statistiques du planificateur",
        || {
            // Fresh planner statistics for the tables just filled. On PostgreSQL, VACUUM as well
            // (what autovacuum does a little later to a table that received many inserts): the
            // visibility map lets the statistics read their covering indexes without the table
            // (an index-only scan); without it, the national conventions' groups took 4.9 ms
            // instead of 1.6. VACUUM refuses a multi-statement string: one call per table.
            if matches!(conn, DbConn::Pg(_)) {
                for table in TABLES_ECRITES {
                    conn.batch_execute(&format!("VACUUM (ANALYZE) {table}"))?;
                }
            } else {
                let tables = TABLES_ECRITES.map(|table| format!("ANALYZE {table};"));
                conn.batch_execute(&tables.join(" "))?;
            }
            Ok(((), 0))
        },
    )?;
    let p = &programme;
    let comptes = Comptes {
        departements: p.numeros.len() as u64,
        structures: p.structures.len() as u64,
        conventions: p.conventions.len() as u64,
        postes: p
            .conventions
            .iter()
            .map(|c| c.postes_attribues as u64)
            .sum(),
        postes_attribues: p.postes.len() as u64,
        lieux: p.lieux.len() as u64,
        conseillers: p.conseillers.len() as u64,
        en_poste: p.declarants.len() as u64,
        engagements: p.financement.engagements.len() as u64,
        versements: p.financement.versements.len() as u64,
        activites: activites.activites.len() as u64,
    };
    Ok(Bilan {
        graine: parametres.graine,
        etapes,
        duree: started.elapsed(),
        comptes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_spaced() {
        for (number, spaced) in [
            (0, "0"),
            (999, "999"),
            (1000, "1 000"),
            (1_234_567, "1 234 567"),
        ] {
            assert_eq!(milliers(number), spaced);
        }
    }
}
