//! The bell in the top bar: a link to the alerts page with how many alerts are unread. Its count is
//! shared as context, so that whatever learns of new alerts (opening the alerts page, the live
//! stream) can have it read again.

use leptos::prelude::*;

use crate::components::icons::BellIcon;
use crate::error::AppError;
use crate::server_fns::unread_alerts;
use crate::wire::{Loaded, load};

/// The count is loaded with the page (so the server renders it) and read again by an action: a
/// resource that reloads would hold the top bar's `Suspense` and blank the whole bar meanwhile.
#[derive(Clone, Copy)]
pub struct AlertsBell {
    loaded: Loaded<i64>,
    refreshed: Action<(), Result<i64, AppError>>,
}

impl AlertsBell {
    pub fn provide() -> Self {
        let bell = Self {
            loaded: load(|| (), |()| unread_alerts()),
            refreshed: Action::new(|()| unread_alerts()),
        };
        provide_context(bell);
        bell
    }

    pub fn expect() -> Self {
        expect_context()
    }

    /// Waits for the count the page loads with. The top bar waits for it, so that the server renders
    /// the count itself: hydration keeps the server's text, so a bar rendered before the count was
    /// read would say 0 and go on saying it.
    pub async fn loaded(&self) {
        let _ = self.loaded.await;
    }

    /// Reads the unread count again.
    pub fn refresh(&self) {
        self.refreshed.dispatch(());
    }

    /// The latest count read; 0 until one is, or when it could not be (the page shows why).
    fn count(&self) -> i64 {
        self.refreshed
            .value()
            .get()
            .or_else(|| self.loaded.get())
            .and_then(Result::ok)
            .unwrap_or(0)
    }
}

/// The bell link. The count stays in the page at 0 (hidden) so that it can be read at any time.
#[component]
pub fn AlertsBellLink() -> impl IntoView {
    let bell = AlertsBell::expect();
    let label = move || format!("Alerts, {} unread", bell.count());
    view! {
        <a class="icon-button bell" href="/alerts" title="Alerts" aria-label=label>
            <BellIcon />
            <span class="bell-count" data-testid="alert-count" aria-hidden="true" hidden=move || bell.count() == 0>
                {move || bell.count().to_string()}
            </span>
        </a>
    }
}
