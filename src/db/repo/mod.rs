//! Repository functions: one module per aggregate. Reads take a `&mut DbConn`; writes take a
//! `&mut WriteTx` (see [`crate::db::write`]).
//!
//! Shared here: the generic keyset ([`keyset!`](crate::keyset), [`after_position`]) and a page
//! read with it ([`keyset_page!`](crate::keyset_page)), the ranked name search built on it
//! ([`ranked_search`]), and what lists filter with: their optional filters
//! ([`filter_eq!`](crate::filter_eq)) and the scope ([`scope_filter!`](crate::scope_filter)).

pub mod activite;
pub mod anonymisation;
pub mod conseiller;
pub mod contrat;
pub mod convention;
pub mod coordination;
pub mod donnees_ouvertes;
pub mod financement;
pub mod formation;
pub mod generation;
pub mod health;
pub mod idempotency;
pub mod journal;
pub mod lieu;
pub mod poste;
pub mod referentiel;
pub mod seed_national;
pub mod statistiques;
pub mod structure;

use diesel::expression::BoxableExpression;
use diesel::sql_types::Bool;
use diesel::{BoolExpressionMethods, QueryResult};

use crate::domain::paging::{Page, Position};

/// A stored value that is not of its type's form: the migrations' `CHECK`s make this a bug, not
/// an input error, and it surfaces as a deserialization error (500, logged).
pub fn stored<T>(parsed: Result<T, crate::domain::FormatError>) -> QueryResult<T> {
    parsed.map_err(|error| diesel::result::Error::DeserializationError(Box::new(error)))
}

/// An optional stored value of a type with a form (`None` stays `None`): see [`stored`].
pub fn stored_option<T>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, crate::domain::FormatError>,
) -> QueryResult<Option<T>> {
    value.map(|v| stored(parse(&v))).transpose()
}

/// A stored date (`YYYY-MM-DD` text).
pub fn stored_date(text: &str) -> QueryResult<chrono::NaiveDate> {
    // `FromStr` reads ISO 8601 dates without interpreting a format string on every call.
    text.parse::<chrono::NaiveDate>()
        .map_err(|error| diesel::result::Error::DeserializationError(Box::new(error)))
}

/// Rows made their domain type (`TryFrom<Row>`, whose error is Diesel's), in their order.
pub fn converted<Row, T>(rows: Vec<Row>) -> QueryResult<Vec<T>>
where
    T: TryFrom<Row, Error = diesel::result::Error>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// An optional stored date.
pub fn optional_date(text: Option<String>) -> QueryResult<Option<chrono::NaiveDate>> {
    text.as_deref().map(stored_date).transpose()
}

