//! Feature selection on synthetic data where only some features carry the
//! label signal: the wrapper must keep exactly those.
#![cfg(feature = "selection")]

use moodtap_core::features::mir::MIR_NAMES;
use moodtap_core::selection::{filter_scores, select, Search, SelectionConfig, SelectionError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The first nine MIR names: the algorithm under test does not care which features these are.
fn names() -> &'static [&'static str] {
    &MIR_NAMES[..9]
}

/// Approximately standard normal (sum of 12 uniforms − 6).
fn normal(rng: &mut StdRng) -> f64 {
    (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0
}

/// `songs` rows of the nine MIR names. Valence depends on features 0
/// (pitch) and 5 (brightness), arousal on 1 (tempo); the other six are
/// noise. Labels are in [0, 1] like the trainer's, with noise of 0.03.
fn dataset(songs: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::new();
    let (mut v, mut a) = (Vec::new(), Vec::new());
    for _ in 0..songs {
        let x: Vec<f64> = (0..9).map(|_| normal(&mut rng)).collect();
        let val = 0.5 + 0.15 * (x[0]).tanh() + 0.12 * (0.8 * x[5]).sin() + 0.03 * normal(&mut rng);
        let aro = 0.5 + 0.2 * (0.9 * x[1]).tanh() + 0.03 * normal(&mut rng);
        // Scale the features differently, as raw descriptors are (Hz, BPM, 0…1).
        let scaled: Vec<f64> =
            x.iter().enumerate().map(|(j, &z)| z * (1.0 + 10.0 * j as f64) + 3.0 * j as f64).collect();
        rows.push(scaled);
        v.push(val.clamp(0.0, 1.0));
        a.push(aro.clamp(0.0, 1.0));
    }
    (rows, v, a)
}

#[test]
fn wrapper_keeps_the_informative_features_and_drops_the_rest() {
    let (rows, v, a) = dataset(150, 1);
    let t0 = std::time::Instant::now();
    let sel = select(names(), &rows, &v, &a, &SelectionConfig::default()).unwrap();
    eprintln!("exhaustive selection of 9 features on 150 songs: {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(sel.subsets.len(), 511);
    assert_eq!(sel.chosen, vec![0, 1, 5], "chosen {:?}, best subsets {:?}", sel.chosen_names(), &sel.subsets[..5]);
    // The filter sees the same signal: |r| of the informative features is
    // high for their dimension (≥ 0.5), noise features stay low (≤ 0.25
    // for 150 songs: |r| of independent data has sd ≈ 0.08).
    let f = &sel.filter;
    assert!(f[0].r_valence > 0.5 && f[5].r_valence.abs() > 0.3 && f[1].r_arousal > 0.5, "{f:?}");
    for j in [2, 3, 4, 6, 7, 8] {
        assert!(f[j].r_valence.abs() < 0.25 && f[j].r_arousal.abs() < 0.25, "{:?}", f[j]);
    }
    // Deterministic with the seed.
    let again = select(names(), &rows, &v, &a, &SelectionConfig::default()).unwrap();
    assert_eq!(again, sel);
}

#[test]
fn forward_search_agrees_on_the_informative_features() {
    let (rows, v, a) = dataset(150, 2);
    let cfg = SelectionConfig { search: Search::Forward, ..Default::default() };
    let sel = select(names(), &rows, &v, &a, &cfg).unwrap();
    assert_eq!(sel.subsets.len(), 45);
    assert_eq!(sel.chosen, vec![0, 1, 5], "chosen {:?}", sel.chosen_names());
}

#[test]
fn bad_inputs_are_errors() {
    let (rows, v, a) = dataset(20, 3);
    let cfg = SelectionConfig::default();
    assert!(matches!(select(names(), &[], &[], &[], &cfg), Err(SelectionError::Empty { .. })));
    assert!(matches!(select(names(), &rows, &v[..5], &a, &cfg), Err(SelectionError::LabelCount { .. })));
    let mut bad = rows.clone();
    bad[3][2] = f64::NAN;
    assert!(matches!(select(names(), &bad, &v, &a, &cfg), Err(SelectionError::NonFinite { song: 3, .. })));
    bad[3].pop();
    assert!(matches!(select(names(), &bad, &v, &a, &cfg), Err(SelectionError::Ragged { song: 3, .. })));
    assert!(matches!(select(names(), &rows[..7], &v[..7], &a[..7], &cfg), Err(SelectionError::TooFewSongs { .. })));
    assert!(matches!(
        select(names(), &rows, &v, &a, &SelectionConfig { folds: 1, ..cfg }),
        Err(SelectionError::Config(_))
    ));
    // A constant feature is harmless: r = 0, z-scored to 0.
    let mut flat = rows.clone();
    flat.iter_mut().for_each(|r| r[4] = 7.0);
    let f = filter_scores(names(), &flat, &v, &a).unwrap();
    assert_eq!((f[4].r_valence, f[4].r_arousal), (0.0, 0.0));
}
