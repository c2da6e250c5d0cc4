//! `/v1/subaccounts`: the key's direct sub-accounts, as on the Manage Customers page: list (through
//! the grid's own page: search, filters, sort, cursor paging), open, read one, rename, suspend and
//! reactivate.

use app::error::AppError;
use app::model::{AccountKind, AccountStatus, SortDirection, SubAccountSort};
use axum::Json;
use axum::http::StatusCode;
use ledger::{
    AccountId, AccountName, Login, MAX_PAGE_ROWS, NewSubAccount as LedgerNewSubAccount, Password,
    Scope, SearchText, SubAccountCursor, SubAccountQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::account::Account;
use crate::api::params::{choice, decode_cursor, encode_cursor, page_size};
use crate::api::problem::{ApiError, Fields, invalid};
use crate::api::{Body, Caller, Id, Params};

/// Rows per page when the client does not say, as on the Manage Customers page.
const DEFAULT_PAGE: u32 = app::model::GRID_PAGE;

/// Each parameter is read from its text (see [`crate::api::params`]); `value_type` documents
/// what it must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The start of a name or of a login; A-Z regardless of case.
    q: Option<String>,
    #[param(value_type = Option<SubAccountKind>)]
    kind: Option<String>,
    #[param(value_type = Option<AccountStatus>)]
    status: Option<String>,
    /// The order of the rows (default `name`, A-Z regardless of case); rows with the same value
    /// are ordered by id, the same way.
    #[param(value_type = Option<SubAccountSort>)]
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    #[param(value_type = Option<SortDirection>)]
    dir: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `next_cursor` or `previous_cursor` of an earlier page, as it was given. It continues that
    /// page's walk, in that page's `sort` and `dir` (which it carries: any given with it are
    /// ignored); the search and filters are this request's.
    // The hex of the ledger's cursor text: `N` or `P`; then `n`, `a` or `d`, two numbers and any
    // name; or `b` or `c`, `a` or `d`, two numbers and a signed one. Every text it matches is a
    // cursor, so a request the document calls valid is never refused for its cursor.
    #[param(
        pattern = "^(4e|50)(6e(61|64)(3[0-9]){1,18}2e(3[0-9]){1,18}2e([0-9a-f]{2})*|(62|63)(61|64)(3[0-9]){1,18}2e(3[0-9]){1,18}2e(2d)?(3[0-9]){1,18})$"
    )]
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

/// One page of sub-accounts, in the order asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubAccountList {
    pub items: Vec<Account>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `cursor` for the page before; absent on the first page.
    pub previous_cursor: Option<String>,
    /// How many sub-accounts match the search and filters, on every page.
    #[schema(example = 3)]
    pub matching: i64,
    /// The credits those sub-accounts hold.
    #[schema(example = 90)]
    pub matching_credits: i64,
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

/// The key's direct sub-accounts: one page of the Manage Customers grid, searched, filtered and
/// sorted as there.
#[utoipa::path(
    get,
    path = "/v1/subaccounts",
    tag = "sub-accounts",
    params(ListParams),
    responses(
        (status = 200, description = "One page of sub-accounts", body = SubAccountList),
        (status = 400, description = "A parameter not understood (kind, status, sort, dir, limit, or a cursor this API did not give out); `errors` names each", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key))]
pub async fn list(
    caller: Caller,
    Params(params): Params<ListParams>,
) -> Result<Json<SubAccountList>, ApiError> {
    caller.require(Scope::Read)?;
    let query = list_query(&params)?;
    let page = caller
        .ledger
        .sub_account_page(&caller.actor, &query)
        .await?;
    Ok(Json(SubAccountList {
        items: page.rows.into_iter().map(Account::from).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
        previous_cursor: page.previous.as_ref().map(encode_cursor),
        matching: page.matching,
        matching_credits: page.matching_credits,
    }))
}

/// The grid's query the parameters ask for, or every parameter that is refused.
fn list_query(params: &ListParams) -> Result<SubAccountQuery, ApiError> {
    let mut fields = Fields::default();
    let kind = fields.check("kind", choice::<SubAccountKind>(params.kind.as_deref()));
    let status = fields.check("status", choice::<AccountStatus>(params.status.as_deref()));
    let sort = fields.check("sort", choice::<SubAccountSort>(params.sort.as_deref()));
    let direction = fields.check("dir", choice::<SortDirection>(params.dir.as_deref()));
    let limit = fields.check(
        "limit",
        page_size(params.limit.as_deref(), DEFAULT_PAGE, MAX_PAGE_ROWS),
    );
    let cursor = fields.check(
        "cursor",
        decode_cursor::<SubAccountCursor>(params.cursor.as_deref()),
    );
    let (kind, status, sort, direction, limit, cursor) =
        fields.finish_parameters((kind, status, sort, direction, limit, cursor))?;
    // A cursor goes on in its own walk's order: the grid would start again from the first page
    // for one of another order, and a client walking pages would loop.
    let (sort, direction) = match &cursor {
        Some(cursor) => cursor.order(),
        None => (
            sort.unwrap_or_default().into(),
            direction.unwrap_or_default().into(),
        ),
    };
    Ok(SubAccountQuery {
        search: params.q.as_deref().and_then(SearchText::parse),
        kind: kind.map(Into::into),
        status: status.map(Into::into),
        sort,
        direction,
        cursor,
        limit,
    })
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
