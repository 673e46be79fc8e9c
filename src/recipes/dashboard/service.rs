//! Dashboard users: the rules, shared by the HTTP API and the `dashboard-users` command.
//!
//! Without a licence that grants `dashboard_login`, an app may have three dashboard users;
//! if it has more (a licence was removed), only the three oldest may sign in.

use serde_json::{json, Value};

use crate::db::{is_unique_violation, now_millis, Db};
use crate::password::TenantPasswords;
use crate::recipes::core::user::normalise_email;
use crate::{in_write_transaction, with_pool};

/// How many dashboard users an app may have without a licence.
pub const FREE_USERS: i64 = 3;
pub const LIMIT_MESSAGE: &str =
    "Free user limit reached. Please subscribe to a SuperTokens core license key to allow more users to access the dashboard.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardUser {
    pub user_id: String,
    pub email: String,
    pub time_joined: i64,
}

impl DashboardUser {
    pub fn to_json(&self) -> Value {
        json!({ "email": self.email, "userId": self.user_id, "timeJoined": self.time_joined })
    }
}

/// Which user a request means.
pub enum Who {
    UserId(String),
    Email(String),
}

#[derive(Debug)]
pub enum Outcome {
    Ok(DashboardUser),
    InvalidEmail,
    WeakPassword(&'static str),
    EmailExists,
    UnknownUser,
    LimitReached,
}

/// Upstream's check, which is looser than it looks (its pattern lost its escapes): any
/// non-empty text, `@`, then either one of `0-9{},.`, or runs of letters, digits and `-`
/// each followed by any one character, ending in two or more letters.
pub fn is_valid_email(email: &str) -> bool {
    let line_break = |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    if email.chars().any(line_break) {
        return false;
    }
    let chars: Vec<char> = email.chars().collect();
    chars
        .iter()
        .enumerate()
        .any(|(at, c)| *c == '@' && at > 0 && is_valid_domain(&chars[at + 1..]))
}

fn is_valid_domain(domain: &[char]) -> bool {
    if let [single] = domain {
        if single.is_ascii_digit() || matches!(single, '{' | '}' | ',' | '.') {
            return true;
        }
    }
    let label = |c: &char| c.is_ascii_alphanumeric() || *c == '-';
    // The name ends in two or more letters; before it, one or more label runs each followed
    // by one character.
    let letters = domain
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    (2..=letters).any(|tld| {
        let head = &domain[..domain.len() - tld];
        // reachable[i]: head[..i] is made of whole "run + one character" pieces.
        let mut reachable = vec![false; head.len() + 1];
        reachable[0] = true;
        for end in 2..=head.len() {
            reachable[end] = (0..end - 1)
                .rev()
                .take_while(|start| label(&head[*start]))
                .any(|start| reachable[start]);
        }
        !head.is_empty() && reachable[head.len()]
    })
}

/// Upstream's password rules, first failure first.
pub fn password_problem(password: &str) -> Option<&'static str> {
    let length = password.encode_utf16().count();
    let single_line = !password
        .chars()
        .any(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'));
    if length < 8 {
        Some("Password must contain at least 8 characters, including a number")
    } else if length >= 100 {
        Some("Password's length must be lesser than 100 characters")
    } else if !(single_line && password.chars().any(|c| c.is_ascii_alphabetic())) {
        Some("Password must contain at least one alphabet")
    } else if !(single_line && password.chars().any(|c| c.is_ascii_digit())) {
        Some("Password must contain at least one number")
    } else {
        None
    }
}

/// A new dashboard user; refused past the free limit unless `unlimited`.
pub async fn create(
    db: &Db,
    passwords: TenantPasswords<'_>,
    app_id: &str,
    email: &str,
    password: &str,
    unlimited: bool,
) -> anyhow::Result<Outcome> {
    let email = normalise_email(email);
    if !is_valid_email(&email) {
        return Ok(Outcome::InvalidEmail);
    }
    let password = password.trim();
    if let Some(problem) = password_problem(password) {
        return Ok(Outcome::WeakPassword(problem));
    }
    if find(db, app_id, &Who::Email(email.clone()))
        .await?
        .is_some()
    {
        return Ok(Outcome::EmailExists);
    }
    // Checked again under the lock below; this look-up spares a refused request the hash.
    if !unlimited && with_pool!(db, pool => count_users(pool, app_id).await)? >= FREE_USERS {
        return Ok(Outcome::LimitReached);
    }
    let hash = passwords.hash(password.to_string()).await?;
    let user = DashboardUser {
        user_id: uuid::Uuid::new_v4().to_string(),
        email,
        time_joined: now_millis(),
    };
    // The count and the insert share a transaction that holds the app's row, so two
    // creations at once cannot both take the last free place.
    let lock = format!(
        "SELECT app_id FROM apps WHERE app_id = $1{}",
        db.for_update()
    );
    let inserted: sqlx::Result<bool> = in_write_transaction!(db, tx => async {
        sqlx::query(&lock).bind(app_id).fetch_optional(&mut *tx).await?;
        if !unlimited && count_users(&mut *tx, app_id).await? >= FREE_USERS {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO dashboard_users (app_id, user_id, email, password_hash, time_joined) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(app_id)
        .bind(&user.user_id)
        .bind(&user.email)
        .bind(&hash)
        .bind(user.time_joined)
        .execute(&mut *tx)
        .await?;
        Ok::<bool, sqlx::Error>(true)
    });
    match inserted {
        Ok(true) => Ok(Outcome::Ok(user)),
        Ok(false) => Ok(Outcome::LimitReached),
        Err(error) if is_unique_violation(&error) => Ok(Outcome::EmailExists),
        Err(error) => Err(error.into()),
    }
}

async fn count_users<'c, E>(executor: E, app_id: &str) -> sqlx::Result<i64>
where
    E: sqlx::Executor<'c>,
    i64: for<'r> sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'q> &'q str: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    (i64,): for<'r> sqlx::FromRow<'r, <E::Database as sqlx::Database>::Row>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM dashboard_users WHERE app_id = $1")
        .bind(app_id)
        .fetch_one(executor)
        .await
}

/// Changes a user's email and/or password and ends all its dashboard sessions.
pub async fn update(
    db: &Db,
    passwords: TenantPasswords<'_>,
    app_id: &str,
    who: &Who,
    new_email: Option<&str>,
    new_password: Option<&str>,
) -> anyhow::Result<Outcome> {
    let new_email = new_email.map(normalise_email);
    if new_email
        .as_deref()
        .is_some_and(|email| !is_valid_email(email))
    {
        return Ok(Outcome::InvalidEmail);
    }
    let new_password = new_password.map(str::trim);
    if let Some(problem) = new_password.and_then(password_problem) {
        return Ok(Outcome::WeakPassword(problem));
    }
    let Some(user) = find(db, app_id, who).await? else {
        return Ok(Outcome::UnknownUser);
    };
    let hash = match new_password {
        Some(password) => Some(passwords.hash(password.to_string()).await?),
        None => None,
    };
    let updated: sqlx::Result<()> = in_write_transaction!(db, tx => async {
        if let Some(email) = &new_email {
            sqlx::query("UPDATE dashboard_users SET email = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(&user.user_id)
                .bind(email)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(hash) = &hash {
            sqlx::query("UPDATE dashboard_users SET password_hash = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(&user.user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM dashboard_sessions WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(&user.user_id)
            .execute(&mut *tx)
            .await?;
        Ok::<(), sqlx::Error>(())
    });
    match updated {
        Ok(()) => Ok(find(db, app_id, &Who::UserId(user.user_id))
            .await?
            .map_or(Outcome::UnknownUser, Outcome::Ok)),
        Err(error) if is_unique_violation(&error) => Ok(Outcome::EmailExists),
        Err(error) => Err(error.into()),
    }
}

/// Deletes a user (its sessions go with it); whether it existed.
pub async fn delete(db: &Db, app_id: &str, who: &Who) -> anyhow::Result<bool> {
    let Some(user) = find(db, app_id, who).await? else {
        return Ok(false);
    };
    Ok(with_pool!(db, pool => {
        sqlx::query("DELETE FROM dashboard_users WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(&user.user_id)
            .execute(pool)
            .await?
            .rows_affected()
            > 0
    }))
}

/// The users who may use the dashboard, oldest first: all of them with a licence, the
/// three oldest without.
pub async fn list(db: &Db, app_id: &str, unlimited: bool) -> anyhow::Result<Vec<DashboardUser>> {
    let limit = if unlimited { i64::MAX } else { FREE_USERS };
    let rows: Vec<(String, String, i64)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT user_id, email, time_joined FROM dashboard_users WHERE app_id = $1 \
             ORDER BY time_joined, user_id LIMIT $2",
        )
        .bind(app_id)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(user_id, email, time_joined)| DashboardUser {
            user_id,
            email,
            time_joined,
        })
        .collect())
}

pub async fn find(db: &Db, app_id: &str, who: &Who) -> anyhow::Result<Option<DashboardUser>> {
    let (column, value) = match who {
        Who::UserId(user_id) => ("user_id", user_id.clone()),
        Who::Email(email) => ("email", normalise_email(email)),
    };
    let sql = format!("SELECT user_id, email, time_joined FROM dashboard_users WHERE app_id = $1 AND {column} = $2");
    let row: Option<(String, String, i64)> = with_pool!(db, pool => {
        sqlx::query_as(&sql).bind(app_id).bind(&value).fetch_optional(pool).await?
    });
    Ok(row.map(|(user_id, email, time_joined)| DashboardUser {
        user_id,
        email,
        time_joined,
    }))
}

/// Whether a user is past the free limit (not among the three oldest) without a licence.
pub async fn is_suspended(
    db: &Db,
    app_id: &str,
    user_id: &str,
    unlimited: bool,
) -> anyhow::Result<bool> {
    if unlimited {
        return Ok(false);
    }
    Ok(!list(db, app_id, false)
        .await?
        .iter()
        .any(|user| user.user_id == user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_as_upstream_does() {
        for valid in [
            "a@b.co",
            "a@b_c.co",
            "a@bxco",
            "a@b c.co",
            "a@-.co",
            "x@y@z.com",
            "a b@c.de",
            "a@1",
            "a@.",
            "first.last@sub.example.org",
        ] {
            assert!(is_valid_email(valid), "{valid}");
        }
        for invalid in [
            "a@b",
            "a@b.c",
            "a@ab",
            "a@x",
            "a@b.c1",
            "a@b..co",
            "a@.co",
            "a@b.co.",
            "invalidEmail",
            "a@b.co\n",
            "@b.co",
            "a@1.2.3.4",
        ] {
            assert!(!is_valid_email(invalid), "{invalid}");
        }
    }

    #[test]
    fn passwords_are_checked_as_upstream_does() {
        assert_eq!(
            password_problem("abc1"),
            Some("Password must contain at least 8 characters, including a number")
        );
        assert_eq!(
            password_problem(&"a1".repeat(50)),
            Some("Password's length must be lesser than 100 characters")
        );
        assert_eq!(
            password_problem("12345678"),
            Some("Password must contain at least one alphabet")
        );
        assert_eq!(
            password_problem("abcdefgh"),
            Some("Password must contain at least one number")
        );
        assert_eq!(password_problem("abcdefg1"), None);
    }
}
