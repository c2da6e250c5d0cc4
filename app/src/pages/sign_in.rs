//! The sign-in page: Login, Password, Sign in.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{Field, FormAction};
use crate::components::icons::LogoIcon;
use crate::components::layout::go_to;
use crate::error::FormField;
use crate::hydrated::count_island;
use crate::server_fns::sign_in;

#[component]
pub fn SignIn() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <SignInForm />
    }
}

/// The page's island: the form.
#[island(lazy)]
fn SignInForm() -> impl IntoView {
    count_island();
    let (login, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let attempt = FormAction::new(
        |(login, password): (String, String)| sign_in(login, password),
        |landing: String| go_to(&landing),
    );
    let signing_in = attempt.saving();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        attempt.submit(Ok((login.get_untracked(), password.get_untracked())));
    };

    view! {
        <main class="centered">
            <div class="card narrow sign-in">
                <div class="brand">
                    <LogoIcon />
                    <span>"Creditdesk"</span>
                </div>
                <h1>"Sign in"</h1>
                <form on:submit=submit>
                    <Field id="login" label="Login" value=login autocomplete="username" autofocus=true invalid=attempt.invalid(FormField::Credentials) />
                    <Field id="password" label="Password" value=password kind="password" autocomplete="current-password" invalid=attempt.invalid(FormField::Credentials) />
                    {attempt.alert()}
                    <button type="submit" class="button primary block" disabled=move || signing_in.get()>
                        {move || if signing_in.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
            </div>
        </main>
    }
}
