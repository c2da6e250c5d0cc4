//! `AppError`: everything that can go wrong, in the reseller's words. The same enum travels from the
//! server functions to the browser (in postcard, as their answers do: see `wire`), so the UI
//! matches on variants rather than on strings.

use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::format::{CreditCount, Grouped};
use crate::model::RuleLevel;

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
    #[error("Remove the tabs and other control characters from the note")]
    NoteControlCharacters,
    #[error("Remove the hidden text-direction characters from the note")]
    NoteDirectionCharacters,
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
    #[error("{name} has {}; {} cannot be used", CreditCount(*available), Grouped(*requested))]
    UsageShort {
        name: String,
        available: i64,
        requested: i64,
    },
    #[error("Only the platform's operator keys can record usage")]
    UsageNotAllowed,
    #[error("There is no such account")]
    AccountNotFound,
    #[error("That account is not one of your sub-accounts")]
    SubAccountNotFound,
    #[error("Only resellers have sub-accounts")]
    NotAReseller,
    #[error("Enter a name")]
    NameRequired,
    #[error("Keep the name to {max} characters or fewer")]
    NameTooLong { max: usize },
    #[error("Remove the tabs, line breaks and other control characters from the name")]
    NameControlCharacters,
    #[error("Remove the hidden text-direction characters from the name")]
    NameDirectionCharacters,
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
    #[error("That is not your current password")]
    WrongCurrentPassword,
    #[error("Choose a new password, not your current one")]
    SamePassword,
    #[error("The two new passwords differ; type the same one twice")]
    PasswordsDiffer,
    #[error("Choose your own password before going on")]
    PasswordChangeRequired,
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
    #[error("You already have a key with that name; choose another")]
    KeyNameTaken,
    #[error("Choose at least one scope")]
    ScopeRequired,
    #[error("A key of this account cannot have the {scope} scope")]
    ScopeNotAllowed { scope: String },
    #[error("That key does not exist or was already revoked")]
    KeyNotFound,
    #[error("Send a valid API key as Authorization: Bearer cdk_…")]
    InvalidApiKey,
    #[error("This API key does not have the {scope} scope")]
    MissingScope { scope: String },
    #[error("Too many requests with this API key; try again in {} second{}", seconds, if *seconds == 1 { "" } else { "s" })]
    RateLimited { seconds: u64 },
    #[error("Send an Idempotency-Key header of 8 to 64 letters, digits, '-' or '_'")]
    IdempotencyKeyRequired,
    #[error("Ask for 1 to {max} items per page")]
    InvalidLimit { max: u32 },
    #[error("That cursor is not one this API gave out; start from the first page")]
    InvalidCursor,
    #[error("Give dates as YYYY-MM-DD, e.g. 2026-11-26")]
    InvalidDate,
    #[error("The request was not understood: {reason}")]
    InvalidRequest { reason: String },
    #[error("There is nothing at this address")]
    UnknownEndpoint,
    #[error("The request was not understood; reload the page and try again")]
    BadRequest,
    #[error("That request is too large; shorten what you typed and try again")]
    RequestTooLarge,
    #[error("Could not reach Creditdesk; check your connection and try again")]
    Unreachable,
    #[error("{}: enter a whole number of credits, e.g. 10", level.label())]
    InvalidLevel { level: RuleLevel },
    #[error("{}: enter 1 or more, or leave it empty to turn it off", level.label())]
    ZeroLevel { level: RuleLevel },
    #[error("Keep each level to {} or fewer", CreditCount(*max))]
    LevelTooHigh { max: i64 },
    #[error("Top up to must be more than When below")]
    TopUpNotAbove,
    #[error("Fill in both When below and Top up to, or neither")]
    ReplenishIncomplete { missing: RuleLevel },
    #[error("Only the account above yours can top it up automatically")]
    ReplenishOwnAccount,
    #[error("Enter the URL to send events to")]
    WebhookUrlRequired,
    #[error("That URL is too long for a webhook; use a shorter one")]
    WebhookUrlTooLong,
    #[error("Enter a whole URL, e.g. https://example.com/creditdesk")]
    WebhookUrlInvalid,
    #[error("A webhook URL must start with https:// (http:// only to localhost)")]
    WebhookUrlNotHttps,
    #[error("That delivery is not one of yours")]
    DeliveryNotFound,
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
    /// The scopes of a new API key.
    Scopes,
    /// The password a user proves who they are with, before choosing a new one.
    CurrentPassword,
    /// The new password typed a second time.
    RepeatPassword,
    /// A level of the alert settings.
    Level(RuleLevel),
    WebhookUrl,
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
            | Self::SubAccountShort { .. }
            | Self::UsageShort { .. } => Some(FormField::Credits),
            Self::NoteRequired
            | Self::NoteTooLong { .. }
            | Self::NoteControlCharacters
            | Self::NoteDirectionCharacters => Some(FormField::Note),
            Self::NameRequired
            | Self::NameTooLong { .. }
            | Self::NameControlCharacters
            | Self::NameDirectionCharacters
            | Self::KeyNameTaken => Some(FormField::Name),
            Self::ScopeRequired | Self::ScopeNotAllowed { .. } => Some(FormField::Scopes),
            Self::InvalidLogin | Self::LoginTaken => Some(FormField::Login),
            Self::PasswordTooShort { .. } | Self::PasswordTooLong { .. } | Self::SamePassword => {
                Some(FormField::Password)
            }
            Self::WrongCredentials => Some(FormField::Credentials),
            Self::WrongCurrentPassword => Some(FormField::CurrentPassword),
            Self::PasswordsDiffer => Some(FormField::RepeatPassword),
            Self::InvalidLevel { level } | Self::ZeroLevel { level } => {
                Some(FormField::Level(*level))
            }
            Self::ReplenishIncomplete { missing } => Some(FormField::Level(*missing)),
            Self::TopUpNotAbove => Some(FormField::Level(RuleLevel::TopUpTo)),
            Self::WebhookUrlRequired
            | Self::WebhookUrlTooLong
            | Self::WebhookUrlInvalid
            | Self::WebhookUrlNotHttps => Some(FormField::WebhookUrl),
            // The ledger does not say which level is over its limit; nor is the own account's
            // top-up a field the pop-up shows.
            Self::LevelTooHigh { .. } | Self::ReplenishOwnAccount => None,
            // About the account, the session or the connection: retyping a field cannot fix these.
            // The API's own request errors name their parameter in the problem document instead.
            Self::Suspended { .. }
            | Self::UsageNotAllowed
            | Self::AccountNotFound
            | Self::KeyNotFound
            | Self::InvalidApiKey
            | Self::MissingScope { .. }
            | Self::RateLimited { .. }
            | Self::IdempotencyKeyRequired
            | Self::InvalidLimit { .. }
            | Self::InvalidCursor
            | Self::InvalidDate
            | Self::InvalidRequest { .. }
            | Self::UnknownEndpoint
            | Self::SubAccountNotFound
            | Self::DeliveryNotFound
            | Self::NotAReseller
            | Self::TooManyAttempts { .. }
            | Self::AccountSuspended
            | Self::PasswordChangeRequired
            | Self::Unauthenticated
            | Self::CrossSite
            | Self::RequestReused
            | Self::BadRequest
            | Self::RequestTooLarge
            | Self::Unreachable
            | Self::Internal => None,
        }
    }

    /// Whether this refusal is the request's answer for good: the ledger keeps it under the
    /// request id, so a Save with the same id would get it again, and trying again (with the same
    /// or other values) takes a new request id. Any other failure leaves the id as it was: the
    /// request may not have arrived, or may have been applied while its answer was lost.
    pub fn settles_request(&self) -> bool {
        match self {
            Self::NotEnoughCredits { .. }
            | Self::SubAccountShort { .. }
            | Self::UsageShort { .. }
            | Self::Suspended { .. }
            | Self::AccountSuspended => true,
            Self::InvalidCredits
            | Self::ZeroCredits
            | Self::TooManyCredits { .. }
            | Self::NoteRequired
            | Self::NoteTooLong { .. }
            | Self::NoteControlCharacters
            | Self::NoteDirectionCharacters
            | Self::SubAccountNotFound
            | Self::NotAReseller
            | Self::NameRequired
            | Self::NameTooLong { .. }
            | Self::NameControlCharacters
            | Self::NameDirectionCharacters
            | Self::InvalidLogin
            | Self::LoginTaken
            | Self::PasswordTooShort { .. }
            | Self::PasswordTooLong { .. }
            | Self::WrongCredentials
            | Self::TooManyAttempts { .. }
            | Self::Unauthenticated
            | Self::CrossSite
            | Self::RequestReused
            | Self::UsageNotAllowed
            | Self::AccountNotFound
            | Self::KeyNameTaken
            | Self::ScopeRequired
            | Self::ScopeNotAllowed { .. }
            | Self::KeyNotFound
            | Self::InvalidApiKey
            | Self::MissingScope { .. }
            | Self::RateLimited { .. }
            | Self::IdempotencyKeyRequired
            | Self::InvalidLimit { .. }
            | Self::InvalidCursor
            | Self::InvalidDate
            | Self::InvalidRequest { .. }
            | Self::UnknownEndpoint
            | Self::WrongCurrentPassword
            | Self::SamePassword
            | Self::PasswordsDiffer
            | Self::PasswordChangeRequired
            | Self::InvalidLevel { .. }
            | Self::ZeroLevel { .. }
            | Self::LevelTooHigh { .. }
            | Self::TopUpNotAbove
            | Self::ReplenishIncomplete { .. }
            | Self::ReplenishOwnAccount
            | Self::WebhookUrlRequired
            | Self::WebhookUrlTooLong
            | Self::WebhookUrlInvalid
            | Self::WebhookUrlNotHttps
            | Self::DeliveryNotFound
            | Self::BadRequest
            | Self::RequestTooLarge
            | Self::Unreachable
            | Self::Internal => false,
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
            | Self::NoteControlCharacters
            | Self::NoteDirectionCharacters
            | Self::NameRequired
            | Self::NameTooLong { .. }
            | Self::NameControlCharacters
            | Self::NameDirectionCharacters
            | Self::InvalidLogin
            | Self::PasswordTooShort { .. }
            | Self::PasswordTooLong { .. }
            | Self::ScopeRequired
            | Self::ScopeNotAllowed { .. }
            | Self::InvalidLimit { .. }
            | Self::InvalidCursor
            | Self::InvalidDate
            | Self::SamePassword
            | Self::PasswordsDiffer
            | Self::InvalidLevel { .. }
            | Self::ZeroLevel { .. }
            | Self::LevelTooHigh { .. }
            | Self::TopUpNotAbove
            | Self::ReplenishIncomplete { .. }
            | Self::ReplenishOwnAccount
            | Self::WebhookUrlRequired
            | Self::WebhookUrlTooLong
            | Self::WebhookUrlInvalid
            | Self::WebhookUrlNotHttps => 422,
            Self::NotEnoughCredits { .. }
            | Self::SubAccountShort { .. }
            | Self::UsageShort { .. }
            | Self::Suspended { .. }
            | Self::RequestReused
            | Self::LoginTaken
            | Self::KeyNameTaken => 409,
            Self::SubAccountNotFound
            | Self::AccountNotFound
            | Self::KeyNotFound
            | Self::DeliveryNotFound
            | Self::UnknownEndpoint => 404,
            Self::Unauthenticated | Self::WrongCredentials | Self::InvalidApiKey => 401,
            Self::NotAReseller
            | Self::AccountSuspended
            | Self::WrongCurrentPassword
            | Self::PasswordChangeRequired
            | Self::CrossSite
            | Self::UsageNotAllowed
            | Self::MissingScope { .. } => 403,
            Self::TooManyAttempts { .. } | Self::RateLimited { .. } => 429,
            Self::BadRequest | Self::IdempotencyKeyRequired | Self::InvalidRequest { .. } => 400,
            Self::RequestTooLarge => 413,
            Self::Unreachable => 503,
            Self::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

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
        let used = AppError::UsageShort {
            name: "Acme".into(),
            available: 5,
            requested: 8,
        };
        assert_eq!(used.to_string(), "Acme has 5 credits; 8 cannot be used");
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
    fn each_password_of_the_change_password_form_is_blamed_on_its_own_field() {
        assert_eq!(
            AppError::WrongCurrentPassword.field(),
            Some(FormField::CurrentPassword)
        );
        assert_eq!(AppError::SamePassword.field(), Some(FormField::Password));
        assert_eq!(
            AppError::PasswordsDiffer.field(),
            Some(FormField::RepeatPassword)
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
            AppError::PasswordChangeRequired,
            AppError::Unauthenticated,
            AppError::Unreachable,
        ] {
            assert_eq!(error.field(), None, "{error:?}");
        }
    }

    #[test]
    fn only_a_refusal_the_ledger_keeps_settles_a_request() {
        let short = AppError::NotEnoughCredits {
            available: 10,
            requested: 30,
        };
        assert!(short.settles_request());
        for undecided in [
            AppError::Unreachable,
            AppError::Internal,
            AppError::BadRequest,
            AppError::NoteRequired,
        ] {
            assert!(!undecided.settles_request(), "{undecided:?}");
        }
    }

    #[test]
    fn a_refused_level_marks_its_own_field() {
        assert_eq!(
            AppError::InvalidLevel {
                level: RuleLevel::WhenBelow
            }
            .field(),
            Some(FormField::Level(RuleLevel::WhenBelow))
        );
        assert_eq!(
            AppError::TopUpNotAbove.field(),
            Some(FormField::Level(RuleLevel::TopUpTo))
        );
        assert_eq!(
            AppError::InvalidLevel {
                level: RuleLevel::AlertBelow
            }
            .to_string(),
            "Alert below: enter a whole number of credits, e.g. 10"
        );
    }

    #[test]
    fn errors_survive_the_wire() {
        let error = AppError::Suspended {
            name: "Acme".into(),
        };
        assert_eq!(AppError::de(error.ser()), error);
    }
}
