//! The draft's form with the criteria builder (`createScheme`,
//! `updateScheme`): rows added and removed without JavaScript, the form
//! read into the API's input, and the API's refusals put back at their rows.

use askama::Template;
use axum::extract::{Path, State};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use roundabout_api::ErrorCode;
use serde_json::{json, Value};

use super::{percent, scheme, Scheme};
use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, DateInput, Errors, FormData},
    gateway::{GatewayError, UserError},
    pages::{
        officer::{
            council,
            criteria::{self, Row, COMPARISONS},
            Zone,
        },
        render, render_refused, with_session,
    },
    session::OfficerUser,
    views::{self, Layout},
    AppState,
};

#[derive(Template)]
#[template(path = "officer/scheme_form.html")]
struct FormPage {
    l: Layout,
    council: String,
    /// The draft being changed; none for a new scheme.
    scheme: Option<(String, String)>,
    form: FormData,
    rows: Vec<Row>,
    zones: Vec<Zone>,
    errors: Errors,
    /// The criteria's JSON Logic as the rows stand (valid rows only).
    rule: String,
}

impl FormPage {
    fn facts(&self) -> Vec<&'static criteria::Fact> {
        criteria::facts()
    }

    fn comparisons(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        COMPARISONS
    }

    fn action(&self) -> String {
        match &self.scheme {
            Some((id, _)) => format!("/officer/schemes/{id}/edit"),
            None => "/officer/schemes/new".into(),
        }
    }

    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn f(&self, field: &str) -> String {
        self.form.get(field).to_string()
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.form.has(name, value)
    }

    fn row_err(&self, i: &usize, k: &str) -> Option<&str> {
        self.errors.get(&format!("c{i}-{k}"))
    }
}

fn form_page(
    user: &OfficerUser,
    c: &crate::pages::officer::Council,
    scheme: Option<&Scheme>,
    form: FormData,
    errors: Errors,
) -> FormPage {
    let rows = criteria::rows(&form);
    let mut scratch = Errors::default();
    let built: Vec<Value> = criteria::build(&rows, &mut scratch).into_iter().map(|b| b.1).collect();
    let title = match scheme {
        Some(s) => format!("Change {}", s.name),
        None => "Create a scheme".to_string(),
    };
    FormPage {
        l: Layout::new(&user.session, title, "/officer/schemes").with_errors(&errors),
        council: c.name.clone(),
        scheme: scheme.map(|s| (s.id.clone(), s.name.clone())),
        rule: if built.is_empty() {
            String::new()
        } else {
            criteria::combined(&built)
        },
        rows,
        form,
        zones: c.zones.clone(),
        errors,
    }
}

/// A new scheme's form: one empty criterion, hires and leases.
pub(super) async fn new_page(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, "zones { id name }").await?;
    let mut form = FormData::default();
    criteria::set_rows(&mut form, &[Row::default()]);
    form.0.push(("applies-to".into(), "HIRE".into()));
    form.0.push(("applies-to".into(), "LEASE".into()));
    render(&form_page(&user, &c, None, form, Errors::default()))
}

/// The form of a saved scheme.
fn form_of(s: &Scheme) -> FormData {
    let mut form = FormData::default();
    form.set("name", s.name.clone());
    form.set("description", s.description.clone());
    let mut rows: Vec<Row> = s
        .criteria
        .iter()
        .map(|c| criteria::row_of(&c.id, &c.label, &c.rule, &c.fail_text))
        .collect();
    if rows.is_empty() {
        rows.push(Row::default());
    }
    criteria::set_rows(&mut form, &rows);
    form.set(
        "percent",
        percent(s.subsidy.percent_basis_points)
            .trim_end_matches('%')
            .to_string(),
    );
    if let Some(cap) = s.subsidy.cap_per_booking_pence {
        form.set("cap", pence_typed(cap));
    }
    form.set("budget", pence_typed(s.budget_pence));
    for k in &s.applies_to {
        form.0.push(("applies-to".into(), k.clone()));
    }
    for z in &s.zones {
        form.0.push(("zones".into(), z.id.clone()));
    }
    let mut date = |prefix: &str, d: NaiveDate| {
        form.set(&format!("{prefix}-day"), d.day().to_string());
        form.set(&format!("{prefix}-month"), d.month().to_string());
        form.set(&format!("{prefix}-year"), d.year().to_string());
    };
    if let Some(t) = s.effective_from {
        date("from", views::to_uk(t).date());
    }
    if let Some(t) = s.effective_to {
        date("to", views::to_uk(t - Duration::seconds(1)).date());
    }
    form
}

