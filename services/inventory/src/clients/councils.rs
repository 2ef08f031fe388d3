//! Council boundaries from eligibility, cached in `council_areas` and the
//! geo index on first use (boundaries are immutable, so never refreshed).

use std::sync::Arc;

use roundabout_support::{geojson::Area, internal_auth::Caller, ApiError};
use uuid::Uuid;

use crate::{db::councils::CouncilAreaRow, index::CouncilShape, AppState};
use roundabout_api::{eligibility::CouncilData, routes};

/// The council's shape: from the index, the cache table, or eligibility.
/// An unknown council is 404 `NOT_FOUND` naming `council_id`.
pub async fn council(s: &AppState, id: Uuid) -> Result<Arc<CouncilShape>, ApiError> {
    if let Some(c) = s.index.council(id) {
        return Ok(c);
    }
    let row = match crate::db::councils::get(&s.pool, id).await? {
        Some(row) => row,
        None => {
            let fetched: Result<CouncilData, _> = s
                .eligibility
                .get(&routes::eligibility::council(id), &Caller::service(crate::NAME))
                .await;
            let c = match fetched {
                Ok(c) => c,
                Err(e) if e.is_not_found() => {
                    return Err(ApiError::not_found("There is no council with this id").with_field(["council_id"]))
                }
                Err(e) => return Err(ApiError::internal(anyhow::anyhow!(e).context("fetching a council"))),
            };
            let area = Area::stored(&c.boundary)?;
            let (min_lon, min_lat, max_lon, max_lat) = area.bbox();
            let row = CouncilAreaRow {
                id: c.id,
                code: c.code,
                name: c.name,
                boundary: area.geometry().clone(),
                min_lon,
                min_lat,
                max_lon,
                max_lat,
            };
            crate::db::councils::insert_if_absent(&s.pool, &row).await?;
            row
        }
    };
    s.index
        .add_council(row)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("council {id} has an unusable boundary")))
}

/// True when the council lies in the United Kingdom (its box's centre does).
pub fn in_uk(c: &CouncilShape) -> bool {
    let r = &c.row;
    crate::domain::vehicle::in_uk((r.min_lon + r.max_lon) / 2.0, (r.min_lat + r.max_lat) / 2.0)
}
