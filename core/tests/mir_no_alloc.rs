//! `MirExtractor::process_frame` and `MirExtractor::step` must not allocate
//! (they run once per 10 ms hop and once per step in the plugin's analysis
//! thread): counted with a wrapping global allocator. The front end is
//! allocation-free too, so whole pushes are measured.

#[path = "common/alloc_counter.rs"]
mod alloc_counter;

use moodtap_core::dsp::frontend::FrontEnd;
use moodtap_core::features::mir::{MirConfig, MirExtractor, MIR_COUNT};

#[test]
fn frames_and_steps_do_not_allocate() {
    // 12 s: tones with clicks (peaks, pitch, onsets), noise, silence, NaN —
    // long enough to wrap every ring (10 s windows, 6 s onsets, novelty).
    let sr = 22_050usize;
    let mut x: Vec<f32> = (0..12 * sr)
        .map(|i| {
            let t = i as f32 / sr as f32;
            let tone = 0.2 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 330.0 * t).sin();
            let click = if i % 11_025 < 100 { 0.5 } else { 0.0 };
            let noise = ((i * 7919 % 1009) as f32 / 1009.0 - 0.5) * 0.2;
            if i < 8 * sr {
                tone + click
            } else if i < 10 * sr {
                noise
            } else {
                0.0
            }
        })
        .collect();
    for v in x.iter_mut().skip(11 * sr).step_by(500) {
        *v = f32::NAN;
    }
    let mut fe = FrontEnd::new(22_050);
    let mut mir = MirExtractor::new(MirConfig::at(22_050));
    let mut out = [0.0f32; MIR_COUNT];
    let (allocs, ()) = alloc_counter::allocations_during(|| {
        for block in x.chunks(1000) {
            fe.push(block, |v| {
                mir.process_frame(v);
                if v.index % 45 == 0 {
                    mir.step(1.0, &mut out);
                    mir.step(10.0, &mut out);
                }
            });
        }
        fe.finish(|v| mir.process_frame(v));
        mir.step(1.0, &mut out);
        let _ = mir.novelty_curve().count();
        mir.reset();
    });
    assert_eq!(allocs, 0);
    assert!(out.iter().all(|v| v.is_finite()));
}
