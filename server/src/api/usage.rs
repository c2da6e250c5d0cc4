//! `POST /v1/usage`: the messaging platform charges an account for what it sent (operator keys
//! with the `usage` scope only).

use app::movements::{Channel, counted};
use axum::http::HeaderMap;
use axum::response::Response;
use ledger::{AccountId, Credits, Note, Scope, TransferKind, UsageDebit};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::problem::{ApiError, Fields};
use crate::api::transfers::applied_response;
use crate::api::{Body, Caller, idempotency_key};

/// Credits an account spent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUsage {
    #[schema(example = 4)]
    pub account_id: i64,
    /// Whole credits, at least 1.
    #[schema(example = 8, minimum = 1, maximum = 1_000_000_000)]
    pub credits: i64,
    /// What was sent (a batch or message id); kept as the transfer's note. 1 to 500 characters,
    /// not only spaces; line breaks but no other control or text-direction characters.
    #[schema(
        example = "batch 2026-11-26/0042",
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*[^\s\x00-\x09\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069][^\x00-\x09\x0B-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]*$"
    )]
    pub reference: String,
}

/// Moves `credits` from the account back to the platform as a `usage` transfer; never below zero.
///
/// Safe to retry with the same `Idempotency-Key`, like a transfer.
#[utoipa::path(
    post,
    path = "/v1/usage",
    tag = "usage",
    params(("Idempotency-Key" = String, Header, min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_-]+$",
        description = "8 to 64 letters, digits, '-' or '_', made once per charge")),
    request_body = NewUsage,
    responses(
        (status = 201, description = "Charged", body = crate::api::transfers::Transfer, headers(("Location" = String, description = "The transfer"))),
        (status = 200, description = "The same request again: the first answer, nothing moved", body = crate::api::transfers::Transfer,
            headers(("Idempotent-Replayed" = String, description = "`true`"))),
        (status = 400, description = "No or a malformed Idempotency-Key, or a body that is not JSON of this shape", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account has fewer credits, or the Idempotency-Key was used for a different charge", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid credits or reference", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["usage"]))
)]
#[tracing::instrument(name = "api", skip_all, fields(key = %caller.key, account = body.account_id))]
pub async fn record(
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body<NewUsage>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Usage)?;
    let key = idempotency_key(&headers)?;
    let mut fields = Fields::default();
    let credits = fields.check("credits", Credits::new(body.credits));
    let reference = fields.check("reference", Note::parse(&body.reference));
    let (credits, reference) = fields.finish((credits, reference))?;
    let debit = UsageDebit {
        account: AccountId(body.account_id),
        credits,
        reference,
        key,
    };
    let charged = counted(
        TransferKind::Usage,
        Channel::Api,
        caller.ledger.usage(&caller.actor, &debit).await,
    )?;
    Ok(applied_response(charged))
}
