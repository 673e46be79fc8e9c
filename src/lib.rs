//! Gatehouse: an authentication core that speaks the SuperTokens core driver interface.

pub mod app_keys;
pub mod cleanup;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod healthcheck;
pub mod http;
pub mod licence;
pub mod metrics;
pub mod password;
pub mod recipes;
pub mod signing_keys;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod token;
