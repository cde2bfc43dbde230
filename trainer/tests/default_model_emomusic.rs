//! The default model on the 10 real EmoMusic clips of
//! `/work/shared/data/emomusic-sample` (or `$MOODTAP_EMOMUSIC_SAMPLE`):
//! prints Pearson r and RMSE per dimension, next to the label-mean baseline,
//! for docs/default-model.md. Asserts only sanity (finite estimates in
//! [0, 1]): 10 clips of one genre are too few to assert quality on.
//!
//! Labels: `static_annotations.csv` of the sample, columns taken by this
//! file's own names (`mean_arousal`, `mean_valence`), which agree with its
//! dynamic annotations (sample README, docs/design.md §6), scaled (x − 1)/8. The
//! baseline predicts the mean over all 744 labelled songs, not over the 10
//! test clips, so it does not see the test labels. The sample is not in the
//! repository; the test passes with a message when it is absent.

mod common;

use std::path::PathBuf;

use moodtap_core::stats::{pearson, rmse};

/// `$MOODTAP_EMOMUSIC_SAMPLE`, else `../shared/data/emomusic-sample` beside the
/// checkout, else `/work/shared/data/emomusic-sample` (as trainer/tests/extract.rs).
fn sample_dir() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/emomusic-sample");
    std::env::var_os("MOODTAP_EMOMUSIC_SAMPLE").map(PathBuf::from).unwrap_or_else(|| {
        if beside.is_dir() {
            beside
        } else {
            PathBuf::from("/work/shared/data/emomusic-sample")
        }
    })
}

/// `(song_id, valence, arousal)` scaled to [0, 1].
fn labels(dir: &std::path::Path) -> Vec<(u32, f64, f64)> {
    let text = std::fs::read_to_string(dir.join("annotations/static_annotations.csv")).expect("static annotations");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').map(str::trim).collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap_or_else(|| panic!("column {n}"));
    let (id, a, v) = (col("song_id"), col("mean_arousal"), col("mean_valence"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let num = |i: usize| f[i].parse::<f64>().expect("number");
            (f[id].parse().expect("id"), (num(v) - 1.0) / 8.0, (num(a) - 1.0) / 8.0)
        })
        .collect()
}

#[test]
fn default_model_on_emomusic_sample() {
    let dir = sample_dir();
    if !dir.join("clips_45seconds").is_dir() {
        eprintln!("SKIPPED: EmoMusic sample not found at {} (set MOODTAP_EMOMUSIC_SAMPLE)", dir.display());
        return;
    }
    let all = labels(&dir);
    assert_eq!(all.len(), 744, "the public release labels 744 songs");
    let mean_v = all.iter().map(|l| l.1).sum::<f64>() / all.len() as f64;
    let mean_a = all.iter().map(|l| l.2).sum::<f64>() / all.len() as f64;

    let (mut tv, mut ta, mut pv, mut pa) = (vec![], vec![], vec![], vec![]);
    println!("model: {}", common::model_path().display());
    println!("| song | label V | label A | model V | model A | full-coverage steps |");
    for &(id, v, a) in &all {
        let clip = dir.join("clips_45seconds").join(format!("{id}.mp3"));
        if !clip.is_file() {
            continue;
        }
        // Clips are 45 s: the whole clip is the excerpt (offset 0).
        let e = common::estimate_file(&clip, common::EXCERPT_S);
        assert!(
            (0.0..=1.0).contains(&e.valence) && (0.0..=1.0).contains(&e.arousal),
            "song {id}: estimate outside [0, 1]: {e:?}"
        );
        assert!(e.full_steps > 0, "song {id}: a 45 s clip must fill the model context");
        println!("| {id} | {v:.3} | {a:.3} | {:.3} | {:.3} | {} |", e.valence, e.arousal, e.full_steps);
        tv.push(v);
        ta.push(a);
        pv.push(e.valence);
        pa.push(e.arousal);
    }
    assert_eq!(tv.len(), 10, "the sample has audio for 10 songs");
    let base_v = vec![mean_v; tv.len()];
    let base_a = vec![mean_a; ta.len()];
    println!("label means over 744 songs: valence {mean_v:.3}, arousal {mean_a:.3}");
    // Undefined r (constant predictions) prints and fails as NaN.
    let (rv, ra) = (pearson(&pv, &tv).unwrap_or(f64::NAN), pearson(&pa, &ta).unwrap_or(f64::NAN));
    println!("| predictor | valence r | valence RMSE | arousal r | arousal RMSE |");
    println!("| default model | {:.2} | {:.3} | {:.2} | {:.3} |", rv, rmse(&pv, &tv), ra, rmse(&pa, &ta));
    println!("| mean of 744 labels | — | {:.3} | — | {:.3} |", rmse(&base_v, &tv), rmse(&base_a, &ta));
    for x in [rv, rmse(&pv, &tv), ra, rmse(&pa, &ta)] {
        assert!(x.is_finite(), "metric not finite (constant predictions?)");
    }
}
