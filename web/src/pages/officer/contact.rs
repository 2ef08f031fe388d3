//! The council's contact details for residents: an email address and a
//! phone number, shown on every booking's confirmation.

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{render, render_refused, with_session},
    session::{OfficerUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/officer/contact", get(page).post(save))
}

#[derive(Deserialize)]
struct Council {
    id: String,
    name: String,
    contact: Contact,
}

#[derive(Deserialize)]
struct Contact {
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Template)]
#[template(path = "officer/contact.html")]
struct ContactPage {
    l: Layout,
    council: String,
    form: FormData,
    errors: Errors,
}

fn contact_page(user: &SignedIn, council: String, form: FormData, errors: Errors) -> ContactPage {
    ContactPage {
        l: Layout::new(&user.session, "Contact details for residents", "/officer").with_errors(&errors),
        council,
        form,
        errors,
    }
}

async fn page(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c: Council = super::officer_council(&s, &user, "id name contact { email phone }").await?;
    let mut form = FormData::default();
    form.set("email", c.contact.email.unwrap_or_default());
    form.set("phone", c.contact.phone.unwrap_or_default());
    render(&contact_page(&user, c.name, form, Errors::default()))
}

async fn save(State(s): State<AppState>, user: OfficerUser, CsrfForm(form): CsrfForm) -> PageResult {
    let c: Council = super::officer_council(&s, &user, "id name contact { email phone }").await?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        update_council_contact: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        user_errors: Vec<UserError>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "mutation($c: ID!, $i: CouncilContactInput!) { updateCouncilContact(councilId: $c, input: $i) { council { id } userErrors { field code message } } }",
            json!({"c": c.id, "i": {"email": form.get("email"), "phone": form.get("phone")}}),
        )
        .await?;
    if d.update_council_contact.user_errors.is_empty() {
        let data = user.session.data.with_flash("The council's contact details are saved.");
        return Ok(with_session(see_other("/officer/contact"), data));
    }
    let errors = Errors::from_user_errors(&d.update_council_contact.user_errors, "email", |f| match f {
        "phone" => Some("phone"),
        "email" => Some("email"),
        _ => None,
    });
    render_refused(&contact_page(&user, c.name, form, errors))
}
