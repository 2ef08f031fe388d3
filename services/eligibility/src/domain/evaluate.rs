//! Evaluating a scheme's criteria for one household's facts, each on its own
//! (no short-circuit), with a plain-language explanation of each result.

use datalogic_rs::{bumpalo::Bump, DataValue, Engine, Logic};
use serde_json::Value;

use crate::domain::{
    facts::{self, Fact, Facts, Unit},
    rules, wording,
};

/// A criterion as stored with a scheme (in its `criteria` JSON) and as the
/// API shows it: the contract's type.
pub use roundabout_api::eligibility::CriterionData as Criterion;

/// A criterion ready to evaluate.
pub struct Compiled {
    pub criterion: Criterion,
    logic: Logic,
    facts: Vec<&'static Fact>,
    limit: Option<f64>,
}

/// How a criterion came out for a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// A fact the rule reads is not known; counts as not met.
    Unknown(&'static Fact),
}

/// One criterion's result with its explanation (the contract's, also how
/// a decision's reasons are stored).
pub use roundabout_api::eligibility::CriterionResultData as CriterionResult;

/// Checks and compiles every criterion; the error names the criterion.
pub fn compile(engine: &Engine, criteria: &[Criterion]) -> Result<Vec<Compiled>, (usize, String)> {
    criteria
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let checked = rules::check(&c.rule).map_err(|e| (i, e))?;
            let logic = engine
                .compile(&c.rule)
                .map_err(|e| (i, format!("the rule cannot be compiled: {e}")))?;
            Ok(Compiled {
                criterion: c.clone(),
                logic,
                facts: checked.facts,
                limit: checked.limit,
            })
        })
        .collect()
}

