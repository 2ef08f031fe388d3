//! Importing a fleet from a file: a CSV file (uploaded, or its text pasted)
//! or a GBFS `vehicle_types.json` and `vehicle_status.json` pair with the
//! prices every vehicle gets. The API imports all the rows or none; every
//! refused row is shown against its line, with a summary linking to each.

use askama::Template;
use axum::{
    extract::{multipart::MultipartRejection, DefaultBodyLimit, Multipart, State},
    http::{header, StatusCode},
    response::IntoResponse,
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    error::{see_other, PageError, PageResult},
    form::{Errors, FormData},
    gateway::{GatewayError, UserError},
    pages::{provider::fleet::prices, render, render_refused, with_session},
    session::{ProviderUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/provider/fleet/import", get(csv_page).post(import_csv))
        .route("/provider/fleet/import/template.csv", get(template))
        .route("/provider/fleet/import/gbfs", get(gbfs_page).post(import_gbfs))
        // Larger uploads are read far enough to say they are too large.
        .layer(DefaultBodyLimit::max(READ_LIMIT_BYTES))
}

/// The most file text one import sends (the API takes requests up to 256 KB).
pub const MAX_FILE_BYTES: usize = 200 * 1024;
const READ_LIMIT_BYTES: usize = 4 * MAX_FILE_BYTES;
/// Problems listed in the error summary; the table below lists them all.
const SUMMARY_LIMIT: usize = 20;

/// A column of the CSV file, in plain English.
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub meaning: &'static str,
    pub example: &'static str,
}

/// The columns the API reads, in the template's order.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "kind",
        required: true,
        meaning: "CAR, VAN, WAV (wheelchair-accessible vehicle), MINIBUS, EBIKE or CARGO_BIKE",
        example: "CAR",
    },
    Column {
        name: "make",
        required: true,
        meaning: "Who made it, up to 100 characters",
        example: "Renault",
    },
    Column {
        name: "model",
        required: true,
        meaning: "The model, up to 100 characters",
        example: "Zoe",
    },
    Column {
        name: "registration",
        required: false,
        meaning: "The number plate, 2 to 12 letters and digits; leave it empty for bikes",
        example: "AB12CDE",
    },
    Column {
        name: "seats",
        required: true,
        meaning: "Seats including the driver's, from 1 to 16",
        example: "5",
    },
    Column {
        name: "propulsion",
        required: true,
        meaning: "ELECTRIC, HYBRID, PETROL, DIESEL, ELECTRIC_ASSIST (bikes) or HUMAN (pedal power)",
        example: "ELECTRIC",
    },
    Column {
        name: "range_km",
        required: false,
        meaning: "How far it goes on a full charge or tank, in kilometres (0 to 2,000)",
        example: "300",
    },
    Column {
        name: "co2_grams_per_km",
        required: false,
        meaning: "Its CO2 emissions in grams per kilometre (0 to 1,000)",
        example: "0",
    },
    Column {
        name: "wheelchair_accessible",
        required: false,
        meaning:
            "true if a wheelchair user can travel in it, otherwise false (yes and no also work; empty means false)",
        example: "false",
    },
    Column {
        name: "lat",
        required: true,
        meaning: "The latitude of where it is kept",
        example: "51.785",
    },
    Column {
        name: "lon",
        required: true,
        meaning: "The longitude of where it is kept",
        example: "-1.485",
    },
    Column {
        name: "price_per_hour",
        required: false,
        meaning: "The price of an hour's hire in pounds",
        example: "6.50",
    },
    Column {
        name: "price_per_day",
        required: false,
        meaning: "The price of a day's hire in pounds",
        example: "45.00",
    },
    Column {
        name: "price_per_lease_month",
        required: false,
        meaning: "The price of a month's lease in pounds",
        example: "299.00",
    },
    Column {
        name: "deposit",
        required: false,
        meaning: "The refundable deposit in pounds; empty means none",
        example: "100.00",
    },
];

/// A CSV file with the header line and one example vehicle.
pub fn template_csv() -> String {
    let header: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    let example: Vec<&str> = COLUMNS.iter().map(|c| c.example).collect();
    format!("{}\r\n{}\r\n", header.join(","), example.join(","))
}

