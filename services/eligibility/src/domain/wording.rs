//! Eligibility in plain words: what a household told us ("You told us your
//! household's income is £15,000 to £24,999."), what a simple rule asks
//! ("Your household's income is under £25,000."), and a fact's value with
//! its unit ("1 car", "3 people").

use serde_json::Value;

use roundabout_api::Pence;

use crate::domain::facts::{self, Fact, Facts, IncomeBand};

/// A benefit as people name it; an unknown one with its underscores as spaces.
pub fn benefit(code: &str) -> String {
    roundabout_api::facts::BENEFITS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.replace('_', " "), |(_, name)| (*name).to_string())
}

/// "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "a, b or c".
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// An income band: "under £15,000", "£15,000 to £24,999", "£50,000 or more".
pub fn band(b: &IncomeBand) -> String {
    match (b.from_pence.filter(|f| *f > Pence::ZERO), b.below_pence) {
        (None, Some(below)) => format!("under {}", facts::pounds(below)),
        (Some(from), Some(below)) if below.get() % 100 == 0 => {
            format!("{} to {}", facts::pounds(from), facts::pounds(below - Pence(100)))
        }
        (Some(from), Some(below)) => format!("at least {} and under {}", facts::pounds(from), facts::pounds(below)),
        (Some(from), None) => format!("{} or more", facts::pounds(from)),
        (None, None) => "any amount".into(),
    }
}

/// `n` with the right noun: "1 car", "2 cars".
fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The (singular, plural) noun a counted fact is counted in.
fn units(fact: &Fact) -> Option<(&'static str, &'static str)> {
    match fact.path {
        "household.members" => Some(("person", "people")),
        "household.carsOwned" => Some(("car", "cars")),
        "household.needs.seats" => Some(("seat", "seats")),
        _ => None,
    }
}

/// A fact's value for a person, with its unit: "£18,000" (or the band the
/// household chose), "1 car", "no cars", "3 people", "41", "yes".
pub fn value(fact: &Fact, facts: &Facts) -> String {
    let v = facts.value(fact.path);
    if fact.path == "household.annualIncomePence" {
        if let (Some(b), false) = (&facts.income_band, v.is_null()) {
            return band(b);
        }
    }
    match (&v, units(fact)) {
        (Value::Number(n), Some((one, many))) => match n.as_i64() {
            Some(0) if fact.path == "household.carsOwned" => "no cars".into(),
            Some(n) => count(n, one, many),
            None => n.to_string(),
        },
        (Value::Array(a), _) if fact.path == "household.benefits" => {
            let names: Vec<String> = a.iter().filter_map(Value::as_str).map(benefit).collect();
            if names.is_empty() {
                "none".into()
            } else {
                and_list(&names)
            }
        }
        _ => facts::show(fact, &v),
    }
}

/// What a yes/no fact says about the household, as a sentence.
fn yes_no_sentence(path: &str, yes: bool) -> Option<&'static str> {
    Some(match (path, yes) {
        ("household.blueBadge", true) => "Someone in your household holds a Blue Badge.",
        ("household.blueBadge", false) => "Nobody in your household holds a Blue Badge.",
        ("household.needs.wheelchairAccessible", true) => "Someone travelling needs a wheelchair-accessible vehicle.",
        ("household.needs.wheelchairAccessible", false) => "Nobody travelling needs a wheelchair-accessible vehicle.",
        ("household.needs.electricPreferred", true) => "You would prefer an electric vehicle.",
        ("household.needs.electricPreferred", false) => "You did not ask for an electric vehicle.",
        _ => return None,
    })
}

/// "You told us …" for one fact the household gave.
pub fn told(fact: &Fact, facts: &Facts) -> String {
    let v = facts.value(fact.path);
    if v.is_null() {
        return unknown(fact);
    }
    let shown = value(fact, facts);
    match fact.path {
        "household.members" if v.as_i64() == Some(1) => "You told us 1 person lives in your household.".into(),
        "household.members" => format!("You told us {shown} live in your household."),
        "household.annualIncomePence" => format!("You told us your household's income is {shown}."),
        "household.carsOwned" => format!("You told us your household owns {shown}."),
        "household.benefits" if shown == "none" => {
            "You told us nobody in your household gets any of the benefits we asked about.".into()
        }
        "household.benefits" => format!("You told us your household gets {shown}."),
        "household.leadAge" => format!("You told us you are {shown}."),
        "household.needs.seats" => format!("You told us you need {shown}."),
        path => match v.as_bool().and_then(|b| yes_no_sentence(path, b)) {
            Some(s) => format!("You told us {}", lower_first(s)),
            None => format!("You told us {} is {shown}.", fact.noun),
        },
    }
}

