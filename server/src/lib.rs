//! The Creditdesk server: configuration, the HTTP router and the operator commands.

pub mod api;
pub mod bench;
pub mod config;
pub mod dataset;
pub mod demo;
pub mod events;
pub mod export;
pub mod load;
pub mod metrics;
pub mod operator;
pub mod proxy;
pub mod telemetry;
pub mod verify;
pub mod web;
pub mod webhooks;
