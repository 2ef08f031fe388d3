//! What the integration tests share. Here: the whole marketplace for a
//! test ([`Stack`]), each part on port 0 with its own fresh database, in the
//! test's runtime, and a GraphQL client for the gateway. Beside it:
//! [`bookings`] (a world ready to book), [`eligibility`] (schemes, zones,
//! profiles), [`web`] (the web front end and a browser over HTTP),
//! [`procs`] (a part as a child process), [`proc_stack`] (every part as
//! a process), [`up`] (`roundabout up` as a process), [`otlp`] (an
//! OpenTelemetry collector receiving the parts' spans) and [`gql`] (typed GraphQL operations, checked against the
//! committed schema).
//!
//! The benches include this tree too (`#[path]` in `benches/*.rs`).

#[allow(dead_code, reason = "the benchmarks use it, the tests do not")]
pub mod bench;
pub mod bookings;
pub mod chaos;
pub mod eligibility;
pub mod gql;
pub mod otlp;
pub mod proc_stack;
pub mod procs;
pub mod up;
pub mod web;

use gql::{Payload, Typed};
use roundabout::graphql_client::GraphqlClient;
use roundabout_gateway::config::{AbuseLimits, BootstrapAdmin, Limits, ServiceUrls};
use roundabout_support::{
    config::Environment,
    testing::{
        self,
        localstripe::{self, LocalStripe},
        Running,
    },
};
use serde_json::{json, Value};

pub const ADMIN_EMAIL: &str = "admin@roundabout.test";
pub const ADMIN_PASSWORD: &str = "admin password for tests";
pub const PASSWORD: &str = "a good long password";

/// How a test runs the stack.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Eligibility, bookings and payments as child processes a test can kill
    /// and restart ([`Stack::eligibility_proc`], …).
    pub processes: bool,
    /// Payments' card processor.
    pub cards: Cards,
    /// Eligibility's `BUDGET_HOLD_SECS` (default 900).
    pub budget_hold_secs: Option<u64>,
    /// Bookings' limits on what one household books (default: the
    /// production defaults); tests that book many times for one household
    /// widen them.
    pub booking_limits: Option<roundabout_bookings::domain::Limits>,
    /// The gateway's notifications (default: the demo mailbox, looked at
    /// every 100 ms).
    pub notify: Option<roundabout_gateway::notify::Settings>,
}

/// Bookings' `BOOKING_*` variables for `limits`.
pub fn booking_limits_env(limits: &roundabout_bookings::domain::Limits) -> Vec<(String, String)> {
    vec![
        ("BOOKING_MAX_LEAD_DAYS".to_string(), limits.max_lead_days.to_string()),
        ("BOOKING_MAX_HIRE_DAYS".to_string(), limits.max_hire_days.to_string()),
        ("BOOKING_MAX_UNPAID".to_string(), limits.max_unpaid.to_string()),
        (
            "BOOKING_MAX_OVERLAPPING_HIRES".to_string(),
            limits.max_overlapping_hires.to_string(),
        ),
    ]
}

/// Payments' card processor in a test stack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cards {
    /// The in-process fake ([`Stack::fake`]); with processes, none: households pay by invoice.
    #[default]
    Fake,
    /// The Stripe adapter against a localstripe the harness starts ([`Stack::stripe`]).
    LocalStripe,
}

pub struct Stack {
    pub gateway_url: String,
    pub anon: GraphqlClient,
    pub admin: GraphqlClient,
    pub inventory: Running,
    /// In this process, unless started with processes.
    #[allow(dead_code, reason = "held so the service runs until the stack is dropped")]
    pub eligibility: Option<Running>,
    pub eligibility_url: String,
    pub eligibility_proc: Option<procs::Proc>,
    /// In this process, unless started with processes.
    #[allow(dead_code, reason = "held so the service runs until the stack is dropped")]
    pub bookings: Option<Running>,
    #[allow(dead_code, reason = "held so the service runs until the stack is dropped")]
    pub payments: Option<Running>,
    pub bookings_url: String,
    pub payments_url: String,
    /// Bookings and payments as child processes, with [`Options::processes`].
    pub bookings_proc: Option<procs::Proc>,
    pub payments_proc: Option<procs::Proc>,
    pub gateway: Running,
    pub gateway_pool: sqlx::PgPool,
    pub eligibility_pool: sqlx::PgPool,
    pub inventory_pool: sqlx::PgPool,
    pub bookings_pool: sqlx::PgPool,
    pub payments_pool: sqlx::PgPool,
    /// The payments service's in-process card processor, with [`Cards::Fake`].
    pub fake: roundabout_payments::processor::fake::FakeProcessor,
    /// The localstripe payments charges cards at, with [`Cards::LocalStripe`].
    pub stripe: Option<LocalStripe>,
}

