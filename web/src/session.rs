//! Sessions and CSRF protection.
//!
//! A session is an encrypted and authenticated cookie
//! (`roundabout_session`: HttpOnly, SameSite=Lax, Secure outside local
//! development; see [`Keys`]) holding a random nonce and, once signed in,
//! the gateway's bearer token with the user's role.
//! Every visitor gets one on the first page, so forms before sign-in are
//! protected too. The CSRF token of a form is an HMAC of the nonce; signing
//! in starts a new nonce (no session fixation). Nothing is kept on the
//! front end: any replica can serve any request, and a restart signs nobody
//! out. The session itself lives at the gateway: signing out ends it there
//! (`signOut`), so a copied cookie's token stops working at once, and a
//! token the gateway refuses leads to sign-in ("Your session has ended").
//!
//! Handlers change the session by putting a [`SessionUpdate`] in the
//! response's extensions; [`layer`] seals it into the cookie.

use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderValue},
    middleware::Next,
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{error::PageError, AppState};

pub const COOKIE: &str = "roundabout_session";
/// How long a session cookie lives; the gateway token inside may expire sooner.
pub const MAX_AGE_SECS: u64 = 12 * 3600;

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
    /// Answers to the household's questions in progress (the signed-out
    /// checker's, or a household's before its first save): a few short
    /// fields, sealed like the rest; signing in or out forgets them.
    #[serde(default, rename = "d", skip_serializing_if = "Option::is_none")]
    pub draft: Option<crate::pages::household::questions::Draft>,
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
    /// Whether pages link to the demo mailbox ([`crate::pages::mailbox`]).
    pub mailbox: bool,
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

/// Seals and opens cookie values, and makes and checks CSRF tokens.
///
/// The cookie is encrypted and authenticated with XChaCha20-Poly1305
/// (a random 192-bit nonce per cookie, the cookie's name as associated
/// data): nobody holding the cookie can read the gateway token inside or
/// change a byte of it. Its key is derived from `WEB_SESSION_KEY` with
/// HMAC-SHA256 under a label of its own, so the one configured secret gives
/// separate keys for the cookie and for CSRF tokens.
#[derive(Clone)]
pub struct Keys {
    key: Vec<u8>,
    cipher: XChaCha20Poly1305,
    secure: bool,
}

type HmacSha256 = Hmac<Sha256>;

/// Marks a sealed cookie of this format; any other value reads as no session.
const FORMAT: &str = "v2.";
/// The label the cookie's encryption key is derived under.
const COOKIE_KEY_LABEL: &[u8] = b"roundabout web: session cookie encryption key (XChaCha20-Poly1305), v2";
const NONCE_LEN: usize = 24;
/// Longer cookie values are not even decoded (browsers keep at most 4 KB).
const MAX_COOKIE_LEN: usize = 4096;

