//! `POST /graphql` and `GET /graphql`, GraphiQL, and the checks made before
//! any resolver runs: body size, batch size, bracket nesting (before
//! parsing), aliases and password fields with fragments expanded, control
//! characters, and the bearer token with its session ([`crate::guard`]).
//! Depth and complexity are checked by the schema itself at validation,
//! also before execution.

use async_graphql::{http::GraphiQLSource, parser::types::OperationType, BatchRequest, BatchResponse, ServerError};
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Json, Router,
};
use roundabout_api::ErrorCode;

use crate::{
    accounts,
    config::Limits,
    guard,
    principal::Session,
    schema::{request::RequestCtx, GatewaySchema},
    services::Gateway,
};

#[derive(Clone)]
pub struct HttpState {
    pub schema: GatewaySchema,
    pub gateway: Gateway,
    pub limits: Limits,
    /// Whether `__schema` and `__type` may be asked (never in production).
    pub introspection: bool,
}

/// The public routes; GraphiQL only when `graphiql` is set.
pub fn router(state: HttpState, graphiql: bool) -> Router {
    let mut r = Router::new().route("/graphql", get(graphql).post(graphql));
    if graphiql {
        r = r.route("/graphiql", get(graphiql_page));
    }
    r.with_state(state)
}

async fn graphiql_page() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Roundabout GraphQL")
            .finish(),
    )
}

/// An error response before execution, in GraphQL's response shape.
fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
    let body = async_graphql::Response::from_errors(vec![err]);
    (status, Json(body)).into_response()
}

async fn graphql(State(s): State<HttpState>, req: Request) -> Response {
    let method = req.method().clone();
    let headers = req.headers().clone();
    let mut batch = match read_batch(&s.limits, req).await {
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
    for r in requests {
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
            if !s.introspection && stats.introspection {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::IntrospectionDisabled,
                    "Introspection is turned off here",
                );
            }
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
        }
    }
    if credential_fields > 1 {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::OneSignInPerRequest,
            "A request may sign in, sign up, change a password or create a council only once",
        );
    }
    let session = match authenticate(&s.gateway, &headers).await {
        Ok(session) => session,
        Err(r) => return r,
    };
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(r.data(RequestCtx::new(session, &s.gateway.services))),
        BatchRequest::Batch(rs) => BatchRequest::Batch(
            rs.into_iter()
                .map(|r| r.data(RequestCtx::new(session.clone(), &s.gateway.services)))
                .collect(),
        ),
    };
    let res: BatchResponse = s.schema.execute_batch(batch).await;
    Json(res).into_response()
}

/// Reads the request: GET from the query string, POST from a JSON body no
/// larger than the limit.
async fn read_batch(limits: &Limits, req: Request) -> Result<BatchRequest, Response> {
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
async fn authenticate(g: &Gateway, headers: &HeaderMap) -> Result<Session, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Session(None));
    };
    let unauthenticated = || {
        refuse(
            StatusCode::OK,
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
