//! "About your household": the household's answers as a GOV.UK "Check your
//! answers" summary, each with a Change link to its own question page
//! (saved as soon as it is answered). A household without a profile yet
//! answers the questions one a page, kept in the session until it saves
//! them all. The postcode gives the location through the council's
//! postcode lookup (`locatePostcode`). The one-page form (`POST …/profile`
//! with every field) still saves everything at once.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::questions::{self, Answers, Draft, GivenIncome, Question};
use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{acting::Acting, render, render_refused, with_session},
    views::Layout,
    AppState,
};

/// The benefits asked about (officers' pages name them the same way).
use crate::pages::vocabulary::{band_of, Band, BENEFITS, INCOME_BANDS};

pub fn router(prefix: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{prefix}/profile"), get(summary).post(save_all))
        .route(
            &format!("{prefix}/profile/{{question}}"),
            get(question_page).post(answer),
        )
}

/// The one-page form, shown again when a whole form is refused.
#[derive(Template)]
#[template(path = "household/profile.html")]
struct ProfilePage {
    l: Layout,
    form: FormData,
    errors: Errors,
    council: String,
    bands: &'static [Band],
    benefits: &'static [(&'static str, &'static str)],
}

/// One question on its page.
#[derive(Template)]
#[template(path = "household/question.html")]
pub struct QuestionPage {
    pub l: Layout,
    pub caption: String,
    pub back: String,
    pub action: String,
    pub q: &'static Question,
    pub form: FormData,
    pub errors: Errors,
    pub button: &'static str,
}

/// A row of a summary list.
pub struct Row {
    pub key: String,
    pub value: String,
    pub href: String,
    /// What the Change link changes, for screen readers.
    pub what: String,
}

/// "Check your answers" (and "About your household").
#[derive(Template)]
#[template(path = "household/answers.html")]
pub struct AnswersPage {
    pub l: Layout,
    pub back: Option<String>,
    pub caption: String,
    pub heading: String,
    pub intro: Vec<String>,
    pub rows: Vec<Row>,
    /// A form of hidden fields and its button, or a button link.
    pub form_action: Option<String>,
    pub hidden: Vec<(String, String)>,
    pub button: String,
    pub button_href: Option<String>,
    pub links: Vec<(String, String)>,
}

