//! "Your account": sign-in and security for every kind of user — changing
//! the password (which signs out every other device) and signing out of all
//! devices. Both end sessions at the gateway, so a copied cookie or token
//! stops working at once.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse},
    routing::get,
    Router,
};
use roundabout_api::ErrorCode;
use serde::Deserialize;
use serde_json::json;

use super::{render, render_refused, with_session};
use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FieldError},
    gateway::{GatewayError, UserError},
    session::AnyUser,
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/password", get(password_page).post(change_password))
        .route(
            "/account/sign-out-everywhere",
            get(sign_out_everywhere_page).post(sign_out_everywhere),
        )
}

/// The gateway's bounds on a password (the API refuses others too).
const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 256;

#[derive(Template)]
#[template(path = "account/account.html")]
struct AccountPage {
    l: Layout,
    email: String,
    /// A household's account: links to its data and to closing it.
    household: bool,
}

async fn account(State(s): State<AppState>, user: AnyUser) -> PageResult {
    #[derive(Deserialize)]
    struct Me {
        email: String,
    }
    #[derive(Deserialize)]
    struct Data {
        me: Option<Me>,
    }
    // Asked of the gateway, not the cookie: an ended session shows here first.
    let d: Data = s
        .gateway
        .query(Some(&user.token), "{ me { email } }", json!({}))
        .await?;
    let me = d.me.ok_or(PageError::Expired)?;
    render(&AccountPage {
        l: Layout::new(&user.session, "Sign-in and security", "/account"),
        email: me.email,
        household: user.session.data.role.as_deref() == Some("HOUSEHOLD"),
    })
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    l: Layout,
    errors: Errors,
}

async fn password_page(user: AnyUser) -> PageResult {
    render(&PasswordPage {
        l: Layout::new(&user.session, "Change your password", "/account"),
        errors: Errors::default(),
    })
}

/// The form's own checks, before the gateway's.
fn check_password_form(current: &str, new: &str, confirm: &str) -> Errors {
    let mut errors = Errors::default();
    if current.is_empty() {
        errors.add("current-password", "Enter your current password");
    }
    let length = new.chars().count();
    if new.is_empty() {
        errors.add("new-password", "Enter a new password");
    } else if length < MIN_PASSWORD {
        errors.add("new-password", "Your new password must be at least 12 characters");
    } else if length > MAX_PASSWORD {
        errors.add("new-password", "Your new password must be 256 characters or fewer");
    }
    if confirm.is_empty() && !new.is_empty() {
        errors.add("confirm-password", "Confirm your new password");
    } else if confirm != new && !new.is_empty() {
        errors.add("confirm-password", "The passwords you entered do not match");
    }
    errors
}

/// The API's refusals at their fields; one about trying too often goes at
/// the top of the form.
fn password_refusals(user_errors: &[UserError]) -> Errors {
    let mut errors = Errors::default();
    for e in user_errors {
        match (e.error_code(), e.field_name()) {
            (Some(ErrorCode::TooManyAttempts), _) => errors.0.push(FieldError {
                field: String::new(),
                message: e.message.clone(),
            }),
            (_, Some("newPassword")) => errors.add("new-password", e.message.clone()),
            _ => errors.add("current-password", e.message.clone()),
        }
    }
    errors
}

const CHANGE_PASSWORD: &str = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { viewer { email } userErrors { field code message } } }";

async fn change_password(State(s): State<AppState>, user: AnyUser, CsrfForm(form): CsrfForm) -> PageResult {
    let (current, new) = (form.get("current-password"), form.get("new-password"));
    let mut errors = check_password_form(current, new, form.get("confirm-password"));
    if errors.is_empty() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            viewer: Option<serde_json::Value>,
            user_errors: Vec<UserError>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            change_password: Payload,
        }
        let d: Data = s
            .gateway
            .query(
                Some(&user.token),
                CHANGE_PASSWORD,
                json!({"input": {"currentPassword": current, "newPassword": new}}),
            )
            .await?;
        let p = d.change_password;
        if p.user_errors.is_empty() && p.viewer.is_some() {
            let data = user
                .session
                .data
                .with_flash("Your password has been changed. You have been signed out on all your other devices.");
            return Ok(with_session(see_other("/account"), data));
        }
        errors = password_refusals(&p.user_errors);
        if errors.is_empty() {
            return Err(anyhow::anyhow!("changePassword gave neither a viewer nor a refusal").into());
        }
    }
    // Passwords are never sent back to the page.
    render_refused(&PasswordPage {
        l: Layout::new(&user.session, "Change your password", "/account").with_errors(&errors),
        errors,
    })
}

