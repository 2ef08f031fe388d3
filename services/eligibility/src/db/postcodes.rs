//! The `postcodes` lookup: full postcodes and districts, stored upper case
//! without spaces.

use sqlx::PgExecutor;
use uuid::Uuid;

/// The councils whose lookup has one of `candidates` (a full postcode and
/// its district), each with the entry found; the full postcode's entries
/// come first within each council.
pub async fn councils_having(db: impl PgExecutor<'_>, candidates: &[String]) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "select council_id, postcode from postcodes where postcode = any($1)
         order by length(postcode) desc, council_id limit 50",
        candidates,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.council_id, r.postcode)).collect())
}

/// The location of the most specific of `candidates` in a council's lookup.
pub async fn locate(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    candidates: &[String],
) -> sqlx::Result<Option<(String, f64, f64)>> {
    let row = sqlx::query!(
        "select postcode, lat, lon from postcodes where council_id = $1 and postcode = any($2)
         order by length(postcode) desc limit 1",
        council_id,
        candidates,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.postcode, r.lat, r.lon)))
}

/// Adds or replaces a council's postcodes (`codes[i]` at `lats[i]`, `lons[i]`).
pub async fn upsert_many(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    codes: &[String],
    lats: &[f64],
    lons: &[f64],
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into postcodes (council_id, postcode, lat, lon)
         select $1, * from unnest($2::text[], $3::float8[], $4::float8[])
         on conflict (council_id, postcode) do update set lat = excluded.lat, lon = excluded.lon",
        council_id,
        codes,
        lats,
        lons,
    )
    .execute(db)
    .await?;
    Ok(())
}
