//! How a failed call is shown: its message in an alert, and a signed-out user sent to sign in.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows `error`; when the session has ended, also goes to the sign-in page.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    if error == AppError::Unauthenticated {
        Effect::new(|_| go_to("/sign-in"));
    }
    view! { <p class="form-error" role="alert">{error.to_string()}</p> }
}

/// A full page load of `path`: after signing in or out, everything is rendered afresh for the new user.
pub fn go_to(path: &str) {
    let _ = window().location().set_href(path);
}
