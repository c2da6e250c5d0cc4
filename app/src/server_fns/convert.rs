//! The one mapping between the ledger and the wire: domain values into the UI's types, and domain
//! errors into `AppError`, each matched exhaustively so that a new ledger error forces a decision.

use std::time::Duration;

use ledger::{
    AccountId, AccountNameError, ApiKeyError, ApiKeyNameError, ChangePasswordError, CreditsError,
    CursorError, ManageError, NoteError, OpenAccountError, PasswordError, ReadError, RulesError,
    SearchText, SignInError, StoreError, SubAccountQuery, TransferError, TransferQuery,
    WebhookError, WebhookUrlError,
};

use crate::error::AppError;
use crate::format::start_of_day;
use crate::model::{
    AccountSummary, AccountTransfer, Alert, ApiKeySummary, ApiScope, Delivery, DeliveryAttempt,
    GRID_PAGE, SubAccountList, SubAccountView, TransferList, TransferView, WebhookSummary,
};

/// Logs an unexpected failure once, with its whole cause chain, and hands the client the opaque
/// `Internal` (database text never reaches a browser).
pub fn internal(error: &(dyn std::error::Error + 'static)) -> AppError {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "request failed");
    AppError::Internal
}

pub fn summary(account: ledger::Account, login: Option<String>) -> AccountSummary {
    AccountSummary {
        id: account.id.0,
        name: account.name,
        kind: account.kind.into(),
        balance: account.balance,
        status: account.status.into(),
        login,
        created_at: account.created_at,
    }
}

/// Manage Customers' URL state as a ledger query.
///
/// Errors: `BadRequest` for a cursor no page gave out.
pub fn sub_account_query(view: &SubAccountView) -> Result<SubAccountQuery, AppError> {
    Ok(SubAccountQuery {
        search: SearchText::parse(&view.q),
        kind: view.kind.map(Into::into),
        status: view.status.map(Into::into),
        sort: view.sort.into(),
        direction: view.direction.into(),
        cursor: cursor(view.cursor.as_deref())?,
        limit: GRID_PAGE,
    })
}

/// The transfers page's URL state (or the download's) as a ledger query of `limit` rows a page.
/// `To` is the last day shown, so the range ends where the next day starts.
///
/// Errors: `InvalidDate`; `BadRequest` for a cursor no page gave out.
pub fn transfer_query(view: &TransferView, limit: u32) -> Result<TransferQuery, AppError> {
    let day = |date: &str| match date.trim() {
        "" => Ok(None),
        date => start_of_day(date).map(Some).ok_or(AppError::InvalidDate),
    };
    Ok(TransferQuery {
        account: view.account.map(AccountId),
        since: day(&view.from)?,
        until: day(&view.to)?.map(|start| start + 86_400_000),
        kind: view.kind.map(Into::into),
        counterparty: view.counterparty.map(AccountId),
        note: SearchText::parse(&view.note),
        cursor: cursor(view.cursor.as_deref())?,
        limit,
    })
}

fn cursor<C: std::str::FromStr<Err = CursorError>>(
    text: Option<&str>,
) -> Result<Option<C>, AppError> {
    text.map(str::parse)
        .transpose()
        .map_err(|CursorError| AppError::BadRequest)
}

impl From<ledger::SubAccountPage> for SubAccountList {
    fn from(page: ledger::SubAccountPage) -> Self {
        Self {
            rows: page.rows.into_iter().map(AccountSummary::from).collect(),
            next: page.next.map(|cursor| cursor.to_string()),
            previous: page.previous.map(|cursor| cursor.to_string()),
            matching: page.matching,
            matching_credits: page.matching_credits,
        }
    }
}

impl From<ledger::TransferPage> for TransferList {
    fn from(page: ledger::TransferPage) -> Self {
        Self {
            account: summary(page.account, None),
            rows: page.rows.into_iter().map(AccountTransfer::from).collect(),
            next: page.next.map(|cursor| cursor.to_string()),
            previous: page.previous.map(|cursor| cursor.to_string()),
        }
    }
}

impl From<ledger::SubAccount> for AccountSummary {
    fn from(sub_account: ledger::SubAccount) -> Self {
        summary(sub_account.account, sub_account.login)
    }
}

impl From<ledger::AccountTransfer> for AccountTransfer {
    fn from(transfer: ledger::AccountTransfer) -> Self {
        Self {
            id: transfer.id,
            kind: transfer.kind.into(),
            counterparty: transfer.counterparty,
            counterparty_id: transfer.counterparty_id.0,
            change: transfer.change,
            balance_after: transfer.balance_after,
            note: transfer.note,
            actor: transfer.actor,
            at: transfer.created_at,
        }
    }
}

impl From<ledger::ApiKey> for ApiKeySummary {
    fn from(key: ledger::ApiKey) -> Self {
        Self {
            id: key.id.0,
            name: key.name,
            // Account keys never hold `usage` (the ledger refuses it), so nothing is dropped here.
            scopes: key
                .scopes
                .iter()
                .filter_map(|scope| match scope {
                    ledger::Scope::Read => Some(ApiScope::Read),
                    ledger::Scope::Transfer => Some(ApiScope::Transfer),
                    ledger::Scope::Manage => Some(ApiScope::Manage),
                    ledger::Scope::Usage => None,
                })
                .collect(),
            created_at: key.created_at,
            last_used_at: key.last_used_at,
        }
    }
}

impl From<ledger::Alert> for Alert {
    fn from(alert: ledger::Alert) -> Self {
        Self {
            id: alert.id,
            kind: alert.kind.into(),
            account_id: alert.account.0,
            account_name: alert.account_name,
            balance: alert.balance,
            threshold: alert.threshold,
            transfer_id: alert.transfer_id,
            at: alert.created_at,
            unread: alert.unread,
        }
    }
}

impl From<ledger::Webhook> for WebhookSummary {
    fn from(webhook: ledger::Webhook) -> Self {
        Self {
            url: webhook.url,
            created_at: webhook.created_at,
        }
    }
}

impl From<ledger::Delivery> for Delivery {
    fn from(delivery: ledger::Delivery) -> Self {
        Self {
            id: delivery.id,
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            status: delivery.status.into(),
            attempts: delivery.attempts,
            last_response_code: delivery.last_response_code,
            last_error: delivery.last_error,
            next_attempt_at: delivery.next_attempt_at,
            created_at: delivery.created_at,
        }
    }
}

impl From<ledger::DeliveryAttempt> for DeliveryAttempt {
    fn from(attempt: ledger::DeliveryAttempt) -> Self {
        Self {
            delivery_id: attempt.delivery_id,
            event_type: attempt.event_type,
            at: attempt.attempted_at,
            response_code: attempt.response_code,
            error: attempt.error,
            duration_ms: attempt.duration_ms,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        internal(&error)
    }
}

impl From<CreditsError> for AppError {
    fn from(error: CreditsError) -> Self {
        match error {
            CreditsError::NotPositive => Self::ZeroCredits,
            CreditsError::TooMany => Self::TooManyCredits {
                max: ledger::MAX_CREDITS_PER_TRANSFER,
            },
        }
    }
}

impl From<NoteError> for AppError {
    fn from(error: NoteError) -> Self {
        match error {
            NoteError::Empty => Self::NoteRequired,
            NoteError::TooLong => Self::NoteTooLong {
                max: ledger::MAX_NOTE_CHARS,
            },
            NoteError::ControlCharacters => Self::NoteControlCharacters,
            NoteError::DirectionCharacters => Self::NoteDirectionCharacters,
        }
    }
}

impl From<AccountNameError> for AppError {
    fn from(error: AccountNameError) -> Self {
        match error {
            AccountNameError::Empty => Self::NameRequired,
            AccountNameError::TooLong => Self::NameTooLong {
                max: ledger::MAX_NAME_CHARS,
            },
            AccountNameError::ControlCharacters => Self::NameControlCharacters,
            AccountNameError::DirectionCharacters => Self::NameDirectionCharacters,
        }
    }
}

impl From<PasswordError> for AppError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::TooShort => Self::PasswordTooShort {
                min: ledger::users::MIN_PASSWORD_CHARS,
            },
            PasswordError::TooLong => Self::PasswordTooLong {
                max: ledger::users::MAX_PASSWORD_CHARS,
            },
        }
    }
}

