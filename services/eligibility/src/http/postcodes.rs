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
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    db::{self, councils},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/internal/councils/{id}/postcodes", put(import))
        .route("/internal/councils/{id}/postcodes/{postcode}", get(locate))
}

/// At most this many rows in one file.
pub const MAX_ROWS: usize = 50_000;

/// ONS's latitude for a postcode with no grid reference.
const ONS_NO_LOCATION: f64 = 99.999999;

/// The longest text looked at as a postcode (a postcode has at most 8
/// characters with its space; room is left for stray spaces).
pub const MAX_POSTCODE_CHARS: usize = 16;

/// A postcode or district written the stored way (upper case, no spaces),
/// if it has a postcode's shape: an outward code of 2 to 4 characters (one
/// or two letters, a digit, then maybe a letter or digit), followed, for a
/// full postcode, by an inward code of a digit and two letters.
pub fn normalise(raw: &str) -> Option<String> {
    if raw.chars().count() > MAX_POSTCODE_CHARS {
        return None;
    }
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    // Only ASCII letters and digits from here on, so every byte is a
    // character and no slice below can split one.
    if !(2..=7).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let b = s.as_bytes();
    let full = match b.len().checked_sub(3).map(|i| b.split_at(i)) {
        Some((outward, [digit, l1, l2])) => {
            digit.is_ascii_digit() && l1.is_ascii_uppercase() && l2.is_ascii_uppercase() && outward_ok(outward)
        }
        _ => false,
    };
    (full || outward_ok(b)).then_some(s)
}

/// An outward code: 2 to 4 characters, one or two letters, a digit, then
/// at most one letter or digit.
fn outward_ok(b: &[u8]) -> bool {
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = b.get(letters..).unwrap_or_default();
    (2..=4).contains(&b.len())
        && (1..=2).contains(&letters)
        && rest.first().is_some_and(u8::is_ascii_digit)
        && rest.len() <= 2
        && rest.iter().all(u8::is_ascii_alphanumeric)
}

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

/// The district (outward code) of a full, normalised postcode.
fn district(postcode: &str) -> Option<&str> {
    let cut = postcode.len().checked_sub(3).filter(|n| *n >= 2)?;
    postcode.get(..cut)
}

#[derive(Debug, Deserialize)]
pub struct ImportIn {
    pub csv: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RowError {
    pub line: i64,
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ImportOut {
    pub imported_count: i64,
    pub errors: Vec<RowError>,
}

fn row_error(line: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        line: line as i64,
        field: field.to_string(),
        code: "INVALID_INPUT".into(),
        message: message.into(),
    }
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
    let mut lines = csv.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(vec![row_error(0, "csv", "The file is empty")]);
    };
    if header.len() > MAX_LINE_BYTES || header.split(',').count() > MAX_COLUMNS {
        return Err(vec![row_error(
            1,
            "header",
            format!("The first line must name at most {MAX_COLUMNS} columns in at most {MAX_LINE_BYTES} characters"),
        )]);
    }
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_lowercase())
        .collect();
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
    for (i, line) in lines {
        let n = i + 1;
        if errors.len() >= MAX_ERRORS {
            errors.push(row_error(
                n,
                "csv",
                format!("More than {MAX_ERRORS} rows have problems; the first {MAX_ERRORS} are listed"),
            ));
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > MAX_LINE_BYTES {
            errors.push(row_error(
                n,
                "csv",
                format!("A line may be at most {MAX_LINE_BYTES} characters"),
            ));
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(|c| c.trim().trim_matches('"')).collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
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

/// `PUT /internal/councils/{id}/postcodes`: an officer of the council adds
/// or replaces postcodes, all rows or none.
async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<ImportIn>,
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
    sqlx::query(
        "insert into postcodes (council_id, postcode, lat, lon)
         select $1, * from unnest($2::text[], $3::float8[], $4::float8[])
         on conflict (council_id, postcode) do update set lat = excluded.lat, lon = excluded.lon",
    )
    .bind(id)
    .bind(&codes)
    .bind(&lats)
    .bind(&lons)
    .execute(&s.pool)
    .await?;
    Ok(Json(ImportOut {
        imported_count: codes.len() as i64,
        errors: Vec::new(),
    }))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Location {
    /// The entry found: the postcode itself or its district.
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
}

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
    fn postcodes_and_districts_are_recognised() {
        assert_eq!(normalise("ox28 4ab").as_deref(), Some("OX284AB"));
        assert_eq!(normalise("OX7").as_deref(), Some("OX7"));
        assert_eq!(normalise("SW1A 1AA").as_deref(), Some("SW1A1AA"));
        assert_eq!(normalise("12"), None);
        assert_eq!(normalise("nope"), None);
        assert_eq!(normalise("W1A").as_deref(), Some("W1A"));
        assert_eq!(normalise("EC1A 1BB").as_deref(), Some("EC1A1BB"));
        assert_eq!(normalise("OX28 4A!"), None);
        assert_eq!(district("OX284AB"), Some("OX28"));
        assert_eq!(district("OX28"), None);
    }

    #[test]
    fn short_and_odd_text_is_not_a_postcode_and_does_not_panic() {
        for raw in [
            "",
            "O",
            "OX",
            "ox",
            "1A",
            "1",
            "OX4A4",
            "ÀÀÀ1AA",
            "OX28 4À",
            "ß1",
            "OX28\u{0}4AB",
            "OXOXOX",
            "OX284ABC",
        ] {
            assert_eq!(normalise(raw), None, "{raw:?}");
        }
        assert_eq!(normalise("O1").as_deref(), Some("O1"));
        assert_eq!(normalise("x1").as_deref(), Some("X1"));
        assert_eq!(normalise(&"OX28 4AB".repeat(10)), None);
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
