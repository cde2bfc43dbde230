//! Shared input of the eGeMAPS benchmarks: a 45 s mono excerpt at 22 050 Hz.

use std::path::PathBuf;

/// Analysis rate of the benchmark input (Hz).
pub const SR: u32 = 22_050;
/// Length of the benchmark excerpt (s), the target duration.
pub const SECONDS: usize = 45;

/// The first 45 s of `$MOODTAP_BENCH_WAV` if set (any 22 050 Hz mono 16-bit
/// WAV; shorter files are used whole), else of `music_hyperrogue_caves.wav` from the golden audio
/// (`$MOODTAP_GOLDEN_AUDIO`, default `target/golden-audio`, rendered by
/// `tests/golden/make_golden.py audio`), scaled as openSMILE reads 16-bit PCM
/// (`i / 32767`). When the file is missing, a deterministic synthetic signal
/// of the same length (a vibrato harmonic tone with noise and pauses, so that
/// every LLD family does voiced and unvoiced work), so the benchmark always runs.
pub fn input() -> (Vec<f32>, &'static str) {
    let dir = std::env::var_os("MOODTAP_GOLDEN_AUDIO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/golden-audio"));
    let n = SECONDS * SR as usize;
    if let Some(path) = std::env::var_os("MOODTAP_BENCH_WAV") {
        let r = hound::WavReader::open(&path).expect("MOODTAP_BENCH_WAV must be a readable WAV");
        assert_eq!((r.spec().sample_rate, r.spec().channels, r.spec().bits_per_sample), (SR, 1, 16));
        let x = r.into_samples::<i16>().take(n).filter_map(Result::ok).map(|s| s as f32 / 32767.0).collect();
        return (x, "MOODTAP_BENCH_WAV");
    }
    if let Ok(r) = hound::WavReader::open(dir.join("music_hyperrogue_caves.wav")) {
        let spec = r.spec();
        if spec.sample_rate == SR && spec.channels == 1 && spec.bits_per_sample == 16 {
            let x: Vec<f32> =
                r.into_samples::<i16>().take(n).filter_map(Result::ok).map(|s| s as f32 / 32767.0).collect();
            if x.len() == n {
                return (x, "music_hyperrogue_caves.wav");
            }
        }
    }
    (synthetic(n), "synthetic")
}

/// Deterministic test signal: 1.5 s notes of a 12-harmonic tone (110–440 Hz,
/// 5 Hz vibrato) separated by 0.3 s of low noise, plus a little noise throughout.
fn synthetic(n: usize) -> Vec<f32> {
    let sr = SR as f64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / sr;
            let note = (t / 1.8) as usize;
            let in_note = t - note as f64 * 1.8;
            let f0 = 110.0
                * 2f64.powf((note * 5 % 24) as f64 / 12.0)
                * (1.0 + 0.01 * (2.0 * std::f64::consts::PI * 5.0 * t).sin());
            phase += 2.0 * std::f64::consts::PI * f0 / sr;
            let tone = if in_note < 1.5 {
                (1..=12).map(|h| (h as f64 * phase).sin() / h as f64).sum::<f64>() * 0.2
            } else {
                0.0
            };
            (tone + 0.01 * noise()) as f32
        })
        .collect()
}