impl From<TransferError> for AppError {
    fn from(error: TransferError) -> Self {
        match error {
            TransferError::SubAccountNotFound => Self::SubAccountNotFound,
            TransferError::KeyReused => Self::RequestReused,
            TransferError::NotEnoughCredits {
                available,
                requested,
            } => Self::NotEnoughCredits {
                available,
                requested,
            },
            TransferError::SubAccountShort {
                name,
                available,
                requested,
            } => Self::SubAccountShort {
                name,
                available,
                requested,
            },
            TransferError::Suspended { name } => Self::Suspended { name },
            TransferError::OwnAccountSuspended => Self::AccountSuspended,
            TransferError::UsageShort {
                name,
                available,
                requested,
            } => Self::UsageShort {
                name,
                available,
                requested,
            },
            TransferError::UsageNotAllowed => Self::UsageNotAllowed,
            TransferError::AccountNotFound => Self::AccountNotFound,
            // Top-ups are made by operators at the command line, never through a server function.
            TransferError::NotADirectReseller => internal(&error),
            TransferError::Store(error) => internal(&error),
        }
    }
}

impl From<ApiKeyNameError> for AppError {
    fn from(error: ApiKeyNameError) -> Self {
        match error {
            ApiKeyNameError::Empty => Self::NameRequired,
            ApiKeyNameError::TooLong => Self::NameTooLong {
                max: ledger::api_keys::MAX_KEY_NAME_CHARS,
            },
            ApiKeyNameError::ControlCharacters => Self::NameControlCharacters,
            ApiKeyNameError::DirectionCharacters => Self::NameDirectionCharacters,
        }
    }
}

