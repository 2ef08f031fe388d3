//! Bearer tokens: signed, expiring, naming the user and the session (a row
//! of `sessions`) they belong to. The signature and expiry are checked here;
//! whether the session is still live is checked against the database with
//! the user's memberships ([`crate::accounts::db::load_principal`]).

use roundabout_support::token::{self, Expiring, TokenError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    /// The session; a token without one is refused.
    sid: Uuid,
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

    /// How long a token (and its session) lasts, in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> String {
        let now = token::now();
        token::sign(
            &self.key,
            &Claims {
                sub: user_id,
                sid: session_id,
                iat: now,
                exp: now + self.ttl_secs,
                typ: "access".into(),
            },
        )
    }

    /// The user and session a valid token names.
    pub fn verify(&self, raw: &str) -> Result<(Uuid, Uuid), TokenError> {
        let c: Claims = token::verify(&self.key, raw, token::now())?;
        if c.typ != "access" {
            return Err(TokenError::Malformed);
        }
        Ok((c.sub, c.sid))
    }

    /// A token that expired a minute ago (tests).
    pub fn issue_expired(&self, user_id: Uuid, session_id: Uuid) -> String {
        let now = token::now();
        token::sign(
            &self.key,
            &Claims {
                sub: user_id,
                sid: session_id,
                iat: now - self.ttl_secs - 60,
                exp: now - 60,
                typ: "access".into(),
            },
        )
    }
}
