//! Pages for what went wrong: not found, not allowed, a refused form, a
//! problem with the service; and the redirect to sign in.

use askama::Template;
use axum::{
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
};

use crate::{gateway::GatewayError, session::NeedsSignIn, views::Layout};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Unknown, or not the user's to see (never tell which).
    #[error("page not found")]
    NotFound,
    /// Not signed in: sign in, then come back.
    #[error("sign in first")]
    SignIn,
    /// The gateway no longer accepts the session's token.
    #[error("session expired")]
    Expired,
    /// Signed in, but this part is for another kind of user.
    #[error("forbidden")]
    Forbidden,
    /// A form without this session's CSRF token.
    #[error("form refused")]
    Csrf,
    /// A form or file larger than the page accepts.
    #[error("too large")]
    TooLarge,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<GatewayError> for PageError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Unauthenticated => PageError::Expired,
            GatewayError::Forbidden => PageError::Forbidden,
            GatewayError::Invalid(m) => PageError::Internal(anyhow::anyhow!("refused by the API: {m}")),
            GatewayError::Other(e) => PageError::Internal(e),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(anyhow::anyhow!("rendering a page: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    heading: &'static str,
    paragraphs: Vec<&'static str>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, paragraphs) = match &self {
            PageError::SignIn | PageError::Expired => {
                let mut res = StatusCode::UNAUTHORIZED.into_response();
                res.extensions_mut().insert(NeedsSignIn {
                    expired: matches!(self, PageError::Expired),
                });
                return res;
            }
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                vec![
                    "If you typed the web address, check it is correct.",
                    "If you pasted the web address, check you copied the entire address.",
                ],
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You cannot use this page",
                vec!["This page is for another kind of account. Sign out and sign in with the account it is for."],
            ),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Your form could not be sent",
                vec!["The page had been open too long or came from another site. Go back, reload the page and try again."],
            ),
            PageError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The file is too large",
                vec!["Go back and choose a smaller file, or split it into parts and upload each part."],
            ),
            PageError::Internal(e) => {
                tracing::error!(error = ?e, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    vec!["Try again later."],
                )
            }
        };
        let spec = ErrorSpec {
            status,
            heading,
            paragraphs,
        };
        let mut res = spec.render(Layout::plain(heading));
        // The session layer renders it again with the user's navigation.
        res.extensions_mut().insert(spec);
        res
    }
}

/// An error page's content, kept so that [`crate::session::layer`] can
/// render it with the signed-in user's layout.
#[derive(Clone)]
pub struct ErrorSpec {
    pub status: StatusCode,
    pub heading: &'static str,
    pub paragraphs: Vec<&'static str>,
}

impl ErrorSpec {
    pub fn render(&self, l: Layout) -> Response {
        let page = ErrorPage {
            l,
            heading: self.heading,
            paragraphs: self.paragraphs.clone(),
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.heading).into_response(),
        }
    }
}

/// A 303 redirect (after a form, the browser GETs `to`); a `to` that is
/// not plain visible ASCII goes to `/` instead ([`crate::redirect::location`]).
pub fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, crate::redirect::location(to))],
    )
        .into_response()
}

pub type PageResult = Result<Response, PageError>;
