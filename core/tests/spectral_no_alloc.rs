//! `SpectralLlds::process` must not allocate (it runs once per 10 ms hop in
//! the streaming extractor): counted with a wrapping global allocator.

#[path = "common/alloc_counter.rs"]
mod alloc_counter;

use moodtap_core::dsp::spectrum::Spectrum;
use moodtap_core::dsp::window;
use moodtap_core::features::egemaps::spectral_llds::{SpectralFrame, SpectralLlds};

#[test]
fn process_does_not_allocate() {
    let mut spectrum = Spectrum::new(window::hamming(441));
    let mut llds = SpectralLlds::new(22_050, spectrum.n_fft()).expect("valid configuration");
    let frames: Vec<Vec<f32>> = (0..8)
        .map(|k| (0..441).map(|i| ((i * (k + 3)) as f32 * 0.05).sin() * 0.3).collect())
        .chain([vec![0.0; 441], vec![f32::NAN; 441]])
        .collect();
    let mut out = SpectralFrame::default();
    let (allocs, ()) = alloc_counter::allocations_during(|| {
        for f in &frames {
            spectrum.process(f);
            llds.process(f, spectrum.magnitudes(), &mut out);
        }
        llds.reset();
    });
    assert_eq!(allocs, 0);
}
