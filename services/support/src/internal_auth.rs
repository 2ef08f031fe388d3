//! Authentication of internal calls.
//!
//! Services are never public. Every call to a service's internal API
//! carries a short-lived token that says who the call is made for — a user
//! with their memberships, an anonymous visitor, or a service — and which
//! service it is addressed to (`aud`), signed with Ed25519. The gateway
//! signs for people with its private key; each service signs its own calls
//! (outbox deliveries, jobs, the booking saga) with its own; every part
//! holds only public keys of the others ([`crate::internal_keys`]).
//!
//! A service accepts a token only when its key id is trusted, the signature
//! verifies, the audience is this service, it has not expired, and the
//! key's issuer may assert that caller ([`may_assert`]): the gateway's key
//! alone speaks for people, a service's key only for that service. So a
//! service that is broken into can act as itself and nothing more — never
//! as a user, an admin or another service. A request reaching a service
//! port without a valid token is answered 401.
//!
//! A token is `<kid>.<claims>.<signature>`: the key id, the claims
//! (`{"caller", "aud", "exp"}`) as unpadded base64url JSON, and the
//! Ed25519 signature of `<kid>.<claims>`, unpadded base64url.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{FromRef, FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::Response,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::{
    config::ConfigError,
    error::ApiError,
    internal_keys::{InternalKeys, SigningKey, TrustedKeys},
    token,
};

/// The issuer name of the gateway, the one part that may sign for people.
pub const GATEWAY: &str = "gateway";
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

    /// May read what a part holds about household `household_id` in the
    /// councils `councils`: the household itself (or an officer acting for
    /// it), an admin, a service, or an officer of every one of those
    /// councils (none held: only the first three).
    pub fn may_read_household(&self, household_id: Uuid, councils: &[Uuid]) -> bool {
        self.household.is_some_and(|h| h.household_id == household_id)
            || self.admin
            || self.is_service()
            || (!councils.is_empty() && councils.iter().all(|c| self.officer_of.contains(c)))
    }

    /// 403 unless the call is the service `name`'s own (not a user's, even
    /// an admin's): work only that part starts, such as the gateway's
    /// erasure of a household.
    pub fn require_service(&self, name: &str) -> Result<(), ApiError> {
        if self.is_service() && self.service.as_deref() == Some(name) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("Only the {name} does this")))
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

/// The claims of a caller token.
#[derive(Debug, Deserialize)]
struct Claims {
    caller: Caller,
    aud: String,
    exp: i64,
}

/// The same claims borrowed, for signing without a copy.
#[derive(Serialize)]
struct ClaimsRef<'a> {
    caller: &'a Caller,
    aud: &'a str,
    exp: i64,
}

/// Longest caller token accepted, before anything is decoded.
const MAX_TOKEN_LEN: usize = 8192;
/// Clock difference between parts tolerated on `exp`: a token that claims
/// to live longer than [`CALLER_TOKEN_TTL_SECS`] plus this is refused, so a
/// leaked token is never good for long.
const CLOCK_SKEW_SECS: i64 = 30;

/// Entries each token cache holds at most.
const CACHE_ENTRIES: usize = 4096;

/// Recently signed or verified tokens, each kept until it expires. An
/// Ed25519 signature costs tens of microseconds where an HMAC cost two, and
/// a search makes several internal calls: the same caller's token to the
/// same service is signed again only when half its life has gone, and a
/// token seen before is not verified again (the key is the whole token, so
/// only exactly the same bytes match). Only tokens that passed every check
/// are kept, so refused requests cannot fill the cache.
struct TokenCache<V> {
    entries: Mutex<HashMap<String, (V, i64)>>,
}

impl<V: Clone> TokenCache<V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (V, i64)>> {
        // A panic elsewhere while holding the lock leaves a usable map.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value kept under `key` and its expiry.
    fn get(&self, key: &str) -> Option<(V, i64)> {
        self.lock().get(key).cloned()
    }

    /// Keeps `value` until `exp`; when full, drops what has expired, and
    /// everything if that is not enough (the cache is only a shortcut).
    fn put(&self, key: String, value: V, exp: i64, now: i64) {
        let mut map = self.lock();
        if map.len() >= CACHE_ENTRIES {
            map.retain(|_, (_, e)| *e > now);
            if map.len() >= CACHE_ENTRIES {
                map.clear();
            }
        }
        map.insert(key, (value, exp));
    }
}

/// Why a caller token was refused (all answered 401).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's key id is not trusted here")]
    UnknownKey,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is for another service")]
    WrongAudience,
    #[error("the key of {0:?} may not assert this caller")]
    NotAllowed(String),
}

/// Whether the holder of `issuer`'s key may assert `caller`: the gateway
/// alone speaks for people (signed-in users, with their memberships, admin
/// flag and officer councils, and anonymous visitors); every part, the
/// gateway included, speaks for itself as a service and for nobody else.
pub fn may_assert(issuer: &str, caller: &Caller) -> bool {
    match caller.kind {
        CallerKind::User | CallerKind::Anonymous => issuer == GATEWAY && caller.service.is_none(),
        CallerKind::Service => *caller == Caller::service(issuer),
    }
}

/// The issuer whose key signs for `caller`: the service itself, or the
/// gateway for a person.
fn issuer_for(caller: &Caller) -> &str {
    match (&caller.kind, &caller.service) {
        (CallerKind::Service, Some(name)) => name,
        _ => GATEWAY,
    }
}

/// Signs this part's calls with its own private key and verifies calls to
/// it against the public keys it trusts; `audience` is this part's name.
#[derive(Clone)]
pub struct InternalAuth {
    inner: Arc<Inner>,
}

