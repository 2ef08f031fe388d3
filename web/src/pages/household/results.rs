//! The offers of a search as a short list: identical vehicles of one
//! provider at one price become one result ("3 available, the nearest
//! 0.4 km from home", booking the nearest), filtered by type, sorted by best
//! match, price or distance, a handful at a time with "Show more". Every
//! choice is a GET parameter, so the list works without JavaScript and can
//! be bookmarked.

use crate::{form::FormData, pages::vocabulary};

use super::offer::Offer;

/// Results shown at first, and added by each "Show more".
pub const PAGE: usize = 5;

/// The orders a household may choose: (value, words).
pub const SORTS: &[(&str, &str)] = &[
    ("best", "Best match"),
    ("price", "Lowest price"),
    ("distance", "Nearest"),
];

/// Vehicle types a household may narrow the list to: (value, words).
pub const TYPES: &[(&str, &str)] = &[
    ("", "Any type"),
    ("CAR", "Cars"),
    ("VAN", "Vans"),
    ("WAV", "Wheelchair-accessible vehicles"),
    ("MINIBUS", "Minibuses"),
    ("EBIKE", "E-bikes"),
    ("CARGO_BIKE", "Cargo bikes"),
];

/// How the list is narrowed, ordered and cut, as the query asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// A vehicle kind, or "" for any.
    pub kind: &'static str,
    pub sort: &'static str,
    /// How many results to show (a multiple of [`PAGE`]).
    pub shown: usize,
}

impl View {
    /// Reads `type`, `sort` and `show`; anything unknown is the default.
    pub fn read(f: &FormData) -> View {
        let kind = TYPES.iter().find(|t| t.0 == f.get("type")).map_or("", |t| t.0);
        let sort = SORTS.iter().find(|s| s.0 == f.get("sort")).map_or("best", |s| s.0);
        let shown = f
            .get("show")
            .parse::<usize>()
            .ok()
            .map(|n| n.clamp(PAGE, 100))
            .map_or(PAGE, |n| n.div_ceil(PAGE) * PAGE);
        View { kind, sort, shown }
    }
}

/// Identical vehicles of one provider at one price: the nearest stands for them.
#[derive(Clone)]
pub struct Group {
    /// The nearest of them: the one booked.
    pub offer: Offer,
    /// How many are free for the period.
    pub count: usize,
    /// 1-based position in the list, for "result 3" and `#result-3`.
    pub position: usize,
}

impl Group {
    /// "3 available, the nearest 0.4 km from home" or "0.4 km from home".
    pub fn available(&self) -> String {
        if self.count > 1 {
            format!("{} available, the nearest {} away", self.count, self.offer.distance())
        } else {
            format!("{} away", self.offer.distance())
        }
    }
}

/// What makes two offers the same choice for a household.
type Key<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    i64,
    &'a str,
    bool,
    (i64, i64, i64),
    String,
);

fn key(o: &Offer) -> Key<'_> {
    let v = &o.vehicle;
    (
        v.provider.id.as_str(),
        v.kind.as_str(),
        v.make.as_str(),
        v.model.as_str(),
        v.seats,
        v.propulsion.as_str(),
        v.wheelchair_accessible,
        (o.price.base_pence, o.price.subsidy_pence, o.price.household_pence),
        o.scheme(),
    )
}

/// Groups `offers` (best first, as ranked) into results, in the order of
/// each group's best offer; the nearest of each group stands for it.
pub fn group(offers: Vec<Offer>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for o in offers {
        match groups.iter_mut().find(|g| key(&g.offer) == key(&o)) {
            Some(g) => {
                g.count += 1;
                if o.distance_km < g.offer.distance_km {
                    g.offer = o;
                }
            }
            None => groups.push(Group {
                offer: o,
                count: 1,
                position: 0,
            }),
        }
    }
    groups
}

