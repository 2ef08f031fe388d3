//! The council's postcode lookup: uploading a CSV in the shape of the ONS
//! Postcode Directory (`importPostcodes`), with how many were imported or
//! every row's problem.
//!
//! The directory has dozens of columns; only the postcode, `lat` and `long`
//! are sent, so that a council's file fits the API's request size. A file
//! too large for one request goes in parts of whole rows, in order; the
//! line numbers shown are always the file's own.

use askama::Template;
use axum::{extract::DefaultBodyLimit, extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use super::council;
use crate::{
    error::{see_other, PageResult},
    form::Errors,
    gateway::{GatewayError, UserError},
    pages::{render, render_refused, with_session},
    session::OfficerUser,
    upload::UploadForm,
    views::Layout,
    AppState,
};

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The most bytes sent in one import (the API limits request bodies).
const PART_BYTES: usize = 180 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/officer/postcodes",
        get(page)
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
    )
}

/// One row's problem, at the file's own line.
#[derive(Deserialize, Clone, Debug)]
pub struct RowError {
    pub line: i64,
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "officer/postcodes.html")]
struct PostcodesPage {
    l: Layout,
    council: String,
    errors: Errors,
    file_name: Option<String>,
    rows: Vec<RowError>,
    /// Rows with a problem beyond those listed.
    more: usize,
    /// Postcodes imported before a later part was refused.
    imported_before: i64,
}

async fn page(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, "").await?;
    render(&PostcodesPage {
        l: Layout::new(&user.session, "Postcodes", "/officer/postcodes"),
        council: c.name,
        errors: Errors::default(),
        file_name: None,
        rows: Vec::new(),
        more: 0,
        imported_before: 0,
    })
}

/// A CSV line's cells; quotes around a cell are removed (a quoted cell may
/// hold commas and doubled quotes).
fn cells(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    out.push(cell);
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// A part of the file to import: the CSV sent, and each data row's line in
/// the file (its line in the part is its index + 2).
#[derive(Debug, PartialEq)]
pub struct Part {
    pub csv: String,
    pub lines: Vec<i64>,
}

/// The file as parts of at most `part_bytes` holding only the postcode,
/// latitude and longitude; the error is for the file as a whole.
pub fn parts(csv: &str, part_bytes: usize) -> Result<Vec<Part>, String> {
    let mut lines = csv.lines().enumerate();
    let Some((_, header)) = lines.next().filter(|(_, h)| !h.trim().is_empty()) else {
        return Err("The file is empty".into());
    };
    let cols: Vec<String> = cells(header).into_iter().map(|c| c.to_lowercase()).collect();
    let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let (Some(pc), Some(lat), Some(lon)) = (
        find(&["pcds", "pcd", "pcd2", "postcode"]),
        find(&["lat"]),
        find(&["long", "lon"]),
    ) else {
        return Err(
            "The first line must name the columns pcds (or postcode), lat and long, as in the ONS Postcode Directory"
                .into(),
        );
    };
    const HEADER: &str = "pcds,lat,long\n";
    let mut out = Vec::new();
    let mut part = Part {
        csv: HEADER.to_string(),
        lines: Vec::new(),
    };
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let c = cells(line);
        let get = |i: usize| c.get(i).map(|s| s.replace(',', " ")).unwrap_or_default();
        let row = format!("{},{},{}\n", get(pc), get(lat), get(lon));
        if part.csv.len() + row.len() > part_bytes && !part.lines.is_empty() {
            out.push(std::mem::replace(
                &mut part,
                Part {
                    csv: HEADER.to_string(),
                    lines: Vec::new(),
                },
            ));
        }
        part.csv.push_str(&row);
        part.lines.push(i as i64 + 1);
    }
    if part.lines.is_empty() && out.is_empty() {
        return Err("The file has no postcodes under its first line".into());
    }
    if !part.lines.is_empty() {
        out.push(part);
    }
    Ok(out)
}

/// The file's own name for a column the API names.
fn column(field: &str) -> String {
    match field {
        "postcode" | "pcds" => "Postcode".into(),
        "lat" => "Latitude".into(),
        "long" | "lon" => "Longitude".into(),
        "header" => "First line".into(),
        "csv" => "File".into(),
        other => other.to_string(),
    }
}

const MAX_LISTED: usize = 100;

