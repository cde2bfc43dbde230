//! The continuous estimator both the plugin's analysis thread and
//! `moodtap analyze` run (docs/design.md §1): mono audio at any rate in,
//! `(valence, arousal, coverage)` out after every step.
//!
//! host rate ─► [`StreamResampler`] ─► 22 050 Hz ─► [`StepExtractor`]
//! (raw values per step) ─► [`Fusion`] (the model's feature columns,
//! z-scored with the model file's statistics; the same code training uses)
//! ─► [`FusionRing`] of the last `T` steps ─► [`LoadedModel::predict`]
//! (allocation-free fast path): the long reading. Beside it the "now"
//! reading: the same network on the ring's last `K` steps only
//! ([`LoadedModel::predict_now`], [`crate::model::now`]), smoothed with its
//! fixed time constant.
//!
//! Until `T` steps have been seen, the older positions of the model input
//! hold the normalised mean (zeros) and the estimate's `coverage` says which
//! share of the context is real audio (docs/design.md §2). Every call after
//! [`Analyzer::new`] is allocation-free.

use crate::audio::resample::{ResampleError, StreamResampler};
use crate::audio::sanitize;
use crate::fusion::{Fusion, FusionError, FusionRing};
use crate::model::now::NowReading;
use crate::model::{LoadedModel, ModelMetadata};
use crate::steps::{Step, StepConfig, StepError, StepExtractor};

/// One estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Time of the step it ends on, s since the start (or the last reset).
    pub time_s: f64,
    /// Valence in [0, 1].
    pub valence: f32,
    /// Arousal in [0, 1].
    pub arousal: f32,
    /// Valence of the "now" reading (last ~3 s, [`crate::model::now`]) in [0, 1].
    pub now_valence: f32,
    /// Arousal of the "now" reading in [0, 1].
    pub now_arousal: f32,
    /// Share of the model's `T` steps that hold real audio (1 = context full).
    pub coverage: f32,
}

impl Estimate {
    /// True while the model's context is not yet filled with audio.
    pub fn warming_up(&self) -> bool {
        self.coverage < 1.0
    }
}

/// Why an analyzer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    /// The model needs a feature this build does not compute.
    #[error(transparent)]
    Fusion(#[from] FusionError),
    /// The model was trained at another analysis rate.
    #[error("the model expects features at {0} Hz; moodtap analyses at 22050 Hz")]
    AnalysisRate(u32),
    /// The host rate is unsupported.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// The model's step timing is unusable.
    #[error(transparent)]
    Steps(#[from] StepError),
}

/// Continuous valence/arousal estimation over a stream.
pub struct Analyzer {
    model: LoadedModel,
    resampler: StreamResampler,
    steps: StepExtractor,
    fusion: Fusion,
    /// The last `T` fused steps.
    ring: FusionRing,
    /// Model input in time order, oldest first, zeros where no audio yet.
    input: Vec<f32>,
    /// The "now" reading's input (`K × N`) and its smoothing.
    now: NowReading,
    latest: Option<Estimate>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("steps_seen", &self.ring.steps_seen()).field("latest", &self.latest).finish()
    }
}

impl Analyzer {
    /// An analyzer running `model` on mono audio at `input_rate_hz` (8–192 kHz).
    pub fn new(model: LoadedModel, input_rate_hz: u32) -> Result<Self, AnalyzerError> {
        let meta = model.metadata();
        if meta.analysis_rate_hz != crate::ANALYSIS_RATE_HZ {
            return Err(AnalyzerError::AnalysisRate(meta.analysis_rate_hz));
        }
        let fusion = meta.live_fusion()?;
        let steps =
            StepExtractor::new(crate::ANALYSIS_RATE_HZ, StepConfig { window_s: meta.window_s, hop_s: meta.hop_s })?;
        let ring = FusionRing::new(meta.t_steps, fusion.n_features());
        Ok(Self {
            resampler: StreamResampler::new(input_rate_hz, crate::ANALYSIS_RATE_HZ)?,
            steps,
            input: vec![0.0; meta.t_steps * fusion.n_features()],
            now: NowReading::new(&model),
            fusion,
            ring,
            latest: None,
            model,
        })
    }

    /// The model's metadata (names, timing, provenance).
    pub fn metadata(&self) -> &ModelMetadata {
        self.model.metadata()
    }

    /// The resampler's share of the latency from audio in to estimate out, s
    /// ([`StreamResampler::latency_s`]; 0 at 22 050 Hz input).
    pub fn resampler_latency_s(&self) -> f64 {
        self.resampler.latency_s()
    }

    /// The model input of the latest estimate: `T × N`, oldest step first
    /// (what training builds from the same song's cached steps, bit for bit).
    /// Kept after [`finish`](Self::finish) until the next step.
    pub fn model_input(&self) -> &[f32] {
        &self.input
    }

    /// The most recent estimate, if any step has completed.
    pub fn latest(&self) -> Option<Estimate> {
        self.latest
    }

    /// Feeds mono samples at the input rate (any block size; NaN/Inf count as
    /// silence); calls `on_estimate` after every completed step.
    pub fn push(&mut self, samples: &[f32], mut on_estimate: impl FnMut(&Estimate)) {
        let Self { resampler, steps, model, fusion, ring, input, now, latest } = self;
        let mut block_buf = [0.0f32; 1024];
        for chunk in samples.chunks(block_buf.len()) {
            let block = &mut block_buf[..chunk.len()];
            block.copy_from_slice(chunk);
            sanitize(block);
            resampler.push(block, |resampled| {
                steps.push(resampled, |step| {
                    let e = Self::on_step(step, model, fusion, ring, input, now);
                    *latest = Some(e);
                    on_estimate(&e);
                });
            });
        }
    }

    /// End of a file: flushes the resampler and the step extractor, emitting
    /// the last steps, then resets.
    pub fn finish(&mut self, mut on_estimate: impl FnMut(&Estimate)) {
        let Self { resampler, steps, model, fusion, ring, input, now, latest } = self;
        let mut emit = |step: &Step| {
            let e = Self::on_step(step, model, fusion, ring, input, now);
            *latest = Some(e);
            on_estimate(&e);
        };
        resampler.finish(|resampled| steps.push(resampled, &mut emit));
        steps.finish(&mut emit);
        self.reset();
    }

    /// Forgets all audio (transport jump, new file); the model stays loaded.
    pub fn reset(&mut self) {
        self.resampler.reset();
        self.steps.reset();
        self.ring.reset();
        self.now.reset();
        self.latest = None;
    }

    fn on_step(
        step: &Step,
        model: &mut LoadedModel,
        fusion: &Fusion,
        ring: &mut FusionRing,
        input: &mut [f32],
        now: &mut NowReading,
    ) -> Estimate {
        ring.push(fusion, &step.values);
        ring.write_matrix(input);
        // An error is unreachable: the input is sized from the model at construction.
        let est = model.predict(input).unwrap_or(crate::model::ValenceArousal { valence: 0.5, arousal: 0.5 });
        let now = now.step(model, ring);
        Estimate {
            time_s: step.time_s,
            valence: est.valence,
            arousal: est.arousal,
            now_valence: now.valence,
            now_arousal: now.arousal,
            coverage: ring.coverage(),
        }
    }
}
