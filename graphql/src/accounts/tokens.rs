//! Bearer tokens: signed, expiring, naming the user.

use roundabout_support::token::{self, Expiring, TokenError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    typ: String,
}

impl Expiring for Claims {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// Issues and checks bearer tokens.
#[derive(Clone)]
pub struct TokenIssuer {
    key: std::sync::Arc<[u8]>,
    ttl_secs: i64,
}

impl TokenIssuer {
    pub fn new(key: &[u8], ttl_secs: i64) -> Self {
        Self {
            key: key.into(),
            ttl_secs,
        }
    }

    pub fn issue(&self, user_id: Uuid) -> String {
        let now = token::now();
        token::sign(
            &self.key,
            &Claims {
                sub: user_id,
                iat: now,
                exp: now + self.ttl_secs,
                typ: "access".into(),
            },
        )
    }

    /// The user a valid token names.
    pub fn verify(&self, raw: &str) -> Result<Uuid, TokenError> {
        let c: Claims = token::verify(&self.key, raw, token::now())?;
        if c.typ != "access" {
            return Err(TokenError::Malformed);
        }
        Ok(c.sub)
    }

    /// A token that expired a minute ago (tests).
    pub fn issue_expired(&self, user_id: Uuid) -> String {
        let now = token::now();
        token::sign(
            &self.key,
            &Claims {
                sub: user_id,
                iat: now - self.ttl_secs - 60,
                exp: now - 60,
                typ: "access".into(),
            },
        )
    }
}
