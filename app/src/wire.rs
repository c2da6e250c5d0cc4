//! How answers reach the browser: in postcard, both the server functions' answers (`output =
//! Postcard`) and the data a server-rendered page hands over for hydration ([`load`]). The wasm
//! decodes every wire type, and postcard's decoder is a fraction of serde_json's: no field names to
//! match, no text to parse, no error messages to format. Arguments stay JSON (the browser only
//! encodes them, which is cheap), so a call can still be written by hand in a test or a script.
//! The live stream's events are postcard too, in base64 ([`to_text`]); the REST API (`/v1`) is
//! JSON, for other programs.

use std::future::Future;

use codee::binary::PostcardCodec;
use codee::{Decoder, Encoder};
use leptos::prelude::*;
use leptos::server::{FromEncodedStr, IntoEncodedString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Data a page loads from a server function: rendered on the server, handed to the browser with
/// the page, and loaded again whenever its source changes.
pub type Loaded<T> = Resource<Result<T, AppError>, PostcardCodec>;

/// [`Resource::new`], with the page's copy of the data in postcard.
#[track_caller]
pub fn load<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// `value` as text (an event's data is text): postcard in base64, as a page hands its data over.
pub fn to_text<T: Serialize>(value: &T) -> Result<String, postcard::Error> {
    PostcardCodec::encode(value).map(IntoEncodedString::into_encoded_string)
}

/// The value [`to_text`] wrote, or `None` for text it did not write.
pub fn from_text<T: DeserializeOwned>(text: &str) -> Option<T> {
    let bytes = <[u8]>::from_encoded_str(text).ok()?;
    PostcardCodec::decode(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LiveBalance, LiveBalances};

    #[test]
    fn text_reads_back_as_the_value_written() {
        let event = LiveBalances {
            changes: vec![LiveBalance {
                account_id: 7,
                balance: -30,
                transfer_id: 1_000_000,
            }],
            unread_alerts: 2,
        };
        let text = to_text(&event).unwrap();
        assert!(text.is_ascii() && !text.contains('\n'), "{text:?}");
        assert_eq!(from_text::<LiveBalances>(&text), Some(event));
    }

    #[test]
    fn text_it_did_not_write_is_none() {
        for text in ["", "{\"unread_alerts\":1}", "%%%", "AQ"] {
            assert_eq!(from_text::<LiveBalances>(text), None, "{text:?}");
        }
    }
}
