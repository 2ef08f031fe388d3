//! A household's data rights across the parts: what each part holds about
//! a household (the right of access) and the steps that erase it (the right
//! to erasure).
//!
//! Each service answers `GET /internal/households/{id}/export` with an
//! [`ExportData`]: its sections, each a list of records, each record the
//! fields as stored (the contract's answers where the API already has them,
//! so the export says what the service would say). The gateway adds its own
//! sections (account, memberships, sign-ins, assisted actions) and hands the
//! whole to the household as one JSON document and one readable page.
//!
//! Erasure is driven by the gateway (see `graphql/src/erasure/`), one step
//! per part, each an idempotent `POST` answering [`ErasureStepData`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What one part holds about a household.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ExportData {
    pub sections: Vec<ExportSection>,
}

/// One kind of record: its stable key (the JSON document's field), a title
/// for people, why it is kept, and the records.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ExportSection {
    pub key: String,
    pub title: String,
    pub purpose: String,
    pub records: Vec<Map<String, Value>>,
}

impl ExportSection {
    /// A section of `records`, each serialised as an object (a value that
    /// is not an object becomes `{"value": …}`).
    pub fn new<T: Serialize>(key: &str, title: &str, purpose: &str, records: impl IntoIterator<Item = T>) -> Self {
        let records = records
            .into_iter()
            .map(|r| match serde_json::to_value(r) {
                Ok(Value::Object(map)) => map,
                Ok(other) => Map::from_iter([("value".to_string(), other)]),
                Err(e) => Map::from_iter([("error".to_string(), Value::String(e.to_string()))]),
            })
            .collect();
        Self {
            key: key.to_string(),
            title: title.to_string(),
            purpose: purpose.to_string(),
            records,
        }
    }
}

/// Where an erasure step stands in a part. `remaining` is what the part
/// must still finish before the step is done (bookings being cancelled,
/// a hire in progress); the caller asks again later. Zero: done, and asking
/// again changes nothing.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErasureStepData {
    pub remaining: u32,
    /// Rows changed or removed by this call (0 when asked again).
    pub changed: u64,
}

impl ErasureStepData {
    pub fn done(changed: u64) -> Self {
        Self { remaining: 0, changed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        a: i32,
    }

    #[test]
    fn a_section_holds_each_record_as_an_object() {
        let s = ExportSection::new("k", "K", "why", [Row { a: 1 }, Row { a: 2 }]);
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.records[1]["a"], 2);
        let s = ExportSection::new("k", "K", "why", [5]);
        assert_eq!(s.records[0]["value"], 5);
    }
}
