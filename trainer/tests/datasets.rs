//! Loaders on fixture directories that mimic the DEAM and EmoMusic layouts
//! exactly (header quirks included), with missing audio and unlabelled songs.

use std::fs;
use std::path::{Path, PathBuf};

use moodtap_trainer::dataset::{load, DatasetError, DatasetKind, LoadOptions};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("moodtap-ds-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A tiny valid 16-bit mono WAV (the loaders only check that files exist;
/// extraction tests decode them).
fn wav(path: &Path) {
    let n = 2205u32;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + n * 2).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&22050u32.to_le_bytes());
    v.extend_from_slice(&44100u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        v.extend_from_slice(&(((i as f32 * 0.1).sin() * 8000.0) as i16).to_le_bytes());
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, v).unwrap();
}

/// Dynamic file rows: `song_id,sample_15000ms,…` with values on −1…1 that
/// follow `level` (so static and dynamic agree), ragged lengths allowed.
fn dynamic_csv(rows: &[(u32, f32, usize)]) -> String {
    let mut s = String::from("song_id");
    for k in 0..6 {
        s.push_str(&format!(",sample_{}ms", 15000 + 500 * k));
    }
    s.push('\n');
    for &(id, level, n) in rows {
        s.push_str(&id.to_string());
        for k in 0..6 {
            if k < n {
                s.push_str(&format!(",{:.4}", level + 0.01 * k as f32));
            } else {
                s.push(',');
            }
        }
        s.push('\n');
    }
    s
}

fn deam_fixture(swapped_names: bool) -> PathBuf {
    let root = tmpdir(if swapped_names { "deam-swapped" } else { "deam" });
    let song_level = root.join("annotations/annotations averaged per song/song_level");
    fs::create_dir_all(&song_level).unwrap();
    // DEAM headers carry leading spaces.
    let mut a = String::from("song_id, valence_mean, valence_std, arousal_mean, arousal_std\n");
    let mut dv = Vec::new();
    let mut da = Vec::new();
    for id in [2u32, 3, 4, 5, 7, 8, 10] {
        let v = 2.0 + (id as f32 * 0.7) % 6.0;
        let ar = 8.0 - (id as f32 * 1.3) % 6.0;
        let (col_v, col_a) = if swapped_names { (ar, v) } else { (v, ar) };
        a.push_str(&format!("{id},{col_v},1.1,{col_a},0.9\n"));
        dv.push((id, (v - 5.0) / 4.0, 6 - (id as usize % 3)));
        da.push((id, (ar - 5.0) / 4.0, 6));
    }
    a.push_str("11,not-a-number,1,5,1\n");
    fs::write(song_level.join("static_annotations_averaged_songs_1_2000.csv"), a).unwrap();
    fs::write(
        song_level.join("static_annotations_averaged_songs_2000_2058.csv"),
        "song_id, valence_mean, valence_std, arousal_mean, arousal_std\n2001,6.5,1,3.5,1\n",
    )
    .unwrap();
    let dyn_dir = root.join("annotations/annotations averaged per song/dynamic (per second annotations)");
    fs::create_dir_all(&dyn_dir).unwrap();
    fs::write(dyn_dir.join("valence.csv"), dynamic_csv(&dv)).unwrap();
    fs::write(dyn_dir.join("arousal.csv"), dynamic_csv(&da)).unwrap();
    for id in [2u32, 3, 4, 5, 7, 2001, 9999] {
        wav(&root.join(format!("MEMD_audio/{id}.mp3")));
    }
    root
}

#[test]
fn deam_layout_with_leading_space_headers() {
    let root = deam_fixture(false);
    let d = load(DatasetKind::Deam, &root, &LoadOptions::default()).unwrap();
    let ids: Vec<_> = d.songs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["2", "3", "4", "5", "7", "2001"]);
    assert_eq!(d.report.missing_audio, ["10", "8"]);
    assert_eq!(d.report.unlabelled_audio.len(), 1);
    assert!(d.report.unlabelled_audio[0].ends_with("9999.mp3"));
    assert_eq!(d.report.bad_rows.len(), 1);
    let c = d.report.crosscheck.unwrap();
    assert!(c.consistent() && !c.looks_swapped(), "{}", c.describe());
    let s2001 = d.songs.iter().find(|s| s.id == "2001").unwrap();
    assert_eq!((s2001.valence, s2001.arousal), (0.6875, 0.3125));
}

