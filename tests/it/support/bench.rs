//! What the benchmarks measure with: percentiles of latencies, and the CPU
//! time of this process and of PostgreSQL's client backends, read from
//! Linux's `/proc`. Unlike latency, CPU time per request hardly depends on
//! what else the machine runs.

use std::time::Duration;

/// The `p` quantile (0–1) of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// CPU time used (user + system): this process (every part in it, and the
/// clients) and PostgreSQL's client backends.
#[derive(Clone, Copy, Default, Debug)]
pub struct Cpu {
    pub own_ms: f64,
    pub pg_ms: f64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            own_ms: self.own_ms - o.own_ms,
            pg_ms: self.pg_ms - o.pg_ms,
        }
    }
}

/// Fields of `/proc/<pid>/stat` after the command name: (ppid, utime + stime in ticks).
fn stat(pid: &str) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    Some((
        rest.get(1)?.parse().ok()?,
        rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?,
    ))
}

/// Clock ticks are 100 a second on Linux (`USER_HZ`).
const TICK_MS: f64 = 10.0;

/// The postmaster of the PostgreSQL serving `pool` (its backends' parent).
pub async fn postmaster(pool: &sqlx::PgPool) -> u32 {
    let backend: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(pool)
        .await
        .expect("the backend's pid");
    stat(&backend.to_string()).map_or(0, |s| s.0)
}

/// CPU time so far of this process and of `postmaster`'s client backends.
pub fn cpu_now(postmaster: u32) -> Cpu {
    let own = stat("self").map_or(0, |s| s.1);
    let mut pg = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        // Client backends only ("postgres: user database 127.0.0.1(port) …"),
        // not the checkpointer, autovacuum and the like.
        let backend = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
            [&b"127.0.0.1("[..], b"[local]"]
                .iter()
                .any(|n| c.windows(n.len()).any(|w| w == *n))
        });
        if let Some((ppid, ticks)) = stat(pid).filter(|_| backend) {
            if ppid == postmaster {
                pg += ticks;
            }
        }
    }
    Cpu {
        own_ms: own as f64 * TICK_MS,
        pg_ms: pg as f64 * TICK_MS,
    }
}

/// Reads an environment variable as a count, or `default`.
pub fn env_or(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Seeds `per_vehicle` bookings of 48 hours on each of `vehicles` straight
/// into bookings' database: one every four days from the start of today at
/// an offset of 0–47 hours, none overlapping on one vehicle (the exclusion
/// constraint checks), confirmed and paid, for households that are not
/// otherwise there, made over the last two years (a council's history: the
/// officer's report of the last 30 days reads about 1/24 of them). Then
/// `vacuum analyze`. Answers how many there are.
pub async fn seed_bookings(
    pool: &sqlx::PgPool,
    council: uuid::Uuid,
    provider: uuid::Uuid,
    vehicles: &[uuid::Uuid],
    per_vehicle: usize,
) -> i64 {
    for chunk in vehicles.chunks(10_000) {
        sqlx::query(
            "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, period, status, step,
                 base_pence, subsidy_pence, first_base_pence, first_subsidy_pence, idempotency_key, request_digest, payment_status,
                 created_at)
             select gen_random_uuid(), gen_random_uuid(), $2, $3, v, 'HIRE',
                    tstzrange(date_trunc('day', now()) + make_interval(days => k * 4) + make_interval(hours => (abs(hashtext(v::text || k::text)) % 48)),
                              date_trunc('day', now()) + make_interval(days => k * 4) + make_interval(hours => 48 + (abs(hashtext(v::text || k::text)) % 48)), '[)'),
                    'CONFIRMED', 'DONE', 2600, 1040, 2600, 1040, 'seed-' || k, 'seed', 'CAPTURED',
                    now() - random() * interval '730 days'
             from unnest($1::uuid[]) v, generate_series(0, $4 - 1) k",
        )
        .bind(chunk)
        .bind(council)
        .bind(provider)
        .bind(i32::try_from(per_vehicle).expect("bookings per vehicle"))
        .execute(pool)
        .await
        .expect("seed bookings");
    }
    // As autovacuum leaves a table that has settled: analysed, and its
    // visibility map set, so index-only scans skip the heap.
    sqlx::query("vacuum analyze bookings")
        .execute(pool)
        .await
        .expect("vacuum");
    sqlx::query_scalar("select count(*) from bookings")
        .fetch_one(pool)
        .await
        .expect("count bookings")
}

/// A benchmark's marketplace, made through the public API: the council
/// WOX with its officer, the Witney zone, the EV scheme with
/// `budget_pence` published, and the provider "Bench Cars" approved there.
pub struct Marketplace {
    pub council: String,
    pub officer: roundabout::graphql_client::GraphqlClient,
    pub provider_id: uuid::Uuid,
}

pub async fn marketplace(stack: &super::Stack, budget_pence: Option<i64>) -> Marketplace {
    use super::eligibility::{create_scheme, ev_scheme, ok, square, step, CREATE_ZONE};
    use serde_json::json;
    const WITNEY: (f64, f64) = (-1.485, 51.785);
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let z = ok(
        &officer,
        "createZone",
        CREATE_ZONE,
        json!({"input": {"councilId": council, "name": "Witney", "geometry": square(WITNEY.0, WITNEY.1, 0.05)}}),
    )
    .await;
    let zone = z["zone"]["id"].as_str().expect("the zone").to_string();
    let mut scheme = ev_scheme(&council, &[&zone]);
    if let Some(b) = budget_pence {
        scheme["budgetPence"] = json!(b);
    }
    let s = ok(&officer, "createScheme", &create_scheme(), json!({"input": scheme})).await;
    ok(
        &officer,
        "publishScheme",
        &step("publishScheme"),
        json!({"id": s["scheme"]["id"]}),
    )
    .await;
    let p = stack
        .anon
        .mutate(
            "signUpProvider",
            super::SIGN_UP_PROVIDER,
            json!({"input": {"email": "fleet@bench.test", "password": super::PASSWORD, "organisationName": "Bench Cars"}}),
        )
        .await
        .expect("the provider signs up");
    let provider_id: uuid::Uuid = p["viewer"]["provider"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the provider's id");
    let provider = stack.anon.with_token(p["token"].as_str().expect("a token"));
    ok(
        &provider,
        "applyToCouncil",
        "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id } userErrors { code message } } }",
        json!({"c": council}),
    )
    .await;
    ok(
        &officer,
        "approveProvider",
        "mutation($c: ID!, $p: ID!) { approveProvider(councilId: $c, providerId: $p) { provider { id } userErrors { code message } } }",
        json!({"c": council, "p": provider_id}),
    )
    .await;
    Marketplace {
        council,
        officer,
        provider_id,
    }
}
