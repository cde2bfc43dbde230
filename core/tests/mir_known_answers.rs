//! Known-answer tests of the MIR descriptors on synthetic signals (issue 3),
//! plus bad input and streaming-equals-offline. Every signal is rendered
//! here at 22 050 Hz; noise comes from a fixed-seed generator.

use moodtap_core::dsp::frontend::FrontEnd;
use moodtap_core::features::mir::{MirConfig, MirExtractor, MIR_COUNT, MIR_NAMES};
use std::f64::consts::PI;

const SR: u32 = 22_050;
const SR_F: f64 = SR as f64;

fn idx(name: &str) -> usize {
    MIR_NAMES.iter().position(|n| *n == name).unwrap()
}

/// Deterministic uniform noise in [−1, 1) (64-bit LCG, top bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) as f32
    }
}

fn noise(seconds: f64, amp: f32, seed: u64) -> Vec<f32> {
    let mut g = Lcg(seed);
    (0..(seconds * SR_F) as usize).map(|_| amp * g.next()).collect()
}

/// Sum of partials `(frequency Hz, amplitude)` for `seconds`.
fn partials(seconds: f64, parts: &[(f64, f64)]) -> Vec<f32> {
    (0..(seconds * SR_F) as usize)
        .map(|i| {
            let t = i as f64 / SR_F;
            parts.iter().map(|&(f, a)| a * (2.0 * PI * f * t).sin()).sum::<f64>() as f32
        })
        .collect()
}

/// Harmonic tone: `n` partials with amplitude `amp/k`, below Nyquist.
fn tone_parts(f0: f64, n: usize, amp: f64) -> Vec<(f64, f64)> {
    (1..=n).map(|k| (f0 * k as f64, amp / k as f64)).filter(|&(f, _)| f < SR_F / 2.0).collect()
}

fn midi_hz(m: f64) -> f64 {
    440.0 * 2f64.powf((m - 69.0) / 12.0)
}

/// Click track: 10 ms bursts of decaying noise every 60/bpm s.
fn clicks(bpm: f64, seconds: f64) -> Vec<f32> {
    let mut x = vec![0.0f32; (seconds * SR_F) as usize];
    let mut g = Lcg(7);
    let period = 60.0 / bpm;
    let mut beat = 0usize;
    loop {
        let start = (beat as f64 * period * SR_F).round() as usize;
        if start >= x.len() {
            break;
        }
        for i in 0..220.min(x.len() - start) {
            x[start + i] = 0.8 * g.next() * (-(i as f32) / 40.0).exp();
        }
        beat += 1;
    }
    x
}

fn concat(parts: &[Vec<f32>]) -> Vec<f32> {
    parts.iter().flatten().copied().collect()
}

/// Runs the front end and the extractor over `x` in blocks of `block`
/// samples, stepping every `step_s` with window `window_s`; returns
/// (step time s, values). Steps are triggered by frame count, as a real
/// driver does.
fn run_blocks(
    x: &[f32],
    window_s: f64,
    step_s: f64,
    blocks: &mut dyn FnMut() -> usize,
) -> Vec<(f64, [f32; MIR_COUNT])> {
    let mut fe = FrontEnd::new(SR);
    let mut mir = MirExtractor::new(MirConfig::at(SR));
    let step_frames = (step_s * mir.frame_rate_hz()).round().max(1.0) as u64;
    let mut out = Vec::new();
    let mut on_frame = |mir: &mut MirExtractor, v: &moodtap_core::dsp::frontend::FrameView<'_>| {
        mir.process_frame(v);
        if mir.frames_seen() % step_frames == 0 {
            let mut o = [0.0; MIR_COUNT];
            mir.step(window_s, &mut o);
            out.push((mir.frames_seen() as f64 / mir.frame_rate_hz(), o));
        }
    };
    let mut pos = 0;
    while pos < x.len() {
        let n = blocks().clamp(1, x.len() - pos);
        fe.push(&x[pos..pos + n], |v| on_frame(&mut mir, v));
        pos += n;
    }
    fe.finish(|v| on_frame(&mut mir, v));
    out
}

