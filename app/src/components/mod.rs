//! Reusable pieces of the pages.

pub mod account_dialogs;
pub mod address;
pub mod alert_settings;
pub mod alerts_bell;
pub mod balance_chart;
pub mod credit_dialog;
pub mod error_note;
pub mod form;
pub mod icons;
pub mod layout;
pub mod live;
pub mod modal;
pub mod own_account;
pub mod pager;
pub mod search_box;
pub mod server_html;
pub mod transfer_table;
