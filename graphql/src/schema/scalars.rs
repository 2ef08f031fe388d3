//! Custom scalars of the contract.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// A GeoJSON (RFC 7946) Polygon or MultiPolygon geometry, or a Feature of one.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoJson(pub serde_json::Value);

/// A GeoJSON (RFC 7946) Polygon or MultiPolygon geometry, or a Feature of one.
#[Scalar(name = "GeoJSON")]
impl ScalarType for GeoJson {
    fn parse(value: Value) -> InputValueResult<Self> {
        let json = value
            .into_json()
            .map_err(|_| InputValueError::custom("expected a GeoJSON object"))?;
        // A GeoJSON document given as a string is accepted too.
        let json = match json {
            serde_json::Value::String(s) => {
                serde_json::from_str(&s).map_err(|_| InputValueError::custom("the string is not GeoJSON"))?
            }
            other => other,
        };
        if !json.is_object() {
            return Err(InputValueError::custom("expected a GeoJSON object"));
        }
        Ok(Self(json))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}
