//! Compact signed tokens: `base64url(json claims).base64url(HMAC-SHA256)`.
//!
//! Used for the gateway's bearer tokens, which the gateway alone signs and
//! reads (internal calls between parts are signed with Ed25519 instead: see
//! [`crate::internal_auth`]). Claims carry their own expiry; verification
//! checks the signature in constant time before the claims are parsed.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

/// Claims that expire.
pub trait Expiring {
    /// Expiry as seconds since the Unix epoch.
    fn expires_at(&self) -> i64;
}

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Signs `claims` with `key`.
pub fn sign<T: Serialize>(key: &[u8], claims: &T) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let mut m = mac(key);
    m.update(payload.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// Verifies the signature and expiry of `token` and returns its claims.
pub fn verify<T: DeserializeOwned + Expiring>(key: &[u8], token: &str, now: i64) -> Result<T, TokenError> {
    let (payload, sig) = token.split_once('.').ok_or(TokenError::Malformed)?;
    if token.len() > 8192 {
        return Err(TokenError::Malformed);
    }
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Malformed)?;
    let mut m = mac(key);
    m.update(payload.as_bytes());
    m.verify_slice(&sig).map_err(|_| TokenError::BadSignature)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
    let claims: T = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    if claims.expires_at() <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        sub: String,
        exp: i64,
    }
    impl Expiring for Claims {
        fn expires_at(&self) -> i64 {
            self.exp
        }
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip() {
        let c = Claims {
            sub: "u1".into(),
            exp: 200,
        };
        let t = sign(KEY, &c);
        assert_eq!(verify::<Claims>(KEY, &t, 100).unwrap(), c);
    }

    #[test]
    fn expired_forged_and_malformed_are_refused() {
        let t = sign(
            KEY,
            &Claims {
                sub: "u1".into(),
                exp: 200,
            },
        );
        assert_eq!(verify::<Claims>(KEY, &t, 200).unwrap_err(), TokenError::Expired);
        assert_eq!(
            verify::<Claims>(b"another key another key another k", &t, 100).unwrap_err(),
            TokenError::BadSignature
        );
        // Swap in other claims under the old signature.
        let (_, sig) = t.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","exp":999}"#);
        let forged = format!("{forged_payload}.{sig}");
        assert_eq!(
            verify::<Claims>(KEY, &forged, 100).unwrap_err(),
            TokenError::BadSignature
        );
        assert_eq!(
            verify::<Claims>(KEY, "garbage", 100).unwrap_err(),
            TokenError::Malformed
        );
        assert_eq!(verify::<Claims>(KEY, "a.!!!", 100).unwrap_err(), TokenError::Malformed);
    }
}
