//! Every API failure as an RFC 9457 problem document (`application/problem+json`): a stable `type`
//! per error, its `title`, the HTTP `status`, and as `detail` the very sentence the UI shows (the
//! ledger's errors reach here as `AppError`, through the same conversions the server functions use).
//! Invalid input lists each field with its own sentence in `errors`.

use app::error::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Where the problem types live; a type is this followed by the problem's slug.
pub const PROBLEM_BASE: &str = "https://creditdesk.example/problems/";
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; stable, so clients may match on it.
    #[schema(example = "https://creditdesk.example/problems/not-enough-credits")]
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem, the same for every occurrence.
    #[schema(example = "Not enough credits")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 409)]
    pub status: u16,
    /// What went wrong this time, in the words the Creditdesk pages use.
    #[schema(example = "You have 10 credits; you cannot give 30")]
    pub detail: String,
    /// For invalid input: each field that was refused, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One refused field of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field or parameter, as named in the request.
    #[schema(example = "credits")]
    pub field: String,
    #[schema(
        example = "Enter a number of credits other than 0, e.g. 30 to give or -5 to take back"
    )]
    pub detail: String,
}

/// Why an API request failed.
#[derive(Debug)]
pub enum ApiError {
    /// One failure, in the reseller's words.
    App(AppError),
    /// A body that failed validation (422): each field with its reason.
    Invalid(Vec<(&'static str, AppError)>),
    /// Query parameters that could not be read (400): each with its reason.
    BadParameters(Vec<(&'static str, AppError)>),
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self::App(error)
    }
}

/// The ledger's errors (and the values' parse errors) become `AppError`s exactly as in the server
/// functions, so an API client reads the sentence a reseller reads.
macro_rules! through_app_error {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for ApiError {
            fn from(error: $error) -> Self {
                Self::App(AppError::from(error))
            }
        })*
    };
}

through_app_error!(
    ledger::StoreError,
    ledger::TransferError,
    ledger::ReadError,
    ledger::ManageError,
    ledger::OpenAccountError,
);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem(self)
    }
}

