//! Sessions and CSRF protection.
//!
//! A session is a signed cookie (`roundabout_session`: HttpOnly,
//! SameSite=Lax, Secure outside local development) holding a random nonce
//! and, once signed in, the gateway's bearer token with the user's role.
//! Every visitor gets one on the first page, so forms before sign-in are
//! protected too. The CSRF token of a form is an HMAC of the nonce; signing
//! in starts a new nonce (no session fixation). Nothing is kept on the
//! server: any replica can serve any request, and a restart signs nobody out.
//!
//! Handlers change the session by putting a [`SessionUpdate`] in the
//! response's extensions; [`layer`] signs it into the cookie.

use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderValue},
    middleware::Next,
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{error::PageError, AppState};

pub const COOKIE: &str = "roundabout_session";
/// How long a session cookie lives; the gateway token inside may expire sooner.
const MAX_AGE_SECS: u64 = 12 * 3600;

/// What a session holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SessionData {
    /// Random; the CSRF token derives from it.
    pub nonce: String,
    /// The gateway's bearer token once signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// HOUSEHOLD, PROVIDER, OFFICER or ADMIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A one-time message for the next page ("Your booking was cancelled").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<String>,
}

impl SessionData {
    pub fn anonymous() -> Self {
        Self {
            nonce: crate::random_token(),
            ..Self::default()
        }
    }

    /// A fresh session signed in as `email` with `role`.
    pub fn signed_in(token: String, role: String, email: String) -> Self {
        Self {
            token: Some(token),
            role: Some(role),
            email: Some(email),
            ..Self::anonymous()
        }
    }

    /// The same visitor signed out (the token forgotten, the nonce kept).
    pub fn without_token(&self) -> Self {
        Self {
            nonce: self.nonce.clone(),
            ..Self::default()
        }
    }

    pub fn with_flash(&self, message: impl Into<String>) -> Self {
        Self {
            flash: Some(message.into()),
            ..self.clone()
        }
    }
}

/// The request's session (put in the extensions by [`layer`]).
#[derive(Clone, Debug)]
pub struct Session {
    pub data: SessionData,
    /// The CSRF token forms must carry.
    pub csrf: String,
}

/// A change of session a handler asks for.
#[derive(Clone)]
pub struct SessionUpdate(pub SessionData);

/// Put in a response by [`PageError::SignIn`] and [`PageError::Expired`]:
/// [`layer`] answers with a redirect to sign-in and back to the page asked
/// for, forgetting the token when it expired.
#[derive(Clone)]
pub struct NeedsSignIn {
    pub expired: bool,
}

/// Signs and checks cookie values and CSRF tokens.
#[derive(Clone)]
pub struct Keys {
    key: Vec<u8>,
    secure: bool,
}

type HmacSha256 = Hmac<Sha256>;

impl Keys {
    pub fn new(key: &[u8], secure: bool) -> Self {
        Self {
            key: key.to_vec(),
            secure,
        }
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> Vec<u8> {
        let mut m = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    pub fn encode(&self, data: &SessionData) -> String {
        let body = B64.encode(serde_json::to_vec(data).expect("session data serialises"));
        let sig = B64.encode(self.mac("session", body.as_bytes()));
        format!("{body}.{sig}")
    }

    pub fn decode(&self, value: &str) -> Option<SessionData> {
        let (body, sig) = value.split_once('.')?;
        let sig = B64.decode(sig).ok()?;
        let mut m = HmacSha256::new_from_slice(&self.key).ok()?;
        m.update(b"session\0");
        m.update(body.as_bytes());
        m.verify_slice(&sig).ok()?;
        serde_json::from_slice(&B64.decode(body).ok()?).ok()
    }

    pub fn csrf(&self, data: &SessionData) -> String {
        B64.encode(self.mac("csrf", data.nonce.as_bytes()))
    }

    pub fn csrf_ok(&self, data: &SessionData, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let want = self.csrf(data);
        want.len() == given.len() && bool::from(want.as_bytes().ct_eq(given.as_bytes()))
    }

    pub fn set_cookie(&self, data: &SessionData) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let v = format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={MAX_AGE_SECS}{secure}",
            self.encode(data)
        );
        HeaderValue::from_str(&v).expect("cookie value is base64 and ASCII")
    }
}

