//! Authentication of internal calls.
//!
//! Services are never public. The gateway (or a service's outbox relay) signs
//! a short-lived token describing who the call is made for — a user with their
//! memberships, an anonymous visitor, or a service — and addressed to one
//! service (`aud`). Every route of a service's internal API verifies it; a
//! request reaching a service port without a valid one is answered 401.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::Response,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    error::ApiError,
    token::{self, Expiring},
};

/// Header carrying the signed caller token.
pub const CALLER_HEADER: &str = "x-roundabout-caller";
/// How long an internal caller token is valid, in seconds.
pub const CALLER_TOKEN_TTL_SECS: i64 = 60;

/// What kind of principal a call is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    /// A visitor who has not signed in (public reads only).
    Anonymous,
    /// A signed-in user.
    User,
    /// Another service acting on its own (outbox deliveries, jobs).
    Service,
}

/// A household membership: which household the user is, in which council.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMembership {
    pub household_id: Uuid,
    pub council_id: Uuid,
}

/// The officer (or admin) acting for a household that cannot use the web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedBy {
    /// The officer's user id.
    pub user_id: Uuid,
    /// The officer's display name or email, for audit records.
    pub name: String,
}

/// Who an internal call is made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub kind: CallerKind,
    /// The user, when `kind` is `User`.
    pub user_id: Option<Uuid>,
    /// The user's display name or email, for audit records.
    pub name: Option<String>,
    /// The calling service, when `kind` is `Service`.
    pub service: Option<String>,
    pub admin: bool,
    pub household: Option<HouseholdMembership>,
    pub provider_id: Option<Uuid>,
    /// Councils the user is an officer of.
    pub officer_of: Vec<Uuid>,
    /// Set when an officer acts for `household` (assisted booking): the
    /// gateway checked the officer administers the household's council.
    /// `user_id` and `name` stay the officer's; services act as for the
    /// household and may record who really acted.
    #[serde(default)]
    pub assisted_by: Option<AssistedBy>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self {
            kind: CallerKind::Anonymous,
            user_id: None,
            name: None,
            service: None,
            admin: false,
            household: None,
            provider_id: None,
            officer_of: Vec::new(),
            assisted_by: None,
        }
    }

    pub fn service(name: &str) -> Self {
        Self {
            kind: CallerKind::Service,
            service: Some(name.to_string()),
            ..Self::anonymous()
        }
    }

    pub fn user(user_id: Uuid, name: impl Into<String>) -> Self {
        Self {
            kind: CallerKind::User,
            user_id: Some(user_id),
            name: Some(name.into()),
            ..Self::anonymous()
        }
    }

    pub fn is_service(&self) -> bool {
        self.kind == CallerKind::Service
    }

    /// True when the caller is the household `household_id` itself, not an
    /// officer acting for it.
    pub fn is_household_itself(&self, household_id: Uuid) -> bool {
        self.assisted_by.is_none() && self.household.is_some_and(|h| h.household_id == household_id)
    }

    /// An officer of `council_id`, an admin, or a service.
    pub fn can_administer(&self, council_id: Uuid) -> bool {
        self.is_service() || self.admin || self.officer_of.contains(&council_id)
    }

    /// 403 unless the caller may administer `council_id`.
    pub fn require_council_officer(&self, council_id: Uuid) -> Result<(), ApiError> {
        if self.can_administer(council_id) {
            Ok(())
        } else {
            Err(ApiError::forbidden("Only officers of this council may do this"))
        }
    }

    /// 403 unless the caller is an admin (or a service).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.admin || self.is_service() {
            Ok(())
        } else {
            Err(ApiError::forbidden("Only platform administrators may do this"))
        }
    }

    /// 403 unless the call comes from a service or the gateway on behalf of a
    /// user (anonymous callers are refused).
    pub fn require_signed_in(&self) -> Result<(), ApiError> {
        if self.kind == CallerKind::Anonymous {
            Err(ApiError::unauthenticated("Sign in to do this"))
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    caller: Caller,
    aud: String,
    exp: i64,
}

impl Expiring for Claims {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// The key that signs and verifies internal calls, and the name of the
/// service this process is (the audience it accepts).
#[derive(Clone)]
pub struct InternalAuth {
    key: Arc<[u8]>,
    audience: &'static str,
}

impl std::fmt::Debug for InternalAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalAuth")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl InternalAuth {
    pub fn new(key: &[u8], audience: &'static str) -> Self {
        Self {
            key: Arc::from(key),
            audience,
        }
    }

    /// This process's service name.
    pub fn audience(&self) -> &'static str {
        self.audience
    }

    /// A token for a call to `audience` on behalf of `caller`.
    pub fn sign(&self, audience: &str, caller: &Caller) -> String {
        token::sign(
            &self.key,
            &Claims {
                caller: caller.clone(),
                aud: audience.to_string(),
                exp: token::now() + CALLER_TOKEN_TTL_SECS,
            },
        )
    }

    /// Verifies a caller token addressed to this service.
    pub fn verify(&self, raw: &str) -> Result<Caller, ApiError> {
        let claims: Claims = token::verify(&self.key, raw, token::now())
            .map_err(|e| ApiError::unauthenticated(format!("Internal caller refused: {e}")))?;
        if claims.aud != self.audience {
            return Err(ApiError::unauthenticated(
                "Internal caller refused: the token is for another service",
            ));
        }
        Ok(claims.caller)
    }
}

/// Middleware: refuses any request without a valid caller token and puts the
/// verified [`Caller`] in the request's extensions.
pub async fn require_caller(
    State(auth): State<InternalAuth>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let raw = req
        .headers()
        .get(CALLER_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthenticated("Internal API: a signed caller is required"))?;
    let caller = auth.verify(raw)?;
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    InternalAuth: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let auth = InternalAuth::from_ref(state);
        let raw = parts
            .headers
            .get(CALLER_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthenticated("Internal API: a signed caller is required"))?;
        auth.verify(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn token_for_one_service_is_refused_by_another() {
        let gateway = InternalAuth::new(KEY, "gateway");
        let inventory = InternalAuth::new(KEY, "inventory");
        let payments = InternalAuth::new(KEY, "payments");
        let caller = Caller::user(Uuid::new_v4(), "a@example.org");
        let t = gateway.sign("inventory", &caller);
        assert_eq!(inventory.verify(&t).unwrap(), caller);
        assert_eq!(payments.verify(&t).unwrap_err().code(), "UNAUTHENTICATED");
    }

    #[test]
    fn officer_rights_are_per_council() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        let mut c = Caller::user(Uuid::new_v4(), "o@example.org");
        c.officer_of = vec![a];
        assert!(c.require_council_officer(a).is_ok());
        assert_eq!(c.require_council_officer(b).unwrap_err().code(), "FORBIDDEN");
        assert_eq!(c.require_admin().unwrap_err().code(), "FORBIDDEN");
    }
}
