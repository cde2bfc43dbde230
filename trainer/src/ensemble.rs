//! `moodtap ensemble`: several network models as one model file whose estimates are their
//! means per dimension (the model file's format version 2; core's `model::file` documents
//! the layout and `model::inference` how it runs).
//!
//! Each dimension has its own members: a seed ensemble lists every model for both, a
//! per-dimension ensemble can take valence from some models and arousal from others
//! (e.g. models that read valence well on real recordings with one that reads arousal well on
//! piano). A dimension's members count equally. Members keep their own normalisation and
//! architecture; they must read the same features on the same time base. Members that held
//! out the same test songs of one cache (one `--split-seed`) pass them on, so `eval` scores the
//! ensemble on songs none of them saw; otherwise the ensemble records no test songs.
//!
//! The now reading (core's `model::now`) uses the same members unless some are given for it
//! alone: then it has its own members per dimension (format version 3), e.g. networks trained
//! on short windows of changing music, and each reading runs only the members it counts.

use moodtap_core::model::file::{EnsembleHeader, MemberWeights, MAX_MEMBERS};
use moodtap_core::model::{ModelFile, ModelFileError, TrainingProvenance, TrainingRun};

/// One model file given to [`build`] and the dimensions it serves.
#[derive(Debug, Clone)]
pub struct MemberInput {
    /// How the user named it (for messages and the provenance notes).
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Counts in the valence estimate.
    pub valence: bool,
    /// Counts in the arousal estimate.
    pub arousal: bool,
    /// Counts in the now reading's valence.
    pub now_valence: bool,
    /// Counts in the now reading's arousal.
    pub now_arousal: bool,
}

/// Why no ensemble was built.
#[derive(Debug, thiserror::Error)]
pub enum EnsembleError {
    /// A dimension has no member.
    #[error("no model serves {0}: give at least one with --member or --{0}")]
    NoMember(&'static str),
    /// A dimension of the now reading has no member while others are given for it alone.
    #[error("no model serves the now reading's {0}: give at least one with --now-member or --now-{0}")]
    NoNowMember(&'static str),
    /// Fewer than two distinct networks.
    #[error("only one distinct model ({0}): a single model file is already what the plugin and analyze load")]
    OnlyOne(String),
    /// More networks than a file may hold.
    #[error("{0} distinct models; an ensemble holds at most {MAX_MEMBERS} (each one costs a forward pass per step)")]
    TooMany(usize),
    /// A member file is not a single network model.
    #[error("{name}: {source}")]
    Member {
        /// The member as named.
        name: String,
        /// What is wrong with it.
        source: ModelFileError,
    },
    /// A member is itself an ensemble.
    #[error("{0} is itself an ensemble: list its member models instead")]
    Nested(String),
    /// The members do not fit together.
    #[error(transparent)]
    File(#[from] ModelFileError),
}

/// The ensemble file of `inputs`; an input given twice (same bytes) is one member serving
/// the union of its dimensions. Members are stored in the order first given; the first one's
/// normalisation z-scores the input.
pub fn build(inputs: &[MemberInput], description: &str) -> Result<Vec<u8>, EnsembleError> {
    let mut members: Vec<MemberInput> = Vec::new();
    for input in inputs {
        match members.iter_mut().find(|m| m.bytes == input.bytes) {
            Some(m) => {
                m.valence |= input.valence;
                m.arousal |= input.arousal;
                m.now_valence |= input.now_valence;
                m.now_arousal |= input.now_arousal;
            }
            None => members.push(input.clone()),
        }
    }
    let files = members
        .iter()
        .map(|m| {
            let file = ModelFile::from_bytes(&m.bytes)
                .map_err(|source| EnsembleError::Member { name: m.name.clone(), source })?;
            if file.is_ensemble() {
                return Err(EnsembleError::Nested(m.name.clone()));
            }
            Ok(file)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each reading's weights: a dimension's members count equally; a dimension without one is
    // refused.
    let weigh = |serves: fn(&MemberInput) -> [bool; 2], missing: fn(&'static str) -> EnsembleError| {
        let n = |d: usize| members.iter().filter(|m| serves(m)[d]).count();
        let (n_valence, n_arousal) = (n(0), n(1));
        if n_valence == 0 {
            return Err(missing("valence"));
        }
        if n_arousal == 0 {
            return Err(missing("arousal"));
        }
        let share = |serves: bool, n: usize| if serves { 1.0 / n as f32 } else { 0.0 };
        Ok(members
            .iter()
            .map(|m| {
                let [v, a] = serves(m);
                MemberWeights { valence: share(v, n_valence), arousal: share(a, n_arousal) }
            })
            .collect::<Vec<_>>())
    };
    let weights = weigh(|m| [m.valence, m.arousal], EnsembleError::NoMember)?;
    let now_weights = weigh(|m| [m.now_valence, m.now_arousal], EnsembleError::NoNowMember)?;
    match members.len() {
        1 => return Err(EnsembleError::OnlyOne(members[0].name.clone())),
        n if n > MAX_MEMBERS => return Err(EnsembleError::TooMany(n)),
        _ => {}
    }
    let own_now = now_weights != weights;
    // File names only: the provenance should not depend on where the members were built.
    let short = |m: &MemberInput| {
        std::path::Path::new(&m.name).file_name().map_or_else(|| m.name.clone(), |f| f.to_string_lossy().into_owned())
    };
    let listed =
        |pick: fn(&MemberInput) -> bool| members.iter().filter(|m| pick(m)).map(short).collect::<Vec<_>>().join(", ");
    let mut notes =
        format!("ensemble; valence: mean of {}; arousal: mean of {}; ", listed(|m| m.valence), listed(|m| m.arousal));
    if own_now {
        notes.push_str(&format!(
            "now reading: valence mean of {}, arousal mean of {}; ",
            listed(|m| m.now_valence),
            listed(|m| m.now_arousal)
        ));
    }
    notes.push_str("members: ");
    let described: Vec<String> = members
        .iter()
        .zip(&files)
        .map(|(m, f)| {
            let t = &f.metadata.training;
            format!("{} ({}, {} on {}, seed {})", short(m), f.metadata.model.architecture, t.date, t.dataset, t.seed)
        })
        .collect();
    notes.push_str(&described.join("; "));
    let first = &files[0].metadata.training;
    // Members trained on one split of one cache held out the same test songs: the ensemble
    // never saw them either, so `eval` may default to them as for one model.
    let shared_run = first.run.as_ref().filter(|r0| {
        files.iter().all(|f| {
            f.metadata.training.run.as_ref().is_some_and(|r| {
                r.dataset_path == r0.dataset_path && r.test_song_ids == r0.test_song_ids && r.labels == r0.labels
            })
        })
    });
    let run = shared_run.map(|r| TrainingRun { epochs: 0, best_epoch: 0, ..r.clone() });
    let training = TrainingProvenance {
        dataset: if description.is_empty() {
            format!("ensemble of {} models", members.len())
        } else {
            description.to_string()
        },
        song_count: files.iter().map(|f| f.metadata.training.song_count).max().unwrap_or(0),
        seed: first.seed,
        metrics: None,
        date: crate::train::provenance_date(),
        trainer_version: crate::cache::MOODTAP_VERSION.to_string(),
        notes,
        run,
    };
    let parts: Vec<&[u8]> = members.iter().map(|m| m.bytes.as_slice()).collect();
    let header = EnsembleHeader { training, weights, now_weights: own_now.then_some(now_weights) };
    Ok(ModelFile::ensemble_to_bytes(&header, &parts)?)
}