async fn template(_user: ProviderUser) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"fleet-template.csv\"",
            ),
        ],
        template_csv(),
    )
}

/// A posted `multipart/form-data` form: its text fields and its files.
#[derive(Default)]
struct Upload {
    fields: FormData,
    files: Vec<(String, String, Vec<u8>)>,
    /// The request was larger than the front end reads.
    too_large: bool,
}

impl Upload {
    /// Reads the form; a broken body is refused like a form without its token.
    async fn read(mp: Result<Multipart, MultipartRejection>) -> Result<Self, PageError> {
        let mut mp = mp.map_err(|_| PageError::Csrf)?;
        let mut up = Upload::default();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    up.too_large = true;
                    break;
                }
                Err(_) => return Err(PageError::Csrf),
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            match field.bytes().await {
                Ok(bytes) => match file_name {
                    Some(f) => up.files.push((name, f, bytes.to_vec())),
                    None => up.fields.0.push((name, String::from_utf8_lossy(&bytes).into_owned())),
                },
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    up.too_large = true;
                    break;
                }
                Err(_) => return Err(PageError::Csrf),
            }
        }
        Ok(up)
    }

    /// The CSRF token must match the session's, as for every form.
    fn check_csrf(&self, s: &AppState, user: &SignedIn) -> Result<(), PageError> {
        if s.keys.csrf_ok(&user.session.data, self.fields.get("csrf")) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// The chosen file of the input `name`: (file name, content); `None` when no file was chosen.
    fn file(&self, name: &str) -> Option<(&str, &[u8])> {
        self.files
            .iter()
            .find(|(n, f, b)| n == name && !(f.is_empty() && b.is_empty()))
            .map(|(_, f, b)| (f.as_str(), b.as_slice()))
    }
}

fn too_large_message() -> String {
    format!(
        "The selected file must be smaller than {} KB. Split your fleet into smaller files and import each",
        MAX_FILE_BYTES / 1024
    )
}

/// A chosen file's text, or the message for its field.
fn file_text(file_name: &str, bytes: &[u8], what: &str) -> Result<String, String> {
    let lower = file_name.to_ascii_lowercase();
    if [".xlsx", ".xls", ".ods", ".numbers"].iter().any(|e| lower.ends_with(e)) {
        return Err(format!(
            "The selected file must be a {what} file. In your spreadsheet, save it as CSV (comma separated values) first"
        ));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large_message());
    }
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| format!("The selected file must be a {what} file saved as text (UTF-8)"))?;
    let text = text.trim_start_matches('\u{feff}').to_string();
    if text.trim().is_empty() {
        return Err("The selected file is empty".to_string());
    }
    Ok(text)
}

/// A refused row, shown in the table and linked from the summary.
pub struct RowProblem {
    pub id: String,
    /// "2", or "1 (header)", or "Whole file".
    pub line: String,
    pub field: String,
    pub message: String,
    /// The row as written in the file, for CSV.
    pub row: String,
}

#[derive(Deserialize, Clone)]
pub struct RowError {
    pub line: i64,
    pub field: String,
    pub message: String,
}

