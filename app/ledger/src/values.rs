//! Values that can only exist once they are valid: a caller holding a `Credits` or a `Note` has
//! already passed every rule, so the operations below never re-check them.

use std::fmt;

/// The most credits one transfer may move: large enough for any real order, small enough that no sum of
/// transfers can overflow an `i64` balance in practice.
pub const MAX_CREDITS_PER_TRANSFER: i64 = 1_000_000_000;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// Longest account name, in characters (the schema checks the same bound).
pub const MAX_NAME_CHARS: usize = 100;

/// A positive whole number of credits, at most [`MAX_CREDITS_PER_TRANSFER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Credits(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditsError {
    #[error("a transfer must move at least one credit")]
    NotPositive,
    #[error("a transfer may move at most {MAX_CREDITS_PER_TRANSFER} credits")]
    TooMany,
}

impl Credits {
    pub fn new(amount: i64) -> Result<Self, CreditsError> {
        match amount {
            ..=0 => Err(CreditsError::NotPositive),
            1..=MAX_CREDITS_PER_TRANSFER => Ok(Self(amount)),
            _ => Err(CreditsError::TooMany),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The reason a transfer was made, trimmed, between 1 and [`MAX_NOTE_CHARS`] characters, with no
/// control character but line breaks and no direction override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is empty")]
    Empty,
    #[error("the note is longer than {MAX_NOTE_CHARS} characters")]
    TooLong,
    #[error("the note contains a control character")]
    ControlCharacters,
    #[error("the note contains a character that overrides the text's direction")]
    DirectionCharacters,
}

impl Note {
    /// Errors, in order: `Empty`; `ControlCharacters` (any but a line break: a note may run over
    /// several lines) or `DirectionCharacters`, for the first such character; `TooLong`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim();
        if text.is_empty() {
            Err(NoteError::Empty)
        } else if let Some(hidden) = hidden_character(text, Lines::Several) {
            Err(match hidden {
                Hidden::Control => NoteError::ControlCharacters,
                Hidden::Direction => NoteError::DirectionCharacters,
            })
        } else if text.chars().count() > MAX_NOTE_CHARS {
            Err(NoteError::TooLong)
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client-chosen token naming one attempt at a transfer; the same token twice moves credits once.
/// 8 to 64 characters of letters, digits, `-` and `_` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key is 8 to 64 letters, digits, '-' or '_'")]
pub struct IdempotencyKeyError;

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<Self, IdempotencyKeyError> {
        let well_formed = (8..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed
            .then(|| Self(text.to_owned()))
            .ok_or(IdempotencyKeyError)
    }

    /// A fresh random key, for callers (the command line, tests) that make one attempt.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account's display name, trimmed, between 1 and [`MAX_NAME_CHARS`] characters, on one line,
/// with no control character and no direction override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountNameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("the name contains a control character")]
    ControlCharacters,
    #[error("the name contains a character that overrides the text's direction")]
    DirectionCharacters,
}

impl AccountName {
    /// Errors, in order: `Empty`; `ControlCharacters` (line breaks included: a name is one line) or
    /// `DirectionCharacters`, for the first such character; `TooLong`.
    pub fn parse(text: &str) -> Result<Self, AccountNameError> {
        let text = text.trim();
        if text.is_empty() {
            Err(AccountNameError::Empty)
        } else if let Some(hidden) = hidden_character(text, Lines::One) {
            Err(match hidden {
                Hidden::Control => AccountNameError::ControlCharacters,
                Hidden::Direction => AccountNameError::DirectionCharacters,
            })
        } else if text.chars().count() > MAX_NAME_CHARS {
            Err(AccountNameError::TooLong)
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` as the database can hold it: PostgreSQL's text cannot hold NUL, so each becomes U+FFFD.
/// For what is only looked up (a search, a login being signed in with): no stored name, login or
/// note holds a NUL, so the lookup finds what it would have found, nothing, instead of failing.
pub(crate) fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// A character that names and notes refuse: it does not show as itself, so what a reseller reads
/// would differ from what is stored (a NUL also cuts text short, and PostgreSQL refuses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hidden {
    /// NUL, tab, carriage return, escape and the rest of Unicode's control characters (Cc).
    Control,
    /// The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which
    /// reorder the text around them ("Trojan Source").
    Direction,
}

/// Whether a text may hold line breaks (`\n`, as a textarea sends them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    One,
    Several,
}

pub(crate) fn hidden_character(text: &str, lines: Lines) -> Option<Hidden> {
    text.chars().find_map(|c| match c {
        '\n' if lines == Lines::Several => None,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some(Hidden::Direction),
        c if c.is_control() => Some(Hidden::Control),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_accept_one_up_to_the_limit() {
        assert_eq!(Credits::new(1).map(Credits::get), Ok(1));
        assert_eq!(
            Credits::new(MAX_CREDITS_PER_TRANSFER).map(Credits::get),
            Ok(MAX_CREDITS_PER_TRANSFER)
        );
    }

    #[test]
    fn credits_refuse_zero_negative_and_too_many() {
        assert_eq!(Credits::new(0), Err(CreditsError::NotPositive));
        assert_eq!(Credits::new(-5), Err(CreditsError::NotPositive));
        assert_eq!(
            Credits::new(MAX_CREDITS_PER_TRANSFER + 1),
            Err(CreditsError::TooMany)
        );
    }

    #[test]
    fn a_note_is_trimmed_and_must_not_be_blank() {
        assert_eq!(Note::parse("  June order ").unwrap().as_str(), "June order");
        assert_eq!(Note::parse("   "), Err(NoteError::Empty));
    }

    #[test]
    fn a_note_counts_characters_not_bytes() {
        assert!(Note::parse(&"é".repeat(MAX_NOTE_CHARS)).is_ok());
        assert_eq!(
            Note::parse(&"é".repeat(MAX_NOTE_CHARS + 1)),
            Err(NoteError::TooLong)
        );
    }

    #[test]
    fn a_note_refuses_nul_and_every_other_control_character() {
        for refused in [
            "June\0order",
            "June\torder",
            "June\rorder",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}x",
            "c1\u{9f}",
        ] {
            assert_eq!(
                Note::parse(refused),
                Err(NoteError::ControlCharacters),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn a_note_may_run_over_several_lines() {
        assert_eq!(
            Note::parse("June order\nInvoice 118").unwrap().as_str(),
            "June order\nInvoice 118"
        );
    }

    #[test]
    fn a_note_refuses_direction_overrides_and_isolates() {
        for code in (0x202A..=0x202E).chain(0x2066..=0x2069) {
            let refused = format!("invoice {} 811", char::from_u32(code).unwrap());
            assert_eq!(
                Note::parse(&refused),
                Err(NoteError::DirectionCharacters),
                "U+{code:04X}"
            );
        }
    }

    #[test]
    fn a_note_keeps_letters_of_every_script_and_emoji() {
        for kept in ["Commande de juin", "طلب يونيو", "заказ 🎉", "注文 ‏ok"] {
            assert!(Note::parse(kept).is_ok(), "{kept:?}");
        }
    }

    #[test]
    fn an_account_name_refuses_control_characters_newlines_included() {
        for refused in ["Acme\0", "Acme\nTelecom", "Acme\tTelecom", "Acme\u{7f}"] {
            assert_eq!(
                AccountName::parse(refused),
                Err(AccountNameError::ControlCharacters),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn an_account_name_refuses_direction_overrides_and_isolates() {
        for code in (0x202A..=0x202E).chain(0x2066..=0x2069) {
            let refused = format!("Acme{}moc.exe", char::from_u32(code).unwrap());
            assert_eq!(
                AccountName::parse(&refused),
                Err(AccountNameError::DirectionCharacters),
                "U+{code:04X}"
            );
        }
    }

    #[test]
    fn an_idempotency_key_is_a_short_token() {
        assert!(IdempotencyKey::parse("3f2b8c1e-0a4d-4e6f-9b7a-1c2d3e4f5a6b").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("has space in it").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
    }

    #[test]
    fn an_account_name_is_trimmed_and_bounded() {
        assert_eq!(AccountName::parse(" Acme ").unwrap().as_str(), "Acme");
        assert_eq!(AccountName::parse(""), Err(AccountNameError::Empty));
        assert_eq!(
            AccountName::parse(&"a".repeat(101)),
            Err(AccountNameError::TooLong)
        );
    }
}