fn run(x: &[f32], window_s: f64, step_s: f64) -> Vec<(f64, [f32; MIR_COUNT])> {
    run_blocks(x, window_s, step_s, &mut || 4096)
}

/// Values of descriptor `name` at steps with time ≥ `from_s`.
fn series(steps: &[(f64, [f32; MIR_COUNT])], name: &str, from_s: f64) -> Vec<f32> {
    steps.iter().filter(|(t, _)| *t >= from_s).map(|(_, v)| v[idx(name)]).collect()
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

#[test]
fn click_tracks_give_their_tempo_within_2_bpm() {
    for bpm in [60.0, 90.0, 120.0, 150.0] {
        let steps = run(&clicks(bpm, 14.0), 1.0, 0.5);
        // After the 6 s tempo context has filled; every step must be right
        // (an octave error is off by ≥ 30 BPM and fails).
        let t = series(&steps, "tempo", 6.5);
        assert!(t.len() >= 10);
        for v in &t {
            assert!((*v as f64 - bpm).abs() <= 2.0, "{bpm} BPM click track: tempo {t:?}");
        }
    }
}

#[test]
fn pulse_clarity_is_high_for_clicks_and_low_for_noise() {
    let pc_clicks = series(&run(&clicks(120.0, 10.0), 1.0, 0.5), "pulse_clarity", 6.0);
    let pc_noise = series(&run(&noise(10.0, 0.3, 3), 1.0, 0.5), "pulse_clarity", 6.0);
    let min_clicks = pc_clicks.iter().fold(1.0f32, |m, &v| m.min(v));
    let max_noise = pc_noise.iter().fold(0.0f32, |m, &v| m.max(v));
    // Margins: a metronome's autocorrelation peak is near 1 (biased ACF: ≥ 0.6
    // at a 0.5 s lag in 6 s); stationary noise stays well below.
    assert!(min_clicks > 0.6 && max_noise < 0.3 && min_clicks > max_noise, "clicks {pc_clicks:?} noise {pc_noise:?}");
}

/// A triad (or any chord) of harmonic tones on MIDI notes, 6 partials each.
fn chord(notes: &[f64], seconds: f64) -> Vec<f32> {
    let parts: Vec<(f64, f64)> = notes.iter().flat_map(|&m| tone_parts(midi_hz(m), 6, 0.2)).collect();
    partials(seconds, &parts)
}

#[test]
fn major_and_minor_triads_give_the_mode_sign_in_several_keys() {
    for tonic in [60.0, 62.0, 65.0, 67.0, 69.0, 71.0, 56.0] {
        let major = run(&chord(&[tonic, tonic + 4.0, tonic + 7.0], 2.0), 1.0, 0.5);
        let minor = run(&chord(&[tonic, tonic + 3.0, tonic + 7.0], 2.0), 1.0, 0.5);
        let m_major = series(&major, "mode", 1.0);
        let m_minor = series(&minor, "mode", 1.0);
        // A bare major triad fits its major key only slightly better than
        // the minor key on its third (C–E–G vs E minor): even ideal chroma
        // gives +0.07, our 6-partial tones +0.023…+0.030 in all seven keys;
        // the minor triad's margin is −0.26…−0.29. Thresholds sit at half of those.
        assert!(m_major.iter().all(|&v| v > 0.011), "tonic {tonic}: major mode {m_major:?}");
        assert!(m_minor.iter().all(|&v| v < -0.13), "tonic {tonic}: minor mode {m_minor:?}");
    }
}

/// Scale of harmonic tones, 0.25 s per note, ending on the upper tonic.
fn scale(tonic: f64, steps: &[f64]) -> Vec<f32> {
    let notes: Vec<Vec<f32>> = steps.iter().map(|&s| chord(&[tonic + s], 0.25)).collect();
    concat(&notes)
}

#[test]
fn major_and_harmonic_minor_scales_give_the_mode_sign() {
    // Natural minor has the same pitch set as its relative major; a
    // key-profile correlation can only tell them apart by weight, so the
    // harmonic minor (raised 7th) is used, as a listener's cue would be.
    let major = [0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 11.0, 12.0];
    let minor = [0.0, 2.0, 3.0, 5.0, 7.0, 8.0, 11.0, 12.0];
    for tonic in [60.0, 62.0, 67.0, 57.0] {
        // One step over the whole 2 s scale.
        let s_major = run(&scale(tonic, &major), 2.0, 1.9);
        let s_minor = run(&scale(tonic, &minor), 2.0, 1.9);
        let a = s_major[0].1[idx("mode")];
        let b = s_minor[0].1[idx("mode")];
        assert!(a > 0.0 && b < 0.0, "tonic {tonic}: major scale mode {a}, minor scale mode {b}");
    }
}

#[test]
fn key_clarity_is_ordered_tonal_over_atonal() {
    let kc = |x: &[f32]| mean(&series(&run(x, 1.0, 0.5), "key_clarity", 1.0));
    let triad = kc(&chord(&[60.0, 64.0, 67.0], 3.0));
    let scale_c = {
        let s = run(&scale(60.0, &[0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 11.0, 12.0]), 2.0, 1.9);
        s[0].1[idx("key_clarity")]
    };
    // All twelve pitch classes, spread over three octaves.
    let cluster = kc(&chord(&[48.0, 61.0, 74.0, 51.0, 64.0, 77.0, 54.0, 67.0, 80.0, 57.0, 70.0, 83.0], 3.0));
    let white = kc(&noise(3.0, 0.3, 11));
    eprintln!("key clarity: triad {triad:.2}, scale {scale_c:.2}, cluster {cluster:.2}, noise {white:.2}");
    // Measured: triad 0.83, scale 0.94, cluster 0.49, noise 0.37 (neither
    // atonal chroma is perfectly flat: the cluster's upper partials fall
    // unevenly on pitch classes and the 4186 Hz limit cuts some of them, and
    // 3 s of noise leaves uneven band energies). Required: tonal ≥ 0.75, atonal ≤ 0.6, a 0.2 gap between them.
    assert!(triad > 0.75 && scale_c > 0.75, "triad {triad} scale {scale_c}");
    assert!(cluster < 0.6 && white < 0.6, "cluster {cluster} noise {white}");
    assert!(
        triad.min(scale_c) > cluster.max(white) + 0.2,
        "triad {triad} scale {scale_c} cluster {cluster} noise {white}"
    );
}

#[test]
fn brightness_sine_is_dark_noise_is_bright() {
    let b_sine = mean(&series(&run(&partials(2.0, &[(220.0, 0.5)]), 1.0, 0.5), "brightness", 0.5));
    let b_noise = mean(&series(&run(&noise(2.0, 0.3, 5), 1.0, 0.5), "brightness", 0.5));
    // Sine: only Hamming leakage above 1.5 kHz (< 5 %). White noise: the share
    // of the band above 1.5 kHz, (11025 − 1500)/11025 ≈ 0.86, ± 0.05 for
    // bin edges and the random spectrum.
    assert!(b_sine < 0.05, "sine {b_sine}");
    assert!((b_noise - 0.86).abs() < 0.05, "noise {b_noise}");
}

#[test]
fn roughness_minor_second_is_rougher_than_fifth() {
    let r = |a: f64, b: f64| {
        let parts: Vec<(f64, f64)> = [a, b].iter().flat_map(|&m| tone_parts(midi_hz(m), 6, 0.3)).collect();
        mean(&series(&run(&partials(2.0, &parts), 1.0, 0.5), "roughness", 1.0))
    };
    for root in [57.0, 64.0, 69.0] {
        let fifth = r(root, root + 7.0);
        let second = r(root, root + 1.0);
        // Margin of 2×: the minor second's partials beat within the critical
        // band; the fifth's coincide or sit far apart.
        assert!(second > 2.0 * fifth && fifth >= 0.0, "root {root}: m2 {second} vs P5 {fifth}");
    }
}

#[test]
fn dissonance_orders_intervals_like_roughness_but_ignores_level() {
    let d = |a: f64, b: f64, amp: f64| {
        let parts: Vec<(f64, f64)> = [a, b].iter().flat_map(|&m| tone_parts(midi_hz(m), 6, amp)).collect();
        let steps = run(&partials(2.0, &parts), 1.0, 0.5);
        (mean(&series(&steps, "dissonance", 1.0)), mean(&series(&steps, "roughness", 1.0)))
    };
    for root in [57.0, 64.0, 69.0] {
        let (second, second_r) = d(root, root + 1.0, 0.3);
        let (fifth, _) = d(root, root + 7.0, 0.3);
        let (second_soft, second_soft_r) = d(root, root + 1.0, 0.03);
        // Same 2× margin as roughness for the interval; a 20 dB quieter copy changes
        // roughness 100-fold (amplitude²) but dissonance by < 5 % (peak picking at −20 dB
        // sees the same partials).
        assert!(second > 2.0 * fifth && fifth >= 0.0, "root {root}: m2 {second} vs P5 {fifth}");
        assert!(second_r > 50.0 * second_soft_r, "roughness scales with level: {second_r} vs {second_soft_r}");
        assert!(
            (second_soft - second).abs() < 0.05 * second,
            "root {root}: {second} at −10 dB, {second_soft} at −30 dB"
        );
    }
}

#[test]
fn onset_rate_counts_clicks_whatever_the_tempo_octave() {
    // Clicks at 80 BPM and at 160 BPM: the rate doubles (1.33 → 2.67 /s) while a tempo
    // tracker may report either octave for either track. 8th-note clicks at 80 BPM equal
    // quarter notes at 160.
    let rate = |bpm: f64| mean(&series(&run(&clicks(bpm, 14.0), 1.0, 0.5), "onset_rate", 6.5));
    for bpm in [60.0, 80.0, 120.0, 160.0, 240.0] {
        let got = rate(bpm) as f64;
        assert!((got - bpm / 60.0).abs() < 0.15 * bpm / 60.0, "{bpm} BPM: {got} onsets/s");
    }
    let steady = mean(&series(&run(&partials(8.0, &tone_parts(220.0, 8, 0.3)), 1.0, 0.5), "onset_rate", 6.5));
    assert!(steady < 0.5, "a steady tone has (almost) no onsets: {steady}/s");
}

#[test]
fn irregularity_harmonic_smooth_below_inharmonic_scattered() {
    let harmonic = partials(2.0, &tone_parts(220.0, 20, 0.5));
    // Inharmonic: 20 stretched partials 150·k^1.3 Hz (14 of them below the
    // 5 kHz peak range) with amplitudes scattered log-uniformly over
    // 0.01…0.2. Jensen's measure reads the amplitude pattern, so the
    // inharmonic sound is given the irregular envelope such sounds typically
    // have; stretched frequencies alone would not change it.
    let mut g = Lcg(99);
    let inharm_parts: Vec<(f64, f64)> =
        (1..=20).map(|k| (150.0 * (k as f64).powf(1.3), 0.2 * 20f64.powf(-(g.next() as f64 + 1.0) / 2.0))).collect();
    let inharmonic = partials(2.0, &inharm_parts);
    let h = mean(&series(&run(&harmonic, 1.0, 0.5), "irregularity", 0.5));
    let i = mean(&series(&run(&inharmonic, 1.0, 0.5), "irregularity", 0.5));
    // Jensen irregularity of 1/k amplitudes is ≈ 0.19 (see irregularity.rs).
    assert!(h < 0.3 && i > 1.5 * h, "harmonic {h}, inharmonic {i}");
}

#[test]
fn novelty_peaks_at_an_abrupt_timbre_change() {
    let change_s = 6.0;
    // Bright sawtooth-like tone, then band-limited noise (different timbre).
    let x = concat(&[partials(change_s, &tone_parts(220.0, 30, 0.3)), noise(6.0, 0.2, 17)]);
    let mut fe = FrontEnd::new(SR);
    let mut mir = MirExtractor::new(MirConfig::at(SR));
    fe.push(&x, |v| mir.process_frame(v));
    let curve: Vec<(f64, f32)> = mir.novelty_curve().collect();
    let (t_peak, v_peak) = curve.iter().copied().fold((0.0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
    let mut sorted: Vec<f32> = curve.iter().map(|p| p.1).collect();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    assert!((t_peak - change_s).abs() <= 0.5, "peak at {t_peak} s (value {v_peak}), change at {change_s} s");
    assert!(v_peak > 0.5 && v_peak > 5.0 * median, "peak {v_peak}, median {median}");

    // Step level: the step whose (lagged) window covers the change is the maximum.
    let steps = run(&x, 1.0, 0.25);
    let lag = MirExtractor::new(MirConfig::at(SR)).novelty_lag_s();
    let (t_step, _) =
        steps
            .iter()
            .fold((0.0, f32::MIN), |a, (t, v)| if v[idx("novelty")] > a.1 { (*t, v[idx("novelty")]) } else { a });
    let covered = (t_step - lag - 1.0 - 0.5..=t_step - lag + 0.5).contains(&change_s);
    assert!(covered, "max novelty step at {t_step} s (lag {lag} s) does not cover the change at {change_s} s");
}

#[test]
fn pitch_of_tones_and_silence_for_noise() {
    let p = |x: &[f32]| mean(&series(&run(x, 1.0, 0.5), "pitch", 0.5));
    let sine = p(&partials(2.0, &[(440.0, 0.5)]));
    let harm = p(&partials(2.0, &tone_parts(220.0, 10, 0.3)));
    let low = p(&partials(2.0, &tone_parts(98.0, 10, 0.3)));
    // 1 % covers the parabolic refinement of a 2-sample lag grid.
    assert!((sine - 440.0).abs() < 4.4, "sine {sine}");
    assert!((harm - 220.0).abs() < 2.2, "harmonic {harm}");
    assert!((low - 98.0).abs() < 1.0, "low {low}");
    // White noise has no period: (almost) no frame reaches the voicing
    // threshold, so the step mean is 0 or rests on a stray frame or two.
    let steps = run(&noise(4.0, 0.3, 21), 1.0, 1.0);
    let zeros = steps.iter().filter(|(_, v)| v[idx("pitch")] == 0.0).count();
    assert!(zeros * 2 >= steps.len(), "noise pitch {:?}", series(&steps, "pitch", 0.0));
}

fn assert_all_finite(steps: &[(f64, [f32; MIR_COUNT])], what: &str) {
    for (t, v) in steps {
        assert!(v.iter().all(|x| x.is_finite()), "{what}: non-finite output at {t} s: {v:?}");
    }
}

#[test]
fn silence_gives_zeros() {
    let steps = run(&vec![0.0; 3 * SR as usize], 1.0, 0.5);
    assert!(!steps.is_empty());
    for (t, v) in &steps {
        assert_eq!(v, &[0.0; MIR_COUNT], "silence at {t} s");
    }
}

#[test]
fn nan_inf_and_extreme_samples_give_finite_output() {
    // Pushed straight into the front end, bypassing the sanitiser that
    // normally runs first: spectra then hold NaN/Inf.
    let mut x = clicks(120.0, 8.0);
    for (i, v) in x.iter_mut().enumerate() {
        match i % 997 {
            0 => *v = f32::NAN,
            1 => *v = f32::INFINITY,
            2 => *v = f32::NEG_INFINITY,
            3 => *v = 1e30,
            _ => {}
        }
    }
    assert_all_finite(&run(&x, 1.0, 0.5), "NaN/Inf");
    assert_all_finite(&run(&vec![f32::NAN; SR as usize * 2], 1.0, 0.5), "all NaN");
    let dc = vec![1.0f32; SR as usize * 2];
    let steps = run(&dc, 1.0, 0.5);
    assert_all_finite(&steps, "DC");
    // A constant signal has no onsets, hence no tempo, and no partials.
    assert!(steps.iter().all(|(_, v)| v[idx("tempo")] == 0.0 && v[idx("roughness")] == 0.0), "DC: {steps:?}");
}

#[test]
fn very_short_inputs_give_defined_output() {
    for seconds in [0.0, 0.01, 0.05, 0.3, 0.9, 3.0, 5.9] {
        let x = chord(&[60.0, 64.0, 67.0], seconds);
        let mut fe = FrontEnd::new(SR);
        let mut mir = MirExtractor::new(MirConfig::at(SR));
        fe.push(&x, |v| mir.process_frame(v));
        fe.finish(|v| mir.process_frame(v));
        let mut o = [f32::NAN; MIR_COUNT];
        mir.step(1.0, &mut o);
        assert!(o.iter().all(|v| v.is_finite()), "{seconds} s: {o:?}");
        if seconds < 0.6 {
            // Too little onset history for any period in 40–200 BPM.
            assert_eq!(o[idx("tempo")], 0.0, "{seconds} s");
        }
        if seconds < 2.0 {
            // No complete 2 s novelty kernel yet.
            assert_eq!(o[idx("novelty")], 0.0, "{seconds} s");
        }
    }
    // Window arguments outside the supported range are clamped, not trusted.
    let mut mir = MirExtractor::new(MirConfig::at(SR));
    let mut o = [0.0; MIR_COUNT];
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
        mir.step(w, &mut o);
        assert_eq!(o, [0.0; MIR_COUNT]);
    }
}

/// A 20 s test signal with everything the descriptors react to.
fn mixture() -> Vec<f32> {
    let mut x = concat(&[
        chord(&[60.0, 64.0, 67.0], 5.0),
        noise(3.0, 0.2, 1),
        chord(&[57.0, 60.0, 64.0], 5.0),
        vec![0.0; 22_050],
        partials(6.0, &tone_parts(110.0, 20, 0.2)),
    ]);
    for (a, b) in x.iter_mut().zip(clicks(100.0, 20.0)) {
        *a += 0.5 * b;
    }
    x
}

#[test]
fn streaming_in_random_blocks_equals_offline() {
    let x = mixture();
    let offline = run_blocks(&x, 1.0, 45.0 / 99.0, &mut || usize::MAX);
    assert!(offline.len() > 40);
    let mut g = Lcg(66);
    for round in 0..3 {
        let streamed = run_blocks(&x, 1.0, 45.0 / 99.0, &mut || 1 + ((g.next() + 1.0) * 4095.5) as usize % 8192);
        assert_eq!(streamed.len(), offline.len());
        for (a, b) in streamed.iter().zip(&offline) {
            // Bit-identical: the same frames reach the extractor in the same order.
            assert_eq!(a.1.map(f32::to_bits), b.1.map(f32::to_bits), "round {round}, step at {} s", a.0);
        }
    }
    // Single-sample pushes too.
    let ones = run_blocks(&x[..5 * SR as usize], 1.0, 0.5, &mut || 1);
    let whole = run_blocks(&x[..5 * SR as usize], 1.0, 0.5, &mut || usize::MAX);
    assert_eq!(
        ones.iter().map(|s| s.1.map(f32::to_bits)).collect::<Vec<_>>(),
        whole.iter().map(|s| s.1.map(f32::to_bits)).collect::<Vec<_>>()
    );
}