fn problems(rows: &[RowError], csv: Option<&str>) -> Vec<RowProblem> {
    let lines: Vec<&str> = csv.map(|t| t.lines().collect()).unwrap_or_default();
    rows.iter()
        .enumerate()
        .map(|(i, e)| {
            let row = usize::try_from(e.line)
                .ok()
                .filter(|l| *l >= 1)
                .and_then(|l| lines.get(l - 1))
                .map(|r| {
                    let r = r.trim();
                    if r.chars().count() > 80 {
                        format!("{}…", r.chars().take(79).collect::<String>())
                    } else {
                        r.to_string()
                    }
                })
                .unwrap_or_default();
            let line = match (e.line, csv.is_some()) {
                (0, _) => "Whole file".to_string(),
                (1, true) => "1 (header)".to_string(),
                (n, _) => n.to_string(),
            };
            RowProblem {
                id: format!("problem-{}", i + 1),
                line,
                field: if e.field.is_empty() {
                    "Whole line".to_string()
                } else {
                    e.field.clone()
                },
                message: e.message.clone(),
                row,
            }
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportPayload {
    imported_count: i64,
    row_errors: Vec<RowError>,
    user_errors: Vec<UserError>,
}

/// What the API said about an import.
enum Outcome {
    Imported(i64),
    Refused { rows: Vec<RowError>, errors: Errors },
}

async fn send_import(
    s: &AppState,
    user: &SignedIn,
    input: Value,
    fallback: &str,
    to_field: impl Fn(&str) -> Option<&'static str>,
) -> Result<Outcome, PageError> {
    let r = s
        .gateway
        .query::<Value>(
            Some(&user.token),
            "mutation($i: ImportVehiclesInput!) { importVehicles(input: $i) { importedCount rowErrors { line field code message } userErrors { field code message } } }",
            json!({"i": input}),
        )
        .await;
    let v = match r {
        Ok(v) => v,
        Err(GatewayError::Invalid(message)) => {
            let mut errors = Errors::default();
            errors.add(fallback, message);
            return Ok(Outcome::Refused {
                rows: Vec::new(),
                errors,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let p: ImportPayload = serde_json::from_value(v["importVehicles"].clone())
        .map_err(|e| anyhow::anyhow!("importVehicles payload: {e}"))?;
    if p.row_errors.is_empty() && p.user_errors.is_empty() {
        return Ok(Outcome::Imported(p.imported_count));
    }
    // With row errors, the user error only counts them: the table says it all.
    let errors = if p.row_errors.is_empty() {
        Errors::from_user_errors(&p.user_errors, fallback, to_field)
    } else {
        Errors::default()
    };
    Ok(Outcome::Refused {
        rows: p.row_errors,
        errors,
    })
}

fn imported_message(n: i64) -> String {
    if n == 1 {
        "1 vehicle is imported and added to your fleet.".to_string()
    } else {
        format!("{n} vehicles are imported and added to your fleet.")
    }
}

#[derive(Template)]
#[template(path = "provider/import.html")]
struct CsvPage {
    l: Layout,
    errors: Errors,
    problems: Vec<RowProblem>,
    /// The pasted text, or the refused file's text to correct.
    csv: String,
    columns: &'static [Column],
    max_kb: usize,
    summary_limit: usize,
}

impl CsvPage {
    fn new(user: &SignedIn, errors: Errors, problems: Vec<RowProblem>, csv: String) -> Self {
        let title = "Import vehicles from a CSV file";
        let has_errors = !errors.is_empty() || !problems.is_empty();
        let mut l = Layout::new(&user.session, title, "/provider/fleet");
        l.has_errors = has_errors;
        Self {
            l,
            errors,
            problems,
            csv,
            columns: COLUMNS,
            max_kb: MAX_FILE_BYTES / 1024,
            summary_limit: SUMMARY_LIMIT,
        }
    }

    fn problem_count(&self) -> usize {
        self.problems.len() + self.errors.0.len()
    }
}

async fn csv_page(user: ProviderUser) -> PageResult {
    render(&CsvPage::new(&user, Errors::default(), Vec::new(), String::new()))
}

async fn import_csv(
    State(s): State<AppState>,
    user: ProviderUser,
    mp: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let up = Upload::read(mp).await?;
    up.check_csrf(&s, &user)?;
    let pasted = up.fields.get("csv").to_string();
    let mut errors = Errors::default();
    let text = if up.too_large {
        errors.add("file", too_large_message());
        None
    } else if let Some((name, bytes)) = up.file("file") {
        match file_text(name, bytes, "CSV") {
            Ok(t) => Some(t),
            Err(m) => {
                errors.add("file", m);
                None
            }
        }
    } else if !pasted.is_empty() {
        if pasted.len() > MAX_FILE_BYTES {
            errors.add(
                "csv",
                format!(
                    "The text must be shorter than {} KB. Split your fleet and import each part",
                    MAX_FILE_BYTES / 1024
                ),
            );
            None
        } else {
            Some(pasted.clone())
        }
    } else {
        errors.add("file", "Select a CSV file, or paste the file's text");
        None
    };
    let Some(text) = text else {
        return render_refused(&CsvPage::new(&user, errors, Vec::new(), pasted));
    };
    match send_import(&s, &user, json!({"format": "CSV", "csv": text}), "file", |_| None).await? {
        Outcome::Imported(n) => {
            let data = user.session.data.with_flash(imported_message(n));
            Ok(with_session(see_other("/provider/fleet"), data))
        }
        Outcome::Refused { rows, errors } => {
            let problems = problems(&rows, Some(&text));
            // The text stays in the box, to correct there or in the file.
            render_refused(&CsvPage::new(&user, errors, problems, text))
        }
    }
}

#[derive(Template)]
#[template(path = "provider/import_gbfs.html")]
struct GbfsPage {
    l: Layout,
    form: FormData,
    errors: Errors,
    problems: Vec<RowProblem>,
    max_kb: usize,
    summary_limit: usize,
}

impl GbfsPage {
    fn new(user: &SignedIn, form: FormData, errors: Errors, problems: Vec<RowProblem>) -> Self {
        let mut l = Layout::new(&user.session, "Import vehicles from GBFS files", "/provider/fleet");
        l.has_errors = !errors.is_empty() || !problems.is_empty();
        Self {
            l,
            form,
            errors,
            problems,
            max_kb: MAX_FILE_BYTES / 1024,
            summary_limit: SUMMARY_LIMIT,
        }
    }

    fn problem_count(&self) -> usize {
        self.problems.len() + self.errors.0.len()
    }
}

async fn gbfs_page(user: ProviderUser) -> PageResult {
    let mut form = FormData::default();
    form.set("deposit", "0.00");
    render(&GbfsPage::new(&user, form, Errors::default(), Vec::new()))
}

/// The API's GBFS field names as the form's.
fn gbfs_field(api: &str) -> Option<&'static str> {
    Some(match api {
        "vehicleTypes" => "vehicle-types",
        "vehicleStatus" => "vehicle-status",
        "pricing" | "perHourPence" => "per-hour",
        "perDayPence" => "per-day",
        "perMonthLeasePence" => "per-month",
        "depositPence" => "deposit",
        _ => return None,
    })
}

async fn import_gbfs(
    State(s): State<AppState>,
    user: ProviderUser,
    mp: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let up = Upload::read(mp).await?;
    up.check_csrf(&s, &user)?;
    let form = FormData(up.fields.0.iter().filter(|(k, _)| k != "csrf").cloned().collect());
    let mut errors = Errors::default();
    let mut files = Vec::new();
    for (field, what) in [
        ("vehicle-types", "vehicle_types.json"),
        ("vehicle-status", "vehicle_status.json"),
    ] {
        if up.too_large {
            errors.add(field, too_large_message());
            continue;
        }
        match up.file(field) {
            None => errors.add(field, format!("Select your {what} file")),
            Some((name, bytes)) => match file_text(name, bytes, "JSON") {
                Ok(t) => files.push(t),
                Err(m) => errors.add(field, m),
            },
        }
    }
    if files.iter().map(String::len).sum::<usize>() > MAX_FILE_BYTES {
        errors.add("vehicle-status", too_large_message());
    }
    let (hour, day, month, deposit) = prices(&form, &mut errors);
    if !errors.is_empty() || files.len() != 2 {
        return render_refused(&GbfsPage::new(&user, form, errors, Vec::new()));
    }
    let input = json!({
        "format": "GBFS", "vehicleTypes": files[0], "vehicleStatus": files[1],
        "pricing": {"perHourPence": hour, "perDayPence": day, "perMonthLeasePence": month, "depositPence": deposit.unwrap_or(0)},
    });
    match send_import(&s, &user, input, "vehicle-status", gbfs_field).await? {
        Outcome::Imported(n) => {
            let data = user.session.data.with_flash(imported_message(n));
            Ok(with_session(see_other("/provider/fleet"), data))
        }
        Outcome::Refused { rows, errors } => {
            let problems = problems(&rows, None);
            render_refused(&GbfsPage::new(&user, form, errors, problems))
        }
    }
}

#[cfg(test)]
mod tests;
