//! The household fact catalogue: the only facts a scheme's rules may read,
//! their types, and their words — for households (the eligibility
//! service's explanations) and for officers (the web's criteria builder).
//!
//! Rules see facts as `{"household": {"members": 2, "annualIncomePence": …,
//! "needs": {"seats": 4, …}}}`; an unknown fact is `null`.

/// The type of a fact, as rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    Number,
    Bool,
    StringList,
}

/// How a number is shown to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Pence,
    Years,
    None,
}

/// How an officer gives a value for the fact in the criteria builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number in the range.
    Count(i64, i64),
    /// Pounds, stored in pence.
    Pounds,
    /// Yes or no; the phrases when yes and when no.
    Bool(&'static str, &'static str),
    /// The household's list of benefits.
    Benefits,
}

/// One fact of the catalogue.
#[derive(Debug, PartialEq, Eq)]
pub struct Fact {
    /// The `var` path, e.g. `household.annualIncomePence`.
    pub path: &'static str,
    pub ty: FactType,
    pub unit: Unit,
    /// What the fact is, in the eligibility service's explanations: "your
    /// household's income".
    pub noun: &'static str,
    /// The criteria builder's form value, also the criterion id a new row
    /// gets.
    pub key: &'static str,
    /// Shown in the builder's list of facts.
    pub name: &'static str,
    /// How the builder reads a value.
    pub kind: Kind,
    /// "your household income", for the message the builder writes.
    pub yours: &'static str,
}

/// The benefits households are asked about (`household.benefits`): the code
/// stored and the name people know it by.
pub const BENEFITS: &[(&str, &str)] = &[
    ("universal_credit", "Universal Credit"),
    ("pension_credit", "Pension Credit"),
    ("pip", "Personal Independence Payment (PIP)"),
    ("dla", "Disability Living Allowance"),
    ("attendance_allowance", "Attendance Allowance"),
    ("carers_allowance", "Carer's Allowance"),
];

/// Every fact a rule may read.
pub const CATALOGUE: &[Fact] = &[
    Fact {
        path: "household.members",
        ty: FactType::Number,
        unit: Unit::Count,
        noun: "how many people live in your household",
        key: "members",
        name: "Number of people in the household",
        kind: Kind::Count(0, 100),
        yours: "the number of people in your household",
    },
    Fact {
        path: "household.annualIncomePence",
        ty: FactType::Number,
        unit: Unit::Pence,
        noun: "your household's income",
        key: "income",
        name: "Household income (£ a year)",
        kind: Kind::Pounds,
        yours: "your household income",
    },
    Fact {
        path: "household.carsOwned",
        ty: FactType::Number,
        unit: Unit::Count,
        noun: "how many cars your household owns",
        key: "cars",
        name: "Number of cars the household owns",
        kind: Kind::Count(0, 100),
        yours: "the number of cars your household owns",
    },
    Fact {
        path: "household.blueBadge",
        ty: FactType::Bool,
        unit: Unit::None,
        noun: "whether anyone in your household holds a Blue Badge",
        key: "blue-badge",
        name: "Someone holds a Blue Badge",
        kind: Kind::Bool(
            "Someone in the household holds a Blue Badge",
            "Nobody in the household holds a Blue Badge",
        ),
        yours: "whether you hold a Blue Badge",
    },
    Fact {
        path: "household.benefits",
        ty: FactType::StringList,
        unit: Unit::None,
        noun: "which benefits your household gets",
        key: "benefits",
        name: "Benefits the household receives",
        kind: Kind::Benefits,
        yours: "the benefits your household receives",
    },
    Fact {
        path: "household.leadAge",
        ty: FactType::Number,
        unit: Unit::Years,
        noun: "your age",
        key: "lead-age",
        name: "Age of the lead member",
        kind: Kind::Count(0, 150),
        yours: "the age of the lead member of your household",
    },
    Fact {
        path: "household.needs.seats",
        ty: FactType::Number,
        unit: Unit::Count,
        noun: "how many seats you need",
        key: "seats",
        name: "Seats needed",
        kind: Kind::Count(0, 16),
        yours: "the seats you need",
    },
    Fact {
        path: "household.needs.wheelchairAccessible",
        ty: FactType::Bool,
        unit: Unit::None,
        noun: "whether anyone travelling needs a wheelchair-accessible vehicle",
        key: "wheelchair",
        name: "Needs a wheelchair-accessible vehicle",
        kind: Kind::Bool(
            "Someone travelling needs a wheelchair-accessible vehicle",
            "Nobody travelling needs a wheelchair-accessible vehicle",
        ),
        yours: "whether you need a wheelchair-accessible vehicle",
    },
    Fact {
        path: "household.needs.electricPreferred",
        ty: FactType::Bool,
        unit: Unit::None,
        noun: "whether you would prefer an electric vehicle",
        key: "electric",
        name: "Prefers an electric vehicle",
        kind: Kind::Bool(
            "The household prefers an electric vehicle",
            "The household does not prefer an electric vehicle",
        ),
        yours: "whether you prefer an electric vehicle",
    },
];

