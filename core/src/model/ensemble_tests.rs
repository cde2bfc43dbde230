//! Tests of ensemble model files (format versions 2 and 3): what they estimate, that they stay
//! allocation-free paths of the same code, and that every malformed ensemble is refused.

use burn::tensor::Device;
use proptest::prelude::*;

use super::config::ModelConfig;
use super::file::{
    crc32, EnsembleHeader, MemberWeights, ModelFile, ModelFileError, ModelMetadata, TrainingProvenance,
    ENSEMBLE_FORMAT_VERSION, MAGIC, MAX_MEMBERS, PER_READING_FORMAT_VERSION,
};
use super::file_tests::{metadata, network};
use super::inference::{LoadedModel, ValenceArousal};

const T: usize = 16;
const N: usize = 12;

/// A single-model file with network seed `seed`; `shifted` gives it other statistics.
fn member(seed: u64, shifted: bool) -> (ModelMetadata, Vec<u8>) {
    let config = ModelConfig::cbsa(T, N);
    let mut meta = metadata(config.clone());
    if shifted {
        for (i, (m, s)) in meta.norm_mean.iter_mut().zip(&mut meta.norm_std).enumerate() {
            *m += 0.3 * i as f32 - 1.0;
            *s *= 0.5 + 0.1 * i as f32;
        }
    }
    let device = Device::flex();
    device.seed(seed);
    let bytes = ModelFile::to_bytes(&meta, &config.init(&device)).unwrap();
    (meta, bytes)
}

fn header(weights: &[(f32, f32)]) -> EnsembleHeader {
    EnsembleHeader {
        training: TrainingProvenance { dataset: "an ensemble".into(), notes: "test".into(), ..Default::default() },
        weights: weights_of(weights),
        now_weights: None,
    }
}

fn weights_of(weights: &[(f32, f32)]) -> Vec<MemberWeights> {
    weights.iter().map(|&(valence, arousal)| MemberWeights { valence, arousal }).collect()
}

/// An ensemble whose now reading has its own weights.
fn per_reading(long: &[(f32, f32)], now: &[(f32, f32)], members: &[&[u8]]) -> Result<Vec<u8>, ModelFileError> {
    ModelFile::ensemble_to_bytes(&EnsembleHeader { now_weights: Some(weights_of(now)), ..header(long) }, members)
}

fn ensemble(weights: &[(f32, f32)], members: &[&[u8]]) -> Result<Vec<u8>, ModelFileError> {
    ModelFile::ensemble_to_bytes(&header(weights), members)
}

/// Raw feature rows (`T × N`) within a few standard deviations of `meta`'s statistics.
fn raw_steps(meta: &ModelMetadata, rows: usize) -> Vec<f32> {
    (0..rows * N).map(|i| meta.norm_mean[i % N] + meta.norm_std[i % N] * (((i * 7) % 23) as f32 / 5.0 - 2.2)).collect()
}

/// `raw` z-scored with `meta`'s statistics, as fusion does.
fn z(meta: &ModelMetadata, raw: &[f32]) -> Vec<f32> {
    raw.iter().enumerate().map(|(i, x)| (x - meta.norm_mean[i % N]) / meta.norm_std[i % N]).collect()
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 2e-5
}

#[test]
fn each_dimension_comes_from_its_members() {
    let (meta_a, a) = member(1, false);
    let (meta_b, b) = member(2, true);
    let bytes = ensemble(&[(1.0, 0.0), (0.0, 1.0)], &[&a, &b]).unwrap();
    let mut both = LoadedModel::from_bytes(&bytes).unwrap();
    let (mut alone_a, mut alone_b) = (LoadedModel::from_bytes(&a).unwrap(), LoadedModel::from_bytes(&b).unwrap());
    assert_eq!(both.member_count(), 2);
    // The ensemble reads its input with the first member's statistics and shows its provenance.
    assert_eq!(both.metadata().norm_mean, meta_a.norm_mean);
    assert_eq!(both.metadata().training.dataset, "an ensemble");
    let raw = raw_steps(&meta_a, T);
    let (za, zb) = (z(&meta_a, &raw), z(&meta_b, &raw));
    let e = both.predict(&za).unwrap();
    let (ea, eb) = (alone_a.predict(&za).unwrap(), alone_b.predict(&zb).unwrap());
    // The first member sees the input unchanged: bit-identical; the second re-standardised.
    assert_eq!(e.valence, ea.valence);
    assert!(close(e.arousal, eb.arousal), "ensemble {e:?}, member b alone {eb:?}");
    assert_ne!(ea.arousal, eb.arousal, "the members must differ for this test to mean anything");
    // Steps not heard yet (zero rows at the start of a stream) are each member's own mean.
    let (mut za_start, mut zb_start) = (za.clone(), zb.clone());
    za_start[..5 * N].fill(0.0);
    zb_start[..5 * N].fill(0.0);
    let (e_start, eb_start) = (both.predict(&za_start).unwrap(), alone_b.predict(&zb_start).unwrap());
    assert!(
        close(e_start.arousal, eb_start.arousal),
        "stream start: ensemble {e_start:?}, member b alone {eb_start:?}"
    );
    let burn = both.predict_burn(&za).unwrap();
    assert!(close(burn.valence, e.valence) && close(burn.arousal, e.arousal), "burn {burn:?}, fast {e:?}");
    let k = both.now_input_len();
    let now = both.predict_now(&za[za.len() - k..]).unwrap();
    let (na, nb) =
        (alone_a.predict_now(&za[za.len() - k..]).unwrap(), alone_b.predict_now(&zb[zb.len() - k..]).unwrap());
    assert_eq!(now.valence, na.valence);
    assert!(close(now.arousal, nb.arousal), "now: ensemble {now:?}, member b alone {nb:?}");
}

