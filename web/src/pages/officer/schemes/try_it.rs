//! Trying a scheme on the council's households (`simulateScheme`): as it
//! is, or with another income limit, share or cap typed on the page — a
//! what-if that needs no draft and stores nothing. Every count goes through
//! the one small-number rule (`charts::count`), as on the reports page.

use super::*;
use crate::charts;

/// The fact an income limit compares.
const INCOME_FACT: &str = "household.annualIncomePence";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Simulation {
    households_evaluated: i64,
    eligible_households: i64,
    estimated_subsidy_pence: i64,
    failures_by_criterion: Vec<Failure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Failure {
    criterion_id: String,
    count: i64,
}

/// What the officer changed for the run; none: the scheme as it is.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Overrides {
    pub income_limit_pence: Option<i64>,
    pub percent_basis_points: Option<i64>,
    pub cap_per_booking_pence: Option<i64>,
}

impl Overrides {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn variables(&self) -> Value {
        json!({
            "incomeLimitPence": self.income_limit_pence,
            "percentBasisPoints": self.percent_basis_points,
            "capPerBookingPence": self.cap_per_booking_pence,
        })
    }
}

/// The scheme's income limit: the number of its first `<` or `<=`
/// comparison of the household's income, anywhere in its criteria.
pub fn income_limit(s: &Scheme) -> Option<i64> {
    s.criteria.iter().find_map(|c| income_in(&c.rule))
}

/// The number of a rule's first income comparison.
fn income_in(v: &Value) -> Option<i64> {
    match v {
        Value::Array(items) => items.iter().find_map(income_in),
        Value::Object(map) => map.iter().find_map(|(op, args)| {
            let a = args.as_array();
            match (op.as_str(), a) {
                ("<" | "<=", Some(a)) if a.len() == 2 && a[0] == json!({"var": INCOME_FACT}) => a[1].as_i64(),
                _ => income_in(args),
            }
        }),
        _ => None,
    }
}

/// The form's values as overrides: each field left empty, or equal to
/// the scheme's own value, changes nothing.
pub fn overrides(form: &FormData, s: &Scheme, errors: &mut Errors) -> Overrides {
    let income = match form.get("income").trim() {
        "" => None,
        v => match criteria::parse_pence(v).filter(|p| *p <= 1_000_000_000) {
            Some(p) => Some(p),
            None => {
                errors.add("income", "The income limit must be an amount in pounds, like 25,000");
                None
            }
        },
    };
    let percent = match form.get("percent").trim().trim_end_matches('%').trim() {
        "" => None,
        v => match criteria::parse_pence(v).filter(|bp| *bp <= 10_000) {
            Some(bp) => Some(bp),
            None => {
                errors.add("percent", "The share must be a number from 0 to 100, like 40");
                None
            }
        },
    };
    let cap = match form.get("cap").trim() {
        "" => None,
        v => match criteria::parse_pence(v).filter(|p| *p <= 100_000_000) {
            Some(p) => Some(p),
            None => {
                errors.add("cap", "The most per booking must be an amount in pounds, like 50");
                None
            }
        },
    };
    Overrides {
        income_limit_pence: income.filter(|l| Some(*l) != income_limit(s)),
        percent_basis_points: percent.filter(|bp| *bp != s.subsidy.percent_basis_points),
        cap_per_booking_pence: cap.filter(|c| Some(*c) != s.subsidy.cap_per_booking_pence),
    }
}

/// The form as the scheme is: what the officer starts from.
fn form_of(s: &Scheme) -> FormData {
    let mut f = FormData::default();
    if let Some(l) = income_limit(s) {
        f.set("income", pence_typed(l));
    }
    f.set("percent", pence_typed(s.subsidy.percent_basis_points));
    if let Some(cap) = s.subsidy.cap_per_booking_pence {
        f.set("cap", pence_typed(cap));
    }
    f
}

/// One run's figures as the page shows them.
pub struct Outcome {
    pub evaluated: String,
    pub eligible: String,
    pub estimate_pence: i64,
    /// (what the criterion asks, households not meeting it)
    pub failures: Vec<(String, String)>,
}

fn outcome(sim: &Simulation, s: &Scheme, o: &Overrides) -> Outcome {
    let count = |id: &str| {
        let n = sim
            .failures_by_criterion
            .iter()
            .find(|f| f.criterion_id == id)
            .map_or(0, |f| f.count);
        charts::count(Some(n))
    };
    let income_words = o
        .income_limit_pence
        .map(|l| format!("Household income under {}", pounds(l)));
    let mut failures: Vec<(String, String)> = s
        .criteria
        .iter()
        .map(|c| {
            let label = match (&income_words, income_in(&c.rule)) {
                (Some(w), Some(_)) => format!("{} (tried: {w})", c.label),
                _ => c.label.clone(),
            };
            (label, count(&c.id))
        })
        .collect();
    if let Some(w) = &income_words {
        if income_limit(s).is_none() {
            failures.push((format!("{w} (tried)"), count("income-limit")));
        }
    }
    if !s.zones.is_empty() {
        failures.push(("Lives in one of the scheme’s zones".into(), count("zone")));
    }
    Outcome {
        evaluated: charts::count(Some(sim.households_evaluated)),
        eligible: charts::count(Some(sim.eligible_households)),
        estimate_pence: sim.estimated_subsidy_pence,
        failures,
    }
}

