//! The per-frame methods of the voice-quality components must not allocate
//! (realtime rule: `new` allocates, processing never does). A counting global
//! allocator (this test binary only) checks it.

#[path = "common/alloc_counter.rs"]
mod alloc_counter;

use moodtap_core::dsp::spectrum::Spectrum;
use moodtap_core::dsp::window;
use moodtap_core::features::egemaps::config::Framing;
use moodtap_core::features::egemaps::formants::{FormantTracker, Formants};
use moodtap_core::features::egemaps::harmonics::{Harmonics, HarmonicsFrame};
use moodtap_core::features::egemaps::jitter_shimmer::JitterShimmer;

#[test]
fn per_frame_processing_does_not_allocate() {
    let sr = 22_050;
    let fr = Framing::at(sr);
    let x: Vec<f32> =
        (0..sr as usize).map(|i| ((i % 147) as f32 / 147.0 - 0.5) * (1.0 + (i % 7) as f32 * 0.01)).collect();
    let mut spec25 = Spectrum::new(window::hamming(fr.frame25));
    let mut spec60 = Spectrum::new(window::gauss(fr.frame60, 0.4));
    let mut tracker = FormantTracker::new(sr, fr.frame25, spec25.n_fft()).unwrap();
    let mut harm = Harmonics::new(sr, fr.frame60, spec60.n_fft()).unwrap();
    let mut js = JitterShimmer::new(sr, 0.5).unwrap();
    let mut f = Formants::default();
    let mut h = HarmonicsFrame::default();
    let mut pushed = 0;
    let (allocs, ()) = alloc_counter::allocations_during(|| {
        for k in 0..(x.len() - fr.frame60) / fr.hop {
            let start = k * fr.hop;
            let frame = &x[start..start + fr.frame60];
            spec25.process(&frame[..fr.frame25]);
            spec60.process(frame);
            tracker.process(spec25.bins(), &mut f);
            harm.process(spec60.magnitudes(), 150.0, &f, &mut h);
            js.push_samples(&x[pushed..start + fr.frame60]);
            pushed = start + fr.frame60;
            let _ = js.process_frame(k as u64, if k % 10 < 2 { 0.0 } else { 150.0 });
        }
    });
    assert_eq!(allocs, 0, "per-frame processing allocated");
}
