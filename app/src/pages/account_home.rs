//! A customer's home: its balance and its transfers, read-only.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::own_account::OwnAccount;
use crate::components::transfer_table::RecentTransfers;
use crate::format::Grouped;
use crate::hydrated::count_island;

#[component]
pub fn AccountHome() -> impl IntoView {
    let own = OwnAccount::expect();
    view! {
        <Title text="Your account" />
        <div class="page-head">
            <h1>"Your account"</h1>
            <p class="lede">"Your credits and every transfer to or from your account."</p>
        </div>
        <section class="card stat" aria-labelledby="balance-title">
            <h2 id="balance-title" class="muted">"Balance"</h2>
            <p class="stat-value">
                // Rendered once the frame's account is loaded, which the island reads.
                <Suspense>{Suspend::new(async move { own.account.await.ok().map(|_| view! { <AccountBalance /> }) })}</Suspense>
                " credits"
            </p>
        </section>
        <section class="card" aria-labelledby="transfers-title">
            <header class="card-head">
                <h2 id="transfers-title">"Transfers"</h2>
            </header>
            <RecentTransfers />
        </section>
    }
}

/// An island: the balance, kept current.
#[island(lazy)]
fn AccountBalance() -> impl IntoView {
    count_island();
    let own = OwnAccount::expect();
    // The number is an element of its own: the server sends it and the text after it as one text
    // node, which hydration does not split.
    view! { <span data-testid="account-balance">{move || own.balance().map(|balance| Grouped(balance).to_string())}</span> }
}
