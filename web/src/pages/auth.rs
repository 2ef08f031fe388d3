//! Start page, sign in, sign up (households and providers), sign out.

use askama::Template;
use axum::{
    extract::{Query, State},
    routing::get,
    Router,
};
use roundabout_api::ErrorCode;
use serde::Deserialize;
use serde_json::json;

use super::{render, render_refused, with_session};
use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FieldError, FormData},
    gateway::{GatewayError, UserError},
    redirect::safe_next,
    session::{home_of, Session, SessionData},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(start))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-up", get(sign_up_page).post(sign_up))
        .route("/provider/sign-up", get(provider_sign_up_page).post(provider_sign_up))
        .route("/sign-out", get(sign_out_page).post(sign_out))
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    l: Layout,
}

async fn start(session: Session) -> PageResult {
    if let Some(role) = session.data.role.as_deref().filter(|_| session.data.token.is_some()) {
        return Ok(see_other(home_of(role)));
    }
    render(&StartPage {
        l: Layout::new(&session, "Transport offers from your council", ""),
    })
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    l: Layout,
    form: FormData,
    errors: Errors,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn sign_in_page(session: Session, Query(q): Query<NextQuery>) -> PageResult {
    render(&SignInPage {
        l: Layout::new(&session, "Sign in", "/sign-in"),
        form: FormData::default(),
        errors: Errors::default(),
        next: safe_next(&q.next).unwrap_or_default().to_string(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthPayload {
    token: Option<String>,
    viewer: Option<ViewerRoles>,
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct ViewerRoles {
    email: String,
    roles: Vec<String>,
}

/// The role a user acts as when it has several (an admin who is also an officer acts as officer).
fn main_role(roles: &[String]) -> String {
    ["OFFICER", "PROVIDER", "HOUSEHOLD", "ADMIN"]
        .into_iter()
        .find(|r| roles.iter().any(|x| x == r))
        .unwrap_or("HOUSEHOLD")
        .to_string()
}

/// Signs the visitor in with a payload's token, or gives its refusals.
fn signed_in_session(p: AuthPayload) -> Result<SessionData, Vec<UserError>> {
    match (p.token, p.viewer) {
        (Some(token), Some(v)) => Ok(SessionData::signed_in(token, main_role(&v.roles), v.email)),
        _ => Err(p.user_errors),
    }
}

fn after_sign_in(data: SessionData, next: &str) -> axum::response::Response {
    let to = safe_next(next)
        .map(str::to_string)
        .unwrap_or_else(|| home_of(data.role.as_deref().unwrap_or_default()).to_string());
    with_session(see_other(&to), data)
}

/// Sign-in's refusals: too many attempts at the top of the form (it is
/// about the account, not a field), the rest at their fields.
fn sign_in_refusals(user_errors: &[UserError]) -> Errors {
    let (throttled, others): (Vec<&UserError>, Vec<&UserError>) = user_errors
        .iter()
        .partition(|e| e.error_code() == Some(ErrorCode::TooManyAttempts));
    let mut errors = Errors::default();
    for e in throttled {
        errors.0.push(FieldError {
            field: String::new(),
            message: e.message.clone(),
        });
    }
    let others: Vec<UserError> = others.into_iter().cloned().collect();
    errors
        .0
        .extend(Errors::from_user_errors(&others, "email", |f| (f == "password").then_some("password")).0);
    errors
}

const SIGN_IN: &str =
    "mutation($input: SignInInput!) { signIn(input: $input) { token viewer { email roles } userErrors { field code message } } }";

async fn sign_in(State(s): State<AppState>, session: Session, CsrfForm(form): CsrfForm) -> PageResult {
    let mut errors = Errors::default();
    if form.get("email").is_empty() {
        errors.add("email", "Enter your email address");
    }
    if form.get("password").is_empty() {
        errors.add("password", "Enter your password");
    }
    if errors.is_empty() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            sign_in: AuthPayload,
        }
        let d: Data = s
            .gateway
            .query(
                None,
                SIGN_IN,
                json!({"input": {"email": form.get("email"), "password": form.get("password")}}),
            )
            .await?;
        match signed_in_session(d.sign_in) {
            Ok(data) => return Ok(after_sign_in(data, form.get("next"))),
            Err(ue) => errors = sign_in_refusals(&ue),
        }
    }
    let mut form = form;
    form.set("password", "");
    render_refused(&SignInPage {
        l: Layout::new(&session, "Sign in", "/sign-in").with_errors(&errors),
        next: safe_next(form.get("next")).unwrap_or_default().to_string(),
        form,
        errors,
    })
}

#[derive(Deserialize, Clone)]
pub struct CouncilChoice {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage {
    l: Layout,
    form: FormData,
    errors: Errors,
    councils: Vec<CouncilChoice>,
}

async fn councils(s: &AppState) -> Result<Vec<CouncilChoice>, crate::error::PageError> {
    #[derive(Deserialize)]
    struct Data {
        councils: Vec<CouncilChoice>,
    }
    let d: Data = s.gateway.query(None, "{ councils { id name } }", json!({})).await?;
    Ok(d.councils)
}

async fn sign_up_page(State(s): State<AppState>, session: Session) -> PageResult {
    // From the checker: its council is already chosen.
    let mut form = FormData::default();
    if let Some(council) = super::checker::draft(&session).and_then(|d| d.council) {
        form.set("council", council);
    }
    render(&SignUpPage {
        l: Layout::new(&session, "Create a household account", "/sign-up"),
        form,
        errors: Errors::default(),
        councils: councils(&s).await?,
    })
}

/// After sign-up: the checker's answers (for the council signed up to)
/// become the new household's profile, and it lands on what it can get.
/// Answers that cannot be saved as they are stay in the session for the
/// household's own pages, which ask again only what is missing.
async fn save_checked_answers(s: &AppState, session: &Session, mut data: SessionData, council_id: &str) -> PageResult {
    let draft = super::checker::draft(session).filter(|d| d.council.as_deref() == Some(council_id));
    let Some(mut draft) = draft else {
        return Ok(with_session(see_other("/profile"), data));
    };
    let mut errors = Errors::default();
    let answers = super::household::questions::Answers::check(&draft.form(), &mut errors, false);
    if let (Some(answers), Some(token)) = (answers, data.token.clone()) {
        let council = super::household::profile::Council {
            id: council_id.to_string(),
            name: draft.council_name.clone().unwrap_or_default(),
            facts_in_use: Vec::new(),
        };
        let refused =
            super::household::profile::save(s, &token, None, &council, &answers, &Default::default(), None).await?;
        if refused.is_empty() {
            data.flash = Some("Your account is created and your answers are saved.".into());
            return Ok(with_session(see_other("/schemes"), data));
        }
    }
    draft.owner = String::new();
    data.draft = Some(draft);
    Ok(with_session(see_other("/profile"), data))
}

const SIGN_UP_HOUSEHOLD: &str = "mutation($input: SignUpHouseholdInput!) { signUpHousehold(input: $input) { token viewer { email roles } userErrors { field code message } } }";

fn check_account_fields(form: &FormData, errors: &mut Errors) {
    if form.get("email").is_empty() {
        errors.add("email", "Enter your email address");
    } else if !form.get("email").contains('@') {
        errors.add(
            "email",
            "Enter an email address in the correct format, like name@example.com",
        );
    }
    if form.get("password").chars().count() < 12 {
        errors.add("password", "Enter a password of at least 12 characters");
    }
}

async fn sign_up(State(s): State<AppState>, session: Session, CsrfForm(mut form): CsrfForm) -> PageResult {
    let mut errors = Errors::default();
    if form.get("council").is_empty() {
        errors.add("council", "Select the council you live in");
    }
    check_account_fields(&form, &mut errors);
    if errors.is_empty() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            sign_up_household: AuthPayload,
        }
        let name = Some(form.get("name")).filter(|n| !n.is_empty());
        let d: Data = s
            .gateway
            .query(
                None,
                SIGN_UP_HOUSEHOLD,
                json!({"input": {"email": form.get("email"), "password": form.get("password"),
                                 "councilId": form.get("council"), "displayName": name}}),
            )
            .await?;
        match signed_in_session(d.sign_up_household) {
            Ok(data) => return save_checked_answers(&s, &session, data, form.get("council")).await,
            Err(ue) => {
                errors = Errors::from_user_errors(&ue, "email", |f| match f {
                    "email" => Some("email"),
                    "password" => Some("password"),
                    "councilId" => Some("council"),
                    "displayName" => Some("name"),
                    _ => None,
                })
            }
        }
    }
    form.set("password", "");
    render_refused(&SignUpPage {
        l: Layout::new(&session, "Create a household account", "/sign-up").with_errors(&errors),
        form,
        errors,
        councils: councils(&s).await?,
    })
}

#[derive(Template)]
#[template(path = "provider_sign_up.html")]
struct ProviderSignUpPage {
    l: Layout,
    form: FormData,
    errors: Errors,
}

async fn provider_sign_up_page(session: Session) -> PageResult {
    render(&ProviderSignUpPage {
        l: Layout::new(&session, "Register your organisation", "/provider/sign-up"),
        form: FormData::default(),
        errors: Errors::default(),
    })
}

const SIGN_UP_PROVIDER: &str = "mutation($input: SignUpProviderInput!) { signUpProvider(input: $input) { token viewer { email roles } userErrors { field code message } } }";

async fn provider_sign_up(State(s): State<AppState>, session: Session, CsrfForm(mut form): CsrfForm) -> PageResult {
    let mut errors = Errors::default();
    if form.get("organisation").is_empty() {
        errors.add("organisation", "Enter your organisation's name");
    }
    check_account_fields(&form, &mut errors);
    if errors.is_empty() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            sign_up_provider: AuthPayload,
        }
        let d: Data = s
            .gateway
            .query(
                None,
                SIGN_UP_PROVIDER,
                json!({"input": {"email": form.get("email"), "password": form.get("password"),
                                 "organisationName": form.get("organisation")}}),
            )
            .await?;
        match signed_in_session(d.sign_up_provider) {
            Ok(data) => return Ok(with_session(see_other("/provider"), data)),
            Err(ue) => {
                errors = Errors::from_user_errors(&ue, "email", |f| match f {
                    "email" => Some("email"),
                    "password" => Some("password"),
                    "organisationName" => Some("organisation"),
                    _ => None,
                })
            }
        }
    }
    form.set("password", "");
    render_refused(&ProviderSignUpPage {
        l: Layout::new(&session, "Register your organisation", "/provider/sign-up").with_errors(&errors),
        form,
        errors,
    })
}

#[derive(Template)]
#[template(path = "sign_out.html")]
struct SignOutPage {
    l: Layout,
}

async fn sign_out_page(session: Session) -> PageResult {
    render(&SignOutPage {
        l: Layout::new(&session, "Sign out", ""),
    })
}

/// Ends the session at the gateway (its token stops working at once), then
/// forgets it here. If the gateway cannot be asked, the token is forgotten
/// all the same and the page says the session may still be open.
async fn sign_out(State(s): State<AppState>, session: Session, CsrfForm(_): CsrfForm) -> PageResult {
    let message = match session.data.token.as_deref() {
        None => SIGNED_OUT,
        Some(token) => match s
            .gateway
            .query::<serde_json::Value>(Some(token), SIGN_OUT, json!({}))
            .await
        {
            // Ended now, or had ended already.
            Ok(_) | Err(GatewayError::Unauthenticated) => SIGNED_OUT,
            Err(e) => {
                tracing::warn!(error = %e, "signOut failed: the token was forgotten but may still work");
                SIGNED_OUT_HERE_ONLY
            }
        },
    };
    let data = session.data.without_token().with_flash(message);
    Ok(with_session(see_other("/"), data))
}

const SIGN_OUT: &str = "mutation { signOut { sessionsEnded userErrors { field code message } } }";
const SIGNED_OUT: &str = "You have signed out.";
const SIGNED_OUT_HERE_ONLY: &str = "You have signed out of this browser, but we could not end your session on our system. \
     If you used a shared computer, sign in again later and choose \u{2018}Sign out of all devices\u{2019} under \u{2018}Your account\u{2019}.";
