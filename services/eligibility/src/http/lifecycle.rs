//! A scheme's life: test cases on drafts, publish (running every test
//! case), revise (a new DRAFT version), pause and close.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::post,
    Json, Router,
};
use chrono::{Duration, Utc};
use datalogic_rs::{bumpalo::Bump, Engine};
use roundabout_api::states::SchemeStatus;
use roundabout_api::{ErrorCode, Pence};
use roundabout_support::{
    error::{violated_constraint, ValidJson},
    internal_auth::Caller,
    text, ApiError, ApiResult,
};
use uuid::Uuid;

use crate::{
    db::schemes::{self, SchemeRow},
    domain::{evaluate, facts::Facts, rules, scheme::SchemeContent},
    http::schemes::{for_officer, out, SchemeOut},
    AppState,
};
use roundabout_api::{eligibility::TestCaseIn, routes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::SCHEME_TEST_CASES, post(add_test_case))
        .route(routes::eligibility::SCHEME_PUBLISH, post(publish))
        .route(routes::eligibility::SCHEME_REVISE, post(revise))
        .route(routes::eligibility::SCHEME_PAUSE, post(pause))
        .route(routes::eligibility::SCHEME_CLOSE, post(close))
}

fn invalid_state(message: impl Into<String>) -> ApiError {
    ApiError::conflict(ErrorCode::InvalidState, message)
}

/// Compiles a stored scheme's criteria (they were checked when saved).
pub fn compiled(engine: &Engine, r: &SchemeRow) -> ApiResult<Vec<evaluate::Compiled>> {
    evaluate::compile(engine, &r.criteria.0).map_err(|(i, e)| {
        ApiError::unprocessable(
            ErrorCode::InvalidRule,
            format!("Criterion {:?}: {e}", r.criteria.0[i].id),
        )
    })
}

/// Whether facts meet every criterion (all evaluated), and the first miss.
fn run(engine: &Engine, criteria: &[evaluate::Compiled], facts: &Facts) -> (bool, Option<String>) {
    let data = facts.to_json();
    let mut arena = Bump::new();
    let mut first_miss = None;
    let mut eligible = true;
    for c in criteria {
        let r = c.explain(engine, facts, &data, &mut arena);
        if !r.passed {
            eligible = false;
            first_miss.get_or_insert(r.explanation);
        }
    }
    (eligible, first_miss)
}

