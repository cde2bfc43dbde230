//! Progress bars and printed summaries shared by the subcommands.

use moodtap_core::model::file::Metrics;

use crate::eval::table;
use crate::train::TrainProgress;

/// A bar style from an indicatif template (the plain bar if it does not parse).
pub fn bar_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A hidden or visible bar for epochs of training runs.
pub fn epoch_bar(quiet: bool) -> indicatif::ProgressBar {
    let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(bar_style("{prefix} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})"));
    bar
}

/// TrainProgress callback that drives `bar` (fold prefix, epoch count, losses).
pub fn on_progress(bar: &indicatif::ProgressBar, label: &str, p: TrainProgress<'_>) {
    match p {
        TrainProgress::Start { fold, folds, max_epochs } => {
            bar.reset();
            bar.set_length(max_epochs as u64);
            bar.set_prefix(if folds > 1 { format!("{label} fold {fold}/{folds}") } else { label.to_string() });
            bar.set_message("");
        }
        TrainProgress::Epoch { record, best_epoch } => {
            bar.set_position(record.epoch as u64);
            bar.set_message(format!(
                "loss {:.5}, val RMSE {:.4} (best epoch {best_epoch})",
                record.train_loss,
                record.val_rmse()
            ));
        }
    }
}

/// RMSE and R² of both dimensions on one line.
pub fn metrics_line(m: &Metrics) -> String {
    format!(
        "RMSE arousal {:.4} valence {:.4}, R² arousal {} valence {}",
        m.arousal.rmse,
        m.valence.rmse,
        table::r2_text(m.arousal.r2),
        table::r2_text(m.valence.r2)
    )
}
