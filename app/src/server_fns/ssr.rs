//! The server side of the server functions: context access, the acting account, and the one mapping
//! from ledger results to the UI's types and errors.

use ledger::{
    Account, AccountId, AccountKind, AccountStatus, Actor, Credits, CreditsError, HistoryEntry,
    IdempotencyKey, Ledger, Note, NoteError, StoreError, TransferError, TransferKind,
    TransferRequest,
};
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{
    AccountState, AccountSummary, AccountType, CreditChange, CreditRequest, LedgerLine,
    TransferReceipt, TransferType,
};
use crate::state::AppState;

/// Entries per page of history.
const HISTORY_PAGE: i64 = 20;

pub async fn my_account() -> Result<AccountSummary, AppError> {
    let (ledger, actor) = acting().await?;
    let account = ledger
        .account(actor.account)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(summary(account))
}

pub async fn sub_accounts() -> Result<Vec<AccountSummary>, AppError> {
    let (ledger, actor) = acting().await?;
    Ok(ledger
        .sub_accounts(actor.account)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

pub async fn transfer_credits(request: CreditRequest) -> Result<TransferReceipt, AppError> {
    let change = CreditChange::parse(&request.credits)?;
    let credits = Credits::new(change.amount())?;
    let note = Note::parse(&request.note)?;
    let key = IdempotencyKey::parse(&request.request_id).map_err(|_| AppError::BadRequest)?;
    let (ledger, actor) = acting().await?;
    let transfer_request = TransferRequest {
        sub_account: AccountId(request.sub_account_id),
        credits,
        note,
        key,
    };
    let transfer = match change {
        CreditChange::Give(_) => ledger.grant(&actor, &transfer_request).await?,
        CreditChange::Revoke(_) => ledger.revoke(&actor, &transfer_request).await?,
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

pub async fn recent_transfers(before: Option<i64>) -> Result<Vec<LedgerLine>, AppError> {
    let (ledger, actor) = acting().await?;
    let entries = ledger.history(actor.account, before, HISTORY_PAGE).await?;
    Ok(entries
        .into_iter()
        .map(|entry| ledger_line(entry, actor.account))
        .collect())
}

/// The ledger and the account acting. Until sign-in exists, the app acts as the first direct reseller.
async fn acting() -> Result<(Ledger, Actor), AppError> {
    let ledger = use_context::<AppState>()
        .map(|state| state.ledger)
        .ok_or_else(|| internal("AppState is not in context"))?;
    let account = ledger
        .first_direct_reseller()
        .await?
        .ok_or_else(|| internal("no direct reseller exists; run `server demo`"))?;
    let actor = Actor {
        account: account.id,
        name: account.name,
    };
    Ok((ledger, actor))
}

fn summary(account: Account) -> AccountSummary {
    AccountSummary {
        id: account.id.0,
        name: account.name,
        kind: match account.kind {
            AccountKind::Platform => AccountType::Platform,
            AccountKind::DirectReseller => AccountType::DirectReseller,
            AccountKind::Reseller => AccountType::Reseller,
            AccountKind::Customer => AccountType::Customer,
        },
        balance: account.balance,
        state: match account.status {
            AccountStatus::Active => AccountState::Active,
            AccountStatus::Suspended => AccountState::Suspended,
        },
    }
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