/// `POST /internal/schemes/{id}/test-cases`: adds a test case to a DRAFT and
/// runs it once, so `last_result` shows at once.
async fn add_test_case(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<TestCaseIn>,
) -> ApiResult<(StatusCode, Json<SchemeOut>)> {
    let row = for_officer(&s.pool, &caller, id).await?;
    if row.status != SchemeStatus::Draft {
        return Err(invalid_state(
            "Test cases are added to a DRAFT; revise the scheme first",
        ));
    }
    let name = text::single_line("name", "The test case name", &body.name, 200)?;
    let name = name.as_str();
    let facts_value = rules::from_input(&body.facts)
        .and_then(|v| {
            if rules::value_depth(&v, 4) > 4 {
                Err("the facts are nested too deep".into())
            } else {
                Ok(v)
            }
        })
        .map_err(|e| ApiError::invalid("facts", format!("The facts are not usable: {e}")))?;
    let facts =
        Facts::parse(&facts_value).map_err(|e| ApiError::invalid("facts", format!("The facts are not usable: {e}")))?;
    let criteria = compiled(&s.engine, &row)?;
    let (result, _) = run(&s.engine, &criteria, &facts);
    match schemes::insert_test_case(&s.pool, id, name, &facts_value, body.expect_eligible, Some(result)).await {
        Ok(()) => {}
        Err(e) if violated_constraint(&e) == Some("scheme_test_cases_name_key") => {
            return Err(ApiError::invalid(
                "name",
                format!("The scheme already has a test case {name:?}"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let row = for_officer(&s.pool, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(out(&s.pool, &caller, row).await?)))
}

/// `POST /internal/schemes/{id}/publish`: a DRAFT becomes ACTIVE from its
/// `effective_from` (default now), superseding the version before it from
/// then; a PAUSED version resumes. Refused without criteria or budget, or
/// when a test case fails; nothing changes then.
async fn publish(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<SchemeOut>> {
    let row = for_officer(&s.pool, &caller, id).await?;
    let mut tx = s.pool.begin().await?;
    schemes::lock_line(&mut *tx, row.line_id).await?;
    let row = schemes::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such scheme"))?;
    if !matches!(row.status, SchemeStatus::Draft | SchemeStatus::Paused) {
        return Err(invalid_state(format!("A {} scheme cannot be published", row.status)));
    }
    if row.criteria.0.is_empty() {
        return Err(
            invalid_state("A scheme needs at least one criterion before it is published").with_field(["criteria"]),
        );
    }
    if row.budget_pence <= Pence::ZERO {
        return Err(invalid_state("A scheme needs a budget before it is published").with_field(["budgetPence"]));
    }
    let criteria = compiled(&s.engine, &row)?;
    let cases = schemes::test_cases(&mut *tx, id).await?;
    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        let facts = Facts::parse(&case.facts).map_err(|e| ApiError::invalid("facts", e))?;
        let (eligible, why) = run(&s.engine, &criteria, &facts);
        if eligible != case.expect_eligible {
            let detail = match (case.expect_eligible, why) {
                (true, Some(why)) => format!("expected eligible, but: {why}"),
                (true, None) => "expected eligible, but was not".to_string(),
                (false, _) => "expected not eligible, but every criterion was met".to_string(),
            };
            return Err(ApiError::unprocessable(
                ErrorCode::TestCaseFailed,
                format!("Test case {:?} failed: {detail}", case.name),
            )
            .with_field(["testCases", &case.name]));
        }
        results.push((case.id, eligible));
    }
    if row.status == SchemeStatus::Paused {
        schemes::set_status(&mut *tx, id, SchemeStatus::Active, row.effective_from, row.effective_to).await?;
    } else {
        let now = Utc::now();
        let from = row.effective_from.unwrap_or(now);
        if from < now - Duration::minutes(1) {
            return Err(ApiError::invalid(
                "effectiveFrom",
                "effectiveFrom is in the past; leave it empty to start now",
            ));
        }
        // The version in effect up to now ends where this one starts.
        for prev in schemes::published_of_line(&mut *tx, row.line_id).await? {
            let open = prev.effective_to.is_none_or(|t| t > from);
            if !open {
                continue;
            }
            let prev_from = prev.effective_from.unwrap_or(from);
            if prev_from >= from {
                return Err(ApiError::invalid(
                    "effectiveFrom",
                    format!("This version must start after version {} starts", prev.version),
                ));
            }
            schemes::set_status(&mut *tx, prev.id, prev.status, prev.effective_from, Some(from)).await?;
        }
        match schemes::set_status(&mut *tx, id, SchemeStatus::Active, Some(from), row.effective_to).await {
            Ok(()) => {}
            Err(e) if violated_constraint(&e) == Some("schemes_no_overlapping_versions") => {
                return Err(invalid_state(
                    "Another published version of this scheme covers the same period",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        schemes::set_line_budget(&mut *tx, row.line_id, row.budget_pence).await?;
    }
    for (case_id, result) in results {
        schemes::set_test_result(&mut *tx, case_id, result).await?;
    }
    tx.commit().await?;
    tracing::info!(scheme = %id, version = row.version, "scheme published");
    let row = for_officer(&s.pool, &caller, id).await?;
    Ok(Json(out(&s.pool, &caller, row).await?))
}

/// `POST /internal/schemes/{id}/revise`: version n+1 of the latest ACTIVE or
/// PAUSED version, as a DRAFT with its content and test cases.
async fn revise(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<SchemeOut>)> {
    let row = for_officer(&s.pool, &caller, id).await?;
    let mut tx = s.pool.begin().await?;
    schemes::lock_line(&mut *tx, row.line_id).await?;
    let row = schemes::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such scheme"))?;
    if !matches!(row.status, SchemeStatus::Active | SchemeStatus::Paused) {
        return Err(invalid_state("Only an ACTIVE or PAUSED scheme can be revised"));
    }
    let latest = schemes::latest_version(&mut *tx, row.line_id).await?;
    if latest != row.version {
        return Err(invalid_state(format!(
            "Version {latest} of this scheme already exists; revise that one"
        )));
    }
    let content = SchemeContent {
        council_id: row.council_id,
        name: row.name.clone(),
        description: row.description.clone(),
        zone_ids: row.zone_ids.clone(),
        criteria: row.criteria.0.clone(),
        percent_basis_points: row.percent_basis_points,
        cap_per_booking_pence: row.cap_per_booking_pence,
        applies_to: row.applies_to.clone(),
        budget_pence: row.budget_pence,
        effective_from: None,
        effective_to: None,
    };
    let new_id = Uuid::new_v4();
    schemes::insert_version(&mut *tx, new_id, row.line_id, row.version + 1, &content).await?;
    for case in schemes::test_cases(&mut *tx, id).await? {
        schemes::insert_test_case(&mut *tx, new_id, &case.name, &case.facts, case.expect_eligible, None).await?;
    }
    tx.commit().await?;
    let row = for_officer(&s.pool, &caller, new_id).await?;
    Ok((StatusCode::CREATED, Json(out(&s.pool, &caller, row).await?)))
}

/// `POST /internal/schemes/{id}/pause`: an ACTIVE version stops applying
/// until it is published again.
async fn pause(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<SchemeOut>> {
    let row = for_officer(&s.pool, &caller, id).await?;
    if row.status != SchemeStatus::Active {
        return Err(invalid_state(format!("A {} scheme cannot be paused", row.status)));
    }
    schemes::set_status(&s.pool, id, SchemeStatus::Paused, row.effective_from, row.effective_to).await?;
    let row = for_officer(&s.pool, &caller, id).await?;
    Ok(Json(out(&s.pool, &caller, row).await?))
}

/// `POST /internal/schemes/{id}/close`: the version ends now for good (a
/// DRAFT is abandoned). Commitments already made stay committed.
async fn close(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<SchemeOut>> {
    let row = for_officer(&s.pool, &caller, id).await?;
    if row.status == SchemeStatus::Closed {
        return Err(invalid_state("The scheme is already closed"));
    }
    let now = Utc::now();
    let from = row.effective_from.unwrap_or(now);
    let to = row.effective_to.map_or(now, |t| t.min(now)).max(from);
    schemes::set_status(&s.pool, id, SchemeStatus::Closed, Some(from), Some(to)).await?;
    let row = for_officer(&s.pool, &caller, id).await?;
    Ok(Json(out(&s.pool, &caller, row).await?))
}