#[derive(Template)]
#[template(path = "account/sign_out_everywhere.html")]
struct SignOutEverywherePage {
    l: Layout,
    errors: Errors,
}

async fn sign_out_everywhere_page(user: AnyUser) -> PageResult {
    render(&SignOutEverywherePage {
        l: Layout::new(&user.session, "Sign out of all devices", "/account"),
        errors: Errors::default(),
    })
}

async fn sign_out_everywhere(State(s): State<AppState>, user: AnyUser, CsrfForm(_): CsrfForm) -> PageResult {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        user_errors: Vec<UserError>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        sign_out_everywhere: Payload,
    }
    let r: Result<Data, GatewayError> = s
        .gateway
        .query(
            Some(&user.token),
            "mutation { signOutEverywhere { sessionsEnded userErrors { field code message } } }",
            json!({}),
        )
        .await;
    let refusal = match r {
        Ok(d) => match d.sign_out_everywhere.user_errors.first() {
            None => {
                let data = user
                    .session
                    .data
                    .without_token()
                    .with_flash("You have signed out of all devices.");
                return Ok(with_session(see_other("/"), data));
            }
            Some(e) => e.message.clone(),
        },
        // Already ended: to sign-in, as for any ended session.
        Err(e @ (GatewayError::Unauthenticated | GatewayError::RateLimited { .. } | GatewayError::Busy { .. })) => {
            return Err(e.into())
        }
        Err(e) => {
            tracing::warn!(error = %e, "signOutEverywhere failed");
            // Not signed out anywhere: say so, and stay signed in to try again.
            "Sorry, we could not sign you out of your other devices. You are still signed in. Try again later.".into()
        }
    };
    let mut errors = Errors::default();
    errors.add("sign-out-everywhere", refusal);
    let page = SignOutEverywherePage {
        l: Layout::new(&user.session, "Sign out of all devices", "/account").with_errors(&errors),
        errors,
    };
    Ok((StatusCode::SERVICE_UNAVAILABLE, Html(page.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_checks_its_fields_before_asking() {
        let ok = "a long enough password";
        assert!(check_password_form("old", ok, ok).is_empty());
        let e = check_password_form("", "short", "shorter");
        assert_eq!(e.get("current-password"), Some("Enter your current password"));
        assert_eq!(
            e.get("new-password"),
            Some("Your new password must be at least 12 characters")
        );
        assert_eq!(
            e.get("confirm-password"),
            Some("The passwords you entered do not match")
        );
        let e = check_password_form("old", &"x".repeat(257), &"x".repeat(257));
        assert_eq!(
            e.get("new-password"),
            Some("Your new password must be 256 characters or fewer")
        );
        let e = check_password_form("old", ok, "");
        assert_eq!(e.get("confirm-password"), Some("Confirm your new password"));
    }

    #[test]
    fn refusals_go_to_their_fields_and_throttling_to_the_top() {
        let ue = |field: Option<&str>, code: &str| UserError {
            field: field.map(|f| vec!["input".into(), f.into()]),
            code: code.into(),
            message: format!("{code} message"),
        };
        let e = password_refusals(&[
            ue(Some("currentPassword"), "INVALID_CREDENTIALS"),
            ue(Some("newPassword"), "INVALID_INPUT"),
            ue(None, "TOO_MANY_ATTEMPTS"),
        ]);
        assert_eq!(e.get("current-password"), Some("INVALID_CREDENTIALS message"));
        assert_eq!(e.get("new-password"), Some("INVALID_INPUT message"));
        assert_eq!(e.get(""), Some("TOO_MANY_ATTEMPTS message"));
    }
}
