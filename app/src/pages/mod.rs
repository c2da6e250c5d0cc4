//! One module per route.

pub mod manage_customers;
pub mod not_found;