/// Why a criterion cannot be checked: "We need to know your household's
/// income to check this."
pub fn unknown(fact: &Fact) -> String {
    format!("We need to know {} to check this.", fact.noun)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `{"var": path}` (or `{"var": [path]}`) as a catalogue fact.
fn var(v: &Value) -> Option<&'static Fact> {
    let path = match v.get("var")? {
        Value::String(s) => s.as_str(),
        Value::Array(a) => a.first()?.as_str()?,
        _ => return None,
    };
    facts::fact(path)
}

/// An operator's only argument, given bare or as a one-element list.
fn only_arg(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(a) if a.len() == 1 => a.first(),
        Value::Array(_) => None,
        other => Some(other),
    }
}

/// A comparison of a fact with a number, in words.
fn comparison(fact: &Fact, op: &str, n: f64) -> Option<String> {
    if n.fract() != 0.0 {
        return None;
    }
    let n = n as i64;
    let cmp = |under: String, at_most: String, over: String, at_least: String, is: String, is_not: String| {
        Some(match op {
            "<" => under,
            "<=" => at_most,
            ">" => over,
            ">=" => at_least,
            "==" | "===" => is,
            "!=" | "!==" => is_not,
            _ => return None,
        })
    };
    match fact.path {
        "household.annualIncomePence" => {
            let x = facts::pounds(Pence(n));
            cmp(
                format!("under {x}"),
                format!("{x} or less"),
                format!("over {x}"),
                format!("{x} or more"),
                x.clone(),
                format!("not {x}"),
            )
            .map(|c| format!("Your household's income is {c}."))
        }
        "household.leadAge" => cmp(
            format!("under {n}"),
            format!("{n} or younger"),
            format!("over {n}"),
            format!("{n} or older"),
            n.to_string(),
            format!("not {n}"),
        )
        .map(|c| format!("You are {c}.")),
        "household.carsOwned" if matches!((op, n), ("==" | "===" | "<=", 0) | ("<", 1)) => {
            Some("Your household does not own a car.".into())
        }
        "household.carsOwned" if matches!((op, n), (">=", 1) | (">" | "!=" | "!==", 0)) => {
            Some("Your household owns a car.".into())
        }
        path => {
            let (one, many) = units(fact)?;
            let subject = match path {
                "household.members" => "Your household has",
                "household.carsOwned" => "Your household owns",
                _ => "You need",
            };
            let noun = |k: i64| if k == 1 { one } else { many };
            cmp(
                format!("fewer than {n} {many}"),
                format!("{n} {} or fewer", noun(n)),
                format!("more than {n} {}", noun(n)),
                format!("{n} {} or more", noun(n)),
                format!("exactly {}", count(n, one, many)),
                format!("a number of {many} other than {n}"),
            )
            .map(|c| format!("{subject} {c}."))
        }
    }
}

/// `in` of a benefit in the household's benefits: the benefit's code.
fn benefit_test(v: &Value) -> Option<&str> {
    let args = v.get("in")?.as_array()?;
    match args.as_slice() {
        [Value::String(b), list] if var(list).is_some_and(|f| f.path == "household.benefits") => Some(b),
        _ => None,
    }
}

