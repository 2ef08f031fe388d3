//! GOV.UK Notify's delivery receipts: Notify posts each message's final
//! status to `POST /notify/delivery-receipts` with the bearer token set as
//! the service's callback token (`NOTIFY_CALLBACK_TOKEN`). A receipt marks
//! the message delivered or failed at once; without callbacks the sender
//! looks the status up itself (see [`super::send`]), so a lost receipt
//! changes nothing.

use axum::{
    body::Bytes,
    extract::State,
    http::{header::AUTHORIZATION, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use roundabout_api::ErrorCode;
use roundabout_notify::{govuk_notify, Delivery};
use serde_json::json;
use sqlx::PgPool;

/// The path Notify is told to post receipts to.
pub const PATH: &str = "/notify/delivery-receipts";

#[derive(Clone)]
struct Receipts {
    pool: PgPool,
    token: Option<String>,
}

/// The receipts route; it answers 404 unless `token` is set.
pub fn router(pool: PgPool, token: Option<String>) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .with_state(Receipts { pool, token })
}

fn problem(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

async fn receive(State(r): State<Receipts>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(token) = r.token.as_deref() else {
        return problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, "Not found");
    };
    let authorization = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let receipt = match govuk_notify::verify_delivery_receipt(token, authorization, &body) {
        Ok(receipt) => receipt,
        Err(govuk_notify::CallbackError::Unauthorised) => {
            return problem(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "Unknown callback token",
            );
        }
        Err(govuk_notify::CallbackError::BadBody(why)) => {
            return problem(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, &why);
        }
    };
    let failure = match &receipt.delivery {
        Delivery::Pending => return StatusCode::NO_CONTENT.into_response(),
        Delivery::Delivered => None,
        Delivery::Failed(why) => Some(why.as_str()),
    };
    match super::db::mark_delivery_by_transport_id(&r.pool, "notify", &receipt.transport_id, failure).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a Notify delivery receipt was not recorded; the status lookup will catch up");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                "Not recorded; send it again later",
            )
        }
    }
}
