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

use super::crosscheck::{enforce, read_dynamic_means, CrossCheck};
use super::{pair_with_audio, read_static, DatasetError, LoadOptions, LoadReport, Song, StaticColumns};

/// Static label columns.
pub const COLUMNS: StaticColumns = StaticColumns {
    id: &["song_id"],
    valence: &["valence_mean", "mean_valence"],
    arousal: &["arousal_mean", "mean_arousal"],
};

const AVERAGED: &str = "annotations/annotations averaged per song";

/// Loads a DEAM directory.
pub fn load(root: &Path, opts: &LoadOptions) -> Result<(Vec<Song>, LoadReport), DatasetError> {
    let song_level = root.join(AVERAGED).join("song_level");
    let files: Vec<_> =
        ["static_annotations_averaged_songs_1_2000.csv", "static_annotations_averaged_songs_2000_2058.csv"]
            .iter()
            .map(|f| song_level.join(f))
            .filter(|p| p.is_file())
            .collect();
    if files.is_empty() {
        return Err(DatasetError::Missing {
            what: "DEAM static annotations",
            path: song_level.join("static_annotations_averaged_songs_1_2000.csv"),
            hint: "point --dataset at the DEAM root holding MEMD_audio/ and annotations/",
        });
    }
    let audio_dir = root.join("MEMD_audio");
    if !audio_dir.is_dir() {
        return Err(DatasetError::Missing {
            what: "DEAM audio directory",
            path: audio_dir,
            hint: "expected MEMD_audio/<song_id>.mp3 next to annotations/",
        });
    }
    let mut report = LoadReport::default();
    let labels = read_static(&files, &COLUMNS, (1.0, 9.0), opts.swap_va, &mut report)?;
    let dyn_dir = root.join(AVERAGED).join("dynamic (per second annotations)");
    let (dv, da) = (dyn_dir.join("valence.csv"), dyn_dir.join("arousal.csv"));
    if dv.is_file() && da.is_file() {
        if let Some(c) = CrossCheck::compute(&labels, &read_dynamic_means(&dv)?, &read_dynamic_means(&da)?) {
            enforce(&c, opts.swap_va)?;
            report.crosscheck = Some(c);
        }
    }
    let songs = pair_with_audio(labels, &audio_dir, &mut report);
    Ok((songs, report))
}
