//! A search box for a page whose URL holds its state: it reports what was typed once typing pauses
//! (or at once on Enter), and shows the URL's text again after Back or a link, unless someone is
//! typing in it.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// How long typing must pause before the page asks for the new text's rows.
const SETTLE: Duration = Duration::from_millis(250);

#[component]
pub fn SearchBox(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    /// The text the URL holds.
    value: Signal<String>,
    /// Called with the text once typing pauses.
    on_settle: Callback<String>,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let cancel = move || {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
    };
    Effect::new(move |_| {
        let text = value.get();
        let Some(input) = input.get() else { return };
        let typing = document().active_element().is_some_and(|active| {
            active.unchecked_ref::<web_sys::Node>() == input.unchecked_ref::<web_sys::Node>()
        });
        if !typing && input.value() != text {
            input.set_value(&text);
        }
    });
    let on_input = move |event: leptos::ev::Event| {
        cancel();
        let text = event_target_value(&event);
        pending.set_value(set_timeout_with_handle(move || on_settle.run(text), SETTLE).ok());
    };
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Enter" {
            event.prevent_default();
            cancel();
            if let Some(input) = input.get_untracked() {
                on_settle.run(input.value());
            }
        }
    };
    on_cleanup(cancel);

    view! {
        <div class="field search-field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type="search"
                autocomplete="off"
                spellcheck="false"
                placeholder=hint
                value=value.get_untracked()
                node_ref=input
                on:input=on_input
                on:keydown=on_keydown
            />
        </div>
    }
}
