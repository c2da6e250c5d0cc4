//! The one way a form saves: one server call at a time, the last error kept for the alert and
//! pinned on the field it is about, Cancel ignored while saving, and what to do once it succeeds.

use std::future::Future;

use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::layout::leave_if_session_refused;
use crate::components::modal::ModalHandle;
use crate::error::{AppError, FormField};

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
            Some(Err(failure)) => {
                leave_if_session_refused(&failure);
                error.set(Some(failure));
            }
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

    /// The last error shown: the server's answer, or the browser's own check.
    pub fn error(&self) -> ReadSignal<Option<AppError>> {
        self.error.read_only()
    }

    /// Whether the last error is about `field`, for its `aria-invalid`.
    pub fn invalid(&self, field: FormField) -> Signal<bool> {
        let error = self.error;
        Signal::derive(move || {
            error.with(|error| error.as_ref().and_then(AppError::field) == Some(field))
        })
    }

    /// Closes the pop-up, unless a save is in flight: its answer still has to be shown (an error) or
    /// acted on (a receipt), so Cancel and Escape wait for it.
    pub fn cancel(&self, modal: ModalHandle, on_close: Callback<()>) -> Callback<()> {
        let saving = self.saving();
        Callback::new(move |()| {
            if !saving.get_untracked() {
                modal.close(on_close);
            }
        })
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

/// A labelled field bound to `value`: one line, or a text area of `rows` lines. `hint` is shown
/// below it and read out with it. `readonly` keeps it as it is while what it shows is loading.
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] rows: Option<u32>,
    #[prop(into, optional)] invalid: Signal<bool>,
    #[prop(into, optional)] readonly: Signal<bool>,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{id}-hint"));
    let control = match rows {
        Some(rows) => view! {
            <textarea
                id=id
                name=id
                rows=rows
                autocomplete=autocomplete
                autofocus=autofocus
                placeholder=placeholder
                aria-describedby=hint_id.clone()
                aria-invalid=move || invalid.get().to_string()
                readonly=move || readonly.get()
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            ></textarea>
        }
        .into_any(),
        None => view! {
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                autofocus=autofocus
                placeholder=placeholder
                aria-describedby=hint_id.clone()
                aria-invalid=move || invalid.get().to_string()
                readonly=move || readonly.get()
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            />
        }
        .into_any(),
    };
    view! {
        <label for=id>{label}</label>
        {control}
        {hint.map(|hint| view! { <p id=hint_id class="hint">{hint}</p> })}
    }
}
