//! "Check what you could get", before any account (GOV.UK: start page,
//! question pages one thing at a time, check your answers, result). The
//! postcode finds the council (several: the person chooses; none: the page
//! says the service does not cover it); then the household's questions one
//! a page, kept in the session; "Check your answers" with Change links;
//! and the result, from `checkEligibility` — nothing is stored. "Create an
//! account to book" signs up with the council chosen, and the answers are
//! saved as the new household's profile (see [`super::auth`]).

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    routing::get,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    household::{
        profile::{rows, AnswersPage, ChangeQuery, QuestionPage},
        questions::{self, Answers, Draft, GivenIncome, MAX_DRAFT_FIELDS},
        schemes::Decision,
    },
    render, render_refused, with_session,
};
use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    session::{Session, SessionData},
    views::Layout,
    AppState,
};

/// Whose draft the checker's is.
pub const OWNER: &str = "check";
const BASE: &str = "/check";
const CAPTION: &str = "Check what you could get";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(BASE, get(postcode_page).post(postcode))
        .route("/check/council", get(council_page).post(choose_council))
        .route("/check/answers", get(answers))
        .route("/check/result", get(result))
        .route("/check/{question}", get(question_page).post(answer))
}

/// The checker's answers so far.
pub fn draft(session: &Session) -> Option<Draft> {
    session.data.draft.clone().filter(|d| d.owner == OWNER)
}

fn with_draft(session: &Session, draft: Draft) -> SessionData {
    SessionData {
        draft: Some(draft),
        ..session.data.clone()
    }
}

/// A signed-in household checks and changes its answers on its own pages.
fn signed_in_household(session: &Session) -> bool {
    session.data.token.is_some() && session.data.role.as_deref() == Some("HOUSEHOLD")
}

fn postcode_question() -> &'static questions::Question {
    &questions::QUESTIONS[0]
}

fn change_suffix(change: &ChangeQuery) -> &'static str {
    if change.change.is_some() {
        "?change=1"
    } else {
        ""
    }
}

fn question_view(
    session: &Session,
    q: &'static questions::Question,
    form: FormData,
    errors: Errors,
    back: String,
    change: &ChangeQuery,
) -> QuestionPage {
    let action = if q.slug == "postcode" {
        format!("{BASE}{}", change_suffix(change))
    } else {
        format!("{BASE}/{}{}", q.slug, change_suffix(change))
    };
    QuestionPage {
        l: Layout::new(session, q.heading, "").with_errors(&errors),
        caption: CAPTION.into(),
        back,
        action,
        q,
        form,
        errors,
        button: "Continue",
    }
}

/// `GET /check`: the first question, the postcode.
async fn postcode_page(session: Session, Query(change): Query<ChangeQuery>) -> PageResult {
    if signed_in_household(&session) {
        return Ok(see_other("/profile"));
    }
    let form = draft(&session).map(|d| d.form()).unwrap_or_default();
    let back = if change.change.is_some() { "/check/answers" } else { "/" };
    render(&question_view(
        &session,
        postcode_question(),
        form,
        Errors::default(),
        back.into(),
        &change,
    ))
}

#[derive(Deserialize, Clone)]
pub struct CouncilChoice {
    pub id: String,
    pub name: String,
    /// The facts its live schemes read: questions for others are not asked.
    #[serde(default, rename = "factsInUse")]
    pub facts_in_use: Vec<String>,
}

async fn councils_for(s: &AppState, postcode: &str) -> Result<Vec<CouncilChoice>, PageError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        councils_for_postcode: Vec<CouncilChoice>,
    }
    let d: Data = s
        .gateway
        .query(
            None,
            "query($p: String!) { councilsForPostcode(postcode: $p) { id name factsInUse } }",
            json!({"p": postcode}),
        )
        .await?;
    Ok(d.councils_for_postcode)
}

#[derive(Template)]
#[template(path = "checker/not_covered.html")]
struct NotCovered {
    l: Layout,
    postcode: String,
}

#[derive(Template)]
#[template(path = "checker/council.html")]
struct CouncilPage {
    l: Layout,
    postcode: String,
    councils: Vec<CouncilChoice>,
    errors: Errors,
}