impl From<ApiKeyError> for AppError {
    fn from(error: ApiKeyError) -> Self {
        match error {
            ApiKeyError::NameTaken => Self::KeyNameTaken,
            ApiKeyError::NoScopes => Self::ScopeRequired,
            ApiKeyError::ScopeNotAllowed(scope) => Self::ScopeNotAllowed {
                scope: scope.as_str().to_owned(),
            },
            ApiKeyError::NotFound => Self::KeyNotFound,
            ApiKeyError::Store(error) => internal(&error),
        }
    }
}

impl From<OpenAccountError> for AppError {
    fn from(error: OpenAccountError) -> Self {
        match error {
            OpenAccountError::NotAReseller => Self::NotAReseller,
            // The page offers resellers and customers only; anything else is a forged request.
            OpenAccountError::KindNotAllowed { .. } => Self::BadRequest,
            OpenAccountError::LoginTaken => Self::LoginTaken,
            OpenAccountError::OwnAccountSuspended => Self::AccountSuspended,
            OpenAccountError::Store(error) => internal(&error),
        }
    }
}

impl From<ManageError> for AppError {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::SubAccountNotFound => Self::SubAccountNotFound,
            ManageError::OwnAccountSuspended => Self::AccountSuspended,
            ManageError::Store(error) => internal(&error),
        }
    }
}

impl From<ReadError> for AppError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::NotVisible => Self::SubAccountNotFound,
            ReadError::NotAReseller => Self::NotAReseller,
            ReadError::Store(error) => internal(&error),
        }
    }
}

impl From<SignInError> for AppError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::WrongCredentials => Self::WrongCredentials,
            SignInError::Throttled { retry_after } => Self::TooManyAttempts {
                minutes: minutes_rounded_up(retry_after),
            },
            SignInError::Suspended => Self::AccountSuspended,
            SignInError::PasswordTooLong => Self::PasswordTooLong {
                max: ledger::users::MAX_PASSWORD_CHARS,
            },
            SignInError::Store(error) => internal(&error),
        }
    }
}

impl From<ChangePasswordError> for AppError {
    fn from(error: ChangePasswordError) -> Self {
        match error {
            ChangePasswordError::WrongPassword => Self::WrongCurrentPassword,
            ChangePasswordError::SamePassword => Self::SamePassword,
            ChangePasswordError::Throttled { retry_after } => Self::TooManyAttempts {
                minutes: minutes_rounded_up(retry_after),
            },
            ChangePasswordError::Store(error) => internal(&error),
        }
    }
}

impl From<RulesError> for AppError {
    fn from(error: RulesError) -> Self {
        match error {
            RulesError::SubAccountNotFound => Self::SubAccountNotFound,
            // The pop-up refuses 0 and below itself, so only a level over the limit gets here.
            RulesError::OutOfRange => Self::LevelTooHigh {
                max: ledger::MAX_CREDITS_PER_TRANSFER,
            },
            RulesError::TopUpNotAbove { .. } => Self::TopUpNotAbove,
            RulesError::ReplenishOwnAccount => Self::ReplenishOwnAccount,
            RulesError::Store(error) => internal(&error),
        }
    }
}

impl From<WebhookUrlError> for AppError {
    fn from(error: WebhookUrlError) -> Self {
        match error {
            WebhookUrlError::Empty => Self::WebhookUrlRequired,
            WebhookUrlError::TooLong => Self::WebhookUrlTooLong,
            WebhookUrlError::NotAUrl => Self::WebhookUrlInvalid,
            WebhookUrlError::NotHttps => Self::WebhookUrlNotHttps,
        }
    }
}

impl From<WebhookError> for AppError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Url(error) => error.into(),
            WebhookError::DeliveryNotFound => Self::DeliveryNotFound,
            WebhookError::Store(error) => internal(&error),
        }
    }
}

fn minutes_rounded_up(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use ledger::Note;

    use crate::error::AppError;
    use crate::model::check_note;

    #[test]
    fn the_pop_up_checks_each_character_of_a_note_as_the_ledger_does() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let note = format!("a{c}b");
            let ledger = Note::parse(&note).map(drop).map_err(AppError::from);
            assert_eq!(check_note(&note), ledger, "U+{:04X}", u32::from(c));
        }
    }
}
