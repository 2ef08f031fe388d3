//! The `postcodes` lookup: full postcodes and districts, stored upper case
//! without spaces.

use sqlx::PgExecutor;
use uuid::Uuid;

/// The councils whose lookup has one of `candidates` (a full postcode and
/// its district), each with the entry found; the full postcode's entries
/// come first within each council.
pub async fn councils_having(db: impl PgExecutor<'_>, candidates: &[String]) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "select council_id, postcode from postcodes where postcode = any($1)
         order by length(postcode) desc, council_id limit 50",
    )
    .bind(candidates)
    .fetch_all(db)
    .await
}

/// The location of the most specific of `candidates` in a council's lookup.
pub async fn locate(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    candidates: &[String],
) -> sqlx::Result<Option<(String, f64, f64)>> {
    sqlx::query_as(
        "select postcode, lat, lon from postcodes where council_id = $1 and postcode = any($2)
         order by length(postcode) desc limit 1",
    )
    .bind(council_id)
    .bind(candidates)
    .fetch_optional(db)
    .await
}