/// The summary rows of a set of answers, each changed at `{base}/{slug}{suffix}`.
pub fn rows(form: &FormData, base: &str, suffix: &str) -> Vec<Row> {
    questions::QUESTIONS
        .iter()
        .filter(|q| q.answered(form))
        .map(|q| Row {
            key: q.key.to_string(),
            value: q.shown(form),
            href: format!("{base}/{}{suffix}", q.slug),
            what: q.key.to_lowercase(),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    location: Value,
    postcode: Option<String>,
    members: i64,
    annual_income_pence: Option<i64>,
    income_band: Option<questions::BandGiven>,
    cars_owned: i64,
    blue_badge: bool,
    benefits: Vec<String>,
    lead_age: Option<i64>,
    needs: Needs,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Needs {
    seats: i64,
    wheelchair_accessible: bool,
    electric_preferred: bool,
}

impl Profile {
    /// Where the household is, while its postcode stays `postcode`.
    fn known_location(&self) -> Option<(String, Value)> {
        self.postcode.clone().map(|p| (p, self.location.clone()))
    }

    fn given_income(&self) -> GivenIncome {
        GivenIncome {
            annual_income_pence: self.annual_income_pence,
            income_band: self.income_band,
        }
    }
}

#[derive(Deserialize)]
pub struct Council {
    pub id: String,
    pub name: String,
    /// The facts its live schemes read: questions for others are not asked.
    #[serde(default, rename = "factsInUse")]
    pub facts_in_use: Vec<String>,
}

async fn household(s: &AppState, a: &Acting) -> Result<(Council, Option<Profile>), PageError> {
    #[derive(Deserialize)]
    struct H {
        council: Council,
        profile: Option<Profile>,
    }
    let h: H = a
        .household(
            s,
            "",
            "council { id name factsInUse } profile { location { lat lon } postcode members annualIncomePence incomeBand { fromPence belowPence } carsOwned blueBadge benefits leadAge needs { seats wheelchairAccessible electricPreferred } }",
            json!({}),
        )
        .await?;
    Ok((h.council, h.profile))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn form_of(p: &Profile) -> FormData {
    let mut f = FormData::default();
    f.set("postcode", p.postcode.clone().unwrap_or_default());
    f.set("members", p.members.to_string());
    f.set("income", band_of(p.annual_income_pence));
    f.set("cars", p.cars_owned.min(3).to_string());
    f.set("blue-badge", yes_no(p.blue_badge));
    f.0.retain(|(k, _)| k != "benefits");
    for b in &p.benefits {
        f.0.push(("benefits".into(), b.clone()));
    }
    if p.benefits.is_empty() {
        f.set("benefits", "none");
    }
    f.set("age", p.lead_age.map(|a| a.to_string()).unwrap_or_default());
    f.set("seats", p.needs.seats.to_string());
    f.set("wheelchair", yes_no(p.needs.wheelchair_accessible));
    f.set("electric", yes_no(p.needs.electric_preferred));
    f
}

/// Where a postcode of the council is; `None` when its lookup has neither
/// the postcode nor its district.
pub async fn locate(s: &AppState, token: &str, council: &str, postcode: &str) -> Result<Option<Value>, PageError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        locate_postcode: Option<Value>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(token),
            "query($c: ID!, $p: String!) { locatePostcode(councilId: $c, postcode: $p) { lat lon } }",
            json!({"c": council, "p": postcode}),
        )
        .await?;
    Ok(d.locate_postcode)
}

/// Saves a whole set of answers as the household's profile (keeping an
/// income given before while its band is chosen again); the refusals at
/// their fields otherwise.
pub async fn save(
    s: &AppState,
    token: &str,
    household_id: Option<&str>,
    council: &Council,
    answers: &Answers,
    before: &GivenIncome,
    known: Option<(String, Value)>,
) -> Result<Errors, PageError> {
    let mut errors = Errors::default();
    // An unchanged postcode keeps the location found for it before.
    let location = match known.filter(|(p, _)| *p == answers.postcode) {
        Some((_, l)) => Some(l),
        None => locate(s, token, &council.id, &answers.postcode).await?,
    };
    let Some(location) = location else {
        errors.add(
            "postcode",
            format!(
                "We cannot find {} in {}. Check it is your postcode",
                answers.postcode, council.name
            ),
        );
        return Ok(errors);
    };
    let mut input = answers.facts(before);
    input.insert("location".into(), location);
    input.insert("householdId".into(), json!(household_id));
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        update_household_profile: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        user_errors: Vec<UserError>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(token),
            "mutation($input: HouseholdProfileInput!) { updateHouseholdProfile(input: $input) { household { id } userErrors { field code message } } }",
            json!({"input": input}),
        )
        .await?;
    Ok(Errors::from_user_errors(
        &d.update_household_profile.user_errors,
        "postcode",
        |f| match f {
            "location" | "postcode" | "lat" | "lon" => Some("postcode"),
            "members" => Some("members"),
            "annualIncomePence" | "incomeBand" => Some("income"),
            "carsOwned" => Some("cars"),
            "blueBadge" => Some("blue-badge"),
            "benefits" => Some("benefits"),
            "leadAge" => Some("age"),
            "seats" => Some("seats"),
            "wheelchairAccessible" => Some("wheelchair"),
            "electricPreferred" => Some("electric"),
            _ => None,
        },
    ))
}

/// Where the household goes once its details are saved, with the message.
fn saved(user: &Acting, to_summary: bool) -> axum::response::Response {
    if user.household.is_some() {
        let data = user.session.data.with_flash("The household's details are saved.");
        let to = if to_summary {
            format!("{}/profile", user.base())
        } else {
            user.base()
        };
        return with_session(see_other(&to), data);
    }
    let data = user.session.data.with_flash("Your household's details are saved.");
    let data = crate::session::SessionData { draft: None, ..data };
    with_session(see_other(if to_summary { "/profile" } else { "/schemes" }), data)
}

/// The draft of this household's answers in the session, if any, without
/// the questions no live scheme of `council` needs.
fn draft_of(user: &Acting, council: &Council) -> Draft {
    let mut d = user
        .session
        .data
        .draft
        .clone()
        .filter(|d| d.owner == user.base())
        .unwrap_or_else(|| Draft {
            owner: user.base(),
            ..Draft::default()
        });
    let mut form = d.form();
    questions::skip_unused(&mut form, &council.facts_in_use);
    d.fields = form.0;
    d
}

/// `POST …/profile`: every answer at once (the one-page form, or the
/// summary's hidden fields).
async fn save_all(State(s): State<AppState>, user: Acting, CsrfForm(form): CsrfForm) -> PageResult {
    let (council, profile) = household(&s, &user).await?;
    let mut errors = Errors::default();
    let before = profile.as_ref().map(Profile::given_income).unwrap_or_default();
    let known = profile.as_ref().and_then(Profile::known_location);
    match Answers::check(&form, &mut errors, false) {
        Some(answers) => {
            errors = save(&s, &user.token, user.household_id(), &council, &answers, &before, known).await?;
            if errors.is_empty() {
                return Ok(saved(&user, false));
            }
        }
        None => {
            // The postcode is looked up even when other answers are refused,
            // so every problem is said at once.
            if let Some(pc) = questions::normalise_postcode(form.get("postcode")) {
                if locate(&s, &user.token, &council.id, &pc).await?.is_none() {
                    errors.add(
                        "postcode",
                        format!("We cannot find {pc} in {}. Check it is your postcode", council.name),
                    );
                    let pos = errors.0.len() - 1;
                    let e = errors.0.remove(pos);
                    errors.0.insert(0, e);
                }
            }
        }
    }
    render_refused(&ProfilePage {
        l: user.layout("About your household", "/profile").with_errors(&errors),
        form,
        errors,
        council: council.name,
        bands: INCOME_BANDS,
        benefits: BENEFITS,
    })
}

/// `GET …/profile`: the answers with Change links; before the first save,
/// the questions answered so far and the way on.
async fn summary(State(s): State<AppState>, user: Acting) -> PageResult {
    let (council, profile) = household(&s, &user).await?;
    let base = format!("{}/profile", user.base());
    let own = user.household.is_none();
    let mut page = AnswersPage {
        l: user.layout("About your household", "/profile"),
        back: None,
        caption: council.name.clone(),
        heading: "About your household".into(),
        intro: Vec::new(),
        rows: Vec::new(),
        form_action: None,
        hidden: Vec::new(),
        button: String::new(),
        button_href: None,
        links: Vec::new(),
    };
    match profile {
        Some(p) => {
            page.intro.push(format!(
                "Your answers decide which council schemes {} and which vehicles we show. Only {} and officers of {} can see them.",
                if own { "you can get" } else { "the household can get" },
                if own { "you" } else { "the household" },
                council.name
            ));
            page.rows = rows(&form_of(&p), &base, "");
            if own {
                page.links.push(("See what you can get".into(), "/schemes".into()));
            }
        }
        None => {
            let form = draft_of(&user, &council).form();
            page.rows = rows(&form, &base, "");
            match questions::first_unanswered(&form) {
                Some(q) => {
                    page.intro.push(format!(
                        "We will ask {} questions, one at a time, about {} and your travel needs. Your answers decide which of {}'s schemes {}.",
                        questions::asked(&form).count(),
                        if own { "your household" } else { "the household" },
                        council.name,
                        if own { "you can get" } else { "it can get" },
                    ));
                    page.button = if page.rows.is_empty() { "Start" } else { "Continue" }.into();
                    page.button_href = Some(format!("{base}/{}", q.slug));
                }
                None => {
                    page.heading = "Check your answers".into();
                    page.intro
                        .push("Check your answers, then save them to see what you can get.".into());
                    page.form_action = Some(base.clone());
                    page.hidden = form.0.clone();
                    page.button = "Save and see what you can get".into();
                }
            }
        }
    }
    if !own {
        page.links.push(("Back to the household's page".into(), user.base()));
    }
    render(&page)
}

#[derive(Deserialize, Default)]
pub struct ChangeQuery {
    #[serde(default)]
    pub change: Option<String>,
}

/// The question a path names (under an officer's prefix the path also
/// names the household).
fn question_in(params: &[(String, String)]) -> Result<&'static Question, PageError> {
    params
        .iter()
        .find(|(k, _)| k == "question")
        .and_then(|(_, v)| questions::question(v))
        .ok_or(PageError::NotFound)
}

