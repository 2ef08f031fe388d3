//! The demo mailbox (development only): every message the demo "sent",
//! so someone trying Roundabout sees what residents and providers would
//! receive. The gateway answers `mailbox` only where messages go nowhere
//! real; elsewhere (`NOT_FOUND`) the page is "Page not found".
//!
//! The footer links to it when the gateway has a mailbox: [`Probe`] asks
//! once, with the first signed-in visitor's token (the query needs one),
//! outside production, and remembers the answer for the process.

use std::sync::atomic::{AtomicU8, Ordering};

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::PageResult,
    gateway::{Gateway, GatewayError},
    pages::{
        messages::{self, Message},
        render,
        vocabulary::filters,
    },
    session::AnyUser,
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/mailbox", get(page))
}

/// How many messages the page shows (the API's most).
const SHOWN: i32 = 200;

#[derive(Template)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    l: Layout,
    messages: Vec<Message>,
}

async fn page(State(s): State<AppState>, user: AnyUser) -> PageResult {
    #[derive(Deserialize)]
    struct Data {
        mailbox: Vec<Message>,
    }
    let query = format!("query($n: Int!) {{ mailbox(first: $n) {{ {} }} }}", messages::FIELDS);
    let d: Data = match s.gateway.query(Some(&user.token), &query, json!({"n": SHOWN})).await {
        Ok(d) => d,
        Err(e) => {
            if matches!(e, GatewayError::NotFound) {
                s.mailbox.remember(false);
            }
            return Err(e.into());
        }
    };
    s.mailbox.remember(true);
    render(&MailboxPage {
        l: Layout::new(&user.session, "Demo mailbox", "/mailbox"),
        messages: d.mailbox,
    })
}

/// Whether the gateway has a demo mailbox, once known.
#[derive(Debug)]
pub struct Probe(AtomicU8);

impl Default for Probe {
    /// Not known yet: the first signed-in visitor's page asks.
    fn default() -> Self {
        Self(AtomicU8::new(UNKNOWN))
    }
}

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

impl Probe {
    /// Known not to have one (production never asks).
    pub fn none() -> Self {
        Self(AtomicU8::new(NO))
    }

    fn remember(&self, has: bool) {
        self.0.store(if has { YES } else { NO }, Ordering::Relaxed);
    }

    /// Whether to link to the mailbox: asks the gateway the first time a
    /// signed-in visitor (`token`) comes; an answer other than the
    /// mailbox or `NOT_FOUND` (busy, down) leaves it to ask again later.
    pub async fn has_mailbox(&self, gateway: &Gateway, token: Option<&str>) -> bool {
        match self.0.load(Ordering::Relaxed) {
            YES => return true,
            NO => return false,
            _ => {}
        }
        let Some(token) = token else {
            return false;
        };
        #[derive(Deserialize)]
        struct Data {
            #[allow(dead_code)]
            mailbox: Vec<serde_json::Value>,
        }
        match gateway
            .query::<Data>(Some(token), "{ mailbox(first: 1) { id } }", json!({}))
            .await
        {
            Ok(_) => {
                self.remember(true);
                true
            }
            Err(GatewayError::NotFound) => {
                self.remember(false);
                false
            }
            Err(_) => false,
        }
    }

    #[cfg(test)]
    fn state(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_probe_asks_only_with_a_token_and_remembers() {
        let p = Probe::default();
        // No gateway listens here: without a token nothing is asked, and a
        // gateway that does not answer leaves the question open.
        let g = Gateway::new("http://127.0.0.1:9");
        assert!(!p.has_mailbox(&g, None).await);
        assert_eq!(p.state(), UNKNOWN);
        assert!(!p.has_mailbox(&g, Some("t")).await);
        assert_eq!(p.state(), UNKNOWN);
        p.remember(true);
        assert!(p.has_mailbox(&g, Some("t")).await);
        assert!(!Probe::none().has_mailbox(&g, Some("t")).await);
    }
}
