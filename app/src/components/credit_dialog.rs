//! The credit pop-up: a number of credits (a minus sign takes them back) and a note, then Save.
//!
//! One request id is made when the pop-up opens and sent with every Save from it, so a double click,
//! a retry after a lost answer or an impatient Enter key moves credits once.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;

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
    let request_id = uuid::Uuid::new_v4().to_string();
    let credits = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(|request: &CreditRequest| transfer_credits(request.clone()));
    let saving = save.pending();
    let dialog = NodeRef::<html::Dialog>::new();
    let credits_input = NodeRef::<html::Input>::new();

    Effect::new(move |_| {
        if let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
            if let Some(input) = credits_input.get() {
                let _ = input.focus();
            }
        }
    });
    // Closing the native dialog first lets the browser return focus to the button that opened it.
    let close = move || {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
        on_close.run(());
    };
    Effect::new(move |_| match save.value().get() {
        Some(Ok(receipt)) => {
            on_saved.run(receipt);
            close();
        }
        Some(Err(failure)) => error.set(Some(failure)),
        None => {}
    });

    let sub_account_id = account.id;
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let (typed_credits, typed_note) = (credits.get_untracked(), note.get_untracked());
        match CreditChange::parse(&typed_credits).and_then(|_| check_note(&typed_note)) {
            Err(invalid) => error.set(Some(invalid)),
            Ok(()) => {
                error.set(None);
                save.dispatch(CreditRequest {
                    sub_account_id,
                    credits: typed_credits,
                    note: typed_note,
                    request_id: request_id.clone(),
                });
            }
        }
    };
    let cancel = move || {
        if !saving.get_untracked() {
            close();
        }
    };

    let name = account.name.clone();
    let balance = account.balance;
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
        <dialog
            node_ref=dialog
            class="credit-dialog"
            aria-labelledby="credit-dialog-title"
            on:cancel=move |event: leptos::ev::Event| {
                event.prevent_default();
                cancel();
            }
        >
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
                    placeholder="30 or -5"
                    aria-describedby="credit-hint"
                    aria-invalid=move || credits_invalid().to_string()
                    node_ref=credits_input
                    prop:value=move || credits.get()
                    on:input=move |event| credits.set(event_target_value(&event))
                />
                <p id="credit-hint" class="hint">"A positive number gives credits; a minus sign (e.g. -5) takes them back."</p>
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
                {move || error.get().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </footer>
            </form>
        </dialog>
    }
}
