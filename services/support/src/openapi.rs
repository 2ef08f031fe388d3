//! OpenAPI 3.1 documents of the services' internal APIs, built from the
//! contract's types.
//!
//! Each service declares its operations beside its routers
//! (`services/<service>/src/http/openapi.rs`): the method, the path
//! template from [`roundabout_api::routes`], the body, query string and
//! answers as the contract's types (whose JSON Schemas come from
//! `schemars`, following their serde attributes), and the refusals it may
//! answer. [`Document`] adds what every service has — `/healthz`,
//! `/readyz`, `/openapi.json`, the internal caller token as the security
//! scheme, the error envelope of every refusal — and writes the document.
//! The host serves it at `/openapi.json` behind the internal auth
//! ([`crate::server::ServiceHost::with_openapi`]); the committed copies are
//! `docs/openapi/<service>.json`, and each service's tests check that the
//! copy is what the code generates and that the document lists exactly the
//! routes its router serves.

use schemars::{generate::SchemaSettings, JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::{
    error::ErrorEnvelope,
    internal_auth::CALLER_HEADER,
    server::{Health, Readiness},
};
use roundabout_api::routes;

/// The name of the security scheme of the internal caller token.
pub const CALLER_SCHEME: &str = "internalCaller";

/// A service's OpenAPI document under construction.
pub struct Document {
    service: &'static str,
    description: String,
    generator: SchemaGenerator,
    paths: Map<String, Value>,
}

impl Document {
    /// The document of `service`, with the routes every service serves.
    pub fn new(service: &'static str, description: &str) -> Self {
        let mut settings = SchemaSettings::draft2020_12();
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
        let mut doc = Self {
            service,
            description: description.to_string(),
            generator: settings.into_generator(),
            paths: Map::new(),
        };
        doc.get(routes::common::HEALTHZ, "Liveness: the process answers")
            .public("Probed by orchestrators; says nothing about the data.")
            .ok::<Health>(200, "The process is up")
            .tag("probes");
        doc.get(
            routes::common::READYZ,
            "Readiness: the database is reachable and every migration applied",
        )
        .public("Probed by orchestrators; says nothing about the data.")
        .ok::<Readiness>(200, "Ready to serve")
        .answers::<Readiness>(503, "Not ready: the database is unreachable or a migration is missing")
        .tag("probes");
        doc.get(routes::common::OPENAPI, "This document")
            .answers_any(200, "The service's OpenAPI 3.1 document")
            .tag("probes");
        doc
    }

    /// Declares `GET path`.
    pub fn get(&mut self, path: &'static str, summary: &str) -> Operation<'_> {
        self.operation("get", path, summary)
    }

    /// Declares `POST path`.
    pub fn post(&mut self, path: &'static str, summary: &str) -> Operation<'_> {
        self.operation("post", path, summary)
    }

    /// Declares `PUT path`.
    pub fn put(&mut self, path: &'static str, summary: &str) -> Operation<'_> {
        self.operation("put", path, summary)
    }

    /// Declares the event feed a service publishes ([`crate::events`]).
    pub fn events(&mut self) {
        use roundabout_api::events::{AckData, EventsAck, EventsPage, EventsQuery};
        self.get(routes::events::EVENTS, "The oldest events not yet taken")
            .query::<EventsQuery>()
            .ok::<EventsPage>(200, "The events, oldest first")
            .refuses(403, "Only the gateway takes events")
            .refuses(422, "`limit` out of range (`INVALID_INPUT`)")
            .tag("events");
        self.post(routes::events::EVENTS_ACK, "Marks events taken")
            .body::<EventsAck>()
            .ok::<AckData>(200, "How many were marked taken")
            .refuses(403, "Only the gateway takes events")
            .refuses(422, "Too many ids at once (`INVALID_INPUT`)")
            .tag("events");
    }

    fn operation(&mut self, method: &'static str, path: &'static str, summary: &str) -> Operation<'_> {
        let item = self
            .paths
            .entry(path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let parameters: Vec<Value> = path_parameters(path)
            .map(|name| {
                json!({
                    "name": name,
                    "in": "path",
                    "required": true,
                    "schema": path_parameter_schema(name),
                })
            })
            .collect();
        let mut op = json!({
            "operationId": operation_id(method, path),
            "summary": summary,
            "tags": [tag_of(path)],
            "security": [{CALLER_SCHEME: []}],
            "responses": {},
        });
        if !parameters.is_empty() {
            op["parameters"] = Value::Array(parameters);
        }
        item[method] = op;
        Operation {
            doc: self,
            path,
            method,
        }
    }

    /// The document as JSON.
    pub fn into_json(mut self) -> Value {
        let schemas = self.generator.take_definitions(true);
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {
                "title": format!("Roundabout {} service (internal API)", self.service),
                "version": env!("CARGO_PKG_VERSION"),
                "description": self.description,
            },
            "paths": Value::Object(std::mem::take(&mut self.paths)),
            "components": {
                "schemas": Value::Object(schemas),
                "securitySchemes": {
                    CALLER_SCHEME: {
                        "type": "apiKey",
                        "in": "header",
                        "name": CALLER_HEADER,
                        "description": "A caller token signed with Ed25519 by the part that may assert the caller \
                            (the gateway for people, each service for itself), addressed to this service (`aud`) \
                            and valid for 60 seconds: `<kid>.<claims>.<signature>` (docs/ARCHITECTURE.md, \
                            \"Internal authentication\"). Without a valid one an operation that requires it \
                            answers 401 `UNAUTHENTICATED`.",
                    }
                },
            },
        });
        bound_integers(&mut doc["components"]);
        bound_integers(&mut doc["paths"]);
        doc
    }

    fn error_schema(&mut self) -> Value {
        self.generator.subschema_for::<ErrorEnvelope>().to_value()
    }
}

/// One operation being declared; each call adds to it.
pub struct Operation<'a> {
    doc: &'a mut Document,
    path: &'static str,
    method: &'static str,
}

impl Operation<'_> {
    fn op(&mut self) -> &mut Value {
        &mut self.doc.paths[self.path][self.method]
    }

    /// Open to anyone (no caller token), with why.
    pub fn public(mut self, why: &str) -> Self {
        let op = self.op();
        op["security"] = json!([]);
        op["description"] = Value::String(why.to_string());
        self
    }

    /// A longer description.
    pub fn describe(mut self, text: &str) -> Self {
        self.op()["description"] = Value::String(text.to_string());
        self
    }

    /// The operation's tag, instead of the path's first word.
    pub fn tag(mut self, tag: &str) -> Self {
        self.op()["tags"] = json!([tag]);
        self
    }

    /// A required request header.
    pub fn header(mut self, name: &str, description: &str) -> Self {
        let parameter = json!({
            "name": name,
            "in": "header",
            "required": true,
            "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        });
        let op = self.op();
        match op["parameters"].as_array_mut() {
            Some(existing) => existing.push(parameter),
            None => op["parameters"] = json!([parameter]),
        }
        self
    }

    /// A JSON body of type `T` (required).
    pub fn body<T: JsonSchema>(mut self) -> Self {
        let schema = self.doc.generator.subschema_for::<T>().to_value();
        self.op()["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": schema}},
        });
        self
    }

    /// A body that is not JSON for the service to parse but bytes it checks
    /// itself (a signed webhook): any JSON value.
    pub fn raw_body(mut self, description: &str) -> Self {
        self.op()["requestBody"] = json!({
            "required": true,
            "description": description,
            "content": {"application/json": {"schema": {}}},
        });
        self
    }

    /// The query string's parameters: each property of `T`, an object.
    pub fn query<T: JsonSchema>(mut self) -> Self {
        let schema = self.doc.generator.root_schema_for::<T>().to_value();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut parameters = Vec::new();
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                let mut property = property.clone();
                let description = property
                    .as_object_mut()
                    .and_then(|p| p.remove("description"))
                    .unwrap_or(Value::Null);
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": non_null(property),
                });
                if !description.is_null() {
                    parameter["description"] = description;
                }
                parameters.push(parameter);
            }
        }
        let op = self.op();
        match op["parameters"].as_array_mut() {
            Some(existing) => existing.extend(parameters),
            None => op["parameters"] = Value::Array(parameters),
        }
        self
    }

    /// A success answer `status` with a JSON body of type `T`.
    pub fn ok<T: JsonSchema>(self, status: u16, description: &str) -> Self {
        self.answers::<T>(status, description)
    }

    /// An answer `status` with a JSON body of type `T`.
    pub fn answers<T: JsonSchema>(mut self, status: u16, description: &str) -> Self {
        let schema = self.doc.generator.subschema_for::<T>().to_value();
        self.op()["responses"][status.to_string()] = json!({
            "description": description,
            "content": {"application/json": {"schema": schema}},
        });
        self
    }

    /// An answer `status` with any JSON body.
    pub fn answers_any(mut self, status: u16, description: &str) -> Self {
        self.op()["responses"][status.to_string()] = json!({
            "description": description,
            "content": {"application/json": {"schema": {}}},
        });
        self
    }

    /// A refusal `status`: the error envelope with its code.
    pub fn refuses(mut self, status: u16, description: &str) -> Self {
        let schema = self.doc.error_schema();
        self.op()["responses"][status.to_string()] = json!({
            "description": description,
            "content": {"application/json": {"schema": schema}},
        });
        self
    }
}

