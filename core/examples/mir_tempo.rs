//! Prints the MIR descriptors of audio files, for comparisons with reference
//! tools and for timing.
//!
//! ```text
//! cargo run -p moodtap-core --release --example mir_tempo -- [--steps|--bench] FILE...
//! ```
//! Default: one tab-separated line per file, `file  tempo_bpm  pulse_clarity`,
//! where tempo is the median of the per-step tempi over steps 1 s apart from
//! 6 s on (each step uses the last 6 s of onsets) and pulse clarity their mean.
//! `--steps`: the per-step CSV (step time, every descriptor in `MIR_NAMES` order).
//! `--bench`: milliseconds for the front end alone and front end + MIR
//! (steps every 45/99 s, 1 s windows), best of 5 runs.

use std::path::Path;
use std::time::Instant;

use moodtap_core::audio::{decode_file, resample::resample_all};
use moodtap_core::dsp::frontend::FrontEnd;
use moodtap_core::features::mir::{MirConfig, MirExtractor, MIR_COUNT, MIR_NAMES};
use moodtap_core::ANALYSIS_RATE_HZ;

fn load(path: &Path) -> anyhow_free::Result<Vec<f32>> {
    let audio = decode_file(path).map_err(|e| e.to_string())?;
    if audio.sample_rate_hz == ANALYSIS_RATE_HZ {
        Ok(audio.samples)
    } else {
        resample_all(&audio.samples, audio.sample_rate_hz, ANALYSIS_RATE_HZ).map_err(|e| e.to_string())
    }
}

/// Minimal error alias so the example needs no extra dependency.
mod anyhow_free {
    pub type Result<T> = std::result::Result<T, String>;
}

fn steps(x: &[f32], window_s: f64, step_s: f64) -> Vec<(f64, [f32; MIR_COUNT])> {
    let mut fe = FrontEnd::new(ANALYSIS_RATE_HZ);
    let mut mir = MirExtractor::new(MirConfig::at(ANALYSIS_RATE_HZ));
    let step_frames = (step_s * mir.frame_rate_hz()).round().max(1.0) as u64;
    let mut out = Vec::with_capacity((x.len() as f64 / ANALYSIS_RATE_HZ as f64 / step_s) as usize + 2);
    let mut on_frame = |mir: &mut MirExtractor, v: &moodtap_core::dsp::frontend::FrameView<'_>| {
        mir.process_frame(v);
        if mir.frames_seen() % step_frames == 0 {
            let mut o = [0.0; MIR_COUNT];
            mir.step(window_s, &mut o);
            out.push((mir.frames_seen() as f64 / mir.frame_rate_hz(), o));
        }
    };
    fe.push(x, |v| on_frame(&mut mir, v));
    fe.finish(|v| on_frame(&mut mir, v));
    out
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut mode = "tempo";
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--steps" => mode = "steps",
            "--bench" => mode = "bench",
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("usage: mir_tempo [--steps|--bench] FILE...");
        std::process::exit(2);
    }
    for f in &files {
        let x = match load(Path::new(f)) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{f}: {e}");
                continue;
            }
        };
        match mode {
            "steps" => {
                println!("time_s,{}", MIR_NAMES.join(","));
                for (t, v) in steps(&x, 1.0, 1.0) {
                    let vals: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
                    println!("{t:.3},{}", vals.join(","));
                }
            }
            "bench" => {
                let dur_s = x.len() as f64 / ANALYSIS_RATE_HZ as f64;
                let (mut fe_ms, mut all_ms) = (f64::MAX, f64::MAX);
                for _ in 0..5 {
                    let t0 = Instant::now();
                    let mut fe = FrontEnd::new(ANALYSIS_RATE_HZ);
                    let mut n = 0u64;
                    fe.push(&x, |v| n += v.index & 1);
                    fe.finish(|v| n += v.index & 1);
                    std::hint::black_box(n);
                    fe_ms = fe_ms.min(t0.elapsed().as_secs_f64() * 1e3);
                    let t0 = Instant::now();
                    std::hint::black_box(steps(&x, 1.0, 45.0 / 99.0));
                    all_ms = all_ms.min(t0.elapsed().as_secs_f64() * 1e3);
                }
                println!(
                    "{f}\t{dur_s:.1} s\tfront end {fe_ms:.1} ms\tfront end + MIR {all_ms:.1} ms\tMIR alone {:.1} ms\t{:.0}x realtime (with front end)",
                    all_ms - fe_ms,
                    dur_s * 1e3 / all_ms
                );
            }
            _ => {
                let s = steps(&x, 1.0, 1.0);
                let late: Vec<&[f32; MIR_COUNT]> = s.iter().filter(|(t, _)| *t >= 6.0).map(|(_, v)| v).collect();
                let tempo = median(late.iter().map(|v| v[1]).collect());
                let clarity = late.iter().map(|v| v[2]).sum::<f32>() / late.len().max(1) as f32;
                println!("{f}\t{tempo:.2}\t{clarity:.3}");
            }
        }
    }
}
