//! Money and counts at the GraphQL edge (feature `graphql`).
//!
//! GraphQL's `Int` is 32 bits, so it holds at most £21,474,836.47. Inside,
//! every amount is [`Pence`] (64 bits). At the edge:
//!
//! - the contract's `Int` money and count fields are [`CheckedInt`]: the
//!   value when it fits in 32 bits, otherwise the field is refused with
//!   `extensions.code = VALUE_TOO_LARGE` (never capped, never a number
//!   outside `Int`'s range);
//! - totals that can grow past that have a sibling field of the [`Pence`]
//!   scalar: the exact amount as a string of digits (`"2500000000"`), safe
//!   in every JSON parser.

use std::borrow::Cow;

use async_graphql::{
    parser::types::Field, registry, ContextSelectionSet, ErrorExtensionValues, InputValueError, InputValueResult,
    OutputType, Positioned, Scalar, ScalarType, ServerError, ServerResult, Value,
};

use crate::{ErrorCode, Pence};

/// An `Int` field whose value is held in 64 bits: shown when it fits in
/// `Int`'s 32 bits, refused with `VALUE_TOO_LARGE` otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CheckedInt(pub i64);

impl From<i64> for CheckedInt {
    fn from(v: i64) -> Self {
        CheckedInt(v)
    }
}

impl From<i32> for CheckedInt {
    fn from(v: i32) -> Self {
        CheckedInt(i64::from(v))
    }
}

impl From<Pence> for CheckedInt {
    fn from(v: Pence) -> Self {
        CheckedInt(v.get())
    }
}

impl From<u64> for CheckedInt {
    fn from(v: u64) -> Self {
        CheckedInt(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<usize> for CheckedInt {
    fn from(v: usize) -> Self {
        CheckedInt(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl OutputType for CheckedInt {
    fn type_name() -> Cow<'static, str> {
        <i32 as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        <i32 as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        match i32::try_from(self.0) {
            Ok(v) => Ok(Value::from(v)),
            Err(_) => {
                let name = field.node.name.node.as_str();
                let mut error = ServerError::new(
                    format!(
                        "{name} is too large for a GraphQL Int (32 bits); \
                         ask for its exact sibling of type Pence where there is one"
                    ),
                    Some(field.pos),
                );
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", ErrorCode::ValueTooLarge.as_str());
                error.extensions = Some(extensions);
                Err(ctx.set_error_path(error))
            }
        }
    }
}

/// An amount of money in whole pence (GBP), as a string of decimal digits
/// with an optional leading minus (`"2500000000"` is £25,000,000.00). Exact
/// to 64 bits, where `Int` stops at 2,147,483,647. Accepted as input both as
/// such a string and as a number. Every money field ending in `Pence` is an
/// `Int`: a value past 2,147,483,647 is refused there with `extensions.code
/// = VALUE_TOO_LARGE` (never capped); totals that can grow that far have a
/// sibling ending in `Amount` of this type.
#[Scalar(name = "Pence")]
impl ScalarType for Pence {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(InputValueError::custom("Pence must be whole pence, e.g. \"1250\""));
                }
                s.parse::<i64>()
                    .map(Pence)
                    .map_err(|_| InputValueError::custom("Pence is out of range"))
            }
            Value::Number(n) => n
                .as_i64()
                .map(Pence)
                .ok_or_else(|| InputValueError::custom("Pence must be whole pence")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        match value {
            Value::String(s) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
            }
            Value::Number(n) => n.is_i64(),
            _ => false,
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn small(&self) -> CheckedInt {
            CheckedInt(2_147_483_647)
        }
        async fn large(&self) -> CheckedInt {
            CheckedInt(2_147_483_648)
        }
        async fn negative(&self) -> CheckedInt {
            CheckedInt(-2_147_483_649)
        }
        async fn optional(&self) -> Option<CheckedInt> {
            Some(CheckedInt(5_000_000_000))
        }
        async fn exact(&self) -> Pence {
            Pence(100_000_000_000)
        }
        async fn echo(&self, amount: Pence) -> Pence {
            amount
        }
    }

    fn run(query: &str) -> async_graphql::Response {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        futures_lite_block_on(schema.execute(query))
    }

    /// A tiny executor: the futures here never wait on I/O.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Wake, Waker};
        struct Noop;
        impl Wake for Noop {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        let waker = Waker::from(std::sync::Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn ints_that_fit_are_shown() {
        let r = run("{ small }");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.data.into_json().unwrap()["small"], 2_147_483_647);
    }

    #[test]
    fn ints_that_do_not_fit_are_refused_not_capped() {
        for field in ["large", "negative", "optional"] {
            let r = run(&format!("{{ {field} }}"));
            assert_eq!(r.errors.len(), 1, "{field}");
            let code = r.errors[0].extensions.as_ref().and_then(|e| e.get("code")).cloned();
            assert_eq!(code, Some(Value::from(ErrorCode::ValueTooLarge.as_str())), "{field}");
            assert!(r.errors[0].message.contains(field), "{}", r.errors[0].message);
            let path = serde_json::to_value(&r.errors[0].path).unwrap();
            assert_eq!(path, serde_json::json!([field]), "{field}");
        }
        // The nullable field is null; the non-null ones null the whole data.
        let r = run("{ optional }");
        assert_eq!(r.data.into_json().unwrap()["optional"], serde_json::Value::Null);
    }

    #[test]
    fn the_int_type_is_the_standard_one() {
        let sdl = Schema::new(Query, EmptyMutation, EmptySubscription).sdl();
        assert!(sdl.contains("small: Int!"), "{sdl}");
        assert!(sdl.contains("optional: Int"), "{sdl}");
        assert!(sdl.contains("scalar Pence"), "{sdl}");
        assert!(sdl.contains("exact: Pence!"), "{sdl}");
    }

    #[test]
    fn pence_is_an_exact_string_and_is_read_as_string_or_number() {
        let r = run(r#"{ exact a: echo(amount: "-2500000000") b: echo(amount: 1250) }"#);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let data = r.data.into_json().unwrap();
        assert_eq!(data["exact"], "100000000000");
        assert_eq!(data["a"], "-2500000000");
        assert_eq!(data["b"], "1250");
        for bad in [
            r#""12.50""#,
            r#""""#,
            r#""1e9""#,
            r#""99999999999999999999""#,
            "12.5",
            "true",
        ] {
            let r = run(&format!("{{ echo(amount: {bad}) }}"));
            assert!(!r.errors.is_empty(), "{bad} was accepted");
        }
    }
}
