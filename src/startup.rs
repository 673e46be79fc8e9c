//! Building and running the server.

use std::future::ready;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_http::HttpService;
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::rt::net::TcpStream;
use actix_web::rt::task::JoinHandle;
use actix_web::web::{self, Data};
use actix_web::App;
use anyhow::Context;

use crate::config::Settings;
use crate::db::Db;
use crate::http::{self, LimitedStream, Routes};
use crate::recipes;
use crate::state::AppState;

/// A bound, migrated, ready-to-run server.
pub struct Application {
    server: Server,
    state: Data<AppState>,
    cleanup: JoinHandle<()>,
    port: u16,
    db: Db,
    description: String,
}

impl Application {
    /// Connects to the storage, applies migrations and binds the listener (port 0 picks a
    /// free port, which [`Application::port`] then reports).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect(&settings).await?;
        db.migrate().await?;

        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("could not listen on {}:{}", settings.host, settings.port))?;
        let address = listener.local_addr()?;
        let description = format!(
            "listening on http://{address} with storage {}",
            db.describe(&settings)
        );
        // The async workers never block (hashing has its own pool), so more of them than
        // cores only costs memory; max_server_pool_size is honoured as an upper bound.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = settings.max_server_pool_size.min(cores);
        let connections_per_worker =
            connection_cap(open_file_limit(), settings.postgresql_connection_pool_size) / workers;

        let mut routes = Routes::default();
        recipes::register(&mut routes);
        let state = Data::new(AppState::new(settings, db.clone(), &routes)?);
        let cleanup = crate::cleanup::spawn(state.clone());
        let routes = Data::new(Arc::new(routes));
        let app_state = state.clone();
        // actix-web's HttpServer, assembled by hand so that each connection is read through
        // the request-head limits before the HTTP parser sees it.
        let service = move || {
            let app = App::new()
                .app_data(app_state.clone())
                .app_data(routes.clone())
                .default_service(web::to(http::dispatch))
                .into_factory()
                .map_err(|error: actix_web::Error| error.error_response());
            let http = HttpService::<LimitedStream, _, _>::build()
                .keep_alive(KEEP_ALIVE)
                .client_request_timeout(HEAD_READ_TIMEOUT)
                .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                .h1(map_config(app, |_| AppConfig::default()));
            fn_service(|stream: TcpStream| {
                let peer = stream.peer_addr().ok();
                ready(Ok((LimitedStream::new(stream), peer)))
            })
            .and_then(http)
        };
        let server = actix_server::Server::build()
            .workers(workers)
            .max_concurrent_connections(connections_per_worker)
            .disable_signals()
            .listen("gatehouse", listener, service)?
            .run();

        Ok(Self {
            server,
            state,
            cleanup,
            port: address.port(),
            db,
            description,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `listening on http://... with storage ...`, for the start-up line.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Serves until SIGTERM or SIGINT. Then, in this order: stops accepting connections,
    /// waits until no request runs on any worker (up to `shutdown_grace_period_seconds`),
    /// closes the database pool while every worker is still up, and stops the workers. When
    /// the grace period ends first, logs the requests still running and exits the process
    /// at once (status 1): tearing the workers down under them could not end them cleanly.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let serving = actix_web::rt::spawn(self.server);
        stop_signal().await;
        let in_flight = &self.state.in_flight;
        tracing::info!(
            in_flight = in_flight.count(),
            "stop signal received; accepting no new connections, finishing requests in flight"
        );
        handle.pause().await;
        let grace = Duration::from_secs(self.state.settings.shutdown_grace_period_seconds);
        let cut_off = in_flight.drain(grace).await;
        if !cut_off.is_empty() {
            for request in &cut_off {
                tracing::warn!(
                    method = %request.method,
                    path = request.path,
                    running_ms = request.running_for.as_millis() as u64,
                    "request cut off: still running when the shutdown grace period ended"
                );
            }
            tracing::error!(
                cut_off = cut_off.len(),
                "stopping with requests unfinished; their transactions roll back"
            );
            std::process::exit(1);
        }
        // Within the runtime, so that a clean-up query in flight is dropped cleanly.
        self.cleanup.abort();
        let _ = self.cleanup.await;
        self.db.close().await;
        handle.stop(false).await;
        serving.await??;
        Ok(())
    }

    /// Serves in the background of the current actix runtime, until that runtime ends
    /// (the tests' way of running a server).
    pub fn spawn(self) {
        actix_web::rt::spawn(self.server);
    }
}

/// actix-web's defaults: an idle connection is kept 5 s, a request head must arrive within
/// 5 s, and a closing connection gets 1 s to drain.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
const HEAD_READ_TIMEOUT: Duration = Duration::from_secs(5);
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Descriptors kept free of client connections: the database pool, the SQLite files, logs.
const RESERVED_FILES: u64 = 64;
/// actix's own default; more connections than this per worker gain nothing.
const MAX_CONNECTIONS_PER_WORKER: usize = 25_000;

/// Raises the soft limit on open files to the hard limit (the usual soft limit, 1024, is a
/// few hundred slow clients) and returns the limit then in force.
fn open_file_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(%error, "could not raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// How many client connections may be open at once: what the open-file limit leaves once the
/// pool and a reserve are set aside. Past it, connections wait to be accepted instead of
/// failing every accept (and /hello) with "too many open files".
fn connection_cap(file_limit: u64, pool_size: u32) -> usize {
    let reserved = RESERVED_FILES + u64::from(pool_size);
    let available = file_limit.saturating_sub(reserved).max(16);
    usize::try_from(available).map_or(MAX_CONNECTIONS_PER_WORKER, |cap| {
        cap.min(MAX_CONNECTIONS_PER_WORKER)
    })
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
