//! `moodtap corpus`: determinism, realisation of each cue in the rendered
//! audio (measured here with simple, independent signal analysis), and
//! argument errors.
//!
//! Needs the General MIDI SoundFont of the Debian package
//! `timgm6mb-soundfont` (or `MOODTAP_SOUNDFONT` pointing to an SF2); the
//! tests fail with that message when it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use moodtap_core::stats::pearson;
use moodtap_trainer::corpus::cues::{Dynamics, Family, Mode};
use moodtap_trainer::corpus::{self, render_excerpt, CorpusConfig, Cues, Renderer};

const SR: f64 = 22_050.0;

fn soundfont() -> PathBuf {
    let p = std::env::var_os("MOODTAP_SOUNDFONT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(corpus::DEFAULT_SOUNDFONT));
    assert!(
        p.is_file(),
        "SoundFont {} missing: apt-get install timgm6mb-soundfont (or set MOODTAP_SOUNDFONT)",
        p.display()
    );
    p
}

fn renderer() -> Renderer {
    Renderer::new(&soundfont()).expect("SoundFont loads")
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Renders `cues` for several seeds and averages `measure` over them, so a
/// single unlucky melody cannot decide a test.
fn mean_over_seeds(r: &Renderer, cues: &Cues, secs: f64, measure: impl Fn(&[f32]) -> f64) -> f64 {
    let seeds = [11u64, 12, 13];
    seeds
        .iter()
        .map(|&s| {
            let (_, out) = render_excerpt(r, cues, s, 0, secs).expect("renders");
            measure(&out.samples)
        })
        .sum::<f64>()
        / seeds.len() as f64
}

fn rms_db(x: &[f32]) -> f64 {
    let p = x.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64;
    10.0 * p.max(1e-20).log10()
}

/// Magnitude spectrogram: 2048-sample Hann frames, hop 512 (93 ms / 23 ms).
fn spectrogram(x: &[f32]) -> Vec<Vec<f64>> {
    stft(x, 2048, 512)
}

/// Magnitude STFT with Hann frames of `n` samples every `hop`.
fn stft(x: &[f32], n: usize, hop: usize) -> Vec<Vec<f64>> {
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let win: Vec<f64> = (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()).collect();
    let mut frames = Vec::new();
    let mut start = 0;
    while start + n <= x.len() {
        let mut buf: Vec<f64> = (0..n).map(|i| x[start + i] as f64 * win[i]).collect();
        let mut spec = fft.make_output_vec();
        fft.process(&mut buf, &mut spec).expect("fft");
        frames.push(spec.iter().map(|c| c.norm()).collect());
        start += hop;
    }
    frames
}

fn bin_hz(k: usize) -> f64 {
    k as f64 * SR / 2048.0
}

/// Onsets per second: log-magnitude spectral flux (1024-sample frames,
/// hop 256 = 11.6 ms), normalised to its maximum; an onset is a local
/// maximum over ±4 frames (±46 ms) exceeding the mean over ±10 frames by
/// 0.07 (the peak-picking rule of librosa's `onset_detect`, whose counts on
/// these excerpts it matches within ~10 %).
fn onset_rate(x: &[f32]) -> f64 {
    let s = stft(x, 1024, 256);
    let flux: Vec<f64> = s
        .windows(2)
        .map(|w| w[1].iter().zip(&w[0]).map(|(b, a)| ((1.0 + 100.0 * b).ln() - (1.0 + 100.0 * a).ln()).max(0.0)).sum())
        .collect();
    let max = flux.iter().cloned().fold(1e-20, f64::max);
    let f: Vec<f64> = flux.iter().map(|v| v / max).collect();
    let mut n = 0;
    for i in 0..f.len() {
        let local = &f[i.saturating_sub(4)..(i + 5).min(f.len())];
        let around = &f[i.saturating_sub(10)..(i + 11).min(f.len())];
        let mean = around.iter().sum::<f64>() / around.len() as f64;
        if local.iter().all(|&v| v <= f[i]) && f[i] > mean + 0.07 {
            n += 1;
        }
    }
    n as f64 / (x.len() as f64 / SR)
}

/// Energy-weighted spectral centroid, Hz.
fn centroid(x: &[f32]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for f in spectrogram(x) {
        for (k, m) in f.iter().enumerate() {
            let p = m * m;
            num += p * bin_hz(k);
            den += p;
        }
    }
    num / den.max(1e-20)
}

/// Energy-weighted mean log2 frequency of 60–3000 Hz (pitch height proxy).
fn mean_log_freq(x: &[f32]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for f in spectrogram(x) {
        for (k, m) in f.iter().enumerate() {
            let hz = bin_hz(k);
            if (60.0..3000.0).contains(&hz) {
                let p = m * m;
                num += p * hz.log2();
                den += p;
            }
        }
    }
    num / den.max(1e-20)
}

/// 12-bin chroma (C = 0) of spectral energy between 80 and 2000 Hz.
fn chroma(x: &[f32]) -> [f64; 12] {
    let mut c = [0.0; 12];
    for f in spectrogram(x) {
        for (k, m) in f.iter().enumerate() {
            let hz = bin_hz(k);
            if (80.0..2000.0).contains(&hz) {
                let midi = 69.0 + 12.0 * (hz / 440.0).log2();
                c[(midi.round() as i64).rem_euclid(12) as usize] += m * m;
            }
        }
    }
    c
}

/// Krumhansl–Kessler major-minus-minor key-profile correlation at tonic C.
fn mode_strength(x: &[f32]) -> f64 {
    const MAJOR: [f64; 12] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
    const MINOR: [f64; 12] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
    let c = chroma(x);
    pearson(&c, &MAJOR).unwrap_or(0.0) - pearson(&c, &MINOR).unwrap_or(0.0)
}

fn base() -> Cues {
    Cues { key_pc: 0, melody: Family::Piano, accompaniment: Family::Piano, ..Cues::neutral() }
}

#[test]
fn rendered_level_follows_the_loudness_cue() {
    let r = renderer();
    let mut c = base();
    let mut levels = Vec::new();
    for loud in [0.1, 0.5, 0.9] {
        c.loudness = loud;
        levels.push(mean_over_seeds(&r, &c, 8.0, rms_db));
    }
    eprintln!("loudness 0.1/0.5/0.9 -> RMS dB {levels:?}");
    assert!(levels[0] < levels[1] && levels[1] < levels[2], "{levels:?}");
    // The cue spans 27 dB (LEVEL_DB_RANGE); 0.1→0.9 is 21.6 dB of target
    // level. Plain RMS follows within 2 dB (velocity changes the score's
    // density of loud notes slightly, which moves plain RMS relative to
    // active level). Measured: 21.65 dB.
    let (lo, hi) = moodtap_trainer::corpus::cues::LEVEL_DB_RANGE;
    let want = 0.8 * (hi - lo);
    let span = levels[2] - levels[0];
    assert!((span - want).abs() < 2.0, "span {span:.2} dB, want {want:.2}");
}

#[test]
fn onset_rate_rises_with_tempo_and_density() {
    let r = renderer();
    let mut c = base();
    c.articulation = 0.6;
    c.density_npb = 1.0;
    let mut by_tempo = Vec::new();
    for bpm in [60.0, 100.0, 160.0] {
        c.tempo_bpm = bpm;
        by_tempo.push(mean_over_seeds(&r, &c, 8.0, onset_rate));
    }
    eprintln!("tempo 60/100/160 -> onsets/s {by_tempo:?}");
    assert!(by_tempo[0] < by_tempo[1] && by_tempo[1] < by_tempo[2], "tempo: {by_tempo:?}");
    assert!(by_tempo[2] > 1.8 * by_tempo[0], "tempo ×2.7 should at least ×1.8 onsets: {by_tempo:?}");

    c.tempo_bpm = 80.0;
    let mut by_density = Vec::new();
    for d in [0.5, 1.5, 4.0] {
        c.density_npb = d;
        by_density.push(mean_over_seeds(&r, &c, 8.0, onset_rate));
    }
    eprintln!("density 0.5/1.5/4 -> onsets/s {by_density:?}");
    assert!(by_density[0] < by_density[1] && by_density[1] < by_density[2], "density: {by_density:?}");
}

#[test]
fn brightness_cue_raises_the_spectral_centroid() {
    let r = renderer();
    let mut c = base();
    let mut cent = Vec::new();
    for b in [0.0, 0.5, 1.0] {
        c.brightness = b;
        cent.push(mean_over_seeds(&r, &c, 6.0, centroid));
    }
    eprintln!("brightness 0/0.5/1 -> centroid Hz {cent:?}");
    assert!(cent[0] < cent[1] && cent[1] < cent[2], "{cent:?}");
    assert!(cent[2] > 1.5 * cent[0], "{cent:?}");
    // Instrument families: the family brightness table ranks brass far
    // above organ; the rendered mix must agree.
    c.brightness = 0.5;
    c.melody = Family::Organ;
    c.accompaniment = Family::Organ;
    let organ = mean_over_seeds(&r, &c, 6.0, centroid);
    c.melody = Family::Brass;
    c.accompaniment = Family::Brass;
    let brass = mean_over_seeds(&r, &c, 6.0, centroid);
    eprintln!("centroid organ {organ:.0} Hz, brass {brass:.0} Hz");
    assert!(brass > 1.3 * organ, "brass {brass:.0} Hz vs organ {organ:.0} Hz");
}

#[test]
fn register_cue_raises_pitch_height() {
    let r = renderer();
    let mut c = base();
    c.brightness = 1.0;
    let mut h = Vec::new();
    for reg in [0.0, 0.5, 1.0] {
        c.register = reg;
        h.push(mean_over_seeds(&r, &c, 6.0, mean_log_freq));
    }
    // Melody centre moves 16 semitones per step; the energy-weighted
    // log-frequency (bass included) must move by at least a third of an
    // octave per step.
    eprintln!("register 0/0.5/1 -> mean log2 Hz {h:?}");
    assert!(h[1] - h[0] > 0.33 && h[2] - h[1] > 0.33, "{h:?}");
}

#[test]
fn mode_cue_is_audible_in_the_chroma() {
    let r = renderer();
    let mut c = base();
    c.dissonance = 0.0;
    c.mode = Mode::Major;
    let major = mean_over_seeds(&r, &c, 8.0, mode_strength);
    c.mode = Mode::Minor;
    let minor = mean_over_seeds(&r, &c, 8.0, mode_strength);
    eprintln!("KK major-minus-minor: major {major:.3}, minor {minor:.3}");
    assert!(major > 0.0 && minor < 0.0, "major {major:.3}, minor {minor:.3}");
}

#[test]
fn dissonance_and_atonality_flatten_the_chroma() {
    // Clash tones and twelve-tone rows spread energy over more pitch
    // classes: normalised chroma entropy rises.
    let entropy = |x: &[f32]| {
        let c = chroma(x);
        let s: f64 = c.iter().sum();
        -c.iter().map(|v| v / s).filter(|p| *p > 0.0).map(|p| p * p.ln()).sum::<f64>() / 12f64.ln()
    };
    let r = renderer();
    let mut c = base();
    c.dissonance = 0.0;
    let consonant = mean_over_seeds(&r, &c, 8.0, entropy);
    c.dissonance = 1.0;
    let dissonant = mean_over_seeds(&r, &c, 8.0, entropy);
    c.dissonance = 0.0;
    c.mode = Mode::Atonal;
    let atonal = mean_over_seeds(&r, &c, 8.0, entropy);
    eprintln!("chroma entropy: consonant {consonant:.3}, dissonant {dissonant:.3}, atonal {atonal:.3}");
    assert!(dissonant > consonant && atonal > consonant, "{consonant:.3} {dissonant:.3} {atonal:.3}");
}

#[test]
fn dynamics_cue_shapes_the_level_over_time() {
    let r = renderer();
    let mut c = base();
    c.density_npb = 2.0;
    let thirds = |x: &[f32]| {
        // Exclude the final 0.8 s (tail and fade-out).
        let n = x.len() - (0.8 * SR) as usize;
        rms_db(&x[2 * n / 3..n]) - rms_db(&x[..n / 3])
    };
    c.dynamics = Dynamics::Crescendo;
    let cresc = mean_over_seeds(&r, &c, 9.0, thirds);
    c.dynamics = Dynamics::Diminuendo;
    let dim = mean_over_seeds(&r, &c, 9.0, thirds);
    c.dynamics = Dynamics::Flat;
    let flat = mean_over_seeds(&r, &c, 9.0, thirds);
    eprintln!("last-minus-first third: cresc {cresc:.1} dB, dim {dim:.1} dB, flat {flat:.1} dB");
    assert!(cresc > 6.0 && dim < -6.0 && flat.abs() < 4.0, "cresc {cresc:.1} dB, dim {dim:.1} dB, flat {flat:.1} dB");
}

#[test]
fn staccato_leaves_gaps_legato_does_not() {
    // Share of 20 ms frames more than 20 dB below the file's active level.
    let gaps = |x: &[f32]| {
        let frame = 441;
        let db: Vec<f64> = x.chunks_exact(frame).map(rms_db).collect();
        let mut sorted = db.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let loud = sorted[sorted.len() / 4];
        db.iter().filter(|&&d| d < loud - 20.0).count() as f64 / db.len() as f64
    };
    let r = renderer();
    let mut c = base();
    c.melody = Family::Organ;
    c.accompaniment = Family::Organ;
    c.tempo_bpm = 70.0;
    c.density_npb = 1.0;
    c.articulation = 0.0;
    let legato = mean_over_seeds(&r, &c, 8.0, gaps);
    c.articulation = 1.0;
    let staccato = mean_over_seeds(&r, &c, 8.0, gaps);
    eprintln!("gap share: legato {legato:.3}, staccato {staccato:.3}");
    assert!(staccato > legato + 0.1, "legato {legato:.3}, staccato {staccato:.3}");
}

#[test]
fn drums_add_broadband_percussive_energy() {
    // Share of spectral energy above 5 kHz: hi-hat, snare and crash are
    // broadband noise; the pitched parts put little energy there.
    let hf_share = |x: &[f32]| {
        let (mut hi, mut all) = (0.0, 0.0);
        for f in spectrogram(x) {
            for (k, m) in f.iter().enumerate() {
                all += m * m;
                if bin_hz(k) > 5000.0 {
                    hi += m * m;
                }
            }
        }
        hi / all.max(1e-20)
    };
    let r = renderer();
    let mut c = base();
    c.brightness = 1.0;
    c.density_npb = 2.0;
    c.melody = Family::Strings;
    c.accompaniment = Family::Strings;
    c.drums = false;
    let off = mean_over_seeds(&r, &c, 6.0, hf_share);
    c.drums = true;
    let on = mean_over_seeds(&r, &c, 6.0, hf_share);
    eprintln!("HF share: no drums {off:.4}, drums {on:.4}");
    assert!(on > 2.0 * off, "HF share without drums {off:.4}, with {on:.4}");
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).expect("readable")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn output_is_bit_identical_across_runs_and_thread_counts() {
    let r = renderer();
    let run = |name: &str, threads: usize| {
        let out = tmp(name);
        let cfg = CorpusConfig { out: out.clone(), count: 7, seed: 5, duration_s: 3.0, threads, sections: 1 };
        corpus::generate(&cfg, &r, &|| {}).expect("corpus generates");
        read_tree(&out)
    };
    let a = run("det_a", 1);
    let b = run("det_b", 2);
    let c = run("det_c", 1);
    assert_eq!(a.len(), 7 + 2, "7 WAVs, manifest, corpus.json");
    assert!(a == b, "1 vs 2 threads differ");
    assert!(a == c, "two runs with the same arguments differ");
    // Pinned content hash: the corpus behind the default model must not
    // change silently (new crate versions, platform maths, or edits to the
    // generator). After an intentional change, bump LABEL_MODEL_VERSION if
    // labels moved, and update this value from the failure message.
    let mut all = Vec::new();
    for (path, bytes) in &a {
        all.extend_from_slice(path.as_bytes());
        all.extend_from_slice(bytes);
    }
    let hash = corpus::render::fnv1a64(&all);
    assert_eq!(format!("{hash:016x}"), PINNED_CORPUS_HASH, "corpus content changed");
    // A different seed gives a different corpus.
    let out = tmp("det_d");
    corpus::generate(
        &CorpusConfig { out: out.clone(), count: 7, seed: 6, duration_s: 3.0, threads: 2, sections: 1 },
        &r,
        &|| {},
    )
    .expect("generates");
    assert!(read_tree(&out) != a);
    // Manifest shape: header + 7 rows, labels in [0, 1].
    let manifest =
        String::from_utf8(a.iter().find(|(p, _)| p == "manifest.csv").expect("manifest").1.clone()).expect("utf8");
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(lines.len(), 8);
    assert!(lines[0].starts_with("path,valence,arousal,mode,"));
    for l in &lines[1..] {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 3 + corpus::MANIFEST_COLUMNS.len());
        for v in &f[1..3] {
            let v: f64 = v.parse().expect("number");
            assert!((0.0..=1.0).contains(&v));
        }
        let wav = hound::WavReader::open(out.join(f[0])).expect("wav opens");
        let spec = wav.spec();
        assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (1, 22_050, 16));
        assert_eq!(wav.duration(), 3 * 22_050);
    }
}

