//! GeoJSON (RFC 7946) Polygon and MultiPolygon areas: parsed, validated and
//! turned into `geo` shapes for point-in-polygon tests.
//!
//! Accepted: a Polygon or MultiPolygon geometry, or a Feature of one. Every
//! ring must be closed, have at least four positions, lie in WGS84 range and
//! not cross itself; the whole must hold at most [`MAX_VERTICES`] positions
//! in at most [`MAX_POLYGONS`] polygons of at most [`MAX_RINGS`] rings each,
//! and nest no deeper than [`MAX_DEPTH`] (a Feature's properties included).
//! Every bound is checked before the work it limits, and nothing here
//! recurses into the value, so a hostile shape costs no more than its size.

use crate::ApiError;
use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Validation};
use roundabout_api::ErrorCode;
use serde_json::{json, Value};

/// Most positions an area may have.
pub const MAX_VERTICES: usize = 5_000;
/// Most polygons of a MultiPolygon.
pub const MAX_POLYGONS: usize = 500;
/// Most rings (the exterior and its holes) of one polygon.
pub const MAX_RINGS: usize = 100;
/// Deepest nesting of arrays and objects in the whole value: a Feature of a
/// MultiPolygon needs 6; the rest is room for a Feature's properties.
pub const MAX_DEPTH: usize = 16;

/// Nesting depth of a value, counted without recursion; stops past `cap`.
pub fn depth(value: &Value, cap: usize) -> usize {
    let mut stack = vec![(value, 0usize)];
    let mut max = 0;
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        if max > cap {
            return max;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// A validated area.
#[derive(Debug, Clone)]
pub struct Area {
    shape: MultiPolygon<f64>,
    /// The normalised GeoJSON geometry (a Feature is unwrapped).
    geometry: Value,
}

/// Bounding box as (min lon, min lat, max lon, max lat).
pub type BBox = (f64, f64, f64, f64);

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(ErrorCode::InvalidGeometry, message)
}

impl Area {
    /// Parses and validates a GeoJSON value from outside.
    pub fn parse(value: &Value) -> Result<Self, ApiError> {
        Self::read(value, true)
    }

    /// Reads a geometry that was validated by [`Area::parse`] when it was
    /// saved (a council's boundary, a zone): the same bounds, without the
    /// check that no ring crosses itself, which takes time growing with the
    /// square of the positions and need not be paid on every read.
    pub fn stored(value: &Value) -> Result<Self, ApiError> {
        Self::read(value, false)
    }

    fn read(value: &Value, validate: bool) -> Result<Self, ApiError> {
        if depth(value, MAX_DEPTH) > MAX_DEPTH {
            return Err(invalid(format!("The GeoJSON is nested deeper than {MAX_DEPTH} levels")));
        }
        let geometry = match value.get("type").and_then(Value::as_str) {
            Some("Feature") => value
                .get("geometry")
                .filter(|g| g.is_object())
                .ok_or_else(|| invalid("The Feature has no geometry"))?,
            Some(_) => value,
            None => return Err(invalid("Expected a GeoJSON Polygon, MultiPolygon or a Feature of one")),
        };
        let coords = geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("The geometry has no coordinates array"))?;
        let mut vertices = 0usize;
        let polygons = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![parse_polygon(coords, None, &mut vertices)?],
            Some("MultiPolygon") => {
                if coords.is_empty() {
                    return Err(invalid("A MultiPolygon needs at least one polygon"));
                }
                if coords.len() > MAX_POLYGONS {
                    return Err(invalid(format!("A MultiPolygon has at most {MAX_POLYGONS} polygons")));
                }
                coords
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let rings = p
                            .as_array()
                            .ok_or_else(|| invalid(format!("Polygon {i} is not an array of rings")))?;
                        parse_polygon(rings, Some(i), &mut vertices)
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some(other) => return Err(invalid(format!("Expected a Polygon or MultiPolygon, got {other}"))),
            None => return Err(invalid("The geometry has no type")),
        };
        let shape = MultiPolygon::new(polygons);
        if validate {
            if let Err(e) = shape.check_validation() {
                return Err(invalid(format!("The shape is not valid: {e}")));
            }
        }
        let geometry = if shape.0.len() == 1 && geometry["type"] == "Polygon" {
            json!({"type": "Polygon", "coordinates": geometry["coordinates"]})
        } else {
            json!({"type": "MultiPolygon", "coordinates": geometry["coordinates"]})
        };
        Ok(Self { shape, geometry })
    }

    pub fn geometry(&self) -> &Value {
        &self.geometry
    }

    pub fn shape(&self) -> &MultiPolygon<f64> {
        &self.shape
    }

    pub fn bbox(&self) -> BBox {
        let r = self.shape.bounding_rect().expect("a valid area has a bounding box");
        (r.min().x, r.min().y, r.max().x, r.max().y)
    }

    /// True when the point (lon, lat) lies inside the area.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.shape.contains(&Point::new(lon, lat))
    }
}

