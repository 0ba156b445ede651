//! Streamed CSV downloads (docs/API.md, "Open data"): comma, UTF-8, RFC 4180 quoting and line
//! ends, one header row, `Content-Type: text/csv; charset=utf-8`, `Content-Disposition: attachment`.
//!
//! An export is a [`CsvExport`] (file name, header) and a reader: a closure that reads the next
//! [`Batch`] of rows on a connection, keeping its own position (a keyset key), and says whether it
//! was the last. [`stream`] does the rest:
//!
//! 1. the first batch is read before answering, so that a failure there (no connection: 503, a
//!    bug: 500) is an ordinary problem, not a cut file;
//! 2. when it is not the last one, a task on the worker's runtime reads the next batches, each
//!    with its own pooled connection on the blocking pool (`AppState::read`), encodes it and sends
//!    it into a bounded channel; the response body takes the chunks from that channel;
//! 3. the task waits for room in the channel *before* reading a batch: memory holds at most
//!    [`CHUNKS_EN_ATTENTE`] encoded batches plus the one being read, however many rows the export
//!    has, and a slow client holds neither a connection nor a blocking thread while it reads;
//! 4. a client that goes away drops the body, hence the receiver: the task stops at its next
//!    send; a failure after the first batch is logged and ends the body with an error (the
//!    client sees an incomplete transfer, never a silently truncated file).
//!
//! Each batch is read at its own moment (keyset pagination by id): a row is exported at most
//! once, and rows created during the download may or may not appear.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use tokio::sync::mpsc;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};

use crate::db::DbConn;
use crate::domain::donnees_ouvertes::sans_formule;
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::middleware::RequestId;

/// Rows read per batch: one keyset page, one pooled connection, one chunk of the body.
pub const TAILLE_LOT: usize = 500;

/// Encoded batches that may wait for the client at most.
pub const CHUNKS_EN_ATTENTE: usize = 4;

/// The media type of the exports (the spec's key is `text/csv`).
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// A CSV download: its file name and its header row.
#[derive(Debug, Clone, Copy)]
pub struct CsvExport {
    /// The name offered to the client (`Content-Disposition`).
    pub filename: &'static str,
    /// The header row.
    pub header: &'static [&'static str],
}

/// One batch of rows read by an export's reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// The rows (possibly none: a batch whose items publish nothing).
    pub rows: Vec<Vec<String>>,
    /// Whether nothing comes after it.
    pub last: bool,
}

/// Encodes a header (if any) and rows as RFC 4180 CSV: comma, CRLF line ends, a field quoted
/// when it holds a comma, a quote (doubled), CR or LF; a field a spreadsheet would run as a
/// formula is written as text ([`sans_formule`]).
pub fn encode(header: Option<&[&str]>, rows: &[Vec<String>]) -> Result<Bytes, ApiError> {
    let capacity = rows.first().map_or(256, |r| {
        rows.len() * (r.iter().map(String::len).sum::<usize>() + r.len() + 8)
    });
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(capacity));
    if let Some(header) = header {
        writer.write_record(header).map_err(ApiError::internal)?;
    }
    for row in rows {
        for field in row {
            writer
                .write_field(sans_formule(field).as_bytes())
                .map_err(ApiError::internal)?;
        }
        // An empty record ends the one the fields above started.
        writer
            .write_record(None::<&[u8]>)
            .map_err(ApiError::internal)?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(e.error()))
}

/// Runs the reader once on a pooled connection (blocking pool), and gives it back.
async fn read_batch<F>(state: &AppState, mut next: F) -> Result<(F, Batch), ApiError>
where
    F: FnMut(&mut DbConn) -> Result<Batch, ApiError> + Send + 'static,
{
    state
        .read(move |conn| {
            let batch = next(conn)?;
            Ok((next, batch))
        })
        .await
}