/// Equal weights give the mean of the members alone. Members with the first one's statistics
/// see the input itself (no re-standardisation, the weighted sum exact); members that share
/// other statistics share one re-standardised input.
#[test]
fn equal_weights_give_the_mean_and_shared_statistics_share_one_input() {
    for (shifted, restandardised) in [(false, 0), (true, 1)] {
        let (meta_a, a) = member(1, false);
        let (meta_b, b) = member(2, shifted);
        let (_, c) = member(3, shifted);
        let third = 1.0 / 3.0;
        let mut model = LoadedModel::from_bytes(&ensemble(&[(third, third); 3], &[&a, &b, &c]).unwrap()).unwrap();
        assert_eq!(model.restandardised_inputs(), restandardised, "shifted {shifted}");
        let raw = raw_steps(&meta_a, T);
        let (za, zb) = (z(&meta_a, &raw), z(&meta_b, &raw));
        let alone: Vec<ValenceArousal> = [(&a, &za), (&b, &zb), (&c, &zb)]
            .iter()
            .map(|(m, x)| LoadedModel::from_bytes(m).unwrap().predict(x).unwrap())
            .collect();
        // The weighted sum in member order, as the ensemble forms it.
        let sum = |f: fn(&ValenceArousal) -> f32| alone.iter().fold(0.0f32, |acc, e| acc + third * f(e));
        let e = model.predict(&za).unwrap();
        if shifted {
            assert!(close(e.valence, sum(|e| e.valence)) && close(e.arousal, sum(|e| e.arousal)), "{e:?} vs {alone:?}");
        } else {
            assert_eq!((e.valence, e.arousal), (sum(|e| e.valence), sum(|e| e.arousal)));
        }
    }
}

#[test]
fn the_file_keeps_members_weights_and_provenance() {
    let (meta_a, a) = member(1, false);
    let (meta_b, b) = member(2, true);
    let bytes = ensemble(&[(0.25, 1.0), (0.75, 0.0)], &[&a, &b]).unwrap();
    assert_eq!(&bytes[8..12], &ENSEMBLE_FORMAT_VERSION.to_le_bytes());
    let file = ModelFile::from_bytes(&bytes).unwrap();
    assert!(file.is_ensemble());
    let members = file.members();
    assert_eq!(
        (members[0].metadata.norm_std.clone(), members[1].metadata.norm_std.clone()),
        (meta_a.norm_std, meta_b.norm_std)
    );
    assert_eq!(members[1].weights, MemberWeights { valence: 0.75, arousal: 0.0 });
    assert_eq!(file.metadata.training.notes, "test");
    assert!(matches!(file.network(&Device::flex()), Err(ModelFileError::Ensemble(_))), "one network of an ensemble");
    assert!(members[1].network(&Device::flex()).is_ok());
    // Single-model files are still version 1 and load as one member of weight 1.
    let single = ModelFile::from_bytes(&a).unwrap();
    assert!(!single.is_ensemble() && single.members()[0].weights == MemberWeights::ONE);
}

