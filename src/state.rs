//! What every request handler can reach.

use crate::config::Settings;
use crate::db::Db;
use crate::http::{InFlight, Routes};
use crate::metrics::Metrics;
use crate::password::Passwords;
use crate::recipes::session::RefreshTokenKeys;
use crate::signing_keys::SigningKeys;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    /// Parsed once from `api_keys`; empty when the API is open.
    pub api_keys: Vec<String>,
    pub passwords: Passwords,
    pub signing_keys: SigningKeys,
    pub refresh_token_keys: RefreshTokenKeys,
    /// What every recipe deletes when a user is deleted (see `Routes::on_user_removed`).
    pub user_removal_statements: Vec<&'static str>,
    /// What every recipe deletes once it has expired (see `Routes::on_cleanup`).
    pub cleanup_statements: Vec<&'static str>,
    pub in_flight: InFlight,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(settings: Settings, db: Db, routes: &Routes) -> anyhow::Result<Self> {
        let metrics = Metrics::default();
        Ok(Self {
            api_keys: settings.api_key_list(),
            passwords: Passwords::new(&settings)?.reporting_load(
                metrics.hashing_busy.clone(),
                metrics.hashing_queued.clone(),
                metrics.hashing_jobs.clone(),
            ),
            signing_keys: SigningKeys::new(&settings, metrics.signing_keys_created.clone()),
            refresh_token_keys: RefreshTokenKeys::default(),
            user_removal_statements: routes.user_removal_statements(),
            cleanup_statements: routes.cleanup_statements(),
            in_flight: InFlight::default(),
            metrics,
            settings,
            db,
        })
    }
}
