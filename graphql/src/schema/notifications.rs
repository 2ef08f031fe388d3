//! How a household hears from Roundabout (`notificationPreferences`,
//! `updateNotificationPreferences`), the messages sent to it
//! (`notifications`, for the household and its council's officers, who see
//! a failed delivery there) and, in development only, the demo `mailbox`.
//! The sending itself is [`crate::notify`].

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::ErrorCode;
use roundabout_notify::Address;

use crate::{
    notify::db,
    schema::{
        acting::{acting_for, audited, AssistedActionKind},
        errors::{self, payload, Failure, Refusable, UserError},
        request::RequestCtx,
    },
    services::Gateway,
};

/// How a message reaches a person.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationChannel {
    Email,
    /// A text message to a mobile phone.
    Sms,
    /// A printed letter, for residents the council helps offline.
    Letter,
}

impl NotificationChannel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
            Self::Letter => "LETTER",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "SMS" => Self::Sms,
            "LETTER" => Self::Letter,
            _ => Self::Email,
        }
    }
}

/// Where a message stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationStatus {
    /// Waiting to be sent (a reminder waits for its day).
    Pending,
    /// Being sent.
    Sending,
    /// Accepted for delivery; not yet known to have arrived.
    Sent,
    Delivered,
    /// Could not be delivered; `problem` says why.
    Failed,
    /// No longer sent: the booking was cancelled, or the account closed.
    Withdrawn,
}

impl NotificationStatus {
    fn parse(s: &str) -> Self {
        match s {
            "PENDING" => Self::Pending,
            "SENDING" => Self::Sending,
            "SENT" => Self::Sent,
            "DELIVERED" => Self::Delivered,
            "FAILED" => Self::Failed,
            _ => Self::Withdrawn,
        }
    }
}

/// How a household hears from Roundabout. Without a choice: email, to the
/// household's account.
#[derive(SimpleObject, Debug, Clone)]
pub struct NotificationPreferences {
    pub household_id: ID,
    pub channel: NotificationChannel,
    /// The mobile number text messages go to.
    pub phone: Option<String>,
    /// The postal address letters go to (without the postcode).
    pub address_lines: Vec<String>,
    pub postcode: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// True when an officer set it for the household.
    pub set_by_officer: bool,
}

/// One message to a person.
#[derive(SimpleObject, Debug, Clone)]
pub struct Notification {
    pub id: ID,
    /// What it is about: `booking_confirmed`, `booking_reminder`,
    /// `booking_cancelled`, `booking_completed`, …
    pub kind: String,
    pub channel: NotificationChannel,
    /// Where it went, in words: the email address, the phone number or the
    /// address's first line and postcode.
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: NotificationStatus,
    /// Why it failed or was withdrawn.
    pub problem: Option<String>,
    pub booking_id: Option<ID>,
    /// True when a calendar entry (`.ics`) goes with it.
    pub has_calendar_entry: bool,
    pub created_at: DateTime<Utc>,
    /// When it goes (a reminder's is the day before).
    pub send_after: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<db::Listed> for Notification {
    fn from(n: db::Listed) -> Self {
        let to = match serde_json::from_value::<Address>(n.address) {
            Ok(Address::Email { email }) => email,
            Ok(Address::Sms { phone }) => phone,
            Ok(Address::Letter { lines, postcode }) => {
                format!("{}, {postcode}", lines.first().cloned().unwrap_or_default())
            }
            Err(_) => String::new(),
        };
        let status = NotificationStatus::parse(&n.status);
        Self {
            id: ID(n.id.to_string()),
            kind: n.template,
            channel: NotificationChannel::parse(&n.channel),
            to,
            subject: n.subject,
            body: n.body,
            problem: n
                .last_error
                .filter(|_| matches!(status, NotificationStatus::Failed | NotificationStatus::Withdrawn)),
            status,
            booking_id: n.booking_id.map(|b| ID(b.to_string())),
            has_calendar_entry: n.attachments.as_array().is_some_and(|a| !a.is_empty()),
            created_at: n.created_at,
            send_after: n.send_after,
            sent_at: n.sent_at,
        }
    }
}

/// A household's choice. An officer gives `householdId` (the household
/// asked them, or cannot do it online).
#[derive(InputObject)]
pub struct UpdateNotificationPreferencesInput {
    pub household_id: Option<ID>,
    pub channel: NotificationChannel,
    /// Needed for `SMS`: a UK mobile number.
    pub phone: Option<String>,
    /// Needed for `LETTER`: one to six lines, without the postcode.
    pub address_lines: Option<Vec<String>>,
    /// Needed for `LETTER`.
    pub postcode: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateNotificationPreferencesPayload {
    pub preferences: Option<NotificationPreferences>,
    pub user_errors: Vec<UserError>,
}

impl Refusable for UpdateNotificationPreferencesPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            preferences: None,
            user_errors,
        }
    }
}

