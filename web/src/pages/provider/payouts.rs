//! Payouts: whether the provider can be paid, and onboarding with Stripe
//! Connect (the API gives a link to Stripe's own pages; the provider comes
//! back here when done, or with `?retry=1` when the link expired).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use roundabout_api::ErrorCode;
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::{GatewayError, UserError},
    session::{ProviderUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/provider/payouts", get(page).post(start))
}

/// The page's form leads to Stripe: the browser must be allowed to follow
/// the redirect to Stripe's https pages after posting it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'none'; \
                   form-action 'self' https:; frame-ancestors 'none'; base-uri 'self'";

#[derive(Template)]
#[template(path = "provider/payouts.html")]
struct PayoutsPage {
    l: Layout,
    name: String,
    enabled: bool,
    /// Back from Stripe with an expired link.
    retry: bool,
    errors: Errors,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Provider {
    name: String,
    payouts_enabled: bool,
}

async fn provider(s: &AppState, user: &SignedIn) -> Result<Provider, crate::error::PageError> {
    #[derive(Deserialize)]
    struct Data {
        me: Me,
    }
    #[derive(Deserialize)]
    struct Me {
        provider: Provider,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "{ me { provider { name payoutsEnabled } } }",
            json!({}),
        )
        .await?;
    Ok(d.me.provider)
}

fn respond(status: StatusCode, page: &PayoutsPage) -> PageResult {
    let mut res = (status, Html(page.render()?)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    Ok(res)
}

async fn page(State(s): State<AppState>, user: ProviderUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let p = provider(&s, &user).await?;
    respond(
        StatusCode::OK,
        &PayoutsPage {
            l: Layout::new(&user.session, "Payouts", "/provider/payouts"),
            name: p.name,
            enabled: p.payouts_enabled,
            retry: FormData(q).get("retry") == "1" && !p.payouts_enabled,
            errors: Errors::default(),
        },
    )
}

/// The API's refusal in words a provider can act on.
fn refusal(e: &UserError) -> String {
    match e.error_code() {
        Some(ErrorCode::CardPaymentsDisabled) => {
            "Payouts cannot be set up yet: Roundabout is not connected to Stripe. \
                                     What you are owed is kept for you. Try again later."
                .to_string()
        }
        Some(ErrorCode::PaymentProviderUnavailable) => {
            "Stripe is not answering. Nothing has changed. Try again in a few minutes.".to_string()
        }
        _ => e.message.clone(),
    }
}

async fn start(State(s): State<AppState>, user: ProviderUser, CsrfForm(_form): CsrfForm) -> Response {
    match try_start(&s, &user).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn try_start(s: &AppState, user: &SignedIn) -> PageResult {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        start_payout_onboarding: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        url: Option<String>,
        user_errors: Vec<UserError>,
    }
    let r = s
        .gateway
        .query::<Data>(
            Some(&user.token),
            "mutation { startPayoutOnboarding { url userErrors { field code message } } }",
            json!({}),
        )
        .await;
    let mut errors = Errors::default();
    let status = match r {
        Ok(d) => match (
            d.start_payout_onboarding.url,
            d.start_payout_onboarding.user_errors.first(),
        ) {
            (Some(url), None) if url.starts_with("https://") || url.starts_with("http://") => {
                return Ok(see_other(&url))
            }
            (_, Some(e)) => {
                errors.add("start", refusal(e));
                StatusCode::UNPROCESSABLE_ENTITY
            }
            (_, None) => return Err(anyhow::anyhow!("startPayoutOnboarding gave no link").into()),
        },
        Err(
            e @ (GatewayError::Unauthenticated
            | GatewayError::Forbidden
            | GatewayError::RateLimited { .. }
            | GatewayError::Busy { .. }),
        ) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "payout onboarding not started");
            errors.add(
                "start",
                "Stripe or Roundabout is not answering. Nothing has changed. Try again in a few minutes.",
            );
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let p = provider(s, user).await?;
    let page = PayoutsPage {
        l: Layout::new(&user.session, "Payouts", "/provider/payouts").with_errors(&errors),
        name: p.name,
        enabled: p.payouts_enabled,
        retry: false,
        errors,
    };
    respond(status, &page)
}
