//! A scheme's checks and life cycle: its test cases, and publishing,
//! revising, pausing or closing it.

use super::*;
use roundabout_api::ErrorCode;

// ---------------------------------------------------------------- test cases

#[derive(Template)]
#[template(path = "officer/scheme_test_case.html")]
struct TestCasePage {
    l: Layout,
    s: Scheme,
    form: FormData,
    errors: Errors,
    benefits: &'static [(&'static str, &'static str)],
}

pub(super) async fn test_case_page(State(s): State<AppState>, user: OfficerUser, Path(id): Path<String>) -> PageResult {
    let (_, sc) = scheme(&s, &user, &id).await?;
    render(&TestCasePage {
        l: Layout::new(&user.session, "Add a test case", "/officer/schemes"),
        s: sc,
        form: FormData::default(),
        errors: Errors::default(),
        benefits: BENEFITS,
    })
}

/// The test case's facts (`{"household": {…}}`) from the form; an empty
/// field is a fact not known.
fn test_facts(form: &FormData, errors: &mut Errors) -> Value {
    let mut h = serde_json::Map::new();
    let mut needs = serde_json::Map::new();
    let mut int = |field: &str, min: i64, max: i64, what: &str| -> Option<i64> {
        match form.get(field) {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Some(n),
                _ => {
                    errors.add(field, format!("{what} must be a whole number from {min} to {max}"));
                    None
                }
            },
        }
    };
    if let Some(n) = int("members", 1, 30, "The number of people") {
        h.insert("members".into(), json!(n));
    }
    if let Some(n) = int("cars", 0, 20, "The number of cars") {
        h.insert("carsOwned".into(), json!(n));
    }
    if let Some(n) = int("age", 16, 120, "The lead member's age") {
        h.insert("leadAge".into(), json!(n));
    }
    if let Some(n) = int("seats", 1, 16, "The seats needed") {
        needs.insert("seats".into(), json!(n));
    }
    match form.get("income") {
        "" => {}
        v => match criteria::parse_pence(v) {
            Some(p) if p <= 100_000_000_000 => {
                h.insert("annualIncomePence".into(), json!(p));
            }
            _ => errors.add("income", "The income must be an amount in pounds, like 18000"),
        },
    }
    let yes_no = |field: &str| match form.get(field) {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    if let Some(b) = yes_no("blue-badge") {
        h.insert("blueBadge".into(), json!(b));
    }
    if let Some(b) = yes_no("wheelchair") {
        needs.insert("wheelchairAccessible".into(), json!(b));
    }
    if let Some(b) = yes_no("electric") {
        needs.insert("electricPreferred".into(), json!(b));
    }
    if form.get("benefits-known") == "yes" {
        let list: Vec<&str> = BENEFITS
            .iter()
            .map(|b| b.0)
            .filter(|b| form.has("benefits", b))
            .collect();
        h.insert("benefits".into(), json!(list));
    }
    if !needs.is_empty() {
        h.insert("needs".into(), Value::Object(needs));
    }
    json!({"household": h})
}

pub(super) async fn add_test_case(
    State(s): State<AppState>,
    user: OfficerUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let (_, sc) = scheme(&s, &user, &id).await?;
    let mut errors = Errors::default();
    let name = form.get("name").to_string();
    if name.is_empty() {
        errors.add("name", "Enter a name for the test case, like ‘Low income, no car’");
    }
    let facts = test_facts(&form, &mut errors);
    let expect = match form.get("expect") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("expect", "Choose whether this household should get the scheme");
            None
        }
    };
    if let (true, Some(expect)) = (errors.is_empty(), expect) {
        let v: Value = match s
            .gateway
            .query(
                Some(&user.token),
                "mutation($input: SchemeTestCaseInput!) { addSchemeTestCase(input: $input) { scheme { testCases { name expectEligible lastResult } } userErrors { field code message } } }",
                json!({"input": {"schemeId": sc.id, "name": name, "facts": facts, "expectEligible": expect}}),
            )
            .await
        {
            Ok(v) => v,
            Err(GatewayError::Invalid(m)) => {
                json!({"addSchemeTestCase": {"userErrors": [{"code": ErrorCode::InvalidInput, "message": m}]}})
            }
            Err(e) => return Err(e.into()),
        };
        let p = &v["addSchemeTestCase"];
        let user_errors: Vec<UserError> = serde_json::from_value(p["userErrors"].clone()).unwrap_or_default();
        if user_errors.is_empty() {
            let case = p["scheme"]["testCases"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["name"] == name.as_str()));
            let result = match case.map(|c| (c["lastResult"].as_bool(), c["expectEligible"].as_bool())) {
                Some((Some(r), Some(e))) if r == e => "it passes",
                Some((Some(_), Some(_))) => "it fails: the scheme decides otherwise",
                _ => "it has not run yet",
            };
            let data = user
                .session
                .data
                .with_flash(format!("The test case {name} is added: {result}."));
            return Ok(with_session(
                see_other(&format!("/officer/schemes/{}#test-cases", sc.id)),
                data,
            ));
        }
        errors = Errors::from_user_errors(&user_errors, "name", |f| match f {
            "facts" => Some("members"),
            "name" => Some("name"),
            _ => None,
        });
    }
    render_refused(&TestCasePage {
        l: Layout::new(&user.session, "Add a test case", "/officer/schemes").with_errors(&errors),
        s: sc,
        form,
        errors,
        benefits: BENEFITS,
    })
}

