//! Pop-ups that manage sub-accounts: add one (with its login and first password) and rename one.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::form::{DialogActions, Field, FormAction};
use crate::components::modal::{Modal, ModalHandle};
use crate::error::FormField;
use crate::model::{AccountKind, AccountSummary, NewSubAccount};
use crate::server_fns::{create_sub_account, rename_sub_account};

#[component]
pub fn AddSubAccountDialog(
    kind: AccountKind,
    on_saved: Callback<AccountSummary>,
    on_close: Callback<()>,
) -> impl IntoView {
    let modal = ModalHandle::new();
    let (name, login, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let save = FormAction::new(create_sub_account, move |account| {
        on_saved.run(account);
        modal.close(on_close);
    });
    let cancel = save.cancel(modal, on_close);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let account = NewSubAccount {
            kind,
            name: name.get_untracked(),
            login: login.get_untracked(),
            password: password.get_untracked(),
        };
        save.submit(Ok(account));
    };

    view! {
        <Modal handle=modal labelled_by="add-account-title" on_cancel=cancel>
            <form on:submit=submit novalidate>
                <header class="dialog-head">
                    <h2 id="add-account-title">"Add " {kind.noun()}</h2>
                    <p class="muted">"The new account starts with 0 credits."</p>
                </header>
                <Field
                    id="account-name"
                    label="Name"
                    value=name
                    autofocus=true
                    invalid=save.invalid(FormField::Name)
                />
                <Field
                    id="account-login"
                    label="Login"
                    value=login
                    invalid=save.invalid(FormField::Login)
                />
                <Field
                    id="account-password"
                    label="Initial password"
                    value=password
                    kind="password"
                    autocomplete="new-password"
                    invalid=save.invalid(FormField::Password)
                />
                <p class="hint">"Share the login and password with the account's owner."</p>
                {save.alert()}
                <DialogActions saving=save.saving() on_cancel=cancel />
            </form>
        </Modal>
    }
}

#[component]
pub fn RenameDialog(
    account: AccountSummary,
    on_saved: Callback<AccountSummary>,
    on_close: Callback<()>,
) -> impl IntoView {
    let modal = ModalHandle::new();
    let name = RwSignal::new(account.name.clone());
    let save = FormAction::new(
        |(account_id, name): (i64, String)| rename_sub_account(account_id, name),
        move |account| {
            on_saved.run(account);
            modal.close(on_close);
        },
    );
    let cancel = save.cancel(modal, on_close);
    let account_id = account.id;
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.submit(Ok((account_id, name.get_untracked())));
    };

    view! {
        <Modal handle=modal labelled_by="rename-title" on_cancel=cancel>
            <form on:submit=submit novalidate>
                <header class="dialog-head">
                    <h2 id="rename-title">"Rename " {account.name.clone()}</h2>
                </header>
                <Field
                    id="rename-name"
                    label="Name"
                    value=name
                    autofocus=true
                    invalid=save.invalid(FormField::Name)
                />
                {save.alert()}
                <DialogActions saving=save.saving() on_cancel=cancel />
            </form>
        </Modal>
    }
}
