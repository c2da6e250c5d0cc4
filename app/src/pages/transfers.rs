//! Transfers: every transfer of the signed-in account (or of an account below it, `?account=ID`),
//! newest first, a page at a time, filtered by dates, type, counterparty and note, all in the URL;
//! the balance over the same dates; and the same view as a CSV download.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::address::Address;
use crate::components::balance_chart::BalanceChart;
use crate::components::error_note::ErrorNote;
use crate::components::live::Live;
use crate::components::pager::{Pager, href};
use crate::components::search_box::SearchBox;
use crate::components::transfer_table::{LedgerRow, LedgerTable};
use crate::format::Grouped;
use crate::hydrated::count_island;
use crate::model::{TransferList, TransferView};
use crate::server_fns::{balance_history, transfer_page};
use crate::wire::load;

const PATH: &str = "/transfers";

fn transfers_href(view: &TransferView) -> String {
    href(PATH, view.to_query())
}

#[component]
pub fn TransfersPage() -> impl IntoView {
    view! {
        <Title text="Transfers" />
        <TransferHistory />
    }
}

/// The page's island: the filters, the chart and the list follow the address.
#[island(lazy)]
fn TransferHistory() -> impl IntoView {
    count_island();
    let address = Address::current();
    let view = Memo::new(move |_| TransferView::from_query(|name| address.get(name)));
    // A newer view's answer always wins: the resource drops an older request's late answer.
    let list = load(move || view.get(), transfer_page);
    // The chart follows the filters, not the page.
    let chart = load(move || view.with(|view| view.at(None)), balance_history);
    let live = Live::expect();

    view! {
        <div class="page-head">
            <h1>"Transfers"</h1>
            <Transition fallback=|| view! { <p class="lede">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    list.await.ok().map(|list| {
                        let (id, loaded) = (list.account.id, list.account.balance);
                        view! {
                        <p class="lede">
                            {list.account.name} " · balance "
                            <strong data-testid="account-balance">{move || Grouped(live.balance(id).unwrap_or(loaded)).to_string()}</strong>
                            " credits"
                        </p>
                    }})
                })}
            </Transition>
        </div>
        <section class="card" aria-labelledby="transfers-title">
            <header class="card-head">
                <h2 id="transfers-title">"Transfers, newest first"</h2>
                <a class="button" href=move || view.with(|view| href("/transfers.csv", view.at(None).to_query())) download>
                    "Download CSV"
                </a>
            </header>
            <TransferTools view address />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    chart.await.ok().map(|points| view! { <BalanceChart points /> })
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="empty">"Loading transfers…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => view! { <TransferPage list view /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The filters. Each change goes to the URL (the note once typing pauses), back on the newest page.
#[component]
fn TransferTools(view: Memo<TransferView>, address: Address) -> impl IntoView {
    let go = Callback::new(move |(changed, replace): (TransferView, bool)| {
        address.go(&transfers_href(&changed), replace);
    });
    let change = move |param: &'static str, value: String, replace: bool| {
        let mut query = view.get_untracked().at(None).to_query();
        query.retain(|(name, _)| *name != param);
        query.push((param, value));
        let changed = TransferView::from_query(|name| {
            query
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        });
        go.run((changed, replace));
    };
    let on_change = move |param: &'static str| {
        move |event: leptos::ev::Event| change(param, event_target_value(&event), false)
    };
    let note = Callback::new(move |note: String| {
        if view.with_untracked(|view| view.note != note) {
            change("note", note, true);
        }
    });
    let kind = move || view.with(|view| view.kind.map_or("", |kind| kind.code()));
    let everyone = move || {
        view.with(|view| {
            transfers_href(&TransferView {
                counterparty: None,
                ..view.at(None)
            })
        })
    };

    view! {
        <form class="grid-tools" role="search" method="get" action=PATH aria-label="Transfers">
            {move || view.with(|view| view.account).map(|account| view! { <input type="hidden" name="account" value=account /> })}
            {move || view.with(|view| view.counterparty).map(|id| view! { <input type="hidden" name="counterparty" value=id /> })}
            <div class="field">
                <label for="transfers-from">"From"</label>
                <input id="transfers-from" name="from" type="date" prop:value=move || view.with(|view| view.from.clone()) on:change=on_change("from") />
            </div>
            <div class="field">
                <label for="transfers-to">"To"</label>
                <input id="transfers-to" name="to" type="date" prop:value=move || view.with(|view| view.to.clone()) on:change=on_change("to") />
            </div>
            <div class="field">
                <label for="transfers-kind">"Type"</label>
                <select id="transfers-kind" name="kind" prop:value=kind on:change=on_change("kind")>
                    <option value="" selected=move || kind().is_empty()>"All"</option>
                    <option value="grant" selected=move || kind() == "grant">"Grant"</option>
                    <option value="revoke" selected=move || kind() == "revoke">"Revoke"</option>
                    <option value="top_up" selected=move || kind() == "top_up">"Top-up"</option>
                    <option value="usage" selected=move || kind() == "usage">"Usage"</option>
                </select>
            </div>
            <SearchBox
                id="transfers-note"
                name="note"
                label="Search notes"
                hint="Text in the note"
                value=Signal::derive(move || view.with(|view| view.note.clone()))
                on_settle=note
            />
        </form>
        <Show when=move || view.with(|view| view.counterparty.is_some())>
            <p class="filter-chip">
                "Only transfers with one account. "
                <a href=everyone>"Show every counterparty"</a>
            </p>
        </Show>
    }
    .into_any()
}

/// One page of transfers; each counterparty's name narrows the page to that counterparty.
#[component]
fn TransferPage(list: TransferList, view: Memo<TransferView>) -> impl IntoView {
    let current = view.get_untracked();
    let page =
        |cursor: Option<String>| cursor.map(|cursor| transfers_href(&current.at(Some(cursor))));
    let (previous, next) = (page(list.previous), page(list.next));
    if list.rows.is_empty() {
        let unfiltered = TransferView {
            account: current.account,
            ..TransferView::default()
        };
        let empty = if current == unfiltered {
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
                ..current.at(None)
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