/// The message of a refused ensemble, which must name what is wrong.
fn refused(weights: &[(f32, f32)], members: &[&[u8]]) -> String {
    match ensemble(weights, members) {
        Ok(_) => panic!("ensemble {weights:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_ensembles_are_refused_with_a_reason() {
    let (_, a) = member(1, false);
    let (_, b) = member(2, true);
    assert!(refused(&[(0.5, 0.5), (0.4, 0.5)], &[&a, &b]).contains("valence weights sum to 0.9"));
    assert!(refused(&[(1.0, 1.5), (0.0, -0.5)], &[&a, &b]).contains("finite and ≥ 0"));
    assert!(refused(&[(f32::NAN, 0.5), (1.0, 0.5)], &[&a, &b]).contains("finite"));
    assert!(refused(&[(1.0, 1.0), (0.0, 0.0)], &[&a, &b]).contains("neither dimension"));
    assert!(refused(&[(1.0, 1.0)], &[&a]).contains("2 to"));
    let many: Vec<&[u8]> = vec![&a; MAX_MEMBERS + 1];
    let share = 1.0 / (MAX_MEMBERS + 1) as f32;
    assert!(refused(&[(share, share); MAX_MEMBERS + 1], &many).contains("2 to"));
    assert!(refused(&[(0.5, 0.5), (0.5, 0.5)], &[&a]).contains("holds 1"));
    // Members that read other inputs.
    let mut other = metadata(ModelConfig::cbsa(T, N));
    other.feature_names[0] = "renamed".into();
    let renamed = ModelFile::to_bytes(&other, &network(&other.model)).unwrap();
    assert!(refused(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &renamed]).contains("member 2 has other input features"));
    let config = ModelConfig::cbsa(T * 2, N);
    let mut longer = metadata(config.clone());
    longer.context_s = 45.0;
    let longer = ModelFile::to_bytes(&longer, &network(&config)).unwrap();
    assert!(refused(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &longer]).contains("steps, context, window or hop"));
    // An ensemble inside an ensemble.
    let inner = ensemble(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &b]).unwrap();
    assert!(refused(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &inner]).contains("member 2 is itself an ensemble"));
    // A damaged member is named.
    let mut damaged = b.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(refused(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &damaged]).contains("member 2: checksum"));
}

#[test]
fn a_newer_version_is_refused_with_the_versions_this_build_reads() {
    let (_, a) = member(1, false);
    let mut bytes = a.clone();
    bytes[8..12].copy_from_slice(&4u32.to_le_bytes());
    let message = ModelFile::from_bytes(&bytes).unwrap_err().to_string();
    assert!(message.contains("version 4") && message.contains("versions 1 to 3"), "{message}");
}

