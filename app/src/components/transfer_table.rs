//! Ledger entries, newest first, with the note each transfer was made with: the table every list of
//! transfers uses, and the signed-in account's latest ones.

use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::layout::leave_if_session_refused;
use crate::components::own_account::OwnAccount;
use crate::format::{Grouped, format_utc};
use crate::hydrated::count_island;
use crate::model::{AccountTransfer, TRANSFERS_PAGE};
use crate::server_fns::account_transfers;
use crate::wire::load;

/// An island: the signed-in account's latest transfers, reloaded after every transfer made on the
/// page (the frame's account says when), with "Show older" below them. Lazy, so that its code stays
/// out of the main module, which every page loads: only Manage Customers and a customer's home
/// show it.
#[island(lazy)]
pub fn RecentTransfers() -> impl IntoView {
    count_island();
    let own = OwnAccount::expect();
    let lines = load(
        move || own.ledger_version.get(),
        move |_| account_transfers(None, None),
    );
    Effect::new(move |_| {
        if let Some(Err(error)) = lines.get() {
            leave_if_session_refused(&error);
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading transfers…"</p> }>
            {move || Suspend::new(async move {
                match lines.await {
                    Ok(lines) if lines.is_empty() => view! { <p class="empty">"No transfers yet."</p> }.into_any(),
                    Ok(lines) => view! { <TransferTable lines /> }.into_any(),
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TransferTable(lines: Vec<AccountTransfer>) -> impl IntoView {
    let may_have_older = RwSignal::new(lines.len() == TRANSFERS_PAGE as usize);
    let lines = RwSignal::new(lines);
    let older = Action::new(move |before: &i64| account_transfers(None, Some(*before)));
    Effect::new(move |_| {
        if let Some(Ok(page)) = older.value().get() {
            may_have_older.set(page.len() == TRANSFERS_PAGE as usize);
            lines.update(|lines| lines.extend(page));
        }
    });
    let show_older = move |_| {
        if let Some(oldest) = lines.with_untracked(|lines| lines.last().map(|line| line.id)) {
            older.dispatch(oldest);
        }
    };

    view! {
        <LedgerTable>
            <For each=move || lines.get() key=|line| line.id let:line>
                <LedgerRow line />
            </For>
        </LedgerTable>
        <Show when=move || may_have_older.get()>
            <div class="table-foot">
                <button type="button" class="button" disabled=move || older.pending().get() on:click=show_older>
                    "Show older"
                </button>
            </div>
        </Show>
    }
}

/// The table the entries sit in, with its column headers.
#[component]
pub fn LedgerTable(children: Children) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="grid ledger" data-testid="ledger">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Account"</th>
                        <th scope="col" class="num">"Credits"</th>
                        <th scope="col" class="num">"Balance after"</th>
                        <th scope="col">"Note"</th>
                        <th scope="col">"By"</th>
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// One entry; with `counterparty_href`, the other side's name links there.
#[component]
pub fn LedgerRow(
    line: AccountTransfer,
    #[prop(optional)] counterparty_href: Option<String>,
) -> impl IntoView {
    let (sign, class) = if line.change > 0 {
        ("+", "num change in")
    } else {
        ("", "num change out")
    };
    let counterparty = match counterparty_href {
        Some(href) => view! { <a href=href>{line.counterparty}</a> }.into_any(),
        None => line.counterparty.into_any(),
    };
    view! {
        <tr data-testid="ledger-line">
            <td class="nowrap" data-label="When">{format_utc(line.at)}</td>
            <td class="nowrap" data-label="Type">{line.kind.label()}</td>
            <td data-label="Account">{counterparty}</td>
            <td class=class data-label="Credits">{format!("{sign}{}", Grouped(line.change))}</td>
            <td class="num" data-label="Balance after">{Grouped(line.balance_after).to_string()}</td>
            <td class="note" data-label="Note">{line.note}</td>
            <td data-label="By">{line.actor}</td>
        </tr>
    }
    .into_any()
}
