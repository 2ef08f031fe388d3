//! The criteria builder: rows of fact, comparison and value, each one
//! criterion whose rule is JSON Logic over the household facts that
//! eligibility evaluates (`household.members`, `household.annualIncomePence`,
//! …). A criterion the builder cannot show as a row (written through the API
//! with `or`, `if`, arithmetic…) is kept as its JSON Logic text, which the
//! officer may edit; the eligibility service checks every rule when saved.
//!
//! Form fields of row `i`: `c{i}-fact`, `c{i}-op`, `c{i}-value`,
//! `c{i}-fail` and the kept `c{i}-id`; a JSON Logic row has `c{i}-label`
//! and `c{i}-rule` instead of fact, comparison and value.

use serde_json::{json, Value};

use crate::{
    form::{Errors, FormData},
    pages::vocabulary::{benefit_words, pounds, BENEFITS},
};

/// Most criteria of a scheme (as eligibility allows).
pub const MAX_ROWS: usize = 20;

/// The facts a row can test: the contract's catalogue, which the
/// eligibility service checks rules against.
pub use roundabout_api::facts::{Fact, Kind};

/// The order the builder lists the catalogue's facts in (keys).
const ORDER: [&str; 9] = [
    "income",
    "members",
    "cars",
    "lead-age",
    "benefits",
    "blue-badge",
    "seats",
    "wheelchair",
    "electric",
];

/// Every household fact eligibility evaluates, in the builder's order.
pub fn facts() -> Vec<&'static Fact> {
    let mut all: Vec<&'static Fact> = roundabout_api::facts::CATALOGUE.iter().collect();
    all.sort_by_key(|f| ORDER.iter().position(|k| *k == f.key).unwrap_or(ORDER.len()));
    all
}

/// The comparisons: form value, words, JSON Logic operator.
pub const COMPARISONS: &[(&str, &str, &str)] = &[
    ("lt", "is less than", "<"),
    ("le", "is at most", "<="),
    ("gt", "is more than", ">"),
    ("ge", "is at least", ">="),
    ("eq", "is", "=="),
    ("ne", "is not", "!="),
    ("includes", "includes", "in"),
    ("excludes", "does not include", "in"),
];

pub fn fact(key: &str) -> Option<&'static Fact> {
    roundabout_api::facts::fact_by_key(key)
}

fn fact_at(path: &str) -> Option<&'static Fact> {
    roundabout_api::facts::fact(path)
}

fn comparison(op: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    COMPARISONS.iter().find(|c| c.0 == op)
}

/// The comparisons that fit a fact.
fn fits(kind: Kind, op: &str) -> bool {
    match kind {
        Kind::Count(..) | Kind::Pounds => matches!(op, "lt" | "le" | "gt" | "ge" | "eq" | "ne"),
        Kind::Bool(..) => matches!(op, "eq" | "ne"),
        Kind::Benefits => matches!(op, "includes" | "excludes"),
    }
}

/// One row of the builder, as the form holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub id: String,
    pub fact: String,
    pub op: String,
    pub value: String,
    pub fail: String,
    /// A JSON Logic row: its rule's text (and `label`).
    pub rule: Option<String>,
    pub label: String,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        match &self.rule {
            Some(r) => r.trim().is_empty() && self.label.trim().is_empty(),
            None => self.fact.is_empty() && self.value.trim().is_empty(),
        }
    }
}

/// The rows in a form (`rows` says how many).
pub fn rows(form: &FormData) -> Vec<Row> {
    let n: usize = form.get("rows").parse().unwrap_or(1).min(MAX_ROWS);
    (0..n)
        .map(|i| {
            let f = |k: &str| form.get(&format!("c{i}-{k}")).to_string();
            let raw = form.0.iter().any(|(k, _)| *k == format!("c{i}-rule"));
            Row {
                id: f("id"),
                fact: f("fact"),
                op: f("op"),
                value: f("value"),
                fail: f("fail"),
                rule: raw.then(|| f("rule")),
                label: f("label"),
            }
        })
        .collect()
}

/// Writes `rows` into `form`, replacing the rows it had.
pub fn set_rows(form: &mut FormData, rows: &[Row]) {
    form.0
        .retain(|(k, _)| !(k.starts_with('c') && k[1..].split('-').next().is_some_and(|n| n.parse::<usize>().is_ok())));
    form.set("rows", rows.len().to_string());
    for (i, r) in rows.iter().enumerate() {
        let mut put = |k: &str, v: &str| form.0.push((format!("c{i}-{k}"), v.to_string()));
        put("id", &r.id);
        put("fail", &r.fail);
        match &r.rule {
            Some(rule) => {
                put("rule", rule);
                put("label", &r.label);
            }
            None => {
                put("fact", &r.fact);
                put("op", &r.op);
                put("value", &r.value);
            }
        }
    }
}

