//! The `cdi-version` header: which version of the core driver interface a client speaks.

use std::fmt;

use actix_web::HttpRequest;

use crate::error::ApiError;

/// A `major.minor` core driver interface version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CdiVersion {
    pub major: u32,
    pub minor: u32,
}

/// The versions whose answers gatehouse gives, oldest first: every version an SDK release
/// since multitenancy (node 15, python 0.15, golang 0.24) speaks. Each SDK picks the newest
/// version in both its list and this one. An SDK that needs another one is told so at
/// start-up instead of misreading an answer later.
pub const SUPPORTED_CDI_VERSIONS: &[CdiVersion] = &[
    CdiVersion::new(3, 0),
    CdiVersion::new(3, 1),
    CdiVersion::new(4, 0),
    CdiVersion::new(5, 0),
    CdiVersion::new(5, 1),
    CdiVersion::new(5, 2),
    CdiVersion::new(5, 3),
    CdiVersion::new(5, 4),
];

/// The access token formats gatehouse signs. Version 4 (CDI 3.x) names the tenant (`tId`);
/// version 5 (CDI 4.0 on) also names the login method (`rsub`). Version 3 tokens (no tenant)
/// are only read, for sessions that older cores issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessTokenVersion {
    V3,
    V4,
    V5,
}

/// Every rule that differs between versions is one of the methods below, named for what it
/// changes; handlers ask these instead of comparing numbers. `docs/http.md` has the table.
impl CdiVersion {
    pub const LATEST: CdiVersion = SUPPORTED_CDI_VERSIONS[SUPPORTED_CDI_VERSIONS.len() - 1];
    const ACCOUNT_LINKING: CdiVersion = CdiVersion::new(4, 0);
    const MULTI_FACTOR: CdiVersion = CdiVersion::new(5, 0);
    const FIRST_FACTORS_IN_SDK: CdiVersion = CdiVersion::new(5, 1);
    const WEBAUTHN: CdiVersion = CdiVersion::new(5, 3);

    /// From 4.0 a user has login methods (`loginMethods`, `isPrimaryUser`) and answers name
    /// the login method used (`recipeUserId`). Before, a user is the one login method of one
    /// recipe (`{id, email, timeJoined, tenantIds}`), sessions carry no `recipeUserId`,
    /// PUT /recipe/user takes `userId` and a password reset token is asked for without email.
    pub fn has_account_linking(self) -> bool {
        self >= Self::ACCOUNT_LINKING
    }

    /// The access token version that sessions created or refreshed at this version get.
    pub fn access_token_version(self) -> AccessTokenVersion {
        if self.has_account_linking() {
            AccessTokenVersion::V5
        } else {
            AccessTokenVersion::V4
        }
    }

    /// From 5.0 (multi-factor auth) a refresh must say which signing key to use; before, a
    /// refresh without `useDynamicSigningKey` keeps the session's key.
    pub fn refresh_must_name_signing_key(self) -> bool {
        self >= Self::MULTI_FACTOR
    }

    /// From 5.0 app-wide APIs refuse a tenant in the path (403); before, they ignore it.
    pub fn app_apis_only_from_public_tenant(self) -> bool {
        self >= Self::MULTI_FACTOR
    }

    /// From 5.0 the (v1) tenant answers show `firstFactors` and `requiredSecondaryFactors`.
    pub fn tenants_show_factors(self) -> bool {
        self >= Self::MULTI_FACTOR
    }

    /// From 5.0 refused TOTP codes come with the failed-attempt count and its limit.
    pub fn totp_shows_attempt_counts(self) -> bool {
        self >= Self::MULTI_FACTOR
    }

    /// From 5.0 a consumed passwordless code's answer describes its device
    /// (`consumedDevice`).
    pub fn passwordless_answers_consumed_device(self) -> bool {
        self >= Self::MULTI_FACTOR
    }

    /// From 5.0 POST /recipe/signinup/code/remove also removes a whole device, by
    /// `preAuthSessionId`; before, it takes a `codeId` only.
    pub fn passwordless_removes_codes_by_device(self) -> bool {
        self >= Self::MULTI_FACTOR
    }

    /// From 5.1 the SDKs decide from a tenant's first factors which login methods it allows,
    /// and the core answers every login recipe's APIs; before, the core refuses a recipe the
    /// tenant's factors leave out.
    pub fn sdk_enforces_first_factors(self) -> bool {
        self >= Self::FIRST_FACTORS_IN_SDK
    }

    /// From 5.3 user objects carry a `webauthn` entry.
    pub fn shows_webauthn(self) -> bool {
        self >= Self::WEBAUTHN
    }

    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The version a request asks for; the newest one when it names none. A version newer
    /// than ours is always refused; `exact` also refuses any version not in our list.
    pub fn from_request(http: &HttpRequest, exact: bool) -> Result<CdiVersion, ApiError> {
        let Some(header) = http.headers().get("cdi-version") else {
            return Ok(Self::LATEST);
        };
        let invalid = || ApiError::bad_request("cdi-version header is invalid");
        let text = header.to_str().map_err(|_| invalid())?;
        let version = Self::parse(text).ok_or_else(invalid)?;
        // Upstream matches the exact text, so "5" or "5.4.0" are not 5.4.
        let listed = SUPPORTED_CDI_VERSIONS
            .iter()
            .any(|known| known.to_string() == text);
        if version > Self::LATEST || (exact && !listed) {
            return Err(ApiError::bad_request(format!(
                "cdi-version {text} not supported"
            )));
        }
        Ok(if listed { version } else { Self::LATEST })
    }

    /// Parses `major[.minor[.patch...]]`; the parts after the minor version only need to be
    /// numbers.
    fn parse(text: &str) -> Option<CdiVersion> {
        let mut parts = text.split('.');
        let major = parts.next()?;
        let minor = parts.next().unwrap_or("0");
        let number = |part: &str| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        };
        let version = Self::new(number(major)?, number(minor)?);
        parts.all(|part| number(part).is_some()).then_some(version)
    }
}

impl fmt::Display for CdiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(CdiVersion::parse("5.4"), Some(CdiVersion::new(5, 4)));
        assert_eq!(CdiVersion::parse("2.10"), Some(CdiVersion::new(2, 10)));
        assert_eq!(CdiVersion::parse("5"), Some(CdiVersion::new(5, 0)));
        assert_eq!(CdiVersion::parse("5.x"), None);
        assert_eq!(CdiVersion::parse("a"), None);
        assert_eq!(CdiVersion::parse(""), None);
        assert_eq!(CdiVersion::parse("5.4.1"), Some(CdiVersion::new(5, 4)));
        assert_eq!(CdiVersion::parse("5.4."), None);
    }
}
