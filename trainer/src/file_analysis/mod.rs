//! The work behind `moodtap analyze` (docs/design.md §7): valence/arousal over time for audio
//! files, with the same [`Analyzer`] the plugin runs.
//!
//! Each file is decoded packet by packet ([`Decoder`], any rate 8–192 kHz,
//! channels averaged) and pushed through a fresh [`Analyzer`] (it resamples to
//! 22 050 Hz, extracts steps, z-scores and predicts); [`Analyzer::finish`]
//! flushes the last steps. One [`Estimate`] per step, `hop_s = context_s / T`
//! apart (0.1505 s for the default T = 299 over 45 s), `coverage < 1` while the
//! model's context is still filling.
//!
//! Outputs: [`write_csv`] (`time_s,valence,arousal,coverage,valence_now,arousal_now`,
//! plus a leading `file` column when several files go into one table; the `_now`
//! columns are the short-context "now" reading, `moodtap_core::model::now`), [`plot::write_plot`]
//! (PNG) and [`midi::write_midi`] (standard MIDI file, four CC lanes).
//! Numbers are written with Rust's shortest round-trip formatting, so the CSV
//! holds exactly the `f32`/`f64` values the analyzer produced.

pub mod midi;
pub mod summary;

use std::io::Write;
use std::path::{Path, PathBuf};

use std::borrow::Cow;

use moodtap_core::analyzer::{Analyzer, AnalyzerError, Estimate};
use moodtap_core::audio::decode::DecodeStats;
use moodtap_core::audio::{AudioError, Decoder};
use moodtap_core::estimate_smoothing::EstimateSmoother;
use moodtap_core::model::{LoadedModel, ModelFile, ModelFileError, DEFAULT_MODEL_BYTES};

/// Why a file could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// `--model` points at a file that is missing or not a valid moodtap model.
    #[error("model {path} cannot be used: {source}")]
    Model {
        /// The file given.
        path: PathBuf,
        /// What is wrong with it.
        source: ModelFileError,
    },
    /// The model compiled into this binary is invalid (a build problem).
    #[error("the embedded default model is invalid (broken build?): {0}")]
    EmbeddedModel(ModelFileError),
    /// A validated model could not be instantiated again (file changed while running?).
    #[error("the model could not be rebuilt: {0}")]
    ModelInstance(ModelFileError),
    /// The audio could not be decoded.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The model does not fit this build's analysis.
    #[error(transparent)]
    Analyzer(#[from] AnalyzerError),
}

/// A validated model file, kept as bytes so every file gets a fresh
/// [`LoadedModel`] (an [`Analyzer`] owns its model).
#[derive(Debug, Clone)]
pub struct Model {
    bytes: Cow<'static, [u8]>,
    /// Parsed and validated header and metadata.
    pub file: ModelFile,
}

impl Model {
    /// Loads and validates `--model`, or the embedded default model.
    pub fn load(path: Option<&Path>) -> Result<Self, AnalyzeError> {
        let Some(p) = path else {
            let file = ModelFile::from_bytes(DEFAULT_MODEL_BYTES).map_err(AnalyzeError::EmbeddedModel)?;
            return Ok(Self { bytes: Cow::Borrowed(DEFAULT_MODEL_BYTES), file });
        };
        let err = |source| AnalyzeError::Model { path: p.to_path_buf(), source };
        // `from_path` checks the size before reading; the second read is of a validated file.
        let file = ModelFile::from_path(p).map_err(err)?;
        let bytes = std::fs::read(p).map_err(|e| err(e.into()))?;
        Ok(Self { bytes: Cow::Owned(bytes), file })
    }

    /// A fresh model instance for one analyzer.
    pub fn instance(&self) -> Result<LoadedModel, ModelFileError> {
        LoadedModel::from_bytes(&self.bytes)
    }
}

