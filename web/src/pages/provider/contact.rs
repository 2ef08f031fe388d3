//! The provider's contact details: where households collect its vehicles,
//! a phone number and an email address. Households see them on their
//! booking's confirmation.

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{render, render_refused, with_session},
    session::{ProviderUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/provider/contact", get(page).post(save))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub pickup_address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Template)]
#[template(path = "provider/contact.html")]
struct ContactPage {
    l: Layout,
    form: FormData,
    errors: Errors,
}

fn contact_page(user: &SignedIn, form: FormData, errors: Errors) -> ContactPage {
    ContactPage {
        l: Layout::new(&user.session, "Contact details", "/provider/contact").with_errors(&errors),
        form,
        errors,
    }
}

async fn page(State(s): State<AppState>, user: ProviderUser) -> PageResult {
    #[derive(Deserialize)]
    struct Data {
        me: Me,
    }
    #[derive(Deserialize)]
    struct Me {
        provider: Option<P>,
    }
    #[derive(Deserialize)]
    struct P {
        contact: Option<Contact>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "{ me { provider { contact { pickupAddress phone email } } } }",
            json!({}),
        )
        .await?;
    let c = d.me.provider.and_then(|p| p.contact).unwrap_or_default();
    let mut form = FormData::default();
    form.set("address", c.pickup_address.unwrap_or_default());
    form.set("phone", c.phone.unwrap_or_default());
    form.set("email", c.email.unwrap_or_default());
    render(&contact_page(&user, form, Errors::default()))
}

/// The API's field names as the form's.
fn form_field(api: &str) -> Option<&'static str> {
    Some(match api {
        "pickupAddress" => "address",
        "phone" => "phone",
        "email" => "email",
        _ => return None,
    })
}

async fn save(State(s): State<AppState>, user: ProviderUser, CsrfForm(form): CsrfForm) -> PageResult {
    let mut errors = Errors::default();
    if form.get("address").chars().count() > 500 {
        errors.add("address", "The pick-up address must be 500 characters or fewer");
    }
    if errors.is_empty() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            update_provider_contact: Payload,
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
                "mutation($i: ProviderContactInput!) { updateProviderContact(input: $i) { provider { id } userErrors { field code message } } }",
                json!({"i": {"pickupAddress": form.get("address"), "phone": form.get("phone"), "email": form.get("email")}}),
            )
            .await?;
        if d.update_provider_contact.user_errors.is_empty() {
            let data = user.session.data.with_flash("Your contact details are saved.");
            return Ok(with_session(see_other("/provider/contact"), data));
        }
        errors = Errors::from_user_errors(&d.update_provider_contact.user_errors, "address", form_field);
    }
    render_refused(&contact_page(&user, form, errors))
}
