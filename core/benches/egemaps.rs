//! Criterion benchmarks of the eGeMAPS raw-LLD extractor on a 45 s excerpt
//! at 22 050 Hz (see `common::input`):
//!
//! - `egemaps/raw_llds_45s_*`: the standalone [`Egemaps`] (front end and all
//!   LLD families), fed in 2048-sample blocks as a decoder would. The issue's
//!   target is the whole eGeMAPS functionals run ≥ 10× faster than openSMILE
//!   (≈ 0.65 s in-process), so this part should stay well below 30 ms.
//! - `egemaps_components/*`: each hot component alone over the same 4488
//!   frames, with inputs (spectra, final F0, formants) precomputed, to see
//!   where the time goes; latency-bound code (serial recurrences) costs more
//!   time than its instruction count suggests.
//!
//! Run: `cargo bench -p moodtap-core --bench egemaps`. On a shared, loaded
//! machine wall-clock numbers are noisy; the `egemaps_once` target runs one
//! pass for `valgrind --tool=callgrind` / `perf stat -e instructions`.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moodtap_core::dsp::framer::Framer;
use moodtap_core::dsp::spectrum::Spectrum;
use moodtap_core::dsp::window;
use moodtap_core::features::egemaps::config::{Framing, FRAME60_GAUSS_SIGMA};
use moodtap_core::features::egemaps::formants::{FormantTracker, Formants};
use moodtap_core::features::egemaps::harmonics::{Harmonics, HarmonicsFrame};
use moodtap_core::features::egemaps::jitter_shimmer::{JitterShimmer, INPUT_MAX_DELAY_S};
use moodtap_core::features::egemaps::pitch_shs::{PitchShs, PitchShsConfig, ShsCandidates};
use moodtap_core::features::egemaps::spec_scale::{opensmile_bin_hz, SpecScale, SpecScaleConfig};
use moodtap_core::features::egemaps::Egemaps;
use realfft::num_complex::Complex32;

fn run(e: &mut Egemaps, x: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for block in x.chunks(2048) {
        e.push(block, |f| acc += f.f0_hz + f.llds.spectral.loudness_sones);
    }
    e.finish(|f| acc += f.f0_hz + f.llds.spectral.loudness_sones);
    acc
}

fn whole(c: &mut Criterion) {
    let (x, source) = common::input();
    let mut e = Egemaps::new(common::SR).expect("22 050 Hz is supported");
    let mut g = c.benchmark_group("egemaps");
    g.sample_size(20);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function(format!("raw_llds_45s_{source}"), |b| b.iter(|| black_box(run(&mut e, black_box(&x)))));
    g.finish();
}

/// Per-frame inputs of the components, from our own front end and chain.
struct Frames {
    bins25: Vec<Vec<Complex32>>,
    mag60: Vec<Vec<f32>>,
    octave: Vec<Vec<f32>>,
    f0_hz: Vec<f32>,
    formants: Vec<Formants>,
}

fn frames(x: &[f32]) -> Frames {
    let sr = common::SR;
    let fr = Framing::at(sr);
    let mut framer = Framer::new(fr.frame60, fr.hop);
    let mut spec25 = Spectrum::new(window::hamming(fr.frame25));
    let mut spec60 = Spectrum::new(window::gauss(fr.frame60, FRAME60_GAUSS_SIGMA));
    let mut f = Frames { bins25: vec![], mag60: vec![], octave: vec![], f0_hz: vec![], formants: vec![] };
    framer.push(x, |_, frame| {
        spec25.process(&frame[..fr.frame25]);
        spec60.process(frame);
        f.bins25.push(spec25.bins().to_vec());
        f.mag60.push(spec60.magnitudes().to_vec());
    });
    let n_mag = f.mag60[0].len();
    let mut scale = SpecScale::new(SpecScaleConfig::EGEMAPS, n_mag, opensmile_bin_hz(sr, fr.frame60, spec60.n_fft()));
    for m in &f.mag60 {
        let mut o = vec![0.0; scale.n_points()];
        scale.process(m, &mut o);
        f.octave.push(o);
    }
    let mut e = Egemaps::new(sr).expect("22 050 Hz is supported");
    let mut raw = Vec::new();
    e.push(x, |r| raw.push(*r));
    e.finish(|r| raw.push(*r));
    for r in raw.iter().filter(|r| r.llds.voice.is_some()).take(f.mag60.len()) {
        f.f0_hz.push(r.f0_hz);
    }
    let n_fft25 = 2 * (f.bins25[0].len() - 1);
    let mut tracker = FormantTracker::new(sr, fr.frame25, n_fft25).expect("valid geometry");
    for bins in &f.bins25[..f.f0_hz.len()] {
        let mut out = Formants::default();
        tracker.process(bins, &mut out);
        f.formants.push(out);
    }
    f
}

fn components(c: &mut Criterion) {
    let (x, _) = common::input();
    let sr = common::SR;
    let fr = Framing::at(sr);
    let f = frames(&x);
    let n = f.f0_hz.len();
    let n_mag = f.mag60[0].len();
    let n_fft25 = 2 * (f.bins25[0].len() - 1);
    let n_fft60 = 2 * (n_mag - 1);
    let mut g = c.benchmark_group("egemaps_components");
    g.sample_size(20);
    g.throughput(Throughput::Elements(n as u64));

    let mut scale = SpecScale::new(SpecScaleConfig::EGEMAPS, n_mag, opensmile_bin_hz(sr, fr.frame60, n_fft60));
    let mut octave = vec![0.0f32; scale.n_points()];
    g.bench_function("spec_scale", |b| {
        b.iter(|| {
            for m in &f.mag60[..n] {
                scale.process(black_box(m), &mut octave);
            }
            black_box(octave[100])
        })
    });

    let mut shs = PitchShs::new(PitchShsConfig::EGEMAPS, scale.axis(), scale.n_points());
    let mut cand = ShsCandidates::default();
    g.bench_function("pitch_shs", |b| {
        b.iter(|| {
            for o in &f.octave[..n] {
                shs.process(black_box(o), &mut cand);
            }
            black_box(cand.f0_hz[0])
        })
    });

    let mut tracker = FormantTracker::new(sr, fr.frame25, n_fft25).expect("valid geometry");
    let mut formants = Formants::default();
    g.bench_function("formants", |b| {
        b.iter(|| {
            for bins in &f.bins25[..n] {
                tracker.process(black_box(bins), &mut formants);
            }
            black_box(formants.freq_hz[0])
        })
    });

    let mut harmonics = Harmonics::new(sr, fr.frame60, n_fft60).expect("valid geometry");
    let mut h = HarmonicsFrame::default();
    g.bench_function("harmonics", |b| {
        b.iter(|| {
            for k in 0..n {
                harmonics.process(black_box(&f.mag60[k]), f.f0_hz[k], &f.formants[k], &mut h);
            }
            black_box(h.hnr_acf_db)
        })
    });

    let mut jitter = JitterShimmer::new(sr, INPUT_MAX_DELAY_S).expect("valid configuration");
    g.bench_function("jitter_shimmer", |b| {
        b.iter(|| {
            jitter.reset();
            let mut pushed = 0;
            let mut acc = 0.0f32;
            for k in 0..n {
                let need = (k * fr.hop + fr.frame60).min(x.len());
                jitter.push_samples(&x[pushed..need]);
                pushed = need;
                acc += jitter.process_frame(k as u64, f.f0_hz[k]).map_or(0.0, |j| j.jitter_local);
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, whole, components);
criterion_main!(benches);
