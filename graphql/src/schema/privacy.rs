//! A household's data rights: `exportMyData` (everything Roundabout holds
//! about the household, gathered from every part, as one JSON document and
//! as sections a page can show) and `closeAccount` (erasure, driven by
//! [`crate::erasure`]). The household itself, or an officer of its council
//! on its behalf — recorded in the assisted-action log like every action
//! an officer takes for a household.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::{
    privacy::{ExportData, ExportSection},
    routes,
    states::BookingStatus,
    ErrorCode,
};
use serde_json::{json, Map, Value};

use crate::{
    accounts::erasures::{self as db, ErasureRow, ErasureStep},
    schema::{
        acting::{acting_for, audited, AssistedActionKind},
        errors::{self, payload, Failure, Refusable, UserError},
        identity::confirm_password,
        ids::parse_id,
        request::RequestCtx,
    },
    services::Gateway,
};

/// One field of a record: its stored name, a label for people and its value
/// written out (amounts in pounds, yes/no, "Not given").
#[derive(SimpleObject, Debug, Clone)]
pub struct DataExportField {
    pub name: String,
    pub label: String,
    pub value: String,
}

/// One record (a booking, a decision, a sign-in…).
#[derive(SimpleObject, Debug, Clone)]
pub struct DataExportRecord {
    pub fields: Vec<DataExportField>,
}

/// One kind of record, from one part of Roundabout.
#[derive(SimpleObject, Debug, Clone)]
pub struct DataExportSection {
    /// The section's key in the JSON document.
    pub key: String,
    pub title: String,
    /// Why it is kept.
    pub purpose: String,
    /// The part of Roundabout that holds it: gateway (accounts), eligibility,
    /// bookings or payments.
    pub held_by: String,
    pub records: Vec<DataExportRecord>,
}

/// Everything Roundabout holds about a household.
#[derive(SimpleObject, Debug, Clone)]
pub struct DataExport {
    pub household_id: ID,
    pub generated_at: DateTime<Utc>,
    pub sections: Vec<DataExportSection>,
    /// The same as one JSON document (`application/json`), to download.
    pub json: String,
}

/// A household's erasure and where it stands.
#[derive(SimpleObject, Debug, Clone)]
pub struct Erasure {
    pub household_id: ID,
    pub requested_at: DateTime<Utc>,
    /// `HOUSEHOLD` or `OFFICER`.
    pub requested_by: String,
    pub step: ErasureStep,
    /// True once every part has erased the household.
    pub done: bool,
    pub completed_at: Option<DateTime<Utc>>,
    /// Why the current step is waiting, if it is (a hire to finish, a part
    /// that could not be reached).
    pub waiting_for: Option<String>,
}

impl From<ErasureRow> for Erasure {
    fn from(r: ErasureRow) -> Self {
        Self {
            household_id: ID(r.household_id.to_string()),
            requested_at: r.requested_at,
            requested_by: r.requested_by,
            done: r.step == ErasureStep::Done,
            step: r.step,
            completed_at: r.completed_at,
            waiting_for: r.last_error.filter(|_| r.attempts > 1),
        }
    }
}

/// Closing an account. The household itself confirms with its password; an
/// officer of its council gives `householdId` (the household asked them).
#[derive(InputObject)]
pub struct CloseAccountInput {
    pub household_id: Option<ID>,
    /// The household's own password; not asked of an officer.
    pub password: Option<String>,
}

#[derive(SimpleObject)]
pub struct CloseAccountPayload {
    pub erasure: Option<Erasure>,
    pub user_errors: Vec<UserError>,
}

impl Refusable for CloseAccountPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            erasure: None,
            user_errors,
        }
    }
}

/// "start_at" and "startAt" → "Start at".
fn label(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c == '_' {
            out.push(' ');
        } else if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    match out.strip_suffix(" pence") {
        Some(s) => s.to_string(),
        None => out,
    }
}

