//! The rule that keeps linked accounts apart: no two primary users hold the same email, phone
//! number or provider account in a tenant they both belong to. A primary user's group reserves
//! every (tenant of the group, account of the group) pair in `primary_user_accounts`, whose
//! primary key refuses a second owner; every change to a group (making it primary, linking,
//! unlinking, a changed email or phone number, a tenant joined or left) rebuilds its pairs
//! inside the change's transaction with [`reserve_primary_accounts!`], which reports a clash
//! so that the caller rolls back.

use crate::db::Db;
use crate::error::ApiError;
use crate::with_pool;

/// What kind of account two primary users would share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Email,
    PhoneNumber,
    ThirdParty,
}

/// An account of the group that another primary user holds in one of the group's tenants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConflict {
    pub kind: AccountKind,
    /// Gatehouse's id of the other primary user.
    pub primary_user_id: String,
}

impl AccountConflict {
    /// From a row of [`FIND_CONFLICT`].
    pub fn from_row((account_type, primary_user_id): (String, String)) -> Self {
        let kind = [AccountKind::Email, AccountKind::PhoneNumber]
            .into_iter()
            .find(|kind| kind.account_type() == account_type)
            .unwrap_or(AccountKind::ThirdParty);
        Self {
            kind,
            primary_user_id,
        }
    }

    /// Upstream's description in the account-linking answers.
    pub fn description(&self) -> &'static str {
        match self.kind {
            AccountKind::Email => "This user's email is already associated with another user ID",
            AccountKind::PhoneNumber => {
                "This user's phone number is already associated with another user ID"
            }
            AccountKind::ThirdParty => {
                "This user's third party login is already associated with another user ID"
            }
        }
    }

    /// Upstream's reason when adding the group to a tenant would make the clash.
    pub fn association_reason(&self) -> String {
        let what = match self.kind {
            AccountKind::Email => "email",
            AccountKind::PhoneNumber => "phone number",
            AccountKind::ThirdParty => "third party info",
        };
        format!(
            "Another primary user with {what} already exists: {}",
            self.primary_user_id
        )
    }
}

impl AccountKind {
    fn account_type(self) -> &'static str {
        match self {
            AccountKind::Email => "email",
            AccountKind::PhoneNumber => "phone",
            AccountKind::ThirdParty => "tparty",
        }
    }
}

/// Whether another primary user holds `value` (an email or a phone number) in a tenant of the
/// primary group `group`: the check upstream makes before a linked user's email or phone
/// number changes (the rebuild in the change's transaction still guards against races).
pub async fn held_by_another(
    db: &Db,
    app_id: &str,
    group: &str,
    kind: AccountKind,
    value: &str,
) -> Result<bool, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar::<_, i32>(
            "SELECT 1 FROM primary_user_accounts WHERE app_id = $1 AND primary_user_id <> $2 \
             AND account_type = $3 AND account_value = $4 AND tenant_id IN \
               (SELECT tenant_id FROM user_tenants WHERE app_id = $1 AND primary_user_id = $2) LIMIT 1",
        )
        .bind(app_id)
        .bind(group)
        .bind(kind.account_type())
        .bind(value)
        .fetch_optional(pool)
        .await?
        .is_some()
    }))
}

/// The (tenant, account) pairs of the primary group `$2` of app `$1`: every tenant of its
/// login methods with every account of them. Empty for a group that is not primary.
const GROUP_PAIRS: &str = "WITH accounts (account_type, account_value) AS ( \
       SELECT 'email', email FROM users \
         WHERE app_id = $1 AND primary_user_id = $2 AND is_primary AND email IS NOT NULL \
       UNION SELECT 'phone', phone_number FROM users \
         WHERE app_id = $1 AND primary_user_id = $2 AND is_primary AND phone_number IS NOT NULL \
       UNION SELECT 'tparty', third_party_id || '::' || third_party_user_id FROM users \
         WHERE app_id = $1 AND primary_user_id = $2 AND is_primary AND third_party_id IS NOT NULL), \
     group_tenants (tenant_id) AS ( \
       SELECT DISTINCT tenant_id FROM user_tenants WHERE app_id = $1 AND primary_user_id = $2), \
     pairs AS (SELECT group_tenants.tenant_id, accounts.account_type, accounts.account_value \
       FROM group_tenants CROSS JOIN accounts) ";

