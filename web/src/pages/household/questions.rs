//! The household's questions, one a page (GOV.UK "question pages"): what
//! each asks, how its answer is checked and shown on "Check your answers",
//! and how a whole set of answers becomes the API's input. The signed-out
//! checker, a signed-in household and an officer acting for one all use
//! them. Answers are kept as the fields of the one-page form
//! (`postcode`, `members`, `income`, …), so a set of answers, a draft in
//! the session and the full form are one shape.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::form::{Errors, FormData};
use crate::pages::vocabulary::{Band, BENEFITS, INCOME_BANDS, NOT_GIVEN};

/// How a question is answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A short text box (`width` is the GOV.UK width class).
    Text {
        width: &'static str,
        autocomplete: &'static str,
    },
    Income,
    Cars,
    YesNo,
    Benefits,
}

/// One question.
#[derive(Debug)]
pub struct Question {
    /// Its page: `…/{slug}`.
    pub slug: &'static str,
    /// The form field (as in the one-page form).
    pub field: &'static str,
    /// The question, the page's heading.
    pub heading: &'static str,
    /// Its row on "Check your answers".
    pub key: &'static str,
    pub hint: &'static str,
    pub kind: Kind,
}

impl Question {
    pub fn is_text(&self) -> bool {
        matches!(self.kind, Kind::Text { .. })
    }

