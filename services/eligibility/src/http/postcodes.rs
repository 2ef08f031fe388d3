//! A council's postcode lookup: officers import postcodes with their
//! coordinates (a CSV in the ONS Postcode Directory's shape); anyone looks
//! one up, falling back from the full postcode to its district.

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    routing::{get, put},
    Json, Router,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, text, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::{self, councils},
    AppState,
};
use roundabout_api::{eligibility::PostcodesImportIn, routes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::COUNCIL_POSTCODES, put(import))
        .route(routes::eligibility::COUNCIL_POSTCODE, get(locate))
}

/// At most this many rows in one file.
pub const MAX_ROWS: usize = 50_000;

/// ONS's latitude for a postcode with no grid reference.
const ONS_NO_LOCATION: f64 = 99.999999;

/// The shape of a postcode is the contract's, shared with the web.
pub use roundabout_api::postcode::{district, normalise, MAX_POSTCODE_CHARS};

/// A postcode as looked up: itself (normalised) and, for a full
/// postcode, its district; `INVALID_INPUT` when it has no postcode's shape.
pub fn candidates(raw: &str) -> ApiResult<Vec<String>> {
    let code = normalise(raw).ok_or_else(|| ApiError::invalid("postcode", "Enter a real postcode, like OX28 4AB"))?;
    let mut out = vec![code.clone()];
    if let Some(d) = district(&code) {
        out.push(d.to_string());
    }
    Ok(out)
}

/// A problem with one line of a postcode file, and the import's answer.
pub use roundabout_api::{eligibility::PostcodeImportData as ImportOut, RowErrorData as RowError};

fn row_error(line: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError::new(u64::try_from(line).unwrap_or(u64::MAX), field, message)
}

/// Most columns a line may have (the ONS Postcode Directory has about 60).
pub const MAX_COLUMNS: usize = 200;
/// Longest line, in bytes (an ONS line is about 300).
pub const MAX_LINE_BYTES: usize = 4_096;
/// Most row problems reported; past this the file is refused with a note.
pub const MAX_ERRORS: usize = 100;

