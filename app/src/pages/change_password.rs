//! `/change-password`: Current password, New password, Repeat new password, Save. Reached from the
//! top bar, and the only page for a user whose password someone else set until they choose their own.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{Field, FormAction};
use crate::components::layout::go_to;
use crate::error::FormField;
use crate::hydrated::count_island;
use crate::model::PasswordChange;
use crate::server_fns::change_password;

#[component]
pub fn ChangePassword() -> impl IntoView {
    view! {
        <Title text="Change password" />
        <PasswordForm />
    }
}

/// The page's island: the form.
#[island(lazy)]
fn PasswordForm() -> impl IntoView {
    count_island();
    let (current, new, repeat) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let save = FormAction::new(change_password, |landing: String| go_to(&landing));
    let saving = save.saving();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
            repeat_password: repeat.get_untracked(),
        };
        save.submit(change.check().map(|()| change));
    };

    view! {
        <div class="page-head">
            <h1>"Change password"</h1>
            <p class="lede">
                "Choose a password only you know. Other browsers signed in as you are signed out."
            </p>
        </div>
        <section class="card narrow">
            <form on:submit=submit novalidate>
                <Field
                    id="current-password"
                    label="Current password"
                    value=current
                    kind="password"
                    autocomplete="current-password"
                    autofocus=true
                    invalid=save.invalid(FormField::CurrentPassword)
                />
                <Field
                    id="new-password"
                    label="New password"
                    value=new
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 8 characters."
                    invalid=save.invalid(FormField::Password)
                />
                <Field
                    id="repeat-password"
                    label="Repeat new password"
                    value=repeat
                    kind="password"
                    autocomplete="new-password"
                    invalid=save.invalid(FormField::RepeatPassword)
                />
                {save.alert()}
                <button type="submit" class="button primary" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save" }}
                </button>
            </form>
        </section>
    }
}
