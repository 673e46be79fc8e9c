//! Making primary users, linking and unlinking, each in one transaction that first locks the
//! rows of every user it reads (in id order, so that concurrent changes wait for each other
//! instead of deadlocking). A check runs the same transaction and rolls it back, so that it
//! answers exactly what the change would do.

use crate::db::{now_millis, BeginWrite, Db};
use crate::error::ApiError;
use crate::recipes::core::primary_accounts::{self, AccountConflict};
use crate::{reserve_primary_accounts, with_pool};

/// Whether a transaction's changes are kept (the change) or rolled back (its check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Change,
}

pub enum MakePrimary {
    Made,
    WasAlreadyPrimary,
    /// The login method belongs to this other primary user.
    LinkedTo(String),
    Conflict(AccountConflict),
    UnknownUser,
}

pub enum Link {
    Linked,
    WereAlreadyLinked,
    /// The login method is, or belongs to, this other primary user.
    LinkedElsewhere(String),
    NotPrimary,
    Conflict(AccountConflict),
    UnknownUser,
}

pub enum Unlink {
    WasNotLinked,
    Unlinked,
    /// The primary user's own login method, with others linked to it: deleted, the others
    /// keep the primary user's id.
    Deleted,
    UnknownUser,
}

/// A user's row: (user id, primary user id, linked or primary, time joined, deleted: see
/// `RETIRE_LOGIN_METHOD`).
type Row = (String, String, bool, i64, bool);

/// The primary id of `user_id`'s group.
const GROUP_OF: &str = "SELECT primary_user_id FROM users WHERE app_id = $1 AND user_id = $2";

fn lock_sql(db: &Db) -> String {
    format!(
        "SELECT user_id, primary_user_id, is_primary, time_joined, deleted FROM users \
         WHERE app_id = $1 AND (user_id IN ($2, $3) OR primary_user_id IN ($2, $3)) \
         ORDER BY user_id{}",
        db.for_update()
    )
}

/// Makes a login method a primary user (its accounts then may not be another primary
/// user's in its tenants).
pub async fn make_primary(
    db: &Db,
    app_id: &str,
    user_id: &str,
    mode: Mode,
) -> Result<MakePrimary, ApiError> {
    let lock = lock_sql(db);
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let rows: Vec<Row> = sqlx::query_as(&lock).bind(app_id).bind(user_id).bind(user_id).fetch_all(&mut *tx).await?;
        let own = rows.iter().find(|row| row.0 == user_id);
        let outcome = match own {
            None => MakePrimary::UnknownUser,
            Some((_, primary, _, _, _)) if primary != user_id => MakePrimary::LinkedTo(primary.clone()),
            // A primary user, or one whose own login method was deleted: a primary user still.
            Some((_, _, true, _, _)) => MakePrimary::WasAlreadyPrimary,
            Some(_) => {
                sqlx::query("UPDATE users SET is_primary = TRUE WHERE app_id = $1 AND user_id = $2")
                    .bind(app_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                match reserve_primary_accounts!(tx, app_id, user_id).await? {
                    Some(conflict) => MakePrimary::Conflict(conflict),
                    None => MakePrimary::Made,
                }
            }
        };
        if mode == Mode::Change && matches!(outcome, MakePrimary::Made) {
            tx.commit().await?;
        }
        outcome
    }))
}

