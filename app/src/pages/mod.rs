//! One module per route.

pub mod account_home;
pub mod alerts;
pub mod api_keys;
pub mod change_password;
pub mod home;
pub mod manage_customers;
pub mod not_found;
pub mod sign_in;
pub mod transfers;
pub mod webhooks;
