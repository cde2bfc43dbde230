//! EmoMusic / "1000 Songs" layout (Soleymani et al. 2013):
//! `clips_45seconds/<song_id>.mp3`,
//! `annotations/static_annotations.csv` (`song_id, mean_arousal, std_arousal,
//! mean_valence, std_valence`, scale 1–9) and the 2 Hz dynamic means
//! `annotations/{valence,arousal}_cont_average.csv` (scale −1…1).

use std::path::Path;

use super::{load_layout, DatasetError, Layout, LoadOptions, LoadReport, Song, StaticColumns};

/// Static label columns of `static_annotations.csv`.
pub const COLUMNS: StaticColumns = StaticColumns {
    id: &["song_id"],
    valence: &["mean_valence", "valence_mean"],
    arousal: &["mean_arousal", "arousal_mean"],
};

/// Dynamic (2 Hz) mean annotations, valence and arousal, relative to the root.
pub const DYNAMIC: Option<(&str, &str)> =
    Some(("annotations/valence_cont_average.csv", "annotations/arousal_cont_average.csv"));

const LAYOUT: Layout = Layout {
    what: ("EmoMusic static annotations", "EmoMusic audio directory"),
    static_files: &["annotations/static_annotations.csv"],
    columns: COLUMNS,
    audio_dir: "clips_45seconds",
    dynamic: DYNAMIC,
    root_hint: "point --dataset at the directory holding annotations/ and clips_45seconds/",
    audio_hint: "expected clips_45seconds/<song_id>.mp3 next to annotations/",
};

/// Loads an EmoMusic directory.
pub fn load(root: &Path, opts: &LoadOptions) -> Result<(Vec<Song>, LoadReport), DatasetError> {
    load_layout(root, &LAYOUT, opts)
}
