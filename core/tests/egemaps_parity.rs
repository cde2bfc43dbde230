//! End-to-end eGeMAPS v02 parity: our whole pipeline (front end, every LLD
//! family, smoothing, functionals) on the golden WAVs against PyPI opensmile
//! 2.6.0 (openSMILE 3.0.2), `tests/golden/egemaps/<name>.{func,lld}.csv`
//! produced by `tests/golden/make_golden.py golden`.
//!
//! Criteria (issue #2): every functional within 5 % relative error of
//! openSMILE, or within the absolute tolerance of [`abs_tolerance`] where the
//! reference is near zero; every LLD column's per-frame Pearson r ≥ 0.95
//! where openSMILE's column varies.
//!
//! One family is judged against openSMILE's own noise floor instead: the
//! formant-based features (F1–F3 frequency, bandwidth, amplitude, and H1−A3,
//! whose A3 is read at F3). openSMILE computes formants from an 11-pole LPC
//! fitted to a band that is partly empty, an ill-conditioned problem in which
//! f32 rounding decides root pairs; our FFT rounds differently from its Ooura
//! FFT. `make_golden.py golden` therefore also runs openSMILE on the same
//! audio with ±1 LSB dither of 8 seeds (`<name>.dither.*.csv`): on a pure sine
//! openSMILE's F1 bandwidth against itself then correlates at r = 0.19 and
//! its functionals move by up to 36 %. For these features our error must stay
//! within [`DITHER_FACTOR`] × openSMILE's largest dither difference
//! (functionals; never less than the plain 5 %) and our r must reach
//! min(0.95, r_self − 0.1) with r_self from the first seed (LLDs).
//!
//! `MOODTAP_PARITY_REPORT=path.md` writes the per-feature table (worst error
//! over all files) that `tests/golden/README.md` publishes.

#[path = "common/golden_audio.rs"]
mod golden_audio;
use std::collections::BTreeMap;
use std::path::PathBuf;

use moodtap_core::features::egemaps::names::{FUNCTIONAL_NAMES, LLD_NAMES};
use moodtap_core::features::egemaps::offline::analyze;
use moodtap_core::stats::pearson;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Golden WAV as openSMILE saw it: opensmile-python hands int16 samples to
/// openSMILE, which scales them by 1/32767.
fn read_wav(name: &str) -> Vec<f32> {
    let p = golden_audio::golden_wav(name);
    let r = hound::WavReader::open(&p)
        .unwrap_or_else(|e| panic!("{}: {e}; run `tests/golden/make_golden.py audio` first", p.display()));
    r.into_samples::<i16>().map(|s| s.unwrap() as f32 / 32767.0).collect()
}

fn read_csv(path: &PathBuf) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(str::to_string).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse().unwrap_or(f64::NAN)).collect()).collect();
    (header, rows)
}

fn golden_names() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("tests/golden/egemaps/manifest.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    v["files"].as_object().unwrap().keys().map(|k| k.trim_end_matches(".wav").to_string()).collect()
}

/// Pearson r of two LLD series; two constant series agree (1), one constant
/// series against a varying one does not (0).
fn series_r(x: &[f64], y: &[f64]) -> f64 {
    let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
    pearson(x, y).unwrap_or(if constant(x) && constant(y) { 1.0 } else { 0.0 })
}

struct Outcome {
    /// functional name → (worst error ÷ allowed error, file, ours, reference, allowed error)
    func: BTreeMap<String, (f64, String, f64, f64, f64)>,
    /// LLD name → (lowest r, file, required r)
    lld: BTreeMap<String, (f64, String, f64)>,
}

/// Allowed error of a formant-based functional, as a multiple of openSMILE's
/// largest difference to itself over 8 dither seeds. Our FFT rounding is one
/// more perturbation of the same ill-conditioned LPC; 8 seeds sample the
/// spread only coarsely (on the C-major triad the F1 amplitude mean moves by
/// 1.1–11.3 % from seed to seed), hence the margin of 1.5.
const DITHER_FACTOR: f64 = 1.5;

/// Formant-based features, judged against openSMILE's dither noise floor.
fn formant_based(name: &str) -> bool {
    name.starts_with("F1") || name.starts_with("F2") || name.starts_with("F3") || name.starts_with("logRelF0-H1-A3")
}

/// The error measure: relative to `max(|reference|, abs_tolerance / 0.05)`.
fn err(name: &str, ours: f64, reference: f64) -> f64 {
    (ours - reference).abs() / reference.abs().max(abs_tolerance(name) / 0.05)
}