/// After a login method joined or left group `$2` of app `$1`: the group's time joined (its
/// earliest login method's), which listings sort by.
pub const REFRESH_GROUP_TIME: &str = "UPDATE user_tenants SET primary_time_joined = \
       (SELECT MIN(time_joined) FROM users WHERE app_id = $1 AND primary_user_id = $2 AND NOT deleted) \
     WHERE app_id = $1 AND primary_user_id = $2";

/// Retires the primary user's own login method `$2` of app `$1` while others stay linked to
/// its id: the row stays (see the `deleted` column), without accounts or tenants. Recipes'
/// sign-in data goes with `AppState::login_method_removal_statements`.
pub const RETIRE_LOGIN_METHOD: [&str; 2] = [
    "UPDATE users SET deleted = TRUE, email = NULL, phone_number = NULL, third_party_id = NULL, \
     third_party_user_id = NULL WHERE app_id = $1 AND user_id = $2",
    "DELETE FROM user_tenants WHERE app_id = $1 AND user_id = $2",
];

pub const DELETE_PAIRS: &str =
    "DELETE FROM primary_user_accounts WHERE app_id = $1 AND primary_user_id = $2";

/// Inserts the group's pairs; pairs another primary user holds are left to it (and found by
/// [`FIND_CONFLICT`]). The `WHERE` keeps SQLite from reading `ON CONFLICT` as a join clause.
pub fn insert_pairs_sql() -> String {
    format!(
        "{GROUP_PAIRS}INSERT INTO primary_user_accounts \
         (app_id, tenant_id, account_type, account_value, primary_user_id) \
         SELECT $1, tenant_id, account_type, account_value, $2 FROM pairs WHERE TRUE \
         ON CONFLICT DO NOTHING"
    )
}

/// The first pair of the group another primary user holds, emails first, then phone numbers.
pub fn find_conflict_sql() -> String {
    format!(
        "{GROUP_PAIRS}SELECT p.account_type, p.primary_user_id FROM pairs \
         JOIN primary_user_accounts p ON p.app_id = $1 AND p.tenant_id = pairs.tenant_id \
           AND p.account_type = pairs.account_type AND p.account_value = pairs.account_value \
         WHERE p.primary_user_id <> $2 \
         ORDER BY CASE p.account_type WHEN 'email' THEN 0 WHEN 'phone' THEN 1 ELSE 2 END LIMIT 1"
    )
}

/// Rebuilds the pairs of the group `$primary_id` of app `$app_id` inside the caller's
/// transaction `$tx` (either backend; a macro for the reason `insert_login_method!` is one).
/// Evaluates to `Some(conflict)` when another primary user holds one of them: the caller must
/// then roll back.
#[macro_export]
macro_rules! reserve_primary_accounts {
    ($tx:expr, $app_id:expr, $primary_id:expr) => {
        async {
            use $crate::recipes::core::primary_accounts as accounts;
            let (app_id, primary_id): (&str, &str) = ($app_id, $primary_id);
            sqlx::query(accounts::DELETE_PAIRS)
                .bind(app_id)
                .bind(primary_id)
                .execute(&mut *$tx)
                .await?;
            sqlx::query(&accounts::insert_pairs_sql())
                .bind(app_id)
                .bind(primary_id)
                .execute(&mut *$tx)
                .await?;
            let conflict: Option<(String, String)> = sqlx::query_as(&accounts::find_conflict_sql())
                .bind(app_id)
                .bind(primary_id)
                .fetch_optional(&mut *$tx)
                .await?;
            Ok::<_, sqlx::Error>(conflict.map(accounts::AccountConflict::from_row))
        }
    };
}
