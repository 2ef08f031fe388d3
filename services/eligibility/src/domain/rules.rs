//! Checking a criterion's JSON Logic rule before it is saved.
//!
//! A rule may use only [`OPERATORS`], read only facts of the catalogue, stay
//! within [`MAX_DEPTH`], [`MAX_NODES`] and [`MAX_BYTES`], compare values of
//! plausible types and be a true/false test. Depth is measured without
//! recursion *before* anything recursive (serde_json's parser, the type
//! check, the JSON Logic compiler) sees the rule, so a rule nested 10,000
//! deep is refused without touching the stack.

use serde_json::Value;

use crate::domain::facts::{self, Fact, FactType};

/// Deepest nesting of arrays and objects a rule may have.
pub const MAX_DEPTH: usize = 12;
/// Most values (operators, literals) in one rule.
pub const MAX_NODES: usize = 200;
/// Largest rule, as JSON text.
pub const MAX_BYTES: usize = 4096;

/// The JSON Logic operators a rule may use (all built into datalogic-rs).
pub const OPERATORS: &[&str] = &[
    "var", "==", "!=", "===", "!==", "<", "<=", ">", ">=", "!", "!!", "and", "or", "if", "in", "+", "-", "*", "/", "%",
    "min", "max",
];

/// A checked rule and the facts it reads.
#[derive(Debug, Clone)]
pub struct CheckedRule {
    pub rule: Value,
    /// Catalogue facts the rule reads, in order of first use.
    pub facts: Vec<&'static Fact>,
    /// The first number in the rule (a limit to quote in explanations).
    pub limit: Option<f64>,
}

