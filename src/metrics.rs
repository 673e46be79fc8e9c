//! Metrics in the Prometheus text format, served at `/metrics` (see docs/operations.md).
//!
//! Counters are atomics shared with the code that moves them; gauges of things gatehouse does
//! not count itself (the database pool, requests in flight) are read when scraped.

use std::time::Duration;

use actix_web::http::Method;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::db::Db;
use crate::with_pool;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The API path as registered (no tenant prefix, no query): a bounded set of values.
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// The route label of a request that matched no API.
pub const UNMATCHED_ROUTE: &str = "unmatched";

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    pool_connections: Family<StateLabels, Gauge>,
    pool_max: Gauge,
    /// Password hashing jobs running, and waiting for a place in the hashing pool.
    pub hashing_busy: Gauge,
    pub hashing_queued: Gauge,
    pub hashing_jobs: Counter,
    pub sessions_created: Counter,
    pub sessions_refreshed: Counter,
    pub sessions_revoked: Counter,
    pub token_thefts_detected: Counter,
    /// Signing keys this process created (a new period's dynamic key, an app's static key).
    pub signing_keys_created: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gatehouse");
        registry.register(
            "build",
            "The running build",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, route and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.25 ms to about 8 s.
            Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to its answer, by method and route",
            durations.clone(),
        );
        let metrics = Self {
            registry,
            requests,
            durations,
            in_flight: Gauge::default(),
            pool_connections: Family::default(),
            pool_max: Gauge::default(),
            hashing_busy: Gauge::default(),
            hashing_queued: Gauge::default(),
            hashing_jobs: Counter::default(),
            sessions_created: Counter::default(),
            sessions_refreshed: Counter::default(),
            sessions_revoked: Counter::default(),
            token_thefts_detected: Counter::default(),
            signing_keys_created: Counter::default(),
        };
        metrics.with_the_rest()
    }
}

impl Metrics {
    fn with_the_rest(mut self) -> Self {
        let registry = &mut self.registry;
        registry.register(
            "http_requests_in_flight",
            "Requests being answered now",
            self.in_flight.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections, idle or in use",
            self.pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            self.pool_max.clone(),
        );
        registry.register(
            "password_hashing_busy",
            "Password hashes and checks running",
            self.hashing_busy.clone(),
        );
        registry.register(
            "password_hashing_queued",
            "Password hashes and checks waiting for a place in the hashing pool",
            self.hashing_queued.clone(),
        );
        registry.register(
            "password_hashing_jobs",
            "Password hashes and checks started",
            self.hashing_jobs.clone(),
        );
        registry.register(
            "sessions_created",
            "Sessions created",
            self.sessions_created.clone(),
        );
        registry.register(
            "sessions_refreshed",
            "Sessions refreshed",
            self.sessions_refreshed.clone(),
        );
        registry.register(
            "sessions_revoked",
            "Sessions revoked by an API call",
            self.sessions_revoked.clone(),
        );
        registry.register(
            "token_thefts_detected",
            "Refresh tokens used after they were rotated",
            self.token_thefts_detected.clone(),
        );
        registry.register(
            "signing_keys_created",
            "Signing keys this process created (key rotations)",
            self.signing_keys_created.clone(),
        );
        self
    }

    /// Counts one answered request.
    pub fn observe_request(
        &self,
        method: &Method,
        route: &'static str,
        status: u16,
        took: Duration,
    ) {
        // A bounded label set (and no allocation per request) whatever method is sent.
        let method = match *method {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            _ => "OTHER",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { method, route })
            .observe(took.as_secs_f64());
    }

    /// The text exposition, with the sampled gauges read now.
    pub fn render(&self, db: &Db, in_flight: usize) -> String {
        let (size, idle, max) = with_pool!(db, pool => {
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        });
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        let state = |state| StateLabels { state };
        self.pool_connections
            .get_or_create(&state("idle"))
            .set(idle);
        self.pool_connections
            .get_or_create(&state("in_use"))
            .set(i64::from(size) - idle);
        self.pool_max.set(i64::from(max));
        self.in_flight
            .set(i64::try_from(in_flight).unwrap_or(i64::MAX));
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
