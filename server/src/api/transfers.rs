//! `/v1/transfers`: give credits to a direct sub-account or take them back, safely retried with an
//! `Idempotency-Key`; list the transfers of any account in the key's subtree; read one.

use app::error::AppError;
use app::format::start_of_day;
use app::model::TransferKind;
use app::movements::{Channel, counted};
use axum::Json;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger::{
    AccountId, Applied, Credits, MAX_CREDITS_PER_TRANSFER, MAX_PAGE_ROWS, Note, Scope, SearchText,
    TransferCursor, TransferQuery, TransferRequest, TransferSeen,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{IntoParams, ToSchema};

use crate::api::params::{choice, decode_cursor, encode_cursor, page_size};
use crate::api::problem::{ApiError, Fields};
use crate::api::{Body, Caller, Id, Params, idempotency_key};

/// Rows per page when the client does not say, as on the transfers page.
const DEFAULT_PAGE: u32 = app::model::TRANSFER_LIST_PAGE;
const DAY_MS: i64 = 86_400_000;
/// Says that an answer repeats the first one given for its `Idempotency-Key`: nothing moved.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A ledger entry: `credits` moved from one account to another.
#[derive(Debug, Serialize, ToSchema)]
pub struct Transfer {
    #[schema(example = 7)]
    pub id: i64,
    pub kind: TransferKind,
    pub from_account_id: i64,
    pub to_account_id: i64,
    /// Always positive: the direction is from → to.
    #[schema(example = 30)]
    pub credits: i64,
    #[schema(example = "June order")]
    pub note: String,
    /// Who made it: a login, "API key: <name>", or an operator.
    #[schema(example = "API key: Billing")]
    pub actor: String,
    /// The sender's balance after the transfer, when the key may read that account.
    pub from_balance_after: Option<i64>,
    /// The receiver's balance after the transfer, when the key may read that account.
    pub to_balance_after: Option<i64>,
    /// RFC 3339, UTC.
    #[schema(example = "2026-11-26T09:30:00.000Z")]
    pub created_at: String,
}

impl From<TransferSeen> for Transfer {
    fn from(seen: TransferSeen) -> Self {
        let transfer = seen.transfer;
        Self {
            id: transfer.id,
            kind: transfer.kind.into(),
            from_account_id: transfer.from.0,
            to_account_id: transfer.to.0,
            credits: transfer.amount,
            note: transfer.note,
            actor: transfer.actor,
            from_balance_after: seen.from_balance_after,
            to_balance_after: seen.to_balance_after,
            created_at: app::format::iso_8601_utc(transfer.created_at),
        }
    }
}

/// A movement just made (or repeated) by the caller, who is a party to it and sees both sides.
pub(crate) fn applied_response(applied: Applied) -> Response {
    let replayed = applied.replayed;
    let transfer = applied.transfer;
    let seen = TransferSeen {
        from_balance_after: Some(transfer.from_balance_after),
        to_balance_after: Some(transfer.to_balance_after),
        transfer,
    };
    let body = Transfer::from(seen);
    let location = HeaderValue::from_str(&format!("/v1/transfers/{}", body.id))
        .unwrap_or(HeaderValue::from_static("/v1/transfers"));
    if replayed {
        let mut headers = HeaderMap::new();
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
        (StatusCode::OK, headers, Json(body)).into_response()
    } else {
        (StatusCode::CREATED, [(LOCATION, location)], Json(body)).into_response()
    }
}

/// A credit change as the pop-up makes it: a positive number gives, a negative one takes back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTransfer {
    /// A direct sub-account of the key's account.
    #[schema(example = 2)]
    pub sub_account_id: i64,
    /// Whole credits, not 0, at most 1,000,000,000 either way: positive gives them to the
    /// sub-account, negative takes them back.
    #[schema(schema_with = signed_credits, example = 30)]
    pub credits: i64,
    /// Why; kept with the transfer. 1 to 500 characters, not only spaces; line breaks
    /// but no other control or text-direction characters.
    #[schema(
        example = "June order",
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*[^\s\x00-\x09\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069][^\x00-\x09\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*$"
    )]
    pub note: String,
}

