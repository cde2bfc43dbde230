//! EmoMusic / "1000 Songs" layout (Soleymani et al. 2013):
//! `clips_45seconds/<song_id>.mp3`,
//! `annotations/static_annotations.csv` (`song_id, mean_arousal, std_arousal,
//! mean_valence, std_valence`, scale 1–9) and the 2 Hz dynamic means
//! `annotations/{valence,arousal}_cont_average.csv` (scale −1…1).

use std::path::Path;

use super::crosscheck::{enforce, read_dynamic_means, CrossCheck};
use super::{pair_with_audio, read_static, DatasetError, LoadOptions, LoadReport, Song, StaticColumns};

/// Static label columns of `static_annotations.csv`.
pub const COLUMNS: StaticColumns = StaticColumns {
    id: &["song_id"],
    valence: &["mean_valence", "valence_mean"],
    arousal: &["mean_arousal", "arousal_mean"],
};

/// Loads an EmoMusic directory.
pub fn load(root: &Path, opts: &LoadOptions) -> Result<(Vec<Song>, LoadReport), DatasetError> {
    let ann = root.join("annotations");
    let static_path = ann.join("static_annotations.csv");
    if !static_path.is_file() {
        return Err(DatasetError::Missing {
            what: "EmoMusic static annotations",
            path: static_path,
            hint: "point --dataset at the directory holding annotations/ and clips_45seconds/",
        });
    }
    let audio_dir = root.join("clips_45seconds");
    if !audio_dir.is_dir() {
        return Err(DatasetError::Missing {
            what: "EmoMusic audio directory",
            path: audio_dir,
            hint: "expected clips_45seconds/<song_id>.mp3 next to annotations/",
        });
    }
    let mut report = LoadReport::default();
    let labels = read_static(&[static_path], &COLUMNS, (1.0, 9.0), opts.swap_va, &mut report)?;
    let (dv, da) = (ann.join("valence_cont_average.csv"), ann.join("arousal_cont_average.csv"));
    if dv.is_file() && da.is_file() {
        // Dynamic files are on −1…1; correlation is scale-free.
        if let Some(c) = CrossCheck::compute(&labels, &read_dynamic_means(&dv)?, &read_dynamic_means(&da)?) {
            enforce(&c, opts.swap_va)?;
            report.crosscheck = Some(c);
        }
    }
    let songs = pair_with_audio(labels, &audio_dir, &mut report);
    Ok((songs, report))
}
