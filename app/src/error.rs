//! `AppError`: everything that can go wrong, in the reseller's words. The same enum travels from the
//! server functions to the browser as JSON, so the UI matches on variants rather than on strings.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::format::{CreditCount, Grouped};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Enter a whole number of credits, e.g. 30 or -5")]
    InvalidCredits,
    #[error("Enter a number of credits other than 0, e.g. 30 to give or -5 to take back")]
    ZeroCredits,
    #[error("One transfer can move at most {}", CreditCount(*max))]
    TooManyCredits { max: i64 },
    #[error("Add a note so you can track this transfer")]
    NoteRequired,
    #[error("Keep the note to {} characters or fewer", Grouped(*max as i64))]
    NoteTooLong { max: usize },
    #[error("You have {}; you cannot give {}", CreditCount(*available), Grouped(*requested))]
    NotEnoughCredits { available: i64, requested: i64 },
    #[error("{name} has {}; you cannot revoke {}", CreditCount(*available), Grouped(*requested))]
    SubAccountShort {
        name: String,
        available: i64,
        requested: i64,
    },
    #[error("{name} is suspended; reactivate it before giving it credits")]
    Suspended { name: String },
    #[error("That account is not one of your sub-accounts")]
    SubAccountNotFound,
    #[error("Only resellers have sub-accounts")]
    NotAReseller,
    #[error("Enter a name")]
    NameRequired,
    #[error("Keep the name to {max} characters or fewer")]
    NameTooLong { max: usize },
    #[error("A login is 3 to 40 letters, digits, dots, dashes or underscores")]
    InvalidLogin,
    #[error("That login is taken; choose another")]
    LoginTaken,
    #[error("Use a password of at least {min} characters")]
    PasswordTooShort { min: usize },
    #[error("Keep the password to {max} characters or fewer")]
    PasswordTooLong { max: usize },
    #[error("Wrong login or password")]
    WrongCredentials,
    #[error("Too many failed sign-ins; try again in {} minute{}", minutes, if *minutes == 1 { "" } else { "s" })]
    TooManyAttempts { minutes: u64 },
    #[error("This account is suspended; ask your reseller to reactivate it")]
    AccountSuspended,
    #[error("Your session has ended; please sign in again")]
    Unauthenticated,
    #[error("This request did not come from a Creditdesk page and was refused")]
    CrossSite,
    #[error("This pop-up already saved a different transfer; close it and start again")]
    RequestReused,
    #[error("Enter dates as YYYY-MM-DD, e.g. 2026-11-25")]
    InvalidDate,
    #[error("The request was not understood; reload the page and try again")]
    BadRequest,
    #[error("Could not reach Creditdesk; check your connection and try again")]
    Unreachable,
    #[error("Something went wrong on our side and nothing was changed; please try again")]
    Internal,
}

/// A form field an error can be pinned on, so the form marks that field invalid next to the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Credits,
    Note,
    Name,
    Login,
    Password,
    /// Login and password together: a failed sign-in does not say which one was wrong, so that it
    /// does not reveal which logins exist.
    Credentials,
}

impl AppError {
    /// The field whose value caused this error, if the error is about what was typed rather than
    /// about the state of things. Listed variant by variant so that a new error has to decide.
    pub fn field(&self) -> Option<FormField> {
        match self {
            Self::InvalidCredits
            | Self::ZeroCredits
            | Self::TooManyCredits { .. }
            | Self::NotEnoughCredits { .. }
            | Self::SubAccountShort { .. } => Some(FormField::Credits),
            Self::NoteRequired | Self::NoteTooLong { .. } => Some(FormField::Note),
            Self::NameRequired | Self::NameTooLong { .. } => Some(FormField::Name),
            Self::InvalidLogin | Self::LoginTaken => Some(FormField::Login),
            Self::PasswordTooShort { .. } | Self::PasswordTooLong { .. } => {
                Some(FormField::Password)
            }
            Self::WrongCredentials => Some(FormField::Credentials),
            // About the account, the session or the connection: retyping a field cannot fix these.
            Self::Suspended { .. }
            | Self::SubAccountNotFound
            | Self::NotAReseller
            | Self::TooManyAttempts { .. }
            | Self::AccountSuspended
            | Self::Unauthenticated
            | Self::CrossSite
            | Self::RequestReused
            | Self::InvalidDate
            | Self::BadRequest
            | Self::Unreachable
            | Self::Internal => None,
        }
    }

