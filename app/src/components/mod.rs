//! Reusable pieces of the pages.

pub mod credit_dialog;
pub mod icons;
pub mod layout;
pub mod ledger_table;
pub mod own_account;
