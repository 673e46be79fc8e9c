//! How long a stored value may be: the sizes of the storage's text columns, and which request
//! fields land in them. Every string read from a request body or query passes through
//! [`check_stored_field`] (see `http::input`), so no client value reaches a column it does not
//! fit, on either database.

/// Ids of apps and tenants (`app_id`, `tenant_id`), as upstream's columns.
pub const MAX_TENANT_ID_CHARS: usize = 64;
/// User ids (`user_id`, `primary_user_id`), as upstream's columns.
pub const MAX_USER_ID_CHARS: usize = 128;
/// Emails, as upstream's columns.
pub const MAX_EMAIL_CHARS: usize = 256;
/// Role and permission names, as upstream's columns.
pub const MAX_ROLE_CHARS: usize = 255;
/// Imported password hashes.
pub const MAX_PASSWORD_HASH_CHARS: usize = 256;
/// Third-party provider ids and the user ids they give, as upstream's columns.
pub const MAX_THIRD_PARTY_ID_CHARS: usize = 28;
pub const MAX_THIRD_PARTY_USER_ID_CHARS: usize = 256;
/// Factor ids (login methods and second factors), as upstream's columns.
pub const MAX_FACTOR_ID_CHARS: usize = 128;
/// TOTP device names, as upstream's column.
pub const MAX_DEVICE_NAME_CHARS: usize = 256;
/// Phone numbers, as upstream's columns.
pub const MAX_PHONE_NUMBER_CHARS: usize = 256;

/// Request fields whose values are stored, with the size of the column each lands in.
const STORED_FIELDS: &[(&str, usize)] = &[
    ("appId", MAX_TENANT_ID_CHARS),
    ("tenantId", MAX_TENANT_ID_CHARS),
    ("userId", MAX_USER_ID_CHARS),
    ("recipeUserId", MAX_USER_ID_CHARS),
    ("superTokensUserId", MAX_USER_ID_CHARS),
    ("externalUserId", MAX_USER_ID_CHARS),
    ("email", MAX_EMAIL_CHARS),
    ("newEmail", MAX_EMAIL_CHARS),
    ("role", MAX_ROLE_CHARS),
    ("permission", MAX_ROLE_CHARS),
    ("permissions", MAX_ROLE_CHARS),
    ("passwordHash", MAX_PASSWORD_HASH_CHARS),
    ("thirdPartyId", MAX_THIRD_PARTY_ID_CHARS),
    ("thirdPartyUserId", MAX_THIRD_PARTY_USER_ID_CHARS),
    ("firstFactors", MAX_FACTOR_ID_CHARS),
    ("requiredSecondaryFactors", MAX_FACTOR_ID_CHARS),
    ("deviceName", MAX_DEVICE_NAME_CHARS),
    ("existingDeviceName", MAX_DEVICE_NAME_CHARS),
    ("newDeviceName", MAX_DEVICE_NAME_CHARS),
    ("phoneNumber", MAX_PHONE_NUMBER_CHARS),
];

/// Why a request value cannot be stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Unstorable {
    /// PostgreSQL text cannot hold U+0000 (SQLite can): refused on both, so both agree.
    Nul,
    TooLong(usize),
}