/// The most address lines above the postcode (GOV.UK Notify: seven lines
/// in all, the last the postcode).
const MAX_ADDRESS_LINES: usize = 6;
/// The longest address line.
const MAX_LINE_CHARS: usize = 80;

/// A UK mobile number written the usual way (`07700 900123`), if it is one.
pub fn uk_mobile(raw: &str) -> Option<String> {
    if raw.chars().count() > 30 {
        return None;
    }
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let national = if let Some(rest) = digits.strip_prefix("+44") {
        format!("0{}", rest.trim_start_matches('0'))
    } else if let Some(rest) = digits.strip_prefix("0044") {
        format!("0{}", rest.trim_start_matches('0'))
    } else {
        digits
    };
    (national.len() == 11 && national.starts_with("07") && national.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{} {}", &national[..5], &national[5..]))
}

fn invalid(field: &str, message: &str) -> Failure {
    Failure::user(UserError::new(ErrorCode::InvalidInput, message).at(["input", field]))
}

/// A choice as stored: the phone, the address lines and the postcode.
struct Checked {
    phone: Option<String>,
    lines: Vec<String>,
    postcode: Option<String>,
}

/// The input, checked and written the stored way.
fn checked(input: &UpdateNotificationPreferencesInput) -> Result<Checked, Failure> {
    let phone = match (input.channel, input.phone.as_deref().map(str::trim)) {
        (NotificationChannel::Sms, None | Some("")) => {
            return Err(invalid("phone", "Enter a mobile phone number for text messages"))
        }
        (_, None | Some("")) => None,
        (_, Some(p)) => Some(uk_mobile(p).ok_or_else(|| {
            invalid(
                "phone",
                "Enter a UK mobile number, like 07700 900 982 or +44 7700 900 982",
            )
        })?),
    };
    let lines: Vec<String> = input
        .address_lines
        .iter()
        .flatten()
        .take(MAX_ADDRESS_LINES + 1)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() > MAX_ADDRESS_LINES {
        return Err(invalid("addressLines", "Enter the address in at most 6 lines"));
    }
    if lines
        .iter()
        .any(|l| l.chars().count() > MAX_LINE_CHARS || l.chars().any(char::is_control))
    {
        return Err(invalid(
            "addressLines",
            "Each address line must be 80 characters or fewer",
        ));
    }
    let postcode = match input.postcode.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            roundabout_api::postcode::written(p)
                .ok_or_else(|| invalid("postcode", "Enter a full UK postcode, like OX28 4AB"))?,
        ),
    };
    if input.channel == NotificationChannel::Letter {
        if lines.is_empty() {
            return Err(invalid("addressLines", "Enter the address letters should go to"));
        }
        if postcode.is_none() {
            return Err(invalid("postcode", "Enter the postcode letters should go to"));
        }
    }
    Ok(Checked { phone, lines, postcode })
}