/// One line describing a model: architecture, T, context and provenance.
pub fn describe_model(model: &Model) -> String {
    let m = &model.file.metadata;
    let date = if m.training.date.is_empty() { "undated" } else { &m.training.date };
    let shape = format!("T = {}, context {} s, {} features", m.t_steps, m.context_s, m.feature_names.len());
    match model.file.members().len() {
        1 => format!(
            "{} ({shape}), trained on {} ({} songs, {date})",
            m.model.architecture, m.training.dataset, m.training.song_count
        ),
        k => format!("{} ensemble of {k} networks ({shape}): {} ({date})", m.model.architecture, m.training.dataset),
    }
}

/// The estimates of one file.
#[derive(Debug, Clone)]
pub struct FileAnalysis {
    /// The file.
    pub path: PathBuf,
    /// One estimate per step, in time order.
    pub estimates: Vec<Estimate>,
    /// Decoded duration, s.
    pub duration_s: f64,
    /// Source sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Source channels.
    pub channels: usize,
    /// Skipped packets, truncation, non-finite samples.
    pub stats: DecodeStats,
}

/// Analyses one file with `model`, smoothing the long reading with time constant
/// `smoothing_s` (0 = none; the plugin's smoothing, [`EstimateSmoother`]; the
/// "now" reading keeps its own fixed smoothing, as in the plugin);
/// `progress(seconds_decoded)` after every packet.
pub fn analyze_file(
    model: &Model,
    path: &Path,
    smoothing_s: f32,
    mut progress: impl FnMut(f64),
) -> Result<FileAnalysis, AnalyzeError> {
    let mut decoder = Decoder::open(path)?;
    let rate = decoder.sample_rate_hz();
    // Validated at load time; a failure here means the file changed under us.
    let loaded = model.instance().map_err(AnalyzeError::ModelInstance)?;
    let mut analyzer = Analyzer::new(loaded, rate)?;
    let hop_s = analyzer.metadata().hop_s as f32;
    let mut smoother = EstimateSmoother::default();
    let mut estimates = Vec::new();
    let mut keep = |e: &Estimate| {
        let (valence, arousal) = smoother.step(e.valence, e.arousal, smoothing_s, hop_s);
        estimates.push(Estimate { valence: valence.clamp(0.0, 1.0), arousal: arousal.clamp(0.0, 1.0), ..*e });
    };
    let mut samples = 0u64;
    while let Some(block) = decoder.next_block() {
        samples += block.len() as u64;
        analyzer.push(block, &mut keep);
        progress(samples as f64 / f64::from(rate));
    }
    if samples == 0 {
        return Err(AudioError::Empty { what: path.display().to_string() }.into());
    }
    analyzer.finish(&mut keep);
    Ok(FileAnalysis {
        path: path.to_path_buf(),
        estimates,
        duration_s: samples as f64 / f64::from(rate),
        sample_rate_hz: rate,
        channels: decoder.channels(),
        stats: decoder.stats(),
    })
}

/// CSV header without the file column.
pub const CSV_COLUMNS: [&str; 6] = ["time_s", "valence", "arousal", "coverage", "valence_now", "arousal_now"];

/// Writes the estimates as CSV. `with_file_column` prepends a `file` column
/// (the path as given) so several files share one table.
pub fn write_csv(out: impl Write, files: &[FileAnalysis], with_file_column: bool) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    if with_file_column {
        w.write_record(std::iter::once("file").chain(CSV_COLUMNS))?;
    } else {
        w.write_record(CSV_COLUMNS)?;
    }
    for f in files {
        let name = f.path.display().to_string();
        for e in &f.estimates {
            let values = [
                e.time_s.to_string(),
                e.valence.to_string(),
                e.arousal.to_string(),
                e.coverage.to_string(),
                e.now_valence.to_string(),
                e.now_arousal.to_string(),
            ];
            if with_file_column {
                w.write_record(std::iter::once(name.as_str()).chain(values.iter().map(String::as_str)))?;
            } else {
                w.write_record(&values)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
