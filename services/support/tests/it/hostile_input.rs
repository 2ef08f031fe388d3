//! Property tests of the shared parsers of outside input: free text and
//! GeoJSON areas. Whatever they are given, they answer a value or a typed
//! refusal, never a panic, and a refusal names its field and code.

use proptest::prelude::*;
use roundabout_support::{geojson, text};
use serde_json::{json, Value};

/// Strings mixing ordinary letters with the characters text fields refuse.
fn hostile_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 ]{0,8}",
        1 => Just("\0".to_string()),
        1 => Just("\t\r\n".to_string()),
        1 => Just("\u{202E}\u{2066}".to_string()),
        1 => Just("\u{2028}".to_string()),
        1 => Just("\u{7f}\u{85}".to_string()),
        1 => "\\PC{0,4}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// Any JSON value, nested up to a few levels, with hostile strings.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (-200.0f64..200.0).prop_map(|f| json!(f)),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_string()),
                    Just("coordinates".to_string()),
                    Just("geometry".to_string()),
                    hostile_string()
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A ring of `n` positions around a centre, closed or not, some positions
/// out of range or malformed.
fn ring() -> impl Strategy<Value = Value> {
    (
        -200.0f64..200.0,
        -100.0f64..100.0,
        0.0f64..5.0,
        0usize..12,
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|(x, y, r, n, closed, junk)| {
            let mut ps: Vec<Value> = (0..n)
                .map(|i| {
                    let t = i as f64 / n.max(1) as f64 * std::f64::consts::TAU;
                    json!([x + r * t.cos(), y + r * t.sin()])
                })
                .collect();
            if closed {
                if let Some(first) = ps.first().cloned() {
                    ps.push(first);
                }
            }
            match junk % 8 {
                0 => ps.push(json!(["a", 1])),
                1 => ps.push(json!([1])),
                2 => ps.push(json!(null)),
                _ => {}
            }
            Value::Array(ps)
        })
}

fn geojson_shape() -> impl Strategy<Value = Value> {
    let polygon = prop::collection::vec(ring(), 0..4).prop_map(Value::Array).boxed();
    prop_oneof![
        polygon
            .clone()
            .prop_map(|c| json!({"type": "Polygon", "coordinates": c})),
        prop::collection::vec(polygon.clone(), 0..4).prop_map(|c| json!({"type": "MultiPolygon", "coordinates": c})),
        polygon.prop_map(
            |c| json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": c}})
        ),
        any_json(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

    #[test]
    fn text_is_a_clean_value_or_a_refusal_naming_its_field(s in hostile_string(), max in 1usize..40) {
        match text::single_line("name", "The name", &s, max) {
            Ok(t) => {
                prop_assert!(!t.is_empty() && t.chars().count() <= max);
                prop_assert!(t.chars().all(|c| !text::is_forbidden(c, false)));
                prop_assert_eq!(t.as_str(), s.trim());
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "INVALID_INPUT");
                prop_assert_eq!(e.body.field.clone(), Some(vec!["name".to_string()]));
            }
        }
        match text::multi_line("description", "The description", &s, max) {
            Ok(t) => prop_assert!(t.chars().all(|c| !text::is_forbidden(c, true))),
            Err(e) => prop_assert_eq!(e.code(), "INVALID_INPUT"),
        }
    }

    #[test]
    fn no_refused_character_ever_passes(prefix in "[a-z]{1,5}", c in any::<char>()) {
        let v = format!("{prefix}{c}{prefix}");
        let forbidden = c.is_control() || ('\u{2028}'..='\u{202E}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c);
        prop_assert_eq!(text::single_line("f", "F", &v, 100).is_err(), forbidden);
    }

    #[test]
    fn geojson_is_an_area_or_invalid_geometry(v in geojson_shape()) {
        match geojson::Area::parse(&v) {
            Ok(a) => {
                let (x0, y0, x1, y1) = a.bbox();
                prop_assert!(x0 <= x1 && y0 <= y1);
                prop_assert!((-180.0..=180.0).contains(&x0) && (-90.0..=90.0).contains(&y1));
            }
            Err(e) => prop_assert_eq!(e.code(), "INVALID_GEOMETRY"),
        }
    }
}

/// Builds `[[[…]]]` `n` deep without recursion (so the test itself survives).
fn nested(n: usize) -> Value {
    let mut v = json!([0, 0]);
    for _ in 0..n {
        v = Value::Array(vec![v]);
    }
    v
}

/// Takes a deep value apart without recursive drop.
fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(mut v) = stack.pop() {
        if let Some(a) = v.as_array_mut() {
            stack.append(a);
        } else if let Some(o) = v.as_object_mut() {
            stack.extend(std::mem::take(o).into_iter().map(|(_, x)| x));
        }
    }
}

#[test]
fn deep_or_wide_geojson_is_refused_before_it_is_walked() {
    // Not `json!`, which would serialise the deep value recursively.
    let mut deep = serde_json::Map::new();
    deep.insert("type".into(), json!("Polygon"));
    deep.insert("coordinates".into(), nested(100_000));
    let deep = Value::Object(deep);
    let err = geojson::Area::parse(&deep).unwrap_err();
    assert!(err.body.message.contains("nested deeper"), "{}", err.body.message);
    dismantle(deep);

    let props =
        json!({"type": "Feature", "properties": {"a": nested(50)}, "geometry": {"type": "Polygon", "coordinates": []}});
    assert!(geojson::Area::parse(&props)
        .unwrap_err()
        .body
        .message
        .contains("nested deeper"));

    let ring = json!([[0, 0], [1, 0], [1, 1], [0, 0]]);
    let many_rings = json!({"type": "Polygon", "coordinates": vec![ring.clone(); geojson::MAX_RINGS + 1]});
    assert!(geojson::Area::parse(&many_rings)
        .unwrap_err()
        .body
        .message
        .contains("rings"));
    let many_polygons = json!({"type": "MultiPolygon", "coordinates": vec![json!([ring]); geojson::MAX_POLYGONS + 1]});
    assert!(geojson::Area::parse(&many_polygons)
        .unwrap_err()
        .body
        .message
        .contains("polygons"));
}

#[test]
fn the_largest_allowed_area_is_checked_once_and_read_back_quickly() {
    // MAX_VERTICES positions on a circle: a valid shape of the largest size.
    let n = geojson::MAX_VERTICES - 1;
    let mut ring: Vec<Value> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            json!([-1.5 + 0.1 * t.cos(), 51.8 + 0.1 * t.sin()])
        })
        .collect();
    ring.push(ring[0].clone());
    // Checking that no ring crosses itself is paid once, when it is saved.
    let area = geojson::Area::parse(&json!({"type": "Polygon", "coordinates": [ring]})).unwrap();
    assert!(area.contains(-1.5, 51.8));
    // Reading it back (each profile update reads every zone) is linear.
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let again = geojson::Area::stored(area.geometry()).unwrap();
        assert!(again.contains(-1.5, 51.8));
    }
    // Generous for an unoptimised build on a busy machine; well under 0.1 s here.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
