//! The browser entry point: hydrates the server-rendered page.
#![recursion_limit = "256"]

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A build whose panics abort at once (the release, `.ci/build-release`) never runs a hook.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    // Asynchronous: a page's code may be a chunk of its own, fetched before its markup hydrates.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Tests wait for this marker before clicking: a click on markup not yet hydrated is lost.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
