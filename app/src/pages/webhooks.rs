//! Webhooks: the URL the signed-in account's events are posted to, its signing secret (shown once,
//! when the URL is saved), the deliveries with their state and a "Send again" each, and every
//! attempt at them.
//!
//! The webhook, the form's field, the deliveries and the attempts are rendered on the server only
//! (`components::server_html`); the island around them saves, removes and sends again, and then
//! reads them again.

use leptos::ev::{MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error_note::ErrorNote;
use crate::components::form::Field;
use crate::components::server_html::{change_action, clicked, form_values, text};
use crate::error::{AppError, FormField};
use crate::format::format_utc;
use crate::hydrated::count_island;
use crate::model::{CreatedWebhook, Delivery, DeliveryAttempt, DeliveryStatus, answer};
use crate::server_fns::{
    remove_webhook, send_again, set_webhook, webhook, webhook_attempts, webhook_deliveries,
};

/// The server-rendered parts, which the island reads again after a change.
const PARTS: &[&str] = &["webhook-current", "webhook-deliveries", "webhook-attempts"];
const FORM: &str = "webhook-form";
const URL: &str = "webhook-url";
/// The attribute of the Remove button.
const REMOVE: &str = "data-remove-webhook";
/// The attribute of a Send again button that holds its delivery's id.
const SEND_AGAIN: &str = "data-send-again";

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <Title text="Webhooks" />
        <div class="page-head">
            <h1>"Webhooks"</h1>
            <p class="lede">
                "Creditdesk posts this account's events (credits received, low balances, failed automatic top-ups) to your URL, signed with your secret."
            </p>
        </div>
        <ManageWebhook>
            <section class="card" aria-labelledby="endpoint-title">
                <header class="card-head">
                    <h2 id="endpoint-title">"Endpoint"</h2>
                </header>
                <div id="webhook-current">
                    <Suspense>
                        {Suspend::new(async move {
                            match webhook().await {
                                Ok(Some(hook)) => view! { <CurrentWebhook url=hook.url since=hook.created_at /> }.into_any(),
                                Ok(None) => view! { <p class="empty">"No webhook yet: events are not sent anywhere."</p> }.into_any(),
                                Err(error) => view! { <ErrorNote error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
                <form id=FORM class="key-form webhook-form" novalidate>
                    // Not bound to a signal: the island reads the value from the form when it is sent.
                    <Field
                        id=URL
                        label="Webhook URL"
                        value=RwSignal::new(String::new())
                        kind="url"
                        placeholder="https://example.com/creditdesk"
                        hint="Saving a URL replaces the one before it and makes a new signing secret."
                    />
                    <button type="submit" class="button primary">"Save"</button>
                </form>
            </section>
            <section class="card" aria-labelledby="deliveries-title">
                <header class="card-head">
                    <h2 id="deliveries-title">"Deliveries"</h2>
                </header>
                <div id="webhook-deliveries">
                    <Suspense>
                        {Suspend::new(async move {
                            match webhook_deliveries().await {
                                Ok(rows) if rows.is_empty() => view! { <p class="empty">"No deliveries yet."</p> }.into_any(),
                                Ok(rows) => view! { <DeliveryTable rows /> }.into_any(),
                                Err(error) => view! { <ErrorNote error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </section>
            <section class="card" aria-labelledby="attempts-title">
                <header class="card-head">
                    <h2 id="attempts-title">"Attempts"</h2>
                </header>
                <div id="webhook-attempts">
                    <Suspense>
                        {Suspend::new(async move {
                            match webhook_attempts().await {
                                Ok(rows) if rows.is_empty() => view! { <p class="empty">"No attempts yet."</p> }.into_any(),
                                Ok(rows) => view! { <AttemptTable rows /> }.into_any(),
                                Err(error) => view! { <ErrorNote error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </section>
        </ManageWebhook>
    }
}

/// What the page's island asks of the server: one action for all, so one in the wasm.
#[derive(Clone)]
enum WebhookChange {
    Save(String),
    Remove,
    SendAgain(i64),
}

/// Makes the change; a URL saved comes back with its secret.
async fn change_webhook(change: WebhookChange) -> Result<Option<CreatedWebhook>, AppError> {
    match change {
        WebhookChange::Save(url) => set_webhook(url).await.map(Some),
        WebhookChange::Remove => remove_webhook().await.map(|()| None),
        WebhookChange::SendAgain(id) => send_again(id).await.map(|()| None),
    }
}

/// The page's island, around its cards (its children): saves a URL and shows its secret once,
/// removes the webhook, sends a delivery again, and reads the parts again. What it says (the
/// secret, an error) goes above the cards.
#[island(lazy)]
fn ManageWebhook(children: Children) -> impl IntoView {
    count_island();
    let created = RwSignal::new(None::<CreatedWebhook>);
    let change = change_action(
        change_webhook,
        created,
        FORM,
        PARTS,
        &[(FormField::WebhookUrl, URL)],
    );
    let saving = change.saving();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if let Some(values) = form_values(&event) {
            created.set(None);
            change.submit(Ok(WebhookChange::Save(text(&values, URL))));
        }
    };
    let on_click = move |event: MouseEvent| {
        if clicked(&event, REMOVE).is_some() {
            // The secret is of the webhook being removed.
            created.set(None);
            change.submit(Ok(WebhookChange::Remove));
        } else if let Some(id) = clicked(&event, SEND_AGAIN).and_then(|id| id.parse().ok()) {
            change.submit(Ok(WebhookChange::SendAgain(id)));
        }
    };

    view! {
        {change.alert()}
        {move || {
            created
                .get()
                .map(|made| {
                    view! {
                        <div class="new-key" role="status">
                            <p>
                                "Events now go to " {made.url}
                                ". Check their signatures with this secret. Copy it now: it is not shown again."
                            </p>
                            <code data-testid="webhook-secret">{made.secret}</code>
                        </div>
                    }
                })
        }}
        <div aria-busy=move || saving.get().to_string() on:submit=submit on:click=on_click>
            {children()}
        </div>
    }
}

/// Where events go now, and the way to stop them.
#[component]
fn CurrentWebhook(url: String, since: i64) -> impl IntoView {
    view! {
        <div class="webhook-current">
            <p>
                "Events are sent to " <code data-testid="webhook-url">{url}</code> " (since "
                {format_utc(since)} ")."
            </p>
            <button type="button" class="button small" data-remove-webhook="">
                "Remove"
            </button>
        </div>
    }
}

#[component]
fn DeliveryTable(rows: Vec<Delivery>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="grid deliveries">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Event id"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"Attempts"</th>
                        <th scope="col">"Last answer"</th>
                        <th scope="col">"Next attempt"</th>
                        <th scope="col" class="actions">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|delivery| view! { <DeliveryRow delivery /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn DeliveryRow(delivery: Delivery) -> impl IntoView {
    let badge = match delivery.status {
        DeliveryStatus::Pending => "badge",
        DeliveryStatus::Delivered => "badge ok",
        DeliveryStatus::Failed => "badge warn",
    };
    view! {
        <tr data-testid="delivery-row">
            <td data-label="Event">{delivery.event_type.clone()}</td>
            <th scope="row" data-label="Event id"><code>{delivery.event_id.clone()}</code></th>
            <td data-label="Status"><span class=badge>{delivery.status.label()}</span></td>
            <td class="num" data-label="Attempts">{delivery.attempts}</td>
            <td data-label="Last answer">
                {answer(delivery.last_response_code, delivery.last_error.as_deref())}
            </td>
            <td class="nowrap" data-label="Next attempt">
                {delivery.next_attempt_at.map_or_else(|| "—".to_owned(), format_utc)}
            </td>
            <td class="actions" data-label="Actions">
                <button
                    type="button"
                    class="button small"
                    data-send-again=delivery.id
                    aria-label=format!("Send again {}", delivery.event_id)
                >
                    "Send again"
                </button>
            </td>
        </tr>
    }
}

#[component]
fn AttemptTable(rows: Vec<DeliveryAttempt>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="grid attempts">
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Answer"</th>
                        <th scope="col" class="num">"Duration"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|attempt| {
                            view! {
                                <tr data-testid="attempt-row">
                                    <td class="nowrap" data-label="Time">{format_utc(attempt.at)}</td>
                                    <td data-label="Event">{attempt.event_type}</td>
                                    <td data-label="Answer">{answer(attempt.response_code, attempt.error.as_deref())}</td>
                                    <td class="num" data-label="Duration">{format!("{} ms", attempt.duration_ms)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
