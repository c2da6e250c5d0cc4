//! The alert settings pop-up: the level below which a balance raises an alert and, for a
//! sub-account, the automatic top-up from the reseller's own balance. Empty means off.
//!
//! It opens for one of the reseller's sub-accounts (from its row) or for the signed-in account
//! itself (from the top bar); an account cannot top itself up, so that one has the alert only.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::error_note::ErrorNote;
use crate::components::form::{DialogActions, Field, FormAction};
use crate::components::layout::leave_if_session_refused;
use crate::components::modal::{Modal, ModalHandle};
use crate::error::FormField;
use crate::model::{BalanceRulesForm, RuleLevel};
use crate::server_fns::{alert_settings, save_alert_settings};

/// Whose balance the pop-up watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// The signed-in account: an alert only.
    Own { id: i64, name: String },
    /// One of its direct sub-accounts: an alert and an automatic top-up.
    SubAccount { id: i64, name: String },
}

impl Watched {
    fn id(&self) -> i64 {
        match self {
            Self::Own { id, .. } | Self::SubAccount { id, .. } => *id,
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Own { name, .. } | Self::SubAccount { name, .. } => name,
        }
    }
}

#[component]
pub fn AlertSettingsDialog(account: Watched, on_close: Callback<()>) -> impl IntoView {
    let modal = ModalHandle::new();
    let account_id = account.id();
    let (alert_below, when_below, top_up_to) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    // The rules in force, read when the pop-up opens. Until they are shown the fields take no
    // typing and Save does nothing, so that nothing typed is overwritten by them and no rule is
    // replaced unseen. An action rather than a resource: a resource read here would hold the top
    // bar's `Suspense` (the pop-up opens from it too) and blank the bar, pop-up included.
    let current = Action::new(|account_id: &i64| alert_settings(*account_id));
    current.dispatch(account_id);
    let loaded = RwSignal::new(false);
    Effect::new(move |_| match current.value().get() {
        Some(Ok(rules)) => {
            let form = BalanceRulesForm::from_rules(rules);
            alert_below.set(form.alert_below);
            when_below.set(form.when_below);
            top_up_to.set(form.top_up_to);
            loaded.set(true);
        }
        Some(Err(error)) => leave_if_session_refused(&error),
        None => {}
    });
    let load_error = move || current.value().get().and_then(Result::err);
    let loading = Signal::derive(move || !loaded.get());

    let save = FormAction::new(
        |(account_id, form): (i64, BalanceRulesForm)| save_alert_settings(account_id, form),
        move |_| modal.close(on_close),
    );
    let cancel = save.cancel(modal, on_close);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !loaded.get_untracked() {
            return;
        }
        let form = BalanceRulesForm {
            alert_below: alert_below.get_untracked(),
            when_below: when_below.get_untracked(),
            top_up_to: top_up_to.get_untracked(),
        };
        save.submit(form.parse().map(|_| (account_id, form)));
    };
    let level = move |level| save.invalid(FormField::Level(level));
    let (alert_hint, top_up) = match &account {
        Watched::Own { .. } => (
            "You get an alert when a transfer takes your balance below this. Leave it empty for none.",
            None,
        ),
        Watched::SubAccount { .. } => (
            "You both get an alert when a transfer takes its balance below this. Leave it empty for none.",
            Some(view! {
                <fieldset class="top-up">
                    <legend>"Automatic top-up"</legend>
                    <p class="hint">
                        "When a transfer takes its balance below When below, credits move from your balance to bring it to Top up to. Leave both empty for none."
                    </p>
                    <Field id="rules-when-below" label="When below" value=when_below invalid=level(RuleLevel::WhenBelow) readonly=loading />
                    <Field id="rules-top-up-to" label="Top up to" value=top_up_to invalid=level(RuleLevel::TopUpTo) readonly=loading />
                </fieldset>
            }),
        ),
    };

    view! {
        <Modal handle=modal labelled_by="alert-settings-title" on_cancel=cancel>
            <form on:submit=submit novalidate>
                <header class="dialog-head">
                    <h2 id="alert-settings-title">"Alert settings · " {account.name().to_owned()}</h2>
                    <p class="muted">"Whole numbers of credits; empty means off."</p>
                </header>
                <Field
                    id="rules-alert-below"
                    label="Alert below"
                    value=alert_below
                    autofocus=true
                    hint=alert_hint
                    invalid=level(RuleLevel::AlertBelow)
                    readonly=loading
                />
                {top_up}
                {move || load_error().map(|error| view! { <ErrorNote error /> })}
                {save.alert()}
                <DialogActions saving=save.saving() on_cancel=cancel />
            </form>
        </Modal>
    }
}