#[test]
fn deam_with_swapped_column_names_stops_until_swap_va() {
    let root = deam_fixture(true);
    let err = load(DatasetKind::Deam, &root, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, DatasetError::LooksSwapped(_)));
    assert!(err.to_string().contains("re-run with --swap-va"), "{err}");
    let d = load(DatasetKind::Deam, &root, &LoadOptions { swap_va: true, scale: None }).unwrap();
    assert!(d.report.swapped && d.report.crosscheck.unwrap().consistent());
}

/// The real EmoMusic sample shipped beside the repository
/// (`MOODTAP_EMOMUSIC_SAMPLE`, else `../shared/data/emomusic-sample` next to the
/// checkout, else `/work/shared/data/emomusic-sample`).
fn emomusic_sample() -> PathBuf {
    let candidates = [
        std::env::var_os("MOODTAP_EMOMUSIC_SAMPLE").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/emomusic-sample")),
        Some(PathBuf::from("/work/shared/data/emomusic-sample")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("annotations/static_annotations.csv").is_file())
        .expect("EmoMusic sample not found: set MOODTAP_EMOMUSIC_SAMPLE to its directory")
}

#[test]
fn emomusic_layout_real_sample() {
    let root = emomusic_sample();
    let d = load(DatasetKind::EmoMusic, &root, &LoadOptions::default()).unwrap();
    assert_eq!(d.songs.len(), 10);
    assert_eq!(d.report.missing_audio.len(), 734);
    let c = d.report.crosscheck.unwrap();
    assert_eq!(c.n, 744);
    assert!(c.r_valence > 0.9 && c.r_arousal > 0.9, "{}", c.describe());
    // Song 2: static arousal 3.1, valence 3.0 on 1–9.
    let s2 = &d.songs[0];
    assert_eq!(s2.id, "2");
    assert!((s2.valence - 0.25).abs() < 1e-6 && (s2.arousal - 0.2625).abs() < 1e-6);
    assert!(matches!(
        load(DatasetKind::EmoMusic, &root, &LoadOptions { swap_va: true, scale: None }),
        Err(DatasetError::LooksSwapped(_))
    ));
}

#[test]
fn emomusic_fixture_without_dynamic_annotations() {
    let root = tmpdir("emo");
    fs::create_dir_all(root.join("annotations")).unwrap();
    fs::write(
        root.join("annotations/static_annotations.csv"),
        "song_id,mean_arousal,std_arousal,mean_valence,std_valence\n1,5,1,6,1\n2,7,1,2,1\n3,,1,2,1\n",
    )
    .unwrap();
    wav(&root.join("clips_45seconds/1.mp3"));
    let d = load(DatasetKind::EmoMusic, &root, &LoadOptions::default()).unwrap();
    assert_eq!(d.songs.len(), 1);
    assert_eq!((d.songs[0].valence, d.songs[0].arousal), (0.625, 0.5));
    assert_eq!(d.report.missing_audio, ["2"]);
    assert_eq!(d.report.bad_rows.len(), 1);
    assert!(d.report.crosscheck.is_none());
}

#[test]
fn manifest_with_scale_and_bad_rows() {
    let root = tmpdir("manifest");
    wav(&root.join("a.wav"));
    wav(&root.join("sub/b.wav"));
    fs::write(root.join("m.csv"), "path,valence,arousal,extra\na.wav,-0.5,0.5,x\nsub/b.wav,1,-1,y\nmissing.wav,0,0,z\nc.wav,abc,0,w\na.wav,3,0,v\n").unwrap();
    let d = load(DatasetKind::Manifest, &root.join("m.csv"), &LoadOptions { swap_va: false, scale: Some((-1.0, 1.0)) })
        .unwrap();
    assert_eq!(d.songs.len(), 2);
    assert_eq!((d.songs[0].valence, d.songs[0].arousal), (0.25, 0.75));
    assert_eq!(d.report.missing_audio, ["missing.wav"]);
    assert_eq!(d.report.bad_rows.len(), 2);
}

/// A manifest with a `time_s` column: the rows of one file are its series (in
/// time order, on the manifest's scale), its static label their mean; a
/// repeated (file, time) merges when it agrees and is refused when it does not;
/// a bad time is a bad row; quadrants cannot be time series.
#[test]
fn manifest_time_series_become_dynamic_labels() {
    use moodtap_trainer::dataset::dynamic;
    let root = tmpdir("manifest-series");
    wav(&root.join("a.wav"));
    wav(&root.join("b.wav"));
    let m = root.join("m.csv");
    let opts = LoadOptions { swap_va: false, scale: Some((-1.0, 1.0)) };
    fs::write(
        &m,
        "path,time_s,valence,arousal\na.wav,1.0,1,-1\nb.wav,0.5,0,0\na.wav,0.5,0,1\n./a.wav,1.0,1,-1\na.wav,x,0,0\n\
         a.wav,-2,0,0\nmissing.wav,0.5,0,0\n",
    )
    .unwrap();
    let d = load(DatasetKind::Manifest, &m, &opts).unwrap();
    assert_eq!(d.songs.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    // a: (0.5, 1.0) at 0.5 s, (1.0, 0.0) at 1.0 s → mean (0.75, 0.5).
    assert_eq!((d.songs[0].valence, d.songs[0].arousal), (0.75, 0.5));
    assert_eq!(d.report.merged_duplicates.len(), 1, "./a.wav at 1.0 s repeats a.wav at 1.0 s");
    assert_eq!(d.report.bad_rows.len(), 2, "time x and time -2");
    assert_eq!(d.report.missing_audio, ["missing.wav"]);
    let series = dynamic::load(DatasetKind::Manifest, &m, &opts).unwrap();
    assert_eq!(series["a"].times_s, [0.5, 1.0]);
    assert_eq!(series["a"].valence, [0.5, 1.0]);
    assert_eq!(series["a"].arousal, [1.0, 0.0]);
    assert_eq!(series["b"].times_s, [0.5]);
    // The same file and time with other labels: refused, naming both lines.
    fs::write(&m, "path,time_s,valence,arousal\na.wav,1.0,1,-1\na.wav,1.0,0,-1\n").unwrap();
    let e = load(DatasetKind::Manifest, &m, &opts).unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("line 2") && e.contains("at 1 s"), "{e}");
    fs::write(&m, "path,time_s,quadrant\na.wav,1.0,Q1\n").unwrap();
    let e = load(DatasetKind::Manifest, &m, &opts).unwrap_err().to_string();
    assert!(e.contains("time_s") && e.contains("quadrants"), "{e}");
}

#[test]
fn empty_and_missing_datasets_are_clear_errors() {
    let root = tmpdir("empty");
    assert!(matches!(load(DatasetKind::Deam, &root, &LoadOptions::default()), Err(DatasetError::Missing { .. })));
    assert!(matches!(load(DatasetKind::EmoMusic, &root, &LoadOptions::default()), Err(DatasetError::Missing { .. })));
    fs::write(root.join("m.csv"), "path,valence,arousal\n").unwrap();
    let e = load(DatasetKind::Manifest, &root.join("m.csv"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, DatasetError::Empty { .. }), "{e}");
    fs::write(root.join("n.csv"), "file,val\nx,1\n").unwrap();
    assert!(matches!(
        load(DatasetKind::Manifest, &root.join("n.csv"), &LoadOptions::default()),
        Err(DatasetError::BadLabels { .. })
    ));
}
