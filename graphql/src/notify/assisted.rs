//! Telling a household that a council officer acted for it: written in the
//! same transaction that records the action's outcome (see
//! `schema::acting::AuditEntry::finish`), so the household hears of every
//! change made for it, once. Reads are not announced (the household sees
//! them in its export); nor is a request to close the account, after which
//! nothing is sent to the household.

use roundabout_api::events::reference;
use roundabout_support::internal_auth::HouseholdMembership;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    db::{self, NewNotification},
    messages::{written_for_officer_action, Template},
};
use crate::schema::acting::AssistedActionKind;

/// The kinds of action a household is told of, and the words for what was done.
fn told(kind: AssistedActionKind, target: Option<Uuid>) -> Option<String> {
    let booking = || {
        target
            .map(|t| format!(" (reference {})", reference(t)))
            .unwrap_or_default()
    };
    match kind {
        AssistedActionKind::Booking => Some(format!("booked a vehicle for you{}", booking())),
        AssistedActionKind::Cancellation => Some(format!("cancelled a booking for you{}", booking())),
        AssistedActionKind::ProfileUpdate => Some("changed your answers about your household".into()),
        AssistedActionKind::ContactUpdate => Some("changed how we contact you".into()),
        AssistedActionKind::DataExport => Some("downloaded a copy of the data we hold about you".into()),
        AssistedActionKind::ProfileRead
        | AssistedActionKind::EligibilityRead
        | AssistedActionKind::OffersSearch
        | AssistedActionKind::ErasureRequest => None,
    }
}

/// The event id of assisted action `entry`'s notice: the same for the
/// same action, so it is written once.
fn event_id(entry: i64) -> Uuid {
    // "assisted" in ASCII, then the audit entry's id.
    Uuid::from_u64_pair(0x6173_7369_7374_6564, entry as u64)
}

/// Writes the household's message about assisted action `entry`, if the
/// household is told of its kind.
pub async fn notice(
    tx: &mut PgConnection,
    site: &str,
    entry: i64,
    household: HouseholdMembership,
    kind: AssistedActionKind,
    target: Option<Uuid>,
) -> sqlx::Result<()> {
    let Some(what) = told(kind, target) else {
        return Ok(());
    };
    let recorded = db::record_event(
        &mut *tx,
        event_id(entry),
        "gateway",
        "ASSISTED_ACTION",
        chrono::Utc::now(),
    )
    .await?;
    if !recorded {
        return Ok(());
    }
    let booking = matches!(kind, AssistedActionKind::Booking | AssistedActionKind::Cancellation)
        .then_some(target)
        .flatten();
    for (recipient, to) in db::household_addresses(&mut *tx, household.household_id).await? {
        let w = written_for_officer_action(&what, to.channel(), site);
        let address = serde_json::to_value(&to).unwrap_or_default();
        db::insert(
            &mut *tx,
            &NewNotification {
                id: Uuid::new_v4(),
                event_id: event_id(entry),
                template: Template::OfficerActed.as_str().to_string(),
                recipient_kind: "HOUSEHOLD",
                recipient_id: recipient,
                household_id: Some(household.household_id),
                council_id: Some(household.council_id),
                booking_id: booking,
                channel: to.channel().as_str(),
                address,
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