/// A value typed for `fact`, checked; the error is for the value field.
fn value(f: &Fact, raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    match f.kind {
        Kind::Count(min, max) => match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(json!(n)),
            Ok(_) => Err(format!("The value for ‘{}’ must be from {min} to {max}", f.name)),
            Err(_) if raw.is_empty() => Err(format!("Enter a value for ‘{}’", f.name)),
            Err(_) => Err(format!("The value for ‘{}’ must be a whole number, like 2", f.name)),
        },
        Kind::Pounds => {
            if raw.is_empty() {
                return Err(format!("Enter an amount for ‘{}’", f.name));
            }
            parse_pence(raw)
                .filter(|p| (0..=100_000_000_000).contains(p))
                .map(|p| json!(p))
                .ok_or_else(|| "The income must be an amount in pounds, like 25000 or £25,000".to_string())
        }
        Kind::Bool(..) => match raw.to_lowercase().as_str() {
            "yes" | "true" => Ok(json!(true)),
            "no" | "false" => Ok(json!(false)),
            "" => Err(format!("Enter yes or no for ‘{}’", f.name)),
            _ => Err(format!("The value for ‘{}’ must be yes or no", f.name)),
        },
        Kind::Benefits => BENEFITS
            .iter()
            .find(|(code, name)| raw.eq_ignore_ascii_case(code) || raw.eq_ignore_ascii_case(name))
            .map(|(code, _)| json!(code))
            .ok_or_else(|| {
                let names: Vec<&str> = BENEFITS.iter().map(|b| b.1).collect();
                format!("Enter one of these benefits: {}", names.join(", "))
            }),
    }
}

/// Pounds as typed ("25000", "£25,000", "12.50") in pence
/// (`roundabout_api::Pence::parse_pounds`).
pub fn parse_pence(raw: &str) -> Option<i64> {
    roundabout_api::Pence::parse_pounds(raw).map(roundabout_api::Pence::get)
}

/// A value of `fact` in words, as it reads in a label.
fn shown(f: &Fact, v: &Value) -> String {
    match (f.kind, v) {
        (Kind::Pounds, Value::Number(n)) => n.as_i64().map(pounds).unwrap_or_else(|| n.to_string()),
        (Kind::Benefits, Value::String(code)) => benefit_words(code).to_string(),
        (_, Value::Bool(true)) => "yes".into(),
        (_, Value::Bool(false)) => "no".into(),
        (_, other) => other.to_string(),
    }
}