impl Drop for Operation<'_> {
    /// Adds the refusals every operation of its kind may answer: a
    /// malformed path, query or body (400), a body too large or not JSON
    /// (413, 415), no valid caller token (401), and the service busy or its
    /// database unreachable (503).
    fn drop(&mut self) {
        let op = &self.doc.paths[self.path][self.method];
        let has_input = op.get("parameters").is_some() || op.get("requestBody").is_some();
        let has_body = op.get("requestBody").is_some();
        let internal = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let schema = self.doc.error_schema();
        let responses = &mut self.doc.paths[self.path][self.method]["responses"];
        let mut add = |status: u16, description: &str| {
            let key = status.to_string();
            if responses.get(&key).is_none() {
                responses[key] = json!({
                    "description": description,
                    "content": {"application/json": {"schema": schema}},
                });
            }
        };
        if has_input {
            add(
                400,
                "Malformed input (`INVALID_INPUT`): a path parameter, query string or body of the wrong shape",
            );
        }
        if has_body {
            add(413, "The body is larger than allowed (`PAYLOAD_TOO_LARGE`)");
            add(415, "The body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`)");
        }
        if internal {
            add(401, "No valid caller token (`UNAUTHENTICATED`)");
        }
        add(
            503,
            "Busy (`OVERLOADED`, with `Retry-After`), out of time (`TIMED_OUT`) or the database unreachable \
             (`SERVICE_UNAVAILABLE`); nothing was done",
        );
    }
}