fn question_layout(user: &Acting, q: &Question, errors: &Errors) -> Layout {
    user.layout(q.heading, "/profile").with_errors(errors)
}

/// `GET …/profile/{question}`: one question, with the answer given.
async fn question_page(
    State(s): State<AppState>,
    user: Acting,
    Path(params): Path<Vec<(String, String)>>,
    Query(change): Query<ChangeQuery>,
) -> PageResult {
    let q = question_in(&params)?;
    let (council, profile) = household(&s, &user).await?;
    let base = format!("{}/profile", user.base());
    let (form, back) = match &profile {
        Some(p) => (form_of(p), base.clone()),
        None => {
            let form = draft_of(&user, &council).form();
            let back = match (change.change.is_some(), questions::before(q.slug, &form)) {
                (false, Some(prev)) => format!("{base}/{}", prev.slug),
                _ => base.clone(),
            };
            (form, back)
        }
    };
    render(&QuestionPage {
        l: question_layout(&user, q, &Errors::default()),
        caption: council.name,
        back,
        action: format!(
            "{base}/{}{}",
            q.slug,
            if change.change.is_some() { "?change=1" } else { "" }
        ),
        q,
        form,
        errors: Errors::default(),
        button: if profile.is_some() { "Save" } else { "Continue" },
    })
}

