//! The browser entry point. The page is server-rendered; only its islands hydrate, each when the
//! island script finds it (after this runs), and each says so (`app::hydrated`).
#![recursion_limit = "256"]

// Links the app's islands into the wasm: each is an export the island script calls.
#[allow(unused_imports)]
use app::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A build whose panics abort at once (the release, `.ci/build-release`) never runs a hook.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::hydrated::mark_when_all_hydrated();
}