/// Answers `export` as a streamed CSV file, its rows read by `next` batch after batch until one
/// says it is the last (see the module documentation).
pub async fn stream<F>(
    req: &HttpRequest,
    state: &AppState,
    export: CsvExport,
    next: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnMut(&mut DbConn) -> Result<Batch, ApiError> + Send + 'static,
{
    let (next, first) = read_batch(state, next).await?;
    let first_chunk = encode(Some(export.header), &first.rows)?;
    let mut response = HttpResponse::Ok();
    response.content_type(CSV_CONTENT_TYPE).insert_header((
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{}\"", export.filename),
    ));
    if first.last {
        return Ok(response.body(first_chunk));
    }
    let (sender, receiver) = mpsc::channel(CHUNKS_EN_ATTENTE);
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    actix_web::rt::spawn(feed(
        state.clone(),
        next,
        sender,
        format!("[{request_id}] {}", req.path()),
    ));
    Ok(response.body(CsvBody {
        first: Some(first_chunk),
        receiver,
    }))
}

/// The reader task: a batch at a time, each read once the channel has room for it.
async fn feed<F>(
    state: AppState,
    mut next: F,
    sender: mpsc::Sender<Result<Bytes, ApiError>>,
    context: String,
) where
    F: FnMut(&mut DbConn) -> Result<Batch, ApiError> + Send + 'static,
{
    loop {
        let Ok(permit) = sender.reserve().await else {
            return; // the client went away
        };
        let batch = read_batch(&state, next)
            .await
            .and_then(|(back, batch)| Ok((back, encode(None, &batch.rows)?, batch.last)));
        match batch {
            Ok((back, chunk, last)) => {
                permit.send(Ok(chunk));
                if last {
                    return;
                }
                next = back;
            }
            Err(error) => {
                log::error!("{context} : export interrompu : {error}");
                permit.send(Err(error));
                return;
            }
        }
    }
}

/// The body of a streamed export: the first chunk, then what the reader task sends.
struct CsvBody {
    first: Option<Bytes>,
    receiver: mpsc::Receiver<Result<Bytes, ApiError>>,
}

impl MessageBody for CsvBody {
    type Error = ApiError;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        self.receiver.poll_recv(cx)
    }
}

/// The documented 200 of an export: `text/csv` (a string), an example file, its
/// `Content-Disposition`; for `responses(…)` through an [`utoipa::IntoResponses`] impl.
pub fn ok_response(
    description: &str,
    export: CsvExport,
    example_rows: &[Vec<String>],
) -> BTreeMap<String, RefOr<Response>> {
    let example = encode(Some(export.header), example_rows)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let disposition = HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some(format!(
            "`attachment; filename=\"{}\"`.",
            export.filename
        )))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .header("Content-Disposition", disposition)
        .content(
            "text/csv",
            ContentBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some(
                            "Fichier CSV (RFC 4180) : virgule, UTF-8, fins de ligne CRLF, une ligne d'en-tête.",
                        )),
                ))
                .example(Some(serde_json::Value::String(example)))
                .build(),
        )
        .build();
    BTreeMap::from([("200".to_owned(), RefOr::T(response))])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Bytes) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let rows = vec![
            vec!["Ville d'Aubervilliers".to_owned(), "12.50".to_owned()],
            vec!["Syndicat \"Numérique\", 93".to_owned(), String::new()],
            vec!["deux\nlignes".to_owned(), "a\r\nb".to_owned()],
        ];
        assert_eq!(
            text(encode(Some(&["nom", "montant"]), &rows).unwrap()),
            "nom,montant\r\n\
             Ville d'Aubervilliers,12.50\r\n\
             \"Syndicat \"\"Numérique\"\", 93\",\r\n\
             \"deux\nlignes\",\"a\r\nb\"\r\n"
        );
        assert_eq!(text(encode(None, &[]).unwrap()), "");
    }

    #[test]
    fn the_documented_example_is_the_header_and_its_rows() {
        let export = CsvExport {
            filename: "essai.csv",
            header: &["a", "b"],
        };
        let responses = ok_response("Essai.", export, &[vec!["1".into(), "x,y".into()]]);
        let RefOr::T(response) = &responses["200"] else {
            panic!("inline response")
        };
        let RefOr::T(content) = &response.content["text/csv"] else {
            panic!("inline content")
        };
        assert_eq!(
            content.example,
            Some(serde_json::Value::String("a,b\r\n1,\"x,y\"\r\n".to_owned()))
        );
    }
}
