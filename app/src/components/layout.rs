//! The frame around every signed-in page: the left menu for the account's kind, and the top bar with
//! the account, its balance and Sign out.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::components::error_note::{ErrorNote, go_to};
use crate::components::icons::LogoIcon;
use crate::components::own_account::OwnAccount;
use crate::model::{AccountSummary, Grouped};
use crate::server_fns::sign_out;

#[component]
pub fn Layout() -> impl IntoView {
    let own = OwnAccount::provide();
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
                            match own.account.await {
                                Ok(account) => view! { <TopBar account /> }.into_any(),
                                Err(error) => view! { <ErrorNote error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </header>
                <main class="content">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

fn menu(account: &AccountSummary) -> AnyView {
    if account.kind.has_sub_accounts() {
        view! {
            <details class="nav-group" open>
                <summary>"Reseller"</summary>
                <A href="/reseller/customers">"Manage Customers"</A>
            </details>
        }
        .into_any()
    } else {
        view! {
            <details class="nav-group" open>
                <summary>"Account"</summary>
                <A href="/account">"Balance and transfers"</A>
            </details>
        }
        .into_any()
    }
}

#[component]
fn TopBar(account: AccountSummary) -> impl IntoView {
    let own = OwnAccount::expect();
    let leave = Action::new(|()| sign_out());
    Effect::new(move |_| {
        if leave.value().get().is_some() {
            go_to("/sign-in");
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
            <div class="balance-pill" aria-label="Your balance">
                <span class="muted">"Balance"</span>
                <strong data-testid="own-balance">{move || own.balance().map(|balance| Grouped(balance).to_string())}</strong>
                <span class="muted">"credits"</span>
            </div>
            <button type="button" class="button" disabled=move || leave.pending().get() on:click=move |_| {
                leave.dispatch(());
            }>"Sign out"</button>
        </div>
    }
}
