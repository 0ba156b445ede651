//! Keyset pagination, as plain types: a list is sorted by a tuple of text keys ending with a
//! unique one (the identifier); a [`Position`] is a point in that order, and a page holds the rows
//! strictly after it.
//!
//! Any position is valid: it is compared with the rows' keys as a tuple of strings, so that every
//! cursor of the documented form is a position, even one the server never issued. A position
//! shorter than the sort key stands for the first row of that prefix (ties included); a longer one
//! for the point just after the row it names.

/// A point in a list's sort order: the values of its sort keys, most significant first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position(pub Vec<String>);

impl Position {
    /// A position from its parts.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(parts: I) -> Self {
        Position(parts.into_iter().map(Into::into).collect())
    }

    /// The parts.
    pub fn parts(&self) -> &[String] {
        &self.0
    }
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, at most the requested limit.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next: Option<Position>,
}

impl<T> Page<T> {
    /// The same page with its items converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }

    /// The same page with its items converted by a fallible function.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next: self.next,
        })
    }

    /// A page from the rows of a query that read one more than `limit` (in the list's order): the
    /// extra row only says that a next page exists, which starts after the last row kept
    /// (`position` gives a row's sort key).
    pub fn from_rows(mut rows: Vec<T>, limit: usize, position: impl Fn(&T) -> Position) -> Page<T> {
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = if has_more {
            rows.last().map(position)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// The direction of one sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first (e.g. newest first).
    Descending,
}

/// Whether a row whose sort keys are `row` comes strictly after `position` in an order with these
/// `directions` (the reference semantics the SQL of `db::repo::keyset` implements; also what the
/// unit tests and in-memory lists use).
pub fn is_after(row: &[&str], directions: &[Direction], position: &Position) -> bool {
    let given = position.parts();
    for (index, direction) in directions.iter().enumerate() {
        let Some(part) = given.get(index) else {
            // The position is a prefix of the row's keys: the row is at or after it.
            return true;
        };
        let ordering = row[index].cmp(part.as_str());
        let ordering = match direction {
            Direction::Ascending => ordering,
            Direction::Descending => ordering.reverse(),
        };
        match ordering {
            std::cmp::Ordering::Greater => return true,
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Equal => {}
        }
    }
    // Every key equal: the row is the position itself (not after it), or a position longer than
    // the keys, which stands just after that row.
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::*;

    #[test]
    fn after_compares_tuples_with_directions() {
        let newest_first = [Descending, Ascending];
        let position = Position::new(["2026-11-20", "b"]);
        assert!(is_after(&["2026-11-20", "c"], &newest_first, &position));
        assert!(!is_after(&["2026-11-20", "b"], &newest_first, &position));
        assert!(!is_after(&["2026-11-20", "a"], &newest_first, &position));
        assert!(is_after(&["2026-11-19", "a"], &newest_first, &position));
        assert!(!is_after(&["2026-11-21", "z"], &newest_first, &position));
    }

    #[test]
    fn short_positions_include_their_prefix_and_long_ones_exclude_the_row() {
        let by_key_then_id = [Ascending, Ascending];
        let prefix = Position::new(["saint denis"]);
        assert!(is_after(
            &["saint denis", "93066"],
            &by_key_then_id,
            &prefix
        ));
        assert!(!is_after(
            &["saint deni", "99999"],
            &by_key_then_id,
            &prefix
        ));
        let longer = Position::new(["saint denis", "93066", "x"]);
        assert!(!is_after(
            &["saint denis", "93066"],
            &by_key_then_id,
            &longer
        ));
        assert!(is_after(
            &["saint denis", "93067"],
            &by_key_then_id,
            &longer
        ));
        assert!(is_after(&["a", "1"], &by_key_then_id, &Position::default()));
    }
}
