//! Transfers: every transfer of the signed-in account (or of an account below it, `?account=ID`),
//! newest first, a page at a time, filtered by dates, type, counterparty and note, all in the URL;
//! the balance over the same dates; and the same view as a CSV download.
//!
//! The page is rendered on the server only: the filters are a form that loads the page with their
//! URL, and the pages are links. So the table and the chart, most of the page's code, stay out of
//! the wasm; the one island applies the filters as they change.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::balance_chart::BalanceChart;
use crate::components::error_note::ErrorNote;
use crate::components::pager::{Pager, href};
use crate::components::server_html::form_values;
use crate::components::transfer_table::{LedgerRow, LedgerTable};
use crate::format::Grouped;
use crate::hydrated::count_island;
use crate::model::{BalancePoint, TransferList, TransferView};
use crate::server_fns::{balance_history, transfer_page};

const PATH: &str = "/transfers";

/// How long a date or the note must stay unchanged before the page loads with them: typing a
/// date's year changes the date at each digit. A type chosen applies at once.
const SETTLE: Duration = Duration::from_millis(400);

fn transfers_href(view: &TransferView) -> String {
    href(PATH, view.to_query())
}

#[component]
pub fn TransfersPage() -> impl IntoView {
    let view =
        use_query_map().with_untracked(|query| TransferView::from_query(|name| query.get(name)));

    view! {
        <Title text="Transfers" />
        <Suspense>
            {Suspend::new(async move {
                // Read side by side; the chart follows the filters, not the page.
                let (list, chart) = futures_util::future::join(
                    transfer_page(view.clone()),
                    balance_history(view.at(None)),
                )
                .await;
                match list {
                    Ok(list) => view! { <Transfers view list chart=chart.ok() /> }.into_any(),
                    Err(error) => view! {
                        <div class="page-head">
                            <h1>"Transfers"</h1>
                        </div>
                        <ErrorNote error />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Transfers(
    view: TransferView,
    list: TransferList,
    chart: Option<Vec<BalancePoint>>,
) -> impl IntoView {
    let filters = view.clone();
    view! {
        <div class="page-head">
            <h1>"Transfers"</h1>
            <p class="lede">
                {list.account.name.clone()} " · balance "
                <strong data-testid="account-balance">{Grouped(list.account.balance).to_string()}</strong>
                " credits"
            </p>
        </div>
        <section class="card" aria-labelledby="transfers-title">
            <header class="card-head">
                <h2 id="transfers-title">"Transfers, newest first"</h2>
                <a class="button" href=href("/transfers.csv", view.at(None).to_query()) download>
                    "Download CSV"
                </a>
            </header>
            <ApplyFilters>
                <TransferFilters view=filters />
            </ApplyFilters>
            {chart.map(|points| view! { <BalanceChart points /> })}
            <TransferPage list view />
        </section>
    }
}

/// The filters: a form that loads the page with its values, back on the newest page.
#[component]
fn TransferFilters(view: TransferView) -> impl IntoView {
    let kind = view.kind.map_or("", |kind| kind.code());
    let kinds = [
        ("", "All"),
        ("grant", "Grant"),
        ("revoke", "Revoke"),
        ("top_up", "Top-up"),
        ("usage", "Usage"),
    ];
    let everyone = view.counterparty.map(|_| {
        transfers_href(&TransferView {
            counterparty: None,
            ..view.at(None)
        })
    });

    view! {
        <form class="grid-tools" role="search" method="get" action=PATH aria-label="Transfers">
            {view.account.map(|account| view! { <input type="hidden" name="account" value=account /> })}
            {view.counterparty.map(|id| view! { <input type="hidden" name="counterparty" value=id /> })}
            <div class="field">
                <label for="transfers-from">"From"</label>
                <input id="transfers-from" name="from" type="date" value=view.from />
            </div>
            <div class="field">
                <label for="transfers-to">"To"</label>
                <input id="transfers-to" name="to" type="date" value=view.to />
            </div>
            <div class="field">
                <label for="transfers-kind">"Type"</label>
                <select id="transfers-kind" name="kind">
                    {kinds
                        .map(|(code, label)| view! { <option value=code selected={code == kind}>{label}</option> })}
                </select>
            </div>
            <div class="field search-field">
                <label for="transfers-note">"Search notes"</label>
                <input
                    id="transfers-note"
                    name="note"
                    type="search"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="Text in the note"
                    value=view.note
                />
            </div>
            <button type="submit" class="button">"Apply"</button>
        </form>
        {everyone.map(|everyone| view! {
            <p class="filter-chip">
                "Only transfers with one account. "
                <a href=everyone>"Show every counterparty"</a>
            </p>
        })}
    }
}

/// The page's island, around the filters' form: a change applies them (a date or the note once it
/// settles), a submit (Enter, Apply) at once, through the URL of the values that are not the
/// defaults.
#[island(lazy)]
fn ApplyFilters(children: Children) -> impl IntoView {
    count_island();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let cancel = move || {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
    };
    on_cleanup(cancel);
    let on_change = move |event: leptos::ev::Event| {
        cancel();
        let typed = event_target::<web_sys::Element>(&event).tag_name() == "INPUT";
        if typed {
            pending.set_value(set_timeout_with_handle(move || apply(&event), SETTLE).ok());
        } else {
            apply(&event);
        }
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        cancel();
        event.prevent_default();
        apply(&event);
    };

    view! { <div on:change=on_change on:submit=on_submit>{children()}</div> }
}

/// Loads the page with the filters of the form `event` came from.
fn apply(event: &web_sys::Event) {
    if let Some(values) = form_values(event) {
        let view = TransferView::from_query(|name| values.get(name).as_string());
        let _ = window().location().assign(&transfers_href(&view));
    }
}

/// One page of transfers; each counterparty's name narrows the page to that counterparty.
#[component]
fn TransferPage(list: TransferList, view: TransferView) -> impl IntoView {
    let page = |cursor: Option<String>| cursor.map(|cursor| transfers_href(&view.at(Some(cursor))));
    let (previous, next) = (page(list.previous), page(list.next));
    if list.rows.is_empty() {
        let unfiltered = TransferView {
            account: view.account,
            ..TransferView::default()
        };
        let empty = if view == unfiltered {
            "No transfers yet."
        } else {
            "No transfers match these filters."
        };
        return view! {
            <p class="empty">{empty}</p>
            <Pager label="Transfer pages" previous next />
        }
        .into_any();
    }
    let rows = list
        .rows
        .into_iter()
        .map(|line| {
            let counterparty_href = transfers_href(&TransferView {
                counterparty: Some(line.counterparty_id),
                ..view.at(None)
            });
            view! { <LedgerRow line counterparty_href /> }
        })
        .collect_view();
    view! {
        <LedgerTable>{rows}</LedgerTable>
        <Pager label="Transfer pages" previous next />
    }
    .into_any()
}
