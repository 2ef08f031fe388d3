//! Who is making a request: the signed-in user with their roles and
//! memberships, and how that identity is passed on to the services.

use roundabout_support::internal_auth::{AssistedBy, Caller, CallerKind, HouseholdMembership};
use uuid::Uuid;

pub use roundabout_api::states::Role;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub roles: Vec<Role>,
    pub household: Option<HouseholdMembership>,
    pub provider_id: Option<Uuid>,
    pub officer_of: Vec<Uuid>,
    /// The session the request's token belongs to.
    pub session_id: Uuid,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    /// The identity passed to services on this user's behalf.
    pub fn caller(&self) -> Caller {
        Caller {
            kind: CallerKind::User,
            user_id: Some(self.user_id),
            name: Some(self.display_name.clone().unwrap_or_else(|| self.email.clone())),
            service: None,
            admin: self.is_admin(),
            household: self.household,
            provider_id: self.provider_id,
            officer_of: self.officer_of.clone(),
            assisted_by: None,
        }
    }

    /// The name recorded for this user's actions: display name or email.
    pub fn name(&self) -> String {
        self.display_name.clone().unwrap_or_else(|| self.email.clone())
    }

    /// The identity passed to services when this officer acts for
    /// `household` (the gateway has checked the officer may).
    pub fn assisting(&self, household: HouseholdMembership) -> Caller {
        Caller {
            household: Some(household),
            assisted_by: Some(AssistedBy {
                user_id: self.user_id,
                name: self.name(),
            }),
            ..self.caller()
        }
    }
}

/// The request's identity: a principal or nobody.
#[derive(Debug, Clone, Default)]
pub struct Session(pub Option<Principal>);

impl Session {
    /// The identity passed to services: the user, or anonymous.
    pub fn caller(&self) -> Caller {
        self.0.as_ref().map(Principal::caller).unwrap_or_else(Caller::anonymous)
    }
}
