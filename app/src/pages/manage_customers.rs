//! Manage Customers: the reseller's sub-accounts a page at a time (searched, filtered, sorted, all in
//! the URL), the credit and alert settings pop-ups per row, and adding, renaming, suspending and
//! reactivating sub-accounts.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::account_dialogs::{AddSubAccountDialog, RenameDialog};
use crate::components::address::Address;
use crate::components::alert_settings::{AlertSettingsDialog, Watched};
use crate::components::credit_dialog::CreditDialog;
use crate::components::error_note::ErrorNote;
use crate::components::form::FormAction;
use crate::components::icons::{CardIcon, HistoryIcon, PencilIcon, SlidersIcon};
use crate::components::live::Live;
use crate::components::own_account::OwnAccount;
use crate::components::pager::{Pager, href};
use crate::components::search_box::SearchBox;
use crate::components::transfer_table::RecentTransfers;
use crate::format::{Grouped, utc_date};
use crate::hydrated::count_island;
use crate::model::{
    AccountKind, AccountStatus, AccountSummary, SortDirection, SubAccountList, SubAccountSort,
    SubAccountView, TransferReceipt,
};
use crate::server_fns::{set_sub_account_status, sub_account_page};
use crate::wire::load;

const PATH: &str = "/reseller/customers";

fn grid_href(view: &SubAccountView) -> String {
    href(PATH, view.to_query())
}

#[component]
pub fn ManageCustomers() -> impl IntoView {
    view! {
        <Title text="Manage Customers" />
        <div class="page-head">
            <h1>"Manage Customers"</h1>
            <p class="lede">"Give credits to your resellers and customers, or take them back."</p>
        </div>
        <SubAccounts />
        <section class="card" aria-labelledby="recent-transfers-title">
            <header class="card-head">
                <h2 id="recent-transfers-title">"Recent transfers"</h2>
                <a class="card-link" href="/transfers">"All transfers"</a>
            </header>
            <RecentTransfers />
        </section>
    }
}

