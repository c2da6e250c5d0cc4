//! The frame around every signed-in page: the left menu and the top bar with the account's balance.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::components::icons::LogoIcon;
use crate::components::own_account::OwnAccount;
use crate::model::Grouped;

#[component]
pub fn Layout() -> impl IntoView {
    let own = OwnAccount::provide();

    view! {
        <div class="shell">
            <aside class="sidebar">
                <div class="brand">
                    <LogoIcon />
                    <span>"Creditdesk"</span>
                </div>
                <nav aria-label="Main">
                    <details class="nav-group" open>
                        <summary>"Reseller"</summary>
                        <A href="/reseller/customers">"Manage Customers"</A>
                    </details>
                </nav>
            </aside>
            <div class="workspace">
                <header class="topbar">
                    <Suspense fallback=|| view! { <span class="muted">"Loading account…"</span> }>
                        {move || Suspend::new(async move {
                            match own.account.await {
                                Ok(account) => {
                                    view! {
                                        <div class="who">
                                            <span class="who-name">{account.name}</span>
                                            <span class="who-kind">{account.kind.label()}</span>
                                        </div>
                                        <div class="balance-pill" aria-label="Your balance">
                                            <span class="muted">"Balance"</span>
                                            <strong data-testid="own-balance">
                                                {move || own.balance().map(|balance| Grouped(balance).to_string())}
                                            </strong>
                                            <span class="muted">"credits"</span>
                                        </div>
                                    }
                                        .into_any()
                                }
                                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
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
