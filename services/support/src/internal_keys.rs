//! The keys of internal trust: each part's private Ed25519 signing key and
//! the public keys it trusts, each bound to the one issuer (part) that holds
//! its private half.
//!
//! Text forms, as the configuration and `roundabout keys` write them:
//!
//! - a signing key: `<kid>:<seed>`, the seed being the 32-byte Ed25519
//!   private key in unpadded base64url (`INTERNAL_SIGNING_KEY`);
//! - a trusted key: `<kid>=<issuer>:<public key>`, the public key's 32
//!   bytes in unpadded base64url; a list of them, separated by commas,
//!   spaces or line breaks (`INTERNAL_TRUSTED_KEYS`).
//!
//! Key ids (`kid`) travel in every token so a verifier picks the key (and
//! so the issuer) before it checks the signature; during a rotation an
//! issuer has two trusted keys, the old and the new.

use std::{collections::HashMap, fmt, sync::Arc};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ring::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::config::{self, ConfigError};

/// The environment variable holding this part's private key.
pub const SIGNING_KEY_VAR: &str = "INTERNAL_SIGNING_KEY";
/// The environment variable listing the public keys this part trusts.
pub const TRUSTED_KEYS_VAR: &str = "INTERNAL_TRUSTED_KEYS";

/// Longest key id accepted: it is repeated in every token.
const MAX_KID_LEN: usize = 64;
/// Most trusted keys one part holds (five parts, each with two keys during
/// a rotation, fits many times over).
const MAX_TRUSTED_KEYS: usize = 64;

/// Why a key's text was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("expected <kid>:<private key>, got no ':'")]
    SigningKeyShape,
    #[error("expected <kid>=<issuer>:<public key>, got {0:?}")]
    TrustedKeyShape(String),
    #[error("the key id {0:?} is not 1–64 letters, digits, '.', '_' or '-'")]
    Kid(String),
    #[error("the issuer {0:?} is not 1–32 lowercase letters, digits or '-'")]
    Issuer(String),
    #[error("the key of {0:?} is not 32 bytes of unpadded base64url")]
    Encoding(String),
    #[error("the key id {0:?} is listed twice")]
    DuplicateKid(String),
    #[error("no key is listed")]
    Empty,
    #[error("more than {MAX_TRUSTED_KEYS} keys are listed")]
    TooMany,
    #[error("the system's random number generator failed")]
    Random,
}

fn check_kid(kid: &str) -> Result<(), KeyError> {
    let ok = !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(KeyError::Kid(kid.chars().take(MAX_KID_LEN + 1).collect()))
    }
}

/// True when `issuer` is a well-formed part name.
pub fn valid_issuer(issuer: &str) -> bool {
    !issuer.is_empty()
        && issuer.len() <= 32
        && issuer
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn decode_32(kid: &str, text: &str) -> Result<[u8; 32], KeyError> {
    URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| KeyError::Encoding(kid.to_string()))
}

/// This part's private key and its id. The private half never leaves it:
/// `Debug` shows the id alone.
#[derive(Clone)]
pub struct SigningKey {
    kid: Arc<str>,
    pair: Arc<Ed25519KeyPair>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key with this id and 32-byte seed.
    pub fn from_seed(kid: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| KeyError::Encoding(kid.to_string()))?;
        Ok(Self {
            kid: Arc::from(kid),
            pair: Arc::new(pair),
        })
    }

    /// Parses `<kid>:<seed>`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (kid, seed) = text.trim().split_once(':').ok_or(KeyError::SigningKeyShape)?;
        check_kid(kid)?;
        Self::from_seed(kid, &decode_32(kid, seed)?)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half's 32 bytes.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    /// This key as an entry of `INTERNAL_TRUSTED_KEYS` for `issuer`.
    pub fn trusted_entry(&self, issuer: &str) -> String {
        format!("{}={issuer}:{}", self.kid, URL_SAFE_NO_PAD.encode(self.public_key()))
    }

    /// The Ed25519 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> signature::Signature {
        self.pair.sign(message)
    }
}

/// A new random key pair: the private key's text (for
/// `INTERNAL_SIGNING_KEY`) and the key itself.
pub fn generate(kid: &str) -> Result<(String, SigningKey), KeyError> {
    use rand::RngCore;
    check_kid(kid)?;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|_| KeyError::Random)?;
    let key = SigningKey::from_seed(kid, &seed)?;
    let text = format!("{kid}:{}", URL_SAFE_NO_PAD.encode(seed));
    Ok((text, key))
}

