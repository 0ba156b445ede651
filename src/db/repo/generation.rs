//! The generation of a listed resource: a counter that the database's triggers bump with every
//! committed change to the rows its list shows (migration `generations`). Equal generations,
//! read before two reads of a list, mean nothing the list shows changed in between; the lists'
//! cache ([`crate::http::cache`]) rests on it.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::generations;

/// A resource whose changes the database counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountedResource {
    /// Conventions: their rows, signatories, split, and the région of their département.
    Conventions,
}

impl CountedResource {
    /// Its row in `generations`.
    pub fn as_str(self) -> &'static str {
        match self {
            CountedResource::Conventions => "conventions",
        }
    }
}

/// The current generation of `ressource`, as committed.
pub fn current(conn: &mut DbConn, ressource: CountedResource) -> QueryResult<i64> {
    generations::table
        .find(ressource.as_str())
        .select(generations::valeur)
        .first(conn)
}
