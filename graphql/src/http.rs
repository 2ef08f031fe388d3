//! `POST /graphql` and `GET /graphql`, GraphiQL, and the checks made before
//! any resolver runs: body size, batch size, bracket nesting (before
//! parsing), aliases and password fields with fragments expanded, control
//! characters, and the bearer token with its session ([`crate::guard`]).
//! Depth and complexity are checked by the schema itself at validation,
//! also before execution.
//!
//! GraphQL over HTTP: an answer is written as `application/graphql-response+json`
//! when the client's `Accept` prefers it, else as `application/json` (also
//! when `Accept` is missing or `*/*`). A request that fails before execution
//! (it does not parse, does not validate, its variables do not fit, or a
//! check here refuses it) is answered without a `data` entry; with the newer
//! media type its status is 4xx (400, or 401 for a sign-in token that is not
//! valid), with `application/json` it is 200 as legacy clients expect,
//! except for what is not a GraphQL request at all (no query, a body that is
//! not JSON, too large), which is 4xx either way.
//!
//! Introspection, where it is on: a document asking only for `__schema`,
//! `__type` and `__typename` runs on a schema that can do nothing else
//! (`introspection_only`), with a depth limit the standard introspection
//! query fits ([`INTROSPECTION_MAX_DEPTH`]) and graphql-js's bound on nested
//! list fields ([`guard::introspection_list_depth`]); every other document
//! keeps the ordinary depth and complexity limits.

use async_graphql::{parser::types::OperationType, BatchRequest, ServerError};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use roundabout_api::ErrorCode;
use serde::{ser::SerializeMap, Serialize, Serializer};

use crate::{
    accounts,
    config::Limits,
    guard,
    principal::Session,
    schema::{request::RequestCtx, GatewaySchema},
    services::Gateway,
};

/// The deepest field nesting of an introspection-only document: the
/// standard introspection query nests 15 deep (its `TypeRef` fragment
/// follows `ofType` nine times); costly shapes are bounded by
/// [`guard::MAX_INTROSPECTION_LIST_DEPTH`] instead.
pub const INTROSPECTION_MAX_DEPTH: usize = 24;

#[derive(Clone)]
pub struct HttpState {
    pub schema: GatewaySchema,
    /// Where introspection is on, the schema that answers introspection-only
    /// documents ([`crate::schema::build_introspection`]); `None` where it is off.
    pub introspection: Option<GatewaySchema>,
    pub gateway: Gateway,
    pub limits: Limits,
}

/// The public routes; GraphiQL (`crate::graphiql`) only when `graphiql` is set.
pub fn router(state: HttpState, graphiql: Option<crate::graphiql::Assets>) -> Router {
    let r = Router::new()
        .route("/graphql", get(graphql).post(graphql))
        .with_state(state);
    match graphiql {
        Some(assets) => r.merge(crate::graphiql::router(assets)),
        None => r,
    }
}

/// The media type an answer is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: every GraphQL answer is 200, as legacy clients expect.
    Json,
    /// `application/graphql-response+json`: a request that fails before
    /// execution is 4xx.
    GraphqlResponse,
}

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

impl MediaType {
    /// The client's preference from its `Accept` header: the newer media type
    /// when it is listed with a quality at least that of `application/json`
    /// (or `application/*`, `*/*`); `application/json` otherwise, including
    /// when `Accept` is missing, unreadable or lists neither (the server may
    /// then answer in its default type).
    pub fn negotiate(headers: &HeaderMap) -> MediaType {
        let (mut newer, mut json) = (None::<f32>, None::<f32>);
        for value in headers.get_all(header::ACCEPT) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .filter(|q| q.is_finite())
                    .unwrap_or(1.0);
                let slot = match range.as_str() {
                    GRAPHQL_RESPONSE_JSON => &mut newer,
                    "application/json" | "application/*" | "*/*" => &mut json,
                    _ => continue,
                };
                *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
            }
        }
        match (newer, json) {
            (Some(n), j) if n > 0.0 && n >= j.unwrap_or(0.0) => MediaType::GraphqlResponse,
            _ => MediaType::Json,
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::Json => "application/json; charset=utf-8",
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// One GraphQL answer as written: without `data` when the request failed
/// before execution (the GraphQL specification's request errors), which is
/// when it has errors, no data, and none of its errors has a path (an error
/// of a resolver always has one).
struct Answer<'a>(&'a async_graphql::Response);

