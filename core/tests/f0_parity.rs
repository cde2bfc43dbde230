//! Per-frame parity of the eGeMAPS F0 chain with openSMILE 3.0.2.
//!
//! References: `tests/golden/components/f0/*.csv`, written by
//! `tests/golden/components/make_f0.py` from the rendered WAVs (see that
//! script for columns). Audio: `$MOODTAP_GOLDEN_AUDIO`, default
//! `$CARGO_MANIFEST_DIR/../target/golden-audio`, rendered by
//! `tests/golden/make_golden.py audio`.
//!
//! Two comparisons per file:
//! 1. The Viterbi smoother and volume gate alone, fed openSMILE's own SHS
//!    candidates and energies: must reproduce `gemapsv01b_logPitchRaw` and
//!    `gemapsv01b_logPitch` exactly (same frames, same decisions). This pins
//!    the lag and end-of-input behaviour independently of front-end rounding.
//! 2. The whole chain on our own front end (Framer 1323/221, Gaussian σ 0.4,
//!    realfft): SHS candidates, voicing decisions and F0 against the targets
//!    below. Differences come only from FFT rounding (realfft vs. Ooura) that
//!    moves near-tie decisions.

#[path = "common/golden_audio.rs"]
mod golden_audio;
use std::collections::HashMap;
use std::path::PathBuf;

use moodtap_core::dsp::framer::Framer;
use moodtap_core::dsp::spectrum::Spectrum;
use moodtap_core::dsp::window;
use moodtap_core::features::egemaps::f0::{F0Frame, F0Tracker, VOLUME_GATE_RMS};
use moodtap_core::features::egemaps::pitch_shs::{PitchShsConfig, ShsCandidates};
use moodtap_core::features::egemaps::pitch_viterbi::{PitchSmootherViterbi, ViterbiConfig};
use moodtap_core::stats::pearson;

const SR: u32 = 22_050;
const N_CAND: usize = 6;
/// Cut of the music file, in samples (must match make_f0.py).
const MUSIC_SOURCE: &str = "music_singularity_awakening";
const MUSIC_CUT_START: usize = 10 * SR as usize;
const MUSIC_CUT_LEN: usize = 10 * SR as usize;

const INPUTS: [&str; 4] = ["sine_220hz", "harmonic_bursts_150hz", "speech_en", "music_cut10s"];

/// The committed inputs, or `$MOODTAP_F0_NAMES` (comma-separated WAV names) with
/// references in `$MOODTAP_F0_REF_DIR` (written by `make_f0.py --out DIR NAME…`),
/// for checking more material without committing it.
fn inputs() -> Vec<String> {
    match std::env::var("MOODTAP_F0_NAMES") {
        Ok(list) => list.split(',').map(str::to_owned).collect(),
        Err(_) => INPUTS.iter().map(|s| s.to_string()).collect(),
    }
}

fn reference_dir() -> PathBuf {
    match std::env::var_os("MOODTAP_F0_REF_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/components/f0"),
    }
}

fn load_audio(name: &str) -> Vec<f32> {
    let src = if name == "music_cut10s" { MUSIC_SOURCE } else { name };
    let path = golden_audio::golden_wav(src);
    let mut r = hound::WavReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (SR, 1, 16), "{}", path.display());
    // opensmile-python hands openSMILE the int16 samples, which it scales by
    // 1/32767 (smileUtil.c, smilePcm_convertSamples), in f32.
    let x: Vec<f32> = r.samples::<i16>().map(|s| s.expect("wav sample") as f32 / 32767.0).collect();
    if name == "music_cut10s" {
        x[MUSIC_CUT_START..MUSIC_CUT_START + MUSIC_CUT_LEN].to_vec()
    } else {
        x
    }
}

/// One reference CSV as columns of f64.
struct Reference {
    cols: HashMap<String, Vec<f64>>,
    n: usize,
}

