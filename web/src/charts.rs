//! Charts drawn on the server: the geometry is worked out here and the
//! templates (`charts.html`) write the markup, so every label is escaped
//! like the rest of the page and no script is needed. Words and numbers are
//! HTML text around the drawing (never SVG text, which shrinks with the
//! drawing to a few pixels on a phone): bars are rows of HTML with the bar
//! alone drawn, and a line chart's axis labels sit beside and under its
//! SVG. Pages put each chart's data as a table under it.

/// The drawing's size in SVG user units (it scales to the column's width).
pub const WIDTH: f64 = 640.0;

use roundabout_support::disclosure;

/// "fewer than 10" for 1 to 9 (and for a count the API already withheld),
/// the number otherwise, with thousands separators: the one rule of
/// [`disclosure`], which the services apply where the numbers are made.
pub fn count(n: Option<i64>) -> String {
    match shown(n) {
        Some(n) => group(n),
        None => disclosure::WITHHELD.to_string(),
    }
}

/// Whether a count is shown (not withheld, not 1 to 9).
pub fn shown(n: Option<i64>) -> Option<i64> {
    n.and_then(disclosure::suppressed)
}

fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A tick on an axis: where, and its label.
#[derive(Debug, Clone)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// Round steps for an axis up to `max`: 1, 2 or 5 times a power of ten,
/// at least `min_step`, about four of them.
fn nice_ticks(max: f64, min_step: f64) -> (f64, Vec<f64>) {
    let max = max.max(min_step);
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .max(min_step);
    let top = (max / step).ceil() * step;
    let n = (top / step).round() as usize;
    (top, (0..=n).map(|i| i as f64 * step).collect())
}

/// A line over time with a level line (spend to date against a budget).
#[derive(Debug, Clone)]
pub struct LineChart {
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// `x,y x,y …` for a `<polyline>`.
    pub line: String,
    pub dots: Vec<(f64, f64)>,
    /// The level line's height, if there is one.
    pub level: Option<f64>,
}

impl LineChart {
    /// `values` in pence, one per point, with each point's short label;
    /// `level` in pence (none: no line). Axis labels are whole pounds.
    pub fn new(values: &[i64], labels: &[String], level: Option<i64>) -> Self {
        // The plot fills the drawing; its labels are HTML around it.
        let (height, left, right, top, bottom) = (200.0, 0.0, WIDTH, 0.0, 200.0);
        let max = values.iter().copied().chain(level).max().unwrap_or(0).max(0) as f64;
        let (y_max, steps) = nice_ticks(max, 100.0);
        let y = |v: f64| bottom - (v / y_max) * (bottom - top);
        let n = values.len().max(1);
        let x = |i: usize| {
            if n == 1 {
                (left + right) / 2.0
            } else {
                left + (right - left) * i as f64 / (n - 1) as f64
            }
        };
        let dots: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (round(x(i)), round(y(*v as f64))))
            .collect();
        let line = dots
            .iter()
            .map(|(a, b)| format!("{a},{b}"))
            .collect::<Vec<_>>()
            .join(" ");
        let y_ticks = steps
            .into_iter()
            .map(|v| Tick {
                at: round(y(v)),
                label: crate::pages::vocabulary::pounds((v as i64 / 100) * 100),
            })
            .collect();
        // At most about six labelled points along the bottom, always the first and last.
        let last = labels.len().saturating_sub(1);
        let every = labels.len().div_ceil(6).max(1);
        let mut at: Vec<usize> = (0..labels.len())
            .step_by(every)
            .filter(|i| last - i >= every.div_ceil(2) || *i == last)
            .collect();
        if !labels.is_empty() && at.last() != Some(&last) {
            at.push(last);
        }
        let x_ticks = at
            .into_iter()
            .map(|i| Tick {
                at: round(x(i)),
                label: labels[i].clone(),
            })
            .collect();
        Self {
            height,
            left,
            right,
            top,
            bottom,
            y_ticks,
            x_ticks,
            line,
            dots: if values.len() <= 62 { dots } else { Vec::new() },
            level: level.filter(|l| *l > 0).map(|l| round(y(l as f64))),
        }
    }

    /// The y axis labels from the top down (HTML beside the drawing).
    pub fn y_labels(&self) -> Vec<String> {
        self.y_ticks.iter().rev().map(|t| t.label.clone()).collect()
    }

    /// The first and last x labels (HTML under the drawing, at its ends).
    pub fn x_ends(&self) -> Vec<String> {
        match (self.x_ticks.first(), self.x_ticks.last()) {
            (Some(a), Some(b)) if self.x_ticks.len() > 1 => vec![a.label.clone(), b.label.clone()],
            (Some(a), _) => vec![a.label.clone()],
            _ => Vec::new(),
        }
    }
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// What the bar is (HTML text, whole: it wraps).
    pub label: String,
    /// What is written after the bar.
    pub value: String,
    /// Its length, 0 to 100 (% of the longest); 0: no bar (nothing, or a
    /// count too small to show).
    pub width: f64,
}

