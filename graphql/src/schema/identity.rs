//! Identity: sign-up, sign-in, `me`, and the Viewer, Household and Provider
//! types as far as identity needs them.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;
use roundabout_support::internal_auth::Caller;
use uuid::Uuid;

use crate::schema::ids::parse_id;
use crate::{
    accounts::{self, db::NewMembership, password, sessions, throttle, Email},
    principal::{Principal, Role},
    schema::{
        councils::Council,
        errors::{payload, Failure, Refusable, UserError},
        loaders::load_error,
        providers::Provider,
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::eligibility::HouseholdData;
use roundabout_api::inventory::{ProviderData, ProviderIn};
use roundabout_api::routes;

/// A household: the residents who book and pay their share.
#[derive(Clone)]
pub struct Household {
    pub id: Uuid,
    pub council_id: Uuid,
}

#[Object]
impl Household {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The council the household lives in.
    async fn council(&self, ctx: &Context<'_>) -> async_graphql::Result<Council> {
        Council::load(ctx, self.council_id).await?.ok_or_else(|| {
            crate::schema::errors::coded(ErrorCode::NotFound, "The household's council no longer exists")
        })
    }

    /// The household's facts; null until filled in. Officers' reads are audited.
    async fn profile(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::schema::households::HouseholdProfile>> {
        crate::schema::households::household_profile(ctx, self).await
    }

    /// Every ACTIVE scheme of the council, with a decision and its reasons.
    async fn eligibility(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::schema::households::EligibilityDecision>> {
        crate::schema::households::household_eligibility(ctx, self).await
    }

    /// The household account's email: the household itself and officers of its council.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(crate::schema::assisted::household_contact(ctx, self)
            .await?
            .map(|c| c.0))
    }

    /// How the household would like to be addressed, if it said: the
    /// household itself and officers of its council.
    async fn display_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(crate::schema::assisted::household_contact(ctx, self)
            .await?
            .and_then(|c| c.1))
    }

    /// The household's bookings, oldest first: the household itself and officers of its council.
    #[graphql(complexity = "2 + first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::schema::bookings::BookingConnection> {
        crate::schema::bookings::bookings_page(ctx, routes::bookings::household_bookings, self.id, first, after).await
    }
}

/// The signed-in user.
pub struct Viewer(pub Principal);

#[Object]
impl Viewer {
    async fn id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    /// The email the user signs in with.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// What the user may act as.
    async fn roles(&self) -> &[Role] {
        &self.0.roles
    }

    /// The user's household, for household accounts.
    async fn household(&self) -> Option<Household> {
        self.0.household.map(|h| Household {
            id: h.household_id,
            council_id: h.council_id,
        })
    }

    /// The user's provider organisation, for provider accounts.
    async fn provider(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Provider>> {
        let Some(id) = self.0.provider_id else { return Ok(None) };
        let r = RequestCtx::get(ctx);
        Ok(r.loaders
            .providers
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Provider))
    }

    /// The council the user belongs to: an officer's council, or a household's.
    async fn council(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Council>> {
        let id = self
            .0
            .officer_of
            .first()
            .copied()
            .or(self.0.household.map(|h| h.council_id));
        match id {
            Some(id) => Council::load(ctx, id).await,
            None => Ok(None),
        }
    }
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in user; null when not signed in.
    async fn me(&self, ctx: &Context<'_>) -> Option<Viewer> {
        RequestCtx::get(ctx).session.0.clone().map(Viewer)
    }
}

/// A new household account in a council.
#[derive(InputObject)]
pub struct SignUpHouseholdInput {
    pub email: String,
    /// At least 12 characters.
    pub password: String,
    /// The council the household lives in (see `councils`).
    pub council_id: ID,
    /// How the household would like to be addressed.
    pub display_name: Option<String>,
}

/// A new provider organisation and its first member.
#[derive(InputObject)]
pub struct SignUpProviderInput {
    pub email: String,
    /// At least 12 characters.
    pub password: String,
    /// The organisation's name.
    pub organisation_name: String,
}

#[derive(InputObject)]
pub struct SignInInput {
    pub email: String,
    pub password: String,
}

/// A new password in place of the current one.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// The result of signing out.
#[derive(SimpleObject)]
pub struct SignOutPayload {
    /// How many sessions were ended; null when refused.
    pub sessions_ended: Option<i32>,
    pub user_errors: Vec<UserError>,
}

impl Refusable for SignOutPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            sessions_ended: None,
            user_errors,
        }
    }
}

