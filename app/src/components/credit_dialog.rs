//! The credit pop-up: a number of credits (a minus sign takes them back) and a note, then Save.
//!
//! One request id is made when the pop-up opens and sent with every Save from it, so a double click,
//! a retry after a lost answer or an impatient Enter key moves credits once. A refusal for lack of
//! credits or a suspension is that id's answer for good, so the next Save after one is a new request
//! with a new id.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::form::{DialogActions, Field, FormAction};
use crate::components::modal::{Modal, ModalHandle};
use crate::components::own_account::OwnAccount;
use crate::error::{AppError, FormField};
use crate::format::Grouped;
use crate::model::{AccountSummary, CreditChange, CreditRequest, TransferReceipt, check_note};
use crate::server_fns::transfer_credits;

#[component]
pub fn CreditDialog(
    account: AccountSummary,
    on_saved: Callback<TransferReceipt>,
    on_close: Callback<()>,
) -> impl IntoView {
    let own = OwnAccount::expect();
    let modal = ModalHandle::new();
    let new_request_id = || uuid::Uuid::new_v4().to_string();
    let request_id = StoredValue::new(new_request_id());
    let credits = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let save = FormAction::new(transfer_credits, move |receipt| {
        on_saved.run(receipt);
        modal.close(on_close);
    });
    Effect::new(move |_| {
        if save
            .error()
            .with(|error| error.as_ref().is_some_and(AppError::settles_request))
        {
            request_id.set_value(new_request_id());
        }
    });
    let cancel = save.cancel(modal, on_close);

    let sub_account_id = account.id;
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (credits, note) = (credits.get_untracked(), note.get_untracked());
        let checked = CreditChange::parse(&credits).and_then(|_| check_note(&note));
        save.submit(checked.map(|()| CreditRequest {
            sub_account_id,
            credits,
            note,
            request_id: request_id.get_value(),
        }));
    };

    let (name, balance) = (account.name.clone(), account.balance);
    let preview = move || {
        let change = CreditChange::parse(&credits.get()).ok()?.signed();
        let own_balance = own.balance()?;
        Some(format!(
            "{name}: {} → {} · You: {} → {}",
            Grouped(balance),
            Grouped(balance.saturating_add(change)),
            Grouped(own_balance),
            Grouped(own_balance.saturating_sub(change)),
        ))
    };

    view! {
        <Modal handle=modal labelled_by="credit-dialog-title" on_cancel=cancel>
            <form on:submit=submit novalidate>
                <header class="dialog-head">
                    <h2 id="credit-dialog-title">"Credits for " {account.name.clone()}</h2>
                    <p class="muted">{account.kind.label()}</p>
                </header>
                <dl class="balances">
                    <div>
                        <dt>{account.name.clone()}</dt>
                        <dd>{Grouped(balance).to_string()}</dd>
                    </div>
                    <div>
                        <dt>"You"</dt>
                        <dd>{move || own.balance().map(|balance| Grouped(balance).to_string())}</dd>
                    </div>
                </dl>
                <Field
                    id="credit-amount"
                    label="Credits"
                    value=credits
                    autofocus=true
                    placeholder="30 or -5"
                    hint="A positive number gives credits; a minus sign (e.g. -5) takes them back."
                    invalid=save.invalid(FormField::Credits)
                />
                <Field
                    id="credit-note"
                    label="Note"
                    value=note
                    rows=3
                    placeholder="What is this transfer for?"
                    invalid=save.invalid(FormField::Note)
                />
                <p class="preview" data-testid="preview" aria-live="polite">{preview}</p>
                {save.alert()}
                <DialogActions saving=save.saving() on_cancel=cancel />
            </form>
        </Modal>
    }
}
