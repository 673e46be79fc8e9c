//! Which connection-URI domains exist, to route each request by its `Host`.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::tenant::{TenantId, PUBLIC};
use crate::db::Db;
use crate::error::ApiError;
use crate::with_pool;

/// How long a read list of domains is used before it is read again: a domain created or
/// removed through another instance is routed accordingly within this time.
const FRESH_FOR: Duration = Duration::from_secs(1);

type Known = Arc<HashSet<String>>;

/// The domains, read from the database at most once per [`FRESH_FOR`] per instance.
#[derive(Default)]
pub struct Domains {
    known: RwLock<Option<(Instant, Known)>>,
    reading: tokio::sync::Mutex<()>,
}

impl Domains {
    /// The domain of a request sent to `host`: `host` when it is a domain, else the default
    /// one (empty).
    pub async fn of_host(&self, db: &Db, host: &str) -> Result<String, ApiError> {
        let known = self.current(db).await?;
        Ok(match known.contains(host) {
            true => host.to_string(),
            false => String::new(),
        })
    }

    /// Makes the next request read the domains again (this instance changed them).
    pub fn forget(&self) {
        *self.known.write().expect("domains lock") = None;
    }

    fn fresh(&self) -> Option<Known> {
        let known = self.known.read().expect("domains lock");
        known
            .as_ref()
            .filter(|(read_at, _)| read_at.elapsed() < FRESH_FOR)
            .map(|(_, domains)| domains.clone())
    }

    async fn current(&self, db: &Db) -> Result<Known, ApiError> {
        if let Some(known) = self.fresh() {
            return Ok(known);
        }
        // One read at a time; the requests that waited for it use its result.
        let _reading = self.reading.lock().await;
        if let Some(known) = self.fresh() {
            return Ok(known);
        }
        let pattern = TenantId::app_key("%", PUBLIC);
        let keys: Vec<String> = with_pool!(db, pool => {
            sqlx::query_scalar("SELECT app_id FROM apps WHERE app_id LIKE $1")
                .bind(&pattern)
                .fetch_all(pool)
                .await?
        });
        let domains: Known = Arc::new(
            keys.iter()
                .map(|key| TenantId {
                    app_id: key.clone(),
                    tenant_id: PUBLIC.into(),
                })
                .filter(|tenant| tenant.app_name() == PUBLIC)
                .map(|tenant| tenant.domain().to_string())
                .filter(|domain| !domain.is_empty())
                .collect(),
        );
        *self.known.write().expect("domains lock") = Some((Instant::now(), domains.clone()));
        Ok(domains)
    }
}
