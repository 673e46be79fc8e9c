//! The requests in flight on every worker, so that a stop can wait for all of them before the
//! database pool closes, and name the ones it had to cut off.
//!
//! Workers stop independently, and pooled connections are shared by all of them: closing the
//! pool (or letting an idle worker's runtime end) while another worker still runs a request
//! breaks that request. So a stop waits here first, with every worker still running.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::Method;

#[derive(Default)]
pub struct InFlight {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    phase: Phase,
    next_id: u64,
    running: HashMap<u64, Running>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    #[default]
    Serving,
    /// Stopping: requests still arriving on open connections are served, and told to close.
    Draining,
    /// Nothing runs and the pool is closing: requests are refused.
    Closed,
}

struct Running {
    method: Method,
    path: String,
    started: Instant,
}

/// A request that was still running when the grace period ended.
#[derive(Debug)]
pub struct CutOff {
    pub method: Method,
    pub path: String,
    pub running_for: Duration,
}

/// Marks one request as in flight until dropped.
pub struct Entered<'a> {
    in_flight: &'a InFlight,
    id: u64,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.in_flight.lock().running.remove(&self.id);
    }
}

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a request; `None` once the stop has closed the storage.
    pub fn enter(&self, method: &Method, path: &str) -> Option<Entered<'_>> {
        let mut state = self.lock();
        if state.phase == Phase::Closed {
            return None;
        }
        state.next_id += 1;
        let id = state.next_id;
        state.running.insert(
            id,
            Running {
                method: method.clone(),
                path: path.to_string(),
                started: Instant::now(),
            },
        );
        Some(Entered {
            in_flight: self,
            id,
        })
    }

    /// Whether a stop has begun (answers then ask the client to close its connection).
    pub fn is_stopping(&self) -> bool {
        self.lock().phase != Phase::Serving
    }

    /// Waits up to `grace` for every request to finish. When they have, further requests are
    /// refused and nothing is returned; otherwise the requests still running are.
    pub async fn drain(&self, grace: Duration) -> Vec<CutOff> {
        let deadline = Instant::now() + grace;
        self.lock().phase = Phase::Draining;
        loop {
            {
                let mut state = self.lock();
                if state.running.is_empty() {
                    state.phase = Phase::Closed;
                    return Vec::new();
                }
                if Instant::now() >= deadline {
                    return state
                        .running
                        .values()
                        .map(|running| CutOff {
                            method: running.method.clone(),
                            path: running.path.clone(),
                            running_for: running.started.elapsed(),
                        })
                        .collect();
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn count(&self) -> usize {
        self.lock().running.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn drain_waits_for_running_requests_then_refuses_new_ones() {
        let in_flight = InFlight::default();
        let first = in_flight.enter(&Method::GET, "/a").unwrap();
        let cut = in_flight.drain(Duration::from_millis(50)).await;
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].path, "/a");
        assert!(in_flight.is_stopping());
        // Still draining: a request on an open connection is served.
        let second = in_flight.enter(&Method::POST, "/b").unwrap();
        drop(first);
        assert_eq!(in_flight.count(), 1);
        let release = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(second);
        };
        let (cut, ()) = tokio::join!(in_flight.drain(Duration::from_secs(5)), release);
        assert!(cut.is_empty());
        assert!(in_flight.enter(&Method::GET, "/c").is_none());
    }
}
