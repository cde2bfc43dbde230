//! Times the ε-SVR wrapper on synthetic song-level data.
//!
//! ```text
//! cargo run -p moodtap-core --release --example selection_bench -- SONGS [exhaustive|forward]
//! ```

use std::time::Instant;

use moodtap_core::features::mir::MIR_NAMES;
use moodtap_core::selection::{select, Search, SelectionConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let songs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let search = match args.next().as_deref() {
        Some("forward") => Search::Forward,
        _ => Search::Exhaustive,
    };
    // Deterministic pseudo-random features; labels depend on features 0, 1, 5.
    let mut state = 12345u64;
    let mut u = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut rows = Vec::new();
    let (mut v, mut a) = (Vec::new(), Vec::new());
    for _ in 0..songs {
        let x: Vec<f64> = (0..9).map(|_| 3.0 * u()).collect();
        v.push(0.5 + 0.15 * x[0].tanh() + 0.1 * x[5].sin() + 0.05 * u());
        a.push(0.5 + 0.2 * x[1].tanh() + 0.05 * u());
        rows.push(x);
    }
    let t0 = Instant::now();
    let sel = match select(&MIR_NAMES, &rows, &v, &a, &SelectionConfig { search, ..Default::default() }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{songs} songs, {:?}: {} subsets in {secs:.2} s ({:.1} ms per subset, 5 folds x 2 dims); chosen {:?}",
        search,
        sel.subsets.len(),
        secs * 1e3 / sel.subsets.len() as f64,
        sel.chosen_names()
    );
}