/// What a simple rule asks, as a sentence about a household that meets
/// it ("Your household's income is under £25,000."); `None` for a rule
/// too involved to put into words this way.
pub fn met(rule: &Value) -> Option<String> {
    let obj = rule.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    let (op, args) = obj.iter().next()?;
    match op.as_str() {
        "and" => {
            let parts: Option<Vec<String>> = args.as_array()?.iter().map(met).collect();
            parts.filter(|p| !p.is_empty()).map(|p| p.join(" "))
        }
        "or" => {
            let names: Option<Vec<String>> = args.as_array()?.iter().map(|a| benefit_test(a).map(benefit)).collect();
            names
                .filter(|n| !n.is_empty())
                .map(|n| format!("Someone in your household gets {}.", or_list(&n)))
        }
        "in" => benefit_test(rule).map(|b| format!("Someone in your household gets {}.", benefit(b))),
        "var" => var(rule)
            .and_then(|f| yes_no_sentence(f.path, true))
            .map(str::to_string),
        "!!" => var(only_arg(args)?)
            .and_then(|f| yes_no_sentence(f.path, true))
            .map(str::to_string),
        "!" => var(only_arg(args)?)
            .and_then(|f| yes_no_sentence(f.path, false))
            .map(str::to_string),
        "<" | "<=" | ">" | ">=" | "==" | "===" | "!=" | "!==" => {
            let [a, b] = args.as_array()?.as_slice() else {
                return None;
            };
            let flip = |op: &str| {
                match op {
                    "<" => ">",
                    "<=" => ">=",
                    ">" => "<",
                    ">=" => "<=",
                    other => other,
                }
                .to_string()
            };
            let (fact, op, other) = match (var(a), var(b)) {
                (Some(f), None) => (f, op.clone(), b),
                (None, Some(f)) => (f, flip(op), a),
                _ => return None,
            };
            match other {
                Value::Bool(want) => {
                    let yes = match op.as_str() {
                        "==" | "===" => *want,
                        _ => !*want,
                    };
                    yes_no_sentence(fact.path, yes).map(str::to_string)
                }
                Value::Number(n) => comparison(fact, &op, n.as_f64()?),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn simple_rules_read_as_sentences() {
        for (rule, want) in [
            (
                json!({"<": [{"var": "household.annualIncomePence"}, 2_500_000]}),
                "Your household's income is under £25,000.",
            ),
            (
                json!({">": [2_500_000, {"var": "household.annualIncomePence"}]}),
                "Your household's income is under £25,000.",
            ),
            (
                json!({"==": [{"var": "household.carsOwned"}, 0]}),
                "Your household does not own a car.",
            ),
            (
                json!({"<=": [{"var": "household.carsOwned"}, 1]}),
                "Your household owns 1 car or fewer.",
            ),
            (
                json!({">=": [{"var": "household.leadAge"}, 65]}),
                "You are 65 or older.",
            ),
            (
                json!({">=": [{"var": "household.members"}, 3]}),
                "Your household has 3 people or more.",
            ),
            (
                json!({"==": [{"var": "household.blueBadge"}, true]}),
                "Someone in your household holds a Blue Badge.",
            ),
            (
                json!({"in": ["pension_credit", {"var": "household.benefits"}]}),
                "Someone in your household gets Pension Credit.",
            ),
            (
                json!({"or": [{"in": ["pip", {"var": "household.benefits"}]}, {"in": ["dla", {"var": "household.benefits"}]}]}),
                "Someone in your household gets Personal Independence Payment (PIP) or Disability Living Allowance.",
            ),
            (
                json!({"and": [{"<": [{"var": "household.annualIncomePence"}, 2_500_000]}, {"==": [{"var": "household.carsOwned"}, 0]}]}),
                "Your household's income is under £25,000. Your household does not own a car.",
            ),
        ] {
            assert_eq!(met(&rule).as_deref(), Some(want), "{rule}");
        }
        assert_eq!(met(&json!({"<": [{"+": [{"var": "household.members"}, 1]}, 4]})), None);
    }

    #[test]
    fn values_have_their_units_and_the_chosen_band() {
        let f = Facts {
            members: Some(1),
            cars_owned: Some(1),
            annual_income_pence: Some(Pence(2_499_900)),
            income_band: Some(IncomeBand {
                from_pence: Some(Pence(1_500_000)),
                below_pence: Some(Pence(2_500_000)),
            }),
            benefits: Some(vec!["universal_credit".into(), "pip".into()]),
            ..Facts::default()
        };
        let fact = |p| facts::fact(p).unwrap();
        assert_eq!(value(fact("household.carsOwned"), &f), "1 car");
        assert_eq!(
            told(fact("household.annualIncomePence"), &f),
            "You told us your household's income is £15,000 to £24,999."
        );
        assert_eq!(
            told(fact("household.members"), &f),
            "You told us 1 person lives in your household."
        );
        assert_eq!(
            told(fact("household.benefits"), &f),
            "You told us your household gets Universal Credit and Personal Independence Payment (PIP)."
        );
        let f = Facts {
            cars_owned: Some(0),
            members: Some(3),
            annual_income_pence: Some(Pence(4_200_000)),
            ..Facts::default()
        };
        assert_eq!(value(fact("household.carsOwned"), &f), "no cars");
        assert_eq!(value(fact("household.members"), &f), "3 people");
        assert_eq!(value(fact("household.annualIncomePence"), &f), "£42,000");
        assert_eq!(
            told(fact("household.leadAge"), &f),
            "We need to know your age to check this."
        );
    }

    #[test]
    fn bands_are_written_as_people_choose_them() {
        let b = |from: Option<i64>, below: Option<i64>| {
            band(&IncomeBand {
                from_pence: from.map(Pence),
                below_pence: below.map(Pence),
            })
        };
        assert_eq!(b(None, Some(1_500_000)), "under £15,000");
        assert_eq!(b(Some(0), Some(1_500_000)), "under £15,000");
        assert_eq!(b(Some(1_500_000), Some(2_500_000)), "£15,000 to £24,999");
        assert_eq!(b(Some(5_000_000), None), "£50,000 or more");
    }
}
