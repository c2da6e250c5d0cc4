//! `/v1/subaccounts`: the key's direct sub-accounts, as on the Manage Customers page: list (search,
//! filters, cursor paging), open, read one, rename, suspend and reactivate.

use app::error::AppError;
use axum::Json;
use axum::http::StatusCode;
use ledger::{
    AccountId, AccountName, Login, NewSubAccount as LedgerNewSubAccount, Password, Scope,
    SubAccountSearch, SubAccountSearchCursor,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::account::{Account, AccountKind, AccountStatus};
use crate::api::problem::{ApiError, Fields, invalid};
use crate::api::{Body, Caller, Id, Params, page_size};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Text the name or the login contains, regardless of case.
    q: Option<String>,
    kind: Option<SubAccountKind>,
    status: Option<AccountStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    cursor: Option<String>,
}

/// The kinds a sub-account can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubAccountKind {
    Reseller,
    Customer,
}

impl From<SubAccountKind> for ledger::AccountKind {
    fn from(kind: SubAccountKind) -> Self {
        AccountKind::from(kind).into()
    }
}

impl From<SubAccountKind> for AccountKind {
    fn from(kind: SubAccountKind) -> Self {
        match kind {
            SubAccountKind::Reseller => Self::Reseller,
            SubAccountKind::Customer => Self::Customer,
        }
    }
}

/// One page of sub-accounts, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubAccountList {
    pub items: Vec<Account>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A sub-account to open, with the login and first password of its user.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSubAccount {
    pub kind: SubAccountKind,
    /// 1 to 100 characters, not only spaces, no control or text-direction characters.
    #[schema(
        example = "Acme",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*[^\s\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069][^\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*$"
    )]
    pub name: String,
    /// 3 to 40 letters, digits, dots, dashes or underscores; unique regardless of case.
    #[schema(example = "acme", pattern = "^[A-Za-z0-9._-]{3,40}$")]
    pub login: String,
    /// 8 to 128 characters.
    #[schema(example = "a long secret", min_length = 8, max_length = 128)]
    pub password: String,
}

/// What to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubAccountChange {
    /// 1 to 100 characters, not only spaces, no control or text-direction characters.
    #[schema(
        example = "Acme Ltd",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*[^\s\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069][^\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*$"
    )]
    pub name: Option<String>,
    /// `suspended` cuts the account (and everything below it) off; `active` restores it.
    pub status: Option<AccountStatus>,
}

/// The key's direct sub-accounts, by name then id.
#[utoipa::path(
    get,
    path = "/v1/subaccounts",
    tag = "sub-accounts",
    params(ListParams),
    responses(
        (status = 200, description = "One page of sub-accounts", body = SubAccountList),
        (status = 422, description = "A bad limit or cursor", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key))]
pub async fn list(
    caller: Caller,
    Params(params): Params<ListParams>,
) -> Result<Json<SubAccountList>, ApiError> {
    caller.require(Scope::Read)?;
    let query = SubAccountSearch {
        text: params.q,
        kind: params.kind.map(Into::into),
        status: params.status.map(Into::into),
        after: params.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: page_size(params.limit, DEFAULT_PAGE, MAX_PAGE)?,
    };
    let page = caller
        .ledger
        .find_sub_accounts(&caller.actor, &query)
        .await?;
    Ok(Json(SubAccountList {
        items: page.sub_accounts.into_iter().map(Account::from).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    }))
}

