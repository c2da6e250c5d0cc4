//! The frame around every signed-in page: the left menu for the account's kind, and the top bar with
//! the account, its balance, its alerts and their settings, Change password and Sign out. It also
//! owns leaving a page the session does not allow: Sign out, a session that ended while the page
//! was open, and a password that has to be changed first.

use leptos::prelude::*;
use leptos_router::components::Outlet;

use crate::components::address::current_path;
use crate::components::alert_settings::{AlertSettingsDialog, Watched};
use crate::components::alerts_bell::{AlertsBell, AlertsBellLink};
use crate::components::error_note::ErrorNote;
use crate::components::icons::{LogoIcon, SlidersIcon};
use crate::components::live::Live;
use crate::components::own_account::OwnAccount;
use crate::error::AppError;
use crate::format::Grouped;
use crate::hydrated::count_island;
use crate::model::{AccountSummary, CHANGE_PASSWORD_PATH};
use crate::server_fns::sign_out;

#[component]
pub fn Layout() -> impl IntoView {
    view! { <Frame><Outlet /></Frame> }
}

/// An island: the top bar's balance, bell and live status change while the page is open, and the
/// page's own island (its children) reads the account, the live balances and the bell from it.
#[island]
fn Frame(children: Children) -> impl IntoView {
    count_island();
    let own = OwnAccount::provide();
    let bell = AlertsBell::provide();
    // A new alert arrives with the live stream's count: the bell reads it again.
    let live = Live::expect();
    let unread = Memo::new(move |_| live.unread_alerts());
    Effect::new(move |_| {
        if unread.get().is_some() {
            bell.refresh();
        }
    });
    // The account is the first thing every page loads, so a session that ended is noticed here.
    Effect::new(move |_| {
        if let Some(Err(error)) = own.account.get() {
            leave_if_session_refused(&error);
        }
    });
    let signed_in = move |show: fn(AccountSummary) -> AnyView| {
        move || Suspend::new(async move { own.account.await.map(show) })
    };

    view! {
        <div class="shell">
            <aside class="sidebar">
                <div class="brand">
                    <LogoIcon />
                    <span>"Creditdesk"</span>
                </div>
                <nav aria-label="Main">
                    <Suspense>{signed_in(|account| menu(&account))}</Suspense>
                </nav>
            </aside>
            <div class="workspace">
                <header class="topbar">
                    <Suspense fallback=|| view! { <span class="muted">"Loading account…"</span> }>
                        {move || Suspend::new(async move {
                            bell.loaded().await;
                            match own.account.await {
                                Ok(account) => view! { <TopBar account /> }.into_any(),
                                Err(error) => view! { <ErrorNote error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </header>
                <main class="content">
                    {children()}
                </main>
            </div>
        </div>
    }
}

fn menu(account: &AccountSummary) -> AnyView {
    view! {
        {own_menu(account)}
        <details class="nav-group" open>
            <summary>"Developers"</summary>
            {link("/api-keys", "API keys")}
            {link("/webhooks", "Webhooks")}
        </details>
    }
    .into_any()
}

/// A menu link, `aria-current` on the page shown.
fn link(href: &'static str, text: &'static str) -> impl IntoView {
    let current = (current_path() == href).then_some("page");
    view! { <a href=href aria-current=current>{text}</a> }
}

fn own_menu(account: &AccountSummary) -> AnyView {
    if account.kind.has_sub_accounts() {
        view! {
            <details class="nav-group" open>
                <summary>"Reseller"</summary>
                {link("/reseller/customers", "Manage Customers")}
            </details>
        }
        .into_any()
    } else {
        view! {
            <details class="nav-group" open>
                <summary>"Account"</summary>
                {link("/account", "Balance and transfers")}
            </details>
        }
        .into_any()
    }
}

#[component]
fn TopBar(account: AccountSummary) -> impl IntoView {
    let own = OwnAccount::expect();
    let settings_open = RwSignal::new(false);
    let close_settings = Callback::new(move |()| settings_open.set(false));
    let watched = Watched::Own {
        id: account.id,
        name: account.name.clone(),
    };
    let leave = Action::new(|()| sign_out());
    Effect::new(move |_| {
        if leave.value().get().is_some() {
            go_to(SIGN_IN);
        }
    });
    view! {
        <div class="who">
            <span class="who-name">{account.name}</span>
            <span class="who-kind">
                {account.kind.label()}
                {account.login.map(|login| format!(" · signed in as {login}"))}
            </span>
        </div>
        <div class="topbar-end">
            <LiveStatus />
            <a class="button" href="/transfers">"Transfers"</a>
            <div class="balance-pill" aria-label="Your balance">
                <span class="muted">"Balance"</span>
                <strong data-testid="own-balance">{move || own.balance().map(|balance| Grouped(balance).to_string())}</strong>
                <span class="muted">"credits"</span>
            </div>
            <AlertsBellLink />
            <button
                type="button"
                class="icon-button"
                title="Alert settings for your account"
                aria-label="Alert settings for your account"
                on:click=move |_| settings_open.set(true)
            >
                <SlidersIcon />
            </button>
            <a href=CHANGE_PASSWORD_PATH class="button">"Change password"</a>
            <button type="button" class="button" disabled=move || leave.pending().get() on:click=move |_| {
                leave.dispatch(());
            }>"Sign out"</button>
        </div>
        {move || {
            settings_open.get().then(|| {
                let dialog = own_alert_settings(watched.clone(), close_settings);
                view! { <Suspense>{Suspend::new(dialog)}</Suspense> }
            })
        }}
    }
}

/// The alert settings pop-up of the signed-in account, fetched the first time it opens (see
/// `dialog_view` on Manage Customers).
#[lazy]
fn own_alert_settings(account: Watched, on_close: Callback<()>) -> AnyView {
    view! { <AlertSettingsDialog account on_close /> }.into_any()
}

/// Whether balances on screen update by themselves right now.
#[component]
fn LiveStatus() -> impl IntoView {
    let live = Live::expect();
    view! {
        <span class="live-status" class:on=move || live.connected() role="status" data-testid="live-status"
            title="Balances update by themselves while live">
            <span class="live-dot" aria-hidden="true"></span>
            {move || if live.connected() { "Live" } else { "Offline" }}
        </span>
    }
}

const SIGN_IN: &str = "/sign-in";

/// Goes where the session allows if `error` says it allows nothing here: to the sign-in page when
/// the session has ended, to the change-password page while the user must replace a password
/// someone else set. Call it from an effect, as it needs the browser.
pub fn leave_if_session_refused(error: &AppError) {
    if *error == AppError::Unauthenticated {
        go_to(SIGN_IN);
    } else if *error == AppError::PasswordChangeRequired {
        go_to(CHANGE_PASSWORD_PATH);
    }
}

/// A full page load of `path`: after signing in or out, everything is rendered afresh for the new user.
pub fn go_to(path: &str) {
    let _ = window().location().set_href(path);
}
