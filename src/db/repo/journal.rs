//! The journal of changes: one entry per change, written through the same write transaction as
//! the change; read by resource or by département.

use chrono::Utc;
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::idempotency::stored_time;
use super::{stored, stored_option};
use crate::db::WriteTx;
use crate::db::schema::journal;
use crate::domain::codes::CodeDepartement;
use crate::domain::filter::JournalFilter;
use crate::domain::ids::JournalId;
use crate::domain::journal::{EntreeJournal, RessourceJournal, changed_fields};
use crate::list_fn;

/// Who made a change (the token's `sub` and role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The token's subject.
    pub sub: String,
    /// The token's role.
    pub role: String,
}

/// A row of `journal`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = journal, treat_none_as_default_value = false)]
pub struct JournalRow {
    id: String,
    horodatage: String,
    sub: String,
    role: String,
    action: String,
    ressource: String,
    ressource_id: String,
    departement: Option<String>,
    avant: Option<String>,
    apres: Option<String>,
}

/// A change to record: the object's state before (none for a creation) and after, as JSON
/// objects; only the fields that differ are kept.
pub struct Change<'a> {
    /// Who.
    pub author: &'a Author,
    /// What (`creation`, `modification`, an action's name).
    pub action: &'a str,
    /// On what kind of object.
    pub ressource: RessourceJournal,
    /// Its identifier.
    pub ressource_id: &'a str,
    /// Its département (none for a national object: only national readers see the entry).
    pub departement: Option<&'a CodeDepartement>,
    /// Its state before.
    pub before: Option<&'a Map<String, Value>>,
    /// Its state after.
    pub after: &'a Map<String, Value>,
}

/// Writes one entry in the change's transaction.
pub fn record(tx: &mut WriteTx<'_>, change: Change<'_>) -> QueryResult<()> {
    let (avant, apres) = changed_fields(change.before, change.after);
    let row = JournalRow {
        id: JournalId::new().to_string(),
        horodatage: stored_time(Utc::now()),
        sub: change.author.sub.clone(),
        role: change.author.role.clone(),
        action: change.action.to_owned(),
        ressource: change.ressource.as_str().to_owned(),
        ressource_id: change.ressource_id.to_owned(),
        departement: change.departement.map(|d| d.to_string()),
        avant: avant.map(|map| Value::Object(map).to_string()),
        apres: Some(Value::Object(apres).to_string()),
    };
    crate::db_run!(tx.conn(), |c| diesel::insert_into(journal::table)
        .values(&row)
        .execute(c))?;
    Ok(())
}

fn json_text(text: Option<String>) -> QueryResult<Option<Value>> {
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
    })
    .transpose()
}

impl TryFrom<JournalRow> for EntreeJournal {
    type Error = diesel::result::Error;
    fn try_from(row: JournalRow) -> QueryResult<EntreeJournal> {
        Ok(EntreeJournal {
            id: stored(JournalId::parse(&row.id))?,
            horodatage: row.horodatage,
            sub: row.sub,
            role: row.role,
            action: row.action,
            ressource: stored(RessourceJournal::parse(&row.ressource))?,
            ressource_id: row.ressource_id,
            departement: stored_option(row.departement, CodeDepartement::parse)?,
            avant: json_text(row.avant)?,
            apres: json_text(row.apres)?,
        })
    }
}

list_fn! {
    /// A page of entries, newest first, within the caller's scope (by the object's département).
    pub fn list(filter: &JournalFilter, scope: &ScopeFilter) -> Page<EntreeJournal> {
        rows journal as JournalRow, by id => desc;
        // A structure's token has no journal (the policy refuses it before); no row if it came
        // here.
        scope departement = journal::departement,
            structure = |_id| diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0");
        equal [
            journal::ressource => filter.ressource,
            journal::ressource_id => filter.id,
        ];
    }
}
