//! The HTTP side: the axum router (pages, server functions, static files), the request gates in
//! front of it (same-site check, session), and serving it.

use std::net::SocketAddr;

use app::error::AppError;
use app::model::AccountKind;
use app::session::{self, ClientAddress};
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::handler::Handler;
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN, REFERER, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// How the HTTP layer reads requests that passed through a proxy.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebConfig {
    /// Take the client's address from `X-Forwarded-For` and the site's host from `X-Forwarded-Host`:
    /// only behind a load balancer that sets them.
    pub trust_proxy: bool,
}

/// Every route of the app, ready to serve or to test in-process.
pub fn router(state: AppState, config: WebConfig) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let gate = Gate {
        state: state.clone(),
        config,
    };
    Router::new()
        .route("/transfers.csv", get(crate::export::transfers_csv))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        // Compress the static assets (the wasm shrinks to about a third); pages stream uncompressed.
        .fallback(file_and_error_handler::<AppState, _>(shell).layer(CompressionLayer::new()))
        .layer(map_response(status_from_app_error))
        .layer(from_fn_with_state(gate.clone(), resolve_session))
        .layer(from_fn_with_state(gate, same_site_only))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    config: WebConfig,
) -> std::io::Result<()> {
    let service = router(state, config).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

#[derive(Clone)]
struct Gate {
    state: AppState,
    config: WebConfig,
}

/// Refuses a server-function call whose `Origin` (or, without one, `Referer`) is another site: a
/// page elsewhere cannot make a signed-in browser move credits. Requests that carry neither do not
/// come from a browser form or script, and pass.
async fn same_site_only(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let is_call = request.method() != Method::GET && request.uri().path().starts_with("/api/");
    if is_call && !from_this_site(request.headers(), gate.config.trust_proxy) {
        tracing::warn!(path = request.uri().path(), "refused a cross-site call");
        return app_error_response(request.uri().path(), &AppError::CrossSite);
    }
    next.run(request).await
}

fn from_this_site(headers: &HeaderMap, trust_proxy: bool) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let claimed = header(ORIGIN.as_str()).or_else(|| header(REFERER.as_str()));
    let host = trust_proxy
        .then(|| header("x-forwarded-host"))
        .flatten()
        .or_else(|| header(HOST.as_str()));
    match (claimed, host) {
        (None, _) => true,
        (Some(url), Some(host)) => authority(url) == Some(host),
        (Some(_), None) => false,
    }
}

/// `host:port` of an absolute URL.
fn authority(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    Some(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

/// Resolves the session cookie once per request and hands the caller to the server functions as a
/// request extension. Pages need a session (else: the sign-in page); `/` and `/sign-in` send a
/// signed-in user to where their kind of account starts. A session whose expiry slid forward gets a
/// fresh cookie.
async fn resolve_session(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    // Static assets are the same for everyone: no session lookup for them.
    if request.uri().path().starts_with("/pkg/") {
        return next.run(request).await;
    }
    let address = client_address(&request, gate.config.trust_proxy);
    request.extensions_mut().insert(ClientAddress(address));
    let ledger = &gate.state.ledger;
    let token = session::token(request.headers());
    let active = match &token {
        Some(token) => ledger.session(token).await.unwrap_or_else(|error| {
            tracing::error!(%error, "could not look up a session");
            None
        }),
        None => None,
    };

    let path = request.uri().path();
    let is_page = request.method() == Method::GET && !is_public(path);
    match &active {
        None if is_page => return Redirect::to("/sign-in").into_response(),
        Some(active) if request.method() == Method::GET && matches!(path, "/" | "/sign-in") => {
            return Redirect::to(AccountKind::from(active.signed_in.kind).landing_path())
                .into_response();
        }
        _ => {}
    }

    let renewed = active.as_ref().is_some_and(|active| active.renewed);
    if let Some(active) = active {
        request.extensions_mut().insert(active.signed_in);
    }
    let request_headers = request.headers().clone();
    let mut response = next.run(request).await;
    if let Some(token) = token.filter(|_| renewed)
        && !session::sets_cookie(response.headers())
    {
        let cookie = session::set_cookie(&token, ledger.session_policy().idle, &request_headers);
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

fn is_public(path: &str) -> bool {
    path == "/sign-in" || path == "/favicon.ico" || path.starts_with("/api/")
}

fn client_address(request: &Request, trust_proxy: bool) -> String {
    let forwarded = trust_proxy
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        // The last entry is the one our load balancer added; earlier ones are the client's word.
        .and_then(|list| list.rsplit(',').next())
        .map(|address| address.trim().to_owned());
    forwarded
        .or_else(|| {
            let peer = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
            Some(peer.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Gives every failed server function the HTTP status its `AppError` names, including failures
/// raised before the function runs (malformed arguments), which server_fn always answers with 500.
async fn status_from_app_error(response: Response) -> Response {
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // An encoded AppError is a few hundred bytes; anything larger is not one.
    let bytes = to_bytes(body, 64 * 1024).await.unwrap_or_default();
    parts.status = status_of(&AppError::de(bytes.clone()));
    Response::from_parts(parts, Body::from(bytes))
}

/// A server-function failure as the server_fn client expects it, for errors raised in front of it.
fn app_error_response(path: &str, error: &AppError) -> Response {
    Response::builder()
        .status(status_of(error))
        .header(SERVER_FN_ERROR_HEADER, path)
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from(error.ser()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn status_of(error: &AppError) -> StatusCode {
    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.parse().unwrap(), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn a_call_from_this_site_passes() {
        let same = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(from_this_site(&same, false));
        let by_referer = headers(&[
            ("host", "shop.example"),
            ("referer", "https://shop.example/reseller/customers"),
        ]);
        assert!(from_this_site(&by_referer, false));
        assert!(from_this_site(&headers(&[("host", "shop.example")]), false));
    }

    #[test]
    fn a_call_from_another_site_is_refused() {
        let evil = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!from_this_site(&evil, false));
        let other_port = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:4000"),
        ]);
        assert!(!from_this_site(&other_port, false));
        let opaque = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(!from_this_site(&opaque, false));
    }

    #[test]
    fn behind_a_proxy_the_forwarded_host_counts() {
        let proxied = headers(&[
            ("host", "10.0.0.5:3000"),
            ("x-forwarded-host", "credits.example"),
            ("origin", "https://credits.example"),
        ]);
        assert!(from_this_site(&proxied, true));
        assert!(!from_this_site(&proxied, false));
    }
}
