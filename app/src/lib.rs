//! Creditdesk's web app: the pages, their components, the wire types and the server functions.
//!
//! The pages are rendered on the server and only their interactive parts hydrate: Leptos's
//! islands. The frame (top bar, menu, live balances, bell) is one island and each page's
//! interactive parts are islands inside it, reading the account and the live balances from the
//! frame's context; what never changes while a page is open (headings, the alerts list) is server
//! code only. The router runs on the server only, so following a link loads the page; a page whose
//! state is in its query string changes it through the browser's history (`components::address`).
//! Each page is a server component holding its title and its islands, so that the titles' code
//! stays on the server too. What this buys is the wasm: every island but Manage Customers' grid
//! and the frame is lazy, a chunk of its own fetched by the pages that show it, and the main module
//! every page loads holds only the frame, the grid and what they share (README, "Measurements").
#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod format;
pub mod hydrated;
pub mod model;
#[cfg(feature = "ssr")]
pub mod movements;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod state;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::layout::Layout;
use crate::pages::account_home::AccountHome;
use crate::pages::alerts::AlertsPage;
use crate::pages::api_keys::ApiKeys;
use crate::pages::change_password::ChangePassword;
use crate::pages::home::Home;
use crate::pages::manage_customers::ManageCustomers;
use crate::pages::not_found::NotFound;
use crate::pages::sign_in::SignIn;
use crate::pages::transfers::TransfersPage;
use crate::pages::webhooks::WebhooksPage;

/// The brand mark in the browser tab, inline so that it costs no request.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E\
%3Cellipse cx='12' cy='7' rx='8' ry='3.5' fill='%233b5bdb'/%3E%3Cpath d='M4 7v10c0 2 3.6 3.5 8 3.5s8-1.5 8-3.5V7' \
fill='none' stroke='%233b5bdb' stroke-width='2'/%3E%3C/svg%3E";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href=FAVICON />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · Creditdesk") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("sign-in") view=SignIn />
                // Sent whole, once every resource has loaded (a few milliseconds even at 100,000
                // sub-accounts): streamed, the browser could paint the loading placeholders and then
                // move the page down as the data arrived, a layout shift Lighthouse measured at 0.16.
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=Home />
                    <Route path=path!("reseller/customers") view=ManageCustomers />
                    <Route path=path!("account") view=AccountHome />
                    <Route path=path!("alerts") view=AlertsPage />
                    <Route path=path!("api-keys") view=ApiKeys />
                    <Route path=path!("change-password") view=ChangePassword />
                    <Route path=path!("transfers") view=TransfersPage />
                    <Route path=path!("webhooks") view=WebhooksPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