/// `POST …/profile/{question}`: with a profile, saves the one answer at
/// once and returns to the summary; before the first save, keeps it in the
/// session and goes on to the next question.
async fn answer(
    State(s): State<AppState>,
    user: Acting,
    Path(params): Path<Vec<(String, String)>>,
    Query(change): Query<ChangeQuery>,
    CsrfForm(posted): CsrfForm,
) -> PageResult {
    let q = question_in(&params)?;
    let (council, profile) = household(&s, &user).await?;
    let base = format!("{}/profile", user.base());
    let mut errors = Errors::default();
    if let Some(values) = q.check(&posted, &mut errors, true) {
        match &profile {
            Some(p) => {
                let mut form = form_of(p);
                questions::replace(&mut form, q, values);
                if let Some(answers) = Answers::check(&form, &mut errors, false) {
                    errors = save(
                        &s,
                        &user.token,
                        user.household_id(),
                        &council,
                        &answers,
                        &p.given_income(),
                        p.known_location(),
                    )
                    .await?;
                    if errors.is_empty() {
                        return Ok(saved(&user, true));
                    }
                }
            }
            None => {
                if q.field == "postcode" {
                    let pc = values.first().map(|v| v.1.clone()).unwrap_or_default();
                    if locate(&s, &user.token, &council.id, &pc).await?.is_none() {
                        errors.add(
                            "postcode",
                            format!("We cannot find {pc} in {}. Check it is your postcode", council.name),
                        );
                    }
                }
                if errors.is_empty() {
                    let mut draft = draft_of(&user, &council);
                    let mut form = draft.form();
                    questions::replace(&mut form, q, values);
                    form.0.truncate(questions::MAX_DRAFT_FIELDS);
                    draft.fields = form.0;
                    let next = match (change.change.is_some(), questions::first_unanswered(&draft.form())) {
                        (false, Some(n)) => format!("{base}/{}", n.slug),
                        _ => base.clone(),
                    };
                    let data = crate::session::SessionData {
                        draft: Some(draft),
                        ..user.session.data.clone()
                    };
                    return Ok(with_session(see_other(&next), data));
                }
            }
        }
    }
    let asked = draft_of(&user, &council).form();
    let back = match (
        profile.is_some() || change.change.is_some(),
        questions::before(q.slug, &asked),
    ) {
        (false, Some(prev)) => format!("{base}/{}", prev.slug),
        _ => base.clone(),
    };
    render_refused(&QuestionPage {
        l: question_layout(&user, q, &errors),
        caption: council.name,
        back,
        action: format!(
            "{base}/{}{}",
            q.slug,
            if change.change.is_some() { "?change=1" } else { "" }
        ),
        q,
        form: posted,
        errors,
        button: if profile.is_some() { "Save" } else { "Continue" },
    })
}