/// A valid two-member ensemble's bytes: version 2, or with `per_reading` version 3 (each
/// reading from one member).
fn valid_ensemble_of(per_reading_weights: bool) -> Vec<u8> {
    let (_, a) = member(1, false);
    let (_, b) = member(2, true);
    if per_reading_weights {
        per_reading(&[(1.0, 1.0), (0.0, 0.0)], &[(0.0, 0.0), (1.0, 1.0)], &[&a, &b]).unwrap()
    } else {
        ensemble(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &b]).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn truncated_ensembles_are_refused(cut in 0usize..200_000, v3 in any::<bool>()) {
        let bytes = valid_ensemble_of(v3);
        let cut = cut % bytes.len();
        prop_assert!(ModelFile::from_bytes(&bytes[..cut]).is_err());
    }

    /// Any byte of the header, counts or lengths changed and the checksum re-sealed: a
    /// clear error or a valid file, never a panic.
    #[test]
    fn resealed_mutations_never_panic(at in 0usize..4096, value in any::<u8>(), v3 in any::<bool>()) {
        let mut bytes = valid_ensemble_of(v3);
        let body = bytes.len() - 4;
        bytes[at % body] = value;
        let crc = crc32(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
        if let Ok(file) = ModelFile::from_bytes(&bytes) {
            let _ = LoadedModel::from_file(file, Device::flex());
        }
    }
}

#[test]
fn the_magic_is_shared_with_single_models() {
    assert_eq!(&valid_ensemble_of(false)[..8], &MAGIC);
    assert_eq!(&valid_ensemble_of(true)[..8], &MAGIC);
}

/// Version 3: the long reading runs only its members, the now reading only its own; each is
/// exactly what its member alone reads (the now member's statistics differ: re-standardised).
#[test]
fn each_reading_comes_from_its_own_members() {
    let (meta_a, a) = member(1, false);
    let (meta_b, b) = member(2, true);
    let bytes = per_reading(&[(1.0, 1.0), (0.0, 0.0)], &[(0.0, 0.0), (1.0, 1.0)], &[&a, &b]).unwrap();
    assert_eq!(&bytes[8..12], &PER_READING_FORMAT_VERSION.to_le_bytes());
    let file = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!(file.members()[1].now_weights, MemberWeights::ONE);
    assert_eq!(file.members()[1].weights, MemberWeights::ZERO);
    let mut both = LoadedModel::from_bytes(&bytes).unwrap();
    let (mut alone_a, mut alone_b) = (LoadedModel::from_bytes(&a).unwrap(), LoadedModel::from_bytes(&b).unwrap());
    let raw = raw_steps(&meta_a, T);
    let (za, zb) = (z(&meta_a, &raw), z(&meta_b, &raw));
    let long = both.predict(&za).unwrap();
    assert_eq!(long, alone_a.predict(&za).unwrap());
    assert_eq!(both.predict_burn(&za).unwrap(), alone_a.predict_burn(&za).unwrap());
    let k = both.now_input_len();
    let now = both.predict_now(&za[za.len() - k..]).unwrap();
    let (na, nb) =
        (alone_a.predict_now(&za[za.len() - k..]).unwrap(), alone_b.predict_now(&zb[zb.len() - k..]).unwrap());
    assert!(close(now.valence, nb.valence) && close(now.arousal, nb.arousal), "now {now:?}, member b {nb:?}");
    assert!((na.valence - nb.valence).abs() > 1e-3, "the members must differ for this test to mean anything");
    // Mixed: the now reading's valence from both members, arousal from the second.
    let mixed = per_reading(&[(1.0, 1.0), (0.0, 0.0)], &[(0.5, 0.0), (0.5, 1.0)], &[&a, &b]).unwrap();
    let now = LoadedModel::from_bytes(&mixed).unwrap().predict_now(&za[za.len() - k..]).unwrap();
    assert!(close(now.valence, 0.5 * na.valence + 0.5 * nb.valence) && close(now.arousal, nb.arousal), "{now:?}");
    // Now weights equal to the long ones are not stored: a version-2 file.
    let same = per_reading(&[(0.5, 0.5), (0.5, 0.5)], &[(0.5, 0.5), (0.5, 0.5)], &[&a, &b]).unwrap();
    assert_eq!(&same[8..12], &ENSEMBLE_FORMAT_VERSION.to_le_bytes());
    assert_eq!(same, ensemble(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &b]).unwrap());
}

#[test]
fn malformed_per_reading_weights_are_refused() {
    let (_, a) = member(1, false);
    let (_, b) = member(2, true);
    let refused = |long: &[(f32, f32)], now: &[(f32, f32)]| match per_reading(long, now, &[&a, &b]) {
        Ok(_) => panic!("weights {long:?} / now {now:?} were accepted"),
        Err(e) => e.to_string(),
    };
    assert!(refused(&[(1.0, 1.0), (0.0, 0.0)], &[(1.0, 1.0), (0.0, 0.0)]).contains("member 2 counts in neither"));
    assert!(refused(&[(1.0, 1.0), (0.0, 0.0)], &[(0.5, 1.0), (0.0, 0.0)]).contains("now valence weights sum to 0.5"));
    assert!(refused(&[(1.0, 1.0), (0.0, 0.0)], &[(-1.0, 0.0), (2.0, 1.0)]).contains("now weights"));
    let three = refused(&[(1.0, 1.0), (0.0, 0.0)], &[(0.5, 0.5), (0.5, 0.5), (0.0, 0.0)]);
    assert!(three.contains("weighs 3 members now but the file holds 2"), "{three}");
    assert!(refused(&[(1.0, 1.0), (0.0, 0.0)], &[(f32::NAN, 0.0), (1.0, 1.0)]).contains("now weights"));
    // The version and the header must agree (the checksum re-sealed after the change).
    let reseal = |mut bytes: Vec<u8>, version: u32| {
        bytes[8..12].copy_from_slice(&version.to_le_bytes());
        let body = bytes.len() - 4;
        let crc = crc32(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
        ModelFile::from_bytes(&bytes).unwrap_err().to_string()
    };
    let v3 = per_reading(&[(1.0, 1.0), (0.0, 0.0)], &[(0.0, 0.0), (1.0, 1.0)], &[&a, &b]).unwrap();
    assert!(reseal(v3, ENSEMBLE_FORMAT_VERSION).contains("version-2 ensemble cannot have now-reading weights"));
    let v2 = ensemble(&[(0.5, 0.5), (0.5, 0.5)], &[&a, &b]).unwrap();
    assert!(reseal(v2, PER_READING_FORMAT_VERSION).contains("version-3 ensemble needs now-reading weights"));
}