impl Keys {
    pub fn new(key: &[u8], secure: bool) -> Self {
        let mut kdf = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        kdf.update(COOKIE_KEY_LABEL);
        let cookie_key = kdf.finalize().into_bytes();
        Self {
            key: key.to_vec(),
            cipher: XChaCha20Poly1305::new(&cookie_key),
            secure,
        }
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> Vec<u8> {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// The cookie's value for `data`: `v2.` then, in URL-safe base64, the
    /// nonce and the sealed JSON.
    pub fn encode(&self, data: &SessionData) -> String {
        use rand::RngCore;
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let plain = serde_json::to_vec(data).expect("session data serialises");
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: COOKIE.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any message a cookie can hold");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{FORMAT}{}", B64.encode(out))
    }

    /// The session in a cookie value, if this front end sealed it with its
    /// key and nothing changed it since; anything else (tampered, cut
    /// short, another key, the older signed-only format) is `None`.
    pub fn decode(&self, value: &str) -> Option<SessionData> {
        if value.len() > MAX_COOKIE_LEN {
            return None;
        }
        let raw = B64.decode(value.strip_prefix(FORMAT)?).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: COOKIE.as_bytes(),
                },
            )
            .ok()?;
        serde_json::from_slice(&plain).ok()
    }

    pub fn csrf(&self, data: &SessionData) -> String {
        B64.encode(self.mac("csrf", data.nonce.as_bytes()))
    }

    pub fn csrf_ok(&self, data: &SessionData, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let want = self.csrf(data);
        want.len() == given.len() && bool::from(want.as_bytes().ct_eq(given.as_bytes()))
    }

    /// `Set-Cookie` for `data`: HttpOnly, SameSite=Lax, the whole site,
    /// 12 hours, and Secure unless in local development.
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
    let mailbox = state.mailbox.has_mailbox(&state.gateway, data.token.as_deref()).await;
    req.extensions_mut().insert(Session {
        csrf: keys.csrf(&data),
        data: data.clone(),
        mailbox,
    });
    let mut res = next.run(req).await;
    if let Some(needs) = res.extensions_mut().remove::<NeedsSignIn>() {
        let mut redirect = crate::error::see_other(&format!(
            "/sign-in?next={}",
            crate::pages::vocabulary::urlencode(&back_to)
        ));
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
            mailbox,
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a key of at least thirty-two bytes!!";

    fn signed_in() -> SessionData {
        SessionData::signed_in("gateway-bearer-token-4f9a1c".into(), "HOUSEHOLD".into(), "a@b.c".into())
    }

    #[test]
    fn a_sealed_cookie_opens_with_its_key_only() {
        let keys = Keys::new(KEY, false);
        let data = signed_in();
        let v = keys.encode(&data);
        assert!(v.starts_with("v2."), "{v}");
        assert_eq!(keys.decode(&v), Some(data.clone()));
        // A fresh nonce each time: the same session never seals the same way twice.
        assert_ne!(keys.encode(&data), v);
        let other = Keys::new(b"another key of at least thirty-two!!", false);
        assert_eq!(other.decode(&v), None);
    }

    #[test]
    fn a_tampered_or_truncated_cookie_is_refused() {
        let keys = Keys::new(KEY, false);
        let v = keys.encode(&signed_in());
        let raw = B64.decode(&v[FORMAT.len()..]).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let forged = format!("{FORMAT}{}", B64.encode(&bad));
            assert_eq!(keys.decode(&forged), None, "byte {i} flipped");
        }
        for cut in 0..v.len() {
            assert_eq!(keys.decode(&v[..cut]), None, "cut at {cut}");
        }
        assert_eq!(keys.decode(&format!("{v}AA")), None);
        assert_eq!(keys.decode(&v.replacen("v2.", "v3.", 1)), None);
        assert_eq!(keys.decode(&"A".repeat(MAX_COOKIE_LEN + 1)), None);
    }

    #[test]
    fn the_older_signed_only_cookie_reads_as_no_session() {
        // The format before encryption: base64 JSON, a dot, its HMAC.
        let keys = Keys::new(KEY, false);
        let body = B64.encode(serde_json::to_vec(&signed_in()).unwrap());
        let sig = B64.encode(keys.mac("session", body.as_bytes()));
        assert_eq!(keys.decode(&format!("{body}.{sig}")), None);
    }

    #[test]
    fn the_token_cannot_be_read_from_the_cookie() {
        let keys = Keys::new(KEY, false);
        let data = signed_in();
        let token = data.token.clone().unwrap();
        let header = keys.set_cookie(&data);
        let header = header.to_str().unwrap();
        let value = header
            .strip_prefix("roundabout_session=")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let decoded = B64.decode(&value[FORMAT.len()..]).unwrap();
        for secret in [token.as_str(), "HOUSEHOLD", "a@b.c"] {
            assert!(!header.contains(secret), "{secret} in {header}");
            let needle = secret.as_bytes();
            assert!(
                !decoded.windows(needle.len()).any(|w| w == needle),
                "{secret} in the decoded cookie"
            );
            assert!(!header.contains(&B64.encode(secret)), "{secret} in base64");
        }
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_outside_development() {
        let dev = Keys::new(KEY, false).set_cookie(&SessionData::anonymous());
        let dev = dev.to_str().unwrap();
        for attr in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Max-Age=43200"] {
            assert!(dev.contains(attr), "{attr} missing: {dev}");
        }
        assert!(!dev.contains("Secure"), "{dev}");
        let prod = Keys::new(KEY, true).set_cookie(&SessionData::anonymous());
        assert!(prod.to_str().unwrap().ends_with("; Secure"), "{prod:?}");
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
}