/// Opens a reseller or customer under the key's account, at zero credits.
#[utoipa::path(
    post,
    path = "/v1/subaccounts",
    tag = "sub-accounts",
    request_body = NewSubAccount,
    responses(
        (status = 201, description = "Opened", body = Account),
        (status = 409, description = "The login is taken", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, login or password", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["manage"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key))]
pub async fn open(
    caller: Caller,
    Body(body): Body<NewSubAccount>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    caller.require(Scope::Manage)?;
    let mut fields = Fields::default();
    let name = fields.check("name", AccountName::parse(&body.name));
    let login = fields.check(
        "login",
        Login::parse(&body.login).map_err(|_| AppError::InvalidLogin),
    );
    let password = fields.check("password", Password::parse(&body.password));
    let (name, login, password) = fields.finish((name, login, password))?;
    let account = LedgerNewSubAccount {
        kind: body.kind.into(),
        name,
        login,
        password,
    };
    let opened = caller
        .ledger
        .open_sub_account(&caller.actor, &account)
        .await?;
    Ok((StatusCode::CREATED, Json(opened.into())))
}

/// One direct sub-account of the key's account.
#[utoipa::path(
    get,
    path = "/v1/subaccounts/{id}",
    tag = "sub-accounts",
    params(("id" = i64, Path, description = "The sub-account's id")),
    responses(
        (status = 200, description = "The sub-account", body = Account),
        (status = 404, description = "Not a direct sub-account of the key's account", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key, sub_account = id))]
pub async fn show(caller: Caller, Id(id): Id) -> Result<Json<Account>, ApiError> {
    caller.require(Scope::Read)?;
    let sub_account = caller
        .ledger
        .sub_account(&caller.actor, AccountId(id))
        .await?;
    Ok(Json(sub_account.into()))
}

/// Renames, suspends or reactivates a direct sub-account. Each field given is applied (the name
/// first); repeating the request is harmless.
#[utoipa::path(
    patch,
    path = "/v1/subaccounts/{id}",
    tag = "sub-accounts",
    params(("id" = i64, Path, description = "The sub-account's id")),
    request_body = SubAccountChange,
    responses(
        (status = 200, description = "The sub-account after the change", body = Account),
        (status = 404, description = "Not a direct sub-account of the key's account", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["manage"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key, sub_account = id))]
pub async fn change(
    caller: Caller,
    Id(id): Id,
    Body(body): Body<SubAccountChange>,
) -> Result<Json<Account>, ApiError> {
    caller.require(Scope::Manage)?;
    let name = body
        .name
        .as_deref()
        .map(AccountName::parse)
        .transpose()
        .map_err(|error| invalid("name", error))?;
    let (ledger, actor, id) = (&caller.ledger, &caller.actor, AccountId(id));
    let mut changed = None;
    if let Some(name) = &name {
        changed = Some(ledger.rename_sub_account(actor, id, name).await?);
    }
    if let Some(status) = body.status {
        changed = Some(
            ledger
                .set_sub_account_status(actor, id, status.into())
                .await?,
        );
    }
    let account = match changed {
        Some(changed) => changed,
        None => ledger.sub_account(actor, id).await?,
    };
    Ok(Json(account.into()))
}

/// `<name in hex>.<id>`: opaque to clients, and only ever compared, never trusted.
fn encode_cursor(cursor: &SubAccountSearchCursor) -> String {
    let name: String = cursor
        .name
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{name}.{}", cursor.id)
}

fn decode_cursor(text: &str) -> Result<SubAccountSearchCursor, ApiError> {
    let refused = || invalid("cursor", AppError::InvalidCursor);
    let (name, id) = text.split_once('.').ok_or_else(refused)?;
    let bytes = (0..name.len())
        .step_by(2)
        .map(|at| {
            name.get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(refused)?;
    Ok(SubAccountSearchCursor {
        // Only compared with names, so a forged cursor merely starts the page somewhere else.
        name: String::from_utf8_lossy(&bytes).into_owned(),
        id: AccountId(id.parse().map_err(|_| refused())?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_it_was_written() {
        let cursor = SubAccountSearchCursor {
            name: "Ünïcode. Shop".into(),
            id: AccountId(42),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        for forged in ["", "zz.1", "41.x", "4.1", "41"] {
            assert!(decode_cursor(forged).is_err(), "{forged}");
        }
    }
}
