//! Posted forms: the fields as sent, the CSRF check, and GOV.UK error
//! summaries with a message next to each field.

use axum::{
    extract::{FromRequest, Request},
    Form,
};

use crate::{error::PageError, gateway::UserError, session::Session, AppState};

/// A form's fields in the order sent (repeated names kept, for checkboxes).
#[derive(Clone, Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `name` was sent with `value` (a ticked checkbox, a chosen radio).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value.into()));
    }
}

/// A posted form whose CSRF token (field `csrf`) matches the session's.
pub struct CsrfForm(pub FormData);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = req
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or_else(|| PageError::Internal(anyhow::anyhow!("session layer missing")))?;
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|_| PageError::Csrf)?;
        let form = FormData(pairs);
        if !state.keys.csrf_ok(&session.data, form.get("csrf")) {
            return Err(PageError::Csrf);
        }
        Ok(CsrfForm(form))
    }
}

/// One field's problem.
#[derive(Clone, Debug)]
pub struct FieldError {
    /// The id of the input the summary links to.
    pub field: String,
    pub message: String,
}

/// A form's problems, in the order of the fields.
#[derive(Clone, Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field: field.to_string(),
                message: message.into(),
            });
        }
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The API's refusals, each next to its field: `to_field` names the
    /// form field for an API field (`None`: `fallback`).
    pub fn from_user_errors(
        errors: &[UserError],
        fallback: &str,
        to_field: impl Fn(&str) -> Option<&'static str>,
    ) -> Self {
        let mut out = Errors::default();
        for e in errors {
            let field = e.field_name().and_then(&to_field).unwrap_or(fallback);
            out.add(field, e.message.clone());
        }
        out
    }
}

/// What was typed in a GOV.UK date input: three boxes `{id}-day`,
/// `{id}-month` and `{id}-year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateInput {
    /// All three boxes empty.
    Empty,
    /// This part (`day`, `month` or `year`) empty, others not.
    Missing(&'static str),
    /// Not a real date (or the year not four digits).
    Invalid,
    Date(chrono::NaiveDate),
}

impl FormData {
    /// Reads the date input `id` (the one reading every date form shares).
    pub fn date(&self, id: &str) -> DateInput {
        let parts = ["day", "month", "year"].map(|p| self.get(&format!("{id}-{p}")).trim().to_string());
        if parts.iter().all(String::is_empty) {
            return DateInput::Empty;
        }
        if let Some(i) = parts.iter().position(String::is_empty) {
            return DateInput::Missing(["day", "month", "year"][i]);
        }
        let n = |s: &str| s.parse::<u32>().ok();
        match (n(&parts[0]), n(&parts[1]), n(&parts[2])) {
            (Some(d), Some(m), Some(y)) if parts[2].len() == 4 => i32::try_from(y)
                .ok()
                .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, m, d))
                .map_or(DateInput::Invalid, DateInput::Date),
            _ => DateInput::Invalid,
        }
    }
}
