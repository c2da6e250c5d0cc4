//! The public REST API under `/v1`: JSON over HTTP for resellers' own software, authenticated by
//! API keys (`Authorization: Bearer cdk_…`). Each handler is an adapter like a server function:
//! the key's actor, parse, the same ledger call the pages make, convert. The ledger decides who may
//! see or do what; this layer checks only the key's scopes and rate.

mod account;
pub mod openapi;
mod params;
pub mod problem;
mod rate_limit;
// utoipa expands `params(ListParams)` into a path that the lint calls redundant.
#[allow(unused_qualifications)]
mod subaccounts;
#[allow(unused_qualifications)]
mod transfers;
mod usage;

use std::sync::Arc;

use app::error::AppError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use ledger::{Actor, ApiKeySecret, IdempotencyKey, KeyId, Ledger, Scope, Scopes};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::problem::ApiError;
use crate::api::rate_limit::RateLimiter;

/// Requests per minute a key may make when nothing else is configured.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;

#[derive(Clone)]
pub struct ApiState {
    ledger: Ledger,
    limiter: Arc<RateLimiter>,
}

/// Every route under `/v1`.
pub fn router(ledger: Ledger, rate_limit_per_minute: u32) -> Router {
    let state = ApiState {
        ledger,
        limiter: Arc::new(RateLimiter::new(rate_limit_per_minute)),
    };
    let api = Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/account", get(account::show))
        .route(
            "/subaccounts",
            get(subaccounts::list).post(subaccounts::open),
        )
        .route(
            "/subaccounts/{id}",
            get(subaccounts::show).patch(subaccounts::change),
        )
        .route("/transfers", get(transfers::list).post(transfers::make))
        .route("/transfers/{id}", get(transfers::show))
        .route("/usage", axum::routing::post(usage::record))
        .fallback(async || ApiError::App(AppError::UnknownEndpoint))
        // The largest real body (a sub-account with a 100-character name and a 128-character
        // password, or a 500-character note) is well under the pages' limit.
        .layer(DefaultBodyLimit::max(crate::web::MAX_CALL_BODY))
        .with_state(state);
    Router::new().nest("/v1", api)
}

/// The caller of an API request: the key's actor, what the key may do, and its id (which logs
/// name; the key itself is never logged).
pub struct Caller {
    ledger: Ledger,
    actor: Actor,
    scopes: Scopes,
    key: KeyId,
}

impl Caller {
    /// Refuses the request unless the key has `scope`.
    fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::App(AppError::MissingScope {
                scope: scope.as_str().to_owned(),
            }))
        }
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let secret = bearer(&parts.headers).ok_or(AppError::InvalidApiKey)?;
        let (actor, scopes, key) = state
            .ledger
            .actor_for_key(&secret)
            .await?
            .ok_or(AppError::InvalidApiKey)?;
        state.limiter.take(key).map_err(|wait| {
            tracing::warn!(%key, "API key over its rate limit");
            AppError::RateLimited {
                seconds: wait.as_secs().max(1),
            }
        })?;
        Ok(Self {
            ledger: state.ledger.clone(),
            actor,
            scopes,
            key,
        })
    }
}

/// The key in `Authorization: Bearer <key>`.
fn bearer(headers: &HeaderMap) -> Option<ApiKeySecret> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| ApiKeySecret::from_client(key))
}

/// The `Idempotency-Key` header, required on every request that moves credits.
fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| IdempotencyKey::parse(text).ok())
        .ok_or(ApiError::App(AppError::IdempotencyKeyRequired))
}

/// A JSON body whose refusal is a problem document.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(mut value) = Json::<Value>::from_request(request, state).await.map_err(
            |rejection: JsonRejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::App(AppError::RequestTooLarge)
                } else {
                    not_understood(rejection.body_text())
                }
            },
        )?;
        // serde would also read a struct from an array of its fields; the API takes objects only.
        if !value.is_object() {
            return Err(not_understood("the body must be a JSON object".to_owned()));
        }
        whole_numbers_as_integers(&mut value);
        serde_json::from_value(value)
            .map(Self)
            .map_err(|error| not_understood(error.to_string()))
    }
}

/// JSON has one number type: `30.0` is the integer 30 to JSON Schema, so it is to us too.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // Within ±2^63 and without a fraction, the cast is exact.
            if float.fract() == 0.0 && float.abs() < 9.2e18 {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Query parameters whose refusal is a problem document.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| not_understood(rejection.body_text()))
    }
}

/// An id in the path whose refusal is a problem document.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|rejection: PathRejection| not_understood(rejection.body_text()))
    }
}

fn not_understood(reason: String) -> ApiError {
    ApiError::App(AppError::InvalidRequest { reason })
}
