//! Per-frame parity of `SpectralLlds` with openSMILE 3.0.2 (eGeMAPS v02,
//! unsmoothed levels), on the references written by
//! `tests/golden/components/make_spectral.py`.
//!
//! Audio: `$MOODTAP_GOLDEN_AUDIO` or `<repo>/target/golden-audio`, rendered by
//! `tests/golden/make_golden.py audio`. Framing as openSMILE's
//! `gemapsv01b_frame25`: 441-sample frames on a 221-sample hop, Hamming
//! window, 512-point symmetric zero padding.

#[path = "common/golden_audio.rs"]
mod golden_audio;
use std::path::{Path, PathBuf};

use moodtap_core::dsp::framer::Framer;
use moodtap_core::dsp::spectrum::Spectrum;
use moodtap_core::dsp::window;
use moodtap_core::features::egemaps::spectral_llds::{SpectralFrame, SpectralLlds};

/// (reference CSV, WAV, first sample, sample count or all) — keep in sync with make_spectral.py.
const CASES: [(&str, &str, usize, Option<usize>); 4] = [
    ("sine_220hz", "sine_220hz", 0, None),
    ("white_noise", "white_noise", 0, None),
    ("speech_en", "speech_en", 0, None),
    ("music_hyperrogue_palace_10s", "music_hyperrogue_palace", 10 * 22_050, Some(10 * 22_050)),
];

const COLUMNS: [&str; 11] = [
    "energy_sq",
    "loudness",
    "alpha_ratio_db",
    "hammarberg_db",
    "slope_0_500",
    "slope_500_1500",
    "flux",
    "mfcc1",
    "mfcc2",
    "mfcc3",
    "mfcc4",
];

/// Tolerance per column (order of [`COLUMNS`]): every value must satisfy
/// `|ours − ref| ≤ tol · max(1, |ref|)`, i.e. relative for values of magnitude
/// ≥ 1 and absolute below.
///
/// Given openSMILE's own `fftmagH25` magnitudes as input, every LLD here
/// matches its reference to ≤ 5e-8, the print precision of the CSVs (checked
/// during development on speech, music, a sweep and the harmonic bursts). What
/// remains is the FFT: realfft and openSMILE's Ooura rdft are both single
/// precision and round differently. That is negligible for energy-weighted
/// LLDs (1e-4 leaves ≥ 10× margin: worst 1.1e-5, Hammarberg index on a fade),
/// but the MFCCs take logs of mel bands that can lie 100 dB below the frame's
/// peak, where openSMILE's own magnitudes are off by up to 1.7 % from an exact
/// (f64) FFT; near fades this moves an MFCC by up to 1.5e-3 absolute
/// (harmonic_bursts_150hz, extended check). Hence 3e-3 for the MFCCs; on the
/// committed files their worst error is 5.9e-5.
const TOL: [f64; 11] = [1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 3e-3, 3e-3, 3e-3, 3e-3];

fn columns(f: &SpectralFrame) -> [f32; 11] {
    [
        f.energy_sq,
        f.loudness,
        f.alpha_ratio_db,
        f.hammarberg_db,
        f.slope_0_500,
        f.slope_500_1500,
        f.flux,
        f.mfcc[0],
        f.mfcc[1],
        f.mfcc[2],
        f.mfcc[3],
    ]
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// 16-bit PCM as openSMILE reads it: `i16 / 32767` (smileUtil.c, smilePcm_convertSamples).
fn read_wav(path: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `tests/golden/make_golden.py audio`", path.display()));
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (1, 22_050, 16), "{}", path.display());
    reader.samples::<i16>().map(|s| s.expect("valid 16-bit sample") as f32 / 32767.0).collect()
}

/// Committed references, relative to the repository root.
const REF_DIR: &str = "tests/golden/components/spectral";

fn read_reference(dir: &Path, name: &str) -> Vec<[f64; 11]> {
    let path = dir.join(format!("{name}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header[0], "frame");
    assert_eq!(&header[1..], &COLUMNS[..], "column order of {}", path.display());
    lines
        .map(|l| {
            let mut row = [0.0; 11];
            for (r, v) in row.iter_mut().zip(l.split(',').skip(1)) {
                *r = v.parse().expect("number");
            }
            row
        })
        .collect()
}

fn run(signal: &[f32]) -> Vec<SpectralFrame> {
    let mut framer = Framer::new(441, 221);
    let mut spectrum = Spectrum::new(window::hamming(441));
    let mut llds = SpectralLlds::new(22_050, spectrum.n_fft()).expect("valid configuration");
    let mut frames = Vec::new();
    framer.push(signal, |_, frame| {
        spectrum.process(frame);
        let mut out = SpectralFrame::default();
        llds.process(frame, spectrum.magnitudes(), &mut out);
        frames.push(out);
    });
    frames
}

/// Worst scaled error per column and the first out-of-tolerance values.
#[derive(Default)]
struct Report {
    worst: [(f64, String); 11],
    failures: Vec<String>,
    n_values: usize,
}

impl Report {
    fn compare(&mut self, name: &str, ours: &[SpectralFrame], reference: &[[f64; 11]]) {
        assert_eq!(ours.len(), reference.len(), "{name}: frame count");
        for (i, (o, r)) in ours.iter().zip(reference).enumerate() {
            for (c, (&a, &b)) in columns(o).iter().zip(r).enumerate() {
                let err = (a as f64 - b).abs() / b.abs().max(1.0);
                self.n_values += 1;
                if err > self.worst[c].0 {
                    self.worst[c] = (err, format!("{name} frame {i}"));
                }
                if err > TOL[c] && self.failures.len() < 40 {
                    self.failures.push(format!("{name} frame {i} {}: ours {a} ref {b} (err {err:.2e})", COLUMNS[c]));
                }
            }
        }
    }

    fn finish(self) {
        for (c, (err, at)) in self.worst.iter().enumerate() {
            eprintln!("{:>15}: worst scaled error {err:.2e} ({at})", COLUMNS[c]);
        }
        assert!(self.n_values > 0, "nothing compared");
        assert!(self.failures.is_empty(), "values out of tolerance:\n{}", self.failures.join("\n"));
    }
}

#[test]
fn spectral_llds_match_opensmile_per_frame() {
    let mut report = Report::default();
    for (csv, wav, first, count) in CASES {
        let samples = read_wav(&golden_audio::golden_wav(wav));
        let end = count.map_or(samples.len(), |c| (first + c).min(samples.len()));
        report.compare(csv, &run(&samples[first..end]), &read_reference(&repo_root().join(REF_DIR), csv));
    }
    report.finish();
}

/// Extended check over whole files: `MOODTAP_SPECTRAL_REFS=DIR` names a
/// directory written by `make_spectral.py --all --out DIR`; every CSV there is
/// compared with the WAV of the same name. Skipped (passes) when unset.
#[test]
fn spectral_llds_match_opensmile_on_extra_references() {
    let Some(dir) = std::env::var_os("MOODTAP_SPECTRAL_REFS").map(PathBuf::from) else {
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".csv").map(str::to_owned))
        .collect();
    names.sort();
    let mut report = Report::default();
    for name in &names {
        let samples = read_wav(&golden_audio::golden_wav(name));
        report.compare(name, &run(&samples), &read_reference(&dir, name));
    }
    report.finish();
}