/// The page's main island: the grid follows the address, and every row's pop-ups and buttons work
/// on it. It is in the main module, which every page loads (a lazy island's code comes in many
/// small chunks, which weigh more).
#[island]
fn SubAccounts() -> impl IntoView {
    count_island();
    let address = Address::current();
    let view = Memo::new(move |_| SubAccountView::from_query(|name| address.get(name)));
    // Bumped to read the page again after a sub-account is added (it may or may not belong on it).
    let reload = RwSignal::new(0_u32);
    // A newer view's answer always wins: the resource drops an older request's late answer.
    let page = load(
        move || (view.get(), reload.get()),
        |(view, _)| sub_account_page(view),
    );
    let open = RwSignal::new(None::<Open>);

    view! {
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
            <GridTools view address />
            <Transition fallback=|| view! { <p class="empty">"Loading sub-accounts…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(list) => view! { <SubAccountGrid list view open reload /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The search box and the filters. Each change goes to the URL (typing once it pauses, replacing
/// the history entry; a filter as a new entry), and the page follows the URL.
#[component]
fn GridTools(view: Memo<SubAccountView>, address: Address) -> impl IntoView {
    let go = Callback::new(move |(changed, replace): (SubAccountView, bool)| {
        address.go(&grid_href(&changed), replace);
    });
    let search = Callback::new(move |q: String| {
        let current = view.get_untracked();
        if current.q != q {
            go.run((
                SubAccountView {
                    q,
                    cursor: None,
                    ..current
                },
                true,
            ));
        }
    });
    // A filter's new value, read like the URL reads it, back on the first page.
    let choose = move |param: &'static str| {
        move |event: leptos::ev::Event| {
            let mut query = view.get_untracked().at(None).to_query();
            query.retain(|(name, _)| *name != param);
            query.push((param, event_target_value(&event)));
            let changed = SubAccountView::from_query(|name| {
                query
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.clone())
            });
            go.run((changed, false));
        }
    };
    let kind_code = move || match view.with(|view| view.kind) {
        Some(AccountKind::Reseller) => "resellers",
        Some(AccountKind::Customer) => "customers",
        Some(AccountKind::Platform | AccountKind::DirectReseller) | None => "",
    };
    let status_code = move || match view.with(|view| view.status) {
        Some(AccountStatus::Active) => "active",
        Some(AccountStatus::Suspended) => "suspended",
        None => "",
    };
    let sort_code = move || view.with(sort_code_of);
    // Without script the form still works: Enter in the search box submits it.
    view! {
        <form class="grid-tools" role="search" method="get" action=PATH aria-label="Sub-accounts">
            <SearchBox
                id="grid-search"
                name="q"
                label="Search sub-accounts"
                hint="Start of a name or login"
                value=Signal::derive(move || view.with(|view| view.q.clone()))
                on_settle=search
            />
            <div class="field">
                <label for="grid-kind">"Type"</label>
                <select id="grid-kind" name="kind" prop:value=kind_code on:change=choose("kind")>
                    <option value="" selected=move || kind_code().is_empty()>"All"</option>
                    <option value="resellers" selected=move || kind_code() == "resellers">"Resellers"</option>
                    <option value="customers" selected=move || kind_code() == "customers">"Customers"</option>
                </select>
            </div>
            <div class="field">
                <label for="grid-status">"Status"</label>
                <select id="grid-status" name="status" prop:value=status_code on:change=choose("status")>
                    <option value="" selected=move || status_code().is_empty()>"All"</option>
                    <option value="active" selected=move || status_code() == "active">"Active"</option>
                    <option value="suspended" selected=move || status_code() == "suspended">"Suspended"</option>
                </select>
            </div>
            // On a phone the column headers are hidden: the same sorts, as a list.
            <div class="field phone-only">
                <label for="grid-sort">"Sort"</label>
                <select id="grid-sort" prop:value=sort_code on:change=move |event| {
                    let code = event_target_value(&event);
                    if let Some((sort, _, _)) = SORTS.iter().find(|(_, _, value)| *value == code) {
                        let mut changed = view.get_untracked().sorted_by(*sort);
                        if sort_code_of(&changed) != code {
                            changed = changed.sorted_by(*sort);
                        }
                        go.run((changed, false));
                    }
                }>
                    {SORTS.iter().map(|(_, label, value)| view! {
                        <option value=*value selected=move || sort_code() == *value>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            {move || view.with(|view| view.to_query())
                .into_iter()
                .filter(|(name, _)| matches!(*name, "sort" | "dir"))
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
        </form>
    }
}

/// The sorts a phone offers in a list: (sort, label, value).
const SORTS: [(SubAccountSort, &str, &str); 6] = [
    (SubAccountSort::Name, "Name, A to Z", "name-asc"),
    (SubAccountSort::Name, "Name, Z to A", "name-desc"),
    (
        SubAccountSort::Balance,
        "Largest balance first",
        "balance-desc",
    ),
    (
        SubAccountSort::Balance,
        "Smallest balance first",
        "balance-asc",
    ),
    (SubAccountSort::Created, "Newest first", "created-desc"),
    (SubAccountSort::Created, "Oldest first", "created-asc"),
];

fn sort_code_of(view: &SubAccountView) -> String {
    let sort = match view.sort {
        SubAccountSort::Name => "name",
        SubAccountSort::Balance => "balance",
        SubAccountSort::Created => "created",
    };
    let direction = match view.direction {
        SortDirection::Ascending => "asc",
        SortDirection::Descending => "desc",
    };
    format!("{sort}-{direction}")
}

/// Which pop-up is open.
#[derive(Clone)]
enum Open {
    Credits(AccountSummary),
    Rename(AccountSummary),
    AlertSettings(AccountSummary),
    Add(AccountKind),
}

/// The grid. Rows are keyed by account id and read their cells from `rows`, so a change updates a
/// cell in place: the row, and the focus on its buttons, stay where they are.
#[component]
fn SubAccountGrid(
    list: SubAccountList,
    view: Memo<SubAccountView>,
    open: RwSignal<Option<Open>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let own = OwnAccount::expect();
    let rows = RwSignal::new(list.rows);
    let credits = RwSignal::new(list.matching_credits);
    let matching = list.matching;
    let replace_row = move |changed: AccountSummary| {
        let found =
            rows.try_update(
                |rows| match rows.iter_mut().find(|row| row.id == changed.id) {
                    Some(row) => {
                        *row = changed;
                        true
                    }
                    None => false,
                },
            );
        if found != Some(true) {
            reload.update(|version| *version += 1);
        }
    };
    let on_transfer = Callback::new(move |receipt: TransferReceipt| {
        rows.update(|rows| {
            if let Some(row) = rows.iter_mut().find(|row| row.id == receipt.sub_account_id) {
                credits.update(|credits| *credits += receipt.sub_account_balance - row.balance);
                row.balance = receipt.sub_account_balance;
            }
        });
        own.record(&receipt);
    });
    // Balances that moved elsewhere (another tab, user, API key or server) show in place.
    let live = Live::expect();
    Effect::new(move |_| {
        let moved: Vec<(i64, i64)> = rows.with_untracked(|rows| {
            rows.iter()
                .filter_map(|row| {
                    let balance = live.balance(row.id)?;
                    (balance != row.balance).then_some((row.id, balance))
                })
                .collect()
        });
        if moved.is_empty() {
            return;
        }
        rows.update(|rows| {
            for row in rows.iter_mut() {
                if let Some(&(_, balance)) = moved.iter().find(|(id, _)| *id == row.id) {
                    credits.update(|credits| *credits += balance - row.balance);
                    row.balance = balance;
                }
            }
        });
    });
    let on_changed = Callback::new(replace_row);
    let on_close = Callback::new(move |()| open.set(None));
    let filtered = view
        .with_untracked(|view| !view.q.is_empty() || view.kind.is_some() || view.status.is_some());
    let pages = view.with_untracked(|view| {
        let page = |cursor: Option<String>| cursor.map(|cursor| grid_href(&view.at(Some(cursor))));
        (page(list.previous), page(list.next))
    });
    let empty = if filtered {
        "No sub-accounts match. Try the start of another name or login, or other filters."
    } else {
        "You have no sub-accounts yet. Add a reseller or a customer to start."
    };

    view! {
        <p class="match-summary" aria-live="polite">
            <strong data-testid="match-count">{Grouped(matching).to_string()}</strong>
            {if matching == 1 { " sub-account matches, holding " } else { " sub-accounts match, holding " }}
            <strong data-testid="match-credits">{move || Grouped(credits.get()).to_string()}</strong>
            " credits"
        </p>
        <Show when=move || rows.with(|rows| !rows.is_empty()) fallback=move || view! { <p class="empty">{empty}</p> }>
            <div class="table-scroll">
                <table class="grid accounts">
                    <thead>
                        <tr>
                            <SortHeader view sort=SubAccountSort::Name label="Name" />
                            <th scope="col">"Type"</th>
                            <th scope="col">"Login"</th>
                            <SortHeader view sort=SubAccountSort::Balance label="Balance" numeric=true />
                            <SortHeader view sort=SubAccountSort::Created label="Opened" />
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
        <Pager label="Sub-account pages" previous=pages.0 next=pages.1 />
        {move || {
            open.get().map(|dialog| {
                let dialog = dialog_view(dialog, on_transfer, on_changed, on_close);
                view! { <Suspense>{Suspend::new(dialog)}</Suspense> }
            })
        }}
    }
    .into_any()
}

/// The open pop-up. Its code is fetched the first time a pop-up opens (a chunk of its own in the
/// split build): most visits open none, and every page loads faster without it.
#[lazy]
fn dialog_view(
    dialog: Open,
    on_transfer: Callback<TransferReceipt>,
    on_changed: Callback<AccountSummary>,
    on_close: Callback<()>,
) -> AnyView {
    match dialog {
        Open::Credits(account) => {
            view! { <CreditDialog account on_saved=on_transfer on_close /> }.into_any()
        }
        Open::Rename(account) => {
            view! { <RenameDialog account on_saved=on_changed on_close /> }.into_any()
        }
        Open::AlertSettings(account) => {
            let account = Watched::SubAccount {
                id: account.id,
                name: account.name,
            };
            view! { <AlertSettingsDialog account on_close /> }.into_any()
        }
        Open::Add(kind) => {
            view! { <AddSubAccountDialog kind on_saved=on_changed on_close /> }.into_any()
        }
    }
}

/// A column header that sorts the grid by its column: a link to the same view sorted by it (the
/// other way round when it already is), with `aria-sort` on the sorted one.
#[component]
fn SortHeader(
    view: Memo<SubAccountView>,
    sort: SubAccountSort,
    label: &'static str,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let sorted = move || view.with(|view| (view.sort == sort).then_some(view.direction));
    let aria_sort = move || {
        sorted().map(|direction| match direction {
            SortDirection::Ascending => "ascending",
            SortDirection::Descending => "descending",
        })
    };
    let arrow = move || match sorted() {
        Some(SortDirection::Ascending) => "▲",
        Some(SortDirection::Descending) => "▼",
        None => "",
    };
    view! {
        <th scope="col" class:num=numeric aria-sort=aria_sort>
            <a class="sort" href=move || view.with(|view| grid_href(&view.sorted_by(sort)))>
                {label}
                <span class="sort-arrow" aria-hidden="true">{arrow}</span>
            </a>
        </th>
    }
    .into_any()
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
            <td class="nowrap" data-label="Opened">{field(|account| utc_date(account.created_at))}</td>
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
                    <a
                        class="icon-button"
                        title="Transfers"
                        href=format!("/transfers?account={id}")
                        aria-label=field(|account| format!("Transfers of {}", account.name))
                    >
                        <HistoryIcon />
                    </a>
                    <RowButton
                        title="Rename"
                        label=field(|account| format!("Rename {}", account.name))
                        on_click=Callback::new(open_with(Open::Rename))
                    >
                        <PencilIcon />
                    </RowButton>
                    <RowButton
                        title="Alert settings"
                        label=field(|account| format!("Alert settings for {}", account.name))
                        on_click=Callback::new(open_with(Open::AlertSettings))
                    >
                        <SlidersIcon />
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
    .into_any()
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