impl Reference {
    fn load(name: &str) -> Self {
        let path = reference_dir().join(format!("{name}.csv"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().expect("header").split(',').map(str::to_owned).collect();
        let mut cols: HashMap<String, Vec<f64>> = header.iter().map(|h| (h.clone(), Vec::new())).collect();
        let mut n = 0;
        for line in lines.filter(|l| !l.is_empty()) {
            for (h, v) in header.iter().zip(line.split(',')) {
                cols.get_mut(h).expect("column").push(v.parse().expect("number"));
            }
            n += 1;
        }
        Self { cols, n }
    }

    fn col(&self, name: &str) -> &[f64] {
        &self.cols[name]
    }

    fn candidates(&self, k: usize) -> ShsCandidates {
        let mut c = ShsCandidates { n: self.col("nCand")[k] as usize, ..Default::default() };
        for j in 0..N_CAND {
            c.f0_hz[j] = self.col(&format!("F0Cand{j}"))[k] as f32;
            c.voicing[j] = self.col(&format!("candVoicing{j}"))[k] as f32;
        }
        c
    }
}

/// Our chain on our front end: per-frame first SHS candidate and energy, plus the final frames.
struct Ours {
    cand0: Vec<f32>,
    energy: Vec<f32>,
    frames: Vec<F0Frame>,
}

fn run_ours(signal: &[f32]) -> Ours {
    let mut framer = Framer::new(1323, 221);
    let mut spec = Spectrum::new(window::gauss(1323, 0.4));
    let mut tracker = F0Tracker::new(SR, spec.n_fft());
    let mut ours = Ours { cand0: Vec::new(), energy: Vec::new(), frames: Vec::new() };
    framer.push(signal, |_, frame| {
        spec.process(frame);
        let out = tracker.push(spec.windowed(), spec.magnitudes());
        ours.cand0.push(tracker.candidates().f0_hz[0]);
        ours.energy.push(tracker.energy_rms());
        ours.frames.extend(out);
    });
    ours.frames.extend(std::iter::from_fn(|| tracker.flush()));
    ours
}

#[test]
fn viterbi_and_gate_reproduce_opensmile_from_its_candidates() {
    for name in inputs() {
        let name = name.as_str();
        let r = Reference::load(name);
        let mut v = PitchSmootherViterbi::new(ViterbiConfig::EGEMAPS, N_CAND, PitchShsConfig::EGEMAPS.voicing_cutoff);
        let mut out = Vec::new();
        for k in 0..r.n {
            let got = v.push(&r.candidates(k));
            // Fixed lag: the push of frame k returns frame k − 39.
            assert_eq!(got.map(|p| p.index), k.checked_sub(39).map(|i| i as u64), "{name}: lag at frame {k}");
            out.extend(got);
        }
        out.extend(std::iter::from_fn(|| v.flush()));
        assert_eq!(out.len(), r.n, "{name}: frame count");
        let mut f0_mismatch = Vec::new();
        for (k, p) in out.iter().enumerate() {
            assert_eq!(p.index, k as u64);
            // Exact: the smoother selects one of the input floats.
            if p.f0_hz != r.col("F0raw")[k] as f32 || p.voicing != r.col("voicingRaw")[k] as f32 {
                f0_mismatch.push((k, p.f0_hz, r.col("F0raw")[k], p.voicing, r.col("voicingRaw")[k]));
            }
            // Volume gate on openSMILE's own energy.
            let pass = r.col("e60")[k] as f32 > VOLUME_GATE_RMS;
            let (f, st, vo) = if pass { (p.f0_hz, p.f0_semitones, p.voicing) } else { (0.0, 0.0, 0.0) };
            assert_eq!(f, r.col("F0final")[k] as f32, "{name} frame {k}: gated F0");
            assert_eq!(vo, r.col("voicing")[k] as f32, "{name} frame {k}: gated voicing");
            // F0finalLog: 12·ln(f/27.5)/ln 2 in f32 — 1e-5 st covers libm ulp differences.
            assert!(
                (st - r.col("F0finalLog")[k] as f32).abs() < 1e-5,
                "{name} frame {k}: {st} vs {}",
                r.col("F0finalLog")[k]
            );
        }
        assert!(
            f0_mismatch.is_empty(),
            "{name}: {} Viterbi mismatches, first {:?}",
            f0_mismatch.len(),
            &f0_mismatch[..f0_mismatch.len().min(5)]
        );
    }
}

#[test]
fn full_chain_matches_opensmile_per_frame() {
    let mut failures = Vec::new();
    for name in inputs() {
        let name = name.as_str();
        let r = Reference::load(name);
        let ours = run_ours(&load_audio(name));
        assert_eq!(ours.frames.len(), r.n, "{name}: frame count");
        assert_eq!(ours.cand0.len(), r.n, "{name}: SHS frame count");

        // SHS: first candidate within 0.5 % (or both absent).
        let cand_ok = (0..r.n)
            .filter(|&k| {
                let (a, b) = (ours.cand0[k] as f64, r.col("F0Cand0")[k]);
                (a == 0.0 && b == 0.0) || (b > 0.0 && (a - b).abs() <= 0.005 * b)
            })
            .count();
        // Energy of the windowed frame: same samples and window, f32 rounding only.
        let e_ok = (0..r.n)
            .filter(|&k| (ours.energy[k] as f64 - r.col("e60")[k]).abs() <= 1e-5 * r.col("e60")[k] + 1e-9)
            .count();

        let ref_f0 = r.col("F0final");
        let ref_st = r.col("F0finalLog");
        let vuv_ok = (0..r.n).filter(|&k| (ours.frames[k].f0_hz > 0.0) == (ref_f0[k] > 0.0)).count();
        let both: Vec<usize> = (0..r.n).filter(|&k| ours.frames[k].f0_hz > 0.0 && ref_f0[k] > 0.0).collect();
        let f0_ok =
            both.iter().filter(|&&k| (ours.frames[k].f0_hz as f64 - ref_f0[k]).abs() <= 0.01 * ref_f0[k]).count();
        let a: Vec<f64> = both.iter().map(|&k| ours.frames[k].f0_semitones as f64).collect();
        let b: Vec<f64> = both.iter().map(|&k| ref_st[k]).collect();
        // A constant contour (the sine) has no variance to correlate: count it as r = 1
        // when every voiced frame is within 0.05 st.
        let max_dst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        let r_st =
            if a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 0.05) { 1.0 } else { pearson(&a, &b).unwrap_or(f64::NAN) };

        let frac = |x: usize, n: usize| if n == 0 { 1.0 } else { x as f64 / n as f64 };
        let (cand_f, e_f, vuv_f, f0_f) =
            (frac(cand_ok, r.n), frac(e_ok, r.n), frac(vuv_ok, r.n), frac(f0_ok, both.len()));
        eprintln!(
            "{name:24} frames {:5}  SHS cand0 ±0.5% {:.4}  e60 {:.4}  V/UV agree {:.4}  F0 ±1% {:.4} (of {})  r(st) {:.5}  max|Δst| {:.4}",
            r.n,
            cand_f,
            e_f,
            vuv_f,
            f0_f,
            both.len(),
            r_st,
            max_dst
        );
        // Targets (task brief): candidates ≥ 99 %, V/UV ≥ 98 %, F0 ±1 % ≥ 98 %, r ≥ 0.99.
        if cand_f < 0.99 {
            failures.push(format!("{name}: SHS first candidate within 0.5 % on {cand_f:.4} < 0.99"));
        }
        if e_f < 0.999 {
            failures.push(format!("{name}: e60 within 1e-5 relative on {e_f:.4} < 0.999"));
        }
        if vuv_f < 0.98 {
            failures.push(format!("{name}: voicing agreement {vuv_f:.4} < 0.98"));
        }
        if f0_f < 0.98 {
            failures.push(format!("{name}: F0 within 1 % on {f0_f:.4} < 0.98"));
        }
        if r_st.is_nan() || r_st < 0.99 {
            failures.push(format!("{name}: Pearson r of semitones {r_st:.5} < 0.99"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
