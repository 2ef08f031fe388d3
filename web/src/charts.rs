//! Charts drawn on the server as SVG: the geometry is worked out here and
//! the templates (`charts.html`) write the markup, so every label is
//! escaped like the rest of the page and no script is needed. Each chart
//! has a title and axis labels; pages put its data as a table under it.

/// The drawing's size in SVG user units (it scales to the column's width).
pub const WIDTH: f64 = 640.0;

/// Counts from 1 to 9 are not shown (MDS reports' rule): a small count
/// can point at a household.
pub const SUPPRESS_BELOW: i64 = 10;

/// "fewer than 10" for 1 to 9 (and for a count the API already withheld),
/// the number otherwise, with thousands separators.
pub fn count(n: Option<i64>) -> String {
    match n {
        Some(n) if n == 0 || n >= SUPPRESS_BELOW => group(n),
        _ => "fewer than 10".to_string(),
    }
}

/// Whether a count is shown (not withheld, not 1 to 9).
pub fn shown(n: Option<i64>) -> Option<i64> {
    n.filter(|&n| n == 0 || n >= SUPPRESS_BELOW)
}

fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
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
        let (height, left, right, top, bottom) = (300.0, 104.0, WIDTH - 24.0, 16.0, 250.0);
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
                label: crate::views::pounds((v as i64 / 100) * 100),
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

    /// Where the x axis label goes.
    pub fn x_label_y(&self) -> f64 {
        self.height - 8.0
    }

    /// Where the y axis label goes (rotated, its centre).
    pub fn y_label_y(&self) -> f64 {
        round((self.top + self.bottom) / 2.0)
    }

    pub fn centre(&self) -> f64 {
        round((self.left + self.right) / 2.0)
    }
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The label on the left (shortened to fit; tables give it whole).
    pub label: String,
    /// What is written after the bar.
    pub value: String,
    pub y: f64,
    /// 0: no bar (nothing, or a count too small to show).
    pub width: f64,
}

/// Horizontal bars, one per item.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub height: f64,
    pub left: f64,
    pub bar_height: f64,
    pub bars: Vec<Bar>,
    pub axis_y: f64,
}

impl BarChart {
    /// `items`: label, value to scale by (none: no bar) and text to write.
    pub fn new(items: Vec<(String, Option<i64>, String)>) -> Self {
        let (left, value_room, row, bar_height) = (200.0, 110.0, 36.0, 22.0);
        let max = items.iter().filter_map(|i| i.1).max().unwrap_or(0).max(1) as f64;
        let span = WIDTH - left - value_room;
        let bars = items
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, text))| Bar {
                label: shorten(&label, 26),
                value: text,
                y: 8.0 + row * i as f64,
                width: round(value.map_or(0.0, |v| (v.max(0) as f64 / max) * span)),
            })
            .collect::<Vec<_>>();
        let axis_y = 8.0 + row * bars.len() as f64 + 4.0;
        Self {
            height: axis_y + 34.0,
            left,
            bar_height,
            bars,
            axis_y,
        }
    }

    pub fn text_y(&self, b: &Bar) -> f64 {
        b.y + self.bar_height / 2.0 + 5.0
    }

    pub fn value_x(&self, b: &Bar) -> f64 {
        self.left + b.width + 8.0
    }

    pub fn label_x(&self) -> f64 {
        self.left - 8.0
    }

    pub fn x_label_y(&self) -> f64 {
        self.height - 8.0
    }

    pub fn centre(&self) -> f64 {
        round((self.left + WIDTH - 110.0) / 2.0)
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
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
        assert!(c.line.starts_with("104,250"));
        assert_eq!(c.dots.len(), 30);
        assert_eq!(c.x_ticks.first().unwrap().label, "1 Nov");
        assert_eq!(c.x_ticks.last().unwrap().label, "30 Nov");
        assert!(c.x_ticks.len() <= 7);
        // 5800 on an axis up to 6000.
        assert_eq!(c.level, Some(round(250.0 - 5800.0 / 6000.0 * 234.0)));
    }

    #[test]
    fn bars_scale_to_the_largest_and_hidden_counts_draw_nothing() {
        let c = BarChart::new(vec![
            ("Witney".into(), Some(20), "20".into()),
            ("Carterton".into(), None, "fewer than 10".into()),
            ("Somewhere with a very long name indeed".into(), Some(10), "10".into()),
        ]);
        assert_eq!(c.bars[0].width, WIDTH - 200.0 - 110.0);
        assert_eq!(c.bars[1].width, 0.0);
        assert_eq!(c.bars[2].width, (WIDTH - 310.0) / 2.0);
        assert_eq!(c.bars[2].label, "Somewhere with a very lon…");
    }
}
