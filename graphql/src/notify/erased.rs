//! The one message an erased household still gets: that its account is
//! closed and its data erased. Written by the erasure's `ACCOUNT` step in
//! the transaction that deletes the accounts, while the addresses are
//! still known; sent despite the erasure (the claim lets this template
//! through), then its address is removed as soon as it is finished
//! ([`super::db::forget_sent_confirmations`]).

use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    db::{self, NewNotification},
    messages::{account_closed, Template},
};

/// The confirmation's event id: one per household, so a repeated step
/// writes it once.
fn event_id(household: Uuid) -> Uuid {
    // "erased!!" in ASCII, mixed with the household's id.
    Uuid::from_u128(household.as_u128() ^ 0x6572_6173_6564_2121_0000_0000_0000_0000)
}

/// Writes the household's confirmation, once.
pub async fn confirmation(conn: &mut PgConnection, household: Uuid) -> sqlx::Result<()> {
    if !db::record_event(
        &mut *conn,
        event_id(household),
        "gateway",
        "ACCOUNT_ERASED",
        chrono::Utc::now(),
    )
    .await?
    {
        return Ok(());
    }
    for (recipient, to) in db::erased_household_addresses(&mut *conn, household).await? {
        let w = account_closed(to.channel());
        db::insert(
            &mut *conn,
            &NewNotification {
                id: Uuid::new_v4(),
                event_id: event_id(household),
                template: Template::AccountClosed.as_str().to_string(),
                recipient_kind: "HOUSEHOLD",
                recipient_id: recipient,
                household_id: Some(household),
                council_id: None,
                booking_id: None,
                channel: to.channel().as_str(),
                address: serde_json::to_value(&to).unwrap_or_default(),
                subject: w.subject,
                body: w.body,
                personalisation: serde_json::to_value(&w.personalisation).unwrap_or_default(),
                attachments: serde_json::json!([]),
                send_after: chrono::Utc::now(),
            },
        )
        .await?;
    }
    Ok(())
}
