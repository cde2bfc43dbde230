//! Streaming eGeMAPS: random push block sizes give the same smoothed rows and
//! functionals as one offline pass, and after construction the stream never
//! allocates (a counting global allocator watches the hot loop).

#[path = "common/alloc_counter.rs"]
mod alloc_counter;

use moodtap_core::features::egemaps::config::HOP_S;
use moodtap_core::features::egemaps::functionals::EgemapsFunctionals;
use moodtap_core::features::egemaps::lld::SmoothedLlds;
use moodtap_core::features::egemaps::offline::analyze;
use moodtap_core::features::egemaps::smoothing::LldSmoother;
use moodtap_core::features::egemaps::Egemaps;
use rand::{Rng, SeedableRng};

/// 8 s of a voiced, vibrato tone over noise with pauses: every LLD family is active.
fn signal() -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(66);
    let sr = 22_050.0;
    let mut phase = 0.0f64;
    (0..(8.0 * sr) as usize)
        .map(|i| {
            let t = i as f64 / sr;
            phase +=
                2.0 * std::f64::consts::PI * 180.0 * (1.0 + 0.03 * (2.0 * std::f64::consts::PI * 4.0 * t).sin()) / sr;
            let voiced = if (t % 1.3) < 0.9 {
                (1..8).map(|h| (h as f64 * phase).sin() / h as f64).sum::<f64>() * 0.2
            } else {
                0.0
            };
            (voiced + 0.01 * rng.random_range(-1.0..1.0)) as f32
        })
        .collect()
}

fn stream(x: &[f32], blocks: &[usize]) -> Vec<SmoothedLlds> {
    let mut e = Egemaps::new(22_050).unwrap();
    let mut s = LldSmoother::new();
    let mut rows = Vec::new();
    let mut pos = 0;
    for &b in blocks.iter().cycle() {
        if pos >= x.len() {
            break;
        }
        let n = b.min(x.len() - pos);
        e.push(&x[pos..pos + n], |f| rows.extend(s.push(&f.llds)));
        pos += n;
    }
    e.finish(|f| rows.extend(s.push(&f.llds)));
    rows.extend(s.flush().into_iter().flatten());
    rows
}

#[test]
fn random_block_sizes_equal_the_offline_pass() {
    let x = signal();
    let offline = analyze(&x, 22_050).unwrap();
    let f_offline = offline.functionals().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..6 {
        let blocks: Vec<usize> = (0..200).map(|_| rng.random_range(1..=8192)).collect();
        let rows = stream(&x, &blocks);
        assert_eq!(rows, offline.rows, "smoothed rows differ for blocks {:?}…", &blocks[..4]);
        let mut f = [0.0; 88];
        EgemapsFunctionals::new(rows.len()).compute(&rows, HOP_S, &mut f).unwrap();
        assert_eq!(f, f_offline);
    }
}

#[test]
fn streaming_never_allocates_after_construction() {
    let x = signal();
    let mut e = Egemaps::new(22_050).unwrap();
    let mut s = LldSmoother::new();
    let mut window = vec![SmoothedLlds::default(); 128];
    let mut f = [0.0f32; 88];
    let mut functionals = EgemapsFunctionals::new(128);
    // Warm-up: one second, so every lazily sized buffer has its size.
    e.push(&x[..22_050], |_| {});
    let mut n = 0usize;
    let (allocs, ()) = alloc_counter::allocations_during(|| {
        for block in x[22_050..].chunks(777) {
            e.push(block, |raw| {
                if let Some(row) = s.push(&raw.llds) {
                    window[n % 128] = row;
                    n += 1;
                }
            });
            if n >= 100 {
                functionals.compute(&window[..100], HOP_S, &mut f).unwrap();
            }
        }
    });
    assert!(n > 500);
    assert_eq!(allocs, 0, "allocations in the streaming hot loop");
}

#[test]
fn the_counter_sees_allocations() {
    let (n, v) = alloc_counter::allocations_during(|| vec![1u8; 64]);
    assert!(n >= 1 && v.len() == 64);
}
