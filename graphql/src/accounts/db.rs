//! The `users` and `memberships` tables.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::principal::{Principal, Role};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub display_name: Option<String>,
}

/// A membership to create with a user.
#[derive(Debug, Clone, Copy)]
pub enum NewMembership {
    Household { household_id: Uuid, council_id: Uuid },
    Provider { provider_id: Uuid },
    Officer { council_id: Uuid },
    Admin,
}

/// The open account with `email`; a closed one (its erasure under way) is
/// not found, so it signs in no more than an unknown email.
pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        "select id, email, password_hash, display_name from users where email = $1 and closed_at is null",
        email,
    )
    .fetch_optional(db)
    .await
}

/// Replaces a user's password hash.
pub async fn set_password(db: impl PgExecutor<'_>, user_id: Uuid, password_hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update users set password_hash = $2 where id = $1",
        user_id,
        password_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The stored password hash of a user.
pub async fn password_hash(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("select password_hash from users where id = $1", user_id)
        .fetch_optional(db)
        .await
}

pub async fn email_taken(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from users where email = $1) as "exists!""#,
        email
    )
    .fetch_one(db)
    .await
}

/// Inserts a user. A taken email violates `users_email_key`.
pub async fn insert_user(
    conn: &mut PgConnection,
    id: Uuid,
    email: &str,
    password_hash: &str,
    display_name: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into users (id, email, password_hash, display_name) values ($1, $2, $3, $4)",
        id,
        email,
        password_hash,
        display_name,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a membership unless the user already has it.
pub async fn add_membership(conn: &mut PgConnection, user_id: Uuid, m: NewMembership) -> sqlx::Result<()> {
    let (role, council, provider, household) = match m {
        NewMembership::Household {
            household_id,
            council_id,
        } => (Role::Household, Some(council_id), None, Some(household_id)),
        NewMembership::Provider { provider_id } => (Role::Provider, None, Some(provider_id), None),
        NewMembership::Officer { council_id } => (Role::Officer, Some(council_id), None, None),
        NewMembership::Admin => (Role::Admin, None, None, None),
    };
    sqlx::query!(
        "insert into memberships (user_id, role, council_id, provider_id, household_id) values ($1, $2, $3, $4, $5)
         on conflict do nothing",
        user_id,
        role as _,
        council,
        provider,
        household,
    )
    .execute(conn)
    .await?;
    Ok(())
}

struct PrincipalRow {
    id: Uuid,
    email: String,
    display_name: Option<String>,
    role: Option<Role>,
    council_id: Option<Uuid>,
    provider_id: Option<Uuid>,
    household_id: Option<Uuid>,
}

/// The user with their memberships, in session `session_id`; `None` when
/// the user does not exist or the session has ended or expired.
pub async fn load_principal(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    session_id: Uuid,
) -> sqlx::Result<Option<Principal>> {
    // Left join: a user without memberships has one row of nulls.
    let rows = sqlx::query_as!(
        PrincipalRow,
        r#"select u.id, u.email, u.display_name, m.role as "role?: Role", m.council_id as "council_id?",
            m.provider_id as "provider_id?", m.household_id as "household_id?"
         from users u left join memberships m on m.user_id = u.id
         where u.id = $1
           and exists (select 1 from sessions s
                       where s.id = $2 and s.user_id = u.id and s.ended_at is null and s.expires_at > now())
         order by m.id"#,
        user_id,
        session_id,
    )
    .fetch_all(db)
    .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let mut p = Principal {
        user_id: first.id,
        email: first.email.clone(),
        display_name: first.display_name.clone(),
        roles: Vec::new(),
        household: None,
        provider_id: None,
        officer_of: Vec::new(),
        session_id,
    };
    for r in &rows {
        let Some(role) = r.role else {
            continue;
        };
        if !p.roles.contains(&role) {
            p.roles.push(role);
        }
        match role {
            Role::Household => {
                if let (Some(h), Some(c)) = (r.household_id, r.council_id) {
                    p.household = Some(roundabout_support::internal_auth::HouseholdMembership {
                        household_id: h,
                        council_id: c,
                    });
                }
            }
            Role::Provider => p.provider_id = r.provider_id,
            Role::Officer => p.officer_of.extend(r.council_id),
            Role::Admin => {}
        }
    }
    Ok(Some(p))
}
