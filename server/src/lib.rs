//! The Creditdesk server: configuration, the HTTP router and the operator commands.
// The pages' view types nest deeper than the default limit allows in builds without type-erased
// views (`cargo test`, clippy): each page is an island inside the frame's island.
#![recursion_limit = "256"]

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
