//! A scheme's editable content: parsed and checked before it is saved.

use chrono::{DateTime, Utc};
use roundabout_api::states::BookingKind;
use roundabout_api::{ErrorCode, Pence};
use roundabout_support::{text as checked_text, ApiError};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{evaluate::Criterion, rules};

/// Most criteria a scheme may have.
pub const MAX_CRITERIA: usize = 20;
/// Largest budget, in pence (£1bn).
pub const MAX_BUDGET_PENCE: i64 = 100_000_000_000;
/// Largest cap per booking or lease-month, in pence (£1m).
pub const MAX_CAP_PENCE: i64 = 100_000_000;

pub use roundabout_api::eligibility::{CriterionIn, SchemeIn, SubsidyIn};

/// Checked scheme content, ready to store.
#[derive(Debug, Clone)]
pub struct SchemeContent {
    pub council_id: Uuid,
    pub name: String,
    pub description: String,
    pub zone_ids: Vec<Uuid>,
    pub criteria: Vec<Criterion>,
    pub percent_basis_points: i32,
    pub cap_per_booking_pence: Option<Pence>,
    pub applies_to: Vec<BookingKind>,
    pub budget_pence: Pence,
    pub effective_from: Option<DateTime<Utc>>,
    pub effective_to: Option<DateTime<Utc>>,
}

fn bad(path: &[&str], message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(ErrorCode::InvalidInput, message).with_field(path.iter().copied())
}

/// One line of text at `path`: trimmed, 1 to `max` characters, no control characters.
fn text(raw: &str, path: &[&str], what: &str, max: usize) -> Result<String, ApiError> {
    checked_text::single_line(path.last().copied().unwrap_or(""), what, raw, max)
        .map_err(|e| e.with_field(path.iter().copied()))
}

/// A criterion id: 1 to 40 letters, digits, `-` or `_`.
fn criterion_id(raw: &str, i: usize) -> Result<String, ApiError> {
    let id = raw.trim();
    let ok = !id.is_empty() && id.len() <= 40 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        let idx = i.to_string();
        return Err(bad(
            &["criteria", &idx, "id"],
            "A criterion id must be 1 to 40 letters, digits, - or _",
        ));
    }
    Ok(id.to_string())
}

/// Checks a criterion's rule; refusals are `INVALID_RULE` naming it.
pub fn check_rule(id: &str, i: usize, raw: &Value) -> Result<Value, ApiError> {
    let invalid = |e: String| {
        ApiError::unprocessable(ErrorCode::InvalidRule, format!("Criterion {id:?}: {e}")).with_field([
            "criteria".to_string(),
            i.to_string(),
            "rule".to_string(),
        ])
    };
    let rule = rules::from_input(raw).map_err(invalid)?;
    rules::check(&rule).map_err(invalid)?;
    Ok(rule)
}

/// Checks everything but the zones' council (which needs the database).
pub fn parse_scheme(input: SchemeIn) -> Result<SchemeContent, ApiError> {
    let name = text(&input.name, &["name"], "The scheme name", 200)?;
    let description = checked_text::multi_line(
        "description",
        "The description",
        &input.description.unwrap_or_default(),
        5000,
    )?;
    if input.criteria.len() > MAX_CRITERIA {
        return Err(bad(
            &["criteria"],
            format!("A scheme has at most {MAX_CRITERIA} criteria"),
        ));
    }
    let mut criteria: Vec<Criterion> = Vec::with_capacity(input.criteria.len());
    for (i, c) in input.criteria.into_iter().enumerate() {
        let idx = i.to_string();
        let id = criterion_id(&c.id, i)?;
        if criteria.iter().any(|o| o.id == id) {
            return Err(bad(
                &["criteria", &idx, "id"],
                format!("Two criteria have the id {id:?}"),
            ));
        }
        let label = text(&c.label, &["criteria", &idx, "label"], "A criterion's label", 200)?;
        let fail_text = text(
            &c.fail_text,
            &["criteria", &idx, "failText"],
            "A criterion's fail text",
            500,
        )?;
        let rule = check_rule(&id, i, &c.rule)?;
        criteria.push(Criterion {
            id,
            label,
            rule,
            fail_text,
        });
    }
    let Some(bp) = i32::try_from(input.subsidy.percent_basis_points)
        .ok()
        .filter(|b| (0..=10_000).contains(b))
    else {
        return Err(bad(
            &["subsidy", "percentBasisPoints"],
            "percentBasisPoints must be from 0 to 10000 (0% to 100%)",
        ));
    };
    if let Some(Pence(cap)) = input.subsidy.cap_per_booking_pence {
        if !(0..=MAX_CAP_PENCE).contains(&cap) {
            return Err(bad(
                &["subsidy", "capPerBookingPence"],
                format!("The cap must be from 0 to {MAX_CAP_PENCE} pence"),
            ));
        }
    }
    if !(0..=MAX_BUDGET_PENCE).contains(&input.budget_pence.0) {
        return Err(bad(
            &["budgetPence"],
            format!("The budget must be from 0 to {MAX_BUDGET_PENCE} pence"),
        ));
    }
    let mut applies_to = Vec::new();
    for k in &input.applies_to {
        let kind: BookingKind = k
            .parse()
            .map_err(|_| bad(&["appliesTo"], format!("Unknown booking kind {k:?}")))?;
        if !applies_to.contains(&kind) {
            applies_to.push(kind);
        }
    }
    if applies_to.is_empty() {
        return Err(bad(&["appliesTo"], "A scheme applies to HIRE, LEASE or both"));
    }
    if let (Some(from), Some(to)) = (input.effective_from, input.effective_to) {
        if to <= from {
            return Err(bad(&["effectiveTo"], "effectiveTo must be after effectiveFrom"));
        }
    }
    let mut zone_ids = input.zone_ids.unwrap_or_default();
    zone_ids.sort();
    zone_ids.dedup();
    if zone_ids.len() > 100 {
        return Err(bad(&["zoneIds"], "A scheme has at most 100 zones"));
    }
    Ok(SchemeContent {
        council_id: input.council_id,
        name,
        description,
        zone_ids,
        criteria,
        percent_basis_points: bp,
        cap_per_booking_pence: input.subsidy.cap_per_booking_pence,
        applies_to,
        budget_pence: input.budget_pence,
        effective_from: input.effective_from,
        effective_to: input.effective_to,
    })
}

/// The subsidy for a base price (docs/RULES.md), shared with bookings' offers.
pub use roundabout_support::subsidy::amount as subsidy_amount;
