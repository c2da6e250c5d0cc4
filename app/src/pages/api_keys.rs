//! API keys: the signed-in account's keys for its own software. Make one with a name and scopes
//! (shown once, right after), see when each was made and last used, revoke one at once.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error_note::ErrorNote;
use crate::components::form::{Field, FormAction};
use crate::components::layout::leave_if_session_refused;
use crate::error::FormField;
use crate::format::format_utc;
use crate::hydrated::count_island;
use crate::model::{ApiKeySummary, ApiScope, CreatedApiKey, NewApiKey};
use crate::server_fns::{api_keys, create_api_key, revoke_api_key};
use crate::wire::load;

#[component]
pub fn ApiKeys() -> impl IntoView {
    view! {
        <Title text="API keys" />
        <ApiKeyList />
    }
}

/// The page's island: the keys and the form.
#[island(lazy)]
fn ApiKeyList() -> impl IntoView {
    count_island();
    // Bumped after every change, so the list reloads.
    let version = RwSignal::new(0_u32);
    let keys = load(move || version.get(), |_| api_keys());
    Effect::new(move |_| {
        if let Some(Err(error)) = keys.get() {
            leave_if_session_refused(&error);
        }
    });
    let created = RwSignal::new(None::<CreatedApiKey>);

    view! {
        <div class="page-head">
            <h1>"API keys"</h1>
            <p class="lede">
                "Keys let your own software use the Creditdesk API as this account, within the scopes you choose."
            </p>
        </div>
        <NewKeyForm created version />
        <section class="card" aria-labelledby="keys-title">
            <header class="card-head">
                <h2 id="keys-title">"Your keys"</h2>
            </header>
            <Transition fallback=|| view! { <p class="empty">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(keys) if keys.is_empty() => view! { <p class="empty">"No keys yet."</p> }.into_any(),
                        Ok(keys) => view! { <KeyTable keys version /> }.into_any(),
                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NewKeyForm(created: RwSignal<Option<CreatedApiKey>>, version: RwSignal<u32>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let chosen = ApiScope::ALL.map(|scope| (scope, RwSignal::new(scope == ApiScope::Read)));
    let create = FormAction::new(create_api_key, move |made: CreatedApiKey| {
        created.set(Some(made));
        name.set(String::new());
        version.update(|version| *version += 1);
    });
    let saving = create.saving();
    let scopes_invalid = create.invalid(FormField::Scopes);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let scopes = chosen
            .iter()
            .filter(|(_, on)| on.get_untracked())
            .map(|(scope, _)| *scope)
            .collect();
        created.set(None);
        create.submit(Ok(NewApiKey {
            name: name.get_untracked(),
            scopes,
        }));
    };

    view! {
        <section class="card" aria-labelledby="new-key-title">
            <header class="card-head">
                <h2 id="new-key-title">"New key"</h2>
            </header>
            <form class="key-form" on:submit=submit novalidate>
                <Field
                    id="key-name"
                    label="Name"
                    value=name
                    hint="Transfers made with the key show as “API key: <name>”."
                    invalid=create.invalid(FormField::Name)
                />
                <fieldset class="scopes" aria-invalid=move || scopes_invalid.get().to_string()>
                    <legend>"Scopes"</legend>
                    {chosen
                        .map(|(scope, on)| {
                            view! {
                                <label class="scope">
                                    <input
                                        type="checkbox"
                                        name="scope"
                                        value=scope.name()
                                        prop:checked=move || on.get()
                                        on:change=move |event| on.set(event_target_checked(&event))
                                    />
                                    <strong>{scope.name()}</strong>
                                    ": "
                                    {scope.description()}
                                </label>
                            }
                        })}
                </fieldset>
                {create.alert()}
                <button type="submit" class="button primary" disabled=move || saving.get()>
                    {move || if saving.get() { "Creating…" } else { "Create key" }}
                </button>
            </form>
            {move || {
                created
                    .get()
                    .map(|made| {
                        view! {
                            <div class="new-key" role="status">
                                <p>
                                    "Your new key “" {made.key.name} "”. Copy it now: it is not shown again."
                                </p>
                                <code data-testid="new-api-key">{made.secret}</code>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeySummary>, version: RwSignal<u32>) -> impl IntoView {
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
                    {keys.into_iter().map(|key| view! { <KeyRow key version /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn KeyRow(key: ApiKeySummary, version: RwSignal<u32>) -> impl IntoView {
    let revoke = FormAction::new(revoke_api_key, move |()| {
        version.update(|version| *version += 1);
    });
    let saving = revoke.saving();
    let id = key.id;
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
                <button
                    type="button"
                    class="button small"
                    aria-label=format!("Revoke {}", key.name)
                    disabled=move || saving.get()
                    on:click=move |_| revoke.submit(Ok(id))
                >
                    "Revoke"
                </button>
                {revoke.alert()}
            </td>
        </tr>
    }
}
