//! The signed-in account's ledger entries, newest first, with the note each transfer was made with.

use leptos::prelude::*;

use crate::components::own_account::OwnAccount;
use crate::model::{Grouped, LedgerLine, format_utc};
use crate::server_fns::recent_transfers;

#[component]
pub fn RecentTransfers() -> impl IntoView {
    let own = OwnAccount::expect();
    let lines = Resource::new(move || own.ledger_version.get(), |_| recent_transfers(None));

    view! {
        <section class="card" aria-labelledby="recent-transfers-title">
            <header class="card-head">
                <h2 id="recent-transfers-title">"Recent transfers"</h2>
            </header>
            <Transition fallback=|| view! { <p class="empty">"Loading transfers…"</p> }>
                {move || Suspend::new(async move {
                    match lines.await {
                        Ok(lines) if lines.is_empty() => {
                            view! { <p class="empty">"No transfers yet."</p> }.into_any()
                        }
                        Ok(lines) => view! { <LedgerTable lines /> }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LedgerTable(lines: Vec<LedgerLine>) -> impl IntoView {
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
                <tbody>
                    {lines
                        .into_iter()
                        .map(|line| {
                            let (sign, class) = if line.change > 0 { ("+", "num change in") } else { ("", "num change out") };
                            view! {
                                <tr data-testid="ledger-line">
                                    <td class="nowrap" data-label="When">{format_utc(line.at)}</td>
                                    <td data-label="Type">{line.kind.label()}</td>
                                    <td data-label="Account">{line.counterparty}</td>
                                    <td class=class data-label="Credits">{format!("{sign}{}", Grouped(line.change))}</td>
                                    <td class="num" data-label="Balance after">{Grouped(line.balance_after).to_string()}</td>
                                    <td class="note" data-label="Note">{line.note}</td>
                                    <td data-label="By">{line.actor}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