    pub fn width(&self) -> &'static str {
        match self.kind {
            Kind::Text { width, .. } => width,
            _ => "",
        }
    }

    pub fn autocomplete(&self) -> &'static str {
        match self.kind {
            Kind::Text { autocomplete, .. } => autocomplete,
            _ => "off",
        }
    }

    pub fn is_checkboxes(&self) -> bool {
        self.kind == Kind::Benefits
    }

    /// Short answers sit side by side.
    pub fn inline(&self) -> bool {
        matches!(self.kind, Kind::YesNo | Kind::Cars)
    }

    /// The choices of a radios or checkboxes question: (value, label).
    pub fn options(&self) -> Vec<(&'static str, &'static str)> {
        match self.kind {
            Kind::Income => INCOME_BANDS.iter().map(|b| (b.value, b.label)).collect(),
            Kind::Cars => vec![("0", "None"), ("1", "1"), ("2", "2"), ("3", "3 or more")],
            Kind::YesNo => vec![("yes", "Yes"), ("no", "No")],
            Kind::Benefits => BENEFITS.to_vec(),
            Kind::Text { .. } => Vec::new(),
        }
    }

    /// The last choice, after an "or" divider ("I would rather not say",
    /// "None of these").
    pub fn exclusive(&self) -> Option<(&'static str, &'static str)> {
        match self.kind {
            Kind::Income => Some((NOT_GIVEN, "I would rather not say")),
            Kind::Benefits => Some(("none", "None of these")),
            _ => None,
        }
    }

    /// The answer in `form` as "Check your answers" shows it.
    pub fn shown(&self, form: &FormData) -> String {
        let v = form.get(self.field);
        match self.kind {
            Kind::Text { .. } if self.field == "age" && v.is_empty() => "Not given".into(),
            Kind::Text { .. } => v.to_string(),
            Kind::Income => INCOME_BANDS
                .iter()
                .find(|b| b.value == v)
                .map(|b| b.label)
                .unwrap_or("I would rather not say")
                .to_string(),
            Kind::Cars | Kind::YesNo => self
                .options()
                .into_iter()
                .find(|o| o.0 == v)
                .map(|o| o.1.to_string())
                .unwrap_or_default(),
            Kind::Benefits => {
                let names: Vec<&str> = form
                    .all("benefits")
                    .into_iter()
                    .filter_map(|b| BENEFITS.iter().find(|k| k.0 == b).map(|k| k.1))
                    .collect();
                if names.is_empty() {
                    "None of these".into()
                } else {
                    names.join(", ")
                }
            }
        }
    }

    /// Whether `form` answers the question (an empty age is an answer: it is optional).
    pub fn answered(&self, form: &FormData) -> bool {
        form.0.iter().any(|(k, _)| k == self.field)
    }

    /// Checks this question's answer in `form`; its values to keep, or its
    /// error in `errors`. `strict`: on its own page, where "nothing ticked"
    /// is not yet an answer.
    pub fn check(&self, form: &FormData, errors: &mut Errors, strict: bool) -> Option<Vec<(String, String)>> {
        let f = self.field;
        let one = |v: String| Some(vec![(f.to_string(), v)]);
        match f {
            "postcode" => match form.get(f) {
                "" => {
                    errors.add(f, "Enter your postcode");
                    None
                }
                raw => match normalise_postcode(raw) {
                    Some(p) => one(p),
                    None => {
                        errors.add(f, "Enter a real postcode, like OX28 4AB");
                        None
                    }
                },
            },
            "members" => number(
                form,
                f,
                1,
                30,
                errors,
                "Enter how many people live in your household",
                "The number of people must be a whole number from 1 to 30",
            )
            .and_then(|n| one(n.to_string())),
            "income" => {
                let v = form.get(f);
                if v == NOT_GIVEN || INCOME_BANDS.iter().any(|b| b.value == v) {
                    one(v.to_string())
                } else {
                    errors.add(f, "Select your household's income, or that you would rather not say");
                    None
                }
            }
            "cars" => number(
                form,
                f,
                0,
                3,
                errors,
                "Select how many cars your household owns",
                "Select how many cars your household owns",
            )
            .and_then(|n| one(n.to_string())),
            "age" => match form.get(f) {
                "" => one(String::new()),
                raw => match raw.parse::<i64>() {
                    Ok(a) if (16..=120).contains(&a) => one(a.to_string()),
                    _ => {
                        errors.add(f, "Age must be a whole number from 16 to 120");
                        None
                    }
                },
            },
            "seats" => number(
                form,
                f,
                1,
                16,
                errors,
                "Enter how many seats you usually need",
                "Seats must be a whole number from 1 to 16",
            )
            .and_then(|n| one(n.to_string())),
            "benefits" => {
                let given = form.all(f);
                let known: Vec<(String, String)> = given
                    .iter()
                    .filter(|b| BENEFITS.iter().any(|k| k.0 == **b))
                    .map(|b| (f.to_string(), b.to_string()))
                    .collect();
                if given.contains(&"none") && !known.is_empty() {
                    errors.add(
                        f,
                        "Select the benefits your household gets, or 'None of these', not both",
                    );
                    None
                } else if known.is_empty() && strict && !given.contains(&"none") {
                    errors.add(f, "Select the benefits your household gets, or 'None of these'");
                    None
                } else if known.is_empty() {
                    one("none".into())
                } else {
                    Some(known)
                }
            }
            _ => {
                let message = match f {
                    "blue-badge" => "Select yes if anyone in your household holds a Blue Badge",
                    "wheelchair" => "Select yes if anyone travelling needs a wheelchair-accessible vehicle",
                    _ => "Select yes if you would prefer an electric vehicle",
                };
                match form.get(f) {
                    v @ ("yes" | "no") => one(v.to_string()),
                    _ => {
                        errors.add(f, message);
                        None
                    }
                }
            }
        }
    }
}