/// Horizontal bars, one per item: rows of HTML, each with its bar drawn.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// `items`: label, value to scale by (none: no bar) and text to write.
    pub fn new(items: Vec<(String, Option<i64>, String)>) -> Self {
        let max = items.iter().filter_map(|i| i.1).max().unwrap_or(0).max(1) as f64;
        let bars = items
            .into_iter()
            .map(|(label, value, text)| Bar {
                label,
                value: text,
                width: round(value.map_or(0.0, |v| (v.max(0) as f64 / max) * 100.0)),
            })
            .collect();
        Self { bars }
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_read_fewer_than_10() {
        assert_eq!(count(Some(0)), "0");
        assert_eq!(count(Some(1)), "fewer than 10");
        assert_eq!(count(Some(9)), "fewer than 10");
        assert_eq!(count(None), "fewer than 10");
        assert_eq!(count(Some(10)), "10");
        assert_eq!(count(Some(12345)), "12,345");
        assert_eq!(shown(Some(3)), None);
        assert_eq!(shown(Some(0)), Some(0));
    }

    #[test]
    fn axes_have_round_steps() {
        let (top, steps) = nice_ticks(20_000_000.0, 100.0);
        assert_eq!(top, 20_000_000.0);
        assert_eq!(steps.len(), 5);
        let (top, steps) = nice_ticks(1040.0, 100.0);
        assert_eq!(top, 1500.0);
        assert_eq!(steps, vec![0.0, 500.0, 1000.0, 1500.0]);
        let (top, _) = nice_ticks(0.0, 100.0);
        assert_eq!(top, 100.0);
    }

    #[test]
    fn a_line_spans_the_plot_and_the_level_sits_at_its_value() {
        let labels: Vec<String> = (1..=30).map(|d| format!("{d} Nov")).collect();
        let values: Vec<i64> = (0..30).map(|i| i * 100).collect();
        let c = LineChart::new(&values, &labels, Some(5800));
        assert!(c.line.starts_with("0,200"));
        assert_eq!(c.dots.len(), 30);
        assert_eq!(c.x_ends(), vec!["1 Nov".to_string(), "30 Nov".to_string()]);
        assert!(c.x_ticks.len() <= 7);
        assert_eq!(c.y_labels(), vec!["£60", "£40", "£20", "£0"]);
        // 5800 on an axis up to 6000.
        assert_eq!(c.level, Some(round(200.0 - 5800.0 / 6000.0 * 200.0)));
    }

    #[test]
    fn bars_scale_to_the_largest_and_hidden_counts_draw_nothing() {
        let c = BarChart::new(vec![
            ("Witney".into(), Some(20), "20".into()),
            ("Carterton".into(), None, "fewer than 10".into()),
            ("Somewhere with a very long name indeed".into(), Some(10), "10".into()),
        ]);
        assert_eq!(c.bars[0].width, 100.0);
        assert_eq!(c.bars[1].width, 0.0);
        assert_eq!(c.bars[2].width, 50.0);
        assert_eq!(c.bars[2].label, "Somewhere with a very long name indeed");
    }
}
