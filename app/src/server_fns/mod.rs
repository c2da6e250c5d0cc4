//! Every server function. Each is a thin adapter: who is acting, parse the input, one ledger call,
//! and the domain result (or error) turned into the UI's types. The work sits in `ssr`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{AccountSummary, CreditRequest, LedgerLine, TransferReceipt};

#[cfg(feature = "ssr")]
mod ssr;

/// The account the signed-in user acts for, with its balance.
#[server(endpoint = "my_account", input = Json)]
pub async fn my_account() -> Result<AccountSummary, AppError> {
    ssr::my_account().await
}

/// The caller's direct sub-accounts with their balances.
#[server(endpoint = "sub_accounts", input = Json)]
pub async fn sub_accounts() -> Result<Vec<AccountSummary>, AppError> {
    ssr::sub_accounts().await
}

/// Gives credits to a sub-account (a positive number) or takes them back (a minus sign).
#[server(endpoint = "transfer_credits", input = Json)]
pub async fn transfer_credits(request: CreditRequest) -> Result<TransferReceipt, AppError> {
    ssr::transfer_credits(request).await
}

/// The caller's own ledger entries, newest first, older than `before` when given.
#[server(endpoint = "recent_transfers", input = Json)]
pub async fn recent_transfers(before: Option<i64>) -> Result<Vec<LedgerLine>, AppError> {
    ssr::recent_transfers(before).await
}
