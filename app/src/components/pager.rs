//! "Previous page" and "Next page" for a list read a page at a time: links to the same URL with
//! another cursor, so that they work before the page hydrates and every page has its own address.

use leptos::prelude::*;

#[component]
pub fn Pager(
    /// What the pages are of, for screen readers: "Sub-account pages".
    label: &'static str,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let link = |href: Option<String>, text: &'static str| match href {
        Some(href) => view! { <a class="button" href=href>{text}</a> }.into_any(),
        None => view! { <span class="button" aria-disabled="true">{text}</span> }.into_any(),
    };
    view! {
        <nav class="pager" aria-label=label>
            {link(previous, "Previous page")}
            {link(next, "Next page")}
        </nav>
    }
}

/// `path` with `query` as its query string, for the pages whose URL holds their state.
pub fn href(path: &str, query: Vec<(&'static str, String)>) -> String {
    let mut params = leptos_router::params::ParamsMap::new();
    for (name, value) in query {
        params.insert(name, value);
    }
    format!("{path}{}", params.to_query_string())
}
