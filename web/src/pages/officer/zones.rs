//! The council's zones: a map with a table of zones and their areas, and
//! adding a zone from a GeoJSON file or pasted GeoJSON (`createZone`).

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde_json::{json, Value};

use super::{council, map::Map};
use crate::{
    error::{see_other, PageResult},
    form::{Errors, FormData},
    gateway::{GatewayError, UserError},
    pages::{render, render_refused, with_session},
    session::OfficerUser,
    upload::UploadForm,
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer/zones", get(list))
        .route("/officer/zones/new", get(new_page).post(create))
}

#[derive(Template)]
#[template(path = "officer/zones.html")]
struct ZonesPage {
    l: Layout,
    council: String,
    map: Option<Map>,
}

async fn list(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, "boundary zones { id name geometry }").await?;
    let zones: Vec<(String, Value)> = c.zones.into_iter().map(|z| (z.name, z.geometry)).collect();
    render(&ZonesPage {
        l: Layout::new(&user.session, "Zones", "/officer/zones"),
        map: Map::new(&c.boundary, &zones),
        council: c.name,
    })
}

#[derive(Template)]
#[template(path = "officer/zone_new.html")]
struct NewZonePage {
    l: Layout,
    council: String,
    form: FormData,
    errors: Errors,
    /// The file sent last time, whose text is now in the text box.
    file_name: Option<String>,
}

async fn new_page(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, "").await?;
    render(&NewZonePage {
        l: Layout::new(&user.session, "Add a zone", "/officer/zones"),
        council: c.name,
        form: FormData::default(),
        errors: Errors::default(),
        file_name: None,
    })
}

/// The zone's GeoJSON from the text: a Polygon or MultiPolygon geometry, a
/// Feature, or a FeatureCollection of one Feature (its geometry). The API
/// checks the shape itself.
pub fn geometry(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| {
        format!(
            "The GeoJSON is not valid JSON (line {}, column {}): check it was saved as GeoJSON",
            e.line(),
            e.column()
        )
    })?;
    if !v.is_object() {
        return Err("The GeoJSON must be an object with a \"type\", like {\"type\": \"Polygon\", …}".into());
    }
    if v["type"] == "FeatureCollection" {
        let features = v["features"].as_array().map(Vec::as_slice).unwrap_or_default();
        return match features {
            [one] if one["geometry"].is_object() => Ok(one["geometry"].clone()),
            [_] => Err("The feature in the file has no geometry".into()),
            [] => Err("The file has no features: it needs one Polygon or MultiPolygon".into()),
            many => Err(format!(
                "The file has {} features: add one zone at a time, or join them into one MultiPolygon",
                many.len()
            )),
        };
    }
    Ok(v)
}

/// The largest GeoJSON sent to the API, in bytes (its requests are limited).
const MAX_GEOJSON_BYTES: usize = 200 * 1024;

async fn create(State(s): State<AppState>, user: OfficerUser, upload: UploadForm) -> PageResult {
    let c = council(&s, &user, "").await?;
    let mut form = upload.fields.clone();
    let mut errors = Errors::default();
    let name = form.get("name").to_string();
    if name.is_empty() {
        errors.add("name", "Enter a name for the zone");
    } else if name.chars().count() > 200 {
        errors.add("name", "The zone name must be 200 characters or fewer");
    }
    let file_name = upload.file_name("file").map(str::to_string);
    if upload.not_text.iter().any(|f| f == "file") {
        errors.add(
            "file",
            "The file is not a text file: choose a GeoJSON file (.geojson or .json)",
        );
    }
    // A chosen file wins over pasted text; the text box keeps it from now on.
    if let Some(text) = upload.file("file").filter(|t| !t.trim().is_empty()) {
        form.set("geojson", text);
    }
    let text = form.get("geojson").to_string();
    let mut shape = None;
    if errors.get("file").is_none() {
        if text.is_empty() {
            errors.add("file", "Choose a GeoJSON file, or paste the GeoJSON");
        } else if text.len() > MAX_GEOJSON_BYTES {
            errors.add(
                "geojson",
                "The GeoJSON is larger than 200 KB: simplify the shape (at most 5,000 points)",
            );
        } else {
            match geometry(&text) {
                Ok(g) => shape = Some(g),
                Err(e) => errors.add("geojson", e),
            }
        }
    }
    if let (true, Some(geometry)) = (errors.is_empty(), shape) {
        let res: Result<Value, GatewayError> = s
            .gateway
            .query(
                Some(&user.token),
                "mutation($input: CreateZoneInput!) { createZone(input: $input) { zone { id name } userErrors { field code message } } }",
                json!({"input": {"councilId": c.id, "name": name, "geometry": geometry}}),
            )
            .await;
        match res {
            Ok(v) => {
                let user_errors: Vec<UserError> =
                    serde_json::from_value(v["createZone"]["userErrors"].clone()).unwrap_or_default();
                if user_errors.is_empty() {
                    let data = user.session.data.with_flash(format!("The zone {name} is added."));
                    return Ok(with_session(see_other("/officer/zones"), data));
                }
                errors = Errors::from_user_errors(&user_errors, "geojson", |f| match f {
                    "name" => Some("name"),
                    _ => None,
                });
            }
            Err(GatewayError::Invalid(m)) => errors.add("geojson", m),
            Err(e) => return Err(e.into()),
        }
    }
    render_refused(&NewZonePage {
        l: Layout::new(&user.session, "Add a zone", "/officer/zones").with_errors(&errors),
        council: c.name,
        form,
        errors,
        file_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_is_taken_from_a_geometry_a_feature_or_a_collection_of_one() {
        let poly = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#;
        assert_eq!(geometry(poly).unwrap()["type"], "Polygon");
        let one = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{poly}}}]}}"#
        );
        assert_eq!(geometry(&one).unwrap()["type"], "Polygon");
        let two = format!(r#"{{"type":"FeatureCollection","features":[{{"geometry":{poly}}},{{"geometry":{poly}}}]}}"#);
        assert!(geometry(&two).unwrap_err().contains("2 features"));
        assert!(geometry("{\"type\": ").unwrap_err().contains("not valid JSON"));
        assert!(geometry("[1, 2]").unwrap_err().contains("must be an object"));
    }
}