/// Pence as pounds with thousands marked: `-123456` → `-£1,234.56`.
fn pounds(p: i64) -> String {
    let sign = if p < 0 { "-" } else { "" };
    let whole = (p.unsigned_abs() / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", p.unsigned_abs() % 100)
}

/// A value as a person reads it.
fn words(name: &str, v: &Value) -> String {
    let pence = name.ends_with("_pence") || name.ends_with("Pence");
    match v {
        Value::Null => "Not given".into(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::Number(n) if pence => n.as_i64().map_or_else(|| n.to_string(), pounds),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&Utc).format("%-d %B %Y, %H:%M UTC").to_string(),
            Err(_) => s.clone(),
        },
        Value::Array(a) if a.is_empty() => "None".into(),
        other => other.to_string(),
    }
}

/// `value`'s fields under `name` (labelled `prefix`), nested objects and
/// lists spelled out one field each ("Facts: household: members"), so a
/// person reads each value rather than JSON.
fn flatten(name: &str, prefix: &str, value: &Value, out: &mut Vec<DataExportField>) {
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            format!("{a}: {b}")
        }
    };
    match value {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                flatten(&format!("{name}.{k}"), &join(prefix, &label(k)), v, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object() || x.is_array()) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{name}.{i}"), &join(prefix, &(i + 1).to_string()), v, out);
            }
        }
        Value::Array(a) if !a.is_empty() => out.push(DataExportField {
            name: name.to_string(),
            label: prefix.to_string(),
            value: a.iter().map(|x| words(name, x)).collect::<Vec<_>>().join(", "),
        }),
        v => out.push(DataExportField {
            name: name.to_string(),
            label: prefix.to_string(),
            value: words(name, v),
        }),
    }
}

fn record(map: &Map<String, Value>) -> DataExportRecord {
    let mut fields = Vec::with_capacity(map.len());
    for (k, v) in map {
        flatten(k, &label(k), v, &mut fields);
    }
    DataExportRecord { fields }
}

