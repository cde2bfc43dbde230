//! Benchmarks for BENCHMARKS.md, in the clack-host test host:
//! audio-thread cost per 512-sample stereo block at 48 kHz, analysis-thread
//! CPU share of one core, and the host's resident memory with one instance.
//!
//! `cargo xtask bundle moodtap-plugin --release && cargo run --release -p moodtap-tests --bin moodtap-bench`
//! (bundle: first argument, else `MOODTAP_CLAP`, else `<target>/bundled/moodtap.clap`).

use anyhow::Result;
use moodtap_tests::*;
use std::path::PathBuf;

fn main() -> Result<()> {
    let bundle = match std::env::args().nth(1) {
        Some(p) => PathBuf::from(p),
        None => clap_bundle()?,
    };
    let (music, rate) = music(60.0)?;
    let input = resample_linear(&music, rate, 48_000);
    let rss_bare = rss_bytes();
    let mut host = Host::load(&bundle)?;
    let rss_loaded = rss_bytes();
    let run = Run::stereo(48_000.0, 512, Some(4.0));
    let mut cpu = 0.0f64;
    let mut rss_peak = 0u64;
    let c = host.process_audio(&input, &run, |_| {
        if let Some(s) = thread_cpu_s("moodtap-analysi") {
            cpu = cpu.max(s);
        }
        rss_peak = rss_peak.max(rss_bytes());
    })?;
    let mut ns = c.block_ns.clone();
    ns.sort_unstable();
    let pct = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize] as f64 / 1e3;
    let budget_us = 512.0 / 48_000.0 * 1e6;
    let audio_s = input.len() as f64 / 48_000.0;
    println!("bundle: {}", bundle.display());
    println!("blocks: {} x 512 stereo @ 48 kHz ({audio_s:.0} s of music, paced 4x)", ns.len());
    println!(
        "process() wall time per block: median {:.2} us, p99 {:.2} us, max {:.2} us; budget {budget_us:.0} us -> median {:.4} % / p99 {:.4} %",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        100.0 * pct(0.5) / budget_us,
        100.0 * pct(0.99) / budget_us
    );
    println!(
        "analysis thread CPU: {cpu:.2} s for {audio_s:.0} s of audio -> {:.2} % of one core in real time",
        100.0 * cpu / audio_s
    );
    println!(
        "RSS: bare host {:.1} MB, after load {:.1} MB, peak while processing {:.1} MB -> +{:.1} MB",
        rss_bare as f64 / 1e6,
        rss_loaded as f64 / 1e6,
        rss_peak as f64 / 1e6,
        (rss_peak.saturating_sub(rss_bare)) as f64 / 1e6
    );
    println!("MIDI events: {}, bit-exact: {}", c.midi.len(), c.non_bit_exact_blocks == 0);
    Ok(())
}
