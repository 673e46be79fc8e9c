//! `gatehouse dashboard-users ...`: the dashboard credentials, managed from a shell on the
//! configured database, with the API's rules and limit.

use anyhow::bail;

use super::service::{self, DashboardUser, Outcome, Who, LIMIT_MESSAGE};
use crate::cli::DashboardUsersCommand;
use crate::config::{Settings, TenantSettings};
use crate::db::Db;
use crate::licence::{self, DASHBOARD_LOGIN};
use crate::password::Passwords;

/// Dashboard users belong to the default app.
const APP_ID: &str = "public";

pub async fn run(command: DashboardUsersCommand, settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(settings).await?;
    db.migrate().await?;
    let result = execute(command, settings, &db).await;
    db.close().await;
    result
}

async fn execute(
    command: DashboardUsersCommand,
    settings: &Settings,
    db: &Db,
) -> anyhow::Result<()> {
    let unlimited = licence::enabled_features(db, settings.is_development(), APP_ID)
        .await?
        .iter()
        .any(|feature| feature == DASHBOARD_LOGIN);
    match command {
        DashboardUsersCommand::Create { email, password } => {
            let passwords = Passwords::new(settings)?;
            let tenant = TenantSettings::of(settings);
            let passwords = passwords.for_tenant(&tenant);
            let user = expect_user(
                service::create(db, passwords, APP_ID, &email, &password, unlimited).await?,
            )?;
            println!("created dashboard user {} ({})", user.email, user.user_id);
        }
        DashboardUsersCommand::Update {
            email,
            user_id,
            new_email,
            new_password,
        } => {
            let passwords = Passwords::new(settings)?;
            let tenant = TenantSettings::of(settings);
            let who = who(email, user_id);
            let result = service::update(
                db,
                passwords.for_tenant(&tenant),
                APP_ID,
                &who,
                new_email.as_deref(),
                new_password.as_deref(),
            )
            .await?;
            let user = expect_user(result)?;
            println!(
                "updated dashboard user {} ({}); its dashboard sessions have ended",
                user.email, user.user_id
            );
        }
        DashboardUsersCommand::Delete { email, user_id } => {
            if !service::delete(db, APP_ID, &who(email, user_id)).await? {
                bail!("no such dashboard user");
            }
            println!("deleted the dashboard user");
        }
        DashboardUsersCommand::List => {
            for user in service::list(db, APP_ID, unlimited).await? {
                println!("{}\t{}\t{}", user.user_id, user.email, user.time_joined);
            }
        }
    }
    Ok(())
}

fn who(email: Option<String>, user_id: Option<String>) -> Who {
    match (user_id, email) {
        (Some(user_id), _) => Who::UserId(user_id),
        (None, email) => Who::Email(email.unwrap_or_default()),
    }
}

fn expect_user(outcome: Outcome) -> anyhow::Result<DashboardUser> {
    match outcome {
        Outcome::Ok(user) => Ok(user),
        Outcome::InvalidEmail => bail!("the email is not valid"),
        Outcome::WeakPassword(problem) => bail!("the password is too weak: {problem}"),
        Outcome::EmailExists => bail!("a dashboard user with this email already exists"),
        Outcome::UnknownUser => bail!("no such dashboard user"),
        Outcome::LimitReached => bail!("{LIMIT_MESSAGE}"),
    }
}
