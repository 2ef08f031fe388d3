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
    /// Over a rate limit, here or at the gateway: try again after this long.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// This front end or the gateway was too busy, or took too long.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<GatewayError> for PageError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Unauthenticated => PageError::Expired,
            GatewayError::Forbidden => PageError::Forbidden,
            GatewayError::NotFound => PageError::NotFound,
            GatewayError::RateLimited { retry_after_secs } => PageError::TooManyRequests { retry_after_secs },
            GatewayError::Busy { retry_after_secs } => PageError::Busy { retry_after_secs },
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
    paragraphs: Vec<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
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
            PageError::TooManyRequests { retry_after_secs } => {
                let secs = (*retry_after_secs).max(1);
                retry_after = Some(secs);
                return ErrorSpec {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    heading: "Too many requests",
                    paragraphs: vec![
                        "You have tried this too many times in a short time.".into(),
                        format!("{}, then try again.", wait_for(secs)),
                        "If you share an internet connection, for example in a library, \
                         someone else using it may have caused this."
                            .into(),
                    ],
                    retry_after,
                }
                .into_page();
            }
            PageError::Busy { retry_after_secs } => {
                let secs = (*retry_after_secs).max(1);
                return busy_page(secs);
            }
            PageError::Internal(e) => {
                tracing::error!(error = ?e, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    vec!["Try again later."],
                )
            }
        };
        ErrorSpec {
            status,
            heading,
            paragraphs: paragraphs.into_iter().map(String::from).collect(),
            retry_after,
        }
        .into_page()
    }
}

/// 503: the service is busy or a page took too long.
fn busy_page(secs: u64) -> Response {
    ErrorSpec {
        status: StatusCode::SERVICE_UNAVAILABLE,
        heading: "Sorry, the service is busy",
        paragraphs: vec![
            "A lot of people are using the service right now, or your request took too long.".into(),
            format!("{}, then try again.", wait_for(secs)),
            "If you were changing something, such as a booking, check whether it was saved before you do it again."
                .into(),
        ],
        retry_after: Some(secs),
    }
    .into_page()
}

/// The page for a request this front end did not serve: shed by its
/// concurrency limit or stopped by its timeout.
pub fn refused(why: roundabout_support::admission::Refusal) -> Response {
    busy_page(why.retry_after_secs())
}

/// "Wait 20 seconds", "Wait 1 minute", "Wait 15 minutes".
fn wait_for(secs: u64) -> String {
    match secs {
        0 | 1 => "Wait 1 second".into(),
        2..=59 => format!("Wait {secs} seconds"),
        60 => "Wait 1 minute".into(),
        _ => format!("Wait {} minutes", secs.div_ceil(60)),
    }
}

/// An error page's content, kept so that [`crate::session::layer`] can
/// render it with the signed-in user's layout.
#[derive(Clone)]
pub struct ErrorSpec {
    pub status: StatusCode,
    pub heading: &'static str,
    pub paragraphs: Vec<String>,
    /// `Retry-After` in seconds (for 429).
    pub retry_after: Option<u64>,
}

impl ErrorSpec {
    pub fn render(&self, l: Layout) -> Response {
        let page = ErrorPage {
            l,
            heading: self.heading,
            paragraphs: self.paragraphs.clone(),
        };
        let mut res = match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.heading).into_response(),
        };
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        res
    }

    /// The page without the user's navigation, the spec kept in the
    /// response: the session layer renders it again with the navigation.
    fn into_page(self) -> Response {
        let mut res = self.render(Layout::plain(self.heading));
        res.extensions_mut().insert(self);
        res
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_not_served_gets_the_busy_page_with_retry_after() {
        for why in [
            roundabout_support::admission::Refusal::Overloaded,
            roundabout_support::admission::Refusal::TimedOut,
        ] {
            let res = refused(why);
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(res.headers()[header::RETRY_AFTER], "1");
            let spec = res.extensions().get::<ErrorSpec>().unwrap();
            assert_eq!(spec.heading, "Sorry, the service is busy");
            assert!(spec.paragraphs.iter().any(|p| p == "Wait 1 second, then try again."));
        }
        // The gateway's refusal reaches the person as the same page.
        let res = PageError::from(crate::gateway::GatewayError::Busy { retry_after_secs: 3 }).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "3");
    }

    #[test]
    fn too_many_requests_says_how_long_to_wait() {
        let res = PageError::TooManyRequests { retry_after_secs: 90 }.into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "90");
        let spec = res.extensions().get::<ErrorSpec>().unwrap();
        assert!(
            spec.paragraphs.iter().any(|p| p == "Wait 2 minutes, then try again."),
            "{:?}",
            spec.paragraphs
        );
        assert_eq!(wait_for(1), "Wait 1 second");
        assert_eq!(wait_for(45), "Wait 45 seconds");
        assert_eq!(wait_for(60), "Wait 1 minute");
        assert_eq!(wait_for(121), "Wait 3 minutes");
    }
}
