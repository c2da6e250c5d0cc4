//! The HTTP side: the axum router (pages, server functions, static files), the request gates in
//! front of it (security headers, body limit, same-site check, session), and serving it.

use std::net::SocketAddr;

use app::error::AppError;
use app::model::{CHANGE_PASSWORD_PATH, LIVE_EVENTS_PATH};
use app::session::{self, ClientAddress, SessionCookie};
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::serve::{ListenerExt, TapIo};
use http_body_util::LengthLimitError;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos::server_fn::ContentType;
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tokio::net::{TcpListener, TcpStream};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::TraceLayer;

use crate::api;
use crate::proxy::{self, PublicUrl, Site, TrustedProxies};

/// What the HTTP layer may believe about where requests come from and which site they are for.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The proxies in front of the server (`TRUST_PROXY`); without, every `X-Forwarded-*` header
    /// is the client's own word and is ignored.
    pub proxies: Option<TrustedProxies>,
    /// The URL browsers use (`PUBLIC_URL`): calls are accepted from that origin only, and with
    /// `https` the session cookie is `Secure`.
    pub public_url: Option<PublicUrl>,
    /// Requests per minute one API key may make (per server process).
    pub api_rate_limit_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            proxies: None,
            public_url: None,
            api_rate_limit_per_minute: api::DEFAULT_RATE_LIMIT_PER_MINUTE,
        }
    }
}

impl WebConfig {
    fn site(&self, headers: &HeaderMap) -> Site {
        Site::of(headers, self.proxies, self.public_url.as_ref())
    }
}

/// Every route of the app, ready to serve or to test in-process.
pub fn router(state: AppState, config: WebConfig) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // The REST API authenticates by key, not by session cookie, so the pages' gates stay off it.
    let api = api::router(state.ledger.clone(), config.api_rate_limit_per_minute);
    let gate = Gate {
        state: state.clone(),
        config,
    };
    Router::new()
        // A download of a million rows is compressed as it is made: at quality 1 (brotli or gzip)
        // it takes a quarter of the default's work for about as many bytes (README, "The CSV as a
        // browser receives it"). The outer layer leaves an answer already compressed as it is.
        .route(
            "/transfers.csv",
            get(crate::export::transfers_csv)
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(1))),
        )
        .route(LIVE_EVENTS_PATH, get(crate::events::live_events))
        .leptos_routes_with_context(&state, routes, provide_response_nonce, move || {
            shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            provide_response_nonce,
            shell,
        ))
        .layer(map_response(status_from_app_error))
        .layer(from_fn_with_state(gate.clone(), resolve_session))
        .layer(from_fn_with_state(gate, same_site_only))
        .layer(from_fn(limit_call_body))
        .with_state(state)
        .merge(api)
        .layer(from_fn(asset_cache_control))
        // Every text answer (pages, assets, calls, the CSV stream) in gzip or brotli, as the
        // browser accepts; images and tiny bodies stay as they are.
        .layer(CompressionLayer::new())
        .layer(from_fn(security_headers))
        .layer(TraceLayer::new_for_http())
        // Layered onto every route (and the fallback) after routing, so it sees the route matched.
        .layer(from_fn(crate::metrics::track_http))
}

/// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    config: WebConfig,
) -> std::io::Result<()> {
    let service = router(state, config).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(without_nagle(listener), service)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// `listener` with Nagle's algorithm off on every connection it accepts. A page streams out in
/// several writes; with it on, a write waits for the browser's acknowledgement of the one before,
/// which a delayed ACK holds back 40 ms (the grid's whole HTML: p99 47 ms with it, 8 ms without).
fn without_nagle(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
    })
}

/// Puts the headers a browser needs to keep a page to itself on every answer. The policy lets
/// scripts come only from this site, or inline with this response's nonce (Leptos writes it on the
/// hydration script it renders), lets them compile the wasm, and lets nothing frame, embed or
/// re-base the page. Styles and images come from this site only, but for the `data:` favicon.
async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&policy).expect("a nonce is URL-safe base64, so a valid header"),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// How long a browser may keep a built asset. A fingerprinted one (cargo-leptos `hash-files`
/// names it by its content) never changes under its name, so it is kept a year without asking; any
/// other asset is checked again on each use. Pages are left alone: they differ per user and visit.
async fn asset_cache_control(request: Request, next: Next) -> Response {
    let fingerprinted = match request.uri().path().strip_prefix("/pkg/") {
        Some(file) => is_fingerprinted(file),
        None => return next.run(request).await,
    };
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let policy = if fingerprinted {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// Whether an asset's name carries cargo-leptos' content hash: `name.<hash>.ext`, the hash being an
/// MD5 in unpadded base64url (22 characters).
fn is_fingerprinted(file: &str) -> bool {
    let mut parts = file.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(hash), Some(_), None) => {
            hash.len() == 22
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        _ => false,
    }
}

/// Hands Leptos the nonce `security_headers` put in this response's policy, in place of the one it
/// would make up, so that the scripts it renders carry the nonce the policy names.
fn provide_response_nonce() {
    let nonce = use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

/// The most a server-function call (or a `/v1` request) may send. The largest real one (a new
/// sub-account: a 100-character name and a 128-character password) is well under 2 KiB.
pub const MAX_CALL_BODY: usize = 64 * 1024;

/// Refuses a server-function call whose body is larger than [`MAX_CALL_BODY`], reading no further:
/// at once when its `Content-Length` says so, otherwise as soon as the stream passes the limit.
/// Calls within it are handed on already read, so nothing downstream buffers more.
async fn limit_call_body(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !path.starts_with("/api/") {
        return next.run(request).await;
    }
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_CALL_BODY as u64) {
        return app_error_response(&path, &AppError::RequestTooLarge);
    }
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_CALL_BODY).await {
        Ok(body) => body,
        Err(error) => {
            let refusal = if error.into_inner().is::<LengthLimitError>() {
                AppError::RequestTooLarge
            } else {
                // The client broke off or garbled the body.
                AppError::BadRequest
            };
            return app_error_response(&path, &refusal);
        }
    };
    next.run(Request::from_parts(parts, Body::from(body))).await
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
    if is_call && !gate.config.site(request.headers()).sent(request.headers()) {
        tracing::warn!(path = request.uri().path(), "refused a cross-site call");
        return app_error_response(request.uri().path(), &AppError::CrossSite);
    }
    next.run(request).await
}

