//! The server side of the server functions: who is calling, and the one mapping from ledger results
//! to the UI's types and errors.
//!
//! Authorization: every function starts from `caller()`, the session the HTTP layer resolved for this
//! request. Moves and management reach the caller's direct sub-accounts only; reads reach the caller
//! and everything below it. An id outside that set gets the same `SubAccountNotFound` as an id that
//! does not exist, so answers never reveal what exists elsewhere.

use std::time::Duration;

use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use ledger::{
    Account, AccountId, AccountKind, AccountName, AccountNameError, AccountStatus, Actor, Credits,
    CreditsError, HistoryEntry, IdempotencyKey, Ledger, Login, ManageError, Note, NoteError,
    OpenAccountError, Password, PasswordError, SignInError, SignedIn, StoreError, SubAccount,
    TransferError, TransferKind, TransferRequest,
};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::error::AppError;
use crate::model::{
    AccountState, AccountSummary, AccountType, CreditChange, CreditRequest, HISTORY_PAGE,
    LedgerLine, NewSubAccount, TransferReceipt, TransferType,
};
use crate::session::{self, ClientAddress};
use crate::state::AppState;

/// The signed-in caller of this request, with the ledger to act on.
struct Caller {
    ledger: Ledger,
    signed_in: SignedIn,
}

impl Caller {
    fn actor(&self) -> Actor {
        Actor {
            account: self.signed_in.account,
            name: self.signed_in.login.clone(),
        }
    }
}

async fn caller() -> Result<Caller, AppError> {
    let signed_in = request_parts()?
        .extensions
        .get::<SignedIn>()
        .cloned()
        .ok_or(AppError::Unauthenticated)?;
    Ok(Caller {
        ledger: ledger()?,
        signed_in,
    })
}

pub async fn sign_in(login: String, password: String) -> Result<String, AppError> {
    let parts = request_parts()?;
    let address = parts
        .extensions
        .get::<ClientAddress>()
        .map_or_else(|| "unknown".to_owned(), |address| address.0.clone());
    let grant = ledger()?.sign_in(&login, &password, &address).await?;
    response()?.insert_header(
        SET_COOKIE,
        session::set_cookie(&grant.token, grant.lifetime, &parts.headers),
    );
    Ok(AccountType::from(grant.signed_in.kind)
        .landing_path()
        .to_owned())
}

pub async fn sign_out() -> Result<(), AppError> {
    let parts = request_parts()?;
    if let Some(token) = session::token(&parts.headers) {
        ledger()?.sign_out(&token).await?;
    }
    response()?.insert_header(SET_COOKIE, session::clear_cookie(&parts.headers));
    Ok(())
}

pub async fn my_account() -> Result<AccountSummary, AppError> {
    let caller = caller().await?;
    let account = caller
        .ledger
        .account(caller.signed_in.account)
        .await?
        .ok_or_else(|| internal("the signed-in account is missing"))?;
    Ok(summary(account, Some(caller.signed_in.login)))
}

pub async fn sub_accounts() -> Result<Vec<AccountSummary>, AppError> {
    let caller = caller().await?;
    if caller.signed_in.kind == AccountKind::Customer {
        return Err(AppError::NotAReseller);
    }
    let sub_accounts = caller.ledger.sub_accounts(caller.signed_in.account).await?;
    Ok(sub_accounts.into_iter().map(sub_account_summary).collect())
}

pub async fn transfer_credits(request: CreditRequest) -> Result<TransferReceipt, AppError> {
    let caller = caller().await?;
    let change = CreditChange::parse(&request.credits)?;
    let transfer_request = TransferRequest {
        sub_account: AccountId(request.sub_account_id),
        credits: Credits::new(change.amount())?,
        note: Note::parse(&request.note)?,
        key: IdempotencyKey::parse(&request.request_id).map_err(|_| AppError::BadRequest)?,
    };
    let actor = caller.actor();
    let transfer = match change {
        CreditChange::Give(_) => caller.ledger.grant(&actor, &transfer_request).await?,
        CreditChange::Revoke(_) => caller.ledger.revoke(&actor, &transfer_request).await?,
    };
    let (own_balance, sub_account_balance) = match transfer.kind {
        TransferKind::Revoke => (transfer.to_balance_after, transfer.from_balance_after),
        TransferKind::Grant | TransferKind::TopUp => {
            (transfer.from_balance_after, transfer.to_balance_after)
        }
    };
    Ok(TransferReceipt {
        transfer_id: transfer.id,
        sub_account_id: request.sub_account_id,
        sub_account_balance,
        own_balance,
    })
}

pub async fn account_transfers(
    account_id: Option<i64>,
    before: Option<i64>,
) -> Result<Vec<LedgerLine>, AppError> {
    let caller = caller().await?;
    let account = account_id.map_or(caller.signed_in.account, AccountId);
    if !caller
        .ledger
        .is_self_or_descendant(caller.signed_in.account, account)
        .await?
    {
        return Err(AppError::SubAccountNotFound);
    }
    let entries = caller
        .ledger
        .history(account, before, HISTORY_PAGE as i64)
        .await?;
    Ok(entries
        .into_iter()
        .map(|entry| ledger_line(entry, account))
        .collect())
}

