//! Typed GraphQL operations. Each area's documents live in
//! `tests/it/support/graphql/<area>.graphql`; the module of the same name here
//! derives one Rust type per operation with `graphql_client`, which checks the
//! document against the committed `graphql/schema.graphql` when the tests
//! compile: a renamed or removed field is a compile error, not a `null` at run
//! time. [`Typed::run`] sends an operation with a [`GraphqlClient`] and reads
//! its answer into the operation's `ResponseData`.
//!
//! To add an operation: write it (named) in the area's `.graphql` file, add
//! its name to that document's [`operations!`] list in the area's module,
//! and, if it is a mutation with `userErrors`, list its payload in
//! [`payloads!`]. The generated module (`the_name`) holds `Variables`,
//! `ResponseData` and every nested type, named after the path to it
//! (`the_name::TheNameFieldSubfield`).

/// Derives one typed operation per name from the document at the path
/// (relative to the package), with the settings every operation shares.
macro_rules! operations {
    ($path:tt: $($name:ident),+ $(,)?) => {$(
        #[derive(graphql_client::GraphQLQuery)]
        #[graphql(
            schema_path = "graphql/schema.graphql",
            query_path = $path,
            response_derives = "Debug, Clone, PartialEq",
            variables_derives = "Debug, Clone",
            normalization = "rust",
            skip_serializing_none
        )]
        #[allow(dead_code, reason = "named as `Typed::run::<…>`, never built")]
        pub struct $name;
    )+};
}

pub mod bookings;
pub mod councils;
pub mod fleet;
pub mod households;
pub mod identity;
pub mod offers;
pub mod reports;
pub mod retention;
pub mod schemes;

use graphql_client::{GraphQLQuery, Response};
use roundabout::graphql_client::GraphqlClient;
use serde::de::DeserializeOwned;

// The schema's custom scalars, under the names the generated code looks
// for them by (`normalization = "rust"` turns `GeoJSON` into `GeoJson`,
// and `ID` into `Id`).
/// The schema's `DateTime` (RFC 3339).
pub type DateTime = chrono::DateTime<chrono::Utc>;
/// The schema's `GeoJSON` geometry.
pub type GeoJson = serde_json::Value;
/// The schema's `JSON` (rules, facts).
pub type Json = serde_json::Value;
/// The schema's `ID`.
pub type Id = String;

/// An error of the `errors` list of a GraphQL answer.
pub type GraphqlError = graphql_client::Error;

/// A typed operation sent with a [`GraphqlClient`].
pub trait Typed {
    /// Sends `Q` with `variables`: its `data`, or the answer's `errors` when
    /// there are any. Panics if the gateway cannot be reached or the answer
    /// does not have the operation's shape.
    fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> impl std::future::Future<Output = Result<Q::ResponseData, Vec<GraphqlError>>> + Send
    where
        Q::Variables: Send + Sync,
        Q::ResponseData: Send;

    /// Sends `Q`; the whole answer, `data` and `errors` both (for a test
    /// that asserts on both).
    fn response<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> impl std::future::Future<Output = Response<Q::ResponseData>> + Send
    where
        Q::Variables: Send + Sync,
        Q::ResponseData: Send;

    /// Sends `Q`, which must answer with no GraphQL error; its `data`.
    fn data<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> impl std::future::Future<Output = Q::ResponseData> + Send
    where
        Q::Variables: Send + Sync,
        Q::ResponseData: Send;
}

impl Typed for GraphqlClient {
    async fn run<Q: GraphQLQuery>(&self, variables: Q::Variables) -> Result<Q::ResponseData, Vec<GraphqlError>>
    where
        Q::Variables: Send + Sync,
        Q::ResponseData: Send,
    {
        let response = self.response::<Q>(variables).await;
        match response.errors {
            Some(errors) if !errors.is_empty() => Err(errors),
            _ => Ok(response.data.expect("an answer with no data and no errors")),
        }
    }

    async fn response<Q: GraphQLQuery>(&self, variables: Q::Variables) -> Response<Q::ResponseData>
    where
        Q::Variables: Send + Sync,
        Q::ResponseData: Send,
    {
        let body = Q::build_query(variables);
        let sent = serde_json::json!({
            "query": operation_text(body.query, body.operation_name),
            "operationName": body.operation_name,
            "variables": body.variables,
        });
        let answer = self.send(&sent).await.unwrap();
        parse(&answer, body.operation_name)
    }

