//! Reusable pieces of the pages.

pub mod account_dialogs;
pub mod credit_dialog;
pub mod error_note;
pub mod form;
pub mod history_dialog;
pub mod icons;
pub mod layout;
pub mod ledger_table;
pub mod modal;
pub mod own_account;