async fn upload(State(s): State<AppState>, user: OfficerUser, form: UploadForm) -> PageResult {
    let c = council(&s, &user, "").await?;
    let file_name = form.file_name("file").map(str::to_string);
    let mut errors = Errors::default();
    let mut rows: Vec<RowError> = Vec::new();
    let mut imported: i64 = 0;
    let mut refused = false;
    match (form.file("file"), form.not_text.iter().any(|f| f == "file")) {
        (_, true) => errors.add(
            "file",
            "The file is not a CSV text file: save it as CSV (comma separated)",
        ),
        (None, _) => errors.add("file", "Choose the CSV file of the council's postcodes"),
        (Some(text), _) => match parts(text, PART_BYTES) {
            Err(e) => errors.add("file", e),
            Ok(parts) => {
                for part in parts {
                    let res: Result<serde_json::Value, GatewayError> = s
                        .gateway
                        .query(
                            Some(&user.token),
                            "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount rowErrors { line field message } userErrors { field code message } } }",
                            json!({"input": {"councilId": c.id, "csv": part.csv}}),
                        )
                        .await;
                    let p = match res {
                        Ok(v) => v["importPostcodes"].clone(),
                        Err(GatewayError::Invalid(m)) => {
                            errors.add("file", m);
                            refused = true;
                            break;
                        }
                        Err(e) => return Err(e.into()),
                    };
                    let row_errors: Vec<RowError> = serde_json::from_value(p["rowErrors"].clone()).unwrap_or_default();
                    let user_errors: Vec<UserError> =
                        serde_json::from_value(p["userErrors"].clone()).unwrap_or_default();
                    if row_errors.is_empty() && user_errors.is_empty() {
                        imported += p["importedCount"].as_i64().unwrap_or(0);
                        continue;
                    }
                    refused = true;
                    rows = row_errors
                        .into_iter()
                        .map(|r| RowError {
                            // Line 2 of the part is its first data row.
                            line: match r.line {
                                0 | 1 => r.line,
                                n => part.lines.get((n - 2) as usize).copied().unwrap_or(n),
                            },
                            field: column(&r.field),
                            message: r.message,
                        })
                        .collect();
                    let message = match (rows.len(), user_errors.first()) {
                        (0, Some(e)) => e.message.clone(),
                        (1, _) => "1 row of the file has a problem: correct it and upload the file again".into(),
                        (n, _) => {
                            format!("{n} rows of the file have a problem: correct them and upload the file again")
                        }
                    };
                    errors.add("file", message);
                    break;
                }
            }
        },
    }
    if !refused && errors.is_empty() {
        let message = match imported {
            1 => "1 postcode is imported.".to_string(),
            n => format!("{n} postcodes are imported."),
        };
        let data = user.session.data.with_flash(message);
        return Ok(with_session(see_other("/officer/postcodes"), data));
    }
    let more = rows.len().saturating_sub(MAX_LISTED);
    rows.truncate(MAX_LISTED);
    render_refused(&PostcodesPage {
        l: Layout::new(&user.session, "Postcodes", "/officer/postcodes").with_errors(&errors),
        council: c.name,
        errors,
        file_name,
        rows,
        more,
        imported_before: imported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_postcode_and_its_place_are_sent_with_the_file_lines() {
        let csv = "\"pcd\",\"pcd2\",\"pcds\",\"dointr\",\"lat\",\"long\"\n\
                   \"OX284AB\",\"OX28 4AB\",\"OX28 4AB\",\"198001\",51.786,-1.484\n\
                   \n\
                   \"OX29 7AB\",\"OX29 7AB\",\"OX29 7AB\",\"198001\",51.8,-1.42\n";
        let p = parts(csv, 1000).unwrap();
        assert_eq!(
            p,
            vec![Part {
                csv: "pcds,lat,long\nOX284AB,51.786,-1.484\nOX29 7AB,51.8,-1.42\n".into(),
                lines: vec![2, 4],
            }]
        );
        // Small parts: one row each, lines kept.
        let p = parts(csv, 30).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].lines, vec![4]);
        assert!(parts("a,b\n1,2\n", 1000).unwrap_err().contains("pcds"));
        assert!(parts("", 1000).unwrap_err().contains("empty"));
        assert!(parts("pcds,lat,long\n", 1000).unwrap_err().contains("no postcodes"));
        assert_eq!(cells(r#""a, b","c""d",e"#), vec!["a, b", "c\"d", "e"]);
    }
}
