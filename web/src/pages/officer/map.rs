//! A council's boundary and zones drawn as an SVG map on the server: no
//! script, no tiles. Longitude and latitude are projected simply
//! (equirectangular, longitude scaled by the cosine of the middle
//! latitude), which is close enough at the size of a council. Each zone
//! has a colour and a number, so the key and the map do not rely on colour
//! alone; the page's table of zones and their areas is the text alternative.

use serde_json::Value;

/// A polygon: its exterior ring, then its holes; positions are (lon, lat).
pub type Polygon = Vec<Vec<(f64, f64)>>;

/// Zone colours from the GOV.UK palette, each at least 3:1 against white
/// and the light grey of the council's area (WCAG 1.4.11).
pub const COLOURS: &[&str] = &["#1d70b8", "#00703c", "#d4351c", "#4c2c92", "#d53880", "#003078"];

/// Mean radius of the Earth, in km.
const EARTH_KM: f64 = 6371.0088;

/// The polygons of a GeoJSON Polygon, MultiPolygon or a Feature of one
/// (anything else: none).
pub fn polygons(geojson: &Value) -> Vec<Polygon> {
    let geometry = if geojson["type"] == "Feature" {
        &geojson["geometry"]
    } else {
        geojson
    };
    let ring = |r: &Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let polygon = |p: &Value| -> Polygon { p.as_array().map(|rs| rs.iter().map(ring).collect()).unwrap_or_default() };
    match geometry["type"].as_str() {
        Some("Polygon") => vec![polygon(&geometry["coordinates"])],
        Some("MultiPolygon") => geometry["coordinates"]
            .as_array()
            .map(|ps| ps.iter().map(polygon).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A ring's area in km² (positive), on a local flat projection.
fn ring_km2(ring: &[(f64, f64)]) -> f64 {
    if ring.len() < 3 {
        return 0.0;
    }
    let lat0 = ring.iter().map(|p| p.1).sum::<f64>() / ring.len() as f64;
    let k = lat0.to_radians().cos();
    let xy: Vec<(f64, f64)> = ring
        .iter()
        .map(|&(lon, lat)| (EARTH_KM * lon.to_radians() * k, EARTH_KM * lat.to_radians()))
        .collect();
    let twice: f64 = xy.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum::<f64>()
        + (xy[xy.len() - 1].0 * xy[0].1 - xy[0].0 * xy[xy.len() - 1].1);
    (twice / 2.0).abs()
}

/// An area's size in km²: exteriors less holes.
pub fn area_km2(polys: &[Polygon]) -> f64 {
    polys
        .iter()
        .map(|p| {
            let mut rings = p.iter();
            let outer = rings.next().map(|r| ring_km2(r)).unwrap_or(0.0);
            outer - rings.map(|r| ring_km2(r)).sum::<f64>()
        })
        .sum::<f64>()
        .max(0.0)
}

/// "12.3 km²", "0.45 km²", "1,204 km²".
pub fn show_km2(km2: f64) -> String {
    if km2 >= 1000.0 {
        let whole = km2.round() as i64;
        format!(
            "{} km²",
            crate::pages::vocabulary::pounds(whole * 100).trim_start_matches('£')
        )
    } else if km2 >= 10.0 {
        format!("{km2:.1} km²")
    } else {
        format!("{km2:.2} km²")
    }
}

/// One zone on the map.
pub struct Shape {
    pub number: usize,
    pub name: String,
    pub colour: &'static str,
    /// SVG path data.
    pub d: String,
    /// Where its number is written.
    pub label_x: f64,
    pub label_y: f64,
    pub area: String,
    /// Its share of the council's area, e.g. "12%".
    pub share: String,
}

/// The map's parts, for the template.
pub struct Map {
    pub width: f64,
    pub height: f64,
    /// The council's boundary as SVG path data (empty when unknown).
    pub boundary: String,
    pub boundary_area: String,
    pub zones: Vec<Shape>,
}

const WIDTH: f64 = 640.0;
const MAX_HEIGHT: f64 = 560.0;
const PAD: f64 = 16.0;

struct Projection {
    min_lon: f64,
    max_lat: f64,
    k: f64,
    scale: f64,
}

impl Projection {
    fn xy(&self, (lon, lat): (f64, f64)) -> (f64, f64) {
        (
            PAD + (lon - self.min_lon) * self.k * self.scale,
            PAD + (self.max_lat - lat) * self.scale,
        )
    }

    fn path(&self, polys: &[Polygon]) -> String {
        let mut d = String::new();
        for ring in polys.iter().flatten() {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = self.xy(*p);
                d.push_str(&format!("{}{x:.1} {y:.1} ", if i == 0 { "M" } else { "L" }));
            }
            d.push_str("Z ");
        }
        d.trim_end().to_string()
    }
}

/// Where to write a zone's number: the centroid of its largest polygon's
/// exterior (its bounding box's centre when the ring is degenerate).
fn label_point(polys: &[Polygon]) -> Option<(f64, f64)> {
    let outer = polys
        .iter()
        .filter_map(|p| p.first())
        .max_by(|a, b| ring_km2(a).total_cmp(&ring_km2(b)))?;
    let (mut cx, mut cy, mut a2) = (0.0, 0.0, 0.0);
    for w in outer.windows(2) {
        let c = w[0].0 * w[1].1 - w[1].0 * w[0].1;
        cx += (w[0].0 + w[1].0) * c;
        cy += (w[0].1 + w[1].1) * c;
        a2 += c;
    }
    if a2.abs() < 1e-12 {
        let (lo, la): (Vec<f64>, Vec<f64>) = outer.iter().copied().unzip();
        let mid =
            |v: &[f64]| (v.iter().cloned().fold(f64::MAX, f64::min) + v.iter().cloned().fold(f64::MIN, f64::max)) / 2.0;
        return Some((mid(&lo), mid(&la)));
    }
    Some((cx / (3.0 * a2), cy / (3.0 * a2)))
}

impl Map {
    /// The map of `boundary` and `zones` (name, GeoJSON), in that order;
    /// `None` when there is nothing to draw.
    pub fn new(boundary: &Value, zones: &[(String, Value)]) -> Option<Self> {
        let boundary = polygons(boundary);
        let zone_polys: Vec<Vec<Polygon>> = zones.iter().map(|(_, g)| polygons(g)).collect();
        let all: Vec<(f64, f64)> = boundary
            .iter()
            .chain(zone_polys.iter().flatten())
            .flatten()
            .flatten()
            .copied()
            .collect();
        if all.is_empty() {
            return None;
        }
        let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| all.iter().map(pick).fold(init, f);
        let (min_lon, max_lon) = (fold(f64::min, f64::MAX, |p| p.0), fold(f64::max, f64::MIN, |p| p.0));
        let (min_lat, max_lat) = (fold(f64::min, f64::MAX, |p| p.1), fold(f64::max, f64::MIN, |p| p.1));
        let k = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
        let (w, h) = (((max_lon - min_lon) * k).max(1e-9), (max_lat - min_lat).max(1e-9));
        let scale = ((WIDTH - 2.0 * PAD) / w).min((MAX_HEIGHT - 2.0 * PAD) / h);
        let proj = Projection {
            min_lon,
            max_lat,
            k,
            scale,
        };
        let council_km2 = area_km2(&boundary);
        let shapes = zones
            .iter()
            .zip(&zone_polys)
            .enumerate()
            .map(|(i, ((name, _), polys))| {
                let km2 = area_km2(polys);
                let (label_x, label_y) = label_point(polys).map(|p| proj.xy(p)).unwrap_or((PAD, PAD));
                Shape {
                    number: i + 1,
                    name: name.clone(),
                    colour: COLOURS[i % COLOURS.len()],
                    d: proj.path(polys),
                    label_x,
                    label_y,
                    area: show_km2(km2),
                    share: if council_km2 > 0.0 {
                        let pct = km2 / council_km2 * 100.0;
                        if pct < 1.0 {
                            "less than 1%".to_string()
                        } else {
                            format!("{:.0}%", pct.min(100.0))
                        }
                    } else {
                        "not known".to_string()
                    },
                }
            })
            .collect();
        Some(Self {
            width: WIDTH,
            height: (2.0 * PAD + h * scale).ceil(),
            boundary: proj.path(&boundary),
            boundary_area: show_km2(council_km2),
            zones: shapes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(lon: f64, lat: f64, size: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]})
    }

    #[test]
    fn areas_are_close_to_the_real_ones() {
        // 0.1° by 0.1° at 51.75°N: about 11.12 km × 6.88 km.
        let a = area_km2(&polygons(&square(-1.5, 51.7, 0.1)));
        assert!((a - 76.5).abs() < 1.0, "{a}");
        let holed = json!({"type": "Polygon", "coordinates": [
            [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]],
            [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75], [0.25, 0.25]]]});
        let whole = area_km2(&polygons(&square(0.0, 0.0, 1.0)));
        let a = area_km2(&polygons(&holed));
        assert!((a / whole - 0.75).abs() < 0.01, "{a} of {whole}");
        assert_eq!(show_km2(76.46), "76.5 km²");
        assert_eq!(show_km2(0.456), "0.46 km²");
        assert_eq!(show_km2(1204.4), "1,204 km²");
    }

    #[test]
    fn the_map_fits_its_box_and_keeps_the_shape() {
        let boundary = square(-1.6, 51.7, 0.2);
        let zone = json!({"type": "Feature", "geometry": square(-1.5, 51.75, 0.05)});
        let m = Map::new(&boundary, &[("Witney".into(), zone)]).unwrap();
        assert_eq!(m.width, WIDTH);
        // A square in degrees is taller than wide at 51.8°N (cos ≈ 0.62).
        assert!((m.height - (PAD * 2.0 + (WIDTH - 2.0 * PAD).min(MAX_HEIGHT - 2.0 * PAD))).abs() < 1.0);
        assert!(m.boundary.starts_with("M16.0 "), "{}", m.boundary);
        let z = &m.zones[0];
        assert_eq!((z.number, z.colour, z.share.as_str()), (1, COLOURS[0], "6%"));
        assert!(z.label_x > 0.0 && z.label_x < m.width && z.label_y > 0.0 && z.label_y < m.height);
        assert!(Map::new(&json!({}), &[]).is_none());
    }
}
