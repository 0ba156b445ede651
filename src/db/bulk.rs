//! Bulk writes of many generated rows (the national seed): `COPY … FROM STDIN` on PostgreSQL,
//! multi-row `INSERT`s of literal values on SQLite, inside the caller's write transaction.
//!
//! A table's rows are written by one function, `write(row, out)`, that gives each column's value
//! in the order of the column list, through [`Values`]; [`bulk_insert!`](crate::bulk_insert)
//! turns that into the backend's statements. Diesel's multi-row insert does not compile on the
//! multi-backend connection, and building millions of `Insertable` structs would cost more than
//! the write itself: the values go straight into the text PostgreSQL's `COPY` reads, or into SQL
//! literals (no bind parameters, so no limit on their number; SQLite's statement length limit,
//! one billion bytes, is far above [`SQLITE_ROWS_PER_INSERT`] rows).

use std::fmt::Write as _;
use std::marker::PhantomData;

use diesel::QueryResult;
use diesel::connection::SimpleConnection;

/// Rows per `INSERT` statement on SQLite.
pub const SQLITE_ROWS_PER_INSERT: usize = 400;

/// Bytes gathered before each write to PostgreSQL's `COPY` stream.
const COPY_BUFFER_BYTES: usize = 1 << 20;

/// Where a row's values go, column after column.
pub trait Values {
    /// A text value.
    fn text(&mut self, value: &str);
    /// An integer.
    fn int(&mut self, value: i64);
    /// A boolean.
    fn boolean(&mut self, value: bool);
    /// SQL `NULL`.
    fn null(&mut self);
    /// A text value or `NULL`.
    fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }
    /// An integer or `NULL`.
    fn opt_int(&mut self, value: Option<i64>) {
        match value {
            Some(value) => self.int(value),
            None => self.null(),
        }
    }
}

/// A text format of values: what separates two values of a row, how a text value is escaped,
/// and how booleans and `NULL` are written (integers are their digits in every format).
trait Format {
    /// Between two values of a row.
    const SEPARATOR: char;
    /// How `false`, `true` and `NULL` are written, in this order.
    const FALSE_TRUE_NULL: [&'static str; 3];
    /// Appends a text value, escaped.
    fn text(buffer: &mut String, value: &str);
}

/// PostgreSQL's `COPY` text format: tab-separated, `\N` for `NULL`, backslash escapes.
struct CopyText;

impl Format for CopyText {
    const SEPARATOR: char = '\t';
    const FALSE_TRUE_NULL: [&'static str; 3] = ["f", "t", "\\N"];
    fn text(buffer: &mut String, value: &str) {
        for c in value.chars() {
            match c {
                '\\' => buffer.push_str("\\\\"),
                '\t' => buffer.push_str("\\t"),
                '\n' => buffer.push_str("\\n"),
                '\r' => buffer.push_str("\\r"),
                c => buffer.push(c),
            }
        }
    }
}

/// SQL literals: `'text'` (quotes doubled), integers, `TRUE`/`FALSE`, `NULL`.
struct SqlLiterals;

impl Format for SqlLiterals {
    const SEPARATOR: char = ',';
    const FALSE_TRUE_NULL: [&'static str; 3] = ["FALSE", "TRUE", "NULL"];
    fn text(buffer: &mut String, value: &str) {
        buffer.push('\'');
        for c in value.chars() {
            if c == '\'' {
                buffer.push('\'');
            }
            buffer.push(c);
        }
        buffer.push('\'');
    }
}

/// One row's values in the format `F`, appended to `buffer`.
struct RowValues<'a, F> {
    buffer: &'a mut String,
    first: bool,
    format: PhantomData<F>,
}

impl<'a, F: Format> RowValues<'a, F> {
    fn new(buffer: &'a mut String) -> Self {
        RowValues {
            buffer,
            first: true,
            format: PhantomData,
        }
    }