/// The export of `sections`, each with the part that holds it.
fn document(household: uuid::Uuid, sections: Vec<(&'static str, ExportSection)>) -> DataExport {
    let generated_at = Utc::now();
    let mut by_key = Map::new();
    let mut out = Vec::with_capacity(sections.len());
    for (held_by, s) in sections {
        by_key.insert(
            s.key.clone(),
            json!({"title": s.title, "purpose": s.purpose, "heldBy": held_by, "records": s.records}),
        );
        out.push(DataExportSection {
            records: s.records.iter().map(record).collect(),
            key: s.key,
            title: s.title,
            purpose: s.purpose,
            held_by: held_by.to_string(),
        });
    }
    let doc = json!({
        "householdId": household,
        "generatedAt": generated_at,
        "about": "Everything Roundabout holds about this household, from each part of the service. \
                  Amounts are in pence.",
        "sections": by_key,
    });
    DataExport {
        household_id: ID(household.to_string()),
        generated_at,
        sections: out,
        json: serde_json::to_string_pretty(&doc).unwrap_or_default(),
    }
}

/// The gateway's own sections: accounts, memberships, sign-ins, officers'
/// actions for the household and any erasure.
async fn own_sections(g: &Gateway, household: uuid::Uuid) -> Result<Vec<ExportSection>, Failure> {
    let erasure = db::get(&g.pool, household).await?.map(|e| {
        json!({"requested_at": e.requested_at, "requested_by": e.requested_by, "step": e.step,
               "completed_at": e.completed_at})
    });
    Ok(vec![
        ExportSection::new(
            "account",
            "Your account",
            "To let you sign in and to contact you about your bookings.",
            db::accounts(&g.pool, household).await?,
        ),
        ExportSection::new(
            "memberships",
            "What your account belongs to",
            "Which council's household your account is, and any other role it has.",
            db::memberships(&g.pool, household).await?,
        ),
        ExportSection::new(
            "sign_ins",
            "When you signed in",
            "To keep your account secure: each time you signed in and when that ended.",
            db::sign_ins(&g.pool, household).await?,
        ),
        ExportSection::new(
            "assisted_actions",
            "What council officers did for you",
            "A record of each time a council officer looked at or changed your details or booked for you.",
            db::assisted(&g.pool, household).await?,
        ),
        ExportSection::new(
            "contact_preferences",
            "How we contact you",
            "To send you messages about your bookings the way you chose.",
            crate::notify::db::preference(&g.pool, household).await?.map(|p| {
                json!({"channel": p.channel, "phone": p.phone, "address_lines": p.address_lines,
                       "postcode": p.postcode, "updated_at": p.updated_at,
                       "set_by_an_officer": p.updated_by_officer.is_some()})
            }),
        ),
        ExportSection::new(
            "notifications",
            "Messages we sent you",
            "To tell you about your bookings: each email, text message or letter, where it went and what it said.",
            crate::notify::db::export(&g.pool, household).await?,
        ),
        ExportSection::new(
            "erasure",
            "Your request to close your account",
            "Your request to close your account and where it stands.",
            erasure,
        ),
    ])
}

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Everything Roundabout holds about the signed-in household (or, for
    /// an officer of its council, the household `householdId`, recorded in
    /// the council's audit log): its account, memberships, sign-ins, answers,
    /// eligibility decisions, bookings, payments, refunds and ledger lines,
    /// and what officers did for it.
    async fn export_my_data(&self, ctx: &Context<'_>, household_id: Option<ID>) -> async_graphql::Result<DataExport> {
        let acting = acting_for(ctx, household_id.as_ref(), "Only a household has data to download").await?;
        let g = ctx.data_unchecked::<Gateway>();
        let id = acting.household.household_id;
        let gather = async {
            let c = &acting.caller;
            let paths = (
                routes::eligibility::household_export(id),
                routes::bookings::household_export(id),
                routes::payments::household_export(id),
            );
            let (e, b, p) = tokio::join!(
                g.services.eligibility.get::<ExportData>(&paths.0, c),
                g.services.bookings.get::<ExportData>(&paths.1, c),
                g.services.payments.get::<ExportData>(&paths.2, c),
            );
            let mut sections: Vec<(&'static str, ExportSection)> = Vec::new();
            sections.extend(own_sections(g, id).await?.into_iter().map(|s| ("gateway", s)));
            for (part, data) in [("eligibility", e?), ("bookings", b?), ("payments", p?)] {
                sections.extend(data.sections.into_iter().map(|s| (part, s)));
            }
            Ok(document(id, sections))
        };
        match audited(ctx, &acting, AssistedActionKind::DataExport, Some(id), gather, |_| {
            (None, None)
        })
        .await
        {
            Ok(v) => Ok(v),
            Err(Failure::Fatal(e)) => Err(e),
            Err(Failure::User(u)) => Err(errors::coded(ErrorCode::InvalidInput, u.message)),
        }
    }

    /// A household's erasure: the household itself while it can still sign
    /// in, officers of its council and admins. Null when none was asked for.
    async fn erasure(&self, ctx: &Context<'_>, household_id: ID) -> async_graphql::Result<Option<Erasure>> {
        let r = RequestCtx::get(ctx);
        let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
        let g = ctx.data_unchecked::<Gateway>();
        let Some(id) = parse_id(&household_id) else {
            return Ok(None);
        };
        let row = db::get(&g.pool, id).await?;
        let own = p.household.is_some_and(|h| h.household_id == id);
        Ok(row
            .filter(|e| own || p.caller().can_administer(e.council_id))
            .map(Erasure::from))
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Closes the household's account and erases its data in every part:
    /// bookings that have not begun are cancelled first (refunded by the
    /// usual rules); payments, refunds and the ledger are kept for the
    /// council's accounts under the household's id alone. Nobody can sign in
    /// as the household from this moment. Refused while a hire or lease is
    /// under way (`INVALID_STATE`). Asking again changes nothing.
    async fn close_account(
        &self,
        ctx: &Context<'_>,
        input: CloseAccountInput,
    ) -> async_graphql::Result<CloseAccountPayload> {
        let acting = acting_for(
            ctx,
            input.household_id.as_ref(),
            "Only a household account can be closed here",
        )
        .await?;
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        let id = acting.household.household_id;
        let request = async {
            if acting.officer.is_none() {
                let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
                let Some(password) = input.password else {
                    return Err(Failure::user(
                        UserError::new(ErrorCode::InvalidInput, "Enter your password to close your account")
                            .at(["input", "password"]),
                    ));
                };
                confirm_password(g, p, password, "password").await?;
            }
            if db::get(&g.pool, id).await?.is_none() {
                // Every booking of the household (closing is rare; no page
                // needed). Bookings out of reach does not stop the request:
                // its first step waits for any hire under way anyway.
                let bookings = g
                    .services
                    .bookings
                    .get::<ExportData>(&routes::bookings::household_export(id), &acting.caller)
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "closing an account: bookings not checked"))
                    .unwrap_or_default();
                let active = json!(BookingStatus::Active);
                let under_way = bookings.sections.iter().flat_map(|s| &s.records);
                if under_way.into_iter().any(|b| b.get("status") == Some(&active)) {
                    return Err(Failure::user(UserError::new(
                        ErrorCode::InvalidState,
                        "A hire or lease is under way. The account can be closed when it has ended.",
                    )));
                }
            }
            let mut tx = g.pool.begin().await?;
            let officer = acting.officer.as_ref().map(|o| o.user_id);
            let new = db::request(&mut tx, id, acting.household.council_id, officer).await?;
            tx.commit().await?;
            if new {
                tracing::info!(household = %id, by_officer = officer.is_some(), "erasure requested");
            }
            g.eraser.wake();
            let row = db::get(&g.pool, id).await?.ok_or(sqlx::Error::RowNotFound)?;
            Ok(CloseAccountPayload {
                erasure: Some(row.into()),
                user_errors: Vec::new(),
            })
        };
        payload(
            audited(
                ctx,
                &acting,
                AssistedActionKind::ErasureRequest,
                Some(id),
                request,
                |_| (None, None),
            )
            .await,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_words() {
        assert_eq!(label("start_at"), "Start at");
        assert_eq!(label("amountPence"), "Amount");
        assert_eq!(label("refunded_pence"), "Refunded");
        assert_eq!(words("refunded_pence", &json!(1170)), "£11.70");
        assert_eq!(words("amount_pence", &json!(-5)), "-£0.05");
        assert_eq!(words("blue_badge", &json!(true)), "Yes");
        assert_eq!(words("postcode", &Value::Null), "Not given");
        assert_eq!(words("benefits", &json!([])), "None");
        assert_eq!(
            words("at", &json!("2026-12-07T05:57:30.5Z")),
            "7 December 2026, 05:57 UTC"
        );
        assert_eq!(words("annualIncomePence", &json!(1_800_000)), "£18,000.00");
        assert_eq!(pounds(-123_456_789), "-£1,234,567.89");
    }

    #[test]
    fn nested_values_are_spelled_out_field_by_field() {
        let r = record(
            json!({"facts": {"household": {"members": 2, "benefits": ["pip", "dla"]}},
                   "reasons": [{"label": "Income", "passed": true}]})
            .as_object()
            .unwrap(),
        );
        let shown: Vec<(String, String)> = r.fields.into_iter().map(|f| (f.label, f.value)).collect();
        assert_eq!(
            shown,
            [
                ("Facts: Household: Benefits".to_string(), "pip, dla".to_string()),
                ("Facts: Household: Members".to_string(), "2".to_string()),
                ("Reasons: 1: Label".to_string(), "Income".to_string()),
                ("Reasons: 1: Passed".to_string(), "Yes".to_string()),
            ]
        );
    }
}
