//! A span for every database statement, without touching the queries.
//!
//! sqlx reports each statement when it finishes, as a `tracing` event of
//! target `sqlx::query` (its text, rows, and how long it took), at `debug`
//! (or `warn` when slow). When spans are exported, [`layer`] receives those
//! events — and only it: the logs' filter keeps `sqlx` at `warn` — and turns
//! each into an OpenTelemetry client span, backdated to the statement's
//! start, under the span the statement ran in (a request, a call). So every
//! query of every part is covered: `query!` macros, `QueryBuilder`,
//! transactions and migrations alike.
//!
//! A statement run outside any span (a background loop's polling) makes no
//! span: a trace starts with a request or a call, never with a query.
//!
//! Attributes: `db.system` (`postgresql`), `db.name`, `db.operation`
//! (`SELECT`, `INSERT`, …), `db.statement` (the statement's text, with
//! `$1`-style parameters and never their values; its first 2,048
//! characters), `server.address`, `server.port`, and the rows returned and
//! affected. The span's name is `<operation> <database>`.

use std::{
    borrow::Cow,
    sync::OnceLock,
    time::{Duration, SystemTime},
};

use opentelemetry::{
    trace::{Span as _, SpanKind, TraceContextExt, Tracer as _},
    KeyValue,
};
use opentelemetry_sdk::trace::SdkTracer;
use tracing::{field::Field, Event, Subscriber};
use tracing_subscriber::{filter::Targets, layer::Context, Layer};

/// The target of sqlx's statement events.
const TARGET: &str = "sqlx::query";
/// The longest statement text a span carries.
const MAX_STATEMENT: usize = 2048;

/// The database this process's statements run on (its part's own).
#[derive(Debug, Clone)]
struct Database {
    name: String,
    host: String,
    port: u16,
}

static DATABASE: OnceLock<Database> = OnceLock::new();

/// Names the database the part's statements run on (its pool's; the first
/// pool a process opens). Called by [`crate::db::connect`].
pub fn set_database(options: &sqlx::postgres::PgConnectOptions) {
    let _ = DATABASE.set(Database {
        name: options.get_database().unwrap_or("postgres").to_string(),
        host: options.get_host().to_string(),
        port: options.get_port(),
    });
}

/// The events [`layer`] wants: sqlx's statements, at every level it reports them.
pub fn events() -> Targets {
    Targets::new().with_target(TARGET, tracing::Level::DEBUG)
}

/// The layer turning statement events into spans made by `tracer`.
pub fn layer(tracer: SdkTracer) -> Statements {
    Statements { tracer }
}

/// See the [module](self).
pub struct Statements {
    tracer: SdkTracer,
}

/// What sqlx says of one statement.
#[derive(Default)]
struct Statement {
    summary: String,
    text: String,
    rows_returned: Option<u64>,
    rows_affected: Option<u64>,
    elapsed: Option<f64>,
}

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.text = value.trim().to_string(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "rows_returned" => self.rows_returned = Some(value),
            "rows_affected" => self.rows_affected = Some(value),
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl Statement {
    /// The statement's text: sqlx sends it whole only when its first four
    /// words (the summary) are not all of it.
    fn text(&self) -> &str {
        if self.text.is_empty() {
            &self.summary
        } else {
            &self.text
        }
    }

    /// Its first keyword, upper-cased (`SELECT`, `INSERT`, `WITH`, …).
    fn operation(&self) -> String {
        self.text()
            .split(|c: char| c.is_whitespace() || c == '(')
            .find(|w| !w.is_empty())
            .unwrap_or("QUERY")
            .to_ascii_uppercase()
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl<S: Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        // The span the statement ran in, as the OpenTelemetry layer made it
        // current on entering it.
        let parent = opentelemetry::Context::current();
        if !parent.span().span_context().is_valid() {
            return;
        }
        let mut s = Statement::default();
        event.record(&mut s);
        let end = SystemTime::now();
        let took = s
            .elapsed
            .filter(|e| e.is_finite() && *e >= 0.0)
            .map_or(Duration::ZERO, Duration::from_secs_f64);
        let start = end.checked_sub(took).unwrap_or(end);
        let operation = s.operation();
        let db = DATABASE.get();
        let name = match db {
            Some(d) => format!("{operation} {}", d.name),
            None => operation.clone(),
        };
        let mut attributes = vec![
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("db.operation", operation),
            KeyValue::new("db.statement", truncate(s.text(), MAX_STATEMENT).to_string()),
        ];
        if let Some(d) = db {
            attributes.push(KeyValue::new("db.name", d.name.clone()));
            attributes.push(KeyValue::new("server.address", d.host.clone()));
            attributes.push(KeyValue::new("server.port", i64::from(d.port)));
        }
        if let Some(n) = s.rows_returned {
            attributes.push(KeyValue::new(
                "db.response.returned_rows",
                i64::try_from(n).unwrap_or(i64::MAX),
            ));
        }
        if let Some(n) = s.rows_affected {
            attributes.push(KeyValue::new("db.rows_affected", i64::try_from(n).unwrap_or(i64::MAX)));
        }
        let mut span = self
            .tracer
            .span_builder(Cow::Owned(name))
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        span.end_with_timestamp(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_is_the_statement_s_first_keyword() {
        let s = |summary: &str, text: &str| Statement {
            summary: summary.into(),
            text: text.into(),
            ..Statement::default()
        };
        assert_eq!(s("select 1", "").operation(), "SELECT");
        assert_eq!(
            s(
                "insert into bookings (id, …",
                "insert into bookings (id, x) values ($1, $2)"
            )
            .operation(),
            "INSERT"
        );
        assert_eq!(
            s("(select 1) union …", "(select 1) union (select 2)").operation(),
            "SELECT"
        );
        assert_eq!(s("", "").operation(), "QUERY");
        assert_eq!(s("select 1", "").text(), "select 1");
    }

    #[test]
    fn long_statements_are_cut_at_a_character() {
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(truncate("ééé", 3), "é");
    }
}
