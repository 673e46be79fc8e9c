//! What every request handler can reach.

use crate::config::Settings;
use crate::db::Db;
use crate::password::Passwords;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    /// Parsed once from `api_keys`; empty when the API is open.
    pub api_keys: Vec<String>,
    pub passwords: Passwords,
    /// What every recipe deletes when a user is deleted (see `Routes::on_user_removed`).
    pub user_removal_statements: Vec<&'static str>,
}

impl AppState {
    pub fn new(
        settings: Settings,
        db: Db,
        user_removal_statements: Vec<&'static str>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            user_removal_statements,
            api_keys: settings.api_key_list(),
            passwords: Passwords::new(&settings)?,
            settings,
            db,
        })
    }
}
