//! The page's address as the islands see it. Pages are islands (`app/src/lib.rs` says why), so the
//! router runs on the server only: an island whose state is in the page's query string (Manage
//! Customers' grid) reads it here, from the request on the server and from the address bar in the
//! browser, and changes it through the browser's history, without a page load. Back and Forward
//! come back through `popstate`.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// The query string's parameters, tracked, and the way to another query string.
#[derive(Clone, Copy)]
pub struct Address {
    query: RwSignal<ParamsMap>,
}

impl Address {
    /// The address of the page shown, kept current.
    pub fn current() -> Self {
        let query = RwSignal::new(current_query());
        #[cfg(feature = "hydrate")]
        {
            let handle = window_event_listener(leptos::ev::popstate, move |_| {
                query.set(current_query());
            });
            on_cleanup(move || handle.remove());
        }
        Self { query }
    }

    /// The value of `name`, if the query string has it.
    pub fn get(&self, name: &str) -> Option<String> {
        self.query.with(|query| query.get(name))
    }

    /// Shows `href` (this page with another query string) in the address bar, as a new history
    /// entry or in place of the current one, and the page follows it.
    pub fn go(&self, href: &str, replace: bool) {
        #[cfg(feature = "hydrate")]
        if let Ok(history) = window().history() {
            let state = wasm_bindgen::JsValue::NULL;
            let _ = if replace {
                history.replace_state_with_url(&state, "", Some(href))
            } else {
                history.push_state_with_url(&state, "", Some(href))
            };
            self.query.set(current_query());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (href, replace);
    }
}

/// The path of the page shown, for the menu's `aria-current`.
pub fn current_path() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos_router::hooks::use_location()
            .pathname
            .get_untracked()
    }
    #[cfg(not(feature = "ssr"))]
    {
        window().location().pathname().unwrap_or_default()
    }
}

fn current_query() -> ParamsMap {
    #[cfg(feature = "ssr")]
    {
        leptos_router::hooks::use_query_map().get_untracked()
    }
    #[cfg(not(feature = "ssr"))]
    {
        use leptos_router::location::{BrowserUrl, LocationProvider};

        BrowserUrl::current()
            .map(|url| url.search_params().clone())
            .unwrap_or_default()
    }
}
