//! The OpenAPI 3.1 document of `/v1`, generated from the handlers' own types and annotations, and
//! served at `/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, RefOr};
use utoipa::{Modify, OpenApi};

use app::model::{AccountStatus, SortDirection, SubAccountSort, TransferKind};

use crate::api::problem::{FieldProblem, PROBLEM_CONTENT_TYPE, Problem};
use crate::api::subaccounts::SubAccountKind;
use crate::api::{account, subaccounts, transfers, usage};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Creditdesk API",
        version = "1",
        description = "Move prepaid credits down a reseller tree, as the Manage Customers page does. \
            Authenticate with an API key: `Authorization: Bearer cdk_…`. Errors are RFC 9457 problem \
            documents (`application/problem+json`)."
    ),
    paths(
        account::show,
        subaccounts::list,
        subaccounts::open,
        subaccounts::show,
        subaccounts::change,
        transfers::make,
        transfers::list,
        transfers::show,
        usage::record,
    ),
    // The enums that query parameters name by `value_type` (read as text so that a refusal names
    // its parameter), which utoipa does not collect on its own.
    components(schemas(
        Problem,
        FieldProblem,
        SubAccountSort,
        SortDirection,
        SubAccountKind,
        AccountStatus,
        TransferKind
    )),
    modifiers(&ApiKeyScheme, &CommonProblems),
    tags(
        (name = "account", description = "The key's own account"),
        (name = "sub-accounts", description = "Direct sub-accounts of the key's account"),
        (name = "transfers", description = "Credits moving between accounts"),
        (name = "usage", description = "Charging accounts for what they sent (operator keys)"),
    )
)]
pub struct ApiDoc;

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `api_key`: the bearer scheme every operation requires.
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("cdk_ followed by 64 hex digits")
                    .description(Some(
                        "An API key made on the API keys page or with `server api-key create`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers every operation can give, whatever it does: a key refused, a scope missing, the
/// key's rate exceeded, a request not understood, a failure of ours.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let common = [
            (
                "400",
                "The request was not understood (malformed JSON, parameters or id)",
            ),
            (
                "401",
                "No API key, or one unknown, revoked, or of a suspended account",
            ),
            (
                "403",
                "The key lacks the scope this operation needs, or its account cannot do this (a customer has no sub-accounts)",
            ),
            (
                "429",
                "The key's rate limit is exceeded; retry after `Retry-After` seconds",
            ),
            ("500", "A failure on our side; nothing was changed"),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations: [&mut Option<Operation>; 4] = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
            ];
            for operation in operations.into_iter().flatten() {
                let with_body = operation.request_body.is_some().then_some((
                    "413",
                    "The body is larger than 64 KiB; nothing was read past that",
                ));
                for (status, description) in common.into_iter().chain(with_body) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                }
            }
        }
    }
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::response::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        PROBLEM_CONTENT_TYPE,
        Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
            "Problem",
        )))),
    );
    if description.contains("Retry-After") {
        response = response.header(
            "Retry-After",
            utoipa::openapi::HeaderBuilder::new()
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer),
                )
                .description(Some("Seconds to wait"))
                .build(),
        );
    }
    RefOr::T(response.build())
}