pub(super) fn pence_typed(p: i64) -> String {
    if p % 100 == 0 {
        (p / 100).to_string()
    } else {
        format!("{}.{:02}", p / 100, p % 100)
    }
}

pub(super) async fn edit_page(State(s): State<AppState>, user: OfficerUser, Path(id): Path<String>) -> PageResult {
    let (c, sc) = scheme(&s, &user, &id).await?;
    if sc.status != "DRAFT" {
        return Ok(see_other(&format!("/officer/schemes/{id}")));
    }
    let form = form_of(&sc);
    render(&form_page(&user, &c, Some(&sc), form, Errors::default()))
}

/// What the buttons under the criteria ask for, short of saving.
enum RowAction {
    Add,
    AddRule,
    Remove(usize),
}

fn row_action(form: &FormData) -> Option<RowAction> {
    match form.get("action") {
        "add" => Some(RowAction::Add),
        "add-rule" => Some(RowAction::AddRule),
        a => a
            .strip_prefix("remove-")
            .and_then(|i| i.parse().ok())
            .map(RowAction::Remove),
    }
}

/// Applies a row action: the form again with one row more or less.
fn apply(form: &mut FormData, action: RowAction, errors: &mut Errors) {
    let mut rows = criteria::rows(form);
    match action {
        RowAction::Add | RowAction::AddRule if rows.len() >= criteria::MAX_ROWS => {
            errors.add(
                &format!("c{}-fact", rows.len() - 1),
                format!("A scheme has at most {} criteria", criteria::MAX_ROWS),
            );
        }
        RowAction::Add => rows.push(Row::default()),
        RowAction::AddRule => rows.push(Row {
            rule: Some(String::new()),
            ..Row::default()
        }),
        RowAction::Remove(i) if i < rows.len() => {
            rows.remove(i);
            if rows.is_empty() {
                rows.push(Row::default());
            }
        }
        RowAction::Remove(_) => {}
    }
    criteria::set_rows(form, &rows);
}

/// A date typed in three boxes (`{prefix}-day`, `-month`, `-year`); none
/// when all are empty.
fn date(form: &FormData, prefix: &str, what: &str, errors: &mut Errors) -> Option<NaiveDate> {
    match form.date(prefix) {
        DateInput::Empty => None,
        DateInput::Date(d) if (2000..=2200).contains(&d.year()) => Some(d),
        DateInput::Date(_) | DateInput::Missing(_) | DateInput::Invalid => {
            errors.add(
                &format!("{prefix}-day"),
                format!("The {what} must be a real date, like 1 4 2027"),
            );
            None
        }
    }
}

