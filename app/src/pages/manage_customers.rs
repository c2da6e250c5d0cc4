//! Manage Customers: the reseller's sub-accounts and their balances, with the credit pop-up per row.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::credit_dialog::CreditDialog;
use crate::components::icons::CardIcon;
use crate::components::ledger_table::RecentTransfers;
use crate::components::own_account::OwnAccount;
use crate::model::{AccountState, AccountSummary, Grouped, TransferReceipt};
use crate::server_fns::sub_accounts;

#[component]
pub fn ManageCustomers() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| sub_accounts());

    view! {
        <Title text="Manage Customers" />
        <div class="page-head">
            <h1>"Manage Customers"</h1>
            <p class="lede">"Give credits to your resellers and customers, or take them back."</p>
        </div>
        <section class="card" aria-labelledby="sub-accounts-title">
            <header class="card-head">
                <h2 id="sub-accounts-title">"Sub-accounts"</h2>
            </header>
            <Suspense fallback=|| view! { <p class="empty">"Loading sub-accounts…"</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(accounts) => view! { <SubAccountGrid accounts /> }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <RecentTransfers />
    }
}

/// The grid. Rows are keyed by account id and read their cells from `rows`, so a saved transfer
/// updates a balance in place: the row, and the focus on its button, stay where they are.
#[component]
fn SubAccountGrid(accounts: Vec<AccountSummary>) -> impl IntoView {
    let own = OwnAccount::expect();
    let rows = RwSignal::new(accounts);
    let editing = RwSignal::new(None::<AccountSummary>);

    let on_saved = Callback::new(move |receipt: TransferReceipt| {
        rows.update(|rows| {
            if let Some(row) = rows.iter_mut().find(|row| row.id == receipt.sub_account_id) {
                row.balance = receipt.sub_account_balance;
            }
        });
        own.record(&receipt);
    });
    let on_close = Callback::new(move |()| editing.set(None));

    view! {
        <Show
            when=move || rows.with(|rows| !rows.is_empty())
            fallback=|| view! { <p class="empty">"You have no sub-accounts yet."</p> }
        >
            <div class="table-scroll">
                <table class="grid accounts">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col" class="num">"Balance"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="actions">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|account| account.id let:account>
                            <SubAccountRow id=account.id rows editing />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
        {move || editing.get().map(|account| view! { <CreditDialog account on_saved on_close /> })}
    }
}

#[component]
fn SubAccountRow(
    id: i64,
    rows: RwSignal<Vec<AccountSummary>>,
    editing: RwSignal<Option<AccountSummary>>,
) -> impl IntoView {
    let account =
        Memo::new(move |_| rows.with(|rows| rows.iter().find(|row| row.id == id).cloned()));
    let field = move |read: fn(&AccountSummary) -> String| {
        move || account.with(|account| account.as_ref().map(read))
    };

    view! {
        <tr data-testid="account-row" data-account-id=id.to_string()>
            <th scope="row" data-label="Name">{field(|account| account.name.clone())}</th>
            <td data-label="Type">{field(|account| account.kind.label().to_owned())}</td>
            <td class="num" data-label="Balance" data-testid="balance">
                {field(|account| Grouped(account.balance).to_string())}
            </td>
            <td data-label="Status">
                <span class=move || {
                    let suspended = account.with(|account| account.as_ref().is_some_and(|a| a.state == AccountState::Suspended));
                    if suspended { "badge warn" } else { "badge ok" }
                }>{field(|account| account.state.label().to_owned())}</span>
            </td>
            <td class="actions" data-label="Actions">
                <button
                    type="button"
                    class="icon-button"
                    title="Add or remove credits"
                    aria-label=field(|account| format!("Add or remove credits for {}", account.name))
                    on:click=move |_| editing.set(account.get_untracked())
                >
                    <CardIcon />
                </button>
            </td>
        </tr>
    }
}