fn cookie_value<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Reads (or starts) the session, runs the handler, and writes the cookie
/// when the session is new or the handler changed it. A flash message is
/// shown once: reading it clears it.
pub async fn layer(State(state): State<AppState>, mut req: Request<Body>, next: Next) -> Response {
    let keys = &state.keys;
    let existing = cookie_value(req.headers(), COOKIE).and_then(|v| keys.decode(v));
    let is_new = existing.is_none();
    let data = existing.unwrap_or_else(SessionData::anonymous);
    let had_flash = data.flash.is_some();
    let back_to = match req.method() {
        &axum::http::Method::GET => req.uri().path_and_query().map(|p| p.as_str().to_string()),
        _ => Some(req.uri().path().to_string()),
    }
    .unwrap_or_else(|| "/".into());
    req.extensions_mut().insert(Session {
        csrf: keys.csrf(&data),
        data: data.clone(),
    });
    let mut res = next.run(req).await;
    if let Some(needs) = res.extensions_mut().remove::<NeedsSignIn>() {
        let mut redirect = crate::error::see_other(&format!("/sign-in?next={}", crate::views::urlencode(&back_to)));
        if needs.expired {
            let d = data
                .without_token()
                .with_flash("Your session has ended. Sign in again to carry on.");
            redirect.headers_mut().append(header::SET_COOKIE, keys.set_cookie(&d));
        } else if is_new {
            redirect
                .headers_mut()
                .append(header::SET_COOKIE, keys.set_cookie(&data));
        }
        return redirect;
    }
    if let Some(spec) = res.extensions_mut().remove::<crate::error::ErrorSpec>() {
        let session = Session {
            csrf: keys.csrf(&data),
            data: SessionData {
                flash: None,
                ..data.clone()
            },
        };
        res = spec.render(crate::views::Layout::new(&session, spec.heading, ""));
        if is_new {
            res.headers_mut().append(header::SET_COOKIE, keys.set_cookie(&data));
        }
        return res;
    }
    let update = res.extensions_mut().remove::<SessionUpdate>().map(|u| u.0);
    let write = match update {
        Some(d) => Some(d),
        None if had_flash && res.status().is_success() => Some(SessionData { flash: None, ..data }),
        None if is_new => Some(data),
        None => None,
    };
    if let Some(d) = write {
        res.headers_mut().append(header::SET_COOKIE, keys.set_cookie(&d));
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| PageError::Internal(anyhow::anyhow!("session layer missing")))
    }
}

/// A signed-in user: the session and its token.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: Session,
    pub token: String,
    pub role: String,
}

pub(crate) fn signed_in(parts: &Parts, role: Option<&str>) -> Result<SignedIn, PageError> {
    let session = parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| PageError::Internal(anyhow::anyhow!("session layer missing")))?;
    let (Some(token), Some(r)) = (session.data.token.clone(), session.data.role.clone()) else {
        return Err(PageError::SignIn);
    };
    if role.is_some_and(|want| want != r) {
        return Err(PageError::Forbidden);
    }
    Ok(SignedIn {
        session,
        token,
        role: r,
    })
}

macro_rules! role_extractor {
    ($name:ident, $role:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Debug)]
        pub struct $name(pub SignedIn);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = PageError;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                signed_in(parts, $role).map($name)
            }
        }

        impl std::ops::Deref for $name {
            type Target = SignedIn;
            fn deref(&self) -> &SignedIn {
                &self.0
            }
        }
    };
}

role_extractor!(
    AnyUser,
    None,
    "Any signed-in user; others are sent to sign in and back."
);
role_extractor!(HouseholdUser, Some("HOUSEHOLD"), "A signed-in household.");
role_extractor!(ProviderUser, Some("PROVIDER"), "A signed-in provider's member.");
role_extractor!(OfficerUser, Some("OFFICER"), "A signed-in council officer.");
role_extractor!(AdminUser, Some("ADMIN"), "A signed-in platform administrator.");

/// Where a user lands after signing in.
pub fn home_of(role: &str) -> &'static str {
    match role {
        "HOUSEHOLD" => "/household",
        "PROVIDER" => "/provider",
        "OFFICER" => "/officer",
        "ADMIN" => "/admin",
        _ => "/",
    }
}

/// `next` if it is a path on this site (never another origin), else `None`.
pub fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tampered_cookie_is_refused() {
        let keys = Keys::new(b"a key of at least thirty-two bytes!!", false);
        let data = SessionData::signed_in("tok".into(), "HOUSEHOLD".into(), "a@b.c".into());
        let v = keys.encode(&data);
        assert_eq!(keys.decode(&v), Some(data.clone()));
        let forged = SessionData {
            role: Some("OFFICER".into()),
            ..data
        };
        let forged = format!(
            "{}.{}",
            keys.encode(&forged).split_once('.').unwrap().0,
            v.split_once('.').unwrap().1
        );
        assert_eq!(keys.decode(&forged), None);
        let other = Keys::new(b"another key of at least thirty-two!!", false);
        assert_eq!(other.decode(&v), None);
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let keys = Keys::new(b"a key of at least thirty-two bytes!!", false);
        let a = SessionData::anonymous();
        let b = SessionData::anonymous();
        assert!(keys.csrf_ok(&a, &keys.csrf(&a)));
        assert!(!keys.csrf_ok(&b, &keys.csrf(&a)));
        assert!(!keys.csrf_ok(&a, ""));
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/bookings/1"), Some("/bookings/1"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
    }
}
