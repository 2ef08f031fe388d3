//! The notifications' tables (see migrations/gateway/…_notifications.sql).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// One account a message may go to.
pub struct Account {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
}

/// The accounts holding `role` for `id` — a household's (`HOUSEHOLD`), a
/// provider's members (`PROVIDER`) or a council's officers (`OFFICER`) —
/// open ones, or closed ones too.
async fn accounts_of(db: impl PgExecutor<'_>, role: &str, id: Uuid, closed_too: bool) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as!(
        Account,
        "select distinct u.id as user_id, u.email, u.display_name from users u
         join memberships m on m.user_id = u.id
         where m.role = $1 and (u.closed_at is null or $3)
           and $2 = case m.role when 'HOUSEHOLD' then m.household_id when 'PROVIDER' then m.provider_id
                                else m.council_id end
         order by u.email",
        role,
        id,
        closed_too
    )
    .fetch_all(db)
    .await
}

/// The open accounts of a household.
pub async fn household_accounts(db: impl PgExecutor<'_>, household: Uuid) -> sqlx::Result<Vec<Account>> {
    accounts_of(db, "HOUSEHOLD", household, false).await
}

/// The open accounts of a provider's members.
pub async fn provider_accounts(db: impl PgExecutor<'_>, provider: Uuid) -> sqlx::Result<Vec<Account>> {
    accounts_of(db, "PROVIDER", provider, false).await
}

/// The open accounts of a council's officers.
pub async fn officer_accounts(db: impl PgExecutor<'_>, council: Uuid) -> sqlx::Result<Vec<Account>> {
    accounts_of(db, "OFFICER", council, false).await
}

/// A household's chosen channel, phone and postal address.
pub struct Preference {
    pub channel: String,
    pub phone: Option<String>,
    pub address_lines: Vec<String>,
    pub postcode: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by_officer: Option<Uuid>,
}

pub async fn preference(db: impl PgExecutor<'_>, household: Uuid) -> sqlx::Result<Option<Preference>> {
    sqlx::query_as!(
        Preference,
        "select channel, phone, address_lines, postcode, updated_at, updated_by_officer
         from contact_preferences where household_id = $1",
        household
    )
    .fetch_optional(db)
    .await
}

pub struct NewPreference<'a> {
    pub household: Uuid,
    pub channel: &'a str,
    pub phone: Option<&'a str>,
    pub address_lines: &'a [String],
    pub postcode: Option<&'a str>,
    pub officer: Option<Uuid>,
}

