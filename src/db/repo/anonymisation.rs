//! Anonymisation (`cnfs-api anonymiser`): the personal data (`nom`, `prenom`, `email`,
//! `telephone`, `commune_residence`) of an advisor whose contracts ended more than N months ago,
//! or of a person recorded more than N months ago who never had a contract, is erased;
//! everything the statistics use (contracts, dates, département, structure, convention, place,
//! local recruitment) stays as it was.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::idempotency::stored_time;
use super::journal::{self, Author, Change};
use super::{date_text, stored};
use crate::db::WriteTx;
use crate::db::schema::conseillers;
use crate::domain::calendar::sub_months;
use crate::domain::codes::CodeDepartement;
use crate::domain::journal::RessourceJournal;
use crate::lock_rows;

/// The author of the journal entries: the command, with the role `systeme` (no token's role).
pub const AUTHOR_SUB: &str = "cnfs-api anonymiser";
/// The role written in the journal for the command.
pub const AUTHOR_ROLE: &str = "systeme";
/// The journal's action.
pub const ACTION: &str = "anonymisation";
/// Rows updated per statement (keeps the bind parameters of `id IN (…)` far below both
/// backends' limits).
const BATCH: usize = 500;

/// The first exit date that is kept: advisors who left strictly before it are anonymised
/// (`today` − `months` calendar months, clamped to the end of a shorter month). `None` when the
/// subtraction leaves the calendar's range (then nobody left before it).
pub fn cutoff(today: NaiveDate, months: u32) -> Option<NaiveDate> {
    sub_months(today, months)
}

/// Erases the personal data of every advisor whose contracts' last day (`fin_contrats`) is
/// strictly before [`cutoff`]`(today, months)`, and of every person recorded before it who never
/// had a contract, when not anonymised yet: the four personal fields become NULL,
/// `anonymise_le` and `modifie_le` are set to now, `version` is bumped; one journal entry per
/// advisor, without personal data (`{"anonymise": false}` → `{"anonymise": true}`). Returns how
/// many advisors were anonymised (0 on a second run).
///
/// The rows are read and locked first (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the write
/// transaction already holds the database), so that two runs at once never anonymise, count or
/// journal an advisor twice.
pub fn anonymise_departed(
    tx: &mut WriteTx<'_>,
    today: NaiveDate,
    months: u32,
) -> QueryResult<usize> {
    let Some(cutoff) = cutoff(today, months) else {
        return Ok(0);
    };
    let limite = date_text(cutoff);
    let retenu = conseillers::fin_contrats
        .lt(limite.clone())
        .or(conseillers::convention_id
            .is_null()
            .and(conseillers::cree_le.lt(limite.clone())));
    let targets = lock_rows!(tx, conseillers::table
        .filter(retenu.clone())
        .filter(conseillers::anonymise_le.is_null())
        .order(conseillers::id)
        .select((conseillers::id, conseillers::departement)) => (String, String))?;
    if targets.is_empty() {
        return Ok(0);
    }
    let now = stored_time(Utc::now());
    let mut changed = 0;
    for batch in targets.chunks(BATCH) {
        let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
        changed += diesel::update(
            conseillers::table
                .filter(conseillers::id.eq_any(ids))
                .filter(retenu.clone())
                .filter(conseillers::anonymise_le.is_null()),
        )
        .set((
            conseillers::nom.eq(None::<String>),
            conseillers::prenom.eq(None::<String>),
            conseillers::email.eq(None::<String>),
            conseillers::telephone.eq(None::<String>),
            conseillers::commune_residence.eq(None::<String>),
            conseillers::anonymise_le.eq(&now),
            conseillers::version.eq(conseillers::version + 1),
            conseillers::modifie_le.eq(&now),
        ))
        .execute(tx.conn())?;
    }
    if changed != targets.len() {
        // The rows are locked: anything else is a bug, and the transaction rolls back.
        return Err(diesel::result::Error::QueryBuilderError(
            format!(
                "anonymisation : {changed} ligne(s) modifiée(s) pour {} verrouillée(s)",
                targets.len()
            )
            .into(),
        ));
    }
    let author = Author {
        sub: AUTHOR_SUB.to_owned(),
        role: AUTHOR_ROLE.to_owned(),
    };
    let before = flag(false);
    let after = flag(true);
    for (id, departement) in &targets {
        let departement = stored(CodeDepartement::parse(departement))?;
        journal::record(
            tx,
            Change {
                author: &author,
                action: ACTION,
                ressource: RessourceJournal::Conseiller,
                ressource_id: id,
                departement: Some(&departement),
                before: Some(&before),
                after: &after,
            },
        )?;
    }
    Ok(changed)
}

/// `{"anonymise": value}`: all the journal says about the change.
fn flag(value: bool) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("anonymise".to_owned(), Value::Bool(value));
    map
}
