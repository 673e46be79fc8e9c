//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "A self-hosted authentication core that speaks the SuperTokens core driver interface"
)]
pub struct Cli {
    /// The configuration file [default: ./config.yaml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The port to listen on (overrides `port`)
    #[arg(long, global = true)]
    pub port: Option<u16>,
    /// The address to listen on (overrides `host`)
    #[arg(long, global = true)]
    pub host: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the API (the default)
    Start,
    /// Apply pending migrations and exit
    Migrate,
}
