//! Every page but Manage Customers and the home page, as lazy routes. Built with `cargo leptos
//! build --split`, each one's code is a wasm chunk of its own, downloaded when the page is first
//! shown (the server-rendered page preloads it), so that no page carries the others. Manage
//! Customers, the page a reseller works in, stays in the main module: a lazy page hydrates only once
//! its chunks arrive, and splitting it too made it hydrate about 100 ms later for a few per cent
//! fewer bytes. Other builds (tests, clippy) link the same code into one module, and the routes
//! behave the same.
//!
//! Nothing is loaded before a page's view: each page starts its own requests when it renders.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use crate::pages::account_home::AccountHome;
use crate::pages::alerts::AlertsPage;
use crate::pages::api_keys::ApiKeys;
use crate::pages::change_password::ChangePassword;
use crate::pages::sign_in::SignIn;
use crate::pages::transfers::TransfersPage;
use crate::pages::webhooks::WebhooksPage;

/// One lazy route per page: a split point is named after its route type, so each needs its own.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident shows $page:ident;)*) => {$(
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    /// `/account`, a customer's home.
    AccountRoute shows AccountHome;
    /// `/alerts`.
    AlertsRoute shows AlertsPage;
    /// `/api-keys`.
    ApiKeysRoute shows ApiKeys;
    /// `/change-password`.
    ChangePasswordRoute shows ChangePassword;
    /// `/sign-in`.
    SignInRoute shows SignIn;
    /// `/transfers`.
    TransfersRoute shows TransfersPage;
    /// `/webhooks`.
    WebhooksRoute shows WebhooksPage;
}
