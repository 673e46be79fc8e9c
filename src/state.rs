//! What every request handler can reach.

use crate::config::Settings;
use crate::db::Db;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    /// Parsed once from `api_keys`; empty when the API is open.
    pub api_keys: Vec<String>,
}

impl AppState {
    pub fn new(settings: Settings, db: Db) -> Self {
        let api_keys = settings.api_key_list();
        Self {
            settings,
            db,
            api_keys,
        }
    }
}
