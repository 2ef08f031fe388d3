//! The `vehicles` table and its change feed.

use chrono::{DateTime, Utc};
use roundabout_api::{
    inventory::VehicleData,
    states::{Propulsion, ProviderStatus, VehicleKind, VehicleStatus},
    Pence,
};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::vehicle::NewVehicle;

/// A vehicle as stored. The internal API shows it as [`VehicleData`]; search
/// hits serialize the index's shared rows as they are, in the same shape.
#[derive(Debug, Clone, Serialize)]
pub struct VehicleRow {
    pub id: Uuid,
    pub provider_id: Uuid,
    /// Insertion order within the service: the fleet's stable order and cursor.
    pub list_seq: i64,
    pub kind: VehicleKind,
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
    pub seats: i32,
    pub propulsion: Propulsion,
    pub range_km: Option<i32>,
    pub co2_grams_per_km: Option<i32>,
    pub wheelchair_accessible: bool,
    pub lat: f64,
    pub lon: f64,
    pub status: VehicleStatus,
    pub currency: String,
    pub per_hour_pence: Option<Pence>,
    pub per_day_pence: Option<Pence>,
    pub per_month_lease_pence: Option<Pence>,
    pub deposit_pence: Pence,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The change that wrote this version (the index keeps the newest).
    #[serde(skip)]
    pub change_seq: i64,
}

