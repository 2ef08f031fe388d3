//! The event feed a service serves from its `events` table (see
//! `roundabout_api::events`): the gateway's notifications module reads the
//! events not yet taken and acknowledges those it has recorded.
//!
//! Only the gateway may read or acknowledge: the events name households.

use axum::{
    extract::{FromRef, Query, State},
    routing::{get, post},
    Json, Router,
};
use roundabout_api::{
    events::{AckData, EventData, EventsAck, EventsPage, EventsQuery, MAX_PAGE},
    routes,
};
use sqlx::PgPool;

use crate::{
    db::events as db,
    error::ValidJson,
    internal_auth::{Caller, InternalAuth},
    ApiError, ApiResult,
};

/// The one reader of the feed.
const READER: &str = "gateway";

/// The most ids one acknowledgement may carry.
const MAX_ACK: usize = 1_000;

#[derive(Clone)]
struct Feed {
    pool: PgPool,
    auth: InternalAuth,
}

impl FromRef<Feed> for InternalAuth {
    fn from_ref(f: &Feed) -> Self {
        f.auth.clone()
    }
}

/// `GET /internal/events` and `POST /internal/events/ack` on `pool`'s
/// `events` table.
pub fn router(pool: PgPool, auth: InternalAuth) -> Router {
    Router::new()
        .route(routes::events::EVENTS, get(untaken))
        .route(routes::events::EVENTS_ACK, post(ack))
        .with_state(Feed { pool, auth })
        // A malformed query string is refused in the envelope too.
        .layer(axum::middleware::map_response(crate::error::envelope_plain_refusals))
}

async fn untaken(
    State(Feed { pool, .. }): State<Feed>,
    caller: Caller,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<EventsPage>> {
    caller.require_service(READER)?;
    let limit = q.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let events = db::untaken(&pool, limit)
        .await?
        .into_iter()
        .map(|r| EventData {
            id: r.id,
            kind: r.kind,
            occurred_at: r.occurred_at,
            payload: r.payload,
        })
        .collect();
    Ok(Json(EventsPage { events }))
}

async fn ack(
    State(Feed { pool, .. }): State<Feed>,
    caller: Caller,
    ValidJson(body): ValidJson<EventsAck>,
) -> ApiResult<Json<AckData>> {
    caller.require_service(READER)?;
    if body.ids.len() > MAX_ACK {
        return Err(ApiError::invalid("ids", format!("at most {MAX_ACK} ids at once")));
    }
    let taken = db::take(&pool, &body.ids).await?;
    Ok(Json(AckData { taken }))
}
