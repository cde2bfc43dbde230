//! PNG of one file's estimates: valence and arousal over time (left; the long
//! reading bold, the "now" reading thin and pale; the warming-up span, where the
//! model's context is not yet full, shaded) and the long reading's
//! trajectory on the valence–arousal plane (right; quadrant labels after
//! Russell's circumplex, start and end marked).
//! Fonts and errors as every figure ([`super`]).

use std::path::Path;

use moodtap_core::analyzer::Estimate;
use plotters::prelude::*;

use super::{ensure_font, err, PlotError, FONT};

/// Image size, pixels.
pub const SIZE_PX: (u32, u32) = (1400, 620);

const VALENCE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const AROUSAL: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const WARMING: RGBColor = RGBColor(0xee, 0xee, 0xee);

/// Draws `estimates` of `title` into the PNG `path`.
pub fn write_plot(path: &Path, title: &str, estimates: &[Estimate]) -> Result<(), PlotError> {
    ensure_font();
    let root = BitMapBackend::new(path, SIZE_PX).into_drawing_area();
    draw(&root, title, estimates).map_err(|e| err(path)(&e))?;
    root.present().map_err(|e| err(path)(&e))
}

fn draw(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    estimates: &[Estimate],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(text)?;
    let root = root.titled(title, (FONT, 22)).map_err(text)?;
    let (left, right) = root.split_horizontally(SIZE_PX.0 - 600);
    let end_s = estimates.last().map_or(1.0, |e| e.time_s).max(1.0);

    // Curves over time.
    let mut chart = ChartBuilder::on(&left)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .caption("valence and arousal over time", (FONT, 18))
        .build_cartesian_2d(0.0..end_s, 0.0f64..1.0)
        .map_err(text)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("value")
        .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
        .draw()
        .map_err(text)?;
    if let Some(full) = estimates
        .iter()
        .position(|e| !e.warming_up())
        .map(|i| estimates[i].time_s)
        .or_else(|| estimates.last().map(|e| e.time_s))
    {
        if estimates.first().is_some_and(Estimate::warming_up) {
            chart
                .draw_series(std::iter::once(Rectangle::new([(0.0, 0.0), (full, 1.0)], WARMING.filled())))
                .map_err(text)?
                .label("warming up (context not full)")
                .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], WARMING.filled()));
        }
    }
    // The now reading first (thin, pale), so the long reading's curves stay on top.
    for (name, color, get) in [
        ("valence_now", VALENCE.mix(0.45).stroke_width(1), (|e: &Estimate| e.now_valence) as fn(&Estimate) -> f32),
        ("arousal_now", AROUSAL.mix(0.45).stroke_width(1), |e: &Estimate| e.now_arousal),
        ("valence", VALENCE.stroke_width(2), |e: &Estimate| e.valence),
        ("arousal", AROUSAL.stroke_width(2), |e: &Estimate| e.arousal),
    ] {
        chart
            .draw_series(LineSeries::new(estimates.iter().map(|e| (e.time_s, f64::from(get(e)))), color))
            .map_err(text)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(text)?;

    // Trajectory on the plane.
    let mut plane = ChartBuilder::on(&right)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .caption("valence-arousal plane", (FONT, 18))
        .build_cartesian_2d(0.0f64..1.0, 0.0f64..1.0)
        .map_err(text)?;
    plane
        .configure_mesh()
        .x_desc("valence")
        .y_desc("arousal")
        .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
        .draw()
        .map_err(text)?;
    let grey = BLACK.mix(0.35);
    plane.draw_series(LineSeries::new([(0.5, 0.0), (0.5, 1.0)], grey)).map_err(text)?;
    plane.draw_series(LineSeries::new([(0.0, 0.5), (1.0, 0.5)], grey)).map_err(text)?;
    let label_style = (FONT, 16).into_font().color(&BLACK.mix(0.55));
    for (x, y, label) in [
        (0.03, 0.97, "tense / angry"),
        (0.72, 0.97, "excited / happy"),
        (0.03, 0.06, "sad / depressed"),
        (0.72, 0.06, "calm / relaxed"),
    ] {
        plane.draw_series(std::iter::once(Text::new(label, (x, y), label_style.clone()))).map_err(text)?;
    }
    let points: Vec<(f64, f64)> = estimates.iter().map(|e| (f64::from(e.valence), f64::from(e.arousal))).collect();
    let n = points.len().max(2) as f64;
    // Colour runs from light to dark purple with time.
    plane
        .draw_series(points.windows(2).enumerate().map(|(i, w)| {
            let shade = 0.25 + 0.75 * i as f64 / (n - 1.0);
            PathElement::new(vec![w[0], w[1]], RGBColor(0x6a, 0x3d, 0x9a).mix(shade).stroke_width(2))
        }))
        .map_err(text)?;
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        plane
            .draw_series([Circle::new(*first, 6, VALENCE.filled()), Circle::new(*last, 6, AROUSAL.filled())])
            .map_err(text)?;
        plane
            .draw_series([
                Text::new("start", (first.0 + 0.015, first.1 + 0.02), (FONT, 14).into_font()),
                Text::new("end", (last.0 + 0.015, last.1 + 0.02), (FONT, 14).into_font()),
            ])
            .map_err(text)?;
    }
    Ok(())
}

/// plotters' errors carry the backend type; the message is all we report.
fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
