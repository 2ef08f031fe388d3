//! "Cookies": what the site stores in the browser, said from what the code
//! sets: the one session cookie ([`crate::session`]), and Stripe's two
//! when this front end offers card payments. Nothing measures visitors, so
//! there is nothing to consent to and no cookie banner.

use askama::Template;
use axum::extract::State;

use crate::{
    error::PageResult,
    pages::render,
    session::{self, Session},
    views::Layout,
    AppState,
};

pub const PATH: &str = "/cookies";

/// A cookie as the page lists it.
pub struct Cookie {
    pub name: &'static str,
    pub purpose: &'static str,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "statutory/cookies.html")]
struct CookiesPage {
    l: Layout,
    essential: Vec<Cookie>,
    stripe: Vec<Cookie>,
}

/// The cookie this site sets for every visitor.
pub fn session_cookie() -> Cookie {
    let hours = i64::try_from(session::MAX_AGE_SECS / 3600).unwrap_or(i64::MAX);
    Cookie {
        name: session::COOKIE,
        purpose: "Keeps you signed in, remembers your answers while you check what you could get, \
                  and protects the forms you send from being sent by another site",
        expires: crate::pages::vocabulary::plural(hours, "hour", "hours"),
    }
}

/// Stripe.js sets these on the card payment page, to help stop fraud.
fn stripe_cookies() -> Vec<Cookie> {
    vec![
        Cookie {
            name: "__stripe_mid",
            purpose: "Set by Stripe to help stop card fraud",
            expires: "1 year".into(),
        },
        Cookie {
            name: "__stripe_sid",
            purpose: "Set by Stripe to help stop card fraud",
            expires: "30 minutes".into(),
        },
    ]
}

pub async fn page(State(s): State<AppState>, session: Session) -> PageResult {
    render(&CookiesPage {
        l: Layout::new(&session, "Cookies", ""),
        essential: vec![session_cookie()],
        stripe: if s.config.stripe.is_some() {
            stripe_cookies()
        } else {
            Vec::new()
        },
    })
}
