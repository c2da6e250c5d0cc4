//! How a failed call is shown: its message in an alert.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    view! { <p class="form-error" role="alert">{error.to_string()}</p> }
}
