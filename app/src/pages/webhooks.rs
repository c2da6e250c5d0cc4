//! Webhooks: the URL the signed-in account's events are posted to, its signing secret (shown once,
//! when the URL is saved), the deliveries with their state and a "Send again" each, and every
//! attempt at them.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error_note::ErrorNote;
use crate::components::form::{Field, FormAction};
use crate::components::layout::leave_if_session_refused;
use crate::error::FormField;
use crate::format::format_utc;
use crate::hydrated::count_island;
use crate::model::{CreatedWebhook, Delivery, DeliveryAttempt, DeliveryStatus, answer};
use crate::server_fns::{
    remove_webhook, send_again, set_webhook, webhook, webhook_attempts, webhook_deliveries,
};
use crate::wire::load;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <Title text="Webhooks" />
        <WebhookSettings />
    }
}

/// The page's island: the webhook, its deliveries and their buttons.
#[island(lazy)]
fn WebhookSettings() -> impl IntoView {
    count_island();
    // Bumped after every change, so that the URL and both tables reload.
    let version = RwSignal::new(0_u32);
    let current = load(move || version.get(), |_| webhook());
    let deliveries = load(move || version.get(), |_| webhook_deliveries());
    let attempts = load(move || version.get(), |_| webhook_attempts());
    Effect::new(move |_| {
        if let Some(Err(error)) = current.get() {
            leave_if_session_refused(&error);
        }
    });
    let created = RwSignal::new(None::<CreatedWebhook>);

    view! {
        <div class="page-head">
            <h1>"Webhooks"</h1>
            <p class="lede">
                "Creditdesk posts this account's events (credits received, low balances, failed automatic top-ups) to your URL, signed with your secret."
            </p>
        </div>
        <section class="card" aria-labelledby="endpoint-title">
            <header class="card-head">
                <h2 id="endpoint-title">"Endpoint"</h2>
            </header>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(Some(hook)) => view! { <CurrentWebhook url=hook.url since=hook.created_at created version /> }.into_any(),
                        Ok(None) => view! { <p class="empty">"No webhook yet: events are not sent anywhere."</p> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
            <WebhookForm created version />
        </section>
        <section class="card" aria-labelledby="deliveries-title">
            <header class="card-head">
                <h2 id="deliveries-title">"Deliveries"</h2>
            </header>
            <Transition fallback=|| view! { <p class="empty">"Loading deliveries…"</p> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"No deliveries yet."</p> }.into_any(),
                        Ok(rows) => view! { <DeliveryTable rows version /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="card" aria-labelledby="attempts-title">
            <header class="card-head">
                <h2 id="attempts-title">"Attempts"</h2>
            </header>
            <Transition fallback=|| view! { <p class="empty">"Loading attempts…"</p> }>
                {move || Suspend::new(async move {
                    match attempts.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"No attempts yet."</p> }.into_any(),
                        Ok(rows) => view! { <AttemptTable rows /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Where events go now, and the way to stop them.
#[component]
fn CurrentWebhook(
    url: String,
    since: i64,
    created: RwSignal<Option<CreatedWebhook>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let remove = FormAction::new(
        |()| remove_webhook(),
        move |()| {
            created.set(None);
            version.update(|version| *version += 1);
        },
    );
    let saving = remove.saving();
    view! {
        <div class="webhook-current">
            <p>
                "Events are sent to " <code data-testid="webhook-url">{url}</code> " (since "
                {format_utc(since)} ")."
            </p>
            <button
                type="button"
                class="button small"
                disabled=move || saving.get()
                on:click=move |_| remove.submit(Ok(()))
            >
                "Remove"
            </button>
            {remove.alert()}
        </div>
    }
}

#[component]
fn WebhookForm(created: RwSignal<Option<CreatedWebhook>>, version: RwSignal<u32>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let save = FormAction::new(set_webhook, move |made: CreatedWebhook| {
        created.set(Some(made));
        url.set(String::new());
        version.update(|version| *version += 1);
    });
    let saving = save.saving();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        created.set(None);
        save.submit(Ok(url.get_untracked()));
    };

    view! {
        <form class="key-form webhook-form" on:submit=submit novalidate>
            <Field
                id="webhook-url"
                label="Webhook URL"
                value=url
                kind="url"
                placeholder="https://example.com/creditdesk"
                hint="Saving a URL replaces the one before it and makes a new signing secret."
                invalid=save.invalid(FormField::WebhookUrl)
            />
            {save.alert()}
            <button type="submit" class="button primary" disabled=move || saving.get()>
                {move || if saving.get() { "Saving…" } else { "Save" }}
            </button>
        </form>
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
    }
}

#[component]
fn DeliveryTable(rows: Vec<Delivery>, version: RwSignal<u32>) -> impl IntoView {
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
                    {rows.into_iter().map(|delivery| view! { <DeliveryRow delivery version /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn DeliveryRow(delivery: Delivery, version: RwSignal<u32>) -> impl IntoView {
    let resend = FormAction::new(send_again, move |()| {
        version.update(|version| *version += 1);
    });
    let saving = resend.saving();
    let id = delivery.id;
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
                    aria-label=format!("Send again {}", delivery.event_id)
                    disabled=move || saving.get()
                    on:click=move |_| resend.submit(Ok(id))
                >
                    "Send again"
                </button>
                {resend.alert()}
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
