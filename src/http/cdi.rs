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

/// The versions whose answers gatehouse gives, oldest first. Only versions the SDK tests
/// prove are listed: an SDK that needs another one is told so at start-up instead of
/// misreading an answer later.
pub const SUPPORTED_CDI_VERSIONS: &[CdiVersion] = &[CdiVersion::new(5, 4)];

impl CdiVersion {
    pub const LATEST: CdiVersion = SUPPORTED_CDI_VERSIONS[SUPPORTED_CDI_VERSIONS.len() - 1];

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
