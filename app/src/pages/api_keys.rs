//! API keys: the signed-in account's keys for its own software. Make one with a name and scopes
//! (shown once, right after), see when each was made and last used, revoke one at once.
//!
//! The form's fields and the list are rendered on the server only (`components::server_html`); the
//! island around them makes and revokes keys, and then reads the list again.

use leptos::ev::{MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error_note::ErrorNote;
use crate::components::form::Field;
use crate::components::server_html::{change_action, clicked, form_values, text};
use crate::error::{AppError, FormField};
use crate::format::format_utc;
use crate::hydrated::count_island;
use crate::model::{ApiKeySummary, ApiScope, CreatedApiKey, NewApiKey};
use crate::server_fns::{api_keys, create_api_key, revoke_api_key};

/// The list's element, which the island reads again after a change.
const KEYS: &str = "api-keys";
const FORM: &str = "new-key-form";
const NAME: &str = "key-name";
const SCOPES: &str = "key-scopes";
/// The attribute of a Revoke button that holds its key's id.
const REVOKE: &str = "data-revoke";

#[component]
pub fn ApiKeys() -> impl IntoView {
    view! {
        <Title text="API keys" />
        <div class="page-head">
            <h1>"API keys"</h1>
            <p class="lede">
                "Keys let your own software use the Creditdesk API as this account, within the scopes you choose."
            </p>
        </div>
        <ManageKeys>
            <section class="card" aria-labelledby="new-key-title">
                <header class="card-head">
                    <h2 id="new-key-title">"New key"</h2>
                </header>
                <NewKeyFields />
            </section>
            <section class="card" aria-labelledby="keys-title">
                <header class="card-head">
                    <h2 id="keys-title">"Your keys"</h2>
                </header>
                <div id=KEYS>
                    <Suspense>
                        {Suspend::new(async move {
                            match api_keys().await {
                                Ok(keys) if keys.is_empty() => view! { <p class="empty">"No keys yet."</p> }.into_any(),
                                Ok(keys) => view! { <KeyTable keys /> }.into_any(),
                                Err(error) => view! { <ErrorNote error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </section>
        </ManageKeys>
    }
}

/// The form's fields, as the server renders them: the island reads their values.
#[component]
fn NewKeyFields() -> impl IntoView {
    view! {
        <form id=FORM class="key-form" novalidate>
            // Not bound to a signal: the island reads the value from the form when it is sent.
            <Field
                id=NAME
                label="Name"
                value=RwSignal::new(String::new())
                hint="Transfers made with the key show as “API key: <name>”."
            />
            <fieldset id=SCOPES class="scopes" aria-invalid="false">
                <legend>"Scopes"</legend>
                {ApiScope::ALL
                    .map(|scope| {
                        view! {
                            <label class="scope">
                                <input type="checkbox" name="scope" value=scope.name() checked=scope == ApiScope::Read />
                                <strong>{scope.name()}</strong>
                                ": "
                                {scope.description()}
                            </label>
                        }
                    })}
            </fieldset>
            <button type="submit" class="button primary">"Create key"</button>
        </form>
    }
}

/// What the page's island asks of the server: one action for both, so one in the wasm.
#[derive(Clone)]
enum KeyChange {
    Create(NewApiKey),
    Revoke(i64),
}

/// Makes the change; a key made comes back with its secret.
async fn change_keys(change: KeyChange) -> Result<Option<CreatedApiKey>, AppError> {
    match change {
        KeyChange::Create(key) => create_api_key(key).await.map(Some),
        KeyChange::Revoke(id) => revoke_api_key(id).await.map(|()| None),
    }
}

/// The page's island, around the form and the list (its children): makes a key and shows it once,
/// revokes one, and reads the list again. What it says (the new key, an error) goes above them.
#[island(lazy)]
fn ManageKeys(children: Children) -> impl IntoView {
    count_island();
    let created = RwSignal::new(None::<CreatedApiKey>);
    let change = change_action(
        change_keys,
        created,
        FORM,
        &[KEYS],
        &[(FormField::Name, NAME), (FormField::Scopes, SCOPES)],
    );
    let saving = change.saving();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let Some(values) = form_values(&event) else {
            return;
        };
        let scopes = ApiScope::ALL
            .into_iter()
            .filter(|scope| values.get_all("scope").includes(&scope.name().into(), 0))
            .collect();
        created.set(None);
        change.submit(Ok(KeyChange::Create(NewApiKey {
            name: text(&values, NAME),
            scopes,
        })));
    };
    let on_click = move |event: MouseEvent| {
        if let Some(id) = clicked(&event, REVOKE).and_then(|id| id.parse().ok()) {
            change.submit(Ok(KeyChange::Revoke(id)));
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
                            <p>"Your new key “" {made.name} "”. Copy it now: it is not shown again."</p>
                            <code data-testid="new-api-key">{made.secret}</code>
                        </div>
                    }
                })
        }}
        <div aria-busy=move || saving.get().to_string() on:submit=submit on:click=on_click>
            {children()}
        </div>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeySummary>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="grid keys">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col" class="actions">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {keys.into_iter().map(|key| view! { <KeyRow key /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn KeyRow(key: ApiKeySummary) -> impl IntoView {
    let scopes = key
        .scopes
        .iter()
        .map(|scope| scope.name())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <tr data-testid="api-key-row">
            <th scope="row" data-label="Name">{key.name.clone()}</th>
            <td data-label="Scopes">{scopes}</td>
            <td class="nowrap" data-label="Created">{format_utc(key.created_at)}</td>
            <td class="nowrap" data-label="Last used">
                {key.last_used_at.map_or_else(|| "Never".to_owned(), format_utc)}
            </td>
            <td class="actions" data-label="Actions">
                <button type="button" class="button small" data-revoke=key.id aria-label=format!("Revoke {}", key.name)>
                    "Revoke"
                </button>
            </td>
        </tr>
    }
}
