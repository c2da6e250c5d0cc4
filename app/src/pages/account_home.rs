//! A customer's home: its balance and its transfers, read-only.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::own_account::OwnAccount;
use crate::components::transfer_table::Transfers;
use crate::format::Grouped;
use crate::hydrated::count_island;

#[component]
pub fn AccountHome() -> impl IntoView {
    view! {
        <Title text="Your account" />
        <AccountBalance />
    }
}

/// The page's island: the balance and the transfers, kept current.
#[island(lazy)]
fn AccountBalance() -> impl IntoView {
    count_island();
    let own = OwnAccount::expect();
    view! {
        <div class="page-head">
            <h1>"Your account"</h1>
            <p class="lede">"Your credits and every transfer to or from your account."</p>
        </div>
        <section class="card stat" aria-labelledby="balance-title">
            <h2 id="balance-title" class="muted">"Balance"</h2>
            <p class="stat-value">
                // The number is an element of its own: the server sends it and the text after it as
                // one text node, which hydration does not split.
                <Transition fallback=|| "…">
                    {move || own.balance().map(|balance| view! { <span>{Grouped(balance).to_string()}</span> })}
                </Transition>
                " credits"
            </p>
        </section>
        <section class="card" aria-labelledby="transfers-title">
            <header class="card-head">
                <h2 id="transfers-title">"Transfers"</h2>
            </header>
            <Transfers />
        </section>
    }
}
