//! Criterion benchmark of the standalone eGeMAPS raw-LLD extractor
//! ([`Egemaps`]) on a 45 s excerpt at 22 050 Hz (see `common::input`), fed in
//! 2048-sample blocks as a decoder would. The target is the whole
//! eGeMAPS functionals run ≥ 10× faster than openSMILE (≈ 0.65 s in-process),
//! so this part should stay well below 30 ms.
//!
//! Run: `cargo bench -p moodtap-core --bench egemaps`. On a shared, loaded
//! machine wall-clock numbers are noisy; the `egemaps_once` target runs one
//! pass for `valgrind --tool=callgrind` / `perf stat -e instructions`.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moodtap_core::features::egemaps::Egemaps;

fn run(e: &mut Egemaps, x: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for block in x.chunks(2048) {
        e.push(block, |f| acc += f.formants.freq_hz[0] + f.spectral.loudness);
    }
    e.finish(|f| acc += f.formants.freq_hz[0] + f.spectral.loudness);
    acc
}

fn bench(c: &mut Criterion) {
    let (x, source) = common::input();
    let mut e = Egemaps::new(common::SR).expect("22 050 Hz is supported");
    let mut g = c.benchmark_group("egemaps");
    g.sample_size(20);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function(format!("raw_llds_45s_{source}"), |b| b.iter(|| black_box(run(&mut e, black_box(&x)))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
