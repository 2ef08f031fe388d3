//! The pages, by who uses them.

mod account;
pub(crate) mod acting;
mod admin;
pub(crate) mod assist;
mod auth;
mod checker;
pub(crate) mod household;
pub(crate) mod mailbox;
pub(crate) mod messages;
mod officer;
mod officer_reports;
mod provider;
pub mod statutory;
pub(crate) mod vocabulary;

use askama::Template;
use axum::{
    response::{Html, IntoResponse, Response},
    Router,
};

use crate::{error::PageError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(checker::router())
        .merge(account::router())
        .merge(household::router())
        .merge(provider::router())
        .merge(officer::router())
        .merge(officer_reports::router())
        .merge(assist::router())
        .merge(admin::router())
        .merge(statutory::router())
        .merge(mailbox::router())
}

/// Renders a page (200).
pub fn render(t: &impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

/// Renders a form page that was refused (422: the browser shows it, tests can tell).
pub fn render_refused(t: &impl Template) -> Result<Response, PageError> {
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(t.render()?)).into_response())
}

/// A response that also changes the session.
pub fn with_session(mut res: Response, data: crate::session::SessionData) -> Response {
    res.extensions_mut().insert(crate::session::SessionUpdate(data));
    res
}
