//! Each council's privacy notice (`/privacy/{code}`): the council is the
//! data controller and Roundabout its processor; what personal data is
//! held and why, the lawful basis, who it is shared with, how long it is
//! kept ([`super::retention`]), and residents' rights. `/privacy` goes to
//! the signed-in person's council's notice, and lists every council's to
//! anyone else (and with `?all=yes`, to everyone).

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::{
    councils, own_council_code,
    retention::{retention_periods, Live},
    Council,
};
use crate::{
    error::{see_other, PageError, PageResult},
    pages::render,
    session::Session,
    views::Layout,
    AppState,
};

pub const PATH: &str = "/privacy";

/// When the notices last changed.
pub const UPDATED: &str = "7 December 2026";

#[derive(Template)]
#[template(path = "statutory/privacy_councils.html")]
struct CouncilsPage {
    l: Layout,
    councils: Vec<Council>,
}

#[derive(Template)]
#[template(path = "statutory/privacy.html")]
struct NoticePage {
    l: Layout,
    council: Council,
    retention: Vec<(&'static str, String)>,
    updated: &'static str,
    /// Whether other councils use the service (a link to their notices).
    others: bool,
}

/// `?all=yes`: the list even for someone whose council is known.
#[derive(Deserialize)]
pub struct ListQuery {
    all: Option<String>,
}

/// `GET /privacy`: the signed-in person's council's notice, else (or with
/// `?all=yes`) every council's.
pub async fn list(State(s): State<AppState>, session: Session, Query(q): Query<ListQuery>) -> PageResult {
    if q.all.is_none() {
        if let Some(code) = own_council_code(&s, &session).await {
            return Ok(see_other(&format!(
                "{PATH}/{}",
                crate::pages::vocabulary::urlencode(&code)
            )));
        }
    }
    render(&CouncilsPage {
        l: Layout::new(&session, "Privacy notices", ""),
        councils: councils(&s).await?,
    })
}

/// `GET /privacy/{code}`: the council's notice (its code in any case).
pub async fn notice(State(s): State<AppState>, session: Session, Path(code): Path<String>) -> PageResult {
    let all = councils(&s).await?;
    let others = all.len() > 1;
    let council = all
        .into_iter()
        .find(|c| c.code.eq_ignore_ascii_case(&code))
        .ok_or(PageError::NotFound)?;
    #[derive(Deserialize)]
    struct Data {
        council: Option<Periods>,
    }
    #[derive(Deserialize)]
    struct Periods {
        retention: Vec<Live>,
    }
    let d: Data = s
        .gateway
        .query(
            None,
            "query($id: ID!) { council(id: $id) { retention { kind days } } }",
            serde_json::json!({"id": council.id}),
        )
        .await?;
    let live = d.council.map(|c| c.retention).unwrap_or_default();
    render(&NoticePage {
        l: Layout::new(&session, format!("Privacy notice: {}", council.name), ""),
        council,
        retention: retention_periods(&live),
        updated: UPDATED,
        others,
    })
}
