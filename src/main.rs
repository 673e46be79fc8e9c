use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use gatehouse::cli::{Cli, Command};
use gatehouse::config::{Overrides, Settings};
use gatehouse::db::Db;
use gatehouse::startup::Application;
use gatehouse::telemetry;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        port: cli.port,
        host: cli.host.clone(),
    };
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from("config.yaml"));
    let loaded = match Settings::load(
        &path,
        cli.config.is_some(),
        |name| std::env::var(name).ok(),
        &overrides,
    ) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("gatehouse: invalid configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let command = cli.command.clone().unwrap_or(Command::Start);
    // Before logging starts: a health check prints its one line and nothing else.
    if let Command::Healthcheck = command {
        return match gatehouse::healthcheck::check(&loaded.settings) {
            Ok(line) => {
                println!("gatehouse: {line}");
                ExitCode::SUCCESS
            }
            Err(why) => {
                eprintln!("gatehouse: {why}");
                ExitCode::FAILURE
            }
        };
    }
    telemetry::init(&loaded.settings);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }

    let outcome = actix_web::rt::System::new().block_on(run(command, loaded.settings));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Start => {
            let app = Application::build(settings).await?;
            println!(
                "gatehouse {} {}",
                env!("CARGO_PKG_VERSION"),
                app.description()
            );
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let db = Db::connect(&settings).await?;
            db.migrate().await?;
            println!(
                "gatehouse: migrations applied to {}",
                db.describe(&settings)
            );
            db.close().await;
            Ok(())
        }
        Command::Healthcheck => unreachable!("answered in main before the runtime starts"),
        Command::DashboardUsers(command) => {
            gatehouse::recipes::dashboard::cli::run(command, &settings).await
        }
    }
}
