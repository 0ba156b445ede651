//! Repository functions: one module per aggregate, each function over one [`DbConn`](super::DbConn).

/// Applies a [`Matching`] to a boxed query over a table with a search-key column and an identifier
/// column: the `LIKE` patterns, the keyset position, and the matching order. A macro rather than a
/// generic function: Diesel's bounds for "any text column of any table" would say less than this.
macro_rules! apply_matching {
    ($query:expr, $matching:expr, $key:expr, $id:expr) => {{
        let mut query = $query;
        let matching: $crate::db::repo::Matching<'_> = $matching;
        match matching.key_filter() {
            Some($crate::db::repo::KeyFilter::Range { from, to }) => {
                query = query.filter($key.ge(from)).filter($key.lt(to));
            }
            Some($crate::db::repo::KeyFilter::ContainsOutside { pattern, from, to }) => {
                query = query
                    .filter($key.like(pattern))
                    .filter($key.lt(from).or($key.ge(to)));
            }
            None => {}
        }
        match matching {
            $crate::db::repo::Matching::All { after_id } => {
                if let Some(id) = after_id {
                    query = query.filter($id.gt(id.to_owned()));
                }
                query.order($id)
            }
            $crate::db::repo::Matching::Prefix { after, .. }
            | $crate::db::repo::Matching::Infix { after, .. } => {
                if let Some((key, id)) = after {
                    query = query.filter(
                        $key.gt(key.to_owned())
                            .or($key.eq(key.to_owned()).and($id.gt(id.to_owned()))),
                    );
                }
                query.order(($key, $id))
            }
        }
    }};
}

pub mod referentiel;

use diesel::QueryResult;

/// The backend type of the multi-backend connection, for boxed queries.
pub type Backend = <super::DbConn as diesel::Connection>::Backend;

/// Where a keyset page ended: the sort key of its last item. The HTTP layer turns it into an opaque
/// cursor and back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Lists without a name query are ordered by identifier.
    ById(String),
    /// Name searches are ordered by rank (0: the name starts with the query, 1: contains it),
    /// then search key, then identifier.
    Ranked {
        /// 0 for prefix matches, 1 for other matches.
        rank: u8,
        /// The search key of the last item.
        key: String,
        /// The identifier of the last item.
        id: String,
    },
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, at most the requested limit.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next: Option<Position>,
}

/// Which rows one query of a search reads.
#[derive(Debug, Clone, Copy)]
pub enum Matching<'a> {
    /// No name query: every row, by identifier, after the given identifier.
    All { after_id: Option<&'a str> },
    /// Rows whose key starts with `key`, by (key, identifier), after the given pair.
    Prefix {
        key: &'a str,
        after: Option<(&'a str, &'a str)>,
    },
    /// Rows whose key contains `key` without starting with it, by (key, identifier).
    Infix {
        key: &'a str,
        after: Option<(&'a str, &'a str)>,
    },
}

/// How a [`Matching`] filters the search-key column.
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

impl Matching<'_> {
    /// The filter on the key column. The key holds only `[a-z0-9 ]`, so it has no `LIKE`
    /// wildcard to escape.
    pub fn key_filter(&self) -> Option<KeyFilter> {
        match self {
            Matching::All { .. } => None,
            Matching::Prefix { key, .. } => Some(KeyFilter::Range {
                from: key.to_string(),
                to: prefix_upper_bound(key),
            }),
            Matching::Infix { key, .. } => Some(KeyFilter::ContainsOutside {
                pattern: format!("%{key}%"),
                from: key.to_string(),
                to: prefix_upper_bound(key),
            }),
        }
    }
}

/// A row read by a search query: its search key, its identifier and the item.
pub type Ranked<T> = (String, String, T);

/// Runs a keyset-paginated name search: prefix matches first, then other matches, each ordered by
/// (key, identifier); without a query, every row by identifier. `fetch` runs one query for the given
/// [`Matching`] and row limit. At most two queries per page.
pub fn ranked_search<T>(
    key: Option<&str>,
    after: Option<&Position>,
    limit: usize,
    mut fetch: impl FnMut(Matching<'_>, i64) -> QueryResult<Vec<Ranked<T>>>,
) -> QueryResult<Page<T>> {
    let wanted = limit + 1; // one more than asked tells whether a next page exists
    let mut rows: Vec<(u8, Ranked<T>)> = Vec::with_capacity(wanted);
    match key {
        None => {
            let after_id = match after {
                Some(Position::ById(id)) => Some(id.as_str()),
                _ => None,
            };
            let found = fetch(Matching::All { after_id }, wanted as i64)?;
            rows.extend(found.into_iter().map(|row| (0, row)));
        }
        Some(key) => {
            let (start_rank, after) = match after {
                Some(Position::Ranked { rank, key, id }) => {
                    (*rank, Some((key.as_str(), id.as_str())))
                }
                _ => (0, None),
            };
            if start_rank == 0 {
                let found = fetch(Matching::Prefix { key, after }, wanted as i64)?;
                rows.extend(found.into_iter().map(|row| (0, row)));
            }
            if rows.len() < wanted {
                let after = if start_rank == 1 { after } else { None };
                let found = fetch(Matching::Infix { key, after }, (wanted - rows.len()) as i64)?;
                rows.extend(found.into_iter().map(|row| (1, row)));
            }
        }
    }
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = match rows.last() {
        Some((rank, (row_key, id, _))) if has_more => Some(match key {
            None => Position::ById(id.clone()),
            Some(_) => Position::Ranked {
                rank: *rank,
                key: row_key.clone(),
                id: id.clone(),
            },
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
    ) -> impl FnMut(Matching<'_>, i64) -> QueryResult<Vec<Ranked<&'static str>>> + 'r {
        move |matching, limit| {
            let mut found: Vec<_> = rows
                .iter()
                .filter(|(key, id)| match matching {
                    Matching::All { after_id } => after_id.is_none_or(|a| *id > a),
                    Matching::Prefix { key: q, after } => {
                        key.starts_with(q) && after.is_none_or(|a| (*key, *id) > a)
                    }
                    Matching::Infix { key: q, after } => {
                        key.contains(q)
                            && !key.starts_with(q)
                            && after.is_none_or(|a| (*key, *id) > a)
                    }
                })
                .map(|(key, id)| (key.to_string(), id.to_string(), *id))
                .collect();
            if matches!(matching, Matching::All { .. }) {
                found.sort_by(|a, b| a.1.cmp(&b.1));
            } else {
                found.sort();
            }
            found.truncate(limit as usize);
            Ok(found)
        }
    }

    #[test]
    fn prefix_matches_come_first_and_pages_chain_across_ranks() {
        let rows = table();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page =
                ranked_search(Some("saint denis"), after.as_ref(), 2, fetch_from(&rows)).unwrap();
            seen.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["11340", "93066", "33402", "93039"]);
    }

    #[test]
    fn without_query_rows_come_by_id_and_the_last_page_has_no_next() {
        let rows = table();
        let page = ranked_search(None, None, 3, fetch_from(&rows)).unwrap();
        assert_eq!(page.items, ["11340", "33402", "93039"]);
        assert_eq!(page.next, Some(Position::ById("93039".into())));
        let page = ranked_search(None, page.next.as_ref(), 3, fetch_from(&rows)).unwrap();
        assert_eq!(page.items, ["93066", "95680"]);
        assert_eq!(page.next, None);
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
