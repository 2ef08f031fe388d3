//! The `household_profiles` table and its audit of reads.

use chrono::{DateTime, Utc};
use roundabout_api::{eligibility::ProfileData, Pence};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use crate::domain::{
    facts::{Facts, IncomeBand, Needs},
    profile::Profile,
};

/// A profile as stored; the API shows it as [`ProfileData`].
#[derive(Debug, Clone)]
pub struct ProfileRow {
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub lat: f64,
    pub lon: f64,
    pub postcode: Option<String>,
    pub members: i32,
    pub annual_income_pence: Option<Pence>,
    /// The band the income was given as, if it was (either end may be open).
    pub income_band_from_pence: Option<Pence>,
    pub income_band_below_pence: Option<Pence>,
    pub cars_owned: i32,
    pub blue_badge: bool,
    pub benefits: Vec<String>,
    pub lead_age: Option<i32>,
    pub needs_seats: i32,
    pub needs_wheelchair_accessible: bool,
    pub needs_electric_preferred: bool,
    pub zone_ids: Vec<Uuid>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProfileRow> for ProfileData {
    fn from(p: ProfileRow) -> Self {
        Self {
            household_id: p.household_id,
            council_id: p.council_id,
            lat: p.lat,
            lon: p.lon,
            postcode: p.postcode,
            members: p.members,
            annual_income_pence: p.annual_income_pence,
            income_band_from_pence: p.income_band_from_pence,
            income_band_below_pence: p.income_band_below_pence,
            cars_owned: p.cars_owned,
            blue_badge: p.blue_badge,
            benefits: p.benefits,
            lead_age: p.lead_age,
            needs_seats: p.needs_seats,
            needs_wheelchair_accessible: p.needs_wheelchair_accessible,
            needs_electric_preferred: p.needs_electric_preferred,
            zone_ids: p.zone_ids,
            updated_at: p.updated_at,
        }
    }
}

impl ProfileRow {
    pub fn income_band(&self) -> Option<IncomeBand> {
        (self.income_band_from_pence.is_some() || self.income_band_below_pence.is_some()).then_some(IncomeBand {
            from_pence: self.income_band_from_pence,
            below_pence: self.income_band_below_pence,
        })
    }

