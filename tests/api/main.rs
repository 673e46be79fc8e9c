//! HTTP tests against the real server, each on SQLite and on PostgreSQL.

mod helpers;

mod cli;
mod config;
mod conventions;
mod emailpassword;
mod instances;
mod usermetadata;