/// Gives credits to a direct sub-account (positive `credits`) or takes them back (negative).
///
/// Safe to retry: the same `Idempotency-Key` with the same body answers the first transfer again
/// (200, `Idempotent-Replayed: true`) and moves nothing; with a different body it is refused (409).
#[utoipa::path(
    post,
    path = "/v1/transfers",
    tag = "transfers",
    params(("Idempotency-Key" = String, Header, min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_-]+$",
        description = "8 to 64 letters, digits, '-' or '_', made once per transfer")),
    request_body = NewTransfer,
    responses(
        (status = 201, description = "Applied", body = Transfer, headers(("Location" = String, description = "The transfer"))),
        (status = 200, description = "The same request again: the first answer, nothing moved", body = Transfer,
            headers(("Idempotent-Replayed" = String, description = "`true`"))),
        (status = 400, description = "No or a malformed Idempotency-Key, or a body that is not JSON of this shape", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a direct sub-account of the key's account", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enough credits, a suspended sub-account, or the Idempotency-Key already used for a different transfer", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid credits or note", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["transfer"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key, sub_account = body.sub_account_id))]
pub async fn make(
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body<NewTransfer>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Transfer)?;
    let key = idempotency_key(&headers)?;
    let mut fields = Fields::default();
    let credits = fields.check("credits", credits(body.credits));
    let note = fields.check("note", Note::parse(&body.note));
    let (credits, note) = fields.finish((credits, note))?;
    let request = TransferRequest {
        sub_account: AccountId(body.sub_account_id),
        credits,
        note,
        key,
    };
    let (ledger, actor) = (&caller.ledger, &caller.actor);
    let made = if body.credits > 0 {
        counted(
            ledger::TransferKind::Grant,
            Channel::Api,
            ledger.grant(actor, &request).await,
        )?
    } else {
        counted(
            ledger::TransferKind::Revoke,
            Channel::Api,
            ledger.revoke(actor, &request).await,
        )?
    };
    Ok(applied_response(made))
}

/// The schema of a signed change: from -limit to -1, or from 1 to limit.
fn signed_credits() -> Schema {
    let range = |minimum: i64, maximum: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(minimum))
            .maximum(Some(maximum))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(range(1, MAX_CREDITS_PER_TRANSFER))
            .item(range(-MAX_CREDITS_PER_TRANSFER, -1))
            .build(),
    )
}

/// How many credits a signed change moves, within the ledger's limits.
fn credits(signed: i64) -> Result<Credits, AppError> {
    if signed.unsigned_abs() > MAX_CREDITS_PER_TRANSFER.unsigned_abs() {
        return Err(AppError::TooManyCredits {
            max: MAX_CREDITS_PER_TRANSFER,
        });
    }
    Ok(Credits::new(signed.abs())?)
}

/// Each parameter is read from its text (see [`crate::api::params`]); `value_type` documents
/// what it must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The account whose transfers to list: the key's own or any below it (default: its own).
    #[param(value_type = Option<i64>)]
    account_id: Option<String>,
    /// Only transfers to or from this account.
    #[param(value_type = Option<i64>)]
    counterparty_id: Option<String>,
    /// Made on or after this day (UTC), `YYYY-MM-DD`.
    #[param(example = "2026-11-01", format = Date)]
    from: Option<String>,
    /// Made on or before this day (UTC), `YYYY-MM-DD`.
    #[param(example = "2026-11-30", format = Date)]
    to: Option<String>,
    #[param(value_type = Option<TransferKind>)]
    kind: Option<String>,
    /// Text anywhere in the note; A-Z regardless of case.
    q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `next_cursor` (older) or `previous_cursor` (newer) of an earlier page; the filters may
    /// change between pages.
    // The hex of the ledger's cursor text: `O` or `N`, a signed number, `.` and a number; every
    // text it matches is a cursor.
    #[param(pattern = "^(4f|4e)(2d)?(3[0-9]){1,18}2e(3[0-9]){1,18}$")]
    cursor: Option<String>,
}

/// One line of an account's transfers, as that account sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountTransfer {
    #[schema(example = 7)]
    pub id: i64,
    pub kind: TransferKind,
    /// The account whose transfers these are.
    pub account_id: i64,
    /// The other side's name.
    #[schema(example = "Direct Reseller")]
    pub counterparty: String,
    /// The other side's account.
    #[schema(example = 1)]
    pub counterparty_id: i64,
    /// Positive when credits came in, negative when they went out.
    #[schema(example = 30)]
    pub change: i64,
    /// The account's balance after this transfer.
    #[schema(example = 30)]
    pub balance_after: i64,
    pub note: String,
    pub actor: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// One page of an account's transfers, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferList {
    pub items: Vec<AccountTransfer>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Pass as `cursor` for the page before (newer); absent on the first page.
    pub previous_cursor: Option<String>,
}

