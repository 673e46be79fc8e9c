//! The secrets of a passwordless sign-in, in upstream's formats (the SDKs pass them back and
//! an import from upstream's database must keep working): a random device id held by the
//! browser, the pre-auth session id (the device id's hash, the only form stored), and per
//! code a link code derived from the device id, the device's salt and the user input code,
//! of which only the hash is stored.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::{Rng, RngCore};
use ring::hmac;
use sha2::{Digest, Sha256};

/// Encodes with `=` padding; decodes with or without it, as upstream's decoders do.
const PADDED: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(true)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const UNPADDED: GeneralPurposeConfig = PADDED.with_encode_padding(false);
/// Device ids and salts.
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, PADDED);
/// Pre-auth session ids and link codes.
const URL_SAFE_UNPADDED: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, UNPADDED);
/// Stored link code hashes.
const URL_SAFE_PADDED: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, PADDED);

const SECRET_BYTES: usize = 32;
/// Digits of a generated user input code.
const USER_INPUT_CODE_DIGITS: usize = 6;

/// A device id (or link code) that is not valid base64: upstream's 400.
#[derive(Debug, PartialEq, Eq)]
pub struct EncodingError;

fn random_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A device id as the browser holds it.
#[derive(Clone)]
pub struct DeviceId(Vec<u8>);

impl DeviceId {
    pub fn generate() -> Self {
        Self(random_secret())
    }

    pub fn decode(text: &str) -> Result<Self, EncodingError> {
        STANDARD.decode(text).map(Self).map_err(|_| EncodingError)
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// The pre-auth session id: the device id's SHA-256, which is how devices are stored.
    pub fn hash(&self) -> String {
        URL_SAFE_UNPADDED.encode(Sha256::digest(&self.0))
    }

    /// The link code of `user_input_code` on this device.
    pub fn link_code(&self, salt: &Salt, user_input_code: &str) -> LinkCode {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[self.0.as_slice(), &salt.0].concat());
        LinkCode(
            hmac::sign(&key, user_input_code.as_bytes())
                .as_ref()
                .to_vec(),
        )
    }
}

/// The per-device salt of its link codes.
#[derive(Clone)]
pub struct Salt(Vec<u8>);

impl Salt {
    pub fn generate() -> Self {
        Self(random_secret())
    }

    /// A stored salt; `None` if the row was damaged.
    pub fn decode(text: &str) -> Option<Self> {
        STANDARD.decode(text.trim()).ok().map(Self)
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(&self.0)
    }
}

/// The code of a magic link.
pub struct LinkCode(Vec<u8>);

impl LinkCode {
    pub fn decode(text: &str) -> Result<Self, EncodingError> {
        URL_SAFE_UNPADDED
            .decode(text)
            .map(Self)
            .map_err(|_| EncodingError)
    }

    pub fn encode(&self) -> String {
        URL_SAFE_UNPADDED.encode(&self.0)
    }

    /// What is stored of a link code.
    pub fn hash(&self) -> String {
        URL_SAFE_PADDED.encode(Sha256::digest(&self.0))
    }
}

/// A pre-auth session id as a client sends it to consume: upstream ignores any `=` in it.
pub fn unpadded(pre_auth_session_id: &str) -> String {
    pre_auth_session_id.replace('=', "")
}

/// A new user input code: six random digits.
pub fn random_user_input_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..USER_INPUT_CODE_DIGITS)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values computed independently (Python's hashlib, hmac and base64) from fixed bytes, so
    /// that a change of encoding or key layout cannot pass unnoticed.
    #[test]
    fn formats_match_upstreams() {
        let device = DeviceId((0u8..32).collect());
        let salt = Salt((32u8..64).collect());
        assert_eq!(
            device.encode(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        );
        assert_eq!(device.hash(), "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0");
        let link = device.link_code(&salt, "123456");
        assert_eq!(link.encode(), "GG0Ss4OqlRCeHdv7UHj5zeJmudmi8pXGJTZlfjEbW4Q");
        assert_eq!(link.hash(), "nDpoavHqv8vldu3TKssOJvqFyOknHBs1tz-eXK0LVps=");
    }

    #[test]
    fn decoding_accepts_either_padding_and_refuses_garbage() {
        let device = DeviceId::generate();
        let padded = device.encode();
        let bare = padded.trim_end_matches('=');
        assert_eq!(DeviceId::decode(bare).unwrap().hash(), device.hash());
        assert_eq!(DeviceId::decode(&padded).unwrap().hash(), device.hash());
        assert!(DeviceId::decode("not base64!").is_err());
        assert!(LinkCode::decode("a+b/").is_err());
        let salt = Salt::generate();
        assert_eq!(Salt::decode(&salt.encode()).unwrap().0, salt.0);
    }

    #[test]
    fn user_input_codes_are_six_digits() {
        for _ in 0..100 {
            let code = random_user_input_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
    }
}