fn parse_polygon(rings: &[Value], index: Option<usize>, vertices: &mut usize) -> Result<Polygon<f64>, ApiError> {
    let at = |ring: usize| match index {
        Some(p) => format!("polygon {p}, ring {ring}"),
        None => format!("ring {ring}"),
    };
    if rings.is_empty() {
        return Err(invalid("A polygon needs an exterior ring"));
    }
    if rings.len() > MAX_RINGS {
        return Err(invalid(format!("A polygon has at most {MAX_RINGS} rings")));
    }
    let mut parsed = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let positions = ring
            .as_array()
            .ok_or_else(|| invalid(format!("{} is not an array of positions", at(r))))?;
        *vertices += positions.len();
        if *vertices > MAX_VERTICES {
            return Err(invalid(format!("The shape has more than {MAX_VERTICES} positions")));
        }
        if positions.len() < 4 {
            return Err(invalid(format!("{} needs at least 4 positions", at(r))));
        }
        let mut coords = Vec::with_capacity(positions.len());
        for (i, p) in positions.iter().enumerate() {
            let pair = p.as_array().filter(|a| a.len() == 2 || a.len() == 3);
            let (lon, lat) = match pair.map(|a| (a[0].as_f64(), a[1].as_f64())) {
                Some((Some(lon), Some(lat))) => (lon, lat),
                _ => return Err(invalid(format!("{}, position {i} is not [longitude, latitude]", at(r)))),
            };
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err(invalid(format!(
                    "{}, position {i} ({lon}, {lat}) is outside WGS84 range (longitude -180..180, latitude -90..90)",
                    at(r)
                )));
            }
            coords.push(Coord { x: lon, y: lat });
        }
        if coords.first() != coords.last() {
            return Err(invalid(format!(
                "{} is not closed: its last position must equal its first",
                at(r)
            )));
        }
        parsed.push(LineString::new(coords));
    }
    let exterior = parsed.remove(0);
    Ok(Polygon::new(exterior, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, d: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]})
    }

    #[test]
    fn a_square_is_valid_and_contains_its_centre() {
        let a = Area::parse(&square(-1.6, 51.7, 0.2)).unwrap();
        assert!(a.contains(-1.5, 51.8));
        assert!(!a.contains(-1.0, 51.8));
        assert_eq!(a.bbox(), (-1.6, 51.7, -1.4000000000000001, 51.900000000000006));
    }

    #[test]
    fn a_feature_is_unwrapped() {
        let f = json!({"type": "Feature", "properties": {}, "geometry": square(0.0, 0.0, 1.0)});
        assert_eq!(Area::parse(&f).unwrap().geometry()["type"], "Polygon");
    }

    #[test]
    fn bad_shapes_are_invalid_geometry() {
        let cases = [
            json!({"type": "Point", "coordinates": [0, 0]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 95], [1, 1], [0, 0]]]}),
            // A bow tie crosses itself.
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
            json!({"type": "Polygon", "coordinates": [[["a", 0], [1, 1], [1, 0], [0, 0]]]}),
            json!({"type": "MultiPolygon", "coordinates": []}),
            json!("not geojson"),
        ];
        for c in cases {
            let err = Area::parse(&c).unwrap_err();
            assert_eq!(err.code(), "INVALID_GEOMETRY", "{c}");
        }
    }

    #[test]
    fn too_many_vertices_is_refused() {
        let n = MAX_VERTICES + 10;
        let mut ring: Vec<Value> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                json!([t.cos(), t.sin()])
            })
            .collect();
        ring.push(ring[0].clone());
        let err = Area::parse(&json!({"type": "Polygon", "coordinates": [ring]})).unwrap_err();
        assert!(err.body.message.contains("more than"));
    }
}