/// The scheme's input from the form, or the problems; and the form row of
/// each criterion sent.
fn scheme_input(form: &FormData, council_id: &str, zones: &[Zone], errors: &mut Errors) -> (Value, Vec<usize>) {
    let name = form.get("name");
    if name.is_empty() {
        errors.add("name", "Enter the scheme's name");
    } else if name.chars().count() > 200 {
        errors.add("name", "The name must be 200 characters or fewer");
    }
    if form.get("description").chars().count() > 5000 {
        errors.add("description", "The description must be 5,000 characters or fewer");
    }
    let rows = criteria::rows(form);
    let built = criteria::build(&rows, errors);
    if built.is_empty() && !rows.iter().any(|r| !r.is_blank()) {
        errors.add(
            "c0-fact",
            "Add at least one criterion: choose a fact, a comparison and a value",
        );
    }
    let percent = form.get("percent").trim_end_matches('%').trim();
    let bp = match criteria::parse_pence(percent) {
        Some(bp) if (0..=10_000).contains(&bp) => Some(bp),
        _ if percent.is_empty() => {
            errors.add("percent", "Enter the share of the price the scheme pays, from 0 to 100");
            None
        }
        _ => {
            errors.add("percent", "The share must be a number from 0 to 100, like 40");
            None
        }
    };
    let cap = match form.get("cap") {
        "" => None,
        c => match criteria::parse_pence(c).filter(|p| *p <= 100_000_000) {
            Some(p) => Some(p),
            None => {
                errors.add("cap", "The most per booking must be an amount in pounds, like 50");
                None
            }
        },
    };
    let budget = match form.get("budget") {
        "" => {
            errors.add("budget", "Enter the scheme's budget in pounds");
            0
        }
        b => criteria::parse_pence(b)
            .filter(|p| *p <= 100_000_000_000)
            .unwrap_or_else(|| {
                errors.add("budget", "The budget must be an amount in pounds, like 200,000");
                0
            }),
    };
    let applies: Vec<&str> = ["HIRE", "LEASE"]
        .into_iter()
        .filter(|k| form.has("applies-to", k))
        .collect();
    if applies.is_empty() {
        errors.add(
            "applies-to",
            "Choose what the scheme pays towards: hires, leases or both",
        );
    }
    let today = views::to_uk(Utc::now()).date();
    let from = date(form, "from", "start date", errors);
    if from.is_some_and(|d| d < today) {
        errors.add("from-day", "The start date must be today or later");
    }
    let to = date(form, "to", "end date", errors);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.add("to-day", "The end date must be on or after the start date");
        }
    }
    let midnight = |d: NaiveDate| views::from_uk(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    let zone_ids: Vec<&str> = zones
        .iter()
        .map(|z| z.id.as_str())
        .filter(|id| form.has("zones", id))
        .collect();
    let input = json!({
        "councilId": council_id,
        "name": name,
        "description": form.get("description"),
        "zoneIds": zone_ids,
        "criteria": built.iter().map(|b| b.1.clone()).collect::<Vec<_>>(),
        "subsidy": {"percentBasisPoints": bp.unwrap_or(0), "capPerBookingPence": cap},
        "appliesTo": applies,
        "budgetPence": budget,
        // Today: from when it is published.
        "effectiveFrom": from.filter(|d| *d > today).map(midnight),
        // The end of the last day.
        "effectiveTo": to.map(|d| midnight(d + Duration::days(1))),
    });
    (input, built.into_iter().map(|b| b.0).collect())
}

/// The API's refusals, each at its field of the form.
fn api_errors(user_errors: &[UserError], sent_rows: &[usize]) -> Errors {
    let mut errors = Errors::default();
    for e in user_errors {
        let path: Vec<&str> = e
            .field
            .iter()
            .flatten()
            .map(String::as_str)
            .skip_while(|p| *p == "input")
            .collect();
        let field = match path.as_slice() {
            ["name"] => "name".to_string(),
            ["description"] => "description".to_string(),
            ["zoneIds", ..] => "zones".to_string(),
            ["criteria", i, what, ..] => {
                let row = i
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| sent_rows.get(i))
                    .copied()
                    .unwrap_or(0);
                match *what {
                    "failText" => format!("c{row}-fail"),
                    "id" => format!("c{row}-fact"),
                    _ => format!("c{row}-value"),
                }
            }
            ["criteria", ..] => "c0-fact".to_string(),
            ["subsidy", "capPerBookingPence"] => "cap".to_string(),
            ["subsidy", ..] => "percent".to_string(),
            ["budgetPence"] => "budget".to_string(),
            ["appliesTo"] => "applies-to".to_string(),
            ["effectiveFrom"] => "from-day".to_string(),
            ["effectiveTo"] => "to-day".to_string(),
            _ => "name".to_string(),
        };
        errors.add(&field, e.message.clone());
    }
    errors
}

