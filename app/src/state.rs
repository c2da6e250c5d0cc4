//! What every request handler shares (server only): the Leptos options and the ledger.

use axum::extract::FromRef;
use ledger::Ledger;
use leptos::config::LeptosOptions;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub ledger: Ledger,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