/// The draft with the postcode (and the council, when known) replaced.
fn draft_for(session: &Session, postcode: &str, council: Option<&CouncilChoice>) -> Draft {
    let mut d = draft(session).unwrap_or_else(|| Draft {
        owner: OWNER.into(),
        ..Draft::default()
    });
    let mut form = d.form();
    questions::replace(
        &mut form,
        postcode_question(),
        vec![("postcode".into(), postcode.into())],
    );
    if let Some(c) = council {
        questions::skip_unused(&mut form, &c.facts_in_use);
    }
    form.0.truncate(MAX_DRAFT_FIELDS);
    d.fields = form.0;
    d.council = council.map(|c| c.id.clone());
    d.council_name = council.map(|c| c.name.clone());
    d
}

/// Where to go once the council is known.
fn onward(draft: &Draft, change: bool) -> String {
    match (change, questions::first_unanswered(&draft.form())) {
        (false, Some(q)) => format!("{BASE}/{}", q.slug),
        _ => "/check/answers".into(),
    }
}

/// `POST /check`: finds the councils covering the postcode.
async fn postcode(
    State(s): State<AppState>,
    session: Session,
    Query(change): Query<ChangeQuery>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let mut errors = Errors::default();
    let Some(values) = postcode_question().check(&form, &mut errors, true) else {
        let back = if change.change.is_some() { "/check/answers" } else { "/" };
        return render_refused(&question_view(
            &session,
            postcode_question(),
            form,
            errors,
            back.into(),
            &change,
        ));
    };
    let pc = values.first().map(|v| v.1.clone()).unwrap_or_default();
    let councils = councils_for(&s, &pc).await?;
    match councils.as_slice() {
        [] => render(&NotCovered {
            l: Layout::new(&session, "This service does not cover your area yet", ""),
            postcode: pc,
        }),
        [one] => {
            let d = draft_for(&session, &pc, Some(one));
            let to = onward(&d, change.change.is_some());
            Ok(with_session(see_other(&to), with_draft(&session, d)))
        }
        _ => {
            let d = draft_for(&session, &pc, None);
            Ok(with_session(see_other("/check/council"), with_draft(&session, d)))
        }
    }
}

/// `GET /check/council`: more than one council covers the postcode.
async fn council_page(State(s): State<AppState>, session: Session) -> PageResult {
    let Some(d) = draft(&session) else {
        return Ok(see_other(BASE));
    };
    let postcode = d.form().get("postcode").to_string();
    let councils = councils_for(&s, &postcode).await?;
    render(&CouncilPage {
        l: Layout::new(&session, "Which council do you live in?", ""),
        postcode,
        councils,
        errors: Errors::default(),
    })
}

/// `POST /check/council`: one of the councils covering the postcode.
async fn choose_council(State(s): State<AppState>, session: Session, CsrfForm(form): CsrfForm) -> PageResult {
    let Some(d) = draft(&session) else {
        return Ok(see_other(BASE));
    };
    let postcode = d.form().get("postcode").to_string();
    let councils = councils_for(&s, &postcode).await?;
    match councils.iter().find(|c| c.id == form.get("council")) {
        Some(c) => {
            let d = draft_for(&session, &postcode, Some(c));
            let to = onward(&d, false);
            Ok(with_session(see_other(&to), with_draft(&session, d)))
        }
        None => {
            let mut errors = Errors::default();
            errors.add("council", "Select the council you live in");
            render_refused(&CouncilPage {
                l: Layout::new(&session, "Which council do you live in?", "").with_errors(&errors),
                postcode,
                councils,
                errors,
            })
        }
    }
}

/// The checker's draft with its council, or where to go instead.
fn started(session: &Session) -> Result<Draft, &'static str> {
    if signed_in_household(session) {
        return Err("/profile");
    }
    match draft(session) {
        Some(d) if d.council.is_some() => Ok(d),
        _ => Err(BASE),
    }
}

fn back_from(q: &questions::Question, form: &FormData, change: bool) -> String {
    match (change, questions::before(q.slug, form)) {
        (true, _) => "/check/answers".into(),
        (false, Some(prev)) if prev.slug == "postcode" => BASE.into(),
        (false, Some(prev)) => format!("{BASE}/{}", prev.slug),
        (false, None) => "/".into(),
    }
}

/// `GET /check/{question}`.
async fn question_page(session: Session, Path(slug): Path<String>, Query(change): Query<ChangeQuery>) -> PageResult {
    let q = questions::question(&slug)
        .filter(|q| q.slug != "postcode")
        .ok_or(PageError::NotFound)?;
    let d = match started(&session) {
        Ok(d) => d,
        Err(to) => return Ok(see_other(to)),
    };
    let back = back_from(q, &d.form(), change.change.is_some());
    render(&question_view(&session, q, d.form(), Errors::default(), back, &change))
}