fn preferences(household: uuid::Uuid, p: Option<db::Preference>) -> NotificationPreferences {
    match p {
        None => NotificationPreferences {
            household_id: ID(household.to_string()),
            channel: NotificationChannel::Email,
            phone: None,
            address_lines: Vec::new(),
            postcode: None,
            updated_at: None,
            set_by_officer: false,
        },
        Some(p) => NotificationPreferences {
            household_id: ID(household.to_string()),
            channel: NotificationChannel::parse(&p.channel),
            phone: p.phone,
            address_lines: p.address_lines,
            postcode: p.postcode,
            updated_at: Some(p.updated_at),
            set_by_officer: p.updated_by_officer.is_some(),
        },
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// How the signed-in household (or, for an officer of its council, the
    /// household `householdId`) hears from Roundabout.
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
        household_id: Option<ID>,
    ) -> async_graphql::Result<NotificationPreferences> {
        let acting = acting_for(ctx, household_id.as_ref(), "Only a household has notification choices").await?;
        let g = ctx.data_unchecked::<Gateway>();
        let id = acting.household.household_id;
        Ok(preferences(id, db::preference(&g.pool, id).await?))
    }

    /// The messages sent (or to be sent) to the household, newest first;
    /// for the household itself and its council's officers.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        household_id: Option<ID>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<Notification>> {
        let acting = acting_for(ctx, household_id.as_ref(), "Only a household has messages").await?;
        let g = ctx.data_unchecked::<Gateway>();
        let rows = db::for_household(&g.pool, acting.household.household_id, i64::from(first)).await?;
        Ok(rows.into_iter().map(Notification::from).collect())
    }

    /// Development only (no GOV.UK Notify or SMTP set up): every message
    /// the demo "sent", newest first, so a person trying the demo sees what
    /// residents, providers and officers would receive. Any signed-in user;
    /// `NOT_FOUND` wherever real messages are sent.
    async fn mailbox(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 200))] first: i32,
    ) -> async_graphql::Result<Vec<Notification>> {
        let r = RequestCtx::get(ctx);
        r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
        let g = ctx.data_unchecked::<Gateway>();
        if !g.mailbox {
            return Err(errors::coded(
                ErrorCode::NotFound,
                "There is no mailbox: messages are really sent here",
            ));
        }
        let rows = db::mailbox(&g.pool, i64::from(first)).await?;
        Ok(rows.into_iter().map(Notification::from).collect())
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Chooses how the household hears from Roundabout: email (to its
    /// account), text message (`phone`) or letter (`addressLines` and
    /// `postcode`). An officer setting it for a household is recorded in
    /// the council's log. Messages already written keep their address.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: UpdateNotificationPreferencesInput,
    ) -> async_graphql::Result<UpdateNotificationPreferencesPayload> {
        let acting = acting_for(
            ctx,
            input.household_id.as_ref(),
            "Only a household has notification choices",
        )
        .await?;
        let g = ctx.data_unchecked::<Gateway>();
        let id = acting.household.household_id;
        let change = async {
            let Checked { phone, lines, postcode } = checked(&input)?;
            db::set_preference(
                &g.pool,
                &db::NewPreference {
                    household: id,
                    channel: input.channel.as_str(),
                    phone: phone.as_deref(),
                    address_lines: &lines,
                    postcode: postcode.as_deref(),
                    officer: acting.officer.as_ref().map(|o| o.user_id),
                },
            )
            .await?;
            Ok(UpdateNotificationPreferencesPayload {
                preferences: Some(preferences(id, db::preference(&g.pool, id).await?)),
                user_errors: Vec::new(),
            })
        };
        payload(
            audited(
                ctx,
                &acting,
                AssistedActionKind::ContactUpdate,
                Some(id),
                change,
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
    fn uk_mobile_numbers_are_accepted_as_people_write_them() {
        assert_eq!(uk_mobile("07700900982").as_deref(), Some("07700 900982"));
        assert_eq!(uk_mobile("+44 7700 900 982").as_deref(), Some("07700 900982"));
        assert_eq!(uk_mobile("0044 (0)7700-900982").as_deref(), Some("07700 900982"));
        assert_eq!(uk_mobile("01993 861000"), None, "a landline");
        assert_eq!(uk_mobile("0770090098"), None, "too short");
        assert_eq!(uk_mobile("07700 9009８2"), None, "not ASCII digits");
        assert_eq!(uk_mobile(&"7".repeat(1000)), None);
    }
}
