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

/// The list is rendered on the server only: nothing in it changes while the page is open, so its
/// code stays out of the wasm. The island marks the alerts read.
#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <Title text="Alerts" />
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
            <Suspense>
                {Suspend::new(async move {
                    match alerts().await {
                        Ok(alerts) if alerts.is_empty() => view! { <p class="empty">"No alerts yet."</p> }.into_any(),
                        Ok(alerts) => {
                            // Newest first: the first unread one is the newest of all that were not read.
                            let newest_unread = alerts.iter().find(|alert| alert.unread).map(|alert| alert.id);
                            view! {
                                <AlertTable alerts />
                                {newest_unread.map(|newest| view! { <MarkRead newest /> })}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The page's island: marks the alerts up to `newest` read once the page is shown, and has the bell
/// read its count again.
#[island(lazy)]
fn MarkRead(newest: i64) -> impl IntoView {
    count_island();
    let bell = AlertsBell::expect();
    let mark_read = Action::new(|newest: &i64| mark_alerts_read(*newest));
    // An effect, so that it happens in the browser, once the page is shown.
    Effect::new(move |_| {
        mark_read.dispatch(newest);
    });
    Effect::new(move |_| match mark_read.value().get() {
        Some(Ok(())) => bell.refresh(),
        Some(Err(error)) => leave_if_session_refused(&error),
        None => {}
    });
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
