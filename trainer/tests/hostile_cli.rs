//! The CLI under hostile input: every case here failed before (data lost,
//! nonsense accepted, a hang, a crash-like message) and must now end with a
//! clear message or a documented safe result.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("moodtap-hostile-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A 16-bit mono WAV: a tone with a 2 Hz pulse.
fn tone_wav(path: &Path, rate: u32, secs: f64, f: f64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec =
        hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(rate as f64 * secs) as usize {
        let t = i as f64 / rate as f64;
        let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 2.0 * t).sin();
        w.write_sample((0.4 * env * (2.0 * std::f64::consts::PI * f * t).sin() * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Runs `moodtap` with `RUST_BACKTRACE=1` (a user error must still be one
/// clear message); returns (success, stdout, stderr).
fn moodtap(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap")).args(args).env("RUST_BACKTRACE", "1").output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn fails_with(args: &[&str], needle: &str) -> String {
    let (ok, _, err) = moodtap(args);
    assert!(!ok, "moodtap {args:?} should fail");
    assert!(err.contains(needle), "moodtap {args:?}: expected '{needle}' in:\n{err}");
    assert!(!err.to_lowercase().contains("backtrace"), "a user error printed a stack trace:\n{err}");
    err
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `moodtap extract` of a manifest into `cache` with the small fixture timing
/// (3 s context, T = 6); `extra` arguments appended.
fn extract(manifest: &Path, cache: &Path, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec!["extract", "--quiet", "--dataset", p(manifest), "--kind", "manifest", "--cache", p(cache)];
    args.extend_from_slice(&["--context-s", "3", "--steps", "6"]);
    args.extend_from_slice(extra);
    moodtap(&args)
}

#[test]
fn a_failed_analyze_keeps_the_previous_output() {
    let d = tmpdir("keep");
    let ok = d.join("ok.wav");
    tone_wav(&ok, 22_050, 3.0, 440.0);
    let bad = d.join("not-audio.wav");
    fs::write(&bad, b"this is not a wav file at all").unwrap();
    let csv = d.join("r.csv");
    let (success, _, err) = moodtap(&["analyze", "--quiet", p(&ok), "--out", p(&csv)]);
    assert!(success, "{err}");
    let before = fs::read_to_string(&csv).unwrap();
    assert!(before.lines().count() > 5);
    fails_with(&["analyze", "--quiet", p(&bad), "--out", p(&csv)], "not-audio.wav");
    assert_eq!(fs::read_to_string(&csv).unwrap(), before, "a failed run must not touch the previous CSV");
    let leftovers: Vec<_> =
        fs::read_dir(&d).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains("partial")).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let d = tmpdir("same");
    let v = d.join("v.wav");
    tone_wav(&v, 22_050, 2.0, 330.0);
    let audio = fs::read(&v).unwrap();
    fails_with(&["analyze", "--quiet", p(&v), "--out", p(&v)], "is also an input");
    let other_spelling = d.join(".").join("v.wav");
    fails_with(&["analyze", "--quiet", p(&v), "--plot", p(&other_spelling)], "is also an input");
    fails_with(&["features", p(&v), "--out", p(&v)], "is also an input");
    assert_eq!(fs::read(&v).unwrap(), audio, "the input audio must be untouched");
}

#[test]
fn output_locations_are_checked_before_any_work_and_nothing_is_half_written() {
    let d = tmpdir("locations");
    let a = d.join("a.wav");
    let b = d.join("b.wav");
    tone_wav(&a, 22_050, 2.0, 220.0);
    tone_wav(&b, 22_050, 2.0, 440.0);
    let csv = d.join("all.csv");
    let missing = d.join("no-such-dir").join("plot.png");
    let started = Instant::now();
    fails_with(&["analyze", "--quiet", p(&a), p(&b), "--out", p(&csv), "--plot", p(&missing)], "create the directory");
    assert!(!csv.exists(), "refused before work: no CSV");
    assert!(started.elapsed() < Duration::from_secs(20));
    // train --out into a missing directory: refused before reading anything.
    fails_with(&["train", "--cache", p(&d), "--out", p(&d.join("nowhere").join("m.moodtap"))], "create the directory");
}

#[test]
fn analyze_in_parallel_keeps_order_and_writes_a_summary() {
    let d = tmpdir("jobs");
    let files: Vec<PathBuf> = (0..4).map(|k| d.join(format!("f{k}.wav"))).collect();
    for (k, f) in files.iter().enumerate() {
        tone_wav(f, 22_050, 2.0 + k as f64 * 0.5, 220.0 * (k + 1) as f64);
    }
    let serial = d.join("serial.csv");
    let parallel = d.join("parallel.csv");
    let summary = d.join("summary.csv");
    let mut args: Vec<&str> = vec!["analyze", "--quiet"];
    args.extend(files.iter().map(|f| p(f)));
    let run = |extra: &[&str]| {
        let mut a = args.clone();
        a.extend_from_slice(extra);
        let (ok, _, err) = moodtap(&a);
        assert!(ok, "{err}");
        err
    };
    run(&["--out", p(&serial)]);
    let err = run(&["--out", p(&parallel), "--jobs", "100000", "--summary", p(&summary)]);
    assert!(err.contains("--jobs 100000: using"), "the cap is announced: {err}");
    assert_eq!(fs::read_to_string(&serial).unwrap(), fs::read_to_string(&parallel).unwrap());
    let s = fs::read_to_string(&summary).unwrap();
    let rows: Vec<&str> = s.lines().collect();
    assert_eq!(rows.len(), 5, "{s}");
    assert!(rows[0].starts_with("file,duration_s,steps,full_steps,valence_mean,valence_q25"));
    for (row, f) in rows[1..].iter().zip(&files) {
        assert!(row.starts_with(p(f)), "{row}");
        assert_eq!(row.split(',').count(), 12, "{row}");
    }
}

#[test]
fn numbers_out_of_range_get_a_message_saying_what_is_allowed() {
    let d = tmpdir("numbers");
    let m = d.join("manifest.csv");
    fs::write(&m, "path,valence,arousal\n").unwrap();
    let base = ["extract", "--dataset", p(&m), "--kind", "manifest", "--cache", p(&d)];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    let with = |extra: &[&'static str]| with(&base, extra);
    fails_with(&with(&["--jobs", "-1"]), "positive number of threads");
    fails_with(&with(&["--window-s", "1e-9"]), "between 0.1");
    fails_with(&with(&["--context-s", "1e308"]), "between 1");
    fails_with(&["train", "--cache", p(&d), "--batch-size", "0"], "at least 1");
    fails_with(&["train", "--cache", p(&d), "--lr", "0"], "greater than 0");
    fails_with(&["train", "--cache", p(&d), "--lr", "-1"], "greater than 0");
    fails_with(&["train", "--cache", p(&d), "--split", "-1,1,1"], "--split");
    fails_with(&["train", "--cache", p(&d), "--seed", "-1"], "a seed is a whole number from 0");
    fails_with(&["train", "--cache", p(&d), "--split-seed", "-1"], "a seed is a whole number from 0");
    fails_with(&["corpus", "--out", p(&d), "--seed", "-5"], "a seed is a whole number from 0");
    fails_with(&["analyze", "x.wav", "--jobs", "-3"], "positive number of threads");
}

#[test]
fn a_manifest_directory_or_duplicate_rows_are_explained() {
    let d = tmpdir("manifest");
    tone_wav(&d.join("audio/x.wav"), 22_050, 2.0, 220.0);
    tone_wav(&d.join("audio/y.wav"), 22_050, 2.0, 440.0);
    let cache = d.join("cache");
    let into_cache = |manifest: &Path| extract(manifest, &cache, &[]);
    fails_with(&["extract", "--dataset", p(&d), "--kind", "manifest", "--cache", p(&cache)], "not its directory");

    // The same file twice under two spellings with different labels: refused.
    let conflicting = d.join("conflicting.csv");
    fs::write(&conflicting, "path,valence,arousal\naudio/x.wav,0.2,0.8\n./audio/x.wav,0.9,0.1\naudio/y.wav,0.5,0.5\n")
        .unwrap();
    let (ok, _, err) = into_cache(&conflicting);
    assert!(!ok && err.contains("line 3 and line 2") && err.contains("different labels"), "{err}");

    // With the same labels: merged, and said.
    let same = d.join("same.csv");
    fs::write(&same, "path,valence,arousal\naudio/x.wav,0.2,0.8\n./audio/x.wav,0.2,0.8\naudio/y.wav,0.5,0.5\n")
        .unwrap();
    let (ok, _, err) = into_cache(&same);
    assert!(ok, "{err}");
    let (ok, out, err) = moodtap(&["cache", "info", p(&cache)]);
    assert!(ok, "{err}");
    assert!(out.contains("2 songs"), "one recording is one song: {out}");
}

#[test]
fn merging_caches_that_disagree_about_a_label_names_the_song() {
    let d = tmpdir("merge");
    tone_wav(&d.join("audio/x.wav"), 22_050, 2.0, 220.0);
    tone_wav(&d.join("audio/y.wav"), 22_050, 2.0, 440.0);
    let one = d.join("one.csv");
    let two = d.join("two.csv");
    fs::write(&one, "path,valence,arousal\naudio/x.wav,0.2,0.8\naudio/y.wav,0.5,0.5\n").unwrap();
    fs::write(&two, "path,valence,arousal\naudio/x.wav,0.7,0.3\n").unwrap();
    for (m, c) in [(&one, "c1"), (&two, "c2")] {
        let (ok, _, err) = extract(m, &d.join(c), &[]);
        assert!(ok, "{err}");
    }
    let out = d.join("merged");
    let err = fails_with(&["cache", "merge", p(&d.join("c1")), p(&d.join("c2")), "--out", p(&out)], "--prefer");
    assert!(err.contains("1 songs have different labels") && err.contains("x (V 0.2"), "{err}");
    let (ok, _, err) =
        moodtap(&["cache", "merge", p(&d.join("c1")), p(&d.join("c2")), "--out", p(&out), "--prefer", "last"]);
    assert!(ok, "{err}");
    assert!(err.contains("labels differed") && err.contains("x (V 0.2"), "resolved songs are listed: {err}");
}

#[test]
fn a_single_test_song_has_an_undefined_r2_and_too_few_songs_suggest_split() {
    let d = tmpdir("r2");
    let mut manifest = String::from("path,valence,arousal\n");
    for k in 0..4 {
        tone_wav(&d.join(format!("audio/s{k}.wav")), 22_050, 3.0, 200.0 + 150.0 * k as f64);
        manifest.push_str(&format!("audio/s{k}.wav,{},{}\n", 0.2 + 0.2 * k as f64, 0.8 - 0.15 * k as f64));
    }
    let m = d.join("m.csv");
    fs::write(&m, manifest).unwrap();
    let cache = d.join("cache");
    let (ok, _, err) = extract(&m, &cache, &[]);
    assert!(ok, "{err}");
    let (ok, _, err) = moodtap(&[
        "train",
        "--quiet",
        "--cache",
        p(&cache),
        "--model",
        "svr",
        "--split",
        "0.5,0.25,0.25",
        "--out",
        p(&d.join("svr.json")),
        "--selection",
        "all",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("R² arousal undefined valence undefined"), "{err}");
    fails_with(
        &[
            "train",
            "--cache",
            p(&cache),
            "--model",
            "svr",
            "--split",
            "0.3,0.3,0.4",
            "--out",
            p(&d.join("svr2.json")),
            "--selection",
            "all",
        ],
        "--split",
    );
}

/// ffmpeg (Debian's, installed by scripts/setup-deps.sh) converts `wav` to `out`.
fn ffmpeg(wav: &Path, out: &Path, codec: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i", p(wav)])
        .args(codec)
        .arg(p(out))
        .status()
        .expect("ffmpeg (apt install ffmpeg) is needed for the codec tests");
    assert!(status.success());
}

#[test]
fn opus_is_decoded_and_a_truncated_mp3_is_reported() {
    let d = tmpdir("codecs");
    let wav = d.join("tone.wav");
    tone_wav(&wav, 48_000, 6.0, 330.0);
    let opus = d.join("tone.opus");
    ffmpeg(&wav, &opus, &["-c:a", "libopus", "-b:a", "96k"]);
    let (ok, out, err) = moodtap(&["analyze", "--quiet", p(&opus)]);
    assert!(ok, "{err}");
    assert!(out.lines().count() > 20, "{out}");
    assert!(err.contains("48000 Hz"), "{err}");

    let mp3 = d.join("tone.mp3");
    ffmpeg(&wav, &mp3, &["-c:a", "libmp3lame", "-b:a", "128k"]);
    let bytes = fs::read(&mp3).unwrap();
    let cut = d.join("cut.mp3");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, _, err) = moodtap(&["analyze", "--quiet", p(&cut)]);
    assert!(ok, "{err}");
    assert!(err.contains("file truncated"), "a cut MP3 gets the note WAV/OGG get: {err}");
    let (ok, _, err) = moodtap(&["analyze", "--quiet", p(&mp3)]);
    assert!(ok && !err.contains("truncated"), "{err}");
}

#[test]
fn huge_float_samples_are_clipped_with_a_note_and_tiny_files_get_one() {
    let d = tmpdir("extreme");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    for (name, scale) in [("e18.wav", 1e18f32), ("e30.wav", 1e30)] {
        let path = d.join(name);
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..22_050 * 2 {
            w.write_sample(scale * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22_050.0).sin()).unwrap();
        }
        w.finalize().unwrap();
        let (ok, out, err) = moodtap(&["features", p(&path)]);
        assert!(ok, "{err}");
        let values: Vec<f64> = out.lines().nth(1).unwrap().split(',').map(|v| v.parse().unwrap()).collect();
        assert!(values.iter().all(|v| v.is_finite()), "{name}: {out}");
        assert!(values.iter().any(|&v| v != 0.0), "{name}: clipped audio is not silence");
        assert!(err.contains("clipped"), "{name}: {err}");
    }
    let one = d.join("one.wav");
    let mut w = hound::WavWriter::create(&one, spec).unwrap();
    w.write_sample(0.5f32).unwrap();
    w.finalize().unwrap();
    let (ok, _, err) = moodtap(&["features", p(&one)]);
    assert!(ok, "{err}");
    assert!(err.contains("shorter than one 60 ms analysis frame"), "{err}");
}

/// `features` streams: a 10-minute file costs no more memory than a short
/// one (it used to hold every sample: 938 MB for 60 minutes of stereo).
#[test]
fn features_memory_does_not_grow_with_the_file() {
    let d = tmpdir("stream");
    let peak_kb = |path: &Path| {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(env!("CARGO_BIN_EXE_moodtap"))
            .args(["features", p(path), "--out", p(&d.join("f.csv"))])
            .output()
            .expect("GNU time");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        err.lines().last().unwrap().trim().parse::<u64>().unwrap()
    };
    let short = d.join("short.wav");
    let long = d.join("long.wav");
    tone_wav(&short, 44_100, 10.0, 220.0);
    tone_wav(&long, 44_100, 600.0, 220.0);
    let (a, b) = (peak_kb(&short), peak_kb(&long));
    eprintln!("features peak RSS: 10 s {a} kB, 600 s {b} kB");
    // 600 s of mono f32 alone would be 106 MB, and its resampled copy 53 MB more.
    assert!(b < a + 60_000, "peak RSS grew from {a} kB to {b} kB");
}

#[test]
fn extract_jobs_are_capped_and_said() {
    let d = tmpdir("extract-jobs");
    let mut manifest = String::from("path,valence,arousal\n");
    for k in 0..3 {
        tone_wav(&d.join(format!("audio/s{k}.wav")), 22_050, 2.0, 300.0 + 100.0 * k as f64);
        manifest.push_str(&format!("audio/s{k}.wav,0.{k},0.5\n"));
    }
    let m = d.join("m.csv");
    fs::write(&m, manifest).unwrap();
    let started = Instant::now();
    let (ok, _, err) = extract(&m, &d.join("c"), &["--jobs", "100000"]);
    assert!(ok, "{err}");
    assert!(err.contains("--jobs 100000: using"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
}