fn run_all() -> Outcome {
    let mut out = Outcome { func: BTreeMap::new(), lld: BTreeMap::new() };
    for name in golden_names() {
        let x = read_wav(&name);
        let file = analyze(&x, 22_050).unwrap();
        let ours = file.functionals().unwrap();
        let (h, rows) = read_csv(&root().join(format!("tests/golden/egemaps/{name}.func.csv")));
        assert_eq!(h, FUNCTIONAL_NAMES, "functional names/order");
        let (hd, dither) = read_csv(&root().join(format!("tests/golden/egemaps/{name}.dither.func.csv")));
        assert_eq!(hd, FUNCTIONAL_NAMES);
        for (i, fname) in FUNCTIONAL_NAMES.iter().enumerate() {
            let (a, b) = (ours[i] as f64, rows[0][i]);
            let e_ours = err(fname, a, b);
            let allowed = if formant_based(fname) {
                let floor = dither.iter().map(|row| err(fname, row[i], b)).fold(0.0, f64::max);
                0.05f64.max(DITHER_FACTOR * floor)
            } else {
                0.05
            };
            if std::env::var_os("MOODTAP_PARITY_VERBOSE").is_some() && e_ours > 0.02 {
                eprintln!("{name} {fname} err={e_ours:.4} allowed={allowed:.4} ours={a} ref={b}");
            }
            let ratio = e_ours / allowed;
            let e = out.func.entry(fname.to_string()).or_insert((-1.0, String::new(), 0.0, 0.0, 0.0));
            if ratio > e.0 {
                *e = (ratio, name.clone(), a, b, allowed);
            }
        }
        let (h, rows) = read_csv(&root().join(format!("tests/golden/egemaps/{name}.lld.csv")));
        assert_eq!(&h[1..], LLD_NAMES, "LLD names/order");
        let lld: Vec<_> = file.lld_level().collect();
        assert_eq!(lld.len(), rows.len(), "{name}: lld row count");
        let (hd, dither) = read_csv(&root().join(format!("tests/golden/egemaps/{name}.dither.lld.csv")));
        for (j, lname) in LLD_NAMES.iter().enumerate() {
            let a: Vec<f64> = lld.iter().map(|(_, r)| r[j] as f64).collect();
            let b: Vec<f64> = rows.iter().map(|r| r[j + 1]).collect();
            let r = series_r(&a, &b);
            let required = if formant_based(lname) {
                let k = hd.iter().position(|c| c == lname).expect("dither column");
                let d: Vec<f64> = dither.iter().map(|r| r[k]).collect();
                let n = d.len().min(b.len());
                0.95f64.min(series_r(&d[..n], &b[..n]) - 0.1)
            } else {
                0.95
            };
            if std::env::var_os("MOODTAP_PARITY_VERBOSE").is_some() && r < 0.99 {
                eprintln!("{name} {lname} r={r:.4} required={required:.4}");
            }
            let e = out.lld.entry(lname.to_string()).or_insert((2.0, String::new(), 0.95));
            if r - required < e.0 - e.2 {
                *e = (r, name.clone(), required);
            }
        }
    }
    out
}

/// Absolute tolerance for functionals whose reference can be near zero:
/// the error is measured relative to `max(|reference|, abs_tolerance / 0.05)`,
/// i.e. 5 % of the value, but never stricter than this absolute difference.
/// Values are about 1 % of each feature's typical range on music and speech.
fn abs_tolerance(name: &str) -> f64 {
    if name.starts_with("F0semitone") {
        if name.contains("Slope") {
            1.0
        } else {
            0.1
        } // semitones (/s for slopes)
    } else if name.starts_with("loudness") {
        if name.contains("Slope") {
            0.05
        } else {
            0.005
        } // sones (/s)
    } else if name.contains("stddevNorm") {
        0.01 // coefficient of variation
    } else if name.starts_with("mfcc") {
        0.5
    } else if name.starts_with("jitter") {
        0.001
    } else if name.starts_with("shimmer") {
        0.05 // dB
    } else if name.starts_with("HNR") || name.starts_with("logRel") || name.contains("amplitudeLogRel") {
        0.2 // dB
    } else if name.contains("frequency") || name.contains("bandwidth") {
        10.0 // Hz
    } else if name.starts_with("alphaRatio") || name.starts_with("hammarberg") {
        0.2 // dB
    } else if name.starts_with("slope") {
        0.001 // dB/Hz
    } else if name.starts_with("spectralFlux") {
        0.005
    } else if name.contains("Segment") || name.contains("PerSec") || name.contains("SegmentLength") {
        0.02 // 1/s, s
    } else {
        0.01
    }
}

#[test]
fn egemaps_matches_opensmile_on_every_golden_file() {
    let o = run_all();
    let mut report = String::from(
        "| functional | tolerance | worst error | allowed there | file | ours | openSMILE |\n|---|---|---|---|---|---|---|\n",
    );
    let mut failures = Vec::new();
    for name in FUNCTIONAL_NAMES {
        let (ratio, file, a, b, allowed) = &o.func[name];
        let tol = if formant_based(name) {
            format!("5 % / {} abs, or {DITHER_FACTOR}× openSMILE's dither difference", abs_tolerance(name))
        } else {
            format!("5 % / {} abs", abs_tolerance(name))
        };
        let worst = ratio * allowed;
        report.push_str(&format!(
            "| {name} | {tol} | {:.2} % | {:.2} % | {file} | {a:.6} | {b:.6} |\n",
            100.0 * worst,
            100.0 * allowed
        ));
        if *ratio > 1.0 {
            failures.push(format!(
                "{name}: {:.2} % on {file} (allowed {:.2} %; ours {a}, openSMILE {b})",
                100.0 * worst,
                100.0 * allowed
            ));
        }
    }
    report.push_str("\n| LLD | lowest per-frame Pearson r | required there | file |\n|---|---|---|---|\n");
    for name in LLD_NAMES {
        let (r, file, required) = &o.lld[name];
        report.push_str(&format!("| {name} | {r:.4} | {required:.4} | {file} |\n"));
        if r < required {
            failures.push(format!("{name}: r = {r:.4} on {file} (required {required:.4})"));
        }
    }
    if let Some(p) = std::env::var_os("MOODTAP_PARITY_REPORT") {
        std::fs::write(p, &report).unwrap();
    }
    assert!(failures.is_empty(), "not at parity:\n{}\n\n{report}", failures.join("\n"));
}
