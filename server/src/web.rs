//! The HTTP side: the axum router (pages, server functions, static files) and serving it.

use app::error::AppError;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::map_response;
use axum::response::Response;
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Every route of the app, ready to serve or to test in-process.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .leptos_routes(&state, routes, move || shell(options.clone()))
        // Compress the static assets (the wasm shrinks to about a third); pages stream uncompressed.
        .fallback(file_and_error_handler::<AppState, _>(shell).layer(CompressionLayer::new()))
        .layer(map_response(status_from_app_error))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
    let status = AppError::de(bytes.clone()).status();
    parts.status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::from_parts(parts, Body::from(bytes))
}

/// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
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
