//! The council's contact details for residents: an email address and a
//! phone number, shown on every booking's confirmation; and whom the
//! council's privacy notice and the accessibility statement name — its
//! data protection officer, its postal address and where to report an
//! accessibility problem ([`crate::pages::statutory`]). One form, saved
//! in one change (`updateCouncilDetails`).

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{render, render_refused, statutory::Contact, with_session},
    session::{OfficerUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/officer/contact", get(page).post(save))
}

/// Each form field with the `CouncilDetailsInput` field it sets.
const FIELDS: &[(&str, &str)] = &[
    ("email", "email"),
    ("phone", "phone"),
    ("dpo", "dataProtectionOfficer"),
    ("dpo-email", "dataProtectionEmail"),
    ("address", "postalAddress"),
    ("accessibility-email", "accessibilityEmail"),
    ("accessibility-phone", "accessibilityPhone"),
];

/// The page asks for more than one email address and phone number: a
/// refusal of one of the later ones says which it is.
fn message_for(field: &str, api_message: &str) -> String {
    match field {
        "dpo" => "Enter the data protection officer's name or role in 200 characters or fewer, on one line".into(),
        "dpo-email" => {
            "Enter the data protection officer's email address in the correct format, like dpo@example.org".into()
        }
        "accessibility-email" => "Enter the email address for accessibility problems in the correct format, \
                                  like accessibility@example.org"
            .into(),
        "accessibility-phone" => "Enter the phone number for accessibility problems, like 01993 123456".into(),
        _ => api_message.to_string(),
    }
}

const COUNCIL: &str = "id name code contact { email phone dataProtectionOfficer dataProtectionEmail postalAddress accessibilityEmail accessibilityPhone }";

#[derive(Deserialize)]
struct Council {
    id: String,
    name: String,
    code: String,
    contact: Contact,
}

#[derive(Template)]
#[template(path = "officer/contact.html")]
struct ContactPage {
    l: Layout,
    council: String,
    code: String,
    form: FormData,
    errors: Errors,
}

fn contact_page(user: &SignedIn, c: Council, form: FormData, errors: Errors) -> ContactPage {
    ContactPage {
        l: Layout::new(&user.session, "Contact details for residents", "/officer").with_errors(&errors),
        council: c.name,
        code: c.code,
        form,
        errors,
    }
}

async fn page(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c: Council = super::officer_council(&s, &user, COUNCIL).await?;
    let k = &c.contact;
    let mut form = FormData::default();
    for (field, value) in [
        ("email", &k.email),
        ("phone", &k.phone),
        ("dpo", &k.data_protection_officer),
        ("dpo-email", &k.data_protection_email),
        ("address", &k.postal_address),
        ("accessibility-email", &k.accessibility_email),
        ("accessibility-phone", &k.accessibility_phone),
    ] {
        form.set(field, value.clone().unwrap_or_default());
    }
    render(&contact_page(&user, c, form, Errors::default()))
}

async fn save(State(s): State<AppState>, user: OfficerUser, CsrfForm(form): CsrfForm) -> PageResult {
    let c: Council = super::officer_council(&s, &user, COUNCIL).await?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        update_council_details: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        user_errors: Vec<UserError>,
    }
    let input: Map<String, Value> = FIELDS
        .iter()
        .map(|&(field, api)| (api.to_string(), Value::from(form.get(field))))
        .collect();
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "mutation($c: ID!, $i: CouncilDetailsInput!) { updateCouncilDetails(councilId: $c, input: $i) { council { id } userErrors { field code message } } }",
            json!({"c": c.id, "i": input}),
        )
        .await?;
    if d.update_council_details.user_errors.is_empty() {
        let data = user.session.data.with_flash("The council's contact details are saved.");
        return Ok(with_session(see_other("/officer/contact"), data));
    }
    let mut errors = Errors::default();
    for e in &d.update_council_details.user_errors {
        let field = e
            .field_name()
            .and_then(|f| FIELDS.iter().find(|&&(_, api)| api == f))
            .map_or("email", |&(field, _)| field);
        errors.add(field, message_for(field, &e.message));
    }
    render_refused(&contact_page(&user, c, form, errors))
}
