//! Who a household page acts for: the signed-in household itself, or a
//! household of the signed-in officer's council under
//! `/officer/households/{id}` (assisted booking, [`super::assist`]). The
//! household's pages take an [`Acting`] and never need to know which.

use axum::{extract::FromRequestParts, http::request::Parts};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};

use crate::{
    error::PageError,
    session::{signed_in, SignedIn},
    views::Layout,
    AppState,
};

/// Where an officer's pages for one household live.
pub const PREFIX: &str = "/officer/households";

/// The household an officer acts for.
#[derive(Clone, Debug)]
pub struct ActedFor {
    pub id: String,
    /// How to call it: its name, else its email.
    pub name: String,
    pub email: Option<String>,
}

/// Who a household page acts for: the signed-in household itself, or (under
/// `/officer/households/{id}`) a household of the signed-in officer's
/// council — any other is "Page not found".
#[derive(Clone, Debug)]
pub struct Acting {
    pub user: SignedIn,
    pub household: Option<ActedFor>,
}

impl std::ops::Deref for Acting {
    type Target = SignedIn;
    fn deref(&self) -> &SignedIn {
        &self.user
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contact {
    id: String,
    email: Option<String>,
    display_name: Option<String>,
}

impl Contact {
    fn name(&self) -> String {
        self.display_name
            .clone()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| "this household".into())
    }
}

/// The household `id` as its council's officer sees it; "Page not found"
/// when it is not one of the officer's council.
async fn contact(s: &AppState, user: &SignedIn, id: &str) -> Result<Contact, PageError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(PageError::NotFound);
    }
    #[derive(Deserialize)]
    struct Data {
        household: Option<Contact>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "query($id: ID!) { household(id: $id) { id email displayName } }",
            json!({"id": id}),
        )
        .await?;
    d.household.ok_or(PageError::NotFound)
}

impl FromRequestParts<AppState> for Acting {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path().to_string();
        let Some(rest) = path.strip_prefix(&format!("{PREFIX}/")) else {
            return Ok(Acting {
                user: signed_in(parts, Some("HOUSEHOLD"))?,
                household: None,
            });
        };
        let user = signed_in(parts, Some("OFFICER"))?;
        let id = rest.split('/').next().unwrap_or_default();
        let c = contact(s, &user, id).await?;
        Ok(Acting {
            user,
            household: Some(ActedFor {
                name: c.name(),
                id: c.id,
                email: c.email,
            }),
        })
    }
}

impl Acting {
    /// Where this household's pages are: "" for the household itself.
    pub fn base(&self) -> String {
        match &self.household {
            None => String::new(),
            Some(h) => format!("{PREFIX}/{}", h.id),
        }
    }

    /// The household acted for, for the API's `householdId` (none: the
    /// signed-in household).
    pub fn household_id(&self) -> Option<&str> {
        self.household.as_ref().map(|h| h.id.as_str())
    }

    /// The page's layout, with the banner when an officer acts.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        let mut l = Layout::new(&self.user.session, title, section);
        if let Some(h) = &self.household {
            l.acting_for = Some(h.name.clone());
            l.base = self.base();
            l.section = PREFIX;
        }
        l
    }

    /// Runs `query { household { <fields> } }` against the household acted
    /// for (`decls`: further variables, e.g. `$after: String`) and reads
    /// the household object.
    pub async fn household<T: DeserializeOwned>(
        &self,
        s: &AppState,
        decls: &str,
        fields: &str,
        mut vars: Value,
    ) -> Result<T, PageError> {
        let (query, at) = match &self.household {
            None => {
                let decls = if decls.is_empty() {
                    String::new()
                } else {
                    format!("({decls})")
                };
                (
                    format!("query{decls} {{ me {{ household {{ {fields} }} }} }}"),
                    "/me/household",
                )
            }
            Some(h) => {
                vars["household"] = json!(h.id);
                let more = if decls.is_empty() {
                    String::new()
                } else {
                    format!(", {decls}")
                };
                (
                    format!("query($household: ID!{more}) {{ household(id: $household) {{ {fields} }} }}"),
                    "/household",
                )
            }
        };
        let v: Value = s.gateway.query(Some(&self.user.token), &query, vars).await?;
        let h = v.pointer(at).cloned().unwrap_or(Value::Null);
        if h.is_null() {
            return Err(PageError::NotFound);
        }
        serde_json::from_value(h).map_err(|e| PageError::Internal(anyhow::anyhow!("reading the household: {e}")))
    }
}
