//! Every PNG figure moodtap draws: learning curves (`train --plot`), the
//! ablation figures (`ablate`, like the paper's Figures 3–4) and, in
//! [`estimates`], one file's valence/arousal (`analyze --plot`). plotters'
//! bitmap backend with text through ab_glyph and a font compiled into the
//! binary (Ubuntu Light from `epaint_default_fonts`), so no system fonts are
//! needed.

pub mod estimates;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// Figure size in pixels.
pub const SIZE: (u32, u32) = (960, 720);

/// Font family registered for every text.
pub(crate) const FONT: &str = "sans-serif";

/// Line colours, one per series (colour-blind-safe Okabe–Ito palette).
const COLORS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub struct PlotError {
    /// The PNG.
    pub path: String,
    /// plotters' message.
    pub message: String,
}

pub(crate) fn err(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> PlotError + '_ {
    move |e| PlotError { path: path.display().to_string(), message: e.to_string() }
}

/// Registers the embedded font for [`FONT`] (normal and bold) once per process.
pub(crate) fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // A failure leaves text undrawn (plotters then reports an error per
            // label), which the caller sees as a PlotError.
            let _ = register_font(FONT, style, epaint_default_fonts::UBUNTU_LIGHT);
        }
    });
}

/// One line of a panel.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points `(x, y)`; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

/// One chart of a figure.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Caption above the chart.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Lines.
    pub series: Vec<Series>,
    /// A vertical marker (e.g. the kept epoch) and its legend text.
    pub marker: Option<(f64, String)>,
}

fn range(values: impl Iterator<Item = f64>, pad_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if pad_zero {
        lo = lo.min(0.0);
    }
    let span = (hi - lo).max(1e-9);
    (lo - 0.05 * span, hi + 0.05 * span)
}

/// Panels stacked vertically in one PNG.
pub fn line_panels(path: &Path, panels: &[Panel]) -> Result<(), PlotError> {
    ensure_font();
    let e = err(path);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    for (area, p) in areas.iter().zip(panels) {
        let xs = range(p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)), false);
        let ys = range(p.series.iter().flat_map(|s| s.points.iter().map(|q| q.1)), false);
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(xs.0..xs.1, ys.0..ys.1)
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc(&p.x_label)
            .y_desc(&p.y_label)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|x| e(&x))?;
        for (i, s) in p.series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let pts: Vec<(f64, f64)> =
                s.points.iter().copied().filter(|q| q.0.is_finite() && q.1.is_finite()).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(|x| e(&x))?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            if pts.len() <= 12 {
                chart.draw_series(pts.iter().map(|&q| Circle::new(q, 4, color.filled()))).map_err(|x| e(&x))?;
            }
        }
        if let Some((x, label)) = &p.marker {
            let x = *x;
            let grey = RGBColor(120, 120, 120);
            chart
                .draw_series(LineSeries::new(vec![(x, ys.0), (x, ys.1)], grey.stroke_width(1)))
                .map_err(|x| e(&x))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey.stroke_width(1)));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|x| e(&x))?;
    }
    root.present().map_err(|x| e(&x))
}

/// Grouped bar chart: one group per `groups` entry, one bar per series
/// (`series[i].1[g]` is the bar of series `i` in group `g`).
pub fn grouped_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<(), PlotError> {
    ensure_font();
    let e = err(path);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let (_, hi) = range(series.iter().flat_map(|s| s.1.iter().copied()), true);
    let n_groups = groups.len().max(1);
    let n_series = series.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..n_groups as f64, 0.0..hi)
        .map_err(|x| e(&x))?;
    let labels = groups.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n_groups * 2 + 1)
        .x_label_formatter(&|x: &f64| {
            let g = x.floor() as usize;
            if (x - g as f64 - 0.5).abs() < 1e-6 && g < labels.len() {
                labels[g].clone()
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|x| e(&x))?;
    let width = 0.8 / n_series as f64;
    for (i, (name, values)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(g, &v)| {
                let x0 = g as f64 + 0.1 + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width * 0.9, v)], color.filled())
            }))
            .map_err(|x| e(&x))?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))
}
