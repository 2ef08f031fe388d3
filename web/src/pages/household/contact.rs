//! "How we contact you": a household chooses email, text message or letter
//! for Roundabout's messages, and reads the messages sent to it. Under
//! `/officer/households/{id}` an officer of the household's council makes
//! the choice for it (the gateway records it in the council's log) and sees
//! which messages failed to arrive.

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{
        acting::Acting,
        messages::{self, Message},
        render, render_refused,
        vocabulary::filters,
        with_session,
    },
    views::Layout,
    AppState,
};

pub fn router(prefix: &str) -> Router<AppState> {
    Router::new().route(&format!("{prefix}/contact-preferences"), get(page).post(save))
}

/// How many messages the page lists.
const MESSAGES: i32 = 50;

const READ: &str = "query($h: ID, $n: Int!) { \
    notificationPreferences(householdId: $h) { channel phone addressLines postcode updatedAt setByOfficer } \
    notifications(householdId: $h, first: $n) { FIELDS } }";

const UPDATE: &str = "mutation($i: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $i) { \
    preferences { channel phone addressLines postcode } userErrors { field code message } } }";

/// The household's current choice.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Preferences {
    channel: String,
    phone: Option<String>,
    address_lines: Vec<String>,
    postcode: Option<String>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    set_by_officer: bool,
}

impl Preferences {
    /// The form as the choice fills it in: the address's first line, the
    /// middle ones joined, the last as the town.
    fn as_form(&self) -> FormData {
        let mut f = FormData::default();
        f.set("channel", self.channel.clone());
        f.set("phone", self.phone.clone().unwrap_or_default());
        let lines = &self.address_lines;
        let (first, middle, town) = match lines.len() {
            0 => (String::new(), String::new(), String::new()),
            1 => (lines[0].clone(), String::new(), String::new()),
            n => (lines[0].clone(), lines[1..n - 1].join(", "), lines[n - 1].clone()),
        };
        f.set("address-line-1", first);
        f.set("address-line-2", middle);
        f.set("address-town", town);
        f.set("postcode", self.postcode.clone().unwrap_or_default());
        f
    }