/// Nesting depth of JSON text, counted without recursion (brackets inside
/// strings do not count). Stops counting past `cap`.
pub fn text_depth(text: &str, cap: usize) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
                if max > cap {
                    return max;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Nesting depth of a value, without recursion; stops past `cap` (the
/// same count GeoJSON is bounded by).
pub use roundabout_support::geojson::depth as value_depth;

/// A rule as given: a JSON value, or a string holding the rule's JSON text
/// (checked for depth before it is parsed).
pub fn from_input(raw: &Value) -> Result<Value, String> {
    match raw {
        Value::String(text) => {
            if text_depth(text, MAX_DEPTH) > MAX_DEPTH {
                return Err(format!("the rule is nested deeper than {MAX_DEPTH} levels"));
            }
            if text.len() > MAX_BYTES {
                return Err(format!("the rule is longer than {MAX_BYTES} bytes"));
            }
            serde_json::from_str(text).map_err(|e| format!("the rule is not valid JSON: {e}"))
        }
        other => Ok(other.clone()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Num,
    Bool,
    Str,
    StrList,
    Null,
    /// Not known until evaluated (e.g. the branches of `if` differ).
    Any,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::Bool => "true/false",
            Ty::Str => "text",
            Ty::StrList => "a list",
            Ty::Null => "null",
            Ty::Any => "a value",
        }
    }
}

/// Checks a rule; the error is a sentence for the officer.
pub fn check(rule: &Value) -> Result<CheckedRule, String> {
    if value_depth(rule, MAX_DEPTH) > MAX_DEPTH {
        return Err(format!("the rule is nested deeper than {MAX_DEPTH} levels"));
    }
    // The depth is bounded, so serialising and the checks below are safe.
    let size = serde_json::to_string(rule).map(|s| s.len()).unwrap_or(usize::MAX);
    if size > MAX_BYTES {
        return Err(format!("the rule is longer than {MAX_BYTES} bytes"));
    }
    let mut c = Checker {
        nodes: 0,
        facts: Vec::new(),
        limit: None,
    };
    match c.infer(rule)? {
        Ty::Bool | Ty::Any => {}
        other => {
            return Err(format!(
                "the rule must be a true/false test, but it gives {}",
                other.name()
            ))
        }
    }
    Ok(CheckedRule {
        rule: rule.clone(),
        facts: c.facts,
        limit: c.limit,
    })
}

struct Checker {
    nodes: usize,
    facts: Vec<&'static Fact>,
    limit: Option<f64>,
}

impl Checker {
    fn infer(&mut self, v: &Value) -> Result<Ty, String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(format!("the rule has more than {MAX_NODES} parts"));
        }
        Ok(match v {
            Value::Null => Ty::Null,
            Value::Bool(_) => Ty::Bool,
            Value::Number(n) => {
                if self.limit.is_none() {
                    self.limit = n.as_f64();
                }
                Ty::Num
            }
            Value::String(s) => {
                // Stored as jsonb, shown to officers: text a name could hold only.
                if let Some(c) = roundabout_support::text::first_forbidden(s, false) {
                    return Err(format!(
                        "a text value must not contain {}",
                        roundabout_support::text::describe(c)
                    ));
                }
                Ty::Str
            }
            Value::Array(items) => {
                let tys = items.iter().map(|i| self.infer(i)).collect::<Result<Vec<_>, _>>()?;
                if tys.iter().all(|t| *t == Ty::Str) {
                    Ty::StrList
                } else {
                    Ty::Any
                }
            }
            Value::Object(o) => {
                let mut it = o.iter();
                let (Some((op, args)), None) = (it.next(), it.next()) else {
                    return Err("each operation must be an object with exactly one operator".into());
                };
                let args: Vec<&Value> = match args {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                self.operation(op, &args)?
            }
        })
    }

    fn operation(&mut self, op: &str, args: &[&Value]) -> Result<Ty, String> {
        if op == "var" {
            return self.var(args);
        }
        if !OPERATORS.contains(&op) {
            return Err(format!("unknown operator {op:?}; allowed: {}", OPERATORS.join(" ")));
        }
        let tys = args.iter().map(|a| self.infer(a)).collect::<Result<Vec<_>, _>>()?;
        let arity = |min: usize, max: usize| {
            if tys.len() < min || tys.len() > max {
                Err(format!("{op:?} takes {min} to {max} arguments, not {}", tys.len()))
            } else {
                Ok(())
            }
        };
        let numeric = |what: &str| {
            if let Some(t) = tys.iter().find(|t| !matches!(t, Ty::Num | Ty::Any)) {
                Err(format!("{op:?} {what} numbers, but is given {}", t.name()))
            } else {
                Ok(())
            }
        };
        Ok(match op {
            "==" | "!=" | "===" | "!==" => {
                arity(2, 2)?;
                let (a, b) = (tys[0], tys[1]);
                let concrete = |t: Ty| !matches!(t, Ty::Any | Ty::Null);
                if concrete(a) && concrete(b) && a != b {
                    return Err(format!("{op:?} compares {} with {}", a.name(), b.name()));
                }
                Ty::Bool
            }
            "<" | "<=" | ">" | ">=" => {
                arity(2, 3)?;
                numeric("compares")?;
                Ty::Bool
            }
            "!" | "!!" => {
                arity(1, 1)?;
                Ty::Bool
            }
            "and" | "or" => {
                arity(1, 20)?;
                if let Some(t) = tys.iter().find(|t| !matches!(t, Ty::Bool | Ty::Any)) {
                    return Err(format!("{op:?} combines true/false tests, but is given {}", t.name()));
                }
                Ty::Bool
            }
            "if" => {
                arity(1, 21)?;
                let results: Vec<Ty> = tys
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 1 || *i == tys.len() - 1)
                    .map(|(_, t)| *t)
                    .collect();
                match results.first() {
                    Some(first) if results.iter().all(|t| t == first) => *first,
                    _ => Ty::Any,
                }
            }
            "in" => {
                arity(2, 2)?;
                match (tys[0], tys[1]) {
                    (Ty::Str | Ty::Any, Ty::StrList | Ty::Str | Ty::Any) => Ty::Bool,
                    (a, b) => {
                        return Err(format!(
                            "\"in\" looks for text in a list, not {} in {}",
                            a.name(),
                            b.name()
                        ))
                    }
                }
            }
            _ => {
                arity(1, 20)?;
                numeric("works on")?;
                Ty::Num
            }
        })
    }

    fn var(&mut self, args: &[&Value]) -> Result<Ty, String> {
        // A default value is checked like any other part (counted, its text checked).
        if let [_, default] = args {
            self.infer(default)?;
        }
        let path = match args {
            [Value::String(p)] | [Value::String(p), _] => p.as_str(),
            _ => {
                return Err("\"var\" takes the name of a household fact, e.g. {\"var\": \"household.members\"}".into())
            }
        };
        let fact = facts::fact(path).ok_or_else(|| {
            let known: Vec<&str> = facts::CATALOGUE.iter().map(|f| f.path).collect();
            format!("unknown fact {path:?}; known facts: {}", known.join(", "))
        })?;
        if !self.facts.iter().any(|f| f.path == fact.path) {
            self.facts.push(fact);
        }
        Ok(match fact.ty {
            FactType::Number => Ty::Num,
            FactType::Bool => Ty::Bool,
            FactType::StringList => Ty::StrList,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_allowed_operator_is_built_into_the_engine() {
        let engine = datalogic_rs::Engine::new();
        let builtin: Vec<&str> = engine.builtin_operator_names().collect();
        for op in OPERATORS {
            assert!(builtin.contains(op), "{op}");
        }
    }

    #[test]
    fn good_rules_pass_and_name_their_facts() {
        let r = check(&json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]})).unwrap();
        assert_eq!(r.facts[0].path, "household.annualIncomePence");
        assert_eq!(r.limit, Some(2_500_000.0));
        check(&json!({"==": [{"var": "household.carsOwned"}, 0]})).unwrap();
        check(&json!({"in": ["universal_credit", {"var": "household.benefits"}]})).unwrap();
        check(&json!({"or": [{"var": "household.blueBadge"}, {">=": [{"var": "household.leadAge"}, 65]}]})).unwrap();
        check(&json!({"var": "household.needs.wheelchairAccessible"})).unwrap();
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        let cases = [
            (json!({"regex": ["a", "b"]}), "unknown operator"),
            (json!({"<": [{"var": "household.salary"}, 1]}), "unknown fact"),
            (json!({"<": [{"var": "household.blueBadge"}, 5]}), "compares"),
            (json!({"==": [{"var": "household.carsOwned"}, true]}), "compares"),
            (json!({"+": [{"var": "household.members"}, 1]}), "true/false test"),
            (json!({"<": [1], "==": [1, 1]}), "exactly one operator"),
            (json!({"in": [3, {"var": "household.benefits"}]}), "looks for text"),
            (
                json!({"in": ["universal\u{0}credit", {"var": "household.benefits"}]}),
                "null character",
            ),
        ];
        for (rule, why) in cases {
            let err = check(&rule).unwrap_err();
            assert!(err.contains(why), "{rule}: {err}");
        }
    }

    #[test]
    fn a_rule_nested_ten_thousand_deep_is_refused_without_recursion() {
        let text = format!("{}true{}", "{\"!\":[".repeat(10_000), "]}".repeat(10_000));
        assert!(from_input(&Value::String(text)).unwrap_err().contains("nested deeper"));
        // Built as a value (no parser involved), dropped iteratively below.
        let mut v = Value::Bool(true);
        for _ in 0..10_000 {
            // Not `json!`, which would serialise `v` recursively.
            let mut o = serde_json::Map::new();
            o.insert("!".into(), Value::Array(vec![v]));
            v = Value::Object(o);
        }
        assert!(check(&v).unwrap_err().contains("nested deeper"));
        // Dismantle without recursive drop.
        let mut stack = vec![v];
        while let Some(mut v) = stack.pop() {
            if let Some(o) = v.as_object_mut() {
                stack.extend(std::mem::take(o).into_iter().map(|(_, x)| x));
            } else if let Some(a) = v.as_array_mut() {
                stack.append(a);
            }
        }
    }

    #[test]
    fn arbitrary_rules_are_checked_without_panicking() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let ops = [
            "<", "==", "and", "or", "!", "in", "if", "+", "var", "max", "regex", "some",
        ];
        let leaves = [
            json!(1),
            json!("universal_credit"),
            json!(true),
            json!(null),
            json!({"var": "household.carsOwned"}),
            json!({"var": "household.benefits"}),
            json!({"var": "household.nope"}),
            json!([1, "a"]),
        ];
        let engine = datalogic_rs::Engine::new();
        for _ in 0..5_000 {
            let mut v = leaves[next(leaves.len() as u64) as usize].clone();
            for _ in 0..next(16) {
                let op = ops[next(ops.len() as u64) as usize];
                let other = leaves[next(leaves.len() as u64) as usize].clone();
                v = if next(2) == 0 {
                    json!({op: [v, other]})
                } else {
                    json!({op: [other, v]})
                };
            }
            if let Ok(c) = check(&v) {
                // Whatever passes the check compiles and evaluates without error or panic.
                let logic = engine.compile(&c.rule).expect("a checked rule compiles");
                let arena = datalogic_rs::bumpalo::Bump::new();
                let facts = json!({"household": {"carsOwned": 0, "benefits": ["pip"]}});
                let _ = engine.evaluate(&logic, &facts, &arena);
            }
        }
    }

    #[test]
    fn text_depth_ignores_brackets_in_strings() {
        assert_eq!(text_depth(r#"{"a": "[[[[{{{"}"#, 50), 1);
        assert_eq!(text_depth(r#"[[1], {"b": [2]}]"#, 50), 3);
    }
}