    fn separate(&mut self) {
        if !self.first {
            self.buffer.push(F::SEPARATOR);
        }
        self.first = false;
    }
}

impl<F: Format> Values for RowValues<'_, F> {
    fn text(&mut self, value: &str) {
        self.separate();
        F::text(self.buffer, value);
    }
    fn int(&mut self, value: i64) {
        self.separate();
        let _ = write!(self.buffer, "{value}");
    }
    fn boolean(&mut self, value: bool) {
        self.separate();
        self.buffer.push_str(F::FALSE_TRUE_NULL[usize::from(value)]);
    }
    fn null(&mut self) {
        self.separate();
        self.buffer.push_str(F::FALSE_TRUE_NULL[2]);
    }
}

/// Writes `rows` to a PostgreSQL `COPY` stream in its text format (`columns` values each), in
/// pieces of about a megabyte. Called by [`bulk_insert!`](crate::bulk_insert).
pub fn copy_rows<R, F: Fn(&R, &mut dyn Values)>(
    out: &mut dyn std::io::Write,
    rows: &[R],
    write: &F,
) -> QueryResult<()> {
    let mut buffer = String::with_capacity(COPY_BUFFER_BYTES + 4096);
    let flush = |out: &mut dyn std::io::Write, buffer: &mut String| -> QueryResult<()> {
        out.write_all(buffer.as_bytes())
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        buffer.clear();
        Ok(())
    };
    for row in rows {
        let mut values = RowValues::<CopyText>::new(&mut buffer);
        write(row, &mut values);
        buffer.push('\n');
        if buffer.len() >= COPY_BUFFER_BYTES {
            flush(out, &mut buffer)?;
        }
    }
    flush(out, &mut buffer)
}

/// Inserts `rows` into `table` (`columns` in the order `write` gives them) on SQLite, with
/// multi-row `INSERT`s of [`SQLITE_ROWS_PER_INSERT`] rows. Called by
/// [`bulk_insert!`](crate::bulk_insert). Returns the rows inserted.
pub fn insert_rows_sqlite<R, F: Fn(&R, &mut dyn Values)>(
    conn: &mut diesel::SqliteConnection,
    table: &str,
    columns: &[&str],
    rows: &[R],
    write: &F,
) -> QueryResult<usize> {
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut sql = String::new();
    for chunk in rows.chunks(SQLITE_ROWS_PER_INSERT) {
        sql.clear();
        sql.push_str(&head);
        for (index, row) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(',');
            }
            sql.push('(');
            let mut values = RowValues::<SqlLiterals>::new(&mut sql);
            write(row, &mut values);
            sql.push(')');
        }
        conn.batch_execute(&sql)?;
    }
    Ok(rows.len())
}

/// Gives the closure of [`bulk_insert!`](crate::bulk_insert) its signature (`rows` fixes the row
/// type), so that the caller need not annotate it.
pub fn row_writer<R, F: Fn(&R, &mut dyn Values)>(_rows: &[R], write: F) -> F {
    write
}

/// Writes many rows into one table inside the write transaction `tx`: `COPY … FROM STDIN` on
/// PostgreSQL, multi-row `INSERT`s on SQLite. Returns the number of rows written.
///
/// `bulk_insert!(tx, table (column, …), rows, |row, out| { out.text(…); out.int(…); … })`:
/// `table` and its columns are those of [`schema`](crate::db::schema); `rows` is a slice;
/// the closure gives one value per listed column, in that order.
#[macro_export]
macro_rules! bulk_insert {
    ($tx:expr, $table:ident ( $($column:ident),+ $(,)? ), $rows:expr, $write:expr) => {{
        use $crate::db::schema::$table as t;
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        let rows = $rows;
        let write = $crate::db::bulk::row_writer(rows, $write);
        let write = &write;
        $crate::db_run!(
            tx.conn(),
            postgres | pg | {
                use diesel::prelude::*;
                diesel::copy_from(t::table)
                    .from_raw_data(($(t::$column,)+), |out: &mut dyn std::io::Write| {
                        $crate::db::bulk::copy_rows(out, rows, write)
                    })
                    .execute(pg)
            },
            sqlite | sqlite | {
                let columns: &[&str] = &[$(<t::$column as diesel::Column>::NAME),+];
                $crate::db::bulk::insert_rows_sqlite(sqlite, stringify!($table), columns, rows, write)
            }
        )
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(out: &mut dyn Values) {
        out.text("l'a\tb\\c\nd");
        out.int(-42);
        out.boolean(true);
        out.null();
        out.opt_text(Some("x"));
        out.opt_int(None);
    }

    #[test]
    fn copy_text_escapes_and_separates() {
        let mut buffer = String::new();
        row(&mut RowValues::<CopyText>::new(&mut buffer));
        assert_eq!(buffer, "l'a\\tb\\\\c\\nd\t-42\tt\t\\N\tx\t\\N");
    }

    #[test]
    fn sql_literals_double_quotes() {
        let mut buffer = String::new();
        row(&mut RowValues::<SqlLiterals>::new(&mut buffer));
        assert_eq!(buffer, "'l''a\tb\\c\nd',-42,TRUE,NULL,'x',NULL");
    }
}