pub async fn create_sub_account(account: NewSubAccount) -> Result<AccountSummary, AppError> {
    let caller = caller().await?;
    let kind = match account.kind {
        AccountType::Reseller => AccountKind::Reseller,
        AccountType::Customer => AccountKind::Customer,
        AccountType::Platform | AccountType::DirectReseller => return Err(AppError::BadRequest),
    };
    let name = AccountName::parse(&account.name)?;
    let login = Login::parse(&account.login).map_err(|_| AppError::InvalidLogin)?;
    let password = Password::parse(&account.password)?;
    let opened = caller
        .ledger
        .open_account(caller.signed_in.account, kind, &name, &login, &password)
        .await?;
    tracing::info!(by = %caller.signed_in.login, account = %opened.account.id, "sub-account opened");
    Ok(sub_account_summary(opened))
}

pub async fn rename_sub_account(account_id: i64, name: String) -> Result<AccountSummary, AppError> {
    let caller = caller().await?;
    let name = AccountName::parse(&name)?;
    let renamed = caller
        .ledger
        .rename_sub_account(caller.signed_in.account, AccountId(account_id), &name)
        .await?;
    Ok(sub_account_summary(renamed))
}

pub async fn set_sub_account_state(
    account_id: i64,
    state: AccountState,
) -> Result<AccountSummary, AppError> {
    let caller = caller().await?;
    let status = match state {
        AccountState::Active => AccountStatus::Active,
        AccountState::Suspended => AccountStatus::Suspended,
    };
    let changed = caller
        .ledger
        .set_sub_account_status(caller.signed_in.account, AccountId(account_id), status)
        .await?;
    Ok(sub_account_summary(changed))
}

fn ledger() -> Result<Ledger, AppError> {
    use_context::<AppState>()
        .map(|state| state.ledger)
        .ok_or_else(|| internal("AppState is not in context"))
}

fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| internal("the request is not in context"))
}

fn response() -> Result<ResponseOptions, AppError> {
    use_context::<ResponseOptions>().ok_or_else(|| internal("the response is not in context"))
}

impl From<AccountKind> for AccountType {
    fn from(kind: AccountKind) -> Self {
        match kind {
            AccountKind::Platform => Self::Platform,
            AccountKind::DirectReseller => Self::DirectReseller,
            AccountKind::Reseller => Self::Reseller,
            AccountKind::Customer => Self::Customer,
        }
    }
}

fn summary(account: Account, login: Option<String>) -> AccountSummary {
    AccountSummary {
        id: account.id.0,
        name: account.name,
        kind: account.kind.into(),
        balance: account.balance,
        state: match account.status {
            AccountStatus::Active => AccountState::Active,
            AccountStatus::Suspended => AccountState::Suspended,
        },
        login,
    }
}

fn sub_account_summary(sub_account: SubAccount) -> AccountSummary {
    summary(sub_account.account, sub_account.login)
}

fn ledger_line(entry: HistoryEntry, viewer: AccountId) -> LedgerLine {
    let transfer = entry.transfer;
    let outgoing = transfer.from == viewer;
    LedgerLine {
        id: transfer.id,
        kind: match transfer.kind {
            TransferKind::Grant => TransferType::Grant,
            TransferKind::Revoke => TransferType::Revoke,
            TransferKind::TopUp => TransferType::TopUp,
        },
        counterparty: if outgoing {
            entry.to_name
        } else {
            entry.from_name
        },
        change: if outgoing {
            -transfer.amount
        } else {
            transfer.amount
        },
        balance_after: if outgoing {
            transfer.from_balance_after
        } else {
            transfer.to_balance_after
        },
        note: transfer.note,
        actor: transfer.actor,
        at: transfer.created_at,
    }
}

/// Logs the cause for operators and hands the client the opaque `Internal`.
fn internal(cause: impl std::fmt::Display) -> AppError {
    tracing::error!(%cause, "request failed");
    AppError::Internal
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        internal(error)
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
            // Top-ups are made from the command line, never through a server function.
            TransferError::NotADirectReseller => internal(error),
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
            TransferError::Store(error) => internal(error),
        }
    }
}

impl From<OpenAccountError> for AppError {
    fn from(error: OpenAccountError) -> Self {
        match error {
            OpenAccountError::KindNotAllowed { .. } => Self::NotAReseller,
            OpenAccountError::LoginTaken => Self::LoginTaken,
            OpenAccountError::ParentNotFound => internal(error),
            OpenAccountError::Store(error) => internal(error),
        }
    }
}

impl From<ManageError> for AppError {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::SubAccountNotFound => Self::SubAccountNotFound,
            ManageError::Store(error) => internal(error),
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
            SignInError::Store(error) => internal(error),
        }
    }
}

fn minutes_rounded_up(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60).max(1)
}