/// The result of changing the password.
#[derive(SimpleObject)]
pub struct ChangePasswordPayload {
    /// The signed-in user; null when refused.
    pub viewer: Option<Viewer>,
    pub user_errors: Vec<UserError>,
}

impl Refusable for ChangePasswordPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            viewer: None,
            user_errors,
        }
    }
}

/// The result of signing up or in.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// A bearer token for `Authorization: Bearer …`; null when refused.
    pub token: Option<String>,
    pub viewer: Option<Viewer>,
    pub user_errors: Vec<UserError>,
}

impl Refusable for AuthPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            token: None,
            viewer: None,
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates a household account in a council and signs it in.
    async fn sign_up_household(
        &self,
        ctx: &Context<'_>,
        input: SignUpHouseholdInput,
    ) -> async_graphql::Result<AuthPayload> {
        payload(sign_up_household(ctx, input).await)
    }

    /// Creates a provider organisation with its first member and signs it in.
    async fn sign_up_provider(
        &self,
        ctx: &Context<'_>,
        input: SignUpProviderInput,
    ) -> async_graphql::Result<AuthPayload> {
        payload(sign_up_provider(ctx, input).await)
    }

    /// Signs in with email and password. After several wrong passwords in a
    /// row, sign-in to the account pauses for a while (`TOO_MANY_ATTEMPTS`),
    /// longer after each further attempt.
    async fn sign_in(&self, ctx: &Context<'_>, input: SignInInput) -> async_graphql::Result<AuthPayload> {
        payload(sign_in(ctx, input).await)
    }

    /// Ends this session: its token stops working at once.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        payload(sign_out(ctx, false).await)
    }

    /// Ends every session of the signed-in user, this one included.
    async fn sign_out_everywhere(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        payload(sign_out(ctx, true).await)
    }

    /// Changes the password (the current one is required); every other
    /// session of the user ends, this one stays.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<ChangePasswordPayload> {
        payload(change_password(ctx, input).await)
    }
}

fn field_error(e: roundabout_support::ApiError, field: &str) -> Failure {
    Failure::user(UserError::new(ErrorCode::InvalidInput, e.body.message).at(["input", field]))
}

fn email_taken() -> Failure {
    Failure::user(
        UserError::new(ErrorCode::EmailTaken, "An account with this email already exists").at(["input", "email"]),
    )
}

/// Checks email and password and that the email is free; hashes the password.
async fn new_credentials(g: &Gateway, email: &str, pw: String) -> Result<(Email, String), Failure> {
    let email = Email::parse(email).map_err(|e| field_error(e, "email"))?;
    password::check_policy(&pw).map_err(|e| field_error(e, "password"))?;
    if accounts::db::email_taken(&g.pool, email.as_str()).await? {
        return Err(email_taken());
    }
    let hash = g.hasher.hash(pw).await?.map_err(|_| busy())?;
    Ok((email, hash))
}

/// Inserts the user with one membership, then issues a token.
async fn create_account(
    g: &Gateway,
    email: &Email,
    hash: &str,
    display_name: Option<&str>,
    m: NewMembership,
) -> Result<AuthPayload, Failure> {
    let user_id = Uuid::new_v4();
    let mut tx = g.pool.begin().await?;
    if let Err(e) = accounts::db::insert_user(&mut tx, user_id, email.as_str(), hash, display_name).await {
        if roundabout_support::error::violated_constraint(&e) == Some("users_email_key") {
            return Err(email_taken());
        }
        return Err(e.into());
    }
    accounts::db::add_membership(&mut tx, user_id, m).await?;
    tx.commit().await?;
    signed_in(g, user_id).await
}