impl Answer<'_> {
    fn is_request_error(&self) -> bool {
        let r = self.0;
        r.data == async_graphql::Value::Null && !r.errors.is_empty() && r.errors.iter().all(|e| e.path.is_empty())
    }
}

impl Serialize for Answer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.is_request_error() {
            return self.0.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("errors", &self.0.errors)?;
        if !self.0.extensions.is_empty() {
            map.serialize_entry("extensions", &self.0.extensions)?;
        }
        map.end()
    }
}

/// Writes `body` as JSON in `media`'s content type.
fn write(media: MediaType, status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut res = (status, bytes).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, media.content_type());
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "writing a GraphQL answer");
            (StatusCode::INTERNAL_SERVER_ERROR, "").into_response()
        }
    }
}

/// An error response before execution, in GraphQL's response shape (no
/// `data`). `status` is what the newer media type answers; with
/// `application/json`, a sign-in token that is not valid answers 200 as it
/// always has.
fn refuse(media: MediaType, status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
    let body = async_graphql::Response::from_errors(vec![err]);
    let status = match (media, status) {
        (MediaType::Json, StatusCode::UNAUTHORIZED) => StatusCode::OK,
        _ => status,
    };
    let mut res = write(media, status, &Answer(&body));
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

async fn graphql(State(s): State<HttpState>, req: Request) -> Response {
    let method = req.method().clone();
    let headers = req.headers().clone();
    let media = MediaType::negotiate(&headers);
    let refuse = |status, code, message: &str| refuse(media, status, code, message);
    let mut batch = match read_batch(&s.limits, media, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let requests: Vec<&mut async_graphql::Request> = match &mut batch {
        BatchRequest::Single(r) => vec![r],
        BatchRequest::Batch(rs) => rs.iter_mut().collect(),
    };
    if requests.len() > s.limits.max_batch {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchTooLarge,
            &format!("A batch may hold at most {} operations", s.limits.max_batch),
        );
    }
    let mut credential_fields = 0u64;
    // Per operation: whether it goes to the introspection schema.
    let mut introspective = Vec::with_capacity(requests.len());
    for r in requests {
        // No query at all (a missing or misspelt `query` parameter) is not a
        // GraphQL request.
        if r.query.is_empty() {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "The request has no query: send the GraphQL document in `query`",
            );
        }
        // Bounded before parsing: the parser recurses once per bracket.
        if guard::nesting(&r.query, s.limits.max_nesting) > s.limits.max_nesting
            || r.variables
                .iter()
                .any(|(_, v)| guard::value_depth(v) > s.limits.max_nesting)
        {
            return refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::TooDeeplyNested,
                &format!(
                    "The request nests brackets more than {} deep; send a flatter query or value",
                    s.limits.max_nesting
                ),
            );
        }
        // Documents that do not parse are left to the executor's own error;
        // those that do are kept in the request, so the executor does not
        // parse them again.
        let bad_variable = guard::variables_control_character(&r.variables);
        if let Ok(doc) = r.parsed_query() {
            let stats = guard::Stats::of(doc);
            if stats.aliases > s.limits.max_aliases as u64 {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::TooManyAliases,
                    &format!(
                        "A query may use at most {} aliases, counting each use of a fragment; this one uses {}",
                        s.limits.max_aliases, stats.aliases
                    ),
                );
            }
            if s.introspection.is_none() && stats.introspection {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::IntrospectionDisabled,
                    "Introspection is turned off here",
                );
            }
            if stats.introspection && guard::introspection_list_depth(doc) > guard::MAX_INTROSPECTION_LIST_DEPTH {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::IntrospectionTooDeep,
                    &format!(
                        "An introspection query may nest fields, interfaces, possibleTypes and inputFields at most {} deep",
                        guard::MAX_INTROSPECTION_LIST_DEPTH
                    ),
                );
            }
            introspective.push(s.introspection.is_some() && guard::introspection_only(doc));
            if method == Method::GET && doc.operations.iter().any(|(_, op)| op.node.ty != OperationType::Query) {
                return refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    ErrorCode::MethodNotAllowed,
                    "Mutations must be sent with POST",
                );
            }
            if let Some(at) = bad_variable.or_else(|| guard::document_control_character(doc)) {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidInput,
                    &format!("Text may not contain control characters (such as NUL); remove them from {at}"),
                );
            }
            credential_fields = credential_fields.saturating_add(stats.credential_fields);
        } else {
            introspective.push(false);
        }
    }
    if credential_fields > 1 {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::OneSignInPerRequest,
            "A request may sign in, sign up, change a password or create a council only once",
        );
    }
    let session = match authenticate(&s.gateway, media, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let schema_for = |i: usize| match (&s.introspection, introspective.get(i)) {
        (Some(schema), Some(true)) => schema,
        _ => &s.schema,
    };
    let run = |i: usize, r: async_graphql::Request| {
        let r = r.data(RequestCtx::new(session.clone(), &s.gateway.services));
        schema_for(i).execute(r)
    };
    match batch {
        BatchRequest::Single(r) => {
            let res = run(0, r).await;
            let answer = Answer(&res);
            let status = if media == MediaType::GraphqlResponse && answer.is_request_error() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            write(media, status, &answer)
        }
        // A batch's operations run at once; each answer is written on its
        // own terms and the batch is 200.
        BatchRequest::Batch(rs) => {
            let answers = futures::future::join_all(rs.into_iter().enumerate().map(|(i, r)| run(i, r))).await;
            let written: Vec<Answer<'_>> = answers.iter().map(Answer).collect();
            write(media, StatusCode::OK, &written)
        }
    }
}