/// A public key this part trusts, and the issuer it speaks for.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub issuer: Arc<str>,
    public: [u8; 32],
}

impl TrustedKey {
    /// Whether `signature` is this key's signature of `message`.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::ED25519, &self.public)
            .verify(message, signature)
            .is_ok()
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }
}

/// The public keys a part trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    by_kid: HashMap<String, TrustedKey>,
}

impl TrustedKeys {
    /// Parses a list of `<kid>=<issuer>:<public key>` separated by commas,
    /// spaces or line breaks.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut keys = Self::default();
        for entry in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let shape = || KeyError::TrustedKeyShape(entry.chars().take(80).collect());
            let (kid, rest) = entry.split_once('=').ok_or_else(shape)?;
            let (issuer, public) = rest.split_once(':').ok_or_else(shape)?;
            check_kid(kid)?;
            if !valid_issuer(issuer) {
                return Err(KeyError::Issuer(issuer.chars().take(33).collect()));
            }
            keys.insert(kid, issuer, decode_32(kid, public)?)?;
        }
        if keys.by_kid.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(keys)
    }

    /// Adds `kid` as `issuer`'s public key.
    pub fn insert(&mut self, kid: &str, issuer: &str, public: [u8; 32]) -> Result<(), KeyError> {
        check_kid(kid)?;
        if !valid_issuer(issuer) {
            return Err(KeyError::Issuer(issuer.to_string()));
        }
        if self.by_kid.len() >= MAX_TRUSTED_KEYS {
            return Err(KeyError::TooMany);
        }
        if self.by_kid.contains_key(kid) {
            return Err(KeyError::DuplicateKid(kid.to_string()));
        }
        self.by_kid.insert(
            kid.to_string(),
            TrustedKey {
                issuer: Arc::from(issuer),
                public,
            },
        );
        Ok(())
    }

    /// The key with this id, if trusted.
    pub fn get(&self, kid: &str) -> Option<&TrustedKey> {
        self.by_kid.get(kid)
    }

    pub fn len(&self) -> usize {
        self.by_kid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_kid.is_empty()
    }
}

/// What a part reads at start: its own signing key and the keys it trusts.
#[derive(Debug, Clone)]
pub struct InternalKeys {
    pub signing: SigningKey,
    pub trusted: TrustedKeys,
}

