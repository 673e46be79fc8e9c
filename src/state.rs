//! What every request handler can reach.

use std::sync::Arc;

use crate::app_keys::AppKeys;
use crate::config::{Settings, TenantSettings};
use crate::db::Db;
use crate::http::{Domains, InFlight, Routes};
use crate::metrics::Metrics;
use crate::password::Passwords;
use crate::signing_keys::SigningKeys;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    /// What apps and tenants run with unless they set their own (see `TenantSettings`).
    pub tenant_defaults: Arc<TenantSettings>,
    pub passwords: Passwords,
    pub signing_keys: SigningKeys,
    /// Per-app keys for refresh tokens and TOTP secrets.
    pub app_keys: AppKeys,
    /// What every recipe deletes when a user is deleted (see `Routes::on_user_removed`).
    pub user_removal_statements: Vec<&'static str>,
    /// What recipes delete of a login method that goes while its row stays (see
    /// `Routes::on_login_method_removed`).
    pub login_method_removal_statements: Vec<&'static str>,
    /// What every recipe deletes once it has expired (see `Routes::on_cleanup`).
    pub cleanup_statements: Vec<&'static str>,
    pub in_flight: InFlight,
    /// The connection-URI domains requests are routed to by their `Host`.
    pub domains: Domains,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(settings: Settings, db: Db, routes: &Routes) -> anyhow::Result<Self> {
        let metrics = Metrics::default();
        Ok(Self {
            tenant_defaults: Arc::new(TenantSettings::of(&settings)),
            passwords: Passwords::new(&settings)?.reporting_load(
                metrics.hashing_busy.clone(),
                metrics.hashing_queued.clone(),
                metrics.hashing_jobs.clone(),
            ),
            signing_keys: SigningKeys::new(&settings, metrics.signing_keys_created.clone()),
            app_keys: AppKeys::default(),
            user_removal_statements: routes.user_removal_statements(),
            login_method_removal_statements: routes.login_method_removal_statements(),
            cleanup_statements: routes.cleanup_statements(),
            in_flight: InFlight::default(),
            domains: Domains::default(),
            metrics,
            settings,
            db,
        })
    }
}
