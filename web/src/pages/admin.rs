//! Platform administrators: the councils, and creating one with its
//! boundary (a GeoJSON file) and its first officer.

use askama::Template;
use axum::{
    extract::{multipart::Multipart, State},
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    error::{see_other, PageError, PageResult},
    form::{Errors, FormData},
    gateway::UserError,
    pages::{render, render_refused, with_session},
    session::AdminUser,
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(councils))
        .route("/admin/councils/new", get(new_council).post(create))
}

/// The largest boundary file accepted, in bytes.
const MAX_BOUNDARY: usize = 200_000;

#[derive(Deserialize)]
struct Council {
    name: String,
    code: String,
}

#[derive(Template)]
#[template(path = "admin/councils.html")]
struct CouncilsPage {
    l: Layout,
    councils: Vec<Council>,
}

async fn councils(State(s): State<AppState>, user: AdminUser) -> PageResult {
    #[derive(Deserialize)]
    struct Data {
        councils: Vec<Council>,
    }
    let d: Data = s
        .gateway
        .query(Some(&user.token), "{ councils { id name code } }", json!({}))
        .await?;
    render(&CouncilsPage {
        l: Layout::new(&user.session, "Councils", "/admin"),
        councils: d.councils,
    })
}

#[derive(Template)]
#[template(path = "admin/new_council.html")]
struct NewCouncilPage {
    l: Layout,
    form: FormData,
    errors: Errors,
}

async fn new_council(user: AdminUser) -> PageResult {
    render(&NewCouncilPage {
        l: Layout::new(&user.session, "Create a council", "/admin"),
        form: FormData::default(),
        errors: Errors::default(),
    })
}

/// The posted form: its text fields, and the boundary file's name and bytes.
async fn read_form(mut m: Multipart) -> Result<(FormData, Option<(String, Vec<u8>)>), Errors> {
    let mut form = FormData::default();
    let mut file = None;
    let too_big = || {
        let mut e = Errors::default();
        e.add("boundary", "The boundary file must be smaller than 200 KB");
        e
    };
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(too_big()),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "boundary" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|_| too_big())?;
            if bytes.len() > MAX_BOUNDARY {
                return Err(too_big());
            }
            if !bytes.is_empty() {
                file = Some((file_name, bytes.to_vec()));
            }
        } else {
            let text = field.text().await.unwrap_or_default();
            form.0.push((name, text));
        }
    }
    Ok((form, file))
}

async fn create(State(s): State<AppState>, user: AdminUser, m: Multipart) -> PageResult {
    let (mut form, file) = match read_form(m).await {
        Ok(r) => r,
        Err(errors) => {
            return render_refused(&NewCouncilPage {
                l: Layout::new(&user.session, "Create a council", "/admin").with_errors(&errors),
                form: FormData::default(),
                errors,
            })
        }
    };
    if !s.keys.csrf_ok(&user.session.data, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let mut errors = Errors::default();
    if form.get("name").is_empty() {
        errors.add("name", "Enter the council's name");
    }
    if form.get("code").is_empty() {
        errors.add("code", "Enter a short code for the council, like WOX");
    }
    let boundary: Option<Value> = match &file {
        None => {
            errors.add("boundary", "Select a GeoJSON file with the council's boundary");
            None
        }
        Some((_, bytes)) => match serde_json::from_slice::<Value>(bytes) {
            // A Feature or a one-feature FeatureCollection gives its geometry.
            Ok(v) => Some(geometry_of(v)),
            Err(_) => {
                errors.add("boundary", "The selected file must be GeoJSON");
                None
            }
        },
    };
    if form.get("officer-email").is_empty() {
        errors.add(
            "officer-email",
            "Enter the email address of the council's first officer",
        );
    }
    if form.get("officer-password").chars().count() < 12 {
        errors.add("officer-password", "Enter a password of at least 12 characters");
    }
    if let (true, Some(boundary)) = (errors.is_empty(), boundary) {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            create_council: Payload,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            council: Option<Council>,
            user_errors: Vec<UserError>,
        }
        let d: Data = s
            .gateway
            .query(
                Some(&user.token),
                "mutation($input: CreateCouncilInput!) { createCouncil(input: $input) { council { id name code } userErrors { field code message } } }",
                json!({"input": {"name": form.get("name"), "code": form.get("code"), "boundary": boundary,
                                 "officerEmail": form.get("officer-email"), "officerPassword": form.get("officer-password")}}),
            )
            .await?;
        if let (Some(c), true) = (&d.create_council.council, d.create_council.user_errors.is_empty()) {
            let data = user.session.data.with_flash(format!(
                "{} ({}) is created. Its first officer can sign in as {}.",
                c.name,
                c.code,
                form.get("officer-email")
            ));
            return Ok(with_session(see_other("/admin"), data));
        }
        errors = Errors::from_user_errors(&d.create_council.user_errors, "name", |f| match f {
            "name" => Some("name"),
            "code" => Some("code"),
            "boundary" => Some("boundary"),
            "officerEmail" => Some("officer-email"),
            "officerPassword" => Some("officer-password"),
            _ => None,
        });
    }
    form.set("officer-password", "");
    render_refused(&NewCouncilPage {
        l: Layout::new(&user.session, "Create a council", "/admin").with_errors(&errors),
        form,
        errors,
    })
}

/// The geometry of a GeoJSON Feature (or of the only feature of a
/// FeatureCollection); anything else as it is, for the API to judge.
fn geometry_of(v: Value) -> Value {
    match v.get("type").and_then(Value::as_str) {
        Some("Feature") => v.get("geometry").cloned().unwrap_or(Value::Null),
        Some("FeatureCollection") => match v.get("features").and_then(Value::as_array) {
            Some(fs) if fs.len() == 1 => fs[0].get("geometry").cloned().unwrap_or(Value::Null),
            _ => v,
        },
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::geometry_of;
    use serde_json::json;

    #[test]
    fn a_feature_gives_its_geometry() {
        let g = json!({"type": "Polygon", "coordinates": []});
        assert_eq!(
            geometry_of(json!({"type": "Feature", "geometry": g, "properties": {}})),
            g
        );
        assert_eq!(
            geometry_of(json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": g}]})),
            g
        );
        assert_eq!(geometry_of(g.clone()), g);
    }
}