/// FNV-1a 64 of `count 7, seed 5, duration 3 s` (paths and bytes, sorted),
/// produced on x86_64 Linux (glibc 2.36) with rustysynth 1.3.x and TimGM6mb 1.3-5.
const PINNED_CORPUS_HASH: &str = "f3705cf54b5098b1";

fn moodtap(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap")).args(args).output().expect("binary runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_arguments_give_clear_errors() {
    let sf = soundfont();
    let sf = sf.to_str().expect("utf8 path");
    let dir = tmp("bad_args");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let d = dir.to_str().expect("utf8 path");

    let (ok, err) = moodtap(&["corpus", "--out", d, "--count", "0", "--soundfont", sf]);
    assert!(!ok && err.contains("--count"), "{err}");

    let (ok, err) = moodtap(&["corpus", "--out", d, "--count", "2", "--duration-s", "0.5", "--soundfont", sf]);
    assert!(!ok && err.contains("--duration-s"), "{err}");

    // Output below a regular file cannot be created (works as root too).
    let file = dir.join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    let bad_out = file.join("corpus");
    let (ok, err) =
        moodtap(&["corpus", "--out", bad_out.to_str().expect("utf8"), "--count", "2", "--soundfont", sf, "--quiet"]);
    assert!(!ok && err.contains("cannot write") && err.contains("plain-file"), "{err}");

    let corpus_dir = dir.join("corpus");
    let cd = corpus_dir.to_str().expect("utf8 path");
    let (ok, err) = moodtap(&["corpus", "--out", cd, "--count", "2", "--soundfont", "/nonexistent/x.sf2", "--quiet"]);
    assert!(!ok && err.contains("timgm6mb-soundfont"), "{err}");

    // A file that is not a SoundFont.
    let (ok, err) =
        moodtap(&["corpus", "--out", cd, "--count", "2", "--soundfont", file.to_str().expect("utf8"), "--quiet"]);
    assert!(!ok && err.contains("not a usable SoundFont"), "{err}");

    // A non-empty directory that is not a corpus is not written into.
    let (ok, err) = moodtap(&["corpus", "--out", d, "--count", "2", "--soundfont", sf, "--quiet"]);
    assert!(!ok && err.contains("not empty"), "{err}");
    assert!(!dir.join("manifest.csv").exists());

    // A valid run through the binary; a smaller re-run in the same
    // directory leaves exactly the new corpus.
    let (ok, err) =
        moodtap(&["corpus", "--out", cd, "--count", "3", "--duration-s", "2", "--soundfont", sf, "--quiet"]);
    assert!(ok, "{err}");
    assert!(corpus_dir.join("manifest.csv").is_file() && corpus_dir.join("audio/00002.wav").is_file());
    let (ok, err) =
        moodtap(&["corpus", "--out", cd, "--count", "2", "--duration-s", "2", "--soundfont", sf, "--quiet"]);
    assert!(ok, "{err}");
    assert!(corpus_dir.join("audio/00001.wav").is_file() && !corpus_dir.join("audio/00002.wav").exists());
}

/// `--sections`: pieces whose mood changes. Bit-identical for any thread count;
/// the manifest is a time series (a row every 0.5 s naming the section heard,
/// whose labels are that section's) that the dataset loader reads back with
/// the mean as static label; `sections.csv` lists the sections with their cues;
/// each section's loudness cue is audible in its stretch of the file (RMS
/// level within 3 dB of the section's rendered level, outside the overlaps).
#[test]
fn sectioned_excerpts_change_mood_audibly_and_carry_per_time_labels() {
    use moodtap_trainer::dataset::{self, dynamic, DatasetKind, LoadOptions};
    let r = renderer();
    let run = |name: &str, threads: usize| {
        let out = tmp(name);
        let cfg = CorpusConfig { out: out.clone(), count: 3, seed: 9, duration_s: 12.0, threads, sections: 3 };
        let summary = corpus::generate(&cfg, &r, &|| {}).expect("corpus generates");
        (out, summary)
    };
    let (out, summary) = run("sections_a", 1);
    let (out_b, _) = run("sections_b", 2);
    assert!(read_tree(&out) == read_tree(&out_b), "1 vs 2 threads differ");
    assert_eq!(summary.excerpts.len(), 9, "3 excerpts × 3 sections");

    let manifest = out.join("manifest.csv");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "path,time_s,valence,arousal,section");
    assert_eq!(lines.len(), 1 + 3 * 24, "a row every 0.5 s of 12 s");
    for l in &lines[1..] {
        let f: Vec<&str> = l.split(',').collect();
        let (t, k): (f64, usize) = (f[1].parse().unwrap(), f[4].parse().unwrap());
        let e = summary.excerpts.iter().find(|e| e.rel_path == f[0] && e.section == k).unwrap();
        assert_eq!(k, (((t - 0.25) / 4.0).floor() as usize).min(2));
        assert_eq!(f[2], format!("{:.6}", e.valence));
        assert_eq!(f[3], format!("{:.6}", e.arousal));
    }
    let opts = LoadOptions { swap_va: false, scale: Some((0.0, 1.0)) };
    let d = dataset::load(DatasetKind::Manifest, &manifest, &opts).unwrap();
    assert_eq!(d.songs.len(), 3);
    let series = dynamic::load(DatasetKind::Manifest, &manifest, &opts).unwrap();
    for song in &d.songs {
        let s = &series[&song.id];
        assert_eq!(s.len(), 24);
        let mean = s.arousal.iter().map(|&x| f64::from(x)).sum::<f64>() / 24.0;
        assert!((f64::from(song.arousal) - mean).abs() < 1e-6);
    }
    let sections = std::fs::read_to_string(out.join("sections.csv")).unwrap();
    assert!(sections.starts_with("path,section,start_s,end_s,valence,arousal,mode,"));
    assert_eq!(sections.lines().count(), 1 + 9);

    // Loudness per section: the file's RMS level over each section's stretch
    // (skipping the overlap and the next section's first 0.3 s) follows the
    // section's own rendered level.
    let mut levels = Vec::new();
    for e in &summary.excerpts {
        let wav = hound::WavReader::open(out.join(&e.rel_path)).unwrap();
        let x: Vec<f32> = wav.into_samples::<i16>().map(|s| f32::from(s.unwrap()) / 32768.0).collect();
        let start = ((e.section as f64 * 4.0 + 0.3) * SR) as usize;
        let end = ((e.section as f64 * 4.0 + 3.7) * SR) as usize;
        levels.push((rms_db(&x[start..end]), e.level_db));
    }
    let (heard, rendered): (Vec<f64>, Vec<f64>) = levels.iter().copied().unzip();
    let r_level = pearson(&heard, &rendered).unwrap();
    assert!(r_level > 0.9, "section levels heard vs rendered r = {r_level}: {levels:?}");
    let spread = rendered.iter().cloned().fold(f64::MIN, f64::max) - rendered.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 3.0, "the sections should differ in level: {levels:?}");
    // Out-of-range sections are refused with the allowed range.
    let bad = CorpusConfig { out: tmp("sections_bad"), count: 1, seed: 1, duration_s: 12.0, threads: 1, sections: 4 };
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("between 1 and 3"), "{e}");
}