/// The transfers of one account in the key's subtree, newest first: one page of the transfers
/// page, filtered as there.
#[utoipa::path(
    get,
    path = "/v1/transfers",
    tag = "transfers",
    params(ListParams),
    responses(
        (status = 200, description = "One page of transfers", body = TransferList),
        (status = 400, description = "A parameter not understood (an id, date, kind, limit or cursor); `errors` names each", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account is not the key's or below it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key))]
pub async fn list(
    caller: Caller,
    Params(params): Params<ListParams>,
) -> Result<Json<TransferList>, ApiError> {
    caller.require(Scope::Read)?;
    let query = list_query(&params)?;
    let page = caller.ledger.transfer_page(&caller.actor, &query).await?;
    let account = page.account.id;
    let items = page
        .rows
        .into_iter()
        .map(|line| AccountTransfer {
            id: line.id,
            kind: line.kind.into(),
            account_id: account.0,
            counterparty: line.counterparty,
            counterparty_id: line.counterparty_id.0,
            change: line.change,
            balance_after: line.balance_after,
            note: line.note,
            actor: line.actor,
            created_at: app::format::iso_8601_utc(line.created_at),
        })
        .collect();
    Ok(Json(TransferList {
        items,
        next_cursor: page.next.as_ref().map(encode_cursor),
        previous_cursor: page.previous.as_ref().map(encode_cursor),
    }))
}

/// The transfers page's query the parameters ask for, or every parameter that is refused.
fn list_query(params: &ListParams) -> Result<TransferQuery, ApiError> {
    let mut fields = Fields::default();
    let account = fields.check("account_id", optional_id(params.account_id.as_deref()));
    let counterparty = fields.check(
        "counterparty_id",
        optional_id(params.counterparty_id.as_deref()),
    );
    let since = fields.check("from", optional_day(params.from.as_deref()));
    let until = fields.check("to", optional_day(params.to.as_deref()));
    let kind = fields.check("kind", choice::<TransferKind>(params.kind.as_deref()));
    let limit = fields.check(
        "limit",
        page_size(params.limit.as_deref(), DEFAULT_PAGE, MAX_PAGE_ROWS),
    );
    let cursor = fields.check(
        "cursor",
        decode_cursor::<TransferCursor>(params.cursor.as_deref()),
    );
    let (account, counterparty, since, until, kind, limit, cursor) =
        fields.finish_parameters((account, counterparty, since, until, kind, limit, cursor))?;
    Ok(TransferQuery {
        account,
        since,
        // `to` names a whole day: up to the start of the next.
        until: until.map(|day| day.saturating_add(DAY_MS)),
        kind: kind.map(Into::into),
        counterparty,
        note: params.q.as_deref().and_then(SearchText::parse),
        cursor,
        limit,
    })
}

/// One transfer that touches the key's account or an account below it.
#[utoipa::path(
    get,
    path = "/v1/transfers/{id}",
    tag = "transfers",
    params(("id" = i64, Path, description = "The transfer's id")),
    responses(
        (status = 200, description = "The transfer", body = Transfer),
        (status = 404, description = "No such transfer in the key's subtree", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key, transfer = id))]
pub async fn show(caller: Caller, Id(id): Id) -> Result<Json<Transfer>, ApiError> {
    caller.require(Scope::Read)?;
    let seen = caller.ledger.transfer(&caller.actor, id).await?;
    Ok(Json(seen.into()))
}

/// Midnight UTC of `YYYY-MM-DD`, in milliseconds since the Unix epoch, as the transfers page reads it.
fn optional_day(text: Option<&str>) -> Result<Option<i64>, AppError> {
    text.map(|text| start_of_day(text).ok_or(AppError::InvalidDate))
        .transpose()
}

/// An account id, or `None` when absent.
fn optional_id(text: Option<&str>) -> Result<Option<AccountId>, AppError> {
    text.map(|text| {
        text.parse()
            .map(AccountId)
            .map_err(|_| AppError::InvalidRequest {
                reason: "an account id is a whole number".to_owned(),
            })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_change_moves_its_size_within_the_limit() {
        assert_eq!(credits(-5).map(Credits::get), Ok(5));
        assert_eq!(credits(0), Err(AppError::ZeroCredits));
        assert!(matches!(
            credits(i64::MIN),
            Err(AppError::TooManyCredits { .. })
        ));
    }
}
