//! `moodtap extract` / `cache merge` / `select` end to end on fixture
//! datasets of generated WAVs (a generic manifest, an EmoMusic layout with a
//! missing, a corrupt, a too-short and an unlabelled file) and on the real
//! EmoMusic sample; the Parquet cache is checked with the Rust reader and,
//! when `MOODTAP_PYTHON` names a Python with pandas/pyarrow, with pandas.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use moodtap_core::audio::decode_file;
use moodtap_core::audio::resample::resample_all;
use moodtap_core::features::mir::MIR_COUNT;
use moodtap_core::steps::{raw_step_names, StepConfig, StepExtractor, RAW_STEP_LEN};
use moodtap_trainer::cache::parquet_io::write_part;
use moodtap_trainer::cache::SongSteps;
use moodtap_trainer::cache::{self, CacheError, CacheMeta, CacheRequest, StepTable};
use moodtap_trainer::extract::ExtractSummary;
use moodtap_trainer::mir_selection::read_selection;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("moodtap-extract-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A 16-bit WAV of `secs` seconds: a tone at `f` Hz with a little
/// deterministic noise and a 2 Hz amplitude pulse, so every feature moves.
fn song_wav(path: &Path, rate: u32, channels: u16, secs: f64, f: f64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec =
        hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut seed: u32 = (f as u32).wrapping_mul(2_654_435_761);
    for i in 0..(rate as f64 * secs).round() as usize {
        let t = i as f64 / rate as f64;
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 8) as f64 / (1u32 << 24) as f64 - 0.5;
        let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 2.0 * t).sin();
        let x = 0.4 * env * (2.0 * std::f64::consts::PI * f * t).sin() + 0.05 * noise;
        for _ in 0..channels {
            w.write_sample((x * 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Runs the `moodtap` binary; returns (success, stderr).
fn moodtap(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn extract_ok(args: &[&str]) -> String {
    let mut all = vec!["extract", "--quiet"];
    all.extend_from_slice(args);
    let (ok, err) = moodtap(&all);
    assert!(ok, "moodtap {all:?} failed:\n{err}");
    err
}

/// Fixture extraction settings: a 3 s context, so T = 6 gives 0.5 s steps
/// and T = 12 gives 0.25 s steps; 1 s windows.
const CTX: &str = "3";

/// Songs of the manifest fixture: (file, source rate, channels, seconds, tone Hz, valence, arousal) on a 1–5 scale.
const MANIFEST_SONGS: [(&str, u32, u16, f64, f64, f32, f32); 8] = [
    ("audio/a.wav", 44_100, 2, 3.0, 220.0, 1.0, 5.0),
    ("audio/b.wav", 22_050, 1, 2.6, 330.0, 2.0, 4.0),
    ("audio/c.wav", 48_000, 1, 3.0, 440.0, 3.0, 3.0),
    ("audio/d.wav", 16_000, 1, 2.2, 550.0, 4.0, 2.0),
    ("audio/e.wav", 22_050, 2, 3.1, 660.0, 5.0, 1.0),
    ("audio/f.wav", 44_100, 1, 1.7, 770.0, 2.5, 2.5),
    ("audio/g.wav", 32_000, 1, 3.0, 880.0, 3.5, 4.5),
    ("audio/h.wav", 22_050, 1, 2.9, 990.0, 1.5, 3.5),
];

fn manifest_fixture(name: &str) -> PathBuf {
    let root = tmpdir(name);
    let mut csv = String::from("path,valence,arousal\n");
    for (file, rate, ch, secs, f, v, a) in MANIFEST_SONGS {
        song_wav(&root.join(file), rate, ch, secs, f);
        csv.push_str(&format!("{file},{v},{a}\n"));
    }
    fs::write(root.join("manifest.csv"), csv).unwrap();
    root.join("manifest.csv")
}

/// Steps expected for `secs` of audio at `hop_s`: every k ≥ 1 with k·hop ≤ duration.
fn expected_steps(secs: f64, rate: u32, hop_s: f64) -> usize {
    let n_in = (rate as f64 * secs).round() as u64;
    let n_out = (n_in * 22_050).div_ceil(rate as u64);
    let dur = n_out as f64 / 22_050.0;
    (dur / hop_s + 1e-9).floor() as usize
}

fn read(dir: &Path, steps: u32) -> StepTable {
    cache::read(dir, &CacheRequest { steps: Some(steps), ..Default::default() }).unwrap()
}

fn summary(path: &Path) -> ExtractSummary {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    cache::list_parts(dir)
        .unwrap()
        .into_iter()
        .map(|p| (p.clone(), fs::metadata(&p).unwrap().modified().unwrap()))
        .collect()
}

#[test]
fn manifest_extraction_rows_columns_metadata_and_values() {
    let manifest = manifest_fixture("manifest");
    let out = tmpdir("manifest-cache");
    let c = out.to_str().unwrap();
    extract_ok(&[
        "--dataset",
        manifest.to_str().unwrap(),
        "--kind",
        "manifest",
        "--scale",
        "1,5",
        "--cache",
        c,
        "--steps",
        "6,12",
        "--context-s",
        CTX,
        "--jobs",
        "2",
    ]);
    for t in [6u32, 12] {
        let dir = out.join(format!("T{t:03}_w1.0_c3"));
        assert!(dir.join(cache::META_FILE).is_file(), "{}", dir.display());
        let table = read(&out, t);
        let hop = 3.0 / t as f64;
        assert_eq!(table.meta.steps, t);
        assert!((table.meta.hop_s - hop).abs() < 1e-12);
        assert_eq!(table.meta.window_s, 1.0);
        assert_eq!(table.meta.context_s, 3.0);
        assert_eq!(table.meta.analysis_rate_hz, 22_050);
        assert_eq!(table.meta.label_scale, [1.0, 5.0]);
        assert_eq!(table.meta.dataset_kind, "manifest");
        assert_eq!(table.meta.feature_names, raw_step_names().collect::<Vec<_>>());
        assert_eq!(table.songs.len(), MANIFEST_SONGS.len());
        for (file, rate, _, secs, _, v, a) in MANIFEST_SONGS {
            let id = Path::new(file).file_stem().unwrap().to_str().unwrap();
            let s = table.songs.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("song {id} missing"));
            assert_eq!(s.n_steps(), expected_steps(secs, rate, hop), "song {id}, T = {t}");
            assert_eq!(s.steps, (1..=s.n_steps() as u32).collect::<Vec<_>>());
            // Labels mapped from 1–5 to [0, 1].
            assert!((s.valence - (v - 1.0) / 4.0).abs() < 1e-6 && (s.arousal - (a - 1.0) / 4.0).abs() < 1e-6, "{id}");
            for (k, &ts) in s.times_s.iter().enumerate() {
                assert!((ts - (k + 1) as f64 * hop).abs() < 1e-9);
            }
        }
    }
    // The streamed extraction equals the offline path (whole-file decode,
    // resample, one StepExtractor) bit for bit: same code, same samples.
    let table = read(&out, 6);
    for (file, ..) in [MANIFEST_SONGS[0], MANIFEST_SONGS[3]] {
        let path = manifest.parent().unwrap().join(file);
        let audio = decode_file(&path).unwrap();
        let x = resample_all(&audio.samples, audio.sample_rate_hz, 22_050).unwrap();
        let mut ex = StepExtractor::new(22_050, StepConfig { window_s: 1.0, hop_s: 0.5 }).unwrap();
        let mut rows: Vec<[f32; RAW_STEP_LEN]> = Vec::new();
        ex.push(&x, |s| rows.push(s.values));
        ex.finish(|s| rows.push(s.values));
        let id = Path::new(file).file_stem().unwrap().to_str().unwrap();
        let s = table.songs.iter().find(|s| s.id == id).unwrap();
        assert_eq!(rows.len(), s.n_steps());
        for (k, r) in rows.iter().enumerate() {
            assert_eq!(s.row(k), &r[..], "song {id} step {}", k + 1);
        }
        // Not a constant table: loudness varies between songs' steps.
        assert!(s.rows().any(|r| r != s.row(0)));
    }

    // Re-extracting into the same cache with other labels is refused, naming the field.
    let (ok, err) = moodtap(&[
        "extract",
        "--quiet",
        "--dataset",
        manifest.to_str().unwrap(),
        "--kind",
        "manifest",
        "--scale",
        "0,5",
        "--cache",
        c,
        "--steps",
        "6",
        "--context-s",
        CTX,
    ]);
    assert!(!ok && err.contains("label_scale"), "{err}");
    // A reader asking for another configuration gets a clear error.
    let e = cache::read(&out, &CacheRequest { steps: Some(7), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("no cache for T = 7") && e.contains("T006_w1.0_c3") && e.contains("T012_w1.0_c3"), "{e}");
    let e = cache::read(&out.join("T006_w1.0_c3"), &CacheRequest { window_s: Some(2.0), ..Default::default() })
        .unwrap_err();
    assert!(matches!(e, CacheError::ConfigMismatch { field: "window_s", .. }), "{e}");
    let e = cache::read(&out, &CacheRequest::default()).unwrap_err().to_string();
    assert!(e.contains("several step configurations"), "{e}");

    // Optional: pandas reads the directory as one dataset with the footer metadata.
    if let Some(py) = std::env::var_os("MOODTAP_PYTHON") {
        let script = r#"
import sys, glob, pandas as pd, pyarrow.parquet as pq
d = sys.argv[1]
df = pd.read_parquet(d)
assert df.shape == (int(sys.argv[2]), 5 + int(sys.argv[3])), df.shape
assert list(df.columns[:5]) == ["song_id", "step", "time_s", "valence", "arousal"], list(df.columns[:5])
assert str(df["step"].dtype) == "uint32" and str(df["time_s"].dtype) == "float64" and str(df["pitch"].dtype) == "float32"
md = pq.read_metadata(sorted(glob.glob(d + "/*.parquet"))[0]).metadata
assert md[b"moodtap.steps"] == b"6" and md[b"moodtap.window_s"] == b"1" and md[b"moodtap.label_scale"] == b"1,5", md
assert df.groupby("song_id").size().sum() == len(df)
print("pandas ok")
"#;
        let out = Command::new(py)
            .arg("-c")
            .arg(script)
            .arg(out.join("T006_w1.0_c3"))
            .arg(table.n_rows().to_string())
            .arg(RAW_STEP_LEN.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "pandas check failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// EmoMusic layout: songs 1–3 fine, 4 labelled without audio, 5 corrupt,
/// 6 too short for one step, 7.wav without a label.
fn emomusic_fixture() -> PathBuf {
    let root = tmpdir("emo");
    fs::create_dir_all(root.join("annotations")).unwrap();
    let mut csv = String::from("song_id,mean_arousal,std_arousal,mean_valence,std_valence\n");
    for id in 1..=6 {
        csv.push_str(&format!("{id},{},1,{},1\n", 2 + id, 8 - id));
    }
    fs::write(root.join("annotations/static_annotations.csv"), csv).unwrap();
    let clips = root.join("clips_45seconds");
    for (id, f) in [(1, 300.0), (2, 500.0), (3, 700.0), (7, 900.0)] {
        song_wav(&clips.join(format!("{id}.wav")), 44_100, 1, 2.0, f);
    }
    // A WAV header promising data that is not there, followed by garbage.
    let mut corrupt = b"RIFF\x24\x10\x00\x00WAVEfmt \x10\x00\x00\x00".to_vec();
    corrupt.extend_from_slice(&[0xff; 40]);
    fs::write(clips.join("5.wav"), corrupt).unwrap();
    song_wav(&clips.join("6.wav"), 22_050, 1, 0.2, 400.0);
    root
}

#[test]
fn emomusic_fixture_reports_broken_missing_and_unlabelled_then_resumes() {
    let root = emomusic_fixture();
    let out = tmpdir("emo-cache");
    let args = [
        "--dataset",
        root.to_str().unwrap(),
        "--kind",
        "emomusic",
        "--cache",
        out.to_str().unwrap(),
        "--steps",
        "4",
        "--context-s",
        "2",
    ];
    let err = extract_ok(&args);
    assert!(err.contains("3 songs extracted") && err.contains("2 broken"), "{err}");
    let s = summary(&out.join("_summary.json"));
    assert_eq!((s.songs_usable, s.songs_extracted, s.songs_already_cached), (5, 3, 0));
    assert_eq!(s.missing_audio, vec!["4".to_string()]);
    assert_eq!(s.unlabelled_audio.len(), 1);
    assert!(s.unlabelled_audio[0].ends_with("7.wav"));
    let broken: Vec<(&str, &str)> = s.broken.iter().map(|b| (b.song_id.as_str(), b.message.as_str())).collect();
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert_eq!(broken[0].0, "5");
    // The decoder's own message names the file.
    assert!(broken[0].1.contains("5.wav"), "{broken:?}");
    assert_eq!(broken[1].0, "6");
    assert!(broken[1].1.contains("shorter than one step"), "{broken:?}");
    let table = read(&out, 4);
    assert_eq!(table.songs.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
    assert!(table.songs.iter().all(|s| s.n_steps() == 4));
    // EmoMusic labels 1–9 → [0, 1]: song 1 has arousal 3, valence 7.
    assert!((table.songs[0].arousal - 0.25).abs() < 1e-6 && (table.songs[0].valence - 0.75).abs() < 1e-6);

    // Resume: nothing is rewritten.
    let dir = out.join("T004_w1.0_c2");
    let before = mtimes(&dir);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let err = extract_ok(&args);
    assert!(err.contains("0 songs extracted") && err.contains("3 already cached"), "{err}");
    assert_eq!(mtimes(&dir), before);
    // A lost part is re-extracted, and only that one.
    fs::remove_file(&before[1].0).unwrap();
    extract_ok(&args);
    let s = summary(&out.join("_summary.json"));
    assert_eq!((s.songs_extracted, s.songs_already_cached), (1, 2));
    let after = mtimes(&dir);
    assert_eq!(after.len(), 3);
    assert_eq!(after[0], before[0]);
    assert_eq!(after[2], before[2]);
    // Adding a T computes only the new configuration's parts; the old are kept.
    extract_ok(&[&args[..], &["--steps", "4,8"]].concat());
    assert_eq!(mtimes(&dir), after);
    assert_eq!(read(&out, 8).songs.len(), 3);
}

#[test]
fn shards_partition_and_merge_equals_unsharded() {
    let manifest = manifest_fixture("shards");
    let m = manifest.to_str().unwrap();
    let common =
        ["--dataset", m, "--kind", "manifest", "--scale", "1,5", "--steps", "6", "--context-s", CTX, "--jobs", "1"];
    let whole = tmpdir("shards-whole");
    extract_ok(&[&common[..], &["--cache", whole.to_str().unwrap()]].concat());
    let reference = read(&whole, 6);

    let n = 3;
    let mut shard_dirs = Vec::new();
    let mut seen: Vec<BTreeSet<String>> = Vec::new();
    for k in 0..n {
        let d = tmpdir(&format!("shard-{k}"));
        let shard = format!("{k}/{n}");
        extract_ok(&[&common[..], &["--cache", d.to_str().unwrap(), "--shard", &shard]].concat());
        let s = summary(&d.join(format!("_summary.shard-{k}-of-{n}.json")));
        assert_eq!(s.shard.as_deref(), Some(shard.as_str()));
        let ids: BTreeSet<String> = cache::list_parts(&d.join("T006_w1.0_c3"))
            .unwrap()
            .iter()
            .flat_map(|p| cache::parquet_io::song_ids(p).unwrap())
            .collect();
        assert_eq!(ids.len(), s.songs_extracted);
        seen.push(ids);
        shard_dirs.push(d);
    }
    // Exact partition: disjoint, and together every song.
    let total: usize = seen.iter().map(BTreeSet::len).sum();
    let union: BTreeSet<String> = seen.iter().flatten().cloned().collect();
    assert_eq!(total, MANIFEST_SONGS.len());
    assert_eq!(union, reference.songs.iter().map(|s| s.id.clone()).collect());

    let merged = tmpdir("shards-merged");
    let mut args: Vec<&str> = vec!["cache", "merge"];
    args.extend(shard_dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let (ok, err) = moodtap(&args);
    assert!(ok, "{err}");
    let parts = cache::list_parts(&merged.join("T006_w1.0_c3")).unwrap();
    assert_eq!(parts, vec![merged.join("T006_w1.0_c3").join(cache::MERGED_PART)]);
    let m = read(&merged, 6);
    assert_eq!(m.songs, reference.songs);
    let s = summary(&merged.join("_summary.json"));
    assert_eq!(s.songs_extracted, MANIFEST_SONGS.len());
    assert_eq!(s.shard, None);
    // Shard sources are left alone.
    assert!(!cache::list_parts(&shard_dirs[0].join("T006_w1.0_c3")).unwrap().is_empty() || seen[0].is_empty());

    // In-place merge of the unsharded cache: one file, same table; then
    // resume still knows every song, and a second merge is a no-op.
    let (ok, err) = moodtap(&["cache", "merge", whole.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(cache::list_parts(&whole.join("T006_w1.0_c3")).unwrap().len(), 1);
    assert_eq!(read(&whole, 6).songs, reference.songs);
    let err = extract_ok(&[&common[..], &["--cache", whole.to_str().unwrap()]].concat());
    assert!(err.contains(&format!("{} already cached", MANIFEST_SONGS.len())), "{err}");
    let (ok, err) = moodtap(&["cache", "merge", whole.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(read(&whole, 6).songs, reference.songs);

    // An interrupted merge (merged file in place, an old part left over)
    // reads and re-merges without duplicates.
    let dir = whole.join("T006_w1.0_c3");
    let song = &reference.songs[0];
    let meta = CacheMeta::load(&dir).unwrap();
    let rows = SongSteps {
        id: song.id.clone(),
        valence: song.valence,
        arousal: song.arousal,
        steps: song.steps.clone(),
        times_s: song.times_s.clone(),
        features: song.features.clone(),
    };
    write_part(&dir.join(cache::part_name(&song.id)), &meta, &[rows]).unwrap();
    let t = read(&whole, 6);
    assert_eq!(t.songs, reference.songs);
    assert_eq!(t.duplicate_rows_skipped, song.n_steps());
    let (ok, err) = moodtap(&["cache", "merge", whole.to_str().unwrap()]);
    assert!(ok && err.contains(&format!("{} duplicate rows skipped", song.n_steps())), "{err}");
    assert_eq!(cache::list_parts(&dir).unwrap().len(), 1);
    assert_eq!(read(&whole, 6).songs, reference.songs);
}

#[test]
fn reader_rejects_nan_features_and_foreign_caches() {
    let dir = tmpdir("nan").join("T002_w1.0_c1");
    let meta = CacheMeta::new(2, 1.0, 1.0, "manifest", Path::new("m.csv"), [0.0, 1.0], false);
    meta.create_or_check(&dir).unwrap();
    let mut features = vec![0.5f32; 2 * RAW_STEP_LEN];
    features[RAW_STEP_LEN + 90] = f32::NAN;
    let rows =
        SongSteps { id: "x".into(), valence: 0.5, arousal: 0.5, steps: vec![1, 2], times_s: vec![0.5, 1.0], features };
    write_part(&dir.join(cache::part_name("x")), &meta, &[rows]).unwrap();
    let e = cache::read(&dir, &CacheRequest::default()).unwrap_err().to_string();
    assert!(e.contains("song x, step 2") && e.contains(raw_step_names().nth(90).unwrap()) && e.contains("NaN"), "{e}");
    // Not a cache at all.
    let e = cache::read(&tmpdir("empty"), &CacheRequest::default()).unwrap_err().to_string();
    assert!(e.contains("is not a moodtap feature cache"), "{e}");
    // A file with the right name but another schema.
    fs::write(dir.join(cache::part_name("x")), b"PAR1 not really").unwrap();
    assert!(cache::read(&dir, &CacheRequest::default()).is_err());
}

/// The real EmoMusic sample (`MOODTAP_EMOMUSIC_SAMPLE`, else
/// `../shared/data/emomusic-sample` beside the checkout, else
/// `/work/shared/data/emomusic-sample`).
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
fn real_emomusic_sample_extracts_and_selects() {
    let out = tmpdir("emomusic-sample");
    let err = extract_ok(&[
        "--dataset",
        emomusic_sample().to_str().unwrap(),
        "--kind",
        "emomusic",
        "--cache",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("10 songs extracted") && err.contains("734 labelled songs without audio"), "{err}");
    let s = summary(&out.join("_summary.json"));
    assert_eq!((s.songs_extracted, s.missing_audio.len(), s.broken.len()), (10, 734, 0));
    assert!(s.crosscheck.as_deref().is_some_and(|c| c.contains("744 songs")), "{:?}", s.crosscheck);
    let t = read(&out, 99);
    assert_eq!(t.songs.len(), 10);
    for song in &t.songs {
        assert_eq!(song.n_steps(), 99, "song {}", song.id);
    }
    assert_eq!(t.meta.label_scale, [1.0, 9.0]);

    // select: song-level MIR means → filter + ε-SVR wrapper → _selection.json.
    let out_s = out.to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_moodtap"))
        .args(["select", "--cache", out_s, "--folds", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("r valence") && stdout.contains("chosen ("), "{stdout}");
    let sel = read_selection(&out.join("T099_w1.0_c45").join(cache::SELECTION_FILE)).unwrap();
    assert_eq!(sel.songs, 10);
    assert_eq!(sel.filter.len(), MIR_COUNT);
    assert_eq!(sel.subsets.len(), (1 << MIR_COUNT) - 1);
    assert_eq!(sel.fused_feature_names.len(), 88 + sel.selected.len());
    assert_eq!(sel.subsets[0].rmse_mean, sel.subsets.iter().map(|s| s.rmse_mean).fold(f64::INFINITY, f64::min));
    assert!(sel.chosen_score.rmse_mean.is_finite() && sel.chosen_score.rmse_mean < 0.5);
    // Too few songs for the folds: a clear error, nothing written elsewhere.
    let (ok, err) =
        moodtap(&["select", "--cache", out_s, "--folds", "6", "--out", out.join("x.json").to_str().unwrap()]);
    assert!(!ok && err.contains("too few"), "{err}");
}

#[test]
fn killed_run_keeps_finished_songs_and_resumes() {
    let manifest = manifest_fixture("killed");
    let out = tmpdir("killed-cache");
    let args = [
        "extract",
        "--quiet",
        "--dataset",
        manifest.to_str().unwrap(),
        "--kind",
        "manifest",
        "--scale",
        "1,5",
        "--cache",
        out.to_str().unwrap(),
        "--steps",
        "6,12",
        "--context-s",
        CTX,
        "--jobs",
        "1",
    ];
    let dir = out.join("T006_w1.0_c3");
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_moodtap")).args(args).stderr(std::process::Stdio::null()).spawn().unwrap();
    // Kill it (SIGKILL: no cleanup runs) as soon as the first song is written.
    let t0 = std::time::Instant::now();
    while cache::list_parts(&dir).map(|p| p.is_empty()).unwrap_or(true) && t0.elapsed().as_secs() < 60 {
        assert!(child.try_wait().unwrap().is_none(), "extract exited before writing anything");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let survivors = cache::list_parts(&dir).unwrap().len();
    assert!(survivors >= 1);
    eprintln!("killed after {survivors} of {} songs", MANIFEST_SONGS.len());
    // Whatever was written is complete and readable (temp files are hidden).
    if survivors < MANIFEST_SONGS.len() {
        let t = cache::read(&dir, &CacheRequest::default()).unwrap();
        assert_eq!(t.songs.len(), survivors);
    }
    // The re-run finishes the job and leaves the finished parts alone.
    let before = mtimes(&dir);
    let (ok, err) = moodtap(&args);
    assert!(ok, "{err}");
    let after = mtimes(&dir);
    assert_eq!(after.len(), MANIFEST_SONGS.len());
    assert!(before.iter().all(|b| after.contains(b)), "a finished part was rewritten");
    // A third run with --merge has nothing to extract and merges.
    let (ok, err) = moodtap(&[&args[..], &["--merge"]].concat());
    assert!(ok, "{err}");
    let s = summary(&out.join("_summary.json"));
    assert_eq!((s.songs_extracted, s.songs_already_cached), (0, MANIFEST_SONGS.len()));
    // The killed writer's temp file (if it died mid-write) is hidden from
    // readers and removed once stale (here: at any age).
    for t in [6, 12] {
        let d = out.join(format!("T{t:03}_w1.0_c3"));
        cache::remove_stale_temps(&d, std::time::Duration::ZERO);
        assert!(fs::read_dir(&d).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().ends_with(".tmp")));
    }
    for t in [6, 12] {
        assert_eq!(read(&out, t).songs.len(), MANIFEST_SONGS.len());
        // --merge left one file per configuration.
        assert_eq!(cache::list_parts(&out.join(format!("T{t:03}_w1.0_c3"))).unwrap().len(), 1);
    }
}

/// `eval --over-time`: the default model over every step of three 20 s EmoMusic-layout
/// clips against 2 Hz dynamic labels (15–20 s, as the datasets write them), and the
/// refusals: a cache whose dataset has no dynamic labels, and a wrong `--dataset`.
#[test]
fn eval_over_time_scores_every_step_against_dynamic_labels() {
    let root = tmpdir("emo-dyn");
    fs::create_dir_all(root.join("annotations")).unwrap();
    let mut statics = String::from("song_id,mean_arousal,std_arousal,mean_valence,std_valence\n");
    let times: Vec<u32> = (0..=10).map(|k| 15_000 + 500 * k).collect();
    let header: String = times.iter().map(|ms| format!(",sample_{ms}ms")).collect();
    let (mut dv, mut da) = (format!("song_id{header}\n"), format!("song_id{header}\n"));
    for id in 1..=4 {
        statics.push_str(&format!("{id},{},1,{},1\n", 2 + id, 8 - id));
        let ramp = |k: usize, up: bool| (if up { -0.5 + 0.1 * k as f64 } else { 0.5 - 0.1 * k as f64 }).to_string();
        dv.push_str(&format!(
            "{id},{}\n",
            (0..times.len()).map(|k| ramp(k, id % 2 == 0)).collect::<Vec<_>>().join(",")
        ));
        da.push_str(&format!(
            "{id},{}\n",
            (0..times.len()).map(|k| ramp(k, id % 2 == 1)).collect::<Vec<_>>().join(",")
        ));
    }
    fs::write(root.join("annotations/static_annotations.csv"), statics).unwrap();
    fs::write(root.join("annotations/valence_cont_average.csv"), dv).unwrap();
    fs::write(root.join("annotations/arousal_cont_average.csv"), da).unwrap();
    for (id, f) in [(1, 220.0), (2, 440.0), (3, 660.0)] {
        song_wav(&root.join(format!("clips_45seconds/{id}.wav")), 44_100, 2, 20.0, f);
    }
    let cache = tmpdir("emo-dyn-cache");
    // The default model's step configuration: T = 299 over 45 s, 1 s windows.
    let mut args = vec!["--dataset", root.to_str().unwrap(), "--kind", "emomusic", "--cache", cache.to_str().unwrap()];
    args.extend(["--steps", "299", "--context-s", "45"]);
    let err = extract_ok(&args);
    assert!(err.contains("3 songs extracted"), "{err}");
    // The static/dynamic cross-check read the ramps (their means), so the layout is the datasets'.
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/default.moodtap");
    let report = tmpdir("emo-dyn-report").join("over_time.md");
    let run = |extra: &[&str]| {
        let mut a = vec!["eval", "--over-time", "--model", model.to_str().unwrap(), "--cache", cache.to_str().unwrap()];
        a.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_moodtap")).args(&a).output().unwrap()
    };
    let out = run(&["--out", report.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 11 label times per song, all inside the 20 s clips (last step at 19.9 s + one hop).
    assert!(stdout.contains("3 songs, 33 labelled time points"), "{stdout}");
    // Both readings, both dimensions.
    let row_of = |text: &str, reading: &str, dim: &str| -> String {
        let start = format!("| {reading} | {dim} |");
        text.lines().find(|l| l.starts_with(&start)).unwrap_or_else(|| panic!("no {start} in {text}")).to_string()
    };
    for reading in ["long", "now"] {
        for dim in ["valence", "arousal"] {
            let row = row_of(&stdout, reading, dim);
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let rmse: f64 = cells[3].parse().unwrap();
            assert!(rmse.is_finite() && rmse > 0.0 && rmse < 1.0, "{row}");
            assert!(cells[6].contains(" s"), "a best lag: {row}");
        }
    }
    assert_ne!(row_of(&stdout, "long", "arousal")[9..], row_of(&stdout, "now", "arousal")[8..]);
    assert_eq!(fs::read_to_string(&report).unwrap().trim(), stdout.trim());

    // The dataset moved: a clear error naming the file; --dataset fixes it.
    let elsewhere = tmpdir("emo-dyn-moved");
    let out = run(&["--dataset", elsewhere.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("valence_cont_average.csv") && err.contains("--dataset"), "{err}");
    assert!(run(&["--dataset", root.to_str().unwrap()]).status.success());
    // One PNG per scored song.
    let plots = tmpdir("emo-dyn-plots").join("sub");
    assert!(run(&["--plot", plots.to_str().unwrap()]).status.success());
    for id in 1..=3 {
        let png = fs::read(plots.join(format!("{id}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "song {id}: {} bytes", png.len());
    }
    // A short-context reading of the same network, and a K beyond the model's T.
    let out = run(&["--context-steps", "40"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("only the last 40 of its 299 steps"), "{text}");
    assert_ne!(row_of(&text, "long", "arousal"), row_of(&stdout, "long", "arousal"));
    assert_eq!(
        row_of(&text, "now", "arousal"),
        row_of(&stdout, "now", "arousal"),
        "--context-steps is the long reading's"
    );
    let out = run(&["--context-steps", "300"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("1..299"));
    // With class scoring: refused by the parser.
    assert!(!run(&["--classes"]).status.success());

    // A manifest without a time_s column has no per-time labels.
    let manifest = root.join("manifest.csv");
    fs::write(&manifest, "path,valence,arousal\nclips_45seconds/1.wav,0.2,0.8\n").unwrap();
    let mcache = tmpdir("emo-dyn-mcache");
    extract_ok(&[
        "--dataset",
        manifest.to_str().unwrap(),
        "--kind",
        "manifest",
        "--cache",
        mcache.to_str().unwrap(),
        "--steps",
        "299",
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap"))
        .args(["eval", "--over-time", "--model", model.to_str().unwrap(), "--cache", mcache.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("path,time_s,valence,arousal"), "{err}");
}
