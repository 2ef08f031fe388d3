//! `importVehicles`: a provider imports a fleet from CSV or from a GBFS
//! `vehicle_types` + `vehicle_status` pair, all rows or none.
//!
//! The files travel as text inside the GraphQL request, so an import is
//! bounded by `GRAPHQL_MAX_BODY_BYTES` (256 KiB by default, about 2,000 CSV
//! rows): a larger body is refused with `PAYLOAD_TOO_LARGE` before it is
//! read. Larger fleets are imported in several files, each all or none.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use roundabout_api::graphql::CheckedInt;
use roundabout_api::{inventory::ImportData, ErrorCode, RowErrorData};
use serde::Serialize;

use crate::{
    schema::{
        errors::refusal,
        errors::{payload, Failure, Refusable, UserError},
        loaders::load_error,
        request::provider_member,
        request::RequestCtx,
        vehicles::{PricingInput, Vehicle},
    },
    services::Gateway,
};
use roundabout_api::routes;

/// The format of a fleet file.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// A CSV file whose first line names the columns (see the README).
    Csv,
    /// A GBFS v3 `vehicle_types` and `vehicle_status` pair.
    Gbfs,
}

/// A fleet to import.
#[derive(InputObject)]
pub struct ImportVehiclesInput {
    /// The format of the files.
    pub format: ImportFormat,
    /// CSV: the file's text.
    pub csv: Option<String>,
    /// GBFS: the text of `vehicle_types.json`.
    pub vehicle_types: Option<String>,
    /// GBFS: the text of `vehicle_status.json`.
    pub vehicle_status: Option<String>,
    /// GBFS: the prices every imported vehicle gets (GBFS keeps prices elsewhere).
    pub pricing: Option<PricingInput>,
}

/// A problem with one row of an import file.
#[derive(SimpleObject, Debug, Clone)]
pub struct ImportRowError {
    /// The line of the CSV file (the header is line 1), or the vehicle's
    /// position in `vehicle_status` (from 1); 0 for the file as a whole.
    pub line: CheckedInt,
    /// The column or GBFS field concerned.
    pub field: String,
    /// Stable machine code, e.g. `INVALID_INPUT` or `REGISTRATION_TAKEN`.
    pub code: String,
    /// What is wrong, in plain English.
    pub message: String,
}

/// The result of `importVehicles`.
#[derive(SimpleObject)]
pub struct ImportVehiclesPayload {
    /// How many vehicles were added (0 when refused).
    pub imported_count: CheckedInt,
    /// The vehicles added; empty when refused.
    pub vehicles: Vec<Vehicle>,
    /// Every row's problem when the file was refused; nothing was imported then.
    pub row_errors: Vec<ImportRowError>,
    /// Why the import was refused.
    pub user_errors: Vec<UserError>,
}

impl Refusable for ImportVehiclesPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            imported_count: CheckedInt(0),
            vehicles: Vec::new(),
            row_errors: Vec::new(),
            user_errors,
        }
    }
}

impl From<RowErrorData> for ImportRowError {
    fn from(e: RowErrorData) -> Self {
        Self {
            line: e.line.into(),
            field: e.field,
            code: e.code.to_string(),
            message: e.message,
        }
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Signed-in provider: imports a fleet, all rows or none; a refused file
    /// reports every row's problem with its line and field.
    async fn import_vehicles(
        &self,
        ctx: &Context<'_>,
        input: ImportVehiclesInput,
    ) -> async_graphql::Result<ImportVehiclesPayload> {
        provider_member(ctx)?;
        payload(import(ctx, input).await)
    }
}

fn json_file(text: Option<String>, field: &'static str) -> Result<Option<serde_json::Value>, Failure> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            Failure::user(
                UserError::new(ErrorCode::InvalidInput, format!("The file is not JSON: {e}")).at(["input", field]),
            )
        })
    })
    .transpose()
}

async fn import(ctx: &Context<'_>, input: ImportVehiclesInput) -> Result<ImportVehiclesPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let body = roundabout_api::inventory::ImportIn {
        format: match input.format {
            ImportFormat::Csv => "csv",
            ImportFormat::Gbfs => "gbfs",
        }
        .into(),
        csv: input.csv,
        vehicle_types: json_file(input.vehicle_types, "vehicleTypes")?,
        vehicle_status: json_file(input.vehicle_status, "vehicleStatus")?,
        pricing: input.pricing.map(Into::into),
    };
    let out: ImportData = g
        .services
        .inventory
        .post(routes::inventory::VEHICLES_IMPORT, &body, &r.session.caller())
        .await
        .map_err(refusal)?;
    if !out.errors.is_empty() {
        let n = out.errors.len();
        return Ok(ImportVehiclesPayload {
            imported_count: CheckedInt(0),
            vehicles: Vec::new(),
            // Fields are the file's own column and GBFS names, kept as written.
            row_errors: out.errors.into_iter().map(ImportRowError::from).collect(),
            user_errors: vec![UserError::new(
                ErrorCode::InvalidInput,
                format!("{n} problem(s) in the file; nothing was imported"),
            )
            .at(["input"])],
        });
    }
    let loaded = r
        .loaders
        .vehicles
        .load_many(out.vehicle_ids.iter().copied())
        .await
        .map_err(load_error)?;
    let vehicles: Vec<Vehicle> = out
        .vehicle_ids
        .iter()
        .filter_map(|id| loaded.get(id).cloned().map(Vehicle))
        .collect();
    Ok(ImportVehiclesPayload {
        imported_count: vehicles.len().into(),
        vehicles,
        row_errors: Vec::new(),
        user_errors: Vec::new(),
    })
}