/// The one mapping from a failure to its problem document and response.
pub fn problem(error: ApiError) -> Response {
    let (status, problem, retry_after) = match error {
        ApiError::App(error) => {
            let (slug, title) = kind(&error);
            let status = error.status();
            let retry_after = match &error {
                AppError::RateLimited { seconds } => Some(*seconds),
                _ => None,
            };
            let problem = Problem {
                problem_type: format!("{PROBLEM_BASE}{slug}"),
                title: title.to_owned(),
                status,
                detail: error.to_string(),
                errors: Vec::new(),
            };
            (status, problem, retry_after)
        }
        ApiError::Invalid(fields) => (
            422,
            field_problem(422, "invalid-request", "Some fields are not valid", &fields),
            None,
        ),
        ApiError::BadParameters(fields) => (
            400,
            field_problem(
                400,
                "invalid-parameters",
                "Some parameters are not valid",
                &fields,
            ),
            None,
        ),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(problem)).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    if let Some(seconds) = retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A problem that lists each refused field or parameter, with every reason joined as its detail.
fn field_problem(
    status: u16,
    slug: &str,
    title: &str,
    fields: &[(&'static str, AppError)],
) -> Problem {
    let errors: Vec<_> = fields
        .iter()
        .map(|(field, error)| FieldProblem {
            field: (*field).to_owned(),
            detail: error.to_string(),
        })
        .collect();
    let detail = errors
        .iter()
        .map(|error| error.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Problem {
        problem_type: format!("{PROBLEM_BASE}{slug}"),
        title: title.to_owned(),
        status,
        detail,
        errors,
    }
}

/// The stable slug and title of each kind of failure. Listed variant by variant so that a new
/// error has to choose its own.
fn kind(error: &AppError) -> (&'static str, &'static str) {
    match error {
        AppError::InvalidCredits => ("invalid-credits", "Not a whole number of credits"),
        AppError::ZeroCredits => ("zero-credits", "Zero credits"),
        AppError::TooManyCredits { .. } => ("too-many-credits", "Too many credits at once"),
        AppError::NoteRequired => ("note-required", "Note required"),
        AppError::NoteTooLong { .. } => ("note-too-long", "Note too long"),
        AppError::NoteControlCharacters => {
            ("note-control-characters", "Control characters in the note")
        }
        AppError::NoteDirectionCharacters => (
            "note-direction-characters",
            "Text-direction characters in the note",
        ),
        AppError::NotEnoughCredits { .. } => ("not-enough-credits", "Not enough credits"),
        AppError::SubAccountShort { .. } => {
            ("sub-account-short", "Not enough credits to take back")
        }
        AppError::UsageShort { .. } => ("usage-short", "Not enough credits for the usage"),
        AppError::UsageNotAllowed => ("usage-not-allowed", "Usage is the platform's to record"),
        AppError::Suspended { .. } => ("suspended", "Account suspended"),
        AppError::SubAccountNotFound => ("sub-account-not-found", "No such sub-account"),
        AppError::AccountNotFound => ("account-not-found", "No such account"),
        AppError::NotAReseller => ("not-a-reseller", "Not a reseller"),
        AppError::NameRequired => ("name-required", "Name required"),
        AppError::NameTooLong { .. } => ("name-too-long", "Name too long"),
        AppError::NameControlCharacters => {
            ("name-control-characters", "Control characters in the name")
        }
        AppError::NameDirectionCharacters => (
            "name-direction-characters",
            "Text-direction characters in the name",
        ),
        AppError::InvalidLogin => ("invalid-login", "Invalid login"),
        AppError::LoginTaken => ("login-taken", "Login taken"),
        AppError::PasswordTooShort { .. } => ("password-too-short", "Password too short"),
        AppError::PasswordTooLong { .. } => ("password-too-long", "Password too long"),
        AppError::WrongCredentials => ("wrong-credentials", "Wrong login or password"),
        AppError::WrongCurrentPassword => ("wrong-current-password", "Wrong current password"),
        AppError::SamePassword => ("same-password", "New password same as the current one"),
        AppError::PasswordsDiffer => ("passwords-differ", "New passwords differ"),
        AppError::PasswordChangeRequired => {
            ("password-change-required", "Password change required")
        }
        AppError::TooManyAttempts { .. } => ("too-many-attempts", "Too many failed sign-ins"),
        AppError::AccountSuspended => ("account-suspended", "Account suspended"),
        AppError::Unauthenticated => ("unauthenticated", "Not signed in"),
        AppError::CrossSite => ("cross-site", "Cross-site request"),
        AppError::RequestReused => ("idempotency-key-reused", "Idempotency key reused"),
        AppError::KeyNameTaken => ("key-name-taken", "Key name taken"),
        AppError::ScopeRequired => ("scope-required", "Scope required"),
        AppError::ScopeNotAllowed { .. } => ("scope-not-allowed", "Scope not allowed"),
        AppError::KeyNotFound => ("key-not-found", "No such key"),
        AppError::InvalidApiKey => ("invalid-api-key", "Missing or invalid API key"),
        AppError::MissingScope { .. } => ("missing-scope", "Scope missing"),
        AppError::RateLimited { .. } => ("rate-limited", "Too many requests"),
        AppError::IdempotencyKeyRequired => {
            ("idempotency-key-required", "Idempotency key required")
        }
        AppError::InvalidLimit { .. } => ("invalid-limit", "Invalid page size"),
        AppError::InvalidCursor => ("invalid-cursor", "Invalid cursor"),
        AppError::InvalidDate => ("invalid-date", "Invalid date"),
        AppError::InvalidRequest { .. } | AppError::BadRequest => {
            ("bad-request", "Request not understood")
        }
        AppError::UnknownEndpoint => ("not-found", "Not found"),
        AppError::RequestTooLarge => ("request-too-large", "Request too large"),
        AppError::Unreachable => ("unreachable", "Creditdesk unreachable"),
        AppError::InvalidLevel { .. } => ("invalid-level", "Not a whole number of credits"),
        AppError::ZeroLevel { .. } => ("zero-level", "Level of zero"),
        AppError::LevelTooHigh { .. } => ("level-too-high", "Level too high"),
        AppError::TopUpNotAbove => ("top-up-not-above", "Top-up level not above its trigger"),
        AppError::ReplenishIncomplete { .. } => ("replenish-incomplete", "Top-up rule incomplete"),
        AppError::ReplenishOwnAccount => (
            "replenish-own-account",
            "Own account cannot be topped up automatically",
        ),
        AppError::WebhookUrlRequired => ("webhook-url-required", "Webhook URL required"),
        AppError::WebhookUrlTooLong => ("webhook-url-too-long", "Webhook URL too long"),
        AppError::WebhookUrlInvalid => ("webhook-url-invalid", "Not a URL"),
        AppError::WebhookUrlNotHttps => ("webhook-url-not-https", "Webhook URL not https"),
        AppError::DeliveryNotFound => ("delivery-not-found", "No such delivery"),
        AppError::Internal => ("internal", "Internal error"),
    }
}

/// Collects the refused fields of one request, so that a client learns of all of them at once.
#[derive(Debug, Default)]
pub struct Fields(Vec<(&'static str, AppError)>);

impl Fields {
    /// The parsed value, or `None` with the reason recorded against `field`.
    pub fn check<T, E: Into<AppError>>(
        &mut self,
        field: &'static str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        parsed
            .map_err(|error| self.0.push((field, error.into())))
            .ok()
    }

    /// Every checked value of a body, or every recorded reason (422).
    pub fn finish<T: Checked>(self, values: T) -> Result<T::Values, ApiError> {
        self.finish_as(values, ApiError::Invalid)
    }

    /// Every checked query parameter, or every recorded reason (400).
    pub fn finish_parameters<T: Checked>(self, values: T) -> Result<T::Values, ApiError> {
        self.finish_as(values, ApiError::BadParameters)
    }

    fn finish_as<T: Checked>(
        self,
        values: T,
        refused: fn(Vec<(&'static str, AppError)>) -> ApiError,
    ) -> Result<T::Values, ApiError> {
        if !self.0.is_empty() {
            return Err(refused(self.0));
        }
        // Every check passed, so every value is there.
        values.all().ok_or(ApiError::App(AppError::Internal))
    }
}

/// A tuple of checked values, each `Some` when its check passed.
pub trait Checked {
    type Values;
    fn all(self) -> Option<Self::Values>;
}

/// `Checked` for tuples of two to seven values.
macro_rules! checked {
    ($($value:ident),+) => {
        impl<$($value),+> Checked for ($(Option<$value>,)+) {
            type Values = ($($value,)+);
            #[allow(non_snake_case)]
            fn all(self) -> Option<Self::Values> {
                let ($($value,)+) = self;
                Some(($($value?,)+))
            }
        }
    };
}

checked!(A, B);
checked!(A, B, C);
checked!(A, B, C, D);
checked!(A, B, C, D, E);
checked!(A, B, C, D, E, F);
checked!(A, B, C, D, E, F, G);

/// One refused field, for requests that check a single one.
pub fn invalid(field: &'static str, error: impl Into<AppError>) -> ApiError {
    ApiError::Invalid(vec![(field, error.into())])
}
