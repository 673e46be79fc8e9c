//! HTTP tests against the real server, each on SQLite and on PostgreSQL.

mod helpers;

mod config;
mod conventions;
