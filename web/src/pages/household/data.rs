//! A household's data rights on the web: "Your data" (everything Roundabout
//! holds about the household, as a page and as a JSON file to download) and
//! "Close your account" (erasure). Under `/officer/households/{id}` an
//! officer of the household's council does both for the household, at its
//! request; the gateway records it in the council's audit log.

use askama::Template;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors},
    gateway::UserError,
    pages::{acting::Acting, render, render_refused, vocabulary::filters, with_session},
    views::Layout,
    AppState,
};

pub fn router(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/your-data"), get(page))
        .route(&format!("{prefix}/your-data.json"), get(download))
        .route(&format!("{prefix}/close-account"), get(close_page).post(close))
}

const EXPORT: &str = "query($h: ID) { exportMyData(householdId: $h) { generatedAt json \
    sections { key title purpose heldBy records { fields { label value } } } } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    generated_at: chrono::DateTime<chrono::Utc>,
    json: String,
    sections: Vec<Section>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Section {
    key: String,
    title: String,
    purpose: String,
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    fields: Vec<Field>,
}

#[derive(Deserialize)]
struct Field {
    label: String,
    value: String,
}

async fn export(s: &AppState, a: &Acting) -> Result<Export, crate::error::PageError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        export_my_data: Export,
    }
    let d: Data = s
        .gateway
        .query(Some(&a.token), EXPORT, json!({"h": a.household_id()}))
        .await?;
    Ok(d.export_my_data)
}

#[derive(Template)]
#[template(path = "household/your_data.html")]
struct DataPage {
    l: Layout,
    base: String,
    officer: bool,
    generated_at: chrono::DateTime<chrono::Utc>,
    sections: Vec<Section>,
}

async fn page(State(s): State<AppState>, a: Acting) -> PageResult {
    let e = export(&s, &a).await?;
    let title = if a.household.is_some() {
        "The household's data"
    } else {
        "Your data"
    };
    render(&DataPage {
        l: a.layout(title, "/your-data"),
        base: a.base(),
        officer: a.household.is_some(),
        generated_at: e.generated_at,
        sections: e.sections,
    })
}

/// The same as one JSON file, named for the day it was made.
async fn download(State(s): State<AppState>, a: Acting) -> Result<Response, crate::error::PageError> {
    let e = export(&s, &a).await?;
    let name = format!("roundabout-data-{}.json", e.generated_at.format("%Y-%m-%d"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        e.json,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "household/close_account.html")]
struct ClosePage {
    l: Layout,
    base: String,
    officer: bool,
    errors: Errors,
}

fn close_view(a: &Acting, errors: Errors) -> ClosePage {
    let title = if a.household.is_some() {
        "Close the household's account"
    } else {
        "Close your account"
    };
    ClosePage {
        l: a.layout(title, "/your-data").with_errors(&errors),
        base: a.base(),
        officer: a.household.is_some(),
        errors,
    }
}

async fn close_page(a: Acting) -> PageResult {
    render(&close_view(&a, Errors::default()))
}

const CLOSE: &str = "mutation($i: CloseAccountInput!) { closeAccount(input: $i) { \
    erasure { done } userErrors { field code message } } }";

async fn close(State(s): State<AppState>, a: Acting, CsrfForm(form): CsrfForm) -> PageResult {
    let officer = a.household.is_some();
    let password = form.get("password");
    let mut errors = Errors::default();
    if !officer && password.is_empty() {
        errors.add("password", "Enter your password to close your account");
        return render_refused(&close_view(&a, errors));
    }
    if officer && form.get("confirm") != "yes" {
        errors.add(
            "confirm",
            "Confirm that the household asked for its account to be closed",
        );
        return render_refused(&close_view(&a, errors));
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        erasure: Option<serde_json::Value>,
        user_errors: Vec<UserError>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        close_account: Payload,
    }
    let input = match a.household_id() {
        Some(h) => json!({"householdId": h}),
        None => json!({"password": password}),
    };
    let d: Data = s.gateway.query(Some(&a.token), CLOSE, json!({"i": input})).await?;
    let p = d.close_account;
    if let Some(e) = p.user_errors.first() {
        let field = if officer { "confirm" } else { "password" };
        errors.add(field, e.message.clone());
        return render_refused(&close_view(&a, errors));
    }
    if p.erasure.is_none() {
        return Err(anyhow::anyhow!("closeAccount gave neither an erasure nor a refusal").into());
    }
    if officer {
        let data = a.user.session.data.clone().with_flash(
            "The household's account is closed. Its details are being erased from every part of the service.",
        );
        return Ok(with_session(see_other(&a.base()), data));
    }
    // The household's sessions ended with the request: sign out here too.
    let data = a.user.session.data.clone().without_token().with_flash(
        "Your account is closed. We are erasing your details; we keep only what the council's accounts need, \
         without your name or contact details.",
    );
    Ok(with_session(see_other("/"), data))
}