    async fn data<Q: GraphQLQuery>(&self, variables: Q::Variables) -> Q::ResponseData
    where
        Q::Variables: Send + Sync,
        Q::ResponseData: Send,
    {
        self.run::<Q>(variables)
            .await
            .unwrap_or_else(|errors| panic!("GraphQL errors: {errors:?}"))
    }
}

/// The operation `name` of `document` with the fragments it spreads
/// (transitively): what a request carries. The gateway checks the whole
/// document it is sent (one sign-in or sign-up per document, complexity,
/// aliases), so the other operations of an area's document stay out.
pub fn operation_text(document: &str, name: &str) -> String {
    let definitions = definitions(document);
    let header = |d: &str| -> (bool, String) {
        let head = &d[..d.find(['{', '(']).unwrap_or(d.len())];
        let mut words = head.split_whitespace();
        let kind = words.next().unwrap_or_default();
        (kind == "fragment", words.next().unwrap_or_default().to_string())
    };
    let Some(operation) = definitions.iter().find(|d| header(d) == (false, name.to_string())) else {
        return document.to_string();
    };
    let mut wanted = vec![*operation];
    let mut i = 0;
    while i < wanted.len() {
        for spread in spreads(wanted[i]) {
            if let Some(f) = definitions.iter().find(|d| header(d) == (true, spread.clone())) {
                if !wanted.contains(f) {
                    wanted.push(f);
                }
            }
        }
        i += 1;
    }
    wanted.join("\n\n")
}

/// A document's top-level definitions, comments left out of the count.
fn definitions(document: &str) -> Vec<&str> {
    let bytes = document.as_bytes();
    let (mut out, mut depth, mut start, mut i) = (Vec::new(), 0usize, None, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    if let Some(s) = start.take() {
                        out.push(&document[s..=i]);
                    }
                }
            }
            c if depth == 0 && start.is_none() && !c.is_ascii_whitespace() && c != b',' => start = Some(i),
            _ => {}
        }
        i += 1;
    }
    out
}

/// The fragment names spread (`...Name`) in a definition.
fn spreads(definition: &str) -> Vec<String> {
    definition
        .split("...")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && name != "on").then_some(name)
        })
        .collect()
}

#[test]
fn a_request_carries_its_operation_and_the_fragments_it_spreads() {
    let doc = "# A comment { with a brace\nfragment A on T { x ...B }\nfragment B on T { y }\nfragment C on T { z }\n\
               mutation One($i: I!) { one(input: $i, s: \"}\") { ...A } }\nquery Two { two { ... on T { x } } }";
    assert_eq!(
        operation_text(doc, "One"),
        "mutation One($i: I!) { one(input: $i, s: \"}\") { ...A } }\n\nfragment A on T { x ...B }\n\nfragment B on T { y }"
    );
    assert_eq!(operation_text(doc, "Two"), "query Two { two { ... on T { x } } }");
    assert_eq!(operation_text(doc, "Three"), doc);
}

fn parse<T: DeserializeOwned>(answer: &serde_json::Value, operation: &str) -> T {
    serde_json::from_value(answer.clone())
        .unwrap_or_else(|e| panic!("{operation}: the answer does not have the operation's shape ({e}): {answer}"))
}

/// The `extensions.code` of the first error.
pub fn first_error_code(errors: &[GraphqlError]) -> String {
    errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code"))
        .and_then(|c| c.as_str())
        .unwrap_or_default()
        .to_string()
}

/// A user error's `field`: the path to the input field concerned.
pub fn field(path: &[&str]) -> Option<Vec<String>> {
    Some(path.iter().map(|s| s.to_string()).collect())
}

/// A refusal the user can act on, from any payload's `userErrors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub code: String,
    pub message: String,
}

/// A mutation payload with `userErrors { field code message }`.
pub trait Payload: std::fmt::Debug {
    fn user_errors(&self) -> Vec<UserError>;

    /// The first user error's code, or "" when there is none.
    fn code(&self) -> String {
        self.user_errors().first().map(|e| e.code.clone()).unwrap_or_default()
    }

    /// Panics (showing the payload) unless there are no user errors.
    fn assert_ok(&self) {
        assert_eq!(self.user_errors(), vec![], "{self:?}");
    }
}

/// Implements [`Payload`] for generated payload types.
macro_rules! payloads {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::support::gql::Payload for $t {
            fn user_errors(&self) -> Vec<$crate::support::gql::UserError> {
                self.user_errors
                    .iter()
                    .map(|e| $crate::support::gql::UserError {
                        field: e.field.clone(),
                        code: e.code.clone(),
                        message: e.message.clone(),
                    })
                    .collect()
            }
        })*
    };
}
pub(crate) use payloads;