impl From<VehicleRow> for VehicleData {
    fn from(v: VehicleRow) -> Self {
        Self {
            id: v.id,
            provider_id: v.provider_id,
            list_seq: v.list_seq,
            kind: v.kind,
            make: v.make,
            model: v.model,
            registration: v.registration,
            seats: v.seats,
            propulsion: v.propulsion,
            range_km: v.range_km,
            co2_grams_per_km: v.co2_grams_per_km,
            wheelchair_accessible: v.wheelchair_accessible,
            lat: v.lat,
            lon: v.lon,
            status: v.status,
            currency: v.currency,
            per_hour_pence: v.per_hour_pence,
            per_day_pence: v.per_day_pence,
            per_month_lease_pence: v.per_month_lease_pence,
            deposit_pence: v.deposit_pence,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// Inserts a vehicle of `provider_id`.
pub async fn insert(
    db: &mut PgConnection,
    id: Uuid,
    provider_id: Uuid,
    v: &NewVehicle,
    status: VehicleStatus,
) -> sqlx::Result<VehicleRow> {
    sqlx::query_as!(
        VehicleRow,
        r#"insert into vehicles (id, provider_id, kind, make, model, registration, seats, propulsion, range_km,
               co2_grams_per_km, wheelchair_accessible, lat, lon, per_hour_pence, per_day_pence,
               per_month_lease_pence, deposit_pence, status)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           returning id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq"#,
        id,
        provider_id,
        v.kind.as_str(),
        v.make,
        v.model,
        v.registration,
        v.seats,
        v.propulsion.as_str(),
        v.range_km,
        v.co2_grams_per_km,
        v.wheelchair_accessible,
        v.lat,
        v.lon,
        v.per_hour_pence.map(Pence::get),
        v.per_day_pence.map(Pence::get),
        v.per_month_lease_pence.map(Pence::get),
        v.deposit_pence.get(),
        status.as_str(),
    )
    .fetch_one(db)
    .await
}

/// Replaces a vehicle's description; `None` if there is no such vehicle.
pub async fn update(db: impl PgExecutor<'_>, id: Uuid, v: &NewVehicle) -> sqlx::Result<Option<VehicleRow>> {
    sqlx::query_as!(
        VehicleRow,
        r#"update vehicles set kind = $2, make = $3, model = $4, registration = $5, seats = $6, propulsion = $7,
               range_km = $8, co2_grams_per_km = $9, wheelchair_accessible = $10, lat = $11, lon = $12,
               per_hour_pence = $13, per_day_pence = $14, per_month_lease_pence = $15, deposit_pence = $16
           where id = $1
           returning id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq"#,
        id,
        v.kind.as_str(),
        v.make,
        v.model,
        v.registration,
        v.seats,
        v.propulsion.as_str(),
        v.range_km,
        v.co2_grams_per_km,
        v.wheelchair_accessible,
        v.lat,
        v.lon,
        v.per_hour_pence.map(Pence::get),
        v.per_day_pence.map(Pence::get),
        v.per_month_lease_pence.map(Pence::get),
        v.deposit_pence.get(),
    )
    .fetch_optional(db)
    .await
}

pub async fn set_status(db: impl PgExecutor<'_>, id: Uuid, status: VehicleStatus) -> sqlx::Result<Option<VehicleRow>> {
    sqlx::query_as!(
        VehicleRow,
        r#"update vehicles set status = $2 where id = $1
           returning id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq"#,
        id,
        status.as_str(),
    )
    .fetch_optional(db)
    .await
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<VehicleRow>> {
    sqlx::query_as!(
        VehicleRow,
        r#"select id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq
           from vehicles where id = $1"#,
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<VehicleRow>> {
    sqlx::query_as!(
        VehicleRow,
        r#"select id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq
           from vehicles where id = any($1)"#,
        ids,
    )
    .fetch_all(db)
    .await
}

/// Up to `limit` vehicles of a provider after `after_seq`, in insertion order.
pub async fn page(
    db: impl PgExecutor<'_>,
    provider_id: Uuid,
    after_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<VehicleRow>> {
    sqlx::query_as!(
        VehicleRow,
        r#"select id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq
           from vehicles where provider_id = $1 and list_seq > $2 order by list_seq limit $3"#,
        provider_id,
        after_seq,
        limit,
    )
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, provider_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from vehicles where provider_id = $1"#,
        provider_id,
    )
    .fetch_one(db)
    .await
}

/// The registrations among `regs` that vehicles already have.
pub async fn registrations_taken(db: impl PgExecutor<'_>, regs: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select registration as "registration!" from vehicles where registration = any($1)"#,
        regs,
    )
    .fetch_all(db)
    .await
}

/// A position in the change feed: (transaction id, change number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    pub xid: String,
    pub seq: i64,
}

impl Watermark {
    /// Before every change.
    pub fn start() -> Self {
        Self {
            xid: "0".into(),
            seq: 0,
        }
    }
}

impl Default for Watermark {
    fn default() -> Self {
        Self::start()
    }
}

pub struct VehicleChange {
    pub row: VehicleRow,
    pub change_xid: String,
}

/// Vehicles changed after `after`, by transactions older than every running
/// one (so no change before them can still appear), in feed order.
pub async fn changes_since(db: impl PgExecutor<'_>, after: &Watermark, limit: i64) -> sqlx::Result<Vec<VehicleChange>> {
    let rows = sqlx::query!(
        r#"select id, provider_id, list_seq, kind as "kind: VehicleKind", make, model, registration, seats,
                  propulsion as "propulsion: Propulsion", range_km, co2_grams_per_km, wheelchair_accessible, lat, lon,
                  status as "status: VehicleStatus", currency, per_hour_pence as "per_hour_pence: Pence",
                  per_day_pence as "per_day_pence: Pence", per_month_lease_pence as "per_month_lease_pence: Pence",
                  deposit_pence as "deposit_pence: Pence", created_at, updated_at, change_seq,
                  change_xid::text as "change_xid!"
           from vehicles
           where (change_xid, change_seq) > ($1::text::xid8, $2)
             and change_xid < pg_snapshot_xmin(pg_current_snapshot())
           order by change_xid, change_seq limit $3"#,
        after.xid,
        after.seq,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| VehicleChange {
            row: VehicleRow {
                id: r.id,
                provider_id: r.provider_id,
                list_seq: r.list_seq,
                kind: r.kind,
                make: r.make,
                model: r.model,
                registration: r.registration,
                seats: r.seats,
                propulsion: r.propulsion,
                range_km: r.range_km,
                co2_grams_per_km: r.co2_grams_per_km,
                wheelchair_accessible: r.wheelchair_accessible,
                lat: r.lat,
                lon: r.lon,
                status: r.status,
                currency: r.currency,
                per_hour_pence: r.per_hour_pence,
                per_day_pence: r.per_day_pence,
                per_month_lease_pence: r.per_month_lease_pence,
                deposit_pence: r.deposit_pence,
                created_at: r.created_at,
                updated_at: r.updated_at,
                change_seq: r.change_seq,
            },
            change_xid: r.change_xid,
        })
        .collect())
}

pub struct ApprovalChange {
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub status: ProviderStatus,
    pub change_seq: i64,
    pub change_xid: String,
}

/// Approvals changed after `after`, as [`changes_since`].
pub async fn approval_changes_since(
    db: impl PgExecutor<'_>,
    after: &Watermark,
    limit: i64,
) -> sqlx::Result<Vec<ApprovalChange>> {
    sqlx::query_as!(
        ApprovalChange,
        r#"select provider_id, council_id, status as "status: ProviderStatus", change_seq,
                  change_xid::text as "change_xid!"
           from provider_councils
           where (change_xid, change_seq) > ($1::text::xid8, $2)
             and change_xid < pg_snapshot_xmin(pg_current_snapshot())
           order by change_xid, change_seq limit $3"#,
        after.xid,
        after.seq,
        limit,
    )
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Search hits serialise the index's rows as they are: the same JSON as
    /// the contract's [`VehicleData`], which readers deserialize.
    #[test]
    fn a_row_serialises_as_the_contracts_vehicle() {
        let row = VehicleRow {
            id: Uuid::new_v4(),
            provider_id: Uuid::new_v4(),
            list_seq: 7,
            kind: VehicleKind::Van,
            make: "Ford".into(),
            model: "Transit".into(),
            registration: Some("AB12 CDE".into()),
            seats: 3,
            propulsion: Propulsion::Diesel,
            range_km: Some(600),
            co2_grams_per_km: Some(180),
            wheelchair_accessible: false,
            lat: 51.78,
            lon: -1.48,
            status: VehicleStatus::Available,
            currency: "GBP".into(),
            per_hour_pence: Some(Pence(650)),
            per_day_pence: None,
            per_month_lease_pence: Some(Pence(30_000)),
            deposit_pence: Pence(10_000),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            change_seq: 42,
        };
        let as_row = serde_json::to_string(&row).unwrap();
        let as_data = serde_json::to_string(&VehicleData::from(row)).unwrap();
        assert_eq!(as_row, as_data);
    }
}
