//! A household's data rights in payments: its payments, refunds, lease
//! instalments and the ledger lines naming it in its export, and the
//! erasure step the gateway drives (see `graphql/src/erasure/`).

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use roundabout_api::{
    privacy::{ErasureStepData, ExportData, ExportSection},
    routes,
};
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    db,
    domain::ledger::household_receivable,
    http::payments::out,
    ops::{retrying, unavailable},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::payments::HOUSEHOLD_EXPORT, get(export))
        .route(routes::payments::HOUSEHOLD_ERASURE, post(erase))
}

#[derive(Serialize)]
struct CustomerRecord {
    processor_customer_id: String,
}

/// The household itself (or an officer acting for it) and officers of the
/// council of each payment.
async fn export(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ExportData>> {
    let rows = db::privacy::household_payments(&s.pool, id).await?;
    let councils: Vec<Uuid> = rows.iter().map(|p| p.council_id).collect();
    if !caller.may_read_household(id, &councils) {
        return Err(ApiError::not_found("No such household"));
    }
    let mut payments = Vec::with_capacity(rows.len());
    for p in rows {
        let instalments = db::lease::for_booking(&s.pool, p.booking_id).await?;
        payments.push(out(p, instalments));
    }
    let lines = db::privacy::ledger_lines(&s.pool, &household_receivable(id)).await?;
    let customer = db::accounts::customer(&s.pool, id).await?;
    Ok(Json(ExportData {
        sections: vec![
            ExportSection::new(
                "payments",
                "Your payments and refunds",
                "To take your share of each booking, refund it when a booking is cancelled and keep the accounts.",
                payments,
            ),
            ExportSection::new(
                "ledger_lines",
                "What you owe or paid by invoice (accounts)",
                "The council's accounts: each amount invoiced to you and each payment or refund of it.",
                lines,
            ),
            ExportSection::new(
                "card_processor",
                "Your record at the card processor",
                "Stripe keeps the card you pay with under this reference; we never see the card number.",
                customer.map(|c| CustomerRecord {
                    processor_customer_id: c,
                }),
            ),
        ],
    }))
}

/// `POST /internal/households/{id}/erasure`: only the gateway's erasure
/// process; idempotent.
async fn erase(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ErasureStepData>> {
    caller.require_service("gateway")?;
    // The customer at the processor first (its saved cards go with it), so
    // that a failure leaves the link to it here for the retry.
    if let (Some(customer), Some(processor)) = (db::accounts::customer(&s.pool, id).await?, &s.processor) {
        let key = format!("delete-customer:{id}");
        db::payments::record_call(&s.pool, &key, None, "delete_customer").await?;
        retrying(|| processor.delete_customer(&customer, &key))
            .await
            .map_err(unavailable)?;
        db::payments::complete_call(&s.pool, &key, &customer).await?;
    }
    let mut tx = s.pool.begin().await?;
    let changed = db::privacy::erase(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(ErasureStepData::done(changed)))
}