/// Every question, in the order asked.
pub const QUESTIONS: &[Question] = &[
    Question {
        slug: "postcode",
        field: "postcode",
        heading: "What is your postcode?",
        key: "Postcode",
        hint: "For example, OX28 4AB",
        kind: Kind::Text {
            width: "govuk-input--width-10",
            autocomplete: "postal-code",
        },
    },
    Question {
        slug: "people",
        field: "members",
        heading: "How many people live in your household?",
        key: "People in the household",
        hint: "Include yourself and any children",
        kind: Kind::Text {
            width: "govuk-input--width-3",
            autocomplete: "off",
        },
    },
    Question {
        slug: "income",
        field: "income",
        heading: "What is your household's income a year, before tax?",
        key: "Household income",
        hint: "Add up the income of everyone in the household, including benefits",
        kind: Kind::Income,
    },
    Question {
        slug: "cars",
        field: "cars",
        heading: "How many cars does your household own?",
        key: "Cars owned",
        hint: "",
        kind: Kind::Cars,
    },
    Question {
        slug: "blue-badge",
        field: "blue-badge",
        heading: "Does anyone in your household hold a Blue Badge?",
        key: "Blue Badge",
        hint: "",
        kind: Kind::YesNo,
    },
    Question {
        slug: "benefits",
        field: "benefits",
        heading: "Does anyone in your household get any of these benefits?",
        key: "Benefits",
        hint: "Select all that apply",
        kind: Kind::Benefits,
    },
    Question {
        slug: "age",
        field: "age",
        heading: "How old are you? (optional)",
        key: "Your age",
        hint: "Some schemes are for older or younger people. Leave this empty if you would rather not say",
        kind: Kind::Text {
            width: "govuk-input--width-3",
            autocomplete: "off",
        },
    },
    Question {
        slug: "seats",
        field: "seats",
        heading: "How many seats do you usually need?",
        key: "Seats needed",
        hint: "Including the driver",
        kind: Kind::Text {
            width: "govuk-input--width-3",
            autocomplete: "off",
        },
    },
    Question {
        slug: "wheelchair",
        field: "wheelchair",
        heading: "Does anyone travelling need a wheelchair-accessible vehicle?",
        key: "Wheelchair-accessible vehicle",
        hint: "",
        kind: Kind::YesNo,
    },
    Question {
        slug: "electric",
        field: "electric",
        heading: "Would you prefer an electric vehicle?",
        key: "Electric vehicle",
        hint: "Electric vehicles are shown first when they suit you",
        kind: Kind::YesNo,
    },
];

pub fn question(slug: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.slug == slug)
}

/// The questions only schemes need, with the fact each gives: not asked
/// when no live scheme of the council reads that fact (the rest the
/// service itself needs — where the household lives, what it must travel
/// in — or the API requires).
const FOR_SCHEMES: &[(&str, &str)] = &[
    ("income", "household.annualIncomePence"),
    ("benefits", "household.benefits"),
    ("age", "household.leadAge"),
];

/// The form field that names a question not asked (one value each).
pub const SKIPPED: &str = "skip";

/// Marks in `form` each question of [`FOR_SCHEMES`] whose fact none of the
/// council's live schemes reads (`facts_in_use`, from `Council.factsInUse`)
/// as not asked, unless it was answered already.
pub fn skip_unused(form: &mut FormData, facts_in_use: &[String]) {
    form.0.retain(|(k, _)| k != SKIPPED);
    for (field, fact) in FOR_SCHEMES {
        if !facts_in_use.iter().any(|f| f == fact) && !form.0.iter().any(|(k, _)| k == field) {
            form.0.push((SKIPPED.to_string(), field.to_string()));
        }
    }
}

/// The questions `form` asks, in order.
pub fn asked(form: &FormData) -> impl Iterator<Item = &'static Question> + '_ {
    let skipped = form.all(SKIPPED);
    QUESTIONS.iter().filter(move |q| !skipped.contains(&q.field))
}

/// The question asked before `slug`.
pub fn before(slug: &str, form: &FormData) -> Option<&'static Question> {
    asked(form).take_while(|q| q.slug != slug).last()
}

/// The first question asked that `form` has no answer to.
pub fn first_unanswered(form: &FormData) -> Option<&'static Question> {
    asked(form).find(|q| !q.answered(form))
}

/// Replaces `q`'s answer in `form` with `values`.
pub fn replace(form: &mut FormData, q: &Question, values: Vec<(String, String)>) {
    // Answered, so asked after all.
    form.0.retain(|(k, v)| k != q.field && !(k == SKIPPED && v == q.field));
    form.0.extend(values);
}

/// A whole number in `min..=max`, or the message for `field`.
fn number(
    form: &FormData,
    field: &str,
    min: i64,
    max: i64,
    errors: &mut Errors,
    empty: &str,
    range: &str,
) -> Option<i64> {
    let raw = form.get(field);
    if raw.is_empty() {
        errors.add(field, empty);
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.add(field, range);
            None
        }
    }
}

