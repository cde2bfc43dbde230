//! One pass of the eGeMAPS raw-LLD extractor over the 45 s benchmark input,
//! for instruction counting, which stays stable on a loaded machine:
//!
//! ```text
//! cargo bench -p moodtap-core --bench egemaps_once --no-run
//! valgrind --tool=callgrind target/release/deps/egemaps_once-…   # per-function counts
//! perf stat -e instructions target/release/deps/egemaps_once-…
//! ```
//!
//! With `EGEMAPS_DUMP=path` it also writes every raw LLD of every frame to
//! `path` as text (`{:e}` of the f32 values, so bit-exact), to check that an
//! optimisation leaves the output unchanged (`cmp` two dumps).

mod common;

use std::io::Write;
use std::time::Instant;

use moodtap_core::features::egemaps::{Egemaps, IndexedRawLlds};

fn values(f: &IndexedRawLlds) -> Vec<f32> {
    let s = &f.llds.spectral;
    let mut v = vec![
        s.loudness_sones,
        s.alpha_ratio_db,
        s.hammarberg_index_db,
        s.slope_0_500,
        s.slope_500_1500,
        s.spectral_flux,
        s.energy_sq,
    ];
    v.extend(s.mfcc);
    if let Some(vq) = &f.llds.voice {
        v.extend([f.f0_hz, vq.f0_semitones, vq.jitter_local, vq.shimmer_local_db]);
        v.extend([vq.hnr_db, vq.h1_h2_db, vq.h1_a3_db]);
        v.extend(vq.formant_freq_hz);
        v.extend(vq.formant_bandwidth_hz);
        v.extend(vq.formant_amplitude_db);
    }
    v
}

fn main() {
    let (x, source) = common::input();
    let mut e = Egemaps::new(common::SR).expect("22 050 Hz is supported");
    let mut frames = Vec::with_capacity(x.len() / 221 + 8);
    let t = Instant::now();
    for block in x.chunks(2048) {
        e.push(block, |f| frames.push(*f));
    }
    e.finish(|f| frames.push(*f));
    let dt = t.elapsed();
    eprintln!("{source}: {} frames in {:.1} ms", frames.len(), dt.as_secs_f64() * 1e3);
    if let Some(path) = std::env::var_os("EGEMAPS_DUMP") {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("dump file"));
        for f in &frames {
            let line: Vec<String> = values(f).iter().map(|v| format!("{v:e}")).collect();
            writeln!(out, "{} {}", f.index, line.join(" ")).expect("write dump");
        }
    }
}
