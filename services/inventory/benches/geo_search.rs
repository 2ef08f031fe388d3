//! Geo search with 100,000 vehicles: nearest 50 within 5 km, inside the
//! service (the in-memory index) and over HTTP (the real service, signed
//! caller, JSON both ways). Prints p50 and p99.
//!
//! `cargo bench -p roundabout-inventory --bench geo_search` — uses the
//! PostgreSQL server in `DATABASE_URL`, or starts a private one.

use std::time::{Duration, Instant};

use roundabout_api::states::ProviderStatus;
use roundabout_inventory::{
    index::{GeoIndex, SearchQuery},
    Config, MIGRATOR,
};
use roundabout_support::{internal_auth::Caller, pg_cluster::PgCluster, testing};
use serde_json::{json, Value};
use uuid::Uuid;

const VEHICLES: i64 = 100_000;
const SEARCHES: usize = 2_000;

/// The demo district's outline (lon, lat).
const BOUNDARY: &[(f64, f64)] = &[
    (-1.719, 51.776),
    (-1.700, 51.860),
    (-1.665, 51.935),
    (-1.625, 51.985),
    (-1.560, 52.030),
    (-1.480, 52.010),
    (-1.400, 51.975),
    (-1.340, 51.925),
    (-1.300, 51.870),
    (-1.270, 51.820),
    (-1.315, 51.765),
    (-1.360, 51.720),
    (-1.420, 51.695),
    (-1.500, 51.690),
    (-1.580, 51.700),
    (-1.650, 51.715),
    (-1.700, 51.740),
    (-1.719, 51.776),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>, found: usize) {
    times.sort();
    println!(
        "{name:<28} p50 {:>8.3} ms   p99 {:>8.3} ms   ({} searches, {:.1} results each)",
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.len(),
        found as f64 / times.len() as f64
    );
}

/// A deterministic point spread (no RNG crate needed): inside the district's box.
fn point(i: usize) -> (f64, f64) {
    let a = (i as f64 * 0.618_033_988_75).fract();
    let b = (i as f64 * 0.754_877_666_25).fract();
    (51.72 + a * 0.26, -1.68 + b * 0.36)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut cluster = None;
    if std::env::var("DATABASE_URL")
        .map(|u| u.trim().is_empty())
        .unwrap_or(true)
    {
        let dir = std::env::temp_dir().join(format!("roundabout-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let c = PgCluster::start_with(&dir, "-c fsync=off -c synchronous_commit=off")?;
        std::env::set_var("DATABASE_URL", c.url());
        cluster = Some((c, dir));
    }
    let outcome = run().await;
    if let Some((mut c, dir)) = cluster {
        c.stop()?;
        let _ = std::fs::remove_dir_all(dir);
    }
    outcome
}

async fn run() -> anyhow::Result<()> {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let council = Uuid::new_v4();
    let ring: Vec<Value> = BOUNDARY.iter().map(|&(x, y)| json!([x, y])).collect();
    sqlx::query(
        "insert into council_areas (id, code, name, boundary, min_lon, min_lat, max_lon, max_lat)
         values ($1, 'WOX', 'West Oxfordshire', $2, -1.719, 51.690, -1.270, 52.030)",
    )
    .bind(council)
    .bind(json!({"type": "Polygon", "coordinates": [ring]}))
    .execute(&pool)
    .await?;
    // Ten providers, eight approved in the council.
    for i in 0..10 {
        let id = Uuid::new_v4();
        sqlx::query("insert into providers (id, name) values ($1, $2)")
            .bind(id)
            .bind(format!("Provider {i}"))
            .execute(&pool)
            .await?;
        sqlx::query("insert into provider_councils (provider_id, council_id, status) values ($1, $2, $3)")
            .bind(id)
            .bind(council)
            .bind(
                if i < 8 {
                    ProviderStatus::Approved
                } else {
                    ProviderStatus::Pending
                }
                .as_str(),
            )
            .execute(&pool)
            .await?;
    }
    let started = Instant::now();
    // 100,000 vehicles over a 29 km × 25 km box around the district, one in
    // ten in maintenance, mixed kinds.
    sqlx::query(
        "with ps as (select array_agg(id order by name) as ids from providers)
         insert into vehicles (id, provider_id, kind, make, model, seats, propulsion, range_km,
             wheelchair_accessible, lat, lon, per_hour_pence, per_day_pence, status)
         select gen_random_uuid(), ps.ids[1 + (g % 10)],
                (array['CAR','VAN','WAV','MINIBUS','EBIKE','CARGO_BIKE'])[1 + (g % 6)],
                'Make', 'Model', 1 + (g % 8),
                (array['ELECTRIC','HYBRID','PETROL','ELECTRIC_ASSIST'])[1 + (g % 4)], 250,
                g % 7 = 0, 51.72 + random() * 0.26, -1.68 + random() * 0.36, 500 + g % 700, 4000,
                case when g % 10 = 0 then 'MAINTENANCE' else 'AVAILABLE' end
         from generate_series(1, $1) g, ps",
    )
    .bind(VEHICLES)
    .execute(&pool)
    .await?;
    println!(
        "inserted {VEHICLES} vehicles in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Inside the service: the index alone.
    let index = GeoIndex::new();
    let started = Instant::now();
    index.load(&pool).await?;
    println!(
        "index loaded: {} available vehicles in {:.2} s",
        index.len(),
        started.elapsed().as_secs_f64()
    );
    let mut times = Vec::with_capacity(SEARCHES);
    let mut found = 0;
    for i in 0..SEARCHES {
        let (lat, lon) = point(i);
        let q = SearchQuery {
            council_id: council,
            lat,
            lon,
            radius_km: 5.0,
            limit: 50,
            min_seats: None,
            wheelchair_accessible: false,
            electric_only: false,
            kind: None,
        };
        let t = Instant::now();
        let hits = index.search(&q).expect("council loaded");
        times.push(t.elapsed());
        found += hits.len();
    }
    report("in service (index)", times, found);

    // Over HTTP: the real service.
    let app = roundabout_inventory::build(Config::new(
        testing::host_config("inventory", &url),
        "http://127.0.0.1:9",
    ))
    .await?;
    let svc = testing::Running::spawn(app);
    let client = svc.client("inventory");
    let caller = Caller::service("bookings");
    for i in 0..100 {
        let (lat, lon) = point(i);
        let _: Value = client
            .post(
                "/internal/vehicles/search",
                &json!({"council_id": council, "lat": lat, "lon": lon, "radius_km": 5, "limit": 50}),
                &caller,
            )
            .await?;
    }
    let mut times = Vec::with_capacity(SEARCHES);
    let mut found = 0;
    for i in 0..SEARCHES {
        let (lat, lon) = point(i);
        let body = json!({"council_id": council, "lat": lat, "lon": lon, "radius_km": 5, "limit": 50});
        let t = Instant::now();
        let out: Value = client.post("/internal/vehicles/search", &body, &caller).await?;
        times.push(t.elapsed());
        found += out["results"].as_array().map_or(0, Vec::len);
    }
    report("over HTTP (search endpoint)", times, found);
    Ok(())
}