/// The results the view asks for: every group of the chosen type, in its
/// order, numbered; the caller shows the first `view.shown`.
pub fn arrange(offers: Vec<Offer>, view: &View) -> Vec<Group> {
    let offers = offers
        .into_iter()
        .filter(|o| view.kind.is_empty() || o.vehicle.kind == view.kind)
        .collect();
    let mut groups = group(offers);
    match view.sort {
        "price" => groups.sort_by(|a, b| {
            a.offer
                .price
                .household_pence
                .cmp(&b.offer.price.household_pence)
                .then(a.offer.distance_km.total_cmp(&b.offer.distance_km))
        }),
        "distance" => groups.sort_by(|a, b| a.offer.distance_km.total_cmp(&b.offer.distance_km)),
        // Best match: as ranked (a stable sort keeps it).
        _ => {}
    }
    for (i, g) in groups.iter_mut().enumerate() {
        g.position = i + 1;
    }
    groups
}

/// The query string `query` with `name` set to `value` (once, at the end).
pub fn with_param(query: &str, name: &str, value: &str) -> String {
    let prefix = format!("{}=", vocabulary::urlencode(name));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    parts.push(format!("{prefix}{}", vocabulary::urlencode(value)));
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::household::offer::{Named, Price, Vehicle};

    fn offer(id: &str, provider: &str, model: &str, km: f64, pay: i64) -> Offer {
        Offer {
            vehicle: Vehicle {
                id: id.into(),
                kind: "CAR".into(),
                make: "Renault".into(),
                model: model.into(),
                seats: 5,
                propulsion: "ELECTRIC".into(),
                wheelchair_accessible: false,
                provider: Named {
                    id: provider.into(),
                    name: provider.into(),
                },
            },
            distance_km: km,
            price: Price {
                base_pence: pay,
                subsidy_pence: 0,
                household_pence: pay,
            },
            subsidies: Vec::new(),
            reasons: Vec::new(),
        }
    }

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn identical_vehicles_of_a_provider_at_one_price_are_one_result_booking_the_nearest() {
        let groups = group(vec![
            offer("a", "p1", "Zoe", 1.2, 1560),
            offer("b", "p1", "Zoe", 0.4, 1560),
            offer("c", "p2", "Zoe", 0.3, 1560),
            offer("d", "p1", "Zoe", 2.0, 1700),
            offer("e", "p1", "Zoe", 3.0, 1560),
        ]);
        let ids: Vec<(&str, usize)> = groups.iter().map(|g| (g.offer.vehicle.id.as_str(), g.count)).collect();
        assert_eq!(ids, vec![("b", 3), ("c", 1), ("d", 1)]);
        assert_eq!(groups[0].available(), "3 available, the nearest 0.4 km away");
        assert_eq!(groups[1].available(), "0.3 km away");
    }

    #[test]
    fn results_are_filtered_by_type_and_sorted_as_asked() {
        let mut van = offer("v", "p1", "E-Transit", 0.1, 3000);
        van.vehicle.kind = "VAN".into();
        let offers = vec![
            offer("a", "p1", "Zoe", 2.0, 1560),
            offer("b", "p1", "Leaf", 1.0, 1400),
            van,
        ];
        let ids = |v: &View| -> Vec<String> {
            arrange(offers.clone(), v)
                .into_iter()
                .map(|g| format!("{}{}", g.position, g.offer.vehicle.id))
                .collect()
        };
        assert_eq!(ids(&View::read(&form(&[]))), ["1a", "2b", "3v"]);
        assert_eq!(ids(&View::read(&form(&[("sort", "price")]))), ["1b", "2a", "3v"]);
        assert_eq!(ids(&View::read(&form(&[("sort", "distance")]))), ["1v", "2b", "3a"]);
        assert_eq!(ids(&View::read(&form(&[("type", "VAN")]))), ["1v"]);
        // Unknown values are the defaults.
        assert_eq!(
            View::read(&form(&[("type", "BUS"), ("sort", "x"), ("show", "-1")])),
            View {
                kind: "",
                sort: "best",
                shown: PAGE
            }
        );
        assert_eq!(View::read(&form(&[("show", "7")])).shown, 10);
        assert_eq!(View::read(&form(&[("show", "100000")])).shown, 100);
    }

    #[test]
    fn a_parameter_is_replaced_not_repeated() {
        assert_eq!(with_param("a=1&show=5&b=2", "show", "10"), "a=1&b=2&show=10");
        assert_eq!(with_param("", "show", "10"), "show=10");
    }
}