/// Links login method `user_id` to the group of `primary_id` (the primary user's id, or the
/// id of any login method linked to it).
pub async fn link(
    db: &Db,
    app_id: &str,
    user_id: &str,
    primary_id: &str,
    mode: Mode,
) -> Result<Link, ApiError> {
    let lock = lock_sql(db);
    Ok(with_pool!(db, pool => {
        let group: Option<String> = sqlx::query_scalar(GROUP_OF).bind(app_id).bind(primary_id).fetch_optional(pool).await?;
        let Some(group) = group else {
            return Ok(Link::UnknownUser);
        };
        let mut tx = pool.begin_write().await?;
        // The login method, the primary user's group (also when `primary_id` is a member).
        let rows: Vec<Row> = sqlx::query_as(&lock).bind(app_id).bind(user_id).bind(&group).fetch_all(&mut *tx).await?;
        let Some((_, current_group, linked, _, false)) = rows.iter().find(|row| row.0 == user_id).cloned() else {
            return Ok(Link::UnknownUser);
        };
        let group_is_primary = rows.iter().any(|row| row.1 == group && row.2);
        let outcome = if !group_is_primary {
            Link::NotPrimary
        } else if current_group == group {
            Link::WereAlreadyLinked
        } else if linked {
            Link::LinkedElsewhere(current_group)
        } else {
            sqlx::query("UPDATE users SET primary_user_id = $3, is_primary = TRUE WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .bind(&group)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE user_tenants SET primary_user_id = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .bind(&group)
                .execute(&mut *tx)
                .await?;
            sqlx::query(primary_accounts::REFRESH_GROUP_TIME).bind(app_id).bind(&group).execute(&mut *tx).await?;
            match reserve_primary_accounts!(tx, app_id, &group).await? {
                Some(conflict) => Link::Conflict(conflict),
                None => Link::Linked,
            }
        };
        if mode == Mode::Change && matches!(outcome, Link::Linked) {
            // The primary user is the one active now.
            sqlx::query("DELETE FROM user_last_active WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO user_last_active (app_id, user_id, last_active_time) VALUES ($1, $2, $3) \
                 ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = excluded.last_active_time",
            )
            .bind(app_id)
            .bind(&group)
            .bind(now_millis())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        outcome
    }))
}

/// Takes a login method out of its primary user's group. The primary user's own login method
/// is deleted instead when others are linked to it (two users cannot share one id; they keep
/// its id and data); a primary user without others stops being one.
pub async fn unlink(
    db: &Db,
    app_id: &str,
    user_id: &str,
    login_method_removal: &[&'static str],
) -> Result<Unlink, ApiError> {
    let lock = lock_sql(db);
    Ok(with_pool!(db, pool => {
        let group: Option<String> = sqlx::query_scalar(GROUP_OF).bind(app_id).bind(user_id).fetch_optional(pool).await?;
        let Some(group) = group else {
            return Ok(Unlink::UnknownUser);
        };
        let mut tx = pool.begin_write().await?;
        let rows: Vec<Row> = sqlx::query_as(&lock).bind(app_id).bind(user_id).bind(&group).fetch_all(&mut *tx).await?;
        let Some((_, current_group, linked, time_joined, false)) = rows.iter().find(|row| row.0 == user_id).cloned() else {
            return Ok(Unlink::UnknownUser);
        };
        let members = rows.iter().filter(|row| row.1 == current_group && !row.4).count();
        let outcome = if !linked {
            Unlink::WasNotLinked
        } else if current_group != user_id {
            sqlx::query("UPDATE users SET primary_user_id = $2, is_primary = FALSE WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE user_tenants SET primary_user_id = $2, primary_time_joined = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .bind(time_joined)
                .execute(&mut *tx)
                .await?;
            Unlink::Unlinked
        } else if members == 1 {
            sqlx::query("UPDATE users SET is_primary = FALSE WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            Unlink::Unlinked
        } else {
            for statement in primary_accounts::RETIRE_LOGIN_METHOD.iter().chain(login_method_removal) {
                sqlx::query(statement).bind(app_id).bind(user_id).execute(&mut *tx).await?;
            }
            Unlink::Deleted
        };
        if !matches!(outcome, Unlink::WasNotLinked) {
            sqlx::query(primary_accounts::REFRESH_GROUP_TIME).bind(app_id).bind(&current_group).execute(&mut *tx).await?;
            // Only shrinks the group's pairs: it cannot clash.
            reserve_primary_accounts!(tx, app_id, &current_group).await?;
            tx.commit().await?;
        }
        outcome
    }))
}
