//! Step vectors: the grid, streaming = offline under random block sizes, and
//! defined output on degenerate input.

use moodtap_core::steps::{raw_step_names, Step, StepConfig, StepExtractor, RAW_STEP_LEN};
use rand::{Rng, SeedableRng};

const SR: u32 = 22_050;

fn music_like(secs: f64, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n = (secs * SR as f64) as usize;
    let beat = (SR as f64 * 0.5) as usize; // 120 BPM clicks
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / SR as f64;
            let f0 = [220.0, 261.6, 329.6, 392.0][(t / 2.0) as usize % 4];
            phase += 2.0 * std::f64::consts::PI * f0 / SR as f64;
            let tone: f64 = (1..6).map(|h| (h as f64 * phase).sin() / h as f64).sum::<f64>() * 0.15;
            let click = if i % beat < 200 { rng.random_range(-0.5..0.5) } else { 0.0 };
            (tone + click) as f32
        })
        .collect()
}

fn run(x: &[f32], cfg: StepConfig, blocks: &[usize]) -> Vec<Step> {
    let mut s = StepExtractor::new(SR, cfg).unwrap();
    let mut out = Vec::new();
    let mut pos = 0;
    for &b in blocks.iter().cycle() {
        if pos >= x.len() {
            break;
        }
        let n = b.min(x.len() - pos);
        s.push(&x[pos..pos + n], |st| out.push(*st));
        pos += n;
    }
    s.finish(|st| out.push(*st));
    out
}

#[test]
fn a_45_s_clip_gives_t_steps_ending_at_its_end() {
    let x = music_like(45.0, 1);
    for t in [99usize, 199] {
        let cfg = StepConfig { window_s: 1.0, hop_s: 45.0 / t as f64 };
        let steps = run(&x, cfg, &[x.len()]);
        assert_eq!(steps.len(), t, "T = {t}");
        for (i, s) in steps.iter().enumerate() {
            assert_eq!(s.index, i as u64 + 1);
            assert!((s.time_s - (i + 1) as f64 * cfg.hop_s).abs() < 1e-9);
            assert!(s.values.iter().all(|v| v.is_finite()));
        }
        assert!((steps.last().unwrap().time_s - 45.0).abs() < 1e-6);
    }
    assert_eq!(raw_step_names().count(), RAW_STEP_LEN);
}

#[test]
fn streaming_equals_offline_for_random_block_sizes() {
    let x = music_like(12.0, 2);
    let cfg = StepConfig { window_s: 1.0, hop_s: 45.0 / 99.0 };
    let offline = run(&x, cfg, &[x.len()]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for _ in 0..5 {
        let blocks: Vec<usize> = (0..300).map(|_| rng.random_range(1..=8192)).collect();
        assert_eq!(run(&x, cfg, &blocks), offline);
    }
}

#[test]
fn steps_summarise_their_own_window() {
    // Loud first half, silent second half: loudness mean (column 10) of
    // steps entirely in the silence is ~0, in the sound it is not.
    let mut x = music_like(6.0, 4);
    for v in x[3 * SR as usize..].iter_mut() {
        *v = 0.0;
    }
    let cfg = StepConfig { window_s: 1.0, hop_s: 0.5 };
    let steps = run(&x, cfg, &[4096]);
    let loud = |t: f64| steps.iter().find(|s| (s.time_s - t).abs() < 1e-6).unwrap().values[10];
    assert!(loud(2.5) > 0.05, "{}", loud(2.5));
    assert!(loud(5.5) < 0.01, "{}", loud(5.5));
}

#[test]
fn degenerate_inputs_give_finite_steps() {
    let cfg = StepConfig { window_s: 1.0, hop_s: 0.25 };
    let cases: Vec<Vec<f32>> = vec![
        vec![],
        vec![0.3; 10],
        vec![0.0; SR as usize * 2],
        vec![0.5; SR as usize * 2],
        (0..SR as usize * 2).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect(),
    ];
    for x in cases {
        let steps = run(&x, cfg, &[1000]);
        let expect = ((x.len() as f64 / SR as f64) / 0.25 + 1e-9).floor() as usize;
        assert_eq!(steps.len(), expect, "len {}", x.len());
        assert!(steps.iter().all(|s| s.values.iter().all(|v| v.is_finite())));
    }
}

#[test]
fn invalid_timing_is_an_error() {
    assert!(StepExtractor::new(SR, StepConfig { window_s: 0.0, hop_s: 0.5 }).is_err());
    assert!(StepExtractor::new(SR, StepConfig { window_s: 1.0, hop_s: 0.0 }).is_err());
    assert!(StepExtractor::new(SR, StepConfig { window_s: 60.0, hop_s: 0.5 }).is_err());
    assert!(StepExtractor::new(SR, StepConfig { window_s: f64::NAN, hop_s: 0.5 }).is_err());
}