    pub fn facts(&self) -> Facts {
        Facts {
            members: Some(self.members.into()),
            annual_income_pence: self.annual_income_pence,
            income_band: self.income_band(),
            cars_owned: Some(self.cars_owned.into()),
            blue_badge: Some(self.blue_badge),
            benefits: Some(self.benefits.clone()),
            lead_age: self.lead_age.map(Into::into),
            needs: Needs {
                seats: Some(self.needs_seats.into()),
                wheelchair_accessible: Some(self.needs_wheelchair_accessible),
                electric_preferred: Some(self.needs_electric_preferred),
            },
        }
    }
}

pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    household_id: Uuid,
    council_id: Uuid,
    p: &Profile,
    zone_ids: &[Uuid],
) -> sqlx::Result<ProfileRow> {
    sqlx::query_as!(
        ProfileRow,
        r#"insert into household_profiles (household_id, council_id, lat, lon, postcode, members, annual_income_pence,
            cars_owned, blue_badge, benefits, lead_age, needs_seats, needs_wheelchair_accessible,
            needs_electric_preferred, zone_ids, income_band_from_pence, income_band_below_pence)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         on conflict (household_id) do update set lat = excluded.lat, lon = excluded.lon,
            postcode = excluded.postcode, members = excluded.members,
            annual_income_pence = excluded.annual_income_pence,
            income_band_from_pence = excluded.income_band_from_pence,
            income_band_below_pence = excluded.income_band_below_pence, cars_owned = excluded.cars_owned,
            blue_badge = excluded.blue_badge, benefits = excluded.benefits, lead_age = excluded.lead_age,
            needs_seats = excluded.needs_seats, needs_wheelchair_accessible = excluded.needs_wheelchair_accessible,
            needs_electric_preferred = excluded.needs_electric_preferred, zone_ids = excluded.zone_ids,
            updated_at = now()
         returning household_id, council_id, lat, lon, postcode, members,
              annual_income_pence as "annual_income_pence: Pence",
              income_band_from_pence as "income_band_from_pence: Pence",
              income_band_below_pence as "income_band_below_pence: Pence", cars_owned, blue_badge, benefits, lead_age,
              needs_seats, needs_wheelchair_accessible, needs_electric_preferred, zone_ids, updated_at"#,
        household_id,
        council_id,
        p.lat,
        p.lon,
        p.postcode,
        p.members,
        p.annual_income_pence.map(Pence::get),
        p.cars_owned,
        p.blue_badge,
        &p.benefits,
        p.lead_age,
        p.needs.seats,
        p.needs.wheelchair_accessible,
        p.needs.electric_preferred,
        zone_ids,
        p.income_band.and_then(|b| b.from_pence).map(Pence::get),
        p.income_band.and_then(|b| b.below_pence).map(Pence::get),
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn get(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Option<ProfileRow>> {
    sqlx::query_as!(
        ProfileRow,
        r#"select household_id, council_id, lat, lon, postcode, members,
                annual_income_pence as "annual_income_pence: Pence",
                income_band_from_pence as "income_band_from_pence: Pence",
                income_band_below_pence as "income_band_below_pence: Pence", cars_owned, blue_badge, benefits, lead_age,
                needs_seats, needs_wheelchair_accessible, needs_electric_preferred, zone_ids, updated_at
         from household_profiles where household_id = $1"#,
        household_id,
    )
    .fetch_optional(db)
    .await
}

/// The facts and zones of one household, as simulations read them.
#[derive(Debug, Clone)]
pub struct FactsRow {
    pub members: i32,
    pub annual_income_pence: Option<Pence>,
    pub cars_owned: i32,
    pub blue_badge: bool,
    pub benefits: Vec<String>,
    pub lead_age: Option<i32>,
    pub needs_seats: i32,
    pub needs_wheelchair_accessible: bool,
    pub needs_electric_preferred: bool,
    pub zone_ids: Vec<Uuid>,
}

impl FactsRow {
    pub fn facts(&self) -> Facts {
        Facts {
            members: Some(self.members.into()),
            annual_income_pence: self.annual_income_pence,
            // Simulations count outcomes; nothing is put into words.
            income_band: None,
            cars_owned: Some(self.cars_owned.into()),
            blue_badge: Some(self.blue_badge),
            benefits: Some(self.benefits.clone()),
            lead_age: self.lead_age.map(Into::into),
            needs: Needs {
                seats: Some(self.needs_seats.into()),
                wheelchair_accessible: Some(self.needs_wheelchair_accessible),
                electric_preferred: Some(self.needs_electric_preferred),
            },
        }
    }
}

/// The facts of every profile of a council (for simulations).
pub async fn facts_of_council(db: impl PgExecutor<'_>, council_id: Uuid) -> sqlx::Result<Vec<FactsRow>> {
    sqlx::query_as!(
        FactsRow,
        r#"select members, annual_income_pence as "annual_income_pence: Pence", cars_owned, blue_badge, benefits,
            lead_age, needs_seats, needs_wheelchair_accessible, needs_electric_preferred, zone_ids
         from household_profiles where council_id = $1"#,
        council_id,
    )
    .fetch_all(db)
    .await
}

/// Profiles of a council whose location lies in a bounding box: (id, lon, lat).
pub async fn located_in_box(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    (min_lon, min_lat, max_lon, max_lat): (f64, f64, f64, f64),
) -> sqlx::Result<Vec<(Uuid, f64, f64)>> {
    let rows = sqlx::query!(
        "select household_id, lon, lat from household_profiles
         where council_id = $1 and lon between $2 and $4 and lat between $3 and $5",
        council_id,
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.household_id, r.lon, r.lat)).collect())
}

/// Adds a new zone to the profiles it contains.
pub async fn add_zone(db: impl PgExecutor<'_>, zone_id: Uuid, household_ids: &[Uuid]) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update household_profiles set zone_ids = array_append(zone_ids, $1)
         where household_id = any($2) and not ($1 = any(zone_ids))",
        zone_id,
        household_ids,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Records that someone other than the household read its profile.
pub async fn record_read(
    db: impl PgExecutor<'_>,
    household_id: Uuid,
    reader_kind: &str,
    reader_user_id: Option<Uuid>,
    reader_name: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into profile_reads (household_id, reader_kind, reader_user_id, reader_name) values ($1, $2, $3, $4)",
        household_id,
        reader_kind,
        reader_user_id,
        reader_name,
    )
    .execute(db)
    .await?;
    Ok(())
}