/// `POST /check/{question}`: keeps the answer and goes on.
async fn answer(
    session: Session,
    Path(slug): Path<String>,
    Query(change): Query<ChangeQuery>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let q = questions::question(&slug)
        .filter(|q| q.slug != "postcode")
        .ok_or(PageError::NotFound)?;
    let mut d = match started(&session) {
        Ok(d) => d,
        Err(to) => return Ok(see_other(to)),
    };
    let mut errors = Errors::default();
    let Some(values) = q.check(&form, &mut errors, true) else {
        let back = back_from(q, &d.form(), change.change.is_some());
        return render_refused(&question_view(&session, q, form, errors, back, &change));
    };
    let mut kept = d.form();
    questions::replace(&mut kept, q, values);
    kept.0.truncate(MAX_DRAFT_FIELDS);
    d.fields = kept.0;
    let to = onward(&d, change.change.is_some());
    Ok(with_session(see_other(&to), with_draft(&session, d)))
}

/// `GET /check/answers`: "Check your answers".
async fn answers(session: Session) -> PageResult {
    let d = match started(&session) {
        Ok(d) => d,
        Err(to) => return Ok(see_other(to)),
    };
    let form = d.form();
    if let Some(q) = questions::first_unanswered(&form) {
        return Ok(see_other(&format!("{BASE}/{}", q.slug)));
    }
    let mut rows = rows(&form, BASE, "?change=1");
    if let Some(r) = rows.first_mut() {
        // The postcode's page is /check itself.
        r.href = "/check?change=1".into();
    }
    rows.insert(
        0,
        super::household::profile::Row {
            key: "Council".into(),
            value: d.council_name.clone().unwrap_or_default(),
            href: "/check?change=1".into(),
            what: "council (by changing your postcode)".into(),
        },
    );
    render(&AnswersPage {
        l: Layout::new(&session, "Check your answers", ""),
        back: Some(format!("{BASE}/electric")),
        caption: CAPTION.into(),
        heading: "Check your answers".into(),
        intro: vec![
            "We use your answers only to check what you could get. We do not keep them unless you create an account."
                .into(),
        ],
        rows,
        form_action: None,
        hidden: Vec::new(),
        button: "See what you could get".into(),
        button_href: Some("/check/result".into()),
        links: Vec::new(),
    })
}

#[derive(Template)]
#[template(path = "checker/result.html")]
struct ResultPage {
    l: Layout,
    council: String,
    decisions: Vec<Decision>,
    eligible: usize,
    full_price: (&'static str, &'static str),
    answers_href: &'static str,
}

/// `GET /check/result`: the council's schemes decided for the answers.
async fn result(State(s): State<AppState>, session: Session) -> PageResult {
    let d = match started(&session) {
        Ok(d) => d,
        Err(to) => return Ok(see_other(to)),
    };
    let mut errors = Errors::default();
    let Some(answers) = Answers::check(&d.form(), &mut errors, false) else {
        return Ok(see_other("/check/answers"));
    };
    let mut input = answers.facts(&GivenIncome::default());
    input.insert("councilId".into(), json!(d.council));
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        check_eligibility: Payload,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload {
        decisions: Vec<Decision>,
        user_errors: Vec<UserError>,
    }
    let data: Data = s
        .gateway
        .query(
            None,
            "query($input: CheckEligibilityInput!) { checkEligibility(input: $input) { decisions { eligible scheme { name appliesTo subsidy { percentBasisPoints capPerBookingPence } } reasons { label passed explanation } } userErrors { field code message } } }",
            json!({"input": Value::Object(input)}),
        )
        .await?;
    if !data.check_eligibility.user_errors.is_empty() {
        // The council has gone, or an answer is refused: start again.
        return Ok(with_session(
            see_other(BASE),
            SessionData {
                draft: None,
                ..session.data.clone()
            },
        ));
    }
    let mut decisions = data.check_eligibility.decisions;
    decisions.sort_by_key(|d| !d.eligible);
    render(&ResultPage {
        l: Layout::new(&session, "What you could get", ""),
        council: d.council_name.unwrap_or_default(),
        eligible: decisions.iter().filter(|d| d.eligible).count(),
        decisions,
        full_price: ("Create an account to hire or lease a vehicle", "/sign-up"),
        answers_href: "/check/answers",
    })
}