pub async fn set_preference(db: impl PgExecutor<'_>, p: &NewPreference<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into contact_preferences (household_id, channel, phone, address_lines, postcode, updated_by_officer)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (household_id) do update set channel = excluded.channel, phone = excluded.phone,
            address_lines = excluded.address_lines, postcode = excluded.postcode,
            updated_by_officer = excluded.updated_by_officer, updated_at = now()",
        p.household,
        p.channel,
        p.phone,
        p.address_lines,
        p.postcode,
        p.officer,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records an event taken from `source`; false when it was recorded before.
pub async fn record_event(
    conn: &mut PgConnection,
    event: Uuid,
    source: &str,
    kind: &str,
    occurred_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "insert into notification_events (event_id, source, kind, occurred_at) values ($1, $2, $3, $4)
         on conflict (event_id) do nothing",
        event,
        source,
        kind,
        occurred_at
    )
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A notification to record.
pub struct NewNotification {
    pub id: Uuid,
    pub event_id: Uuid,
    pub template: String,
    pub recipient_kind: &'static str,
    pub recipient_id: Uuid,
    pub household_id: Option<Uuid>,
    pub council_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub channel: &'static str,
    pub address: serde_json::Value,
    pub subject: String,
    pub body: String,
    pub personalisation: serde_json::Value,
    pub attachments: serde_json::Value,
    pub send_after: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, n: &NewNotification) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into notifications (id, event_id, template, recipient_kind, recipient_id, household_id, council_id,
            booking_id, channel, address, subject, body, personalisation, attachments, send_after, next_attempt_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
         on conflict on constraint notifications_once do nothing",
        n.id,
        n.event_id,
        n.template,
        n.recipient_kind,
        n.recipient_id,
        n.household_id,
        n.council_id,
        n.booking_id,
        n.channel,
        n.address,
        n.subject,
        n.body,
        n.personalisation,
        n.attachments,
        n.send_after,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws the booking's messages not yet sent (a reminder of a booking
/// since cancelled); answers how many.
pub async fn withdraw_for_booking(conn: &mut PgConnection, booking: Uuid, why: &str) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "update notifications set status = 'WITHDRAWN', last_error = $2, failed_at = now()
         where booking_id = $1 and status = 'PENDING'",
        booking,
        why
    )
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// A notification claimed for sending.
pub struct Claimed {
    pub id: Uuid,
    pub template: String,
    pub recipient_kind: String,
    pub recipient_id: Uuid,
    pub household_id: Option<Uuid>,
    pub channel: String,
    pub address: serde_json::Value,
    pub subject: String,
    pub body: String,
    pub personalisation: serde_json::Value,
    pub attachments: serde_json::Value,
    /// SENDING when an earlier attempt may have reached the transport.
    pub status: String,
    pub attempts: i32,
    pub transport_id: Option<String>,
    /// Whether the person is still there to tell (not erased, not closed).
    pub reachable: bool,
}

/// Claims the next notification due (to send, or whose delivery to look
/// up), for `lease_secs`, skipping those another sender holds. A message
/// being sent is marked SENDING in the same statement, so a crash after
/// this leaves it known to be in doubt.
pub async fn claim_due(db: impl PgExecutor<'_>, lease_secs: f64) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as!(
        Claimed,
        r#"with due as (
            select id, status as was from notifications
            where status in ('PENDING', 'SENDING', 'SENT') and next_attempt_at <= now()
              and (claimed_until is null or claimed_until < now())
            order by next_attempt_at
            limit 1 for update skip locked
        )
        update notifications n set claimed_until = now() + make_interval(secs => $1),
            status = case when n.status = 'PENDING' then 'SENDING' else n.status end
        from due where n.id = due.id
        returning n.id, n.template, n.recipient_kind, n.recipient_id, n.household_id, n.channel, n.address,
            n.subject, n.body, n.personalisation, n.attachments,
            due.was as status,
            n.attempts, n.transport_id,
            (case
                when n.template = 'account_closed' then true
                when n.recipient_kind = 'HOUSEHOLD' then not exists (
                    select 1 from erasures e where e.household_id = n.household_id)
                else exists (select 1 from users u where u.id = n.recipient_id and u.closed_at is null)
             end) as "reachable!""#,
        lease_secs
    )
    .fetch_optional(db)
    .await
}