#[derive(Template)]
#[template(path = "officer/scheme_try.html")]
struct TryPage {
    l: Layout,
    s: Scheme,
    form: FormData,
    errors: Errors,
    /// The scheme as it is.
    now: Option<Outcome>,
    /// With the officer's changes, and those changes in words.
    tried: Option<(Outcome, Vec<String>)>,
}

async fn simulate(s: &AppState, user: &SignedIn, id: &str, o: &Overrides) -> Result<Simulation, PageError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        simulate_scheme: Simulation,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "query($id: ID!, $o: SimulationOverridesInput) { simulateScheme(schemeId: $id, overrides: $o) { \
             householdsEvaluated eligibleHouseholds estimatedSubsidyPence failuresByCriterion { criterionId count } } }",
            json!({"id": id, "o": if o.is_empty() { Value::Null } else { o.variables() }}),
        )
        .await?;
    Ok(d.simulate_scheme)
}

/// The changes in words, for the heading of their results.
fn changes(o: &Overrides) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(l) = o.income_limit_pence {
        out.push(format!("income limit {}", pounds(l)));
    }
    if let Some(bp) = o.percent_basis_points {
        out.push(format!("pays {}", percent(bp)));
    }
    if let Some(c) = o.cap_per_booking_pence {
        out.push(format!("at most {} a booking", pounds(c)));
    }
    out
}

pub(super) async fn try_it(
    State(s): State<AppState>,
    user: OfficerUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> PageResult {
    let (_, sc) = scheme(&s, &user, &id).await?;
    let typed = FormData(q);
    let sent = ["income", "percent", "cap"]
        .iter()
        .any(|k| typed.0.iter().any(|(n, _)| n == k));
    let mut errors = Errors::default();
    let o = if sent {
        overrides(&typed, &sc, &mut errors)
    } else {
        Overrides::default()
    };
    let title = format!("Try {}", sc.name);
    if !errors.is_empty() {
        return render_refused(&TryPage {
            l: Layout::new(&user.session, title, "/officer/schemes").with_errors(&errors),
            form: typed,
            errors,
            now: None,
            tried: None,
            s: sc,
        });
    }
    let now = simulate(&s, &user, &sc.id, &Overrides::default()).await?;
    let tried = if o.is_empty() {
        None
    } else {
        let sim = simulate(&s, &user, &sc.id, &o).await?;
        Some((outcome(&sim, &sc, &o), changes(&o)))
    };
    render(&TryPage {
        l: Layout::new(&user.session, title, "/officer/schemes"),
        form: if sent { typed } else { form_of(&sc) },
        errors,
        now: Some(outcome(&now, &sc, &Overrides::default())),
        tried,
        s: sc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(rule: Value, cap: Option<i64>) -> Scheme {
        serde_json::from_value(json!({
            "id": "s", "name": "EV help", "description": "", "status": "DRAFT", "version": 1,
            "effectiveFrom": null, "effectiveTo": null, "zones": [],
            "criteria": [{"id": "income", "label": "Income under £25,000", "rule": rule, "failText": "No"}],
            "subsidy": {"percentBasisPoints": 4000, "capPerBookingPence": cap}, "appliesTo": ["HIRE"],
            "budgetPence": 100, "committedPence": 0, "remainingPence": 100, "testCases": []
        }))
        .unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_income_limit_is_found_in_the_criteria() {
        let s = scheme(json!({"and": [{"<": [{"var": INCOME_FACT}, 2_500_000]}]}), None);
        assert_eq!(income_limit(&s), Some(2_500_000));
        let s = scheme(json!({"==": [{"var": "household.carsOwned"}, 0]}), None);
        assert_eq!(income_limit(&s), None);
    }

    #[test]
    fn only_what_differs_from_the_scheme_is_overridden() {
        let s = scheme(json!({"<": [{"var": INCOME_FACT}, 2_500_000]}), Some(12_000));
        let mut e = Errors::default();
        let o = overrides(
            &form(&[("income", "25,000"), ("percent", "50"), ("cap", "120")]),
            &s,
            &mut e,
        );
        assert!(e.is_empty());
        assert_eq!(
            o,
            Overrides {
                percent_basis_points: Some(5_000),
                ..Overrides::default()
            }
        );
        let o = overrides(
            &form(&[("income", "£18,000.50"), ("percent", "40%"), ("cap", "")]),
            &s,
            &mut e,
        );
        assert_eq!(o.income_limit_pence, Some(1_800_050));
        assert_eq!(o.percent_basis_points, None);
        assert_eq!(o.cap_per_booking_pence, None);
    }

    #[test]
    fn bad_numbers_are_refused_at_their_fields() {
        let s = scheme(json!({"<": [{"var": INCOME_FACT}, 2_500_000]}), None);
        let mut e = Errors::default();
        overrides(
            &form(&[("income", "lots"), ("percent", "120"), ("cap", "-5")]),
            &s,
            &mut e,
        );
        assert_eq!(
            e.get("income"),
            Some("The income limit must be an amount in pounds, like 25,000")
        );
        assert_eq!(
            e.get("percent"),
            Some("The share must be a number from 0 to 100, like 40")
        );
        assert_eq!(
            e.get("cap"),
            Some("The most per booking must be an amount in pounds, like 50")
        );
    }
}