/// Checks one string value of the request field `field`.
pub fn check_stored_field(field: &str, value: &str) -> Result<(), Unstorable> {
    if value.contains('\0') {
        return Err(Unstorable::Nul);
    }
    let Some(&(_, max)) = STORED_FIELDS.iter().find(|(name, _)| *name == field) else {
        return Ok(());
    };
    // Emails are stored lower-cased, and lower-casing can lengthen a non-ASCII string.
    let fits = value.chars().count() <= max
        && (value.is_ascii() || value.to_lowercase().chars().count() <= max);
    if fits {
        Ok(())
    } else {
        Err(Unstorable::TooLong(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which request fields fill each text column of limited size. A new `VARCHAR` column
    /// fails this test until it is listed here: either with the request fields stored in it
    /// (each limited to at most the column's size) or as written only from values gatehouse
    /// makes itself.
    const COLUMNS: &[(&str, &[&str])] = &[
        ("app_id", &["appId"]),
        ("tenant_id", &["tenantId"]),
        ("user_id", &["userId", "recipeUserId"]),
        ("primary_user_id", &["userId", "recipeUserId"]),
        ("email", &["email", "newEmail"]),
        ("role", &["role"]),
        ("permission", &["permission", "permissions"]),
        ("password_hash", &["passwordHash"]),
        ("supertokens_user_id", &["superTokensUserId"]),
        ("external_user_id", &["externalUserId"]),
        ("third_party_id", &["thirdPartyId"]),
        ("third_party_user_id", &["thirdPartyUserId"]),
        (
            "device_name",
            &["deviceName", "existingDeviceName", "newDeviceName"],
        ),
        // Phone numbers are stored normalised, which never lengthens them.
        ("phone_number", &["phoneNumber"]),
        // Derived from a checked email.
        ("email_domain", &[]),
        // TOTP codes: longer ones are refused before anything is stored (upstream's rule).
        ("code", &[]),
        // Gatehouse's own values: recipe names, key ids, session handles, secret names.
        ("recipe_id", &[]),
        ("key_id", &[]),
        ("session_handle", &[]),
        // A primary user's accounts, copied from its login methods' checked ones.
        ("account_type", &[]),
        ("account_value", &[]),
        // Passwordless devices and codes: hashes, salts and ids gatehouse makes.
        ("device_id_hash", &[]),
        ("link_code_salt", &[]),
        ("link_code_hash", &[]),
        ("code_id", &[]),
        ("name", &[]),
    ];

    fn varchar_columns() -> Vec<(String, usize, String)> {
        let mut found = Vec::new();
        for backend in ["postgres", "sqlite"] {
            let folder = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                let sql = std::fs::read_to_string(&path).unwrap();
                for line in sql.lines() {
                    // `name VARCHAR(n)` in a CREATE TABLE or after ALTER TABLE ... ADD COLUMN.
                    let words: Vec<&str> = line.split_whitespace().collect();
                    for pair in words.windows(2) {
                        let Some(size) = pair[1]
                            .to_ascii_uppercase()
                            .strip_prefix("VARCHAR(")
                            .and_then(|rest| rest.split(')').next()?.parse::<usize>().ok())
                        else {
                            continue;
                        };
                        found.push((pair[0].to_string(), size, path.display().to_string()));
                    }
                }
            }
        }
        assert!(found.len() > 20, "the migrations were not read");
        found
    }

    #[test]
    fn every_limited_column_is_guarded_by_its_fields_limits() {
        for (column, size, file) in varchar_columns() {
            let Some((_, fields)) = COLUMNS.iter().find(|(name, _)| *name == column) else {
                panic!("{file}: column {column} VARCHAR({size}) is not listed in db::limits");
            };
            for field in *fields {
                let limit = STORED_FIELDS
                    .iter()
                    .find(|(name, _)| name == field)
                    .map(|(_, max)| *max);
                assert!(
                    limit.is_some_and(|max| max <= size),
                    "{file}: {field} is stored in {column} VARCHAR({size}) but limited to {limit:?}"
                );
            }
        }
    }

    #[test]
    fn refuses_nul_in_any_field_and_long_values_in_stored_ones() {
        assert_eq!(check_stored_field("password", "a\0b"), Err(Unstorable::Nul));
        assert_eq!(check_stored_field("userId", "\0"), Err(Unstorable::Nul));
        assert_eq!(check_stored_field("userId", &"u".repeat(128)), Ok(()));
        assert_eq!(
            check_stored_field("userId", &"u".repeat(129)),
            Err(Unstorable::TooLong(128))
        );
        assert_eq!(check_stored_field("password", &"p".repeat(10_000)), Ok(()));
        // 'İ' lower-cases to two characters.
        assert_eq!(
            check_stored_field("email", &"İ".repeat(200)),
            Err(Unstorable::TooLong(256))
        );
    }
}