/// Reads the request: GET from the query string, POST from a JSON body no
/// larger than the limit.
async fn read_batch(limits: &Limits, media: MediaType, req: Request) -> Result<BatchRequest, Response> {
    let refuse = |status, code, message: &str| refuse(media, status, code, message);
    if req.method() == Method::GET {
        let q = req.uri().query().unwrap_or("");
        return async_graphql::http::parse_query_string(q)
            .map(BatchRequest::Single)
            .map_err(|_| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    "The query string is not a GraphQL request",
                )
            });
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("application/graphql-response+json"));
    if !json {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send GraphQL requests as application/json",
        ));
    }
    let body: Body = req.into_body();
    let bytes = to_bytes(body, limits.max_body_bytes).await.map_err(|_| {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            &format!("The request body is larger than {} bytes", limits.max_body_bytes),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "The body is not a GraphQL request in JSON",
        )
    })
}

/// The session of the request's bearer token. No token: anonymous. A token
/// that is malformed, forged, expired, names no user or a session that has
/// ended: `UNAUTHENTICATED`.
async fn authenticate(g: &Gateway, media: MediaType, headers: &HeaderMap) -> Result<Session, Response> {
    let refuse = |status, code, message: &str| refuse(media, status, code, message);
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Session(None));
    };
    let unauthenticated = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "The sign-in token is missing, invalid or expired; sign in again",
        )
    };
    let raw = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(unauthenticated)?;
    let (user_id, session_id) = g.tokens.verify(raw).map_err(|_| unauthenticated())?;
    // One query: the user, their memberships, and that the session is live.
    match accounts::db::load_principal(&g.pool, user_id, session_id).await {
        Ok(Some(p)) => Ok(Session(Some(p))),
        Ok(None) => Err(unauthenticated()),
        Err(e) => {
            tracing::error!(error = ?e, "loading the signed-in user");
            Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "Sign-in could not be checked; please try again",
            ))
        }
    }
}
