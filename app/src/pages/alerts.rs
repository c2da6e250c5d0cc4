//! Alerts: low balances of the signed-in account and of its sub-accounts, and the automatic top-ups
//! it could not pay for, newest first. Opening the page marks them read; the ones that were not
//! stay marked "New" until the next visit.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::alerts_bell::AlertsBell;
use crate::components::error_note::ErrorNote;
use crate::components::layout::leave_if_session_refused;
use crate::format::format_utc;
use crate::hydrated::count_island;
use crate::model::Alert;
use crate::server_fns::{alerts, mark_alerts_read};
use crate::wire::load;

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <Title text="Alerts" />
        <AlertList />
    }
}

/// The page's island: the list and its buttons.
#[island(lazy)]
fn AlertList() -> impl IntoView {
    count_island();
    let bell = AlertsBell::expect();
    let list = load(|| (), |()| alerts());
    let mark_read = Action::new(|newest: &i64| mark_alerts_read(*newest));
    Effect::new(move |_| match list.get() {
        Some(Ok(alerts)) => {
            // Newest first: the first unread one is the newest of all that were not read.
            if let Some(newest) = alerts.iter().find(|alert| alert.unread) {
                mark_read.dispatch(newest.id);
            }
        }
        Some(Err(error)) => leave_if_session_refused(&error),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = mark_read.value().get() {
            bell.refresh();
        }
    });

    view! {
        <div class="page-head">
            <h1>"Alerts"</h1>
            <p class="lede">
                "When a balance falls below its alert level, or an automatic top-up cannot be made. Set the levels with Alert settings."
            </p>
        </div>
        <section class="card" aria-labelledby="alerts-title">
            <header class="card-head">
                <h2 id="alerts-title">"Latest alerts"</h2>
            </header>
            <Transition fallback=|| view! { <p class="empty">"Loading alerts…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(alerts) if alerts.is_empty() => view! { <p class="empty">"No alerts yet."</p> }.into_any(),
                        Ok(alerts) => view! { <AlertTable alerts /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AlertTable(alerts: Vec<Alert>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="grid alerts">
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Account"</th>
                        <th scope="col">"What happened"</th>
                    </tr>
                </thead>
                <tbody>
                    {alerts
                        .into_iter()
                        .map(|alert| {
                            view! {
                                <tr data-testid="alert-row" class:unread=alert.unread>
                                    <td class="nowrap" data-label="Time">{format_utc(alert.at)}</td>
                                    <th scope="row" data-label="Account">{alert.account_name.clone()}</th>
                                    <td data-label="What happened">
                                        {alert.unread.then(|| view! { <span class="badge warn">"New"</span> " " })}
                                        {alert.sentence()}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
