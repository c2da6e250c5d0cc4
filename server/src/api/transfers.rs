//! `/v1/transfers`: give credits to a direct sub-account or take them back, safely retried with an
//! `Idempotency-Key`; list the transfers of any account in the key's subtree; read one.

use app::error::AppError;
use axum::Json;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ledger::{
    AccountId, Applied, Credits, MAX_CREDITS_PER_TRANSFER, Note, Scope, TransferRequest,
    TransferSearch, TransferSeen,
};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{IntoParams, ToSchema};

use crate::api::problem::{ApiError, Fields, invalid};
use crate::api::{Body, Caller, Id, Params, idempotency_key, page_size};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;
const DAY_MS: i64 = 86_400_000;
/// Says that an answer repeats the first one given for its `Idempotency-Key`: nothing moved.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Mirrors `ledger::TransferKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Parent to direct sub-account.
    Grant,
    /// Direct sub-account back to its parent.
    Revoke,
    /// New credits from the platform to a direct reseller.
    TopUp,
    /// An account back to the platform, for messages it sent.
    Usage,
}

impl From<ledger::TransferKind> for TransferKind {
    fn from(kind: ledger::TransferKind) -> Self {
        match kind {
            ledger::TransferKind::Grant => Self::Grant,
            ledger::TransferKind::Revoke => Self::Revoke,
            ledger::TransferKind::TopUp => Self::TopUp,
            ledger::TransferKind::Usage => Self::Usage,
        }
    }
}

impl From<TransferKind> for ledger::TransferKind {
    fn from(kind: TransferKind) -> Self {
        match kind {
            TransferKind::Grant => Self::Grant,
            TransferKind::Revoke => Self::Revoke,
            TransferKind::TopUp => Self::TopUp,
            TransferKind::Usage => Self::Usage,
        }
    }
}

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
        ledger.grant(actor, &request).await?
    } else {
        ledger.revoke(actor, &request).await?
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The account whose transfers to list: the key's own or any below it (default: its own).
    account_id: Option<i64>,
    /// Made on or after this day (UTC), `YYYY-MM-DD`.
    #[param(example = "2026-11-01", format = Date)]
    from: Option<String>,
    /// Made on or before this day (UTC), `YYYY-MM-DD`.
    #[param(example = "2026-11-30", format = Date)]
    to: Option<String>,
    kind: Option<TransferKind>,
    /// Text the note contains, regardless of case.
    q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
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
}

/// The transfers of one account in the key's subtree, newest first.
#[utoipa::path(
    get,
    path = "/v1/transfers",
    tag = "transfers",
    params(ListParams),
    responses(
        (status = 200, description = "One page of transfers", body = TransferList),
        (status = 404, description = "The account is not the key's or below it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad date, limit or cursor", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["read"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key))]
pub async fn list(
    caller: Caller,
    Params(params): Params<ListParams>,
) -> Result<Json<TransferList>, ApiError> {
    caller.require(Scope::Read)?;
    let mut fields = Fields::default();
    let since = fields.check("from", optional_day(params.from.as_deref()));
    let until = fields.check("to", optional_day(params.to.as_deref()));
    let (since, until) = fields.finish((since, until))?;
    let before = params
        .cursor
        .as_deref()
        .map(|cursor| {
            cursor
                .parse::<i64>()
                .map_err(|_| invalid("cursor", AppError::InvalidCursor))
        })
        .transpose()?;
    let account = AccountId(params.account_id.unwrap_or(caller.actor.account().0));
    let query = TransferSearch {
        account: Some(account),
        kind: params.kind.map(Into::into),
        since,
        // `to` names a whole day: up to the start of the next.
        until: until.map(|day| day.saturating_add(DAY_MS)),
        text: params.q,
        before,
        limit: page_size(params.limit, DEFAULT_PAGE, MAX_PAGE)?,
    };
    let found = caller.ledger.find_transfers(&caller.actor, &query).await?;
    let full = found.len() == usize::try_from(query.limit).unwrap_or(usize::MAX);
    let next_cursor = found
        .last()
        .filter(|_| full)
        .map(|last| last.id.to_string());
    let items = found
        .into_iter()
        .map(|line| AccountTransfer {
            id: line.id,
            kind: line.kind.into(),
            account_id: account.0,
            counterparty: line.counterparty,
            change: line.change,
            balance_after: line.balance_after,
            note: line.note,
            actor: line.actor,
            created_at: app::format::iso_8601_utc(line.created_at),
        })
        .collect();
    Ok(Json(TransferList { items, next_cursor }))
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

/// Midnight UTC of `YYYY-MM-DD`, in milliseconds since the Unix epoch.
fn optional_day(text: Option<&str>) -> Result<Option<i64>, AppError> {
    text.map(|text| day_start(text).ok_or(AppError::InvalidDate))
        .transpose()
}

fn day_start(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day): (i64, i64, i64) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some((era * 146_097 + day_of_era - 719_468) * DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_utc() {
        assert_eq!(day_start("1970-01-01"), Some(0));
        assert_eq!(day_start("2000-02-29"), Some(951_782_400_000));
        assert_eq!(day_start("2026-11-25"), Some(1_795_564_800_000));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01x",
            "",
            "x",
        ] {
            assert_eq!(day_start(bad), None, "{bad}");
        }
    }

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
