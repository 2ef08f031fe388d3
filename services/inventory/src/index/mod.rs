//! The in-memory geo index each replica keeps: every AVAILABLE vehicle in an
//! R*-tree (`rstar`) over points on the unit sphere scaled to the Earth's
//! radius, so straight-line (chord) distance orders exactly like distance
//! along the ground. A search walks the tree nearest first and stops at the
//! radius; it never looks at vehicles farther away.
//!
//! The database is the record. The index is loaded from it at start and
//! follows its change feed ([`feed`]); a replica's own writes are applied at
//! once. Every vehicle and approval carries its change number, and a version
//! older than the one held is ignored, so the write path and the feed can
//! apply the same change in any order.

pub mod feed;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
};

use roundabout_api::states::{Propulsion, ProviderStatus, VehicleKind, VehicleStatus};
use roundabout_support::geojson::Area;
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use uuid::Uuid;

use crate::db::{councils::CouncilAreaRow, vehicles::VehicleRow, vehicles::Watermark};

/// Mean Earth radius, in km.
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// A vehicle in the tree: its position and what searches filter on.
#[derive(Debug, Clone)]
struct Entry {
    pos: [f64; 3],
    id: Uuid,
    provider_id: Uuid,
    kind: VehicleKind,
    seats: i32,
    wheelchair: bool,
    electric: bool,
    lon: f64,
    lat: f64,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.pos == other.pos
    }
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 3]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.pos)
    }
}

impl PointDistance for Entry {
    fn distance_2(&self, p: &[f64; 3]) -> f64 {
        let d = [self.pos[0] - p[0], self.pos[1] - p[1], self.pos[2] - p[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

/// A WGS84 position as a point on a sphere of the Earth's radius (km).
pub fn to_xyz(lat: f64, lon: f64) -> [f64; 3] {
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [
        EARTH_RADIUS_KM * la.cos() * lo.cos(),
        EARTH_RADIUS_KM * la.cos() * lo.sin(),
        EARTH_RADIUS_KM * la.sin(),
    ]
}

/// Ground distance (km) for a chord length (km).
fn chord_to_km(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord / (2.0 * EARTH_RADIUS_KM)).min(1.0).asin()
}

/// Chord length (km) for a ground distance (km).
fn km_to_chord(km: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (km / (2.0 * EARTH_RADIUS_KM)).min(std::f64::consts::FRAC_PI_2).sin()
}

fn is_electric(propulsion: Propulsion) -> bool {
    matches!(propulsion, Propulsion::Electric | Propulsion::ElectricAssist)
}

/// A council's boundary, ready for point-in-polygon tests.
#[derive(Debug)]
pub struct CouncilShape {
    pub row: CouncilAreaRow,
    pub area: Area,
}

impl CouncilShape {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let r = &self.row;
        lon >= r.min_lon && lon <= r.max_lon && lat >= r.min_lat && lat <= r.max_lat && self.area.contains(lon, lat)
    }
}

/// What a search asks for (time-independent needs).
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub council_id: Uuid,
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
    pub limit: usize,
    pub min_seats: Option<i32>,
    pub wheelchair_accessible: bool,
    pub electric_only: bool,
    pub kind: Option<VehicleKind>,
}

/// A vehicle found, with its distance from the searched point.
#[derive(Debug, Clone)]
pub struct Hit {
    pub vehicle: Arc<VehicleRow>,
    pub distance_km: f64,
}

#[derive(Default)]
struct Inner {
    tree: RTree<Entry>,
    /// Newest known version of every vehicle, available or not.
    vehicles: HashMap<Uuid, Arc<VehicleRow>>,
    approved: HashSet<(Uuid, Uuid)>,
    approval_seq: HashMap<(Uuid, Uuid), i64>,
    councils: HashMap<Uuid, Arc<CouncilShape>>,
    vehicle_mark: Watermark,
    approval_mark: Watermark,
}

/// The index of one replica.
#[derive(Default)]
pub struct GeoIndex {
    inner: RwLock<Inner>,
}

fn entry(v: &VehicleRow) -> Entry {
    Entry {
        pos: to_xyz(v.lat, v.lon),
        id: v.id,
        provider_id: v.provider_id,
        kind: v.kind,
        seats: v.seats,
        wheelchair: v.wheelchair_accessible,
        electric: is_electric(v.propulsion),
        lon: v.lon,
        lat: v.lat,
    }
}

impl GeoIndex {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies a vehicle version unless a newer one is held.
    pub fn apply_vehicle(&self, v: VehicleRow) {
        let mut g = self.write();
        Self::apply_vehicle_locked(&mut g, v);
    }

