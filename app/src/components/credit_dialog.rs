//! The credit pop-up: a number of credits (a minus sign takes them back) and a note, then Save.
//!
//! One request id is made when the pop-up opens and sent with every Save from it, so a double click,
//! a retry after a lost answer or an impatient Enter key moves credits once.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::form::{DialogActions, FormAction};
use crate::components::modal::{Modal, ModalHandle};
use crate::components::own_account::OwnAccount;
use crate::error::AppError;
use crate::model::{
    AccountSummary, CreditChange, CreditRequest, Grouped, TransferReceipt, check_note,
};
use crate::server_fns::transfer_credits;

#[component]
pub fn CreditDialog(
    account: AccountSummary,
    on_saved: Callback<TransferReceipt>,
    on_close: Callback<()>,
) -> impl IntoView {
    let own = OwnAccount::expect();
    let modal = ModalHandle::new();
    let request_id = uuid::Uuid::new_v4().to_string();
    let credits = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let save = FormAction::new(transfer_credits, move |receipt| {
        on_saved.run(receipt);
        modal.close(on_close);
    });
    let saving = save.saving();
    let cancel = Callback::new(move |()| {
        if !saving.get_untracked() {
            modal.close(on_close);
        }
    });

    let sub_account_id = account.id;
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let (credits, note) = (credits.get_untracked(), note.get_untracked());
        let checked = CreditChange::parse(&credits).and_then(|_| check_note(&note));
        save.submit(checked.map(|()| CreditRequest {
            sub_account_id,
            credits,
            note,
            request_id: request_id.clone(),
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
    let error = save.error();
    let credits_invalid = move || {
        error.with(|error| {
            matches!(
                error,
                Some(
                    AppError::InvalidCredits
                        | AppError::ZeroCredits
                        | AppError::TooManyCredits { .. }
                        | AppError::NotEnoughCredits { .. }
                        | AppError::SubAccountShort { .. }
                )
            )
        })
    };
    let note_invalid = move || {
        error.with(|error| {
            matches!(
                error,
                Some(AppError::NoteRequired | AppError::NoteTooLong { .. })
            )
        })
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
                <label for="credit-amount">"Credits"</label>
                <input
                    id="credit-amount"
                    name="credits"
                    type="text"
                    autocomplete="off"
                    autofocus
                    placeholder="30 or -5"
                    aria-describedby="credit-hint"
                    aria-invalid=move || credits_invalid().to_string()
                    prop:value=move || credits.get()
                    on:input=move |event| credits.set(event_target_value(&event))
                />
                <p id="credit-hint" class="hint">
                    "A positive number gives credits; a minus sign (e.g. -5) takes them back."
                </p>
                <label for="credit-note">"Note"</label>
                <textarea
                    id="credit-note"
                    name="note"
                    rows="3"
                    placeholder="What is this transfer for?"
                    aria-invalid=move || note_invalid().to_string()
                    prop:value=move || note.get()
                    on:input=move |event| note.set(event_target_value(&event))
                ></textarea>
                <p class="preview" data-testid="preview" aria-live="polite">{preview}</p>
                {save.alert()}
                <DialogActions saving on_cancel=cancel />
            </form>
        </Modal>
    }
}
