//! DEAM layout (Aljanaki, Yang & Soleymani 2017): `MEMD_audio/<song_id>.mp3`;
//! `annotations/annotations averaged per song/song_level/
//! static_annotations_averaged_songs_1_2000.csv` and `…_2000_2058.csv`
//! (`song_id, valence_mean, valence_std, arousal_mean, arousal_std`, header
//! names with leading spaces, scale 1–9); dynamic means in
//! `annotations/annotations averaged per song/dynamic (per second annotations)/
//! {valence,arousal}.csv` (scale −1…1).
//!
//! The public 1–2000 static file carries the same numbers as EmoMusic's static
//! file for the same ids with valence and arousal named the other way round
//! (see the EmoMusic sample's README); the cross-check catches that.

use std::path::Path;

use super::{load_layout, DatasetError, Layout, LoadOptions, LoadReport, Song, StaticColumns};

/// Static label columns.
pub const COLUMNS: StaticColumns = StaticColumns {
    id: &["song_id"],
    valence: &["valence_mean", "mean_valence"],
    arousal: &["arousal_mean", "mean_arousal"],
};

/// Dynamic (2 Hz) mean annotations, valence and arousal, relative to the root.
pub const DYNAMIC: Option<(&str, &str)> = Some((
    "annotations/annotations averaged per song/dynamic (per second annotations)/valence.csv",
    "annotations/annotations averaged per song/dynamic (per second annotations)/arousal.csv",
));

const LAYOUT: Layout = Layout {
    what: ("DEAM static annotations", "DEAM audio directory"),
    static_files: &[
        "annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_1_2000.csv",
        "annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_2000_2058.csv",
    ],
    columns: COLUMNS,
    audio_dir: "MEMD_audio",
    dynamic: DYNAMIC,
    root_hint: "point --dataset at the DEAM root holding MEMD_audio/ and annotations/",
    audio_hint: "expected MEMD_audio/<song_id>.mp3 next to annotations/",
};

/// Loads a DEAM directory.
pub fn load(root: &Path, opts: &LoadOptions) -> Result<(Vec<Song>, LoadReport), DatasetError> {
    load_layout(root, &LAYOUT, opts)
}
