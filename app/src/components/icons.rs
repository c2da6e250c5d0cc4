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

/// A clock: the transfers of an account.
#[component]
pub fn HistoryIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <circle cx="12" cy="12" r="8.5" fill="none" stroke="currentColor" stroke-width="1.8" />
            <path d="M12 7.5V12l3 2" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
    }
}

/// A pencil: rename.
#[component]
pub fn PencilIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M4 20h4L19 9l-4-4L4 16v4z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
            <path d="M13.5 6.5l4 4" stroke="currentColor" stroke-width="1.8" />
        </svg>
    }
}

/// A bell: alerts.
#[component]
pub fn BellIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
            <path d="M10 20.5a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
    }
}

/// Two sliders: the levels that watch a balance (alert settings).
#[component]
pub fn SlidersIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M4 8h16M4 16h16" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
            <circle cx="9" cy="8" r="2.5" fill="#fff" stroke="currentColor" stroke-width="1.8" />
            <circle cx="15" cy="16" r="2.5" fill="#fff" stroke="currentColor" stroke-width="1.8" />
        </svg>
    }
}
