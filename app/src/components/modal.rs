//! A modal pop-up on the native `<dialog>`: the browser keeps focus inside it, makes the page behind
//! inert, turns Escape into a cancel, and returns focus to the opening button when it closes.

use leptos::html;
use leptos::prelude::*;

/// What a pop-up's owner holds to close it properly.
#[derive(Clone, Copy)]
pub struct ModalHandle(NodeRef<html::Dialog>);

impl ModalHandle {
    pub fn new() -> Self {
        Self(NodeRef::new())
    }

    /// Closes the native dialog first (so focus goes back where it came from), then runs `after`,
    /// which usually unmounts it.
    pub fn close(self, after: Callback<()>) {
        if let Some(dialog) = self.0.get_untracked() {
            dialog.close();
        }
        after.run(());
    }
}

impl Default for ModalHandle {
    fn default() -> Self {
        Self::new()
    }
}

/// The pop-up frame. `labelled_by` is the id of the heading inside `children`; `on_cancel` runs on
/// Escape.
#[component]
pub fn Modal(
    handle: ModalHandle,
    labelled_by: &'static str,
    on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    Effect::new(move |_| {
        if let Some(dialog) = handle.0.get() {
            let connected = dialog.is_connected();
            let show = move || {
                if dialog.is_connected() && !dialog.open() {
                    let _ = dialog.show_modal();
                }
            };
            // A pop-up whose code was just fetched is built under a `Suspense` and can get here
            // before it is in the document, where `showModal()` fails: it is there a frame later.
            if connected {
                show();
            } else {
                request_animation_frame(show);
            }
        }
    });
    view! {
        <dialog
            node_ref=handle.0
            class="modal"
            aria-labelledby=labelled_by
            on:cancel=move |event: leptos::ev::Event| {
                event.prevent_default();
                on_cancel.run(());
            }
        >
            {children()}
        </dialog>
    }
}
