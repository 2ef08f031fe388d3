//! Request bodies that routes of more than one service take, and what
//! their imports answer about a refused file, declared once.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ErrorCode;

/// `POST …/batch`: the records among `ids` (what a DataLoader asks for);
/// each service refuses more than 500 ids. The answer is a list of
/// [`HasId`](crate::HasId) records, without the ids that match nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BatchIn {
    pub ids: Vec<Uuid>,
}

/// `PUT …/contact`: how households reach an organisation (a council, or a
/// provider with its [`ProviderContactIn`](crate::inventory::ProviderContactIn)).
/// Each part may be absent or null; empty (after trimming) clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ContactIn {
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A problem with one row of an import file (inventory's fleets,
/// eligibility's postcodes); a refused file has one per problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RowErrorData {
    /// The line of the CSV file (the header is line 1), or the vehicle's
    /// position in GBFS `vehicle_status` (from 1); 0 for the file as a whole.
    pub line: u64,
    /// The column or GBFS field concerned, as the file names it.
    pub field: String,
    pub code: ErrorCode,
    /// What is wrong, in plain English.
    pub message: String,
}

impl RowErrorData {
    /// An `INVALID_INPUT` problem.
    pub fn new(line: u64, field: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_string(),
            code: ErrorCode::InvalidInput,
            message: message.into(),
        }
    }
}

/// `?name=value&…` of the pairs that have a value, each value encoded;
/// empty when none has one. What the query types' `to_query` build.
pub(crate) fn query_string(pairs: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if let Some(v) = value {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
            out.push_str(&crate::url::encode(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_provider_contact_is_the_contact_with_a_pickup_address_beside_it() {
        let c: crate::inventory::ProviderContactIn =
            serde_json::from_value(json!({"pickup_address": "Unit 4", "phone": "01993 123456"})).unwrap();
        assert_eq!(c.pickup_address.as_deref(), Some("Unit 4"));
        assert_eq!(c.contact.phone.as_deref(), Some("01993 123456"));
        assert_eq!(c.contact.email, None);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"pickup_address": "Unit 4", "phone": "01993 123456", "email": null})
        );
        let council: ContactIn = serde_json::from_value(json!({"email": "a@b.org", "pickup_address": "x"})).unwrap();
        assert_eq!(council.email.as_deref(), Some("a@b.org"));
    }

    #[test]
    fn pence_in_a_request_are_plain_numbers_on_the_wire() {
        let r = crate::payments::RefundIn {
            amount_pence: crate::Pence(1250),
        };
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"amount_pence": 1250}));
        let q: crate::eligibility::QuoteIn =
            serde_json::from_value(json!({"household_id": uuid::Uuid::nil(), "kind": "HIRE", "base_prices": [100, 0]}))
                .unwrap();
        assert_eq!(q.base_prices, vec![crate::Pence(100), crate::Pence(0)]);
        assert_eq!(q.lease_months, None);
    }

    #[test]
    fn a_simulation_refuses_unknown_fields() {
        let e = serde_json::from_value::<crate::eligibility::SimulationIn>(json!({"income_limit": 5}));
        assert!(e.is_err());
    }

    #[test]
    fn query_types_write_their_query_strings() {
        assert_eq!(crate::bookings::PageIn::default().to_query(), "");
        assert_eq!(
            crate::inventory::FleetQuery {
                first: Some(20),
                after: Some(7)
            }
            .to_query(),
            "?first=20&after=7"
        );
    }

    #[test]
    fn a_query_string_has_only_the_given_values_encoded() {
        assert_eq!(query_string(&[("a", None)]), "");
        assert_eq!(
            query_string(&[
                ("a", None),
                ("from", Some("2026-01-01T00:00:00+00:00".into())),
                ("b", Some("x y".into()))
            ]),
            "?from=2026-01-01T00%3A00%3A00%2B00%3A00&b=x%20y"
        );
    }
}