// ---------------------------------------------------------------- life cycle

/// A step: (path, mutation, heading, what happens, button, warning?).
struct Step {
    path: &'static str,
    mutation: &'static str,
    heading: &'static str,
    explain: &'static str,
    button: &'static str,
    warning: bool,
    done: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        path: "publish",
        mutation: "publishScheme",
        heading: "Publish",
        explain: "Households who meet every criterion can get it from its start date, or from now if it has none. Every test case runs first: if one fails, the scheme is not published.",
        button: "Publish scheme",
        warning: false,
        done: "is published",
    },
    Step {
        path: "revise",
        mutation: "reviseScheme",
        heading: "Start a new version of",
        explain: "The new version is a draft you can change. The published version keeps applying until you publish the new one.",
        button: "Start a new version",
        warning: false,
        done: "has a new draft version",
    },
    Step {
        path: "pause",
        mutation: "pauseScheme",
        heading: "Pause",
        explain: "Households cannot get it until you publish it again.",
        button: "Pause scheme",
        warning: true,
        done: "is paused",
    },
    Step {
        path: "close",
        mutation: "closeScheme",
        heading: "Close",
        explain: "It ends now, for good: it cannot be published again. To change a published scheme instead, start a new version.",
        button: "Close scheme",
        warning: true,
        done: "is closed",
    },
];

#[derive(Template)]
#[template(path = "officer/scheme_confirm.html")]
struct ConfirmPage {
    l: Layout,
    s: Scheme,
    step: &'static Step,
    /// The API's refusal and where the page links for it.
    refusal: Option<(String, String)>,
}

fn find_step(path: &str) -> Result<&'static Step, PageError> {
    STEPS.iter().find(|s| s.path == path).ok_or(PageError::NotFound)
}

pub(super) async fn confirm_page(
    State(s): State<AppState>,
    user: OfficerUser,
    Path((id, step)): Path<(String, String)>,
) -> PageResult {
    let step = find_step(&step)?;
    let (_, sc) = scheme(&s, &user, &id).await?;
    render(&ConfirmPage {
        l: Layout::new(
            &user.session,
            format!("{} {}", step.heading, sc.name),
            "/officer/schemes",
        ),
        s: sc,
        step,
        refusal: None,
    })
}

pub(super) async fn do_step(
    State(s): State<AppState>,
    user: OfficerUser,
    Path((id, step)): Path<(String, String)>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let step = find_step(&step)?;
    let (_, sc) = scheme(&s, &user, &id).await?;
    let v: Value = s
        .gateway
        .query(
            Some(&user.token),
            &format!(
                "mutation($id: ID!) {{ {}(id: $id) {{ scheme {{ id version }} userErrors {{ field code message }} }} }}",
                step.mutation
            ),
            json!({"id": sc.id}),
        )
        .await?;
    let p = &v[step.mutation];
    let user_errors: Vec<UserError> = serde_json::from_value(p["userErrors"].clone()).unwrap_or_default();
    if let (None, Some(new_id)) = (user_errors.first(), p["scheme"]["id"].as_str()) {
        let message = match step.path {
            "revise" => format!(
                "Version {} of {} is a draft: change it, then publish it.",
                p["scheme"]["version"], sc.name
            ),
            _ => format!("{} {}.", sc.name, step.done),
        };
        let data = user.session.data.with_flash(message);
        return Ok(with_session(see_other(&format!("/officer/schemes/{new_id}")), data));
    }
    let first = user_errors.first();
    let message = first.map_or_else(|| "The scheme could not be changed".to_string(), |e| e.message.clone());
    let href = match first.and_then(UserError::error_code) {
        Some(ErrorCode::TestCaseFailed) => format!("/officer/schemes/{}#test-cases", sc.id),
        _ if first.and_then(|e| e.field_name()).is_some() && sc.status == "DRAFT" => {
            format!("/officer/schemes/{}/edit", sc.id)
        }
        _ => format!("/officer/schemes/{}", sc.id),
    };
    let mut l = Layout::new(
        &user.session,
        format!("{} {}", step.heading, sc.name),
        "/officer/schemes",
    );
    l.has_errors = true;
    render_refused(&ConfirmPage {
        l,
        s: sc,
        step,
        refusal: Some((message, href)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_case_facts_are_in_the_catalogue_shape() {
        let mut form = FormData::default();
        for (k, v) in [
            ("members", "2"),
            ("income", "18,000"),
            ("blue-badge", "no"),
            ("benefits-known", "yes"),
            ("benefits", "universal_credit"),
            ("seats", "4"),
        ] {
            form.0.push((k.into(), v.into()));
        }
        let mut errors = Errors::default();
        let f = test_facts(&form, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(
            f,
            json!({"household": {"members": 2, "annualIncomePence": 1_800_000, "blueBadge": false,
                "benefits": ["universal_credit"], "needs": {"seats": 4}}})
        );
        form.set("members", "none");
        test_facts(&form, &mut errors);
        assert!(errors.get("members").is_some());
    }
}