    fn apply_vehicle_locked(g: &mut Inner, v: VehicleRow) {
        if let Some(old) = g.vehicles.get(&v.id) {
            if old.change_seq >= v.change_seq {
                return;
            }
            if old.status == VehicleStatus::Available {
                let old_entry = entry(old);
                g.tree.remove(&old_entry);
            }
        }
        if v.status == VehicleStatus::Available {
            g.tree.insert(entry(&v));
        }
        g.vehicles.insert(v.id, Arc::new(v));
    }

    /// Applies an approval version unless a newer one is held.
    pub fn apply_approval(&self, provider_id: Uuid, council_id: Uuid, status: ProviderStatus, seq: i64) {
        let mut g = self.write();
        Self::apply_approval_locked(&mut g, provider_id, council_id, status, seq);
    }

    fn apply_approval_locked(g: &mut Inner, provider_id: Uuid, council_id: Uuid, status: ProviderStatus, seq: i64) {
        let key = (provider_id, council_id);
        if g.approval_seq.get(&key).is_some_and(|s| *s >= seq) {
            return;
        }
        g.approval_seq.insert(key, seq);
        if status == ProviderStatus::Approved {
            g.approved.insert(key);
        } else {
            g.approved.remove(&key);
        }
    }

    /// Adds a council's boundary (immutable, so once is enough).
    pub fn add_council(&self, row: CouncilAreaRow) -> Option<Arc<CouncilShape>> {
        let area = match Area::stored(&row.boundary) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(council = %row.id, error = %e, "cached council boundary does not parse");
                return None;
            }
        };
        let shape = Arc::new(CouncilShape { row, area });
        self.write().councils.insert(shape.row.id, shape.clone());
        Some(shape)
    }

    pub fn council(&self, id: Uuid) -> Option<Arc<CouncilShape>> {
        self.read().councils.get(&id).cloned()
    }

    /// True when the provider is approved in the council.
    pub fn is_approved(&self, provider_id: Uuid, council_id: Uuid) -> bool {
        self.read().approved.contains(&(provider_id, council_id))
    }

    /// AVAILABLE vehicles of approved providers inside the council boundary
    /// within the radius, nearest first, at most `limit`. `None` when the
    /// council is not loaded (the caller loads it and asks again).
    pub fn search(&self, q: &SearchQuery) -> Option<Vec<Hit>> {
        let g = self.read();
        let council = g.councils.get(&q.council_id)?.clone();
        let centre = to_xyz(q.lat, q.lon);
        let max_d2 = km_to_chord(q.radius_km).powi(2);
        let mut hits = Vec::with_capacity(q.limit.min(256));
        if q.limit == 0 {
            return Some(hits);
        }
        for (e, d2) in g.tree.nearest_neighbor_iter_with_distance_2(&centre) {
            if d2 > max_d2 {
                break;
            }
            let fits = q.min_seats.is_none_or(|s| e.seats >= s)
                && (!q.wheelchair_accessible || e.wheelchair)
                && (!q.electric_only || e.electric)
                && q.kind.is_none_or(|k| k == e.kind)
                && g.approved.contains(&(e.provider_id, q.council_id))
                && council.contains(e.lon, e.lat);
            if !fits {
                continue;
            }
            let Some(v) = g.vehicles.get(&e.id) else { continue };
            hits.push(Hit {
                vehicle: v.clone(),
                distance_km: chord_to_km(d2.sqrt()),
            });
            if hits.len() >= q.limit {
                break;
            }
        }
        Some(hits)
    }

    /// Every AVAILABLE vehicle of an approved provider inside the council
    /// (the GBFS `vehicle_status` feed): a box query over the boundary's
    /// bounding box, then the exact boundary.
    pub fn in_council(&self, council_id: Uuid) -> Option<Vec<Arc<VehicleRow>>> {
        let g = self.read();
        let council = g.councils.get(&council_id)?.clone();
        let r = &council.row;
        // The box on the sphere that holds the council's lon/lat box: the
        // corners' and edge midpoints' extremes, widened a little for the
        // curvature between them.
        let mut lo = [f64::MAX; 3];
        let mut hi = [f64::MIN; 3];
        for lat in [r.min_lat, (r.min_lat + r.max_lat) / 2.0, r.max_lat] {
            for lon in [r.min_lon, (r.min_lon + r.max_lon) / 2.0, r.max_lon] {
                let p = to_xyz(lat, lon);
                for i in 0..3 {
                    lo[i] = lo[i].min(p[i]);
                    hi[i] = hi[i].max(p[i]);
                }
            }
        }
        let pad = 1.0;
        let envelope = AABB::from_corners(
            [lo[0] - pad, lo[1] - pad, lo[2] - pad],
            [hi[0] + pad, hi[1] + pad, hi[2] + pad],
        );
        let mut out: Vec<Arc<VehicleRow>> = g
            .tree
            .locate_in_envelope(&envelope)
            .filter(|e| g.approved.contains(&(e.provider_id, council_id)) && council.contains(e.lon, e.lat))
            .filter_map(|e| g.vehicles.get(&e.id).cloned())
            .collect();
        out.sort_by_key(|v| v.list_seq);
        Some(out)
    }

    /// Vehicles in the tree (AVAILABLE ones).
    pub fn len(&self) -> usize {
        self.read().tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the whole content at once (bulk load at start is much faster
    /// than inserting one by one).
    pub fn bulk_load(&self, rows: Vec<VehicleRow>) {
        let mut g = self.write();
        let mut latest: HashMap<Uuid, VehicleRow> = HashMap::with_capacity(rows.len());
        for v in rows {
            match latest.get(&v.id) {
                Some(old) if old.change_seq >= v.change_seq => {}
                _ => {
                    latest.insert(v.id, v);
                }
            }
        }
        let entries: Vec<Entry> = latest
            .values()
            .filter(|v| v.status == VehicleStatus::Available)
            .map(entry)
            .collect();
        g.tree = RTree::bulk_load(entries);
        g.vehicles = latest.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, status: VehicleStatus) -> VehicleRow {
        VehicleRow {
            id: Uuid::nil(),
            provider_id: Uuid::nil(),
            list_seq: 1,
            kind: VehicleKind::Car,
            make: "Renault".into(),
            model: "Zoe".into(),
            registration: None,
            seats: 5,
            propulsion: Propulsion::Electric,
            range_km: None,
            co2_grams_per_km: None,
            wheelchair_accessible: false,
            lat: 51.78,
            lon: -1.48,
            status,
            currency: "GBP".into(),
            per_hour_pence: Some(roundabout_api::Pence(500)),
            per_day_pence: None,
            per_month_lease_pence: None,
            deposit_pence: roundabout_api::Pence(0),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            change_seq: seq,
        }
    }

    #[test]
    fn an_older_version_never_overwrites_a_newer_one() {
        let index = GeoIndex::new();
        index.apply_vehicle(row(2, VehicleStatus::Maintenance));
        index.apply_vehicle(row(1, VehicleStatus::Available));
        assert!(index.is_empty());
        index.apply_vehicle(row(3, VehicleStatus::Available));
        assert_eq!(index.len(), 1);
        index.apply_vehicle(row(3, VehicleStatus::Available));
        assert_eq!(index.len(), 1);
        index.apply_approval(Uuid::nil(), Uuid::nil(), ProviderStatus::Approved, 5);
        index.apply_approval(Uuid::nil(), Uuid::nil(), ProviderStatus::Pending, 4);
        assert!(index.is_approved(Uuid::nil(), Uuid::nil()));
    }

    #[test]
    fn chord_and_ground_distances_agree() {
        for km in [0.0, 0.5, 5.0, 100.0] {
            assert!((chord_to_km(km_to_chord(km)) - km).abs() < 1e-9);
        }
        // Witney to Carterton is about 8 km.
        let d = (0..3)
            .map(|i| (to_xyz(51.785, -1.485)[i] - to_xyz(51.759, -1.594)[i]).powi(2))
            .sum::<f64>()
            .sqrt();
        let km = chord_to_km(d);
        assert!((7.5..8.5).contains(&km), "{km}");
    }
}