impl Compiled {
    /// A fact the rule reads that the household has not given.
    pub fn unknown_fact(&self, facts: &Facts) -> Option<&'static Fact> {
        self.facts.iter().copied().find(|f| facts.value(f.path).is_null())
    }

    /// Evaluates the rule against facts already in `arena` (the fast path
    /// for simulations: one conversion per household, not per criterion).
    pub fn passes<'a>(&'a self, engine: &Engine, data: &'a DataValue<'a>, arena: &'a Bump) -> bool {
        match engine.evaluate(&self.logic, data, arena) {
            Ok(v) => engine.truthy(v),
            Err(_) => false,
        }
    }

    /// Evaluates the rule against facts (`data` is `facts.to_json()`).
    pub fn outcome(&self, engine: &Engine, facts: &Facts, data: &Value, arena: &mut Bump) -> Outcome {
        if let Some(f) = self.unknown_fact(facts) {
            return Outcome::Unknown(f);
        }
        arena.reset();
        let passed = match engine.evaluate(&self.logic, data, arena) {
            Ok(v) => engine.truthy(v),
            // A runtime error (e.g. division by zero) does not meet the criterion.
            Err(_) => false,
        };
        if passed {
            Outcome::Passed
        } else {
            Outcome::Failed
        }
    }

    /// The outcome with its explanation in plain sentences.
    ///
    /// Met: what the rule asks as a sentence about the household when it is
    /// simple enough ("Your household's income is under £25,000."), with
    /// what the household told us for an amount or an age; otherwise "You
    /// meet this condition." and what it told us. Not met: the officer's
    /// fail text with `{value}`, `{limit}` and `{household.…}` filled in
    /// (values in words with their units, an income as the band the
    /// household chose); a text without placeholders is followed by what
    /// the household told us. Unknown: which fact is missing.
    pub fn explain(&self, engine: &Engine, facts: &Facts, data: &Value, arena: &mut Bump) -> CriterionResult {
        let outcome = self.outcome(engine, facts, data, arena);
        let c = &self.criterion;
        let explanation = match outcome {
            Outcome::Passed => self.met_text(facts),
            Outcome::Failed => self.fail_text(facts),
            Outcome::Unknown(f) => wording::unknown(f),
        };
        CriterionResult {
            criterion_id: c.id.clone(),
            label: c.label.clone(),
            passed: outcome == Outcome::Passed,
            explanation,
        }
    }

    /// "You told us …" for every fact the rule reads.
    fn told(&self, facts: &Facts, only: impl Fn(&Fact) -> bool) -> Vec<String> {
        self.facts
            .iter()
            .filter(|f| only(f))
            .map(|f| wording::told(f, facts))
            .collect()
    }

    fn met_text(&self, facts: &Facts) -> String {
        let mut parts = Vec::new();
        match wording::met(&self.criterion.rule) {
            Some(sentence) => {
                parts.push(sentence);
                parts.extend(self.told(facts, |f| matches!(f.unit, Unit::Pence | Unit::Years)));
            }
            None => {
                parts.push("You meet this condition.".to_string());
                parts.extend(self.told(facts, |_| true));
            }
        }
        parts.join(" ")
    }

    /// The officer's fail text with `{value}`, `{limit}` and `{household.…}`
    /// filled in from the household's facts; without placeholders, what
    /// the household told us is added after it.
    fn fail_text(&self, facts: &Facts) -> String {
        let text = self.criterion.fail_text.trim();
        if text.is_empty() {
            let mut parts = vec!["You do not meet this condition.".to_string()];
            parts.extend(self.told(facts, |_| true));
            return parts.join(" ");
        }
        let mut out = text.to_string();
        let first = self.facts.first();
        if let Some(f) = first {
            out = out.replace("{value}", &wording::value(f, facts));
        }
        if let Some(limit) = self.limit {
            let shown = match first.map(|f| f.unit) {
                Some(Unit::Pence) if limit.fract() == 0.0 => facts::pounds(roundabout_api::Pence(limit as i64)),
                _ if limit.fract() == 0.0 => format!("{}", limit as i64),
                _ => limit.to_string(),
            };
            out = out.replace("{limit}", &shown);
        }
        for f in facts::CATALOGUE {
            let key = format!("{{{}}}", f.path);
            if out.contains(&key) {
                out = out.replace(&key, &wording::value(f, facts));
            }
        }
        if out == text {
            let sep = if out.ends_with(['.', '!', '?']) { "" } else { "." };
            let mut parts = vec![format!("{out}{sep}")];
            parts.extend(self.told(facts, |_| true));
            out = parts.join(" ");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facts::IncomeBand;
    use serde_json::json;

    fn income_rule(fail_text: &str) -> Vec<Compiled> {
        compile(
            &Engine::new(),
            &[Criterion {
                id: "income".into(),
                label: "Household income under £25,000".into(),
                rule: json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]}),
                fail_text: fail_text.into(),
            }],
        )
        .map_err(|(_, e)| e)
        .unwrap()
    }

    fn facts(income: Option<i64>) -> Facts {
        Facts {
            annual_income_pence: income.map(roundabout_api::Pence),
            ..Facts::default()
        }
    }

    #[test]
    fn a_failed_criterion_explains_itself_with_the_actual_values() {
        let engine = Engine::new();
        let c = &income_rule(
            "This scheme is for households with an income under {limit}. You told us your household's income is {value}.",
        )[0];
        let f = facts(Some(3_100_000));
        let r = c.explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert!(!r.passed);
        assert_eq!(
            r.explanation,
            "This scheme is for households with an income under £25,000. You told us your household's income is £31,000."
        );
        // Given as a band, the band is shown, never the figure inside it.
        let f = Facts {
            income_band: Some(IncomeBand {
                from_pence: Some(roundabout_api::Pence(2_500_000)),
                below_pence: Some(roundabout_api::Pence(3_500_000)),
            }),
            ..facts(Some(3_499_900))
        };
        let r = c.explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert_eq!(
            r.explanation,
            "This scheme is for households with an income under £25,000. You told us your household's income is £25,000 to £34,999."
        );
    }

    #[test]
    fn values_are_added_to_a_fail_text_without_placeholders() {
        let engine = Engine::new();
        let c = &income_rule("Household income must be under £25,000");
        let f = facts(Some(3_100_000));
        let r = c[0].explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert_eq!(
            r.explanation,
            "Household income must be under £25,000. You told us your household's income is £31,000."
        );
    }

    #[test]
    fn counts_have_their_nouns() {
        let engine = Engine::new();
        let c = compile(
            &engine,
            &[Criterion {
                id: "no-car".into(),
                label: "No car in the household".into(),
                rule: json!({"==": [{"var": "household.carsOwned"}, 0]}),
                fail_text: "This scheme is for households without a car. You told us your household owns {value}."
                    .into(),
            }],
        )
        .map_err(|(_, e)| e)
        .unwrap();
        let f = Facts {
            cars_owned: Some(1),
            ..Facts::default()
        };
        let r = c[0].explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert_eq!(
            r.explanation,
            "This scheme is for households without a car. You told us your household owns 1 car."
        );
        let f = Facts {
            cars_owned: Some(0),
            ..Facts::default()
        };
        let r = c[0].explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert_eq!(r.explanation, "Your household does not own a car.");
    }

    #[test]
    fn passed_and_unknown_are_explained() {
        let engine = Engine::new();
        let c = &income_rule("x")[0];
        let f = facts(Some(1_800_000));
        let r = c.explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert!(r.passed);
        assert_eq!(
            r.explanation,
            "Your household's income is under £25,000. You told us your household's income is £18,000."
        );
        let f = Facts {
            income_band: Some(IncomeBand {
                from_pence: Some(roundabout_api::Pence(1_500_000)),
                below_pence: Some(roundabout_api::Pence(2_500_000)),
            }),
            ..facts(Some(1_800_000))
        };
        let r = c.explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert_eq!(
            r.explanation,
            "Your household's income is under £25,000. You told us your household's income is £15,000 to £24,999."
        );
        let f = facts(None);
        let r = c.explain(&engine, &f, &f.to_json(), &mut Bump::new());
        assert!(!r.passed);
        assert_eq!(r.explanation, "We need to know your household's income to check this.");
    }

    #[test]
    fn dotted_vars_and_lists_evaluate() {
        let engine = Engine::new();
        let crit = |rule: Value| Criterion {
            id: "c".into(),
            label: "c".into(),
            rule,
            fail_text: "no".into(),
        };
        let compiled = compile(
            &engine,
            &[
                crit(json!({">=": [{"var": "household.needs.seats"}, 4]})),
                crit(json!({"in": ["pip", {"var": "household.benefits"}]})),
            ],
        )
        .map_err(|(_, e)| e)
        .unwrap();
        let f = Facts::parse(&json!({"household": {"benefits": ["pip"], "needs": {"seats": 5}}})).unwrap();
        let data = f.to_json();
        let mut arena = Bump::new();
        for c in &compiled {
            assert_eq!(c.outcome(&engine, &f, &data, &mut arena), Outcome::Passed);
        }
    }
}
