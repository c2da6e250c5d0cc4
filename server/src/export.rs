//! `GET /transfers.csv?…`: the transfers page's view (same parameters, same rule of who may read
//! what) as a CSV file, every page of it, streamed a chunk at a time so that memory stays the same
//! whatever its size.
//!
//! The file: a header row, then one row per transfer, newest first; times in ISO 8601 UTC; fields
//! quoted as RFC 4180 says. Text that a spreadsheet would run as a formula (a name or note starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so it stays text.

use std::fmt::Write;

use app::error::AppError;
use app::format::{iso_8601_utc, utc_date};
use app::model::{TRANSFER_LIST_PAGE, TransferView};
use app::server_fns::transfer_query;
use app::state::AppState;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger::{AccountTransfer, Actor, SignedIn, TransferExport};

const HEADER: &str = "Time (UTC),Type,Counterparty,Credits,Balance after,Note,By,Transfer\r\n";

/// The download. Failures found before the first byte (bad dates, an account the caller may not
/// read) answer with their status and message; a failure later ends the download short (and is
/// logged), which the browser reports as a failed download rather than a short file.
pub async fn transfers_csv(
    State(state): State<AppState>,
    signed_in: Option<Extension<SignedIn>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let Some(Extension(signed_in)) = signed_in else {
        return refusal(&AppError::Unauthenticated);
    };
    let view = TransferView::from_query(|name| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    });
    let export = async {
        let query = transfer_query(
            &TransferView {
                cursor: None,
                ..view
            },
            TRANSFER_LIST_PAGE,
        )?;
        let actor = Actor::from(&signed_in);
        let mut export = state.ledger.transfer_export(&actor, &query).await?;
        let first = export.next_chunk().await?;
        Ok::<_, AppError>((query.account.unwrap_or(actor.account()), export, first))
    };
    let (account, export, first) = match export.await {
        Ok(started) => started,
        Err(error) => return refusal(&error),
    };
    let mut head = String::from(HEADER);
    write_rows(&mut head, first.unwrap_or_default());
    let rest = futures_util::stream::unfold(Some(export), |export| async move {
        let mut export: TransferExport = export?;
        match export.next_chunk().await {
            Ok(Some(rows)) => {
                let mut chunk = String::new();
                write_rows(&mut chunk, rows);
                Some((Ok(Bytes::from(chunk)), Some(export)))
            }
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "transfers download stopped");
                Some((Err(std::io::Error::other("the download stopped")), None))
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    let filename = format!(
        "attachment; filename=\"transfers-{account}-{}.csv\"",
        utc_date(ledger::Clock::default().now())
    );
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename).unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        // Fused: the compression layer polls once more after the last chunk, which an unfold
        // must never see.
        Body::from_stream(futures_util::StreamExt::fuse(
            futures_util::StreamExt::chain(body, rest),
        )),
    )
        .into_response()
}

/// A refusal in words, with the status the same failure gets from a server function.
fn refusal(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(CACHE_CONTROL, "no-store")], error.to_string()).into_response()
}

/// Appends one CSV record per transfer, written straight into `out` (no string per field).
fn write_rows(out: &mut String, rows: Vec<AccountTransfer>) {
    out.reserve(rows.len() * ROW_BYTES);
    for row in rows {
        out.push_str(&iso_8601_utc(row.created_at));
        out.push(',');
        out.push_str(row.kind.as_str());
        out.push(',');
        push_text_field(out, &row.counterparty);
        let _ = write!(out, ",{},{},", row.change, row.balance_after);
        push_text_field(out, &row.note);
        out.push(',');
        push_text_field(out, &row.actor);
        let _ = write!(out, ",{}\r\n", row.id);
    }
}

/// About the length of one record, to size a chunk's buffer once.
const ROW_BYTES: usize = 128;

/// Free text as one CSV field: kept as text by spreadsheets, quoted when it needs to be.
fn push_text_field(out: &mut String, text: &str) {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !formula && !text.contains(['"', ',', '\r', '\n']) {
        out.push_str(text);
        return;
    }
    out.push('"');
    if formula {
        out.push('\'');
    }
    for (n, part) in text.split('"').enumerate() {
        if n > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_text_field;

    fn text_field(text: &str) -> String {
        let mut out = String::new();
        push_text_field(&mut out, text);
        out
    }

    #[test]
    fn a_formula_stays_text() {
        assert_eq!(
            text_field("=HYPERLINK(\"http://evil.example\",\"Click\")"),
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Click\"\")\""
        );
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(text_field(start).starts_with("\"'"), "{start:?}");
        }
    }

    #[test]
    fn plain_text_is_left_alone_and_separators_are_quoted() {
        assert_eq!(text_field("June order"), "June order");
        assert_eq!(text_field("Acme, Inc."), "\"Acme, Inc.\"");
        assert_eq!(text_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(text_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