/// Parses the file: a header naming the postcode column (`pcds`, `pcd`,
/// `pcd2` or `postcode`) and `lat` and `long` (or `lon`); other columns are
/// ignored. Rows ONS gives no location (latitude 99.999999) are skipped.
/// Bounded before any row is read: at most [`MAX_ROWS`] rows of at most
/// [`MAX_COLUMNS`] columns and [`MAX_LINE_BYTES`] bytes, and at most
/// [`MAX_ERRORS`] problems listed.
pub fn parse(csv: &str) -> Result<BTreeMap<String, (f64, f64)>, Vec<RowError>> {
    let rows = csv.lines().filter(|l| !l.trim().is_empty()).count().saturating_sub(1);
    if rows > MAX_ROWS {
        return Err(vec![row_error(
            0,
            "csv",
            format!("At most {MAX_ROWS} postcodes in one file; this one has {rows} rows"),
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(vec![row_error(0, "csv", "The file is empty")]),
        Some(Ok(h)) if h.as_slice().len() + h.len() <= MAX_LINE_BYTES && h.len() <= MAX_COLUMNS => h,
        Some(_) => {
            return Err(vec![row_error(
                1,
                "header",
                format!(
                    "The first line must name at most {MAX_COLUMNS} columns in at most {MAX_LINE_BYTES} characters"
                ),
            )])
        }
    };
    let cols: Vec<String> = header.iter().map(str::to_lowercase).collect();
    let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let (Some(pc), Some(lat), Some(lon)) = (
        find(&["pcds", "pcd", "pcd2", "postcode"]),
        find(&["lat"]),
        find(&["long", "lon"]),
    ) else {
        return Err(vec![row_error(
            1,
            "header",
            "The first line must name the columns pcds (or postcode), lat and long",
        )]);
    };
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for record in records {
        let (n, cells) = match record {
            Ok(r) => (line_of(r.position()), r),
            Err(e) => {
                let n = line_of(e.position());
                errors.push(row_error(n, "csv", "The line is not valid CSV"));
                if errors.len() > MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        if errors.len() >= MAX_ERRORS {
            errors.push(row_error(
                n,
                "csv",
                format!("More than {MAX_ERRORS} rows have problems; the first {MAX_ERRORS} are listed"),
            ));
            break;
        }
        if cells.iter().all(str::is_empty) {
            continue;
        }
        // The cells' bytes and the commas between them.
        if cells.as_slice().len() + cells.len() > MAX_LINE_BYTES + 1 {
            errors.push(row_error(
                n,
                "csv",
                format!("A line may be at most {MAX_LINE_BYTES} characters"),
            ));
            continue;
        }
        let cell = |i: usize| cells.get(i).unwrap_or("");
        if let Some((field, c)) = [("postcode", pc), ("lat", lat), ("long", lon)]
            .into_iter()
            .find_map(|(f, i)| text::first_forbidden(cell(i), false).map(|c| (f, c)))
        {
            errors.push(row_error(
                n,
                field,
                format!("The {field} must not contain {}", text::describe(c)),
            ));
            continue;
        }
        let Some(code) = normalise(cell(pc)) else {
            let shown: String = cell(pc).chars().take(MAX_POSTCODE_CHARS).collect();
            errors.push(row_error(
                n,
                "postcode",
                format!("{shown:?} is not a postcode or postcode district"),
            ));
            continue;
        };
        let (Ok(la), Ok(lo)) = (cell(lat).parse::<f64>(), cell(lon).parse::<f64>()) else {
            errors.push(row_error(n, "lat", "Latitude and longitude must be numbers"));
            continue;
        };
        if (la - ONS_NO_LOCATION).abs() < 1e-6 {
            continue;
        }
        if !(-90.0..=90.0).contains(&la) || !(-180.0..=180.0).contains(&lo) {
            errors.push(row_error(
                n,
                "lat",
                "Latitude must be -90 to 90 and longitude -180 to 180",
            ));
            continue;
        }
        out.insert(code, (la, lo));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The file's line (from 1) where a record starts.
fn line_of(position: Option<&csv::Position>) -> usize {
    position.map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
}

/// `PUT /internal/councils/{id}/postcodes`: an officer of the council adds
/// or replaces postcodes, all rows or none.
async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<PostcodesImportIn>,
) -> ApiResult<Json<ImportOut>> {
    councils::get(&s.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such council"))?;
    caller.require_council_officer(id)?;
    let rows = match parse(&body.csv) {
        Ok(r) => r,
        Err(errors) => {
            return Ok(Json(ImportOut {
                imported_count: 0,
                errors,
            }))
        }
    };
    let (codes, (lats, lons)): (Vec<String>, (Vec<f64>, Vec<f64>)) = rows.into_iter().unzip();
    db::postcodes::upsert_many(&s.pool, id, &codes, &lats, &lons).await?;
    Ok(Json(ImportOut {
        imported_count: u64::try_from(codes.len()).unwrap_or(u64::MAX),
        errors: Vec::new(),
    }))
}

/// Where a postcode is.
pub use roundabout_api::eligibility::LocationData as Location;

/// `GET /internal/councils/{id}/postcodes/{postcode}`: the postcode's
/// location, else its district's; 404 when the council has neither.
async fn locate(State(s): State<AppState>, Path((id, raw)): Path<(Uuid, String)>) -> ApiResult<Json<Location>> {
    let candidates = candidates(&raw)?;
    let found = db::postcodes::locate(&s.pool, id, &candidates).await?;
    let (postcode, lat, lon) = found.ok_or_else(|| ApiError::not_found("The council has no such postcode"))?;
    Ok(Json(Location { postcode, lat, lon }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postcode_and_its_district_are_looked_up() {
        assert_eq!(candidates("ox28 4ab").unwrap(), vec!["OX284AB", "OX28"]);
        assert_eq!(candidates("OX7").unwrap(), vec!["OX7"]);
        assert!(candidates("AAA1 1AA").is_err());
    }

    #[test]
    fn quoted_cells_may_hold_commas_and_quotes() {
        let ok = parse(
            "\"pcds\",\"name\",lat,long\n\"OX28 4AB\",\"Witney, Oxfordshire\",51.78,-1.49\n\"OX7 5AA\",\"The \"\"Old\"\" Rectory, Chipping Norton\",51.94,-1.54\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok["OX284AB"], (51.78, -1.49));
        assert_eq!(ok["OX75AA"], (51.94, -1.54));
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_counted() {
        let errors = parse("pcds,lat,long\n\nOX28 4AB,51.78,-1.49\n   \nnope,1,1\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field.as_str()), (5, "postcode"));
        assert_eq!(parse("").unwrap_err()[0].message, "The file is empty");
    }

    #[test]
    fn a_file_with_a_two_letter_postcode_names_its_row() {
        let errors = parse("pcds,lat,long\nOX28 4AB,51.78,-1.49\nOX,51,-1\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].field.as_str()), (3, "postcode"));
        assert_eq!(errors[0].code, "INVALID_INPUT");
    }

    #[test]
    fn files_beyond_the_bounds_are_refused_with_a_reason() {
        let many = format!("pcds,lat,long\n{}", "OX7,51,-1\n".repeat(MAX_ROWS + 1));
        assert!(parse(&many).unwrap_err()[0].message.contains("At most"));
        let wide = format!("{},pcds,lat,long\n", "x,".repeat(MAX_COLUMNS));
        assert_eq!(parse(&wide).unwrap_err()[0].field, "header");
        let bad = format!("pcds,lat,long\n{}", "nope,1,1\n".repeat(500));
        let errors = parse(&bad).unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        let nul = parse("pcds,lat,long\nOX7\u{0},51,-1\n").unwrap_err();
        assert!(nul[0].message.contains("null character"), "{}", nul[0].message);
    }

    #[test]
    fn an_ons_shaped_file_is_read_and_bad_rows_reported() {
        let ok = parse(
            "pcd,pcd2,pcds,lat,long\nOX284AB,OX28 4AB,OX28 4AB,51.78,-1.49\nOX7 5AA,OX7  5AA,OX7 5AA,99.999999,0\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok["OX284AB"], (51.78, -1.49));
        let bad = parse("pcds,lat,long\nnope,51,-1\nOX28,north,-1\n").unwrap_err();
        assert_eq!(bad.iter().map(|e| e.line).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(parse("a,b\n").unwrap_err()[0].field, "header");
    }
}
