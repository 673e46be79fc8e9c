//! Logging through `tracing`, filtered by `log_level`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::Settings;

/// Installs the process-wide subscriber. Lines go to standard output, as in the official
/// docker image, so `docker logs` shows them.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::new(settings.log_filter());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}
