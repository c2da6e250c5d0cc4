//! A pop-up form's save: one server call at a time, the last error kept for the alert, and what
//! to do once it succeeds.

use std::future::Future;

use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::error::AppError;

pub struct FormAction<I: 'static, O: 'static> {
    action: Action<I, Result<O, AppError>>,
    error: RwSignal<Option<AppError>>,
}

impl<I: 'static, O: 'static> Clone for FormAction<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static, O: 'static> Copy for FormAction<I, O> {}

impl<I, O> FormAction<I, O>
where
    I: Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    pub fn new<Fut>(call: fn(I) -> Fut, on_success: impl Fn(O) + 'static) -> Self
    where
        Fut: Future<Output = Result<O, AppError>> + Send + 'static,
    {
        let action = Action::new(move |input: &I| call(input.clone()));
        let error = RwSignal::new(None);
        Effect::new(move |_| match action.value().get() {
            Some(Ok(output)) => on_success(output),
            Some(Err(failure)) => error.set(Some(failure)),
            None => {}
        });
        Self { action, error }
    }

    /// Sends `input` if it passed the browser's checks, or shows why it did not. While a call is in
    /// flight, further submits (a double click, Enter twice) are ignored.
    pub fn submit(&self, input: Result<I, AppError>) {
        if self.action.pending().get_untracked() {
            return;
        }
        match input {
            Ok(input) => {
                self.error.set(None);
                self.action.dispatch(input);
            }
            Err(invalid) => self.error.set(Some(invalid)),
        }
    }

    pub fn saving(&self) -> Memo<bool> {
        self.action.pending()
    }

    pub fn error(&self) -> ReadSignal<Option<AppError>> {
        self.error.read_only()
    }

    /// The alert with the last error, if any.
    pub fn alert(&self) -> impl IntoView + use<I, O> {
        let error = self.error;
        move || error.get().map(|error| view! { <ErrorNote error /> })
    }
}

/// Cancel and Save, with Save disabled (and saying so) while saving.
#[component]
pub fn DialogActions(saving: Memo<bool>, on_cancel: Callback<()>) -> impl IntoView {
    view! {
        <footer class="dialog-actions">
            <button type="button" class="button" on:click=move |_| on_cancel.run(())>
                "Cancel"
            </button>
            <button type="submit" class="button primary" disabled=move || saving.get()>
                {move || if saving.get() { "Saving…" } else { "Save" }}
            </button>
        </footer>
    }
}

/// A labelled one-line field bound to `value`.
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] autofocus: bool,
    #[prop(into, optional)] invalid: Signal<bool>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name=id
            type=kind
            autocomplete=autocomplete
            autofocus=autofocus
            aria-invalid=move || invalid.get().to_string()
            prop:value=move || value.get()
            on:input=move |event| value.set(event_target_value(&event))
        />
    }
}