/// The transport accepted it: SENT (delivery followed) or DELIVERED.
pub async fn mark_sent(
    db: impl PgExecutor<'_>,
    id: Uuid,
    transport: &str,
    transport_id: &str,
    delivered: bool,
    follow_after_secs: f64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update notifications set status = case when $4 then 'DELIVERED' else 'SENT' end,
            transport = $2, transport_id = $3, sent_at = coalesce(sent_at, now()),
            delivered_at = case when $4 then now() end, attempts = attempts + 1, last_error = null,
            claimed_until = null, next_attempt_at = now() + make_interval(secs => $5)
         where id = $1",
        id,
        transport,
        transport_id,
        delivered,
        follow_after_secs
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The delivery of a sent message is known: DELIVERED, or FAILED with the reason.
pub async fn mark_delivery(db: impl PgExecutor<'_>, id: Uuid, failure: Option<&str>) -> sqlx::Result<()> {
    sqlx::query!(
        "update notifications set status = case when $2::text is null then 'DELIVERED' else 'FAILED' end,
            delivered_at = case when $2::text is null then now() end,
            failed_at = case when $2::text is null then null else now() end,
            last_error = $2, claimed_until = null
         where id = $1",
        id,
        failure
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Try again after `delay_secs` (still SENDING if it may have been sent,
/// PENDING if it certainly was not).
pub async fn retry_later(
    db: impl PgExecutor<'_>,
    id: Uuid,
    certainly_unsent: bool,
    reason: &str,
    delay_secs: f64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update notifications set attempts = attempts + 1, last_error = $2,
            status = case when $3 and status = 'SENDING' then 'PENDING' else status end,
            next_attempt_at = now() + make_interval(secs => $4), claimed_until = null
         where id = $1",
        id,
        reason,
        certainly_unsent,
        delay_secs
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Given up: FAILED (or WITHDRAWN when the person is no longer there).
pub async fn give_up(db: impl PgExecutor<'_>, id: Uuid, status: &str, reason: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update notifications set status = $2, last_error = $3, failed_at = now(), claimed_until = null,
            attempts = attempts + 1
         where id = $1",
        id,
        status,
        reason
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A notification as people and officers see it.
pub struct Listed {
    pub id: Uuid,
    pub template: String,
    pub recipient_kind: String,
    pub household_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub channel: String,
    pub address: serde_json::Value,
    pub subject: String,
    pub body: String,
    pub attachments: serde_json::Value,
    pub status: String,
    pub transport: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub send_after: DateTime<Utc>,
}

/// A household's notifications, newest first.
pub async fn for_household(db: impl PgExecutor<'_>, household: Uuid, limit: i64) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as!(
        Listed,
        "select id, template, recipient_kind, household_id, booking_id, channel, address, subject, body,
            attachments, status, transport, last_error, created_at, sent_at, send_after
         from notifications where household_id = $1 and recipient_kind = 'HOUSEHOLD'
         order by created_at desc, id limit $2",
        household,
        limit
    )
    .fetch_all(db)
    .await
}

/// What the demo mailbox shows: messages the mailbox transport took, newest first.
pub async fn mailbox(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as!(
        Listed,
        "select id, template, recipient_kind, household_id, booking_id, channel, address, subject, body,
            attachments, status, transport, last_error, created_at, sent_at, send_after
         from notifications where transport = 'mailbox'
         order by sent_at desc nulls last, id limit $1",
        limit
    )
    .fetch_all(db)
    .await
}

/// Messages waiting to be sent or for their delivery to be known.
pub async fn pending_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from notifications where status in ('PENDING', 'SENDING', 'SENT')"#)
        .fetch_one(db)
        .await
}

/// Deletes at most `limit` messages finished (delivered, failed or
/// withdrawn) more than `days` days ago, or, when none are left, events
/// recorded that long ago.
pub async fn purge(db: &sqlx::PgPool, days: i32, limit: i64) -> sqlx::Result<u64> {
    let n = sqlx::query!(
        "delete from notifications where id in (
            select id from notifications
            where status in ('DELIVERED', 'FAILED', 'WITHDRAWN')
              and coalesce(delivered_at, failed_at, sent_at, created_at) < now() - make_interval(days => $1)
            limit $2)",
        days,
        limit
    )
    .execute(db)
    .await?
    .rows_affected();
    if n > 0 {
        return Ok(n);
    }
    let n = sqlx::query!(
        "delete from notification_events where event_id in (
            select event_id from notification_events e
            where recorded_at < now() - make_interval(days => $1)
              and not exists (select 1 from notifications n where n.event_id = e.event_id)
            limit $2)",
        days,
        limit
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok(n)
}

/// Everything held about the household's messages, for its export.
pub async fn export(db: impl PgExecutor<'_>, household: Uuid) -> sqlx::Result<Vec<serde_json::Value>> {
    sqlx::query_scalar!(
        r#"select jsonb_build_object('kind', template, 'channel', channel, 'sent_to', address, 'subject', subject,
            'body', body, 'status', status, 'problem', last_error, 'booking_id', booking_id,
            'written_at', created_at, 'send_after', send_after, 'sent_at', sent_at, 'delivered_at', delivered_at)
            as "record!"
         from notifications where household_id = $1 and recipient_kind = 'HOUSEHOLD' order by created_at, id"#,
        household
    )
    .fetch_all(db)
    .await
}

/// Forgets the household's messages and contact choice (its erasure):
/// its own messages are deleted; messages to others about its bookings
/// (a provider's) no longer name it.
pub async fn erase_household(conn: &mut PgConnection, household: Uuid) -> sqlx::Result<u64> {
    let mut n = sqlx::query!(
        "delete from notifications where household_id = $1 and recipient_kind = 'HOUSEHOLD'
            and template <> 'account_closed'",
        household
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    n += sqlx::query!(
        "update notifications set household_id = null where household_id = $1 and template <> 'account_closed'",
        household
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    n += sqlx::query!("delete from contact_preferences where household_id = $1", household)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n)
}

/// A transport's receipt for its message `transport_id`: DELIVERED, or
/// FAILED with the reason; answers whether a message was changed.
pub async fn mark_delivery_by_transport_id(
    db: impl PgExecutor<'_>,
    transport: &str,
    transport_id: &str,
    failure: Option<&str>,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update notifications set status = case when $3::text is null then 'DELIVERED' else 'FAILED' end,
            delivered_at = case when $3::text is null then now() end,
            failed_at = case when $3::text is null then null else now() end,
            last_error = $3
         where transport = $1 and transport_id = $2 and status in ('SENDING', 'SENT')",
        transport,
        transport_id,
        failure
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Where a household's messages go: its chosen phone or postal address,
/// or else each of its open accounts' email addresses (each keyed by the
/// account; a phone or letter by the household).
pub async fn household_addresses(
    conn: &mut PgConnection,
    household: Uuid,
) -> sqlx::Result<Vec<(Uuid, roundabout_notify::Address)>> {
    addresses(conn, household, false).await
}

/// As [`household_addresses`], with the accounts closed by an erasure
/// request too (for the erasure's own confirmation).
pub async fn erased_household_addresses(
    conn: &mut PgConnection,
    household: Uuid,
) -> sqlx::Result<Vec<(Uuid, roundabout_notify::Address)>> {
    addresses(conn, household, true).await
}

async fn addresses(
    conn: &mut PgConnection,
    household: Uuid,
    closed_too: bool,
) -> sqlx::Result<Vec<(Uuid, roundabout_notify::Address)>> {
    use roundabout_notify::Address;
    let pref = preference(&mut *conn, household).await?;
    match pref {
        Some(Preference {
            ref channel,
            phone: Some(ref phone),
            ..
        }) if channel == "SMS" => return Ok(vec![(household, Address::Sms { phone: phone.clone() })]),
        Some(Preference {
            ref channel,
            ref address_lines,
            postcode: Some(ref postcode),
            ..
        }) if channel == "LETTER" => {
            return Ok(vec![(
                household,
                Address::Letter {
                    lines: address_lines.clone(),
                    postcode: postcode.clone(),
                },
            )])
        }
        _ => {}
    }
    let accounts = accounts_of(&mut *conn, "HOUSEHOLD", household, closed_too).await?;
    Ok(accounts
        .into_iter()
        .map(|a| (a.user_id, Address::Email { email: a.email }))
        .collect())
}

/// Removes the address from the confirmations sent to erased households
/// once finished: it is the last trace of the person (the words are the
/// same for everyone).
pub async fn forget_sent_confirmations(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "update notifications set address = '{}'::jsonb
         where template = 'account_closed' and status in ('DELIVERED', 'FAILED', 'WITHDRAWN')
           and address <> '{}'::jsonb"
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