async fn signed_in(g: &Gateway, user_id: Uuid) -> Result<AuthPayload, Failure> {
    let session_id = Uuid::new_v4();
    sessions::start(&g.pool, session_id, user_id, g.tokens.ttl_secs()).await?;
    let principal = accounts::db::load_principal(&g.pool, user_id, session_id)
        .await?
        .ok_or_else(|| {
            Failure::Fatal(crate::schema::errors::internal(anyhow::anyhow!(
                "user vanished after sign-in"
            )))
        })?;
    Ok(AuthPayload {
        token: Some(g.tokens.issue(user_id, session_id)),
        viewer: Some(Viewer(principal)),
        user_errors: Vec::new(),
    })
}

async fn sign_up_household(ctx: &Context<'_>, input: SignUpHouseholdInput) -> Result<AuthPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let display_name = input.display_name.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if display_name.is_some_and(|d| d.chars().count() > 100) {
        return Err(Failure::user(
            UserError::new(
                ErrorCode::InvalidInput,
                "The display name must be at most 100 characters",
            )
            .at(["input", "displayName"]),
        ));
    }
    if display_name.is_some_and(|d| d.chars().any(char::is_control)) {
        return Err(Failure::user(
            UserError::new(ErrorCode::InvalidInput, "The display name must be one line of text")
                .at(["input", "displayName"]),
        ));
    }
    let unknown_council = || {
        Failure::user(
            UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["input", "councilId"]),
        )
    };
    let council_id = parse_id(&input.council_id).ok_or_else(unknown_council)?;
    let (email, hash) = new_credentials(g, &input.email, input.password).await?;
    // The household exists in its council before the account that owns it.
    let household_id = Uuid::new_v4();
    let registered: Result<HouseholdData, _> = g
        .services
        .eligibility
        .put(
            &routes::eligibility::household(household_id),
            &roundabout_api::eligibility::HouseholdIn { council_id },
            &Caller::service("gateway"),
        )
        .await;
    let household = match registered {
        Ok(h) => h,
        Err(e) if e.is_not_found() => return Err(unknown_council()),
        Err(e) => return Err(e.into()),
    };
    create_account(
        g,
        &email,
        &hash,
        display_name,
        NewMembership::Household {
            household_id: household.id,
            council_id: household.council_id,
        },
    )
    .await
}

async fn sign_up_provider(ctx: &Context<'_>, input: SignUpProviderInput) -> Result<AuthPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let name = input.organisation_name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Failure::user(
            UserError::new(
                ErrorCode::InvalidInput,
                "The organisation name must be one line of 1 to 200 characters",
            )
            .at(["input", "organisationName"]),
        ));
    }
    let (email, hash) = new_credentials(g, &input.email, input.password).await?;
    let provider_id = Uuid::new_v4();
    let provider: ProviderData = g
        .services
        .inventory
        .put(
            &routes::inventory::provider(provider_id),
            &ProviderIn { name: name.to_string() },
            &Caller::service("gateway"),
        )
        .await?;
    create_account(
        g,
        &email,
        &hash,
        None,
        NewMembership::Provider {
            provider_id: provider.id,
        },
    )
    .await
}

async fn sign_in(ctx: &Context<'_>, input: SignInInput) -> Result<AuthPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let refused = || {
        Failure::user(UserError::new(
            ErrorCode::InvalidCredentials,
            "The email or password is not right",
        ))
    };
    let email = Email::parse(&input.email).ok();
    // Every attempt at an email, known or not, counts towards its pause, so
    // the answer does not tell which emails have accounts.
    if let Some(email) = &email {
        throttle_attempt(g, email.as_str()).await?;
    }
    let user = match &email {
        Some(email) => accounts::db::find_by_email(&g.pool, email.as_str()).await?,
        None => None,
    };
    // Unknown emails are checked against a decoy hash: same answer, same time.
    let (user_id, hash) = match &user {
        Some(u) => (Some(u.id), u.password_hash.clone()),
        None => (None, g.decoy_hash.clone()),
    };
    let ok = g.hasher.verify(input.password, hash).await.map_err(|_| busy())?;
    match (ok, user_id, &email) {
        (true, Some(id), Some(email)) => {
            throttle::succeeded(&g.pool, email.as_str()).await?;
            signed_in(g, id).await
        }
        _ => Err(refused()),
    }
}