/// A checked builder row: its rule, label and default message.
fn criterion(f: &Fact, op: &str, v: &Value) -> (Value, String, String) {
    let var = json!({"var": f.path});
    let (_, words, logic) = *comparison(op).expect("a checked comparison");
    match f.kind {
        Kind::Bool(yes, no) => {
            let wanted = (v == &json!(true)) == (op == "eq");
            let label = if wanted { yes } else { no };
            (
                json!({logic: [var, v]}),
                label.to_string(),
                format!("This scheme is only for households where {}.", lower_first(label)),
            )
        }
        Kind::Benefits => {
            let name = shown(f, v);
            let test = json!({"in": [v, var]});
            if op == "includes" {
                (
                    test,
                    format!("The household receives {name}"),
                    format!("This scheme is only for households that receive {name}."),
                )
            } else {
                (
                    json!({"!": [test]}),
                    format!("The household does not receive {name}"),
                    format!("This scheme is not for households that receive {name}."),
                )
            }
        }
        Kind::Count(..) | Kind::Pounds => {
            let need = match op {
                "lt" => "less than ",
                "le" => "at most ",
                "gt" => "more than ",
                "ge" => "at least ",
                "ne" => "other than ",
                _ => "",
            };
            (
                json!({logic: [var, v]}),
                format!("{} {words} {}", f.name.trim_end_matches(" (£ a year)"), shown(f, v)),
                format!(
                    "This scheme needs {} to be {need}{{limit}}; yours is {{value}}.",
                    f.yours
                ),
            )
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// The criteria to send (`CriterionInput`s) and, for each, the row it came
/// from. Blank rows are left out; each problem goes to its field.
pub fn build(rows: &[Row], errors: &mut Errors) -> Vec<(usize, Value)> {
    let mut out: Vec<(usize, Value)> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.is_blank() {
            continue;
        }
        let field = |k: &str| format!("c{i}-{k}");
        let (rule, label, fail, base_id) = match &r.rule {
            Some(text) => {
                let rule = match serde_json::from_str::<Value>(text) {
                    Ok(v) => v,
                    Err(e) => {
                        errors.add(&field("rule"), format!("The rule is not valid JSON: {e}"));
                        continue;
                    }
                };
                if r.label.trim().is_empty() {
                    errors.add(&field("label"), "Enter what the criterion asks, in words");
                    continue;
                }
                let fail = if r.fail.trim().is_empty() {
                    format!(
                        "This scheme is only for households where: {}.",
                        lower_first(r.label.trim())
                    )
                } else {
                    r.fail.trim().to_string()
                };
                (rule, r.label.trim().to_string(), fail, "rule".to_string())
            }
            None => {
                let Some(f) = fact(&r.fact) else {
                    errors.add(&field("fact"), "Choose the fact this criterion tests");
                    continue;
                };
                let Some(_) = comparison(&r.op).filter(|c| fits(f.kind, c.0)) else {
                    let choose = match f.kind {
                        Kind::Bool(..) => "is or is not",
                        Kind::Benefits => "includes or does not include",
                        _ => "a comparison of numbers, like is less than",
                    };
                    errors.add(&field("op"), format!("For ‘{}’, choose {choose}", f.name));
                    continue;
                };
                let v = match value(f, &r.value) {
                    Ok(v) => v,
                    Err(e) => {
                        errors.add(&field("value"), e);
                        continue;
                    }
                };
                let (rule, label, default_fail) = criterion(f, &r.op, &v);
                let fail = if r.fail.trim().is_empty() {
                    default_fail
                } else {
                    r.fail.trim().to_string()
                };
                (rule, label, fail, f.key.to_string())
            }
        };
        // Keep a row's id; a new row gets its fact's name, made unique.
        let mut id = if r.id.is_empty() { base_id } else { r.id.clone() };
        if ids.contains(&id) {
            let base = id.clone();
            id = (2..)
                .map(|n| format!("{base}-{n}"))
                .find(|c| !ids.contains(c))
                .expect("a free id");
        }
        ids.push(id.clone());
        out.push((i, json!({"id": id, "label": label, "rule": rule, "failText": fail})));
    }
    out
}

/// The form row for a saved criterion: a builder row when its rule has a
/// shape the builder writes, else a JSON Logic row.
pub fn row_of(id: &str, label: &str, rule: &Value, fail: &str) -> Row {
    let builder = builder_row(rule).filter(|(f, op, v)| {
        // Only when the builder would write the same rule again.
        fact(f)
            .and_then(|fd| value(fd, v).ok().map(|val| criterion(fd, op, &val).0 == *rule))
            .unwrap_or(false)
    });
    match builder {
        Some((fact, op, value)) => Row {
            id: id.to_string(),
            fact,
            op,
            value,
            fail: fail.to_string(),
            rule: None,
            label: String::new(),
        },
        None => Row {
            id: id.to_string(),
            fail: fail.to_string(),
            rule: Some(serde_json::to_string_pretty(rule).unwrap_or_default()),
            label: label.to_string(),
            ..Row::default()
        },
    }
}

/// (fact key, comparison, value as typed) for a rule of a builder shape.
fn builder_row(rule: &Value) -> Option<(String, String, String)> {
    let o = rule.as_object().filter(|o| o.len() == 1)?;
    let (logic, args) = o.iter().next()?;
    let args = args.as_array()?;
    if logic == "!" {
        let (f, op, v) = builder_row(args.first()?)?;
        return (op == "includes").then_some((f, "excludes".to_string(), v));
    }
    if logic == "in" {
        let code = args.first()?.as_str()?;
        let f = fact_at(args.get(1)?.get("var")?.as_str()?)?;
        return (f.kind == Kind::Benefits).then(|| (f.key.to_string(), "includes".to_string(), code.to_string()));
    }
    let [var, v] = args.as_slice() else { return None };
    let f = fact_at(var.get("var")?.as_str()?)?;
    let op = COMPARISONS
        .iter()
        .find(|c| c.2 == logic && c.0 != "includes" && c.0 != "excludes")?
        .0;
    let typed = match (f.kind, v) {
        (Kind::Pounds, Value::Number(n)) => {
            let p = n.as_i64()?;
            if p % 100 == 0 {
                (p / 100).to_string()
            } else {
                format!("{}.{:02}", p / 100, p % 100)
            }
        }
        (Kind::Count(..), Value::Number(n)) => n.as_i64()?.to_string(),
        (Kind::Bool(..), Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        _ => return None,
    };
    Some((f.key.to_string(), op.to_string(), typed))
}

/// The whole rule a household must pass, as JSON Logic text: every
/// criterion's rule joined with `and`.
pub fn combined(criteria: &[Value]) -> String {
    let rules: Vec<Value> = criteria.iter().map(|c| c["rule"].clone()).collect();
    let all = match rules.len() {
        1 => rules[0].clone(),
        _ => json!({"and": rules}),
    };
    serde_json::to_string_pretty(&all).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fact: &str, op: &str, value: &str) -> Row {
        Row {
            fact: fact.into(),
            op: op.into(),
            value: value.into(),
            ..Row::default()
        }
    }

    #[test]
    fn rows_become_json_logic_criteria() {
        let mut e = Errors::default();
        let out = build(
            &[
                row("income", "lt", "£25,000"),
                Row::default(),
                row("members", "ge", "2"),
                row("benefits", "includes", "Universal Credit"),
                row("blue-badge", "eq", "no"),
                row("members", "le", "6"),
            ],
            &mut e,
        );
        assert!(e.is_empty(), "{e:?}");
        let rows: Vec<usize> = out.iter().map(|o| o.0).collect();
        assert_eq!(rows, vec![0, 2, 3, 4, 5]);
        let c = &out[0].1;
        assert_eq!(
            c["rule"],
            json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]})
        );
        assert_eq!(c["label"], "Household income is less than £25,000");
        assert_eq!(c["id"], "income");
        assert_eq!(
            c["failText"],
            "This scheme needs your household income to be less than {limit}; yours is {value}."
        );
        assert_eq!(
            out[2].1["rule"],
            json!({"in": ["universal_credit", {"var": "household.benefits"}]})
        );
        assert_eq!(out[3].1["label"], "Nobody in the household holds a Blue Badge");
        assert_eq!(out[4].1["id"], "members-2");
        assert!(combined(&out.iter().map(|o| o.1.clone()).collect::<Vec<_>>()).starts_with("{\n  \"and\""));
    }

    #[test]
    fn bad_values_and_comparisons_are_refused_at_their_fields() {
        let mut e = Errors::default();
        let out = build(
            &[
                row("income", "lt", "lots"),
                row("blue-badge", "lt", "yes"),
                row("", "lt", "3"),
                row("benefits", "includes", "Lottery win"),
                row("seats", "ge", "40"),
            ],
            &mut e,
        );
        assert!(out.is_empty());
        assert!(e.get("c0-value").unwrap().contains("amount in pounds"));
        assert!(e.get("c1-op").unwrap().contains("is or is not"));
        assert!(e.get("c2-fact").is_some());
        assert!(e.get("c3-value").unwrap().contains("Universal Credit"));
        assert!(e.get("c4-value").unwrap().contains("from 0 to 16"));
    }

    #[test]
    fn saved_rules_come_back_as_rows_or_as_json_logic() {
        let income = json!({"<": [{"var": "household.annualIncomePence"}, 2_550_050]});
        let r = row_of("income", "x", &income, "too much");
        assert_eq!(
            (r.fact.as_str(), r.op.as_str(), r.value.as_str()),
            ("income", "lt", "25500.50")
        );
        let not_uc = json!({"!": [{"in": ["universal_credit", {"var": "household.benefits"}]}]});
        let r = row_of("uc", "x", &not_uc, "f");
        assert_eq!((r.op.as_str(), r.value.as_str()), ("excludes", "universal_credit"));
        let either = json!({"or": [{"var": "household.blueBadge"}, {">=": [{"var": "household.leadAge"}, 65]}]});
        let r = row_of("older", "Older or disabled", &either, "f");
        assert_eq!(r.label, "Older or disabled");
        assert_eq!(
            serde_json::from_str::<Value>(r.rule.as_deref().unwrap()).unwrap(),
            either
        );
        // Round trip through the form.
        let mut form = FormData::default();
        set_rows(&mut form, &[r.clone(), row("cars", "eq", "0")]);
        assert_eq!(rows(&form), vec![r, row("cars", "eq", "0")]);
    }

    #[test]
    fn the_builder_lists_every_catalogue_fact_in_its_order() {
        let keys: Vec<&str> = facts().iter().map(|f| f.key).collect();
        assert_eq!(keys, ORDER);
        assert_eq!(keys.len(), roundabout_api::facts::CATALOGUE.len());
    }

    #[test]
    fn pounds_are_read_as_people_type_them() {
        assert_eq!(parse_pence("25000"), Some(2_500_000));
        assert_eq!(parse_pence("£25,000.5"), Some(2_500_050));
        assert_eq!(parse_pence("12.345"), None);
        assert_eq!(parse_pence("-5"), None);
        assert_eq!(parse_pence(""), None);
    }
}
