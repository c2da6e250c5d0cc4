//! Query parameters, each read on its own from its text so that a refusal names the parameter (a
//! serde failure of the whole query string would not say which one it was).

use std::fmt::Display;
use std::str::FromStr;

use app::error::AppError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A choice among an enum's serde names (the names the OpenAPI document lists), or `None` when
/// absent.
pub fn choice<T: DeserializeOwned>(text: Option<&str>) -> Result<Option<T>, AppError> {
    text.map(|text| {
        serde_json::from_value(Value::String(text.to_owned())).map_err(|error| {
            AppError::InvalidRequest {
                reason: error.to_string(),
            }
        })
    })
    .transpose()
}

/// The page size asked for, at most `max`; `default` when not given.
pub fn page_size(text: Option<&str>, default: u32, max: u32) -> Result<u32, AppError> {
    let limit = match text {
        Some(text) => text.parse().map_err(|_| AppError::InvalidLimit { max })?,
        None => default,
    };
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::InvalidLimit { max })
    }
}

/// A page's cursor as the API hands it out: the ledger's own cursor text in hex, so that clients
/// treat it as opaque and it needs no escaping in a URL.
pub fn encode_cursor(cursor: &impl Display) -> String {
    cursor
        .to_string()
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The ledger's cursor from the API's text, or `None` when absent. A cursor is only ever compared
/// inside the caller's own rows, so a forged one merely starts the page somewhere else.
///
/// Errors: `InvalidCursor` for text that is not hex of a cursor.
pub fn decode_cursor<C: FromStr>(text: Option<&str>) -> Result<Option<C>, AppError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let bytes = (0..text.len())
        .step_by(2)
        .map(|at| {
            text.get(at..at + 2)
                .filter(|pair| pair.bytes().all(|byte| byte.is_ascii_hexdigit()))
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or(AppError::InvalidCursor)?;
    // Lossy: a name in a cursor is only compared, so any bytes the documented pattern allows
    // make a cursor, and the document stays exact.
    String::from_utf8_lossy(&bytes)
        .parse()
        .map(Some)
        .map_err(|_| AppError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use app::model::SortDirection;
    use ledger::{SubAccountCursor, TransferCursor};

    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_ledger_wrote_it() {
        for text in ["Nna12.7.ünïcode shop. ltd", "Pbd0.3.-5"] {
            let cursor: SubAccountCursor = text.parse().unwrap();
            let decoded: Option<SubAccountCursor> =
                decode_cursor(Some(&encode_cursor(&cursor))).unwrap();
            assert_eq!(decoded, Some(cursor));
        }
        let cursor: TransferCursor = "O1795635600000.42".parse().unwrap();
        assert_eq!(
            decode_cursor(Some(&encode_cursor(&cursor))),
            Ok(Some(cursor))
        );
        assert_eq!(decode_cursor::<TransferCursor>(None), Ok(None));
    }

    #[test]
    fn anything_else_is_not_a_cursor() {
        let not_a_cursor = encode_cursor(&"X1.2");
        for forged in ["", "zz", "4", "+4", "nonsense", "ff4f312e32", &not_a_cursor] {
            assert_eq!(
                decode_cursor::<TransferCursor>(Some(forged)),
                Err(AppError::InvalidCursor),
                "{forged}"
            );
        }
    }

    #[test]
    fn a_choice_is_one_of_the_documented_names() {
        assert_eq!(choice(Some("desc")), Ok(Some(SortDirection::Descending)));
        assert_eq!(choice::<SortDirection>(None), Ok(None));
        assert!(matches!(
            choice::<SortDirection>(Some("Descending")),
            Err(AppError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn a_page_holds_one_to_max_rows() {
        assert_eq!(page_size(None, 50, 200), Ok(50));
        assert_eq!(page_size(Some("200"), 50, 200), Ok(200));
        for refused in ["0", "201", "-1", "x", ""] {
            assert_eq!(
                page_size(Some(refused), 50, 200),
                Err(AppError::InvalidLimit { max: 200 }),
                "{refused}"
            );
        }
    }
}
