//! `body[data-hydrated="true"]` once every island on the page has hydrated. Tests wait for it before
//! clicking: a click on an island not yet hydrated is lost.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
thread_local! {
    static HYDRATED_ISLANDS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Every island calls this once: it counts the island as hydrated when its first effects run.
pub fn count_island() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        HYDRATED_ISLANDS.with(|count| count.set(count.get() + 1));
        mark_when_all_hydrated();
    });
}

/// Sets the marker if every island on the page has hydrated: at once on a page without any.
pub fn mark_when_all_hydrated() {
    #[cfg(feature = "hydrate")]
    {
        let document = document();
        let islands = document
            .query_selector_all("leptos-island")
            .map_or(0, |islands| islands.length());
        if HYDRATED_ISLANDS.with(std::cell::Cell::get) >= islands
            && let Some(body) = document.body()
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    }
}