impl InternalKeys {
    /// Reads `INTERNAL_SIGNING_KEY` and `INTERNAL_TRUSTED_KEYS` (each also
    /// from `…_FILE`); both must be set and well formed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(SIGNING_KEY_VAR, TRUSTED_KEYS_VAR)
    }

    fn from_vars(signing_var: &str, trusted_var: &str) -> Result<Self, ConfigError> {
        let signing = SigningKey::parse(&config::required(signing_var)?)
            .map_err(|e| ConfigError::new(signing_var, e.to_string()))?;
        let trusted = TrustedKeys::parse(&config::required(trusted_var)?)
            .map_err(|e| ConfigError::new(trusted_var, e.to_string()))?;
        Ok(Self { signing, trusted })
    }

    /// Refuses a signing key whose id the trusted list gives to another
    /// issuer or another public key: the other parts would refuse every
    /// call this part signs.
    pub fn check_for(&self, issuer: &str) -> Result<(), ConfigError> {
        if let Some(t) = self.trusted.get(self.signing.kid()) {
            if &*t.issuer != issuer || t.public != self.signing.public_key() {
                return Err(ConfigError::new(
                    SIGNING_KEY_VAR,
                    format!(
                        "its key id {:?} is trusted in {TRUSTED_KEYS_VAR} as another key (issuer {:?}); this part is {issuer:?}",
                        self.signing.kid(),
                        &*t.issuer
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_reads_back_and_its_entry_is_trusted() {
        let (text, key) = generate("gateway-1").unwrap();
        let again = SigningKey::parse(&text).unwrap();
        assert_eq!(again.kid(), "gateway-1");
        assert_eq!(again.public_key(), key.public_key());
        let trusted = TrustedKeys::parse(&key.trusted_entry("gateway")).unwrap();
        let t = trusted.get("gateway-1").unwrap();
        assert_eq!(&*t.issuer, "gateway");
        let sig = again.sign(b"hello");
        assert!(t.verifies(b"hello", sig.as_ref()));
        assert!(!t.verifies(b"hellO", sig.as_ref()));
    }

    #[test]
    fn malformed_keys_are_refused_with_the_reason() {
        assert_eq!(SigningKey::parse("no-colon").unwrap_err(), KeyError::SigningKeyShape);
        assert!(matches!(
            SigningKey::parse("k:short").unwrap_err(),
            KeyError::Encoding(_)
        ));
        assert!(matches!(
            SigningKey::parse("bad kid:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap_err(),
            KeyError::Kid(_)
        ));
        assert_eq!(TrustedKeys::parse(" , \n").unwrap_err(), KeyError::Empty);
        assert!(matches!(
            TrustedKeys::parse("k1:gateway").unwrap_err(),
            KeyError::TrustedKeyShape(_)
        ));
        let (_, a) = generate("a").unwrap();
        let entry = a.trusted_entry("Gateway");
        assert!(matches!(TrustedKeys::parse(&entry).unwrap_err(), KeyError::Issuer(_)));
        let twice = format!("{},{}", a.trusted_entry("gateway"), a.trusted_entry("bookings"));
        assert_eq!(
            TrustedKeys::parse(&twice).unwrap_err(),
            KeyError::DuplicateKid("a".into())
        );
    }

    #[test]
    fn a_list_may_be_split_by_commas_spaces_and_lines() {
        let (_, a) = generate("a").unwrap();
        let (_, b) = generate("b").unwrap();
        let (_, c) = generate("c").unwrap();
        let text = format!(
            "{},{}\n  {}\n",
            a.trusted_entry("gateway"),
            b.trusted_entry("bookings"),
            c.trusted_entry("bookings")
        );
        let keys = TrustedKeys::parse(&text).unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(&*keys.get("c").unwrap().issuer, "bookings");
    }

    #[test]
    fn a_signing_key_trusted_as_another_issuers_is_a_config_error() {
        let (_, key) = generate("k").unwrap();
        let keys = InternalKeys {
            signing: key.clone(),
            trusted: TrustedKeys::parse(&key.trusted_entry("gateway")).unwrap(),
        };
        assert!(keys.check_for("gateway").is_ok());
        let err = keys.check_for("bookings").unwrap_err();
        assert_eq!(err.var, SIGNING_KEY_VAR);
        // The same id for a different public key.
        let (_, other) = generate("k").unwrap();
        let keys = InternalKeys {
            signing: other,
            trusted: TrustedKeys::parse(&key.trusted_entry("gateway")).unwrap(),
        };
        assert!(keys.check_for("gateway").is_err());
    }

    #[test]
    fn missing_or_malformed_variables_are_named() {
        // Names no other test or process uses.
        let (s, t) = ("ROUNDABOUT_TEST_SIGNING_KEY", "ROUNDABOUT_TEST_TRUSTED_KEYS");
        let err = InternalKeys::from_vars(s, t).unwrap_err();
        assert_eq!((err.var.as_str(), err.reason.as_str()), (s, "must be set"));
        let (text, key) = generate("k1").unwrap();
        std::env::set_var(s, "k1:not-a-key");
        let err = InternalKeys::from_vars(s, t).unwrap_err();
        assert_eq!(err.var, s);
        assert!(err.reason.contains("32 bytes"), "{}", err.reason);
        std::env::set_var(s, &text);
        assert_eq!(InternalKeys::from_vars(s, t).unwrap_err().var, t);
        std::env::set_var(t, "k1=gateway");
        let err = InternalKeys::from_vars(s, t).unwrap_err();
        assert_eq!(err.var, t);
        assert!(err.reason.contains("<kid>=<issuer>:<public key>"), "{}", err.reason);
        std::env::set_var(t, key.trusted_entry("gateway"));
        let keys = InternalKeys::from_vars(s, t).unwrap();
        assert_eq!(keys.signing.kid(), "k1");
        std::env::remove_var(s);
        std::env::remove_var(t);
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let (text, key) = generate("kid-1").unwrap();
        let seed = text.split_once(':').unwrap().1;
        let shown = format!("{key:?}");
        assert!(shown.contains("kid-1"));
        assert!(!shown.contains(seed));
    }
}
