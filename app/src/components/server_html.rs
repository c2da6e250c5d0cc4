//! Parts of a page rendered on the server only (lists, and forms' fields), inside an island that
//! acts on them: it reads a form's values and a button's id from the HTML, sends them to a server
//! function, marks the field an error is about, and after a change reads the lists again from the
//! server. Their code stays on the server, out of the wasm.

use std::future::Future;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::form::FormAction;
use crate::error::{AppError, FormField};

/// The one action of an island around server-rendered parts. `call` makes a change; an answer (a
/// key or a secret, shown once) goes into `made` and empties the form `form`; then the elements
/// `parts` are read again. The field an error is about (in `fields`, with its element's id) is
/// marked invalid while the error is shown.
pub fn change_action<I, O, Fut>(
    call: fn(I) -> Fut,
    made: RwSignal<Option<O>>,
    form: &'static str,
    parts: &'static [&'static str],
    fields: &'static [(FormField, &'static str)],
) -> FormAction<I, Option<O>>
where
    I: Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<O>, AppError>> + Send + 'static,
{
    let change = FormAction::new(call, move |answer: Option<O>| {
        if answer.is_some() {
            made.set(answer);
            reset_form(form);
        }
        refresh(parts);
    });
    let error = change.error();
    Effect::new(move |_| {
        let invalid = error.with(|error| error.as_ref().and_then(AppError::field));
        for (field, id) in fields {
            if let Some(element) = document().get_element_by_id(id) {
                let _ =
                    element.set_attribute("aria-invalid", &(Some(*field) == invalid).to_string());
            }
        }
    });
    change
}

/// The value of `attribute` on the element clicked (or the one around it that has it), for a
/// button of a server-rendered list naming its row: `data-revoke="7"`.
pub fn clicked(event: &web_sys::Event, attribute: &str) -> Option<String> {
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    target
        .closest(&format!("[{attribute}]"))
        .ok()??
        .get_attribute(attribute)
}

/// The values of the form an event (its submit, a change in it) came from, by field name.
pub fn form_values(event: &web_sys::Event) -> Option<web_sys::FormData> {
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    let form = target.closest("form").ok()??.dyn_into().ok()?;
    web_sys::FormData::new_with_form(&form).ok()
}

/// The text of the field `name` in `values`; empty if there is none.
pub fn text(values: &web_sys::FormData, name: &str) -> String {
    values.get(name).as_string().unwrap_or_default()
}

/// Empties the form `id` back to the values the server rendered.
fn reset_form(id: &str) {
    if let Some(form) = document()
        .get_element_by_id(id)
        .and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok())
    {
        form.reset();
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// How many times the page has been read again, so that only the latest read is shown.
    static READS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Reads this page again from the server and shows its elements `ids` as the server renders them
/// now, unless a later read has started since (an older answer never overwrites a newer one). If
/// the page cannot be read, loads it whole.
pub fn refresh(ids: &'static [&'static str]) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let read = READS.with(|reads| {
            reads.set(reads.get() + 1);
            reads.get()
        });
        if read_again(ids, read).await.is_none() {
            let _ = window().location().reload();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = ids;
}

#[cfg(feature = "hydrate")]
async fn read_again(ids: &[&str], read: u32) -> Option<()> {
    let href = window().location().href().ok()?;
    let response = gloo_net::http::Request::get(&href).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    let html = response.text().await.ok()?;
    if READS.with(std::cell::Cell::get) != read {
        return Some(());
    }
    let fresh = web_sys::DomParser::new()
        .ok()?
        .parse_from_string(&html, web_sys::SupportedType::TextHtml)
        .ok()?;
    for id in ids {
        let (shown, now) = (
            document().get_element_by_id(id)?,
            fresh.get_element_by_id(id)?,
        );
        shown.set_inner_html(&now.inner_html());
    }
    Some(())
}
