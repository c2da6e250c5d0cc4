//! A sub-account's transfers, with their notes, in a pop-up.

use leptos::prelude::*;

use crate::components::modal::{Modal, ModalHandle};
use crate::components::transfer_table::Transfers;
use crate::format::Grouped;
use crate::model::AccountSummary;

#[component]
pub fn TransfersDialog(account: AccountSummary, on_close: Callback<()>) -> impl IntoView {
    let modal = ModalHandle::new();
    let close = Callback::new(move |()| modal.close(on_close));
    view! {
        <Modal handle=modal labelled_by="history-title" on_cancel=close>
            <div class="wide-dialog">
                <header class="dialog-head">
                    <h2 id="history-title">"Transfers of " {account.name.clone()}</h2>
                    <p class="muted">"Balance: " {Grouped(account.balance).to_string()} " credits"</p>
                </header>
                <Transfers account_id=account.id />
                <footer class="dialog-actions">
                    <button type="button" class="button" autofocus on:click=move |_| close.run(())>"Close"</button>
                </footer>
            </div>
        </Modal>
    }
}