    /// The HTTP status a server function answers with when it fails this way.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidCredits
            | Self::ZeroCredits
            | Self::TooManyCredits { .. }
            | Self::NoteRequired
            | Self::NoteTooLong { .. }
            | Self::NameRequired
            | Self::NameTooLong { .. }
            | Self::InvalidLogin
            | Self::PasswordTooShort { .. }
            | Self::PasswordTooLong { .. }
            | Self::InvalidDate => 422,
            Self::NotEnoughCredits { .. }
            | Self::SubAccountShort { .. }
            | Self::Suspended { .. }
            | Self::RequestReused
            | Self::LoginTaken => 409,
            Self::SubAccountNotFound => 404,
            Self::Unauthenticated | Self::WrongCredentials => 401,
            Self::NotAReseller | Self::AccountSuspended | Self::CrossSite => 403,
            Self::TooManyAttempts { .. } => 429,
            Self::BadRequest => 400,
            Self::Unreachable => 503,
            Self::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Request(_) => Self::Unreachable,
            // Deserialization: the server could not read the arguments, or the browser could not read
            // the answer (a page older than the server); reloading fixes both.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => Self::BadRequest,
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::Response(_) => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_name_the_numbers() {
        let short = AppError::SubAccountShort {
            name: "Acme".into(),
            available: 5,
            requested: 8,
        };
        assert_eq!(short.to_string(), "Acme has 5 credits; you cannot revoke 8");
        let broke = AppError::NotEnoughCredits {
            available: 10,
            requested: 30,
        };
        assert_eq!(broke.to_string(), "You have 10 credits; you cannot give 30");
        let throttled = AppError::TooManyAttempts { minutes: 1 };
        assert_eq!(
            throttled.to_string(),
            "Too many failed sign-ins; try again in 1 minute"
        );
        let limit = AppError::TooManyCredits { max: 1_000_000_000 };
        assert_eq!(
            limit.to_string(),
            "One transfer can move at most 1,000,000,000 credits"
        );
    }

    #[test]
    fn a_refused_amount_marks_the_credits_field() {
        let short = AppError::SubAccountShort {
            name: "Acme".into(),
            available: 0,
            requested: 1,
        };
        for error in [
            AppError::ZeroCredits,
            AppError::TooManyCredits { max: 10 },
            short,
        ] {
            assert_eq!(error.field(), Some(FormField::Credits), "{error:?}");
        }
    }

    #[test]
    fn each_typed_value_is_blamed_on_its_own_field() {
        assert_eq!(
            AppError::NoteTooLong { max: 5 }.field(),
            Some(FormField::Note)
        );
        assert_eq!(AppError::NameRequired.field(), Some(FormField::Name));
        assert_eq!(AppError::LoginTaken.field(), Some(FormField::Login));
        assert_eq!(
            AppError::PasswordTooShort { min: 8 }.field(),
            Some(FormField::Password)
        );
    }

    #[test]
    fn a_wrong_password_blames_login_and_password_together() {
        assert_eq!(
            AppError::WrongCredentials.field(),
            Some(FormField::Credentials)
        );
    }

    #[test]
    fn errors_about_the_account_or_the_connection_mark_no_field() {
        let suspended = AppError::Suspended {
            name: "Acme".into(),
        };
        for error in [
            suspended,
            AppError::TooManyAttempts { minutes: 1 },
            AppError::Unauthenticated,
            AppError::Unreachable,
        ] {
            assert_eq!(error.field(), None, "{error:?}");
        }
    }

    #[test]
    fn errors_survive_the_wire() {
        let error = AppError::Suspended {
            name: "Acme".into(),
        };
        assert_eq!(AppError::de(error.ser()), error);
    }
}
