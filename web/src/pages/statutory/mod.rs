//! The pages a UK public-sector website must have, linked from every
//! page's footer: the accessibility statement ([`accessibility`]), each
//! council's privacy notice ([`privacy`], with how long records are kept
//! in [`retention`]) and the cookies page ([`cookies`]). Anyone may read
//! them, signed in or not. What they say about a council (its data
//! protection officer, postal address and contacts) comes from the
//! council's details that its officers keep on `/officer/contact`, read on
//! the public `Council.contact`.

pub mod accessibility;
mod cookies;
mod privacy;
pub mod retention;

use axum::{routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{error::PageError, session::Session, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(accessibility::PATH, get(accessibility::page))
        .route(privacy::PATH, get(privacy::list))
        .route("/privacy/{code}", get(privacy::notice))
        .route(cookies::PATH, get(cookies::page))
}

/// A council as these pages show it.
#[derive(Deserialize, Clone, Debug)]
pub(crate) struct Council {
    pub id: String,
    pub name: String,
    pub code: String,
    pub contact: Contact,
}

/// The council's details for residents; each part absent until its
/// officers give it.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub data_protection_officer: Option<String>,
    pub data_protection_email: Option<String>,
    pub postal_address: Option<String>,
    pub accessibility_email: Option<String>,
    pub accessibility_phone: Option<String>,
}

impl Contact {
    /// Where to report an accessibility problem: the accessibility contact,
    /// else the council's contact for residents.
    pub fn accessibility(&self) -> (Option<&str>, Option<&str>) {
        if self.accessibility_email.is_some() || self.accessibility_phone.is_some() {
            (self.accessibility_email.as_deref(), self.accessibility_phone.as_deref())
        } else {
            (self.email.as_deref(), self.phone.as_deref())
        }
    }

    /// The postal address's lines.
    pub fn address_lines(&self) -> Vec<&str> {
        self.postal_address
            .as_deref()
            .map(|a| a.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
            .unwrap_or_default()
    }
}

const COUNCIL_FIELDS: &str = "id name code contact { email phone dataProtectionOfficer dataProtectionEmail postalAddress accessibilityEmail accessibilityPhone }";

/// Every council using the service, by name (public).
pub(crate) async fn councils(s: &AppState) -> Result<Vec<Council>, PageError> {
    #[derive(Deserialize)]
    struct Data {
        councils: Vec<Council>,
    }
    let d: Data = s
        .gateway
        .query(None, &format!("{{ councils {{ {COUNCIL_FIELDS} }} }}"), json!({}))
        .await?;
    Ok(d.councils)
}

/// The code of the signed-in person's council (a household's or an
/// officer's), if any. A session the gateway no longer accepts reads as
/// none: these pages are for everyone and never send anyone to sign in.
pub(crate) async fn own_council_code(s: &AppState, session: &Session) -> Option<String> {
    #[derive(Deserialize)]
    struct Data {
        me: Option<Me>,
    }
    #[derive(Deserialize)]
    struct Me {
        council: Option<Code>,
    }
    #[derive(Deserialize)]
    struct Code {
        code: String,
    }
    let token = session.data.token.as_deref()?;
    if !matches!(session.data.role.as_deref(), Some("HOUSEHOLD" | "OFFICER")) {
        return None;
    }
    let d: Data = s
        .gateway
        .query(Some(token), "{ me { council { code } } }", json!({}))
        .await
        .ok()?;
    d.me?.council.map(|c| c.code)
}
