//! `SpectralLlds::process` must not allocate (it runs once per 10 ms hop in
//! the streaming extractor): counted with a wrapping global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use moodtap_core::dsp::spectrum::Spectrum;
use moodtap_core::dsp::window;
use moodtap_core::features::egemaps::spectral_llds::{SpectralFrame, SpectralLlds};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn process_does_not_allocate() {
    let mut spectrum = Spectrum::new(window::hamming(441));
    let mut llds = SpectralLlds::new(22_050, spectrum.n_fft()).expect("valid configuration");
    let frames: Vec<Vec<f32>> = (0..8)
        .map(|k| (0..441).map(|i| ((i * (k + 3)) as f32 * 0.05).sin() * 0.3).collect())
        .chain([vec![0.0; 441], vec![f32::NAN; 441]])
        .collect();
    let mut out = SpectralFrame::default();
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for f in &frames {
        spectrum.process(f);
        llds.process(f, spectrum.magnitudes(), &mut out);
    }
    llds.reset();
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst) - before, 0);
}
