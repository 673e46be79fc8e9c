//! Building and running the server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::rt::task::JoinHandle;
use actix_web::web::{self, Data, PayloadConfig};
use actix_web::{App, HttpServer};
use anyhow::Context;

use crate::config::Settings;
use crate::db::Db;
use crate::http::{self, Routes};
use crate::recipes;
use crate::state::AppState;

/// The largest request body accepted; user metadata is the biggest thing clients send.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long in-flight requests get to finish after a stop signal.
const SHUTDOWN_GRACE_SECONDS: u64 = 30;

/// A bound, migrated, ready-to-run server.
pub struct Application {
    server: Server,
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

        let mut routes = Routes::default();
        recipes::register(&mut routes);
        let state = Data::new(AppState::new(settings, db.clone(), &routes)?);
        let cleanup = crate::cleanup::spawn(state.clone());
        let routes = Data::new(Arc::new(routes));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(PayloadConfig::new(MAX_BODY_BYTES))
                .default_service(web::to(http::dispatch))
        })
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE_SECONDS)
        .listen(listener)?
        .run();

        Ok(Self {
            server,
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

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish
    /// and closes the database pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            stop_signal().await;
            tracing::info!("stop signal received; finishing in-flight requests");
            handle.stop(true).await;
        });
        self.server.await?;
        // Within the runtime, so that a clean-up query in flight is dropped cleanly.
        self.cleanup.abort();
        let _ = self.cleanup.await;
        self.db.close().await;
        Ok(())
    }

    /// Serves in the background of the current actix runtime, until that runtime ends
    /// (the tests' way of running a server).
    pub fn spawn(self) {
        actix_web::rt::spawn(self.server);
    }
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