/// Counts a password attempt for `email`, or refuses it while the account's
/// sign-in is paused.
async fn throttle_attempt(g: &Gateway, email: &str) -> Result<(), Failure> {
    match throttle::attempt(&g.pool, email, &g.abuse).await? {
        throttle::Attempt::Allowed => Ok(()),
        throttle::Attempt::Paused { retry_after_secs } => Err(Failure::user(UserError::new(
            ErrorCode::TooManyAttempts,
            format!(
                "There have been too many attempts to sign in to this account. Wait {} and try again, \
                 or ask your council to help.",
                throttle::wait_in_words(retry_after_secs)
            ),
        ))),
    }
}

/// Checks that `password` is the signed-in user's own (to change it, or to
/// close the account), counted against the account's sign-in throttle;
/// refused at `input.<field>`.
pub(crate) async fn confirm_password(g: &Gateway, p: &Principal, password: String, field: &str) -> Result<(), Failure> {
    throttle_attempt(g, &p.email).await?;
    let stored = accounts::db::password_hash(&g.pool, p.user_id)
        .await?
        .ok_or_else(|| Failure::Fatal(crate::schema::errors::unauthenticated()))?;
    if !g.hasher.verify(password, stored).await.map_err(|_| busy())? {
        return Err(Failure::user(
            UserError::new(ErrorCode::InvalidCredentials, "Your current password is not right").at(["input", field]),
        ));
    }
    throttle::succeeded(&g.pool, &p.email).await?;
    Ok(())
}

/// Too many passwords are being checked at once.
fn busy() -> Failure {
    Failure::Fatal(crate::schema::errors::coded(
        ErrorCode::ServiceBusy,
        "Too many people are signing in right now. Wait a moment and try again.",
    ))
}

async fn sign_out(ctx: &Context<'_>, everywhere: bool) -> Result<SignOutPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let p = RequestCtx::get(ctx)
        .session
        .0
        .clone()
        .ok_or_else(|| Failure::Fatal(crate::schema::errors::unauthenticated()))?;
    let ended = if everywhere {
        sessions::end_all(&g.pool, p.user_id, None).await?
    } else {
        sessions::end(&g.pool, p.user_id, p.session_id).await?
    };
    Ok(SignOutPayload {
        sessions_ended: Some(i32::try_from(ended).map_err(|e| Failure::Fatal(crate::schema::errors::internal(e)))?),
        user_errors: Vec::new(),
    })
}

async fn change_password(ctx: &Context<'_>, input: ChangePasswordInput) -> Result<ChangePasswordPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let p = RequestCtx::get(ctx)
        .session
        .0
        .clone()
        .ok_or_else(|| Failure::Fatal(crate::schema::errors::unauthenticated()))?;
    confirm_password(g, &p, input.current_password, "currentPassword").await?;
    password::check_policy(&input.new_password).map_err(|e| field_error(e, "newPassword"))?;
    let hash = g.hasher.hash(input.new_password).await?.map_err(|_| busy())?;
    let mut tx = g.pool.begin().await?;
    accounts::db::set_password(&mut *tx, p.user_id, &hash).await?;
    let ended = sessions::end_all(&mut *tx, p.user_id, Some(p.session_id)).await?;
    tx.commit().await?;
    tracing::info!(user = %p.user_id, other_sessions_ended = ended, "password changed");
    Ok(ChangePasswordPayload {
        viewer: Some(Viewer(p)),
        user_errors: Vec::new(),
    })
}
