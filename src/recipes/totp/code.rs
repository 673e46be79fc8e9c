//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, six digits) and
//! the base32 text form of their secrets (RFC 4648), as authenticator apps read them.

use ring::hmac;
use subtle::ConstantTimeEq;

/// Digits of a code.
const DIGITS: u32 = 6;
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The code of `secret` for the time step holding `unix_seconds`, with steps of `period`
/// seconds.
pub fn code_at(secret: &[u8], period: u64, unix_seconds: u64) -> String {
    hotp(secret, unix_seconds / period.max(1))
}

/// Whether `code` is the code of a step within `skew` steps of `unix_seconds`.
pub fn matches(secret: &[u8], period: u64, skew: u64, unix_seconds: u64, code: &str) -> bool {
    let step = unix_seconds / period.max(1);
    let first = step.saturating_sub(skew);
    (first..=step.saturating_add(skew)).any(|candidate| {
        let expected = hotp(secret, candidate);
        // Compared in constant time: the code is a secret until used.
        bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
    })
}

/// RFC 4226: HMAC-SHA1 of the big-endian counter, dynamically truncated.
fn hotp(secret: &[u8], counter: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let digest = hmac::sign(&key, &counter.to_be_bytes());
    let bytes = digest.as_ref();
    let offset = usize::from(bytes[bytes.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([
        bytes[offset] & 0x7f,
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ]);
    format!(
        "{:0width$}",
        truncated % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// Base32 without padding (a 20-byte secret is exactly 32 characters).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u64, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u64::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(BASE32_ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        text.push(BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    text
}

/// Base32 in either case, padding and spaces ignored; `None` for any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u64, 0u32);
    for character in text.bytes().filter(|c| !matches!(c, b'=' | b' ')) {
        let value = BASE32_ALPHABET
            .iter()
            .position(|&a| a == character.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed, 30-second steps, the six low digits of its
    /// eight-digit values.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, 30, time), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn codes_match_within_the_skew_only() {
        let secret = b"12345678901234567890";
        let code = code_at(secret, 30, 1_111_111_109);
        assert!(matches(secret, 30, 0, 1_111_111_109, &code));
        assert!(matches(secret, 30, 1, 1_111_111_109 + 30, &code));
        assert!(!matches(secret, 30, 0, 1_111_111_109 + 30, &code));
        assert!(!matches(secret, 30, 1, 1_111_111_109 + 60, &code));
        assert!(!matches(secret, 30, 1, 1_111_111_109, "12345"));
    }

    #[test]
    fn base32_round_trips_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZ1W"), None);
    }
}
