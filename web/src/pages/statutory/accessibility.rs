//! The accessibility statement, in the structure of GOV.UK's model
//! statement for the Public Sector Bodies (Websites and Mobile
//! Applications) (No. 2) Accessibility Regulations 2018. What it says about
//! testing is declared here and checked against the browser tests
//! (`tests/it/browser.rs` compares [`JOURNEYS`] with the journeys
//! `web/browser-tests/run.mjs` ran and [`AXE_PAGES_AT_LEAST`] with the
//! pages axe-core checked), so the statement stays true when they change.

use askama::Template;
use axum::extract::State;

use super::{councils, own_council_code, Council};
use crate::{error::PageResult, pages::render, session::Session, views::Layout, AppState};

pub const PATH: &str = "/accessibility";

/// When the statement was prepared, and when it was last reviewed.
pub const PREPARED: &str = "7 December 2026";
pub const REVIEWED: &str = "7 December 2026";

/// The width of the browser window axe-core checks every page at, and the
/// phone screen no page may be wider than, in CSS pixels.
pub const DESKTOP_WIDTH: u32 = 1280;
pub const PHONE_WIDTH: u32 = 375;

/// At least this many different pages go through axe-core in a run.
pub const AXE_PAGES_AT_LEAST: usize = 100;

/// A journey of the browser tests: the name `run.mjs` reports it under,
/// and what it does in words.
pub struct Journey {
    pub name: &'static str,
    pub words: &'static str,
}

/// Every journey the browser tests go through.
pub const JOURNEYS: &[Journey] = &[
    Journey {
        name: "household",
        words: "A resident checks what they could get, creates an account, then finds, books and cancels a \
                vehicle, with JavaScript turned off and then on",
    },
    Journey {
        name: "household-keyboard",
        words: "The same resident's journey using only a keyboard, with JavaScript turned off",
    },
    Journey {
        name: "other-roles",
        words: "Signing in using only a keyboard, and the main pages for transport providers and council officers",
    },
    Journey {
        name: "officer",
        words: "A council officer adds a zone, writes, tries and publishes a scheme and adds postcodes, using only \
                a keyboard with JavaScript turned off, then visits every officer page with JavaScript on",
    },
    Journey {
        name: "provider",
        words: "A transport provider adds vehicles from a file with a mistake in it, corrects it and sets up \
                payments, using only a keyboard with JavaScript turned off",
    },
    Journey {
        name: "brief",
        words: "The whole service from start to end with JavaScript turned off: a council is set up, a provider is \
                approved and lists a vehicle, a resident books and cancels it, and the council's report counts it",
    },
    Journey {
        name: "card",
        words: "Paying by card, with a stand-in for Stripe's card fields",
    },
    Journey {
        name: "reports",
        words: "A council officer's reports: choosing a period, reading a chart's table and downloading the \
                figures, with JavaScript on and off",
    },
    Journey {
        name: "assisted",
        words: "A council officer books for a resident who cannot use the website, using only a keyboard with \
                JavaScript off and on, and the administrator's pages",
    },
    Journey {
        name: "offers",
        words: "Filtering, sorting and paging through vehicles using only a keyboard with JavaScript off, then \
                with it on",
    },
    Journey {
        name: "account",
        words: "Changing a password and signing out of all devices, using only a keyboard with JavaScript off",
    },
    Journey {
        name: "statutory",
        words: "This statement, the privacy notices and the cookies page, on a phone-sized and a desktop-sized screen",
    },
];

#[derive(Template)]
#[template(path = "statutory/accessibility.html")]
struct StatementPage {
    l: Layout,
    /// The councils whose contacts are listed: the signed-in person's
    /// council alone, or every council.
    contacts: Vec<Council>,
    /// Every council the service is run for, by name.
    council_names: String,
    journeys: &'static [Journey],
    session_hours: u64,
}

pub async fn page(State(s): State<AppState>, session: Session) -> PageResult {
    let all = councils(&s).await?;
    let council_names = names(&all);
    let own = own_council_code(&s, &session).await;
    let contacts = match all.iter().find(|c| Some(&c.code) == own.as_ref()) {
        Some(c) => vec![c.clone()],
        None => all,
    };
    render(&StatementPage {
        l: Layout::new(&session, "Accessibility statement", ""),
        contacts,
        council_names,
        journeys: JOURNEYS,
        session_hours: crate::session::MAX_AGE_SECS / 3600,
    })
}

/// "A", "A and B", "A, B and C".
fn names(councils: &[Council]) -> String {
    let names: Vec<&str> = councils.iter().map(|c| c.name.as_str()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn councils_are_named_in_a_sentence_and_journeys_once_each() {
        let c = |name: &str| Council {
            id: name.to_lowercase(),
            name: name.into(),
            code: name.to_uppercase(),
            contact: Default::default(),
        };
        assert_eq!(names(&[]), "");
        assert_eq!(names(&[c("Oxford")]), "Oxford");
        assert_eq!(names(&[c("A"), c("B"), c("C")]), "A, B and C");
        let mut seen: Vec<&str> = JOURNEYS.iter().map(|j| j.name).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), JOURNEYS.len());
    }
}