    /// Where messages go, in words: the address on one line per part.
    fn to_lines(&self, email: &str) -> Vec<String> {
        match self.channel.as_str() {
            "SMS" => vec![self.phone.clone().unwrap_or_default()],
            "LETTER" => self
                .address_lines
                .iter()
                .cloned()
                .chain(self.postcode.clone())
                .collect(),
            _ => vec![email.to_string()],
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Read {
    notification_preferences: Preferences,
    notifications: Vec<Message>,
}

async fn read(s: &AppState, a: &Acting) -> Result<Read, PageError> {
    let query = READ.replace("FIELDS", messages::FIELDS);
    Ok(s.gateway
        .query(Some(&a.token), &query, json!({"h": a.household_id(), "n": MESSAGES}))
        .await?)
}

#[derive(Template)]
#[template(path = "household/contact_preferences.html")]
struct ContactPage {
    l: Layout,
    base: String,
    officer: bool,
    /// The account's email address, where email goes.
    email: String,
    current: Preferences,
    /// Where messages go now, one line per part.
    current_to: Vec<String>,
    form: FormData,
    errors: Errors,
    messages: Vec<Message>,
}

fn view(a: &Acting, r: Read, form: Option<FormData>, errors: Errors) -> ContactPage {
    let officer = a.household.is_some();
    let title = if officer {
        "How we contact the household"
    } else {
        "How we contact you"
    };
    let email = account_email(a);
    let current = r.notification_preferences;
    ContactPage {
        l: a.layout(title, "/contact-preferences").with_errors(&errors),
        base: a.base(),
        officer,
        current_to: current.to_lines(&email),
        email,
        form: form.unwrap_or_else(|| current.as_form()),
        current,
        errors,
        messages: r.notifications,
    }
}

async fn page(State(s): State<AppState>, a: Acting) -> PageResult {
    let r = read(&s, &a).await?;
    render(&view(&a, r, None, Errors::default()))
}

/// The API's field for a form field's refusal.
fn form_field(api: &str) -> Option<&'static str> {
    match api {
        "channel" => Some("channel"),
        "phone" => Some("phone"),
        "addressLines" => Some("address-line-1"),
        "postcode" => Some("postcode"),
        _ => None,
    }
}

/// What the form can tell before asking the API; the input to send.
fn checked(form: &FormData, household: Option<&str>) -> Result<Value, Errors> {
    let mut errors = Errors::default();
    let channel = form.get("channel");
    let mut input = json!({"householdId": household, "channel": channel});
    match channel {
        "EMAIL" => {}
        "SMS" => {
            if form.get("phone").is_empty() {
                errors.add("phone", "Enter a mobile phone number for text messages");
            }
            input["phone"] = json!(form.get("phone"));
        }
        "LETTER" => {
            if form.get("address-line-1").is_empty() {
                errors.add("address-line-1", "Enter the first line of the address");
            }
            if form.get("address-town").is_empty() {
                errors.add("address-town", "Enter the town or city");
            }
            if form.get("postcode").is_empty() {
                errors.add("postcode", "Enter the postcode");
            }
            input["addressLines"] = json!([
                form.get("address-line-1"),
                form.get("address-line-2"),
                form.get("address-town")
            ]);
            input["postcode"] = json!(form.get("postcode"));
        }
        _ => errors.add("channel", "Select how we should contact you"),
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// The banner after a change: what was chosen, in words (`to`: the
/// email address or phone number, when there is one).
fn done_words(officer: bool, channel: &str, to: Option<&str>) -> String {
    let who = if officer { "the household" } else { "you" };
    let how = match channel {
        "SMS" => "by text message",
        "LETTER" => "by letter",
        _ => "by email",
    };
    match to.filter(|t| !t.is_empty()) {
        Some(to) if channel != "LETTER" => format!("We will contact {who} {how} at {to}."),
        _ => format!("We will contact {who} {how}."),
    }
}

/// The account's email address, where email goes.
fn account_email(a: &Acting) -> String {
    match &a.household {
        Some(h) => h.email.clone().unwrap_or_default(),
        None => a.session.data.email.clone().unwrap_or_default(),
    }
}

async fn save(State(s): State<AppState>, a: Acting, CsrfForm(form): CsrfForm) -> PageResult {
    let input = match checked(&form, a.household_id()) {
        Ok(i) => i,
        Err(errors) => {
            let r = read(&s, &a).await?;
            return render_refused(&view(&a, r, Some(form), errors));
        }
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        preferences: Option<Preferences2>,
        user_errors: Vec<UserError>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Preferences2 {
        channel: String,
        phone: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        update_notification_preferences: Payload,
    }
    let d: Data = s.gateway.query(Some(&a.token), UPDATE, json!({"i": input})).await?;
    let p = d.update_notification_preferences;
    if !p.user_errors.is_empty() {
        let errors = Errors::from_user_errors(&p.user_errors, "channel", form_field);
        let r = read(&s, &a).await?;
        return render_refused(&view(&a, r, Some(form), errors));
    }
    let Some(saved) = p.preferences else {
        return Err(anyhow::anyhow!("updateNotificationPreferences gave neither preferences nor a refusal").into());
    };
    let to = match saved.channel.as_str() {
        "SMS" => saved.phone,
        _ => Some(account_email(&a)),
    };
    let message = done_words(a.household.is_some(), &saved.channel, to.as_deref());
    let data = a.user.session.data.clone().with_flash(message);
    Ok(with_session(
        see_other(&format!("{}/contact-preferences", a.base())),
        data,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> FormData {
        FormData(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn only_the_chosen_way_is_sent_and_what_is_missing_is_asked_for() {
        let email = checked(&form(&[("channel", "EMAIL"), ("phone", "not a number")]), None).unwrap();
        assert_eq!(email, json!({"householdId": null, "channel": "EMAIL"}));
        let text = checked(&form(&[("channel", "SMS"), ("phone", "07700 900982")]), Some("h1")).unwrap();
        assert_eq!(text["phone"], "07700 900982");
        assert_eq!(text["householdId"], "h1");
        let e = checked(&form(&[]), None).unwrap_err();
        assert_eq!(e.get("channel"), Some("Select how we should contact you"));
        let e = checked(&form(&[("channel", "LETTER"), ("postcode", "OX28 4AB")]), None).unwrap_err();
        assert!(e.get("address-line-1").is_some() && e.get("address-town").is_some());
        assert!(e.get("postcode").is_none());
    }

    #[test]
    fn a_stored_address_fills_the_three_lines() {
        let p = Preferences {
            channel: "LETTER".into(),
            phone: None,
            address_lines: vec![
                "Flat 2".into(),
                "1 High Street".into(),
                "Cogges".into(),
                "Witney".into(),
            ],
            postcode: Some("OX28 4AB".into()),
            updated_at: None,
            set_by_officer: false,
        };
        let f = p.as_form();
        assert_eq!(f.get("address-line-1"), "Flat 2");
        assert_eq!(f.get("address-line-2"), "1 High Street, Cogges");
        assert_eq!(f.get("address-town"), "Witney");
        assert_eq!(p.to_lines("x@y")[4], "OX28 4AB");
        assert_eq!(
            done_words(false, "SMS", Some("07700 900982")),
            "We will contact you by text message at 07700 900982."
        );
    }
}
