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

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the API (the default)
    Start,
    /// Apply pending migrations and exit
    Migrate,
    /// Exit 0 if the server configured here answers GET /hello with 200 (within 3 s), 1 if not
    Healthcheck,
    /// Manage the user management dashboard's users (same rules and limit as the API)
    #[command(subcommand)]
    DashboardUsers(DashboardUsersCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum DashboardUsersCommand {
    /// Create a dashboard user
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
    /// Change a dashboard user's email and/or password (ends its dashboard sessions)
    Update {
        /// The user, by its current email
        #[arg(long, required_unless_present = "user_id")]
        email: Option<String>,
        /// The user, by id
        #[arg(long)]
        user_id: Option<String>,
        #[arg(long, required_unless_present = "new_password")]
        new_email: Option<String>,
        #[arg(long)]
        new_password: Option<String>,
    },
    /// Delete a dashboard user
    Delete {
        #[arg(long, required_unless_present = "user_id")]
        email: Option<String>,
        #[arg(long)]
        user_id: Option<String>,
    },
    /// List the dashboard users who may sign in, oldest first
    List,
}
