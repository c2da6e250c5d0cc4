//! `GET /v1/account`: the key's own account and balance; and the account representation every
//! resource shares.

use app::model::{AccountKind, AccountStatus};
use axum::Json;
use ledger::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::Caller;
use crate::api::problem::ApiError;

/// An account: the key's own, or one of its sub-accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    #[schema(example = 2)]
    pub id: i64,
    #[schema(example = "Reseller One")]
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    /// Whole credits; never negative except for the platform.
    #[schema(example = 30)]
    pub balance: i64,
    /// The login of the account's user (sub-accounts only).
    #[schema(example = "reseller1")]
    pub login: Option<String>,
    /// When the account was opened (RFC 3339, UTC).
    #[schema(example = "2026-11-26T09:30:00.000Z")]
    pub created_at: String,
}

impl From<ledger::SubAccount> for Account {
    fn from(sub_account: ledger::SubAccount) -> Self {
        Self {
            login: sub_account.login,
            ..Self::from(sub_account.account)
        }
    }
}

impl From<ledger::Account> for Account {
    fn from(account: ledger::Account) -> Self {
        Self {
            id: account.id.0,
            name: account.name,
            kind: account.kind.into(),
            status: account.status.into(),
            balance: account.balance,
            login: None,
            created_at: app::format::iso_8601_utc(account.created_at),
        }
    }
}

/// The key's own account, with its balance.
#[utoipa::path(
    get,
    path = "/v1/account",
    tag = "account",
    responses((status = 200, description = "The key's account", body = Account)),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key))]
pub async fn show(caller: Caller) -> Result<Json<Account>, ApiError> {
    caller.require(Scope::Read)?;
    let account = caller.ledger.own_account(&caller.actor).await?;
    Ok(Json(account.into()))
}