/// The catalogue entry for a `var` path.
pub fn fact(path: &str) -> Option<&'static Fact> {
    CATALOGUE.iter().find(|f| f.path == path)
}

/// The catalogue entry for a criteria builder's form value.
pub fn fact_by_key(key: &str) -> Option<&'static Fact> {
    CATALOGUE.iter().find(|f| f.key == key)
}

/// The catalogue's facts a rule reads (each `{"var": path}` or
/// `{"var": [path, default]}` anywhere in it), in catalogue order: what a
/// household must be asked for the rule to decide.
pub fn read_by(rule: &serde_json::Value) -> Vec<&'static Fact> {
    fn walk(v: &serde_json::Value, found: &mut Vec<&'static str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, arg) in m {
                    if k == "var" {
                        let path = match arg {
                            serde_json::Value::Array(a) => a.first().and_then(|p| p.as_str()),
                            other => other.as_str(),
                        };
                        if let Some(f) = path.and_then(fact) {
                            found.push(f.path);
                        }
                    }
                    walk(arg, found);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(rule, &mut found);
    CATALOGUE.iter().filter(|f| found.contains(&f.path)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_reads_the_facts_it_names_anywhere_in_it() {
        let rule = serde_json::json!({"and": [
            {"<": [{"var": "household.annualIncomePence"}, 2_500_000]},
            {"or": [{"var": ["household.blueBadge", false]}, {"in": ["pip", {"var": "household.benefits"}]}]},
            {"var": "household.salary"}
        ]});
        let paths: Vec<_> = read_by(&rule).iter().map(|f| f.path).collect();
        assert_eq!(
            paths,
            [
                "household.annualIncomePence",
                "household.blueBadge",
                "household.benefits"
            ]
        );
        assert!(read_by(&serde_json::json!(true)).is_empty());
    }

    #[test]
    fn paths_and_keys_are_unique() {
        for (i, f) in CATALOGUE.iter().enumerate() {
            assert_eq!(fact(f.path), Some(f));
            assert_eq!(fact_by_key(f.key), Some(f));
            assert!(CATALOGUE[..i].iter().all(|g| g.path != f.path && g.key != f.key));
        }
    }

    #[test]
    fn the_builders_kind_fits_the_type() {
        for f in CATALOGUE {
            let fits = match f.kind {
                Kind::Count(..) => f.ty == FactType::Number && matches!(f.unit, Unit::Count | Unit::Years),
                Kind::Pounds => f.ty == FactType::Number && f.unit == Unit::Pence,
                Kind::Bool(..) => f.ty == FactType::Bool,
                Kind::Benefits => f.ty == FactType::StringList,
            };
            assert!(fits, "{}", f.path);
        }
    }
}
