//! The bell in the top bar: a link to the alerts page with how many alerts are unread. Its count is
//! shared as context, so that whatever learns of new alerts (opening the alerts page, the live
//! stream) can have it reloaded.

use leptos::prelude::*;

use crate::components::icons::BellIcon;
use crate::error::AppError;
use crate::server_fns::unread_alerts;

#[derive(Clone, Copy)]
pub struct AlertsBell {
    /// Bumped to read the count again.
    version: RwSignal<u32>,
    unread: Resource<Result<i64, AppError>>,
}

impl AlertsBell {
    pub fn provide() -> Self {
        let version = RwSignal::new(0_u32);
        let bell = Self {
            version,
            unread: Resource::new(move || version.get(), |_| unread_alerts()),
        };
        provide_context(bell);
        bell
    }

    pub fn expect() -> Self {
        expect_context()
    }

    /// Reads the unread count again.
    pub fn refresh(&self) {
        self.version.update(|version| *version += 1);
    }

    /// The last count read; 0 until one is, or when it could not be (the page shows why).
    fn count(&self) -> i64 {
        self.unread.get().and_then(Result::ok).unwrap_or(0)
    }
}

/// The bell link. The count stays in the page at 0 (hidden) so that it can be read at any time.
/// Its own `Transition` keeps the last count on screen while a refresh reads the next one, rather
/// than the top bar's `Suspense` blanking the whole bar.
#[component]
pub fn AlertsBellLink() -> impl IntoView {
    let bell = AlertsBell::expect();
    let label = move || format!("Alerts, {} unread", bell.count());
    view! {
        <Transition fallback=|| view! {
            <a class="icon-button bell" href="/alerts" title="Alerts" aria-label="Alerts">
                <BellIcon />
            </a>
        }>
            <a class="icon-button bell" href="/alerts" title="Alerts" aria-label=label>
                <BellIcon />
                <span class="bell-count" data-testid="alert-count" aria-hidden="true" hidden=move || bell.count() == 0>
                    {move || bell.count().to_string()}
                </span>
            </a>
        </Transition>
    }
}