/// A date as stored (`YYYY-MM-DD` text: text order is date order).
pub fn date_text(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A list stored as a JSON array in a text column (the lists of a lieu, the themes of an
/// activity).
pub fn to_json<T: serde::Serialize>(values: &[T]) -> QueryResult<String> {
    serde_json::to_string(values)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// A list read back from a JSON array in a text column.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> QueryResult<Vec<T>> {
    serde_json::from_str(text).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// The backend type of the multi-backend connection, for boxed queries.
pub type Backend = <super::DbConn as diesel::Connection>::Backend;

/// A boxed SQL condition on the query source `QS`.
pub type Condition<'a, QS> = Box<dyn BoxableExpression<QS, Backend, SqlType = Bool> + 'a>;

/// One sort key of a keyset-paginated list: how to compare a text column with a position's part.
pub struct SortKey<'a, QS> {
    /// Largest first when true.
    pub descending: bool,
    /// `column > value`.
    pub greater: Box<dyn Fn(String) -> Condition<'a, QS> + 'a>,
    /// `column < value`.
    pub less: Box<dyn Fn(String) -> Condition<'a, QS> + 'a>,
    /// `column = value`.
    pub equal: Box<dyn Fn(String) -> Condition<'a, QS> + 'a>,
}

/// A [`SortKey`] over a text column: `sort_key!(communes::code_insee, asc)` or `…, desc`.
#[macro_export]
macro_rules! sort_key {
    ($column:expr, asc) => {
        $crate::sort_key!(@build $column, false)
    };
    ($column:expr, desc) => {
        $crate::sort_key!(@build $column, true)
    };
    (@build $column:expr, $descending:expr) => {
        $crate::db::repo::SortKey {
            descending: $descending,
            greater: Box::new(|value: String| Box::new($column.gt(value))),
            less: Box::new(|value: String| Box::new($column.lt(value))),
            equal: Box::new(|value: String| Box::new($column.eq(value))),
        }
    };
}

/// Applies a keyset to a boxed query: the rows strictly after `after` (an `Option<&Position>`) in
/// the order of the listed text columns, and that order. The columns end with a unique one.
///
/// `keyset!(query, after, [communes::nom_recherche => asc, communes::code_insee => asc])`
#[macro_export]
macro_rules! keyset {
    ($query:expr, $after:expr, [$($column:expr => $direction:ident),+ $(,)?]) => {{
        let keys = vec![$($crate::sort_key!($column, $direction)),+];
        let mut query = $query;
        let after: Option<&$crate::domain::paging::Position> = $after;
        if let Some(condition) = after.and_then(|p| $crate::db::repo::after_position(&keys, p)) {
            query = query.filter(condition);
        }
        $( query = $crate::keyset!(@order query, $column, $direction); )+
        query
    }};
    (@order $query:expr, $column:expr, asc) => { $query.then_order_by($column.asc()) };
    (@order $query:expr, $column:expr, desc) => { $query.then_order_by($column.desc()) };
}

/// Reads one page of a list ordered by its identifier column (ids are UUID v7: by id is by
/// creation) from a boxed query: the rows strictly after `after` ([`keyset!`](crate::keyset)), one
/// more than `limit` (it only tells that a next page exists), as a `QueryResult<Page<Row>>` whose
/// next position is the id of its last row. `|row: Row| id` names a row's identifier.
///
/// `keyset_page!(conn, query, after, limit, activites::id => desc, |row: ActiviteRow| &row.id)`
#[macro_export]
macro_rules! keyset_page {
    (
        $conn:expr, $query:expr, $after:expr, $limit:expr, $id:expr => $direction:ident,
        |$row:ident: $row_type:ty| $row_id:expr
    ) => {{
        let limit: usize = $limit;
        $crate::keyset!($query, $after, [$id => $direction])
            .limit(limit as i64 + 1)
            .load::<$row_type>($conn)
            .map(|rows| {
                $crate::domain::paging::Page::from_rows(rows, limit, |$row: &$row_type| {
                    $crate::domain::paging::Position::new([String::clone($row_id)])
                })
            })
    }};
}

/// Reads the row of `table` whose primary key is `key` (and that meets the conditions listed
/// after it) and makes it its domain type (`TryFrom<Row>`, whose error is Diesel's): a
/// `QueryResult<Option<T>>`, `None` when there is no such row. With `lock`, the row is read under
/// [`lock_rows!`](crate::lock_rows)'s lock until the end of the write transaction `tx`
/// (`=> Row, no_key` for `FOR NO KEY UPDATE`).
///
/// - `row_by_key!(conn, conseillers::table, id.as_str() => ConseillerRow)`
/// - `row_by_key!(conn, activites::table, id.as_str(), activites::supprime_le.is_null() => ActiviteRow)`
/// - `row_by_key!(lock tx, enveloppes::table, id.as_str() => EnveloppeRow, no_key)`
#[macro_export]
macro_rules! row_by_key {
    (lock $tx:expr, $table:expr, $key:expr $(, $condition:expr)* => $row:ty $(, $lock:ident)?) => {
        $crate::lock_rows!(
            $tx,
            $table.find($key)$(.filter($condition))*.select(<$row>::as_select()) => $row $(, $lock)?
        )
        .and_then(|rows| rows.into_iter().next().map(TryFrom::try_from).transpose())
    };
    ($conn:expr, $table:expr, $key:expr $(, $condition:expr)* => $row:ty) => {
        $table
            .find($key)
            $(.filter($condition))*
            .select(<$row>::as_select())
            .first::<$row>($conn)
            .optional()
            .and_then(|row| row.map(TryFrom::try_from).transpose())
    };
}

/// Locks the row of `table` whose primary key is `key` (only its key is read) until the end of
/// the write transaction `tx`, then reads it with `read` on the transaction's connection:
/// `QueryResult<Option<T>>`, `None` when there is no such row. For a read that joins other
/// tables, whose rows a `FOR UPDATE` over the join would lock too.
///
/// `lock_then_read!(tx, lieux::table, lieux::id, id.as_str(), |conn| find(conn, id))`
#[macro_export]
macro_rules! lock_then_read {
    ($tx:expr, $table:expr, $key_column:expr, $key:expr, |$conn:ident| $read:expr) => {{
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        let locked = $crate::lock_rows!(tx, $table.find($key).select($key_column) => String)?;
        if locked.is_empty() {
            Ok(None)
        } else {
            let $conn = tx.conn();
            $read
        }
    }};
}

/// Inserts one row (an `Insertable` value) into `table` in the write transaction `tx`; returns
/// the number of rows inserted.
#[macro_export]
macro_rules! insert_row {
    ($tx:expr, $table:expr, $row:expr) => {{
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        diesel::insert_into($table).values($row).execute(tx.conn())
    }};
}

/// Inserts one row into `table` in the write transaction `tx`, then reads what was stored with
/// `read` on the transaction's connection (a `QueryResult<Option<T>>` that finds it):
/// `QueryResult<T>`.
///
/// `insert_then_read!(tx, lieux::table, &row, |conn| find(conn, &id))`
#[macro_export]
macro_rules! insert_then_read {
    ($tx:expr, $table:expr, $row:expr, |$conn:ident| $read:expr) => {{
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        $crate::insert_row!(tx, $table, $row)?;
        let $conn = tx.conn();
        $read?.ok_or(diesel::result::Error::NotFound)
    }};
}

/// Updates the row of `table` (a schema module) whose primary key is `key` with `changes`, a new
/// version (`version + 1`) and the time of the change (`modifie_le`), in the write transaction
/// `tx`; returns the number of rows updated.
///
/// `update_versioned!(tx, enveloppes, enveloppe.id.as_str(), [enveloppes::libelle.eq(…)])`
#[macro_export]
macro_rules! update_versioned {
    ($tx:expr, $table:ident, $key:expr, [$($change:expr),* $(,)?]) => {{
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        diesel::update($table::table.find($key))
            .set((
                $($change,)*
                $table::version.eq($table::version + 1),
                $table::modifie_le.eq($crate::db::repo::idempotency::stored_time(chrono::Utc::now())),
            ))
            .execute(tx.conn())
    }};
}

/// Writes a list's repo function: `pub fn name(conn, filter, [scope,] after, limit) ->
/// QueryResult<Page<Item>>`, which reads one page by identifier ([`keyset_page!`](crate::keyset_page))
/// of a boxed query with the list's conditions, in this order: `where` (what the list never
/// shows), `equal` (its optional filters, [`filter_eq!`](crate::filter_eq)), `then` (its other
/// filters: a block that takes the query and returns it), and the caller's scope
/// ([`scope_filter!`](crate::scope_filter)) when the list takes one (`scope: &ScopeFilter`, and
/// the clause that says how it applies).
///
/// The rows are those of a table (`rows conseillers as ConseillerRow, by id => desc`: selected
/// with `as_select()`, by the table's `id` column, made domain values with `TryFrom`), or any
/// query with its row's identifier and conversion
/// (`rows query, |row: (LieuRow, String)| &row.0.id, by lieux::id => desc, into lieu_of`).
///
/// ```ignore
/// list_fn! {
///     /// A page of advisors within `scope`, newest first.
///     pub fn list(filter: &ConseillerFilter, scope: &ScopeFilter) -> Page<Conseiller> {
///         rows conseillers as ConseillerRow, by id => desc;
///         scope departement = conseillers::departement, structure = |id| conseillers::structure_id.eq(id);
///         equal [conseillers::statut => filter.statut];
///     }
/// }
/// ```
#[macro_export]
macro_rules! list_fn {
    (
        $(#[$attr:meta])*
        pub fn $name:ident($($parameters:tt)*) -> Page<$item:ty> {
            rows $table:ident as $row:ty, by id => $direction:ident;
            $($clauses:tt)*
        }
    ) => {
        $crate::list_fn! {
            $(#[$attr])*
            pub fn $name($($parameters)*) -> Page<$item> {
                rows $table::table.select(<$row>::as_select()), |row: $row| &row.id,
                    by $table::id => $direction, into <$item>::try_from;
                $($clauses)*
            }
        }
    };
    (
        $(#[$attr:meta])*
        pub fn $name:ident(
            $filter:ident: $filter_type:ty $(, $scope:ident: &ScopeFilter)?
        ) -> Page<$item:ty> {
            rows $rows:expr, |$row:ident: $row_type:ty| $row_id:expr,
                by $id:expr => $direction:ident, into $convert:expr;
            $(scope departement = $departement:expr, structure = |$structure:ident| $condition:expr;)?
            $(where $base:expr;)?
            $(equal [$($column:expr => $value:expr),+ $(,)?];)?
            $(then |mut $then:ident| $more:block)?
        }
    ) => {
        $(#[$attr])*
        pub fn $name(
            conn: &mut $crate::db::DbConn,
            $filter: $filter_type,
            $($scope: &$crate::domain::scope::ScopeFilter,)?
            after: Option<&$crate::domain::paging::Position>,
            limit: usize,
        ) -> diesel::QueryResult<$crate::domain::paging::Page<$item>> {
            let query = $rows.into_boxed::<$crate::db::repo::Backend>();
            $(let query = query.filter($base);)?
            $(
                let mut query = query;
                $crate::filter_eq!(query, [$($column => $value),+]);
            )?
            $(let query = {
                let mut $then = query;
                $more
            };)?
            $(let query = $crate::scope_filter!(
                query,
                $scope,
                departement = $departement,
                structure = |$structure| $condition
            );)?
            $crate::keyset_page!(conn, query, after, limit, $id => $direction, |$row: $row_type| $row_id)?
                .try_map($convert)
        }
    };
}

/// Adds `column = value` to a boxed list query for each optional filter that is given, in the
/// order listed (`None` adds nothing). The value is bound as its text (`as_str()`: codes,
/// identifiers, closed lists, strings).
///
/// `filter_eq!(query, [activites::lieu_id => filter.lieu_id, activites::departement => filter.departement])`
#[macro_export]
macro_rules! filter_eq {
    ($query:ident, [$($column:expr => $value:expr),+ $(,)?]) => {
        $(
            if let Some(value) = &$value {
                $query = $query.filter($column.eq(value.as_str()));
            }
        )+
    };
}

/// The condition "strictly after `position`" for these sort keys (the SQL form of
/// [`crate::domain::paging::is_after`]): a lexicographic tuple comparison, each key in its
/// direction. A position shorter than the keys includes the rows of its prefix; longer, it stands
/// just after the row it names. `None` for an empty position (every row).
pub fn after_position<'a, QS: 'a>(
    keys: &[SortKey<'a, QS>],
    position: &Position,
) -> Option<Condition<'a, QS>> {
    let parts = position.parts();
    if parts.is_empty() {
        return None;
    }
    let compared = parts.len().min(keys.len());
    let mut alternatives: Vec<Condition<'a, QS>> = Vec::new();
    for index in 0..compared {
        let key = &keys[index];
        let beyond = if key.descending {
            (key.less)(parts[index].clone())
        } else {
            (key.greater)(parts[index].clone())
        };
        alternatives.push(equal_prefix(keys, parts, index, beyond));
    }
    if parts.len() < keys.len() {
        // Ties on the given prefix are at or after the position.
        let everything: Condition<'a, QS> = Box::new(diesel::dsl::sql::<Bool>("1 = 1"));
        alternatives.push(equal_prefix(keys, parts, parts.len(), everything));
    }
    alternatives.into_iter().reduce(|a, b| Box::new(a.or(b)))
}

/// `key_0 = part_0 AND … AND key_{n-1} = part_{n-1} AND last`.
fn equal_prefix<'a, QS: 'a>(
    keys: &[SortKey<'a, QS>],
    parts: &[String],
    length: usize,
    last: Condition<'a, QS>,
) -> Condition<'a, QS> {
    (0..length).rev().fold(last, |rest, index| {
        Box::new((keys[index].equal)(parts[index].clone()).and(rest))
    })
}

/// Applies a caller's [`ScopeFilter`](crate::domain::scope::ScopeFilter) to a boxed list query, in
/// SQL: every row, the rows of some départements, the rows of one structure (the condition the
/// resource gives for "what this structure signs, hosts or employs"), or none.
///
/// `scope_filter!(query, &filter, departement = conventions::departement,
///     structure = |id| conventions::id.eq_any(…subquery on id…))`
#[macro_export]
macro_rules! scope_filter {
    ($query:expr, $filter:expr, departement = $column:expr, structure = |$id:ident| $condition:expr) => {{
        use $crate::domain::scope::ScopeFilter;
        let filter: &ScopeFilter = $filter;
        match filter {
            ScopeFilter::All => $query,
            // One département (a préfecture's usual scope) as `=`, not `IN (…)`: on SQLite a
            // statement with `IN` is never kept prepared (its number of parameters varies), so
            // every page would parse and plan its SQL again.
            ScopeFilter::Departements(codes) if codes.len() == 1 => {
                $query.filter($column.eq(codes[0].as_str().to_owned()))
            }
            ScopeFilter::Departements(codes) => $query.filter(
                $column.eq_any(
                    codes
                        .iter()
                        .map(|code| code.as_str().to_owned())
                        .collect::<Vec<String>>(),
                ),
            ),
            ScopeFilter::Structure(structure) => {
                let $id: String = structure.as_str().to_owned();
                $query.filter($condition)
            }
            ScopeFilter::Nothing => {
                $query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
            }
        }
    }};
}

/// Makes a statement struct a query whose SQL `walk` writes with its bind parameters, on either
/// backend, and that Diesel keeps prepared: one statement text whatever the values (a static
/// query id). For a hot `UPDATE`, which Diesel's DSL never keeps prepared: see
/// `docs/ARCHITECTURE.md`, and `repo::financement`'s commitment statements for an example.
/// The struct has one lifetime; its fields are bound as `Text` (`&str`) or `BigInt` (`i64`).
#[macro_export]
macro_rules! prepared_statement {
    ($statement:ident, |$this:ident, $out:ident| $walk:block) => {
        impl<DB> diesel::query_builder::QueryFragment<DB> for $statement<'_>
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
            i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        {
            fn walk_ast<'b>(
                &'b self,
                mut $out: diesel::query_builder::AstPass<'_, 'b, DB>,
            ) -> diesel::QueryResult<()> {
                use diesel::sql_types::{BigInt, Text};
                let $this = self;
                $walk
                Ok(())
            }
        }
        impl diesel::query_builder::QueryId for $statement<'_> {
            type QueryId = $statement<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        impl<Conn> diesel::query_dsl::RunQueryDsl<Conn> for $statement<'_> {}
    };
}

/// Which segment of a ranked name search a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// No name query: every row, by identifier.
    All,
    /// Rows whose key starts with the query, by (key, identifier).
    Prefix,
    /// Rows whose key contains the query without starting with it, by (key, identifier).
    Infix,
}

/// How a name search filters its key column in one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFilter {
    /// Keys starting with the query, as a range `from <= key < to`: an index range scan on both
    /// backends (a `LIKE 'x%'` is not one on SQLite, whose `LIKE` ignores case).
    Range {
        /// The query key.
        from: String,
        /// The smallest string above every key starting with the query.
        to: String,
    },
    /// Keys containing the query (`LIKE '%x%'`) and outside the prefix range.
    ContainsOutside {
        /// The `LIKE` pattern.
        pattern: String,
        /// Start of the prefix range.
        from: String,
        /// End of the prefix range.
        to: String,
    },
}

/// The smallest string greater than every string starting with `key`. Keys are ASCII
/// (`[a-z0-9 ]`, see `domain::referentiel::search_key`), so bumping the last byte is enough.
pub fn prefix_upper_bound(key: &str) -> String {
    let mut bytes = key.as_bytes().to_vec();
    match bytes.last_mut() {
        Some(last) if *last < 0x7f => *last += 1,
        _ => bytes.push(0x7f),
    }
    String::from_utf8(bytes).unwrap_or_else(|_| format!("{key}\u{7f}"))
}

/// One query of a ranked search: its segment, the key filter, the position to start after, and
/// how many rows to read.
#[derive(Debug, Clone)]
pub struct SearchQuery<'p> {
    /// Which rows.
    pub segment: Segment,
    /// The filter on the key column (none for [`Segment::All`]).
    pub key_filter: Option<KeyFilter>,
    /// Start strictly after this position of the segment's order ((id) or (key, id)).
    pub after: Option<&'p Position>,
    /// Most rows to read.
    pub limit: i64,
}

/// Applies a [`SearchQuery`] to a boxed query over a table with a search-key column and an
/// identifier column: the key filter, the keyset and the segment's order.
#[macro_export]
macro_rules! apply_search {
    ($query:expr, $search:expr, $key:expr, $id:expr) => {{
        let search: &$crate::db::repo::SearchQuery<'_> = $search;
        let mut query = $query.limit(search.limit);
        match &search.key_filter {
            Some($crate::db::repo::KeyFilter::Range { from, to }) => {
                query = query.filter($key.ge(from.clone())).filter($key.lt(to.clone()));
            }
            Some($crate::db::repo::KeyFilter::ContainsOutside { pattern, from, to }) => {
                query = query
                    .filter($key.like(pattern.clone()))
                    .filter($key.lt(from.clone()).or($key.ge(to.clone())));
            }
            None => {}
        }
        match search.segment {
            $crate::db::repo::Segment::All => $crate::keyset!(query, search.after, [$id => asc]),
            _ => $crate::keyset!(query, search.after, [$key => asc, $id => asc]),
        }
    }};
}

/// A row read by a search query: its search key, its identifier and the item.
pub type Ranked<T> = (String, String, T);

/// Runs a keyset-paginated name search: prefix matches first, then other matches, each ordered by
/// (key, identifier); without a query, every row by identifier. At most two queries per page.
///
/// Positions: `(id)` without a query; `(rank, key, id)` with one, where rank `"0"` is the prefix
/// segment and `"1"` the other matches. Any position is valid: compared as strings, a rank below
/// `"0"` starts at the beginning, one between `"0"` and `"1"` at the other matches, one above `"1"`
/// after the end.
pub fn ranked_search<T>(
    key: Option<&str>,
    after: Option<&Position>,
    limit: usize,
    mut fetch: impl FnMut(&SearchQuery<'_>) -> QueryResult<Vec<Ranked<T>>>,
) -> QueryResult<Page<T>> {
    let wanted = limit + 1; // one more than asked tells whether a next page exists
    let mut rows: Vec<(&'static str, Ranked<T>)> = Vec::with_capacity(wanted);
    match key {
        None => {
            let found = fetch(&SearchQuery {
                segment: Segment::All,
                key_filter: None,
                after,
                limit: wanted as i64,
            })?;
            rows.extend(found.into_iter().map(|row| ("", row)));
        }
        Some(key) => {
            let rank = after.and_then(|p| p.parts().first()).map(String::as_str);
            let rest = after.map(|p| Position(p.parts()[1..].to_vec()));
            // Where the position falls: (read the prefix segment?, its start), (the other?, start).
            let (prefix, infix) = match rank {
                None => ((true, None), (true, None)),
                Some(r) if r < "0" => ((true, None), (true, None)),
                Some("0") => ((true, rest.as_ref()), (true, None)),
                Some(r) if r < "1" => ((false, None), (true, None)),
                Some("1") => ((false, None), (true, rest.as_ref())),
                Some(_) => ((false, None), (false, None)),
            };
            let to = prefix_upper_bound(key);
            if prefix.0 {
                let found = fetch(&SearchQuery {
                    segment: Segment::Prefix,
                    key_filter: Some(KeyFilter::Range {
                        from: key.to_owned(),
                        to: to.clone(),
                    }),
                    after: prefix.1,
                    limit: wanted as i64,
                })?;
                rows.extend(found.into_iter().map(|row| ("0", row)));
            }
            if infix.0 && rows.len() < wanted {
                let found = fetch(&SearchQuery {
                    segment: Segment::Infix,
                    key_filter: Some(KeyFilter::ContainsOutside {
                        pattern: format!("%{key}%"),
                        from: key.to_owned(),
                        to,
                    }),
                    after: infix.1,
                    limit: (wanted - rows.len()) as i64,
                })?;
                rows.extend(found.into_iter().map(|row| ("1", row)));
            }
        }
    }
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = match rows.last() {
        Some((rank, (row_key, id, _))) if has_more => Some(match key {
            None => Position::new([id.clone()]),
            Some(_) => Position::new([rank.to_string(), row_key.clone(), id.clone()]),
        }),
        _ => None,
    };
    Ok(Page {
        items: rows.into_iter().map(|(_, (_, _, item))| item).collect(),
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::paging::{Direction, is_after};

    /// An in-memory stand-in for a table: (key, id).
    fn table() -> Vec<(&'static str, &'static str)> {
        vec![
            ("ile saint denis", "93039"),
            ("saint denis", "11340"),
            ("saint denis", "93066"),
            ("saint denis de pile", "33402"),
            ("villiers", "95680"),
        ]
    }

    fn fetch_from<'r>(
        rows: &'r [(&'static str, &'static str)],
    ) -> impl FnMut(&SearchQuery<'_>) -> QueryResult<Vec<Ranked<&'static str>>> + 'r {
        move |search| {
            let mut found: Vec<_> = rows
                .iter()
                .filter(|(key, id)| {
                    let in_segment = match &search.key_filter {
                        None => true,
                        Some(KeyFilter::Range { from, to }) => {
                            *key >= from.as_str() && *key < to.as_str()
                        }
                        Some(KeyFilter::ContainsOutside { from, to, .. }) => {
                            key.contains(from.as_str())
                                && (*key < from.as_str() || *key >= to.as_str())
                        }
                    };
                    let after = search.after.is_none_or(|p| match search.segment {
                        Segment::All => is_after(&[id], &[Direction::Ascending], p),
                        _ => is_after(&[key, id], &[Direction::Ascending; 2], p),
                    });
                    in_segment && after
                })
                .map(|(key, id)| (key.to_string(), id.to_string(), *id))
                .collect();
            if search.segment == Segment::All {
                found.sort_by(|a, b| a.1.cmp(&b.1));
            } else {
                found.sort();
            }
            found.truncate(search.limit as usize);
            Ok(found)
        }
    }

    fn walk(key: Option<&str>, start: Option<Position>, size: usize) -> Vec<&'static str> {
        let rows = table();
        let mut seen = Vec::new();
        let mut after = start;
        loop {
            let page = ranked_search(key, after.as_ref(), size, fetch_from(&rows)).unwrap();
            seen.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        seen
    }

    #[test]
    fn prefix_matches_come_first_and_pages_chain_across_ranks() {
        assert_eq!(
            walk(Some("saint denis"), None, 2),
            ["11340", "93066", "33402", "93039"]
        );
    }

    #[test]
    fn without_query_rows_come_by_id_and_the_last_page_has_no_next() {
        let rows = table();
        let page = ranked_search(None, None, 3, fetch_from(&rows)).unwrap();
        assert_eq!(page.items, ["11340", "33402", "93039"]);
        assert_eq!(page.next, Some(Position::new(["93039"])));
        let page = ranked_search(None, page.next.as_ref(), 3, fetch_from(&rows)).unwrap();
        assert_eq!(page.items, ["93066", "95680"]);
        assert_eq!(page.next, None);
    }

    #[test]
    fn any_position_is_a_point_in_the_order() {
        let q = Some("saint denis");
        // Ranks below "0" start at the beginning; between "0" and "1" at the other matches;
        // above "1" after the end.
        assert_eq!(walk(q, Some(Position::new([""])), 10).len(), 4);
        assert_eq!(walk(q, Some(Position::new(["0a"])), 10), ["93039"]);
        assert_eq!(walk(q, Some(Position::new(["2"])), 10), Vec::<&str>::new());
        // Inside the prefix segment, after a (key, id) pair that is not a row.
        assert_eq!(
            walk(q, Some(Position::new(["0", "saint denis", "5"])), 10),
            ["93066", "33402", "93039"]
        );
        // A position shorter than the keys includes the rows of its prefix.
        assert_eq!(
            walk(q, Some(Position::new(["0", "saint denis de"])), 10),
            ["33402", "93039"]
        );
        // Without a query the first part is an identifier.
        assert_eq!(
            walk(None, Some(Position::new(["9"])), 10),
            ["93039", "93066", "95680"]
        );
    }

    #[test]
    fn prefix_range_covers_exactly_the_keys_starting_with_the_query() {
        let to = prefix_upper_bound("saint denis");
        assert_eq!(to, "saint denit");
        for key in ["saint denis", "saint denis de pile", "saint denisz"] {
            assert!(key >= "saint denis" && key < to.as_str(), "{key}");
        }
        for key in ["saint deni", "saint denit", "saint dent", "saint e"] {
            assert!(!(key >= "saint denis" && key < to.as_str()), "{key}");
        }
        assert_eq!(prefix_upper_bound("az"), "a{");
        assert_eq!(prefix_upper_bound("a9"), "a:");
    }

    #[test]
    fn an_exactly_full_page_has_no_next() {
        let rows = table();
        let page = ranked_search(None, None, 5, fetch_from(&rows)).unwrap();
        assert_eq!(page.items.len(), 5);
        assert_eq!(page.next, None);
    }
}
