//! HTTP tests against the real server, each on SQLite and on PostgreSQL.

mod helpers;

mod accountlinking;
mod cdi_versions;
mod cli;
mod config;
mod conventions;
mod core_config;
mod dashboard;
mod domains;
mod emailpassword;
mod emailverification;
mod golang_sdk;
mod hardening;
mod head_limits;
mod instances;
mod metrics;
mod multitenancy;
mod outages;
mod passwordless;
mod passwords;
mod postgres_tls;
mod sessions;
mod shutdown;
mod slow_clients;
mod thirdparty;
mod totp;
mod useridmapping;
mod usermetadata;
mod userroles;
mod users;
