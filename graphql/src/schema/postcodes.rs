//! A council's postcode lookup: `importPostcodes` (officers, a CSV in the
//! ONS Postcode Directory's shape) and `locatePostcode` (anyone), which
//! turns a household's postcode into the location its profile needs.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::graphql::CheckedInt;
use roundabout_api::ErrorCode;

use crate::{
    schema::{
        errors::{self, payload, Failure, Refusable, UserError},
        geo::GeoPoint,
        ids::parse_id,
        imports::ImportRowError,
        request::RequestCtx,
        zones::require_officer_of,
    },
    services::Gateway,
};
use roundabout_api::{
    eligibility::{LocationData, PostcodeImportData, PostcodesImportIn},
    routes,
};

#[derive(Default)]
pub struct PostcodeQuery;

#[Object]
impl PostcodeQuery {
    /// Where a postcode of the council is, from the postcodes its officers
    /// imported: the full postcode's location, else its district's (the
    /// outward code, e.g. OX28); null when the council has neither.
    async fn locate_postcode(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        postcode: String,
    ) -> async_graphql::Result<Option<GeoPoint>> {
        let Some(council) = parse_id(&council_id) else {
            return Ok(None);
        };
        let code: String = postcode.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        if code.is_empty() || code.len() > 8 {
            return Ok(None);
        }
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        match g
            .services
            .eligibility
            .get::<LocationData>(
                &routes::eligibility::council_postcode(council, code),
                &r.session.caller(),
            )
            .await
        {
            Ok(l) => Ok(Some(GeoPoint { lat: l.lat, lon: l.lon })),
            Err(e) if e.is_not_found() || e.error_code() == Some(ErrorCode::InvalidInput) => Ok(None),
            Err(e) => Err(errors::read_error(e)),
        }
    }
}

/// Postcodes to add to a council's lookup.
#[derive(InputObject)]
pub struct ImportPostcodesInput {
    /// The council.
    pub council_id: ID,
    /// A CSV file whose first line names its columns: the postcode in `pcds`
    /// (or `pcd`, `pcd2`, `postcode`), `lat` and `long` (or `lon`), as in the
    /// ONS Postcode Directory; other columns are ignored. A row may be a full
    /// postcode or a district (outward code).
    pub csv: String,
}

/// The result of `importPostcodes`.
#[derive(SimpleObject)]
pub struct ImportPostcodesPayload {
    /// How many postcodes were added or updated (0 when refused).
    pub imported_count: CheckedInt,
    /// Every row's problem when the file was refused; nothing was imported then.
    pub row_errors: Vec<ImportRowError>,
    /// Why the import was refused.
    pub user_errors: Vec<UserError>,
}

impl Refusable for ImportPostcodesPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            imported_count: CheckedInt(0),
            row_errors: Vec::new(),
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct PostcodeMutation;

#[Object]
impl PostcodeMutation {
    /// Officer of the council: adds postcodes with their locations to the
    /// council's lookup (replacing those already there), all rows or none.
    async fn import_postcodes(
        &self,
        ctx: &Context<'_>,
        input: ImportPostcodesInput,
    ) -> async_graphql::Result<ImportPostcodesPayload> {
        let council = require_officer_of(ctx, &input.council_id)?;
        payload(import(ctx, council, input.csv).await)
    }
}

async fn import(
    ctx: &Context<'_>,
    council: Option<uuid::Uuid>,
    csv: String,
) -> Result<ImportPostcodesPayload, Failure> {
    let council = council.ok_or_else(|| {
        Failure::user(
            UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["input", "councilId"]),
        )
    })?;
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let out: PostcodeImportData = g
        .services
        .eligibility
        .put(
            &routes::eligibility::council_postcodes(council),
            &PostcodesImportIn { csv },
            &r.session.caller(),
        )
        .await?;
    if !out.errors.is_empty() {
        let n = out.errors.len();
        return Ok(ImportPostcodesPayload {
            imported_count: CheckedInt(0),
            row_errors: out.errors.into_iter().map(ImportRowError::from).collect(),
            user_errors: vec![UserError::new(
                ErrorCode::InvalidInput,
                format!("{n} problem(s) in the file; nothing was imported"),
            )
            .at(["input", "csv"])],
        });
    }
    Ok(ImportPostcodesPayload {
        imported_count: out.imported_count.into(),
        row_errors: Vec::new(),
        user_errors: Vec::new(),
    })
}
