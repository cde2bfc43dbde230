//! Research tool: what the default model says when it sees only the last `K` steps of the
//! music (older positions hold zeros, the normalised mean, exactly as while its context
//! fills after a start). One column pair per `K`; docs/responsiveness.md uses it to ask
//! how fast a short-context reading of the same network follows a change.
//!
//! `cargo run --release -p moodtap-core --example short_context -- AUDIO K [K …] > out.csv`
//! writes `time_s,arousal_K,valence_K,…` (one row per 0.15 s step; mono mix, any rate).

use moodtap_core::audio::decode_file;
use moodtap_core::audio::resample::resample_all;
use moodtap_core::model::default_model;
use moodtap_core::steps::{Step, StepConfig, StepExtractor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: short_context AUDIO K [K …]   (K: steps of 0.15 s the model may see, 1..=299)";
    let (path, ks) = args.split_first().ok_or(usage)?;
    let ks: Vec<usize> = ks.iter().map(|k| k.parse()).collect::<Result<_, _>>().map_err(|_| usage)?;
    let mut model = default_model()?;
    let meta = model.metadata().clone();
    let (t, fusion) = (meta.t_steps, meta.live_fusion()?);
    let n = fusion.n_features();
    if ks.is_empty() || ks.iter().any(|&k| k == 0 || k > t) {
        return Err(usage.into());
    }
    let audio = decode_file(std::path::Path::new(path))?;
    let x = resample_all(&audio.samples, audio.sample_rate_hz, moodtap_core::ANALYSIS_RATE_HZ)?;
    let mut steps =
        StepExtractor::new(moodtap_core::ANALYSIS_RATE_HZ, StepConfig { window_s: meta.window_s, hop_s: meta.hop_s })?;
    let mut fused: Vec<f32> = Vec::new();
    let mut input = vec![0.0f32; t * n];
    let header: Vec<String> = ks.iter().flat_map(|k| [format!("arousal_{k}"), format!("valence_{k}")]).collect();
    println!("time_s,{}", header.join(","));
    let mut on_step = |s: &Step| {
        let row = fused.len();
        fused.resize(row + n, 0.0);
        fusion.fuse_step(&s.values, &mut fused[row..]);
        let seen = fused.len() / n;
        let mut line = s.time_s.to_string();
        for &k in &ks {
            let m = seen.min(k);
            input.fill(0.0);
            input[(t - m) * n..].copy_from_slice(&fused[(seen - m) * n..]);
            let e = model.predict(&input).expect("input is T × N");
            line.push_str(&format!(",{},{}", e.arousal, e.valence));
        }
        println!("{line}");
    };
    steps.push(&x, &mut on_step);
    steps.finish(&mut on_step);
    Ok(())
}
