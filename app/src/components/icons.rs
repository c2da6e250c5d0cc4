//! Inline SVG icons (no icon font, no extra request).

use leptos::prelude::*;

/// A payment card: the "credits" action on a row.
#[component]
pub fn CardIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <rect x="2.5" y="5" width="19" height="14" rx="2.5" fill="none" stroke="currentColor" stroke-width="1.8" />
            <path d="M2.5 9.5h19" stroke="currentColor" stroke-width="1.8" />
            <path d="M6 15h4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
    }
}

/// A stack of coins: the brand mark.
#[component]
pub fn LogoIcon() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false">
            <ellipse cx="12" cy="6.5" rx="7" ry="3" fill="currentColor" opacity="0.95" />
            <path d="M5 6.5v5c0 1.7 3.1 3 7 3s7-1.3 7-3v-5" fill="none" stroke="currentColor" stroke-width="1.8" />
            <path d="M5 11.5v5c0 1.7 3.1 3 7 3s7-1.3 7-3v-5" fill="none" stroke="currentColor" stroke-width="1.8" />
        </svg>
    }
}
