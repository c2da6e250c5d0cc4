//! Manage Customers: the reseller's sub-accounts and their balances, the credit pop-up per row, and
//! adding, renaming, suspending and reactivating sub-accounts.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::account_dialogs::{AddSubAccountDialog, RenameDialog};
use crate::components::credit_dialog::CreditDialog;
use crate::components::error_note::ErrorNote;
use crate::components::form::FormAction;
use crate::components::icons::{CardIcon, HistoryIcon, PencilIcon};
use crate::components::own_account::OwnAccount;
use crate::components::transfer_table::Transfers;
use crate::components::transfers_dialog::TransfersDialog;
use crate::format::Grouped;
use crate::model::{AccountKind, AccountStatus, AccountSummary, TransferReceipt};
use crate::server_fns::{set_sub_account_status, sub_accounts};

#[component]
pub fn ManageCustomers() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| sub_accounts());
    let open = RwSignal::new(None::<Open>);

    view! {
        <Title text="Manage Customers" />
        <div class="page-head">
            <h1>"Manage Customers"</h1>
            <p class="lede">"Give credits to your resellers and customers, or take them back."</p>
        </div>
        <section class="card" aria-labelledby="sub-accounts-title">
            <header class="card-head">
                <h2 id="sub-accounts-title">"Sub-accounts"</h2>
                <div class="card-actions">
                    <button type="button" class="button" on:click=move |_| open.set(Some(Open::Add(AccountKind::Reseller)))>
                        "Add reseller"
                    </button>
                    <button type="button" class="button" on:click=move |_| open.set(Some(Open::Add(AccountKind::Customer)))>
                        "Add customer"
                    </button>
                </div>
            </header>
            <Suspense fallback=|| view! { <p class="empty">"Loading sub-accounts…"</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(accounts) => view! { <SubAccountGrid accounts open /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="recent-transfers-title">
            <header class="card-head">
                <h2 id="recent-transfers-title">"Recent transfers"</h2>
            </header>
            <Transfers />
        </section>
    }
}

/// Which pop-up is open.
#[derive(Clone)]
enum Open {
    Credits(AccountSummary),
    History(AccountSummary),
    Rename(AccountSummary),
    Add(AccountKind),
}

/// The grid. Rows are keyed by account id and read their cells from `rows`, so a change updates a
/// cell in place: the row, and the focus on its buttons, stay where they are.
#[component]
fn SubAccountGrid(accounts: Vec<AccountSummary>, open: RwSignal<Option<Open>>) -> impl IntoView {
    let own = OwnAccount::expect();
    let rows = RwSignal::new(accounts);
    let replace_row = move |changed: AccountSummary| {
        rows.update(
            |rows| match rows.iter_mut().find(|row| row.id == changed.id) {
                Some(row) => *row = changed,
                None => {
                    rows.push(changed);
                    rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
                }
            },
        );
    };
    let on_transfer = Callback::new(move |receipt: TransferReceipt| {
        rows.update(|rows| {
            if let Some(row) = rows.iter_mut().find(|row| row.id == receipt.sub_account_id) {
                row.balance = receipt.sub_account_balance;
            }
        });
        own.record(&receipt);
    });
    let on_changed = Callback::new(replace_row);
    let on_close = Callback::new(move |()| open.set(None));

    view! {
        <Show
            when=move || rows.with(|rows| !rows.is_empty())
            fallback=|| view! { <p class="empty">"You have no sub-accounts yet. Add a reseller or a customer to start."</p> }
        >
            <div class="table-scroll">
                <table class="grid accounts">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Login"</th>
                            <th scope="col" class="num">"Balance"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="actions">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|account| account.id let:account>
                            <SubAccountRow id=account.id rows open on_changed />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
        {move || {
            open.get()
                .map(|dialog| match dialog {
                    Open::Credits(account) => view! { <CreditDialog account on_saved=on_transfer on_close /> }.into_any(),
                    Open::History(account) => view! { <TransfersDialog account on_close /> }.into_any(),
                    Open::Rename(account) => view! { <RenameDialog account on_saved=on_changed on_close /> }.into_any(),
                    Open::Add(kind) => view! { <AddSubAccountDialog kind on_saved=on_changed on_close /> }.into_any(),
                })
        }}
    }
}

#[component]
fn SubAccountRow(
    id: i64,
    rows: RwSignal<Vec<AccountSummary>>,
    open: RwSignal<Option<Open>>,
    on_changed: Callback<AccountSummary>,
) -> impl IntoView {
    let account =
        Memo::new(move |_| rows.with(|rows| rows.iter().find(|row| row.id == id).cloned()));
    let field = move |read: fn(&AccountSummary) -> String| {
        move || account.with(|account| account.as_ref().map(read))
    };
    let suspended = move || {
        account.with(|account| {
            account
                .as_ref()
                .is_some_and(|a| a.status == AccountStatus::Suspended)
        })
    };
    let open_with = move |dialog: fn(AccountSummary) -> Open| {
        move |()| {
            if let Some(account) = account.get_untracked() {
                open.set(Some(dialog(account)));
            }
        }
    };
    let toggle = FormAction::new(
        |(id, status): (i64, AccountStatus)| set_sub_account_status(id, status),
        move |changed| on_changed.run(changed),
    );
    let saving = toggle.saving();

    view! {
        <tr data-testid="account-row" data-account-id=id.to_string()>
            <th scope="row" data-label="Name">{field(|account| account.name.clone())}</th>
            <td data-label="Type">{field(|account| account.kind.label().to_owned())}</td>
            <td data-label="Login" class="login">{field(|account| account.login.clone().unwrap_or_default())}</td>
            <td class="num" data-label="Balance" data-testid="balance">
                {field(|account| Grouped(account.balance).to_string())}
            </td>
            <td data-label="Status">
                <span class=move || if suspended() { "badge warn" } else { "badge ok" }>
                    {field(|account| account.status.label().to_owned())}
                </span>
            </td>
            <td class="actions" data-label="Actions">
                <div class="row-actions">
                    <RowButton
                        title="Add or remove credits"
                        label=field(|account| format!("Add or remove credits for {}", account.name))
                        on_click=Callback::new(open_with(Open::Credits))
                    >
                        <CardIcon />
                    </RowButton>
                    <RowButton
                        title="Transfers"
                        label=field(|account| format!("Transfers of {}", account.name))
                        on_click=Callback::new(open_with(Open::History))
                    >
                        <HistoryIcon />
                    </RowButton>
                    <RowButton
                        title="Rename"
                        label=field(|account| format!("Rename {}", account.name))
                        on_click=Callback::new(open_with(Open::Rename))
                    >
                        <PencilIcon />
                    </RowButton>
                    <button
                        type="button"
                        class="button small"
                        disabled=move || saving.get()
                        aria-label=field(|account| {
                            let verb = if account.status == AccountStatus::Suspended { "Reactivate" } else { "Suspend" };
                            format!("{verb} {}", account.name)
                        })
                        on:click=move |_| {
                            toggle.submit(Ok((id, if suspended() { AccountStatus::Active } else { AccountStatus::Suspended })));
                        }
                    >
                        {move || if suspended() { "Reactivate" } else { "Suspend" }}
                    </button>
                </div>
                {toggle.alert()}
            </td>
        </tr>
    }
}

/// An icon button on a row; `label` names the account, for screen readers and tests.
#[component]
fn RowButton(
    title: &'static str,
    label: impl Fn() -> Option<String> + Send + Sync + 'static,
    on_click: Callback<()>,
    children: Children,
) -> impl IntoView {
    view! {
        <button type="button" class="icon-button" title=title aria-label=label on:click=move |_| on_click.run(())>
            {children()}
        </button>
    }
}
