//! Markdown tables of evaluation results (paper Tables 3–4 layout: RMSE and
//! R² per dimension, training time).

use moodtap_core::model::file::Metrics;

/// One row of a results table.
#[derive(Debug, Clone)]
pub struct ResultRow {
    /// Model name (`cbsa`, `svr`, `mean baseline`, …).
    pub model: String,
    /// Sequence length `T`, if it applies.
    pub t_steps: Option<usize>,
    /// Metrics.
    pub metrics: Metrics,
    /// Training time, s, if measured.
    pub train_s: Option<f64>,
    /// Epochs run / kept, if it is a network.
    pub epochs: Option<(usize, usize)>,
}

/// R² to three decimals, or "undefined" where the held-out labels have no
/// variance (one song, or all labels equal: R² divides by zero there).
pub fn r2_text(r2: f64) -> String {
    if r2.is_finite() {
        format!("{r2:.3}")
    } else {
        String::from("undefined")
    }
}

/// A markdown table of `rows` (columns: model, T, RMSE and R² per
/// dimension, epochs, training time).
pub fn markdown(rows: &[ResultRow]) -> String {
    let mut s = String::from(
        "| model | T | RMSE arousal | RMSE valence | R² arousal | R² valence | epochs (kept) | training time |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let m = &r.metrics;
        s.push_str(&format!(
            "| {} | {} | {:.4} | {:.4} | {} | {} | {} | {} |\n",
            r.model,
            r.t_steps.map_or("–".to_string(), |t| t.to_string()),
            m.arousal.rmse,
            m.valence.rmse,
            r2_text(m.arousal.r2),
            r2_text(m.valence.r2),
            r.epochs.map_or("–".to_string(), |(run, kept)| format!("{run} ({kept})")),
            r.train_s.map_or("–".to_string(), |t| format!("{t:.1} s")),
        ));
    }
    s
}