/// Resolves the session cookie once per request and hands the caller to the server functions as a
/// request extension. Pages need a session (else: the sign-in page); `/` and `/sign-in` send a
/// signed-in user to where their kind of account starts, and a user who must replace a password
/// someone else set reaches only the change-password page. A session whose expiry slid forward
/// gets a fresh cookie.
async fn resolve_session(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    // Static assets are the same for everyone: no session lookup for them.
    if request.uri().path().starts_with("/pkg/") {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|peer| peer.0.ip());
    let address = proxy::client_ip(request.headers(), peer, gate.config.proxies)
        .map_or_else(|| ClientAddress("unknown".to_owned()), ClientAddress::from);
    let cookie = SessionCookie::new(gate.config.site(request.headers()).secure);
    request.extensions_mut().insert(address);
    request.extensions_mut().insert(cookie);
    let ledger = &gate.state.ledger;
    let token = cookie.token(request.headers());
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
        Some(active) if request.method() == Method::GET => {
            let signed_in = &active.signed_in;
            // Until the user replaces a password someone else set, that is the only page.
            let confined =
                is_page && signed_in.must_change_password && path != CHANGE_PASSWORD_PATH;
            if confined || matches!(path, "/" | "/sign-in") {
                return Redirect::to(session::landing_path(signed_in)).into_response();
            }
        }
        _ => {}
    }

    let renewed_for = active
        .as_ref()
        .filter(|active| active.renewed)
        .map(|active| active.lifetime);
    if let Some(active) = active {
        request.extensions_mut().insert(active.signed_in);
    }
    let mut response = next.run(request).await;
    if let (Some(token), Some(lifetime)) = (token, renewed_for)
        && !cookie.is_set_by(response.headers())
    {
        let renewed = cookie.set(&token, lifetime);
        response.headers_mut().append(SET_COOKIE, renewed);
    }
    response
}

/// Paths a request reaches without a session (the handler refuses what needs one): the live stream
/// answers 401 rather than redirect, since a browser's `EventSource` cannot follow a redirect to a
/// page.
fn is_public(path: &str) -> bool {
    path == "/sign-in"
        || path == "/favicon.ico"
        || path == LIVE_EVENTS_PATH
        || path.starts_with("/api/")
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
        .header(
            CONTENT_TYPE,
            <AppError as FromServerFnError>::Encoder::CONTENT_TYPE,
        )
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
    crate::events::stop_streams();
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;
    use tokio::net::{TcpListener, TcpStream};

    use super::{is_fingerprinted, without_nagle};

    #[tokio::test]
    async fn connections_are_accepted_with_nagle_off() {
        let mut listener = without_nagle(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let _browser = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (connection, _) = listener.accept().await;
        assert!(connection.nodelay().unwrap());
    }

    #[test]
    fn only_content_hashed_names_are_fingerprinted() {
        // The main module, and what `--split` adds: the chunk loader and a lazy island's chunks.
        for name in [
            "creditdesk.4fDq-mN0p_2xYz8kLw3aBc.wasm",
            "__wasm_split.6qUXHMoL3Yenob76SPFfNA.js",
            "split_webhook_settings_loader_8343135206953885598.rZHjqdhn5WNwjU2Q4ivqrw.wasm",
            "chunk_10.Jj0cNgBk_UI2P1YsXu4-zA.wasm",
        ] {
            assert!(is_fingerprinted(name), "{name}");
        }
        for name in [
            "creditdesk.wasm",
            "creditdesk_bg.wasm",
            "creditdesk.css",
            "creditdesk.short.js",
            "creditdesk.4fDq-mN0p_2xYz8kLw3a/c.wasm",
            "snippets/x.4fDq-mN0p_2xYz8kLw3aBc.js.map",
        ] {
            assert!(!is_fingerprinted(name), "{name}");
        }
    }
}
