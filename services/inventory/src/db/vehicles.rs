//! The `vehicles` table and its change feed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::vehicle::NewVehicle;

/// A vehicle as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct VehicleRow {
    pub id: Uuid,
    pub provider_id: Uuid,
    /// Insertion order within the service: the fleet's stable order and cursor.
    pub list_seq: i64,
    pub kind: String,
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
    pub seats: i32,
    pub propulsion: String,
    pub range_km: Option<i32>,
    pub co2_grams_per_km: Option<i32>,
    pub wheelchair_accessible: bool,
    pub lat: f64,
    pub lon: f64,
    pub status: String,
    pub currency: String,
    pub per_hour_pence: Option<i64>,
    pub per_day_pence: Option<i64>,
    pub per_month_lease_pence: Option<i64>,
    pub deposit_pence: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The change that wrote this version (the index keeps the newest).
    #[serde(skip)]
    pub change_seq: i64,
}

pub const COLUMNS: &str = "id, provider_id, list_seq, kind, make, model, registration, seats, propulsion, \
     range_km, co2_grams_per_km, wheelchair_accessible, lat, lon, status, currency, per_hour_pence, \
     per_day_pence, per_month_lease_pence, deposit_pence, created_at, updated_at, change_seq";

/// Inserts a vehicle of `provider_id`.
pub async fn insert(
    db: &mut PgConnection,
    id: Uuid,
    provider_id: Uuid,
    v: &NewVehicle,
    status: &str,
) -> sqlx::Result<VehicleRow> {
    sqlx::query_as(&format!(
        "insert into vehicles (id, provider_id, kind, make, model, registration, seats, propulsion, range_km,
             co2_grams_per_km, wheelchair_accessible, lat, lon, per_hour_pence, per_day_pence,
             per_month_lease_pence, deposit_pence, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(provider_id)
    .bind(v.kind)
    .bind(&v.make)
    .bind(&v.model)
    .bind(&v.registration)
    .bind(v.seats)
    .bind(v.propulsion)
    .bind(v.range_km)
    .bind(v.co2_grams_per_km)
    .bind(v.wheelchair_accessible)
    .bind(v.lat)
    .bind(v.lon)
    .bind(v.per_hour_pence)
    .bind(v.per_day_pence)
    .bind(v.per_month_lease_pence)
    .bind(v.deposit_pence)
    .bind(status)
    .fetch_one(db)
    .await
}

/// Replaces a vehicle's description; `None` if there is no such vehicle.
pub async fn update(db: impl PgExecutor<'_>, id: Uuid, v: &NewVehicle) -> sqlx::Result<Option<VehicleRow>> {
    sqlx::query_as(&format!(
        "update vehicles set kind = $2, make = $3, model = $4, registration = $5, seats = $6, propulsion = $7,
             range_km = $8, co2_grams_per_km = $9, wheelchair_accessible = $10, lat = $11, lon = $12,
             per_hour_pence = $13, per_day_pence = $14, per_month_lease_pence = $15, deposit_pence = $16
         where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(v.kind)
    .bind(&v.make)
    .bind(&v.model)
    .bind(&v.registration)
    .bind(v.seats)
    .bind(v.propulsion)
    .bind(v.range_km)
    .bind(v.co2_grams_per_km)
    .bind(v.wheelchair_accessible)
    .bind(v.lat)
    .bind(v.lon)
    .bind(v.per_hour_pence)
    .bind(v.per_day_pence)
    .bind(v.per_month_lease_pence)
    .bind(v.deposit_pence)
    .fetch_optional(db)
    .await
}

pub async fn set_status(db: impl PgExecutor<'_>, id: Uuid, status: &str) -> sqlx::Result<Option<VehicleRow>> {
    sqlx::query_as(&format!(
        "update vehicles set status = $2 where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_optional(db)
    .await
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<VehicleRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from vehicles where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<VehicleRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from vehicles where id = any($1)"))
        .bind(ids)
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
    sqlx::query_as(&format!(
        "select {COLUMNS} from vehicles where provider_id = $1 and list_seq > $2 order by list_seq limit $3"
    ))
    .bind(provider_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, provider_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from vehicles where provider_id = $1")
        .bind(provider_id)
        .fetch_one(db)
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

#[derive(sqlx::FromRow)]
pub struct VehicleChange {
    #[sqlx(flatten)]
    pub row: VehicleRow,
    pub change_xid: String,
}

/// Vehicles changed after `after`, by transactions older than every running
/// one (so no change before them can still appear), in feed order.
pub async fn changes_since(db: impl PgExecutor<'_>, after: &Watermark, limit: i64) -> sqlx::Result<Vec<VehicleChange>> {
    sqlx::query_as(&format!(
        "select {COLUMNS}, change_xid::text as change_xid from vehicles
         where (change_xid, change_seq) > ($1::xid8, $2)
           and change_xid < pg_snapshot_xmin(pg_current_snapshot())
         order by change_xid, change_seq limit $3"
    ))
    .bind(&after.xid)
    .bind(after.seq)
    .bind(limit)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow)]
pub struct ApprovalChange {
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub status: String,
    pub change_seq: i64,
    pub change_xid: String,
}

/// Approvals changed after `after`, as [`changes_since`].
pub async fn approval_changes_since(
    db: impl PgExecutor<'_>,
    after: &Watermark,
    limit: i64,
) -> sqlx::Result<Vec<ApprovalChange>> {
    sqlx::query_as(
        "select provider_id, council_id, status, change_seq, change_xid::text as change_xid from provider_councils
         where (change_xid, change_seq) > ($1::xid8, $2)
           and change_xid < pg_snapshot_xmin(pg_current_snapshot())
         order by change_xid, change_seq limit $3",
    )
    .bind(&after.xid)
    .bind(after.seq)
    .bind(limit)
    .fetch_all(db)
    .await
}