impl Stack {
    /// Every part in this process; cards go to the in-process fake.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// Eligibility, bookings and payments as child processes (payments with
    /// no card processor: households pay by invoice), so a test can kill them.
    pub async fn start_with_processes() -> Self {
        Self::start_with(Options {
            processes: true,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(options: Options) -> Self {
        let as_processes = options.processes;
        let (inventory_pool, inv_url) = testing::fresh_database(&roundabout_inventory::MIGRATOR).await;
        let (eligibility_pool, elig_url) = testing::fresh_database(&roundabout_eligibility::MIGRATOR).await;
        let (bookings_pool, book_url) = testing::fresh_database(&roundabout_bookings::MIGRATOR).await;
        let (payments_pool, pay_url) = testing::fresh_database(&roundabout_payments::MIGRATOR).await;
        let (gateway_pool, gw_url) = testing::fresh_database(&roundabout_gateway::MIGRATOR).await;
        let stripe = (options.cards == Cards::LocalStripe).then(LocalStripe::start);
        let budget_hold = options
            .budget_hold_secs
            .unwrap_or(roundabout_eligibility::DEFAULT_BUDGET_HOLD_SECS);

        let (eligibility, eligibility_url, eligibility_proc) = if as_processes {
            let port = procs::free_port();
            let mut p = procs::Proc::new(
                "eligibility",
                port,
                vec![
                    ("DATABASE_URL".to_string(), elig_url.clone()),
                    ("ROUNDABOUT_ENV".to_string(), "development".to_string()),
                    ("BUDGET_HOLD_SECS".to_string(), budget_hold.to_string()),
                ],
            );
            p.start().await;
            (None, p.url(), Some(p))
        } else {
            let mut config = roundabout_eligibility::Config::new(testing::host_config("eligibility", &elig_url));
            config.budget_hold = std::time::Duration::from_secs(budget_hold);
            let e = Running::spawn(roundabout_eligibility::build(config).await.unwrap());
            let url = e.url.clone();
            (Some(e), url, None)
        };
        let inventory = Running::spawn(
            roundabout_inventory::build(roundabout_inventory::Config::new(
                testing::host_config("inventory", &inv_url),
                eligibility_url.clone(),
            ))
            .await
            .unwrap(),
        );
        // Bookings and payments call each other: bookings' port is chosen
        // first so payments can be told where to deliver its events.
        let bookings_port = procs::free_port();
        let bookings_url = format!("http://127.0.0.1:{bookings_port}");
        let fake = roundabout_payments::processor::fake::FakeProcessor::new();
        let (mut bookings, mut payments, mut bookings_proc, mut payments_proc) = (None, None, None, None);
        let payments_url;
        if as_processes {
            let payments_port = procs::free_port();
            payments_url = format!("http://127.0.0.1:{payments_port}");
            let common = |db: &str| {
                vec![
                    ("DATABASE_URL".to_string(), db.to_string()),
                    ("ROUNDABOUT_ENV".to_string(), "development".to_string()),
                    ("INVENTORY_URL".to_string(), inventory.url.clone()),
                    ("ELIGIBILITY_URL".to_string(), eligibility_url.clone()),
                    ("BOOKINGS_URL".to_string(), bookings_url.clone()),
                    ("PAYMENTS_URL".to_string(), payments_url.clone()),
                    ("BOOKINGS_JOB_MS".to_string(), "200".to_string()),
                    // A killed driver's claim lapses quickly.
                    ("BOOKINGS_CLAIM_SECS".to_string(), "2".to_string()),
                    ("PAYMENTS_JOB_SECS".to_string(), "1".to_string()),
                ]
            };
            let mut payments_env = common(&pay_url);
            if let Some(ls) = &stripe {
                payments_env.push(("STRIPE_SECRET_KEY".to_string(), localstripe::SECRET_KEY.to_string()));
                payments_env.push(("STRIPE_API_BASE".to_string(), ls.base.clone()));
            }
            let mut p = procs::Proc::new("payments", payments_port, payments_env);
            p.start().await;
            let mut bookings_env = common(&book_url);
            if let Some(l) = &options.booking_limits {
                bookings_env.extend(booking_limits_env(l));
            }
            let mut b = procs::Proc::new("bookings", bookings_port, bookings_env);
            b.start().await;
            payments_proc = Some(p);
            bookings_proc = Some(b);
        } else {
            let config = roundabout_payments::Config {
                host: testing::host_config("payments", &pay_url),
                stripe: stripe.as_ref().map(|ls| roundabout_payments::StripeConfig {
                    secret_key: localstripe::SECRET_KEY.to_string(),
                    api_base: ls.base.clone(),
                }),
                settings: roundabout_payments::Settings::default(),
                bookings_url: Some(bookings_url.clone()),
                job_interval: std::time::Duration::from_secs(5),
                retention: Default::default(),
            };
            let app = if stripe.is_some() {
                roundabout_payments::build(config).await
            } else {
                roundabout_payments::build_with_processor(config, Some(std::sync::Arc::new(fake.clone()))).await
            };
            let p = Running::spawn(app.unwrap());
            payments_url = p.url.clone();
            let mut book_host = testing::host_config("bookings", &book_url);
            book_host.bind = ([127, 0, 0, 1], bookings_port).into();
            book_host.db_max_connections = 10;
            let mut book_config = roundabout_bookings::Config::new(
                book_host,
                inventory.url.clone(),
                eligibility_url.clone(),
                payments_url.clone(),
            );
            if let Some(l) = options.booking_limits {
                book_config.limits = l;
            }
            bookings = Some(Running::spawn(roundabout_bookings::build(book_config).await.unwrap()));
            payments = Some(p);
        }
        let limits = Limits::default();
        let mut host = testing::host_config("gateway", &gw_url);
        host.max_body_bytes = limits.max_body_bytes;
        let config = roundabout_gateway::Config {
            host,
            environment: Environment::Development,
            token_key: b"stack-test-token-key-0123456789abcdef".to_vec(),
            token_ttl_secs: 3600,
            services: ServiceUrls {
                inventory: inventory.url.clone(),
                eligibility: eligibility_url.clone(),
                bookings: bookings_url.clone(),
                payments: payments_url.clone(),
            },
            limits,
            // Tests drive many requests from one address: no rate limit
            // here (graphql/tests/gateway/security.rs tests it on a gateway of its own).
            abuse: AbuseLimits {
                requests_per_second: 0,
                ..AbuseLimits::default()
            },
            bootstrap_admin: Some(BootstrapAdmin {
                email: ADMIN_EMAIL.into(),
                password: ADMIN_PASSWORD.into(),
            }),
            public_url: "http://localhost:8080".into(),
            retention: Default::default(),
            notify: options
                .notify
                .clone()
                .unwrap_or_else(|| roundabout_gateway::notify::Settings {
                    poll: std::time::Duration::from_millis(100),
                    ..Default::default()
                }),
            introspection: true,
            graphiql_dir: None,
        };
        let gateway = Running::spawn(roundabout_gateway::build(config).await.unwrap());
        let anon = GraphqlClient::new(&gateway.url);
        let admin_token = sign_in(&anon, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let admin = anon.with_token(admin_token);
        Self {
            gateway_url: gateway.url.clone(),
            anon,
            admin,
            inventory,
            eligibility,
            eligibility_url,
            eligibility_proc,
            bookings,
            payments,
            bookings_url,
            payments_url,
            bookings_proc,
            payments_proc,
            gateway,
            gateway_pool,
            eligibility_pool,
            inventory_pool,
            bookings_pool,
            payments_pool,
            fake,
            stripe,
        }
    }

    /// Creates a council (by the admin) with its officer; returns its id and
    /// the officer's client.
    pub async fn council(&self, code: &str, officer_email: &str) -> (String, GraphqlClient) {
        let p = self
            .admin
            .data::<gql::councils::CreateCouncil>(gql::councils::create_council::Variables {
                input: gql::councils::council_input(code, officer_email),
            })
            .await
            .create_council;
        p.assert_ok();
        let id = p.council.expect("the created council").id;
        let token = sign_in(&self.anon, officer_email, PASSWORD).await;
        (id, self.anon.with_token(token))
    }

    /// Signs up a household in `council_id`; returns its client.
    pub async fn household(&self, council_id: &str, email: &str) -> GraphqlClient {
        use gql::identity::{sign_up_household, SignUpHousehold};
        let p = self
            .anon
            .data::<SignUpHousehold>(sign_up_household::Variables {
                input: sign_up_household::SignUpHouseholdInput {
                    email: email.into(),
                    password: PASSWORD.into(),
                    council_id: council_id.into(),
                    display_name: None,
                },
            })
            .await
            .sign_up_household;
        p.assert_ok();
        self.anon.with_token(p.token.expect("a token"))
    }
}

pub const SIGN_UP_PROVIDER: &str = "mutation($input: SignUpProviderInput!) { signUpProvider(input: $input) { token viewer { id email roles provider { id name } } userErrors { field code message } } }";

/// A square boundary around Witney.
pub fn witney_boundary() -> Value {
    json!({"type": "Polygon", "coordinates": [[[-1.60, 51.70], [-1.30, 51.70], [-1.30, 51.90], [-1.60, 51.90], [-1.60, 51.70]]]})
}

pub async fn sign_in(client: &GraphqlClient, email: &str, password: &str) -> String {
    use gql::identity::{sign_in, SignIn};
    let p = client
        .data::<SignIn>(sign_in::Variables {
            input: sign_in::SignInInput {
                email: email.into(),
                password: password.into(),
            },
        })
        .await
        .sign_in;
    p.token.clone().unwrap_or_else(|| panic!("sign-in failed: {p:?}"))
}

/// The first GraphQL error's `extensions.code`.
pub fn error_code(v: &Value) -> String {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until the gateway has taken every service's events and written
/// their messages (the notifications intake runs in the background), so a
/// test can count rows without racing it.
pub async fn notifications_settled(stack: &Stack) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut untaken = 0i64;
        for pool in [
            &stack.inventory_pool,
            &stack.eligibility_pool,
            &stack.bookings_pool,
            &stack.payments_pool,
        ] {
            let n: i64 = sqlx::query_scalar("select count(*) from events where taken_at is null")
                .fetch_one(pool)
                .await
                .unwrap();
            untaken += n;
        }
        if untaken == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{untaken} events not taken");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