/// A full UK postcode as people write it, `OX28 4AB`
/// (`roundabout_api::postcode::written`, the eligibility service's rule).
pub fn normalise_postcode(raw: &str) -> Option<String> {
    roundabout_api::postcode::written(raw)
}

/// A whole set of answers, checked.
#[derive(Debug)]
pub struct Answers {
    pub postcode: String,
    pub members: i64,
    /// None: "I would rather not say".
    pub band: Option<&'static Band>,
    pub cars: i64,
    pub blue_badge: bool,
    pub benefits: Vec<String>,
    pub age: Option<i64>,
    pub seats: i64,
    pub wheelchair: bool,
    pub electric: bool,
}

/// The income a household gave before, to keep when its band is chosen again.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GivenIncome {
    pub annual_income_pence: Option<i64>,
    pub income_band: Option<BandGiven>,
}

/// A band as the API returns it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BandGiven {
    pub from_pence: Option<i64>,
    pub below_pence: Option<i64>,
}

impl Answers {
    /// Checks every answer in `form`; each problem goes to its field.
    pub fn check(form: &FormData, errors: &mut Errors, strict: bool) -> Option<Self> {
        let mut kept = FormData::default();
        for q in asked(form) {
            if let Some(values) = q.check(form, errors, strict) {
                kept.0.extend(values);
            }
        }
        if !errors.is_empty() {
            return None;
        }
        let n = |f: &str| kept.get(f).parse::<i64>().ok();
        Some(Self {
            postcode: kept.get("postcode").to_string(),
            members: n("members")?,
            band: INCOME_BANDS.iter().find(|b| b.value == kept.get("income")),
            cars: n("cars")?,
            blue_badge: kept.get("blue-badge") == "yes",
            benefits: kept
                .all("benefits")
                .into_iter()
                .filter(|b| *b != "none")
                .map(str::to_string)
                .collect(),
            age: n("age"),
            seats: n("seats")?,
            wheelchair: kept.get("wheelchair") == "yes",
            electric: kept.get("electric") == "yes",
        })
    }

    /// The income to send: the figure given before when the chosen band
    /// still contains it (with the band it was given as, if any), else the
    /// chosen band with its top as the figure.
    pub fn income(&self, before: &GivenIncome) -> (Option<i64>, Value) {
        let Some(band) = self.band else {
            return (None, Value::Null);
        };
        let chosen = BandGiven {
            from_pence: band.from,
            below_pence: band.below,
        };
        match before.annual_income_pence {
            // Given as a figure: the figure stays, exactly.
            Some(p) if band.contains(p) && before.income_band.is_none() => (Some(p), Value::Null),
            // Given as this band before: the same figure and band.
            Some(p) if band.contains(p) && before.income_band == Some(chosen) => (Some(p), band.api()),
            _ => (Some(band.top()), band.api()),
        }
    }

    /// The facts as `HouseholdProfileInput` and `CheckEligibilityInput` share them.
    pub fn facts(&self, before: &GivenIncome) -> serde_json::Map<String, Value> {
        let (income, band) = self.income(before);
        let v = json!({
            "postcode": self.postcode, "members": self.members,
            "annualIncomePence": income, "incomeBand": band, "carsOwned": self.cars,
            "blueBadge": self.blue_badge, "benefits": self.benefits, "leadAge": self.age,
            "needs": {"seats": self.seats, "wheelchairAccessible": self.wheelchair, "electricPreferred": self.electric},
        });
        match v {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }
}

/// Answers in progress, kept in the session cookie: whose they are
/// (`owner`: "check" for the signed-out checker, else the base path of the
/// household's pages), the council chosen and the answers as form fields.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Draft {
    #[serde(rename = "o")]
    pub owner: String,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub council: Option<String>,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub council_name: Option<String>,
    #[serde(rename = "f", default)]
    pub fields: Vec<(String, String)>,
}

/// The most fields a draft keeps (every answer with all benefits is 15;
/// at most 3 questions not asked).
pub const MAX_DRAFT_FIELDS: usize = 20;

impl Draft {
    pub fn form(&self) -> FormData {
        FormData(self.fields.clone())
    }
}

#[cfg(test)]
mod tests;