struct Inner {
    audience: &'static str,
    /// The key this part signs with.
    own: SigningKey,
    /// Keys of other issuers, by issuer: none in a deployed part; test
    /// clients hold one per part to act as the gateway and as each service.
    others: Vec<(String, SigningKey)>,
    trusted: TrustedKeys,
    /// Tokens signed, by audience and caller.
    signed: TokenCache<String>,
    /// Tokens verified, and their callers.
    verified: TokenCache<Caller>,
}

impl std::fmt::Debug for InternalAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalAuth")
            .field("audience", &self.inner.audience)
            .field("trusted_keys", &self.inner.trusted.len())
            .finish_non_exhaustive()
    }
}

impl InternalAuth {
    /// The part `audience` with its keys; refuses a signing key that its
    /// trusted list gives to another issuer.
    pub fn new(keys: &InternalKeys, audience: &'static str) -> Result<Self, ConfigError> {
        keys.check_for(audience)?;
        Ok(Self::build(
            audience,
            keys.signing.clone(),
            Vec::new(),
            keys.trusted.clone(),
        ))
    }

    /// A verifier for `audience` signing with `own`, and as each issuer of
    /// `others` for callers that issuer may assert (test clients acting as
    /// the gateway and as each service).
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(
        audience: &'static str,
        own: SigningKey,
        others: Vec<(String, SigningKey)>,
        trusted: TrustedKeys,
    ) -> Self {
        Self::build(audience, own, others, trusted)
    }

    fn build(audience: &'static str, own: SigningKey, others: Vec<(String, SigningKey)>, trusted: TrustedKeys) -> Self {
        Self {
            inner: Arc::new(Inner {
                audience,
                own,
                others,
                trusted,
                signed: TokenCache::new(),
                verified: TokenCache::new(),
            }),
        }
    }

    /// This process's service name.
    pub fn audience(&self) -> &'static str {
        self.inner.audience
    }

    /// A token for a call to `audience` on behalf of `caller`, signed with
    /// the key of the issuer that may assert it when this process holds
    /// it, else with its own (and then refused by the receiver: a service
    /// cannot speak for a person or another service).
    pub fn sign(&self, audience: &str, caller: &Caller) -> String {
        let now = token::now();
        let mut key = String::with_capacity(256);
        key.push_str(audience);
        key.push('\n');
        // A caller is plain data: serialising it cannot fail.
        key.push_str(&serde_json::to_string(caller).unwrap_or_default());
        if let Some((token, exp)) = self.inner.signed.get(&key) {
            if exp - now >= CALLER_TOKEN_TTL_SECS / 2 {
                return token;
            }
        }
        let exp = now + CALLER_TOKEN_TTL_SECS;
        let token = self.sign_at(audience, caller, exp);
        self.inner.signed.put(key, token.clone(), exp, now);
        token
    }

    fn signer_for(&self, caller: &Caller) -> &SigningKey {
        let issuer = issuer_for(caller);
        self.inner
            .others
            .iter()
            .find(|(i, _)| i == issuer)
            .map_or(&self.inner.own, |(_, k)| k)
    }

    fn sign_at(&self, audience: &str, caller: &Caller, exp: i64) -> String {
        let claims = ClaimsRef {
            caller,
            aud: audience,
            exp,
        };
        // Claims are plain data: serialising them cannot fail.
        let json = serde_json::to_vec(&claims).unwrap_or_default();
        let key = self.signer_for(caller);
        let mut token = String::with_capacity(key.kid().len() + json.len() * 4 / 3 + 100);
        token.push_str(key.kid());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let signature = key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut token);
        token
    }

    /// Verifies a caller token addressed to this service.
    pub fn verify(&self, raw: &str) -> Result<Caller, ApiError> {
        self.verify_at(raw, token::now())
            .map_err(|e| ApiError::unauthenticated(format!("Internal caller refused: {e}")))
    }

    /// A token verified before is answered from the cache until it expires;
    /// any other goes through [`Self::check`].
    fn verify_at(&self, raw: &str, now: i64) -> Result<Caller, Refusal> {
        if let Some((caller, exp)) = self.inner.verified.get(raw) {
            return if exp > now { Ok(caller) } else { Err(Refusal::Expired) };
        }
        let (caller, exp) = self.check(raw, now)?;
        self.inner.verified.put(raw.to_string(), caller.clone(), exp, now);
        Ok(caller)
    }

    /// Every check, in order: a known key id, its signature, the claims,
    /// the audience, the expiry, and that the key's issuer may assert the
    /// caller. Returns the caller and the token's expiry.
    fn check(&self, raw: &str, now: i64) -> Result<(Caller, i64), Refusal> {
        if raw.len() > MAX_TOKEN_LEN {
            return Err(Refusal::Malformed);
        }
        let (signed, signature) = raw.rsplit_once('.').ok_or(Refusal::Malformed)?;
        let (kid, payload) = signed.split_once('.').ok_or(Refusal::Malformed)?;
        let key = self.inner.trusted.get(kid).ok_or(Refusal::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| Refusal::Malformed)?;
        if !key.verifies(signed.as_bytes(), &signature) {
            return Err(Refusal::BadSignature);
        }
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| Refusal::Malformed)?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| Refusal::Malformed)?;
        if claims.aud != self.inner.audience {
            return Err(Refusal::WrongAudience);
        }
        if claims.exp <= now || claims.exp > now + CALLER_TOKEN_TTL_SECS + CLOCK_SKEW_SECS {
            return Err(Refusal::Expired);
        }
        if !may_assert(&key.issuer, &claims.caller) {
            return Err(Refusal::NotAllowed(key.issuer.to_string()));
        }
        Ok((claims.caller, claims.exp))
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
mod tests;