/// A JSON Logic row's refusal goes to its text box, not the value.
fn fix_rule_rows(errors: &mut Errors, rows: &[Row]) {
    for e in &mut errors.0 {
        if let Some(i) = e
            .field
            .strip_prefix('c')
            .and_then(|r| r.strip_suffix("-value"))
            .and_then(|i| i.parse::<usize>().ok())
        {
            if rows.get(i).is_some_and(|r| r.rule.is_some()) {
                e.field = format!("c{i}-rule");
            }
        }
    }
}

const SAVE_FIELDS: &str = "scheme { id name } userErrors { field code message }";

async fn save(
    s: &AppState,
    user: &OfficerUser,
    existing: Option<&Scheme>,
    c: &crate::pages::officer::Council,
    form: FormData,
) -> PageResult {
    let mut form = form;
    let mut errors = Errors::default();
    if let Some(action) = row_action(&form) {
        apply(&mut form, action, &mut errors);
        let page = form_page(user, c, existing, form, errors);
        return if page.errors.is_empty() {
            render(&page)
        } else {
            render_refused(&page)
        };
    }
    let (input, sent) = scheme_input(&form, &c.id, &c.zones, &mut errors);
    if errors.is_empty() {
        let (mutation, query, vars) = match existing {
            Some(sc) => (
                "updateScheme",
                format!("mutation($id: ID!, $input: SchemeInput!) {{ updateScheme(id: $id, input: $input) {{ {SAVE_FIELDS} }} }}"),
                json!({"id": sc.id, "input": input}),
            ),
            None => (
                "createScheme",
                format!("mutation($input: SchemeInput!) {{ createScheme(input: $input) {{ {SAVE_FIELDS} }} }}"),
                json!({"input": input}),
            ),
        };
        let v: Value = match s.gateway.query(Some(&user.token), &query, vars).await {
            Ok(v) => v,
            // A refusal of the request as a whole (too large, say).
            Err(GatewayError::Invalid(m)) => {
                json!({mutation: {"userErrors": [{"code": ErrorCode::InvalidInput, "message": m}]}})
            }
            Err(e) => return Err(e.into()),
        };
        let user_errors: Vec<UserError> = serde_json::from_value(v[mutation]["userErrors"].clone()).unwrap_or_default();
        match (user_errors.is_empty(), v[mutation]["scheme"]["id"].as_str()) {
            (true, Some(id)) => {
                let name = v[mutation]["scheme"]["name"].as_str().unwrap_or_default();
                let data = user.session.data.with_flash(format!("{name} is saved as a draft."));
                return Ok(with_session(see_other(&format!("/officer/schemes/{id}")), data));
            }
            _ => {
                errors = api_errors(&user_errors, &sent);
                fix_rule_rows(&mut errors, &criteria::rows(&form));
            }
        }
    }
    render_refused(&form_page(user, c, existing, form, errors))
}

pub(super) async fn create(State(s): State<AppState>, user: OfficerUser, CsrfForm(form): CsrfForm) -> PageResult {
    let c = council(&s, &user, "zones { id name }").await?;
    save(&s, &user, None, &c, form).await
}

pub(super) async fn edit(
    State(s): State<AppState>,
    user: OfficerUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let (c, sc) = scheme(&s, &user, &id).await?;
    if sc.status != "DRAFT" {
        return Ok(see_other(&format!("/officer/schemes/{id}")));
    }
    save(&s, &user, Some(&sc), &c, form).await
}

// ---------------------------------------------------------------- the scheme

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_refusals_land_at_the_row_they_came_from() {
        let e = |field: &[&str], message: &str| UserError {
            field: Some(field.iter().map(|s| s.to_string()).collect()),
            code: "INVALID_RULE".into(),
            message: message.into(),
        };
        let errors = api_errors(
            &[
                e(&["input", "criteria", "1", "rule"], "bad rule"),
                e(&["input", "subsidy", "percentBasisPoints"], "bad share"),
                e(&["input", "budgetPence"], "bad budget"),
            ],
            &[0, 3],
        );
        assert_eq!(errors.get("c3-value"), Some("bad rule"));
        assert_eq!(errors.get("percent"), Some("bad share"));
        assert_eq!(errors.get("budget"), Some("bad budget"));
    }
}