/// The names of a path template's parameters, in order.
pub fn path_parameters(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// An id (`id`, `…_id`) is a UUID; any other parameter is text.
fn path_parameter_schema(name: &str) -> Value {
    if name == "id" || name.ends_with("_id") {
        json!({"type": "string", "format": "uuid"})
    } else {
        json!({"type": "string", "minLength": 1})
    }
}

/// `get /internal/providers/{id}/councils` → `getProvidersIdCouncils`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for word in path
        .split(['/', '-', '_', '{', '}', '.'])
        .filter(|w| !w.is_empty() && *w != "internal")
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.extend(first.to_uppercase());
            id.push_str(chars.as_str());
        }
    }
    id
}

/// The first word of the path after `/internal`.
fn tag_of(path: &str) -> String {
    path.trim_start_matches('/')
        .trim_start_matches("internal/")
        .split('/')
        .next()
        .unwrap_or("")
        .to_string()
}

/// A query parameter is absent rather than null: `Option<T>`'s schema
/// without its `null`.
fn non_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types[0].clone();
            schema["type"] = only;
        }
        return schema;
    }
    if let Some(any_of) = schema.get("anyOf").and_then(Value::as_array) {
        let rest: Vec<Value> = any_of.iter().filter(|s| s["type"] != "null").cloned().collect();
        if rest.len() == 1 {
            return rest[0].clone();
        }
    }
    schema
}

/// Gives every integer with a fixed-width `format` its range, so that a
/// client (or a test generator) knows what fits.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let range: Option<(Value, Value)> = match map.get("format").and_then(Value::as_str) {
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("uint32") => Some((0.into(), u32::MAX.into())),
                Some("uint64" | "uint") => Some((0.into(), u64::MAX.into())),
                Some("uint16") => Some((0.into(), u16::MAX.into())),
                Some("uint8") => Some((0.into(), u8::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = range {
                map.entry("minimum").or_insert(min);
                map.entry("maximum").or_insert(max);
            }
            for v in map.values_mut() {
                bound_integers(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_and_tags_come_from_the_path() {
        assert_eq!(
            operation_id("get", "/internal/providers/{id}/councils"),
            "getProvidersIdCouncils"
        );
        assert_eq!(operation_id("post", "/webhooks/stripe"), "postWebhooksStripe");
        assert_eq!(tag_of("/internal/vehicles/{id}"), "vehicles");
        assert_eq!(tag_of("/healthz"), "healthz");
    }

    #[test]
    fn every_operation_gets_the_refusals_of_its_kind() {
        let mut doc = Document::new("test", "A test.");
        doc.post("/internal/things/{id}", "Makes a thing")
            .body::<roundabout_api::BatchIn>()
            .ok::<roundabout_api::BatchIn>(200, "Made")
            .refuses(404, "No such thing");
        let json = doc.into_json();
        let op = &json["paths"]["/internal/things/{id}"]["post"];
        let mut statuses: Vec<&str> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        statuses.sort();
        assert_eq!(statuses, ["200", "400", "401", "404", "413", "415", "503"]);
        assert_eq!(op["parameters"][0]["schema"]["format"], "uuid");
        assert_eq!(op["security"][0][CALLER_SCHEME], json!([]));
        let health = &json["paths"]["/healthz"]["get"];
        assert_eq!(health["security"], json!([]));
        assert!(health["responses"].get("401").is_none());
        assert!(json["components"]["schemas"].get("ErrorEnvelope").is_some());
    }

    #[test]
    fn integers_get_their_range_and_query_options_lose_their_null() {
        let mut v = json!({"a": {"type": "integer", "format": "int32"}, "b": [{"format": "uint64", "minimum": 1}]});
        bound_integers(&mut v);
        assert_eq!(v["a"]["maximum"], json!(i32::MAX));
        assert_eq!(v["b"][0]["minimum"], json!(1));
        assert_eq!(
            non_null(json!({"type": ["integer", "null"]})),
            json!({"type": "integer"})
        );
    }
}
