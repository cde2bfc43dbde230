//! Feature steps (docs/design.md §2): every `hop_s` seconds, one vector
//! summarising the last `window_s` seconds of audio — the 88 eGeMAPS v02
//! functionals of the smoothed LLD rows in the window followed by the 11 MIR
//! descriptors of [`crate::features::mir`] — from ONE front end.
//!
//! Step `k ≥ 1` is at time `t_k = k · hop_s` and covers the frames whose start
//! time lies in `[t_k − window_s, t_k)`. eGeMAPS rows arrive about 0.4 s late
//! (the pitch smoother's lag), the MIR descriptors at once, so each step's MIR
//! part waits in a small queue until its eGeMAPS rows are complete. A step
//! depends only on its frames, never on push block sizes: streaming and
//! offline give identical step matrices.
//!
//! Unlike whole-file eGeMAPS ([`crate::features::egemaps::offline`]), steps
//! ignore openSMILE's end-of-input tail quirk: every real row counts, so the
//! last steps of a file equal what a live stream would compute.

use crate::dsp::frontend::{FrameView, FrontEnd};
use crate::features::egemaps::config::{Framing, HOP_S};
use crate::features::egemaps::functionals::{EgemapsFunctionals, N_FUNCTIONALS};
use crate::features::egemaps::lld::{RawLlds, SmoothedLlds};
use crate::features::egemaps::names::FUNCTIONAL_NAMES;
use crate::features::egemaps::smoothing::LldSmoother;
use crate::features::egemaps::{EgemapsError, IndexedRawLlds, LldStream, MAX_PUSH_BLOCK};
use crate::features::mir::{MirConfig, MirExtractor, MIR_COUNT, MIR_NAMES};

/// Version of the feature definitions (eGeMAPS v02 + MIR set, step summary).
/// Feature caches and model files record it; bump it whenever any feature's
/// definition changes, so old caches and models are refused instead of
/// silently mixing definitions.
pub const FEATURE_SCHEMA_VERSION: u32 = 3;

/// Values per raw step vector: 88 eGeMAPS functionals + 11 MIR descriptors.
pub const RAW_STEP_LEN: usize = N_FUNCTIONALS + MIR_COUNT;

/// Name of raw step column `i`: openSMILE's functional names, then MIR names.
pub fn raw_step_name(i: usize) -> Option<&'static str> {
    FUNCTIONAL_NAMES.get(i).or_else(|| MIR_NAMES.get(i.wrapping_sub(N_FUNCTIONALS))).copied()
}

/// All raw step column names in order.
pub fn raw_step_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONAL_NAMES.iter().chain(MIR_NAMES.iter()).copied()
}

/// When steps happen and what they summarise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepConfig {
    /// Seconds summarised by each step (default 1.0; docs/design.md §2).
    pub window_s: f64,
    /// Seconds between steps (`context_s / T`; 45/299 with the default model).
    pub hop_s: f64,
}

/// Longest window a step may summarise, s (bounds the row ring).
pub const MAX_WINDOW_S: f64 = 10.0;
/// Shortest step window, s: ten 10 ms LLD frames, the least over which the
/// eGeMAPS functionals (percentiles, slopes, rise/fall rates) mean anything;
/// shorter windows gave constant-zero columns.
pub const MIN_WINDOW_S: f64 = 0.1;

/// Why a step extractor cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Window or hop out of range.
    #[error(
        "invalid step timing: window {window_s} s ({MIN_WINDOW_S} ≤ window ≤ {MAX_WINDOW_S}), hop {hop_s} s (must be ≥ 0.01 s)"
    )]
    InvalidTiming {
        /// Requested window.
        window_s: f64,
        /// Requested hop.
        hop_s: f64,
    },
    /// eGeMAPS extractor construction failed.
    #[error(transparent)]
    Egemaps(#[from] EgemapsError),
}

/// One step: index `k ≥ 1`, time `k · hop_s`, and the raw vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Step number, from 1.
    pub index: u64,
    /// Step time in seconds (end of its window).
    pub time_s: f64,
    /// 88 eGeMAPS functionals then 11 MIR values; all finite.
    pub values: [f32; RAW_STEP_LEN],
}

#[derive(Debug, Clone, Copy)]
struct PendingMir {
    index: u64,
    values: [f32; MIR_COUNT],
}

/// Streaming step extractor over mono audio at the analysis rate.
pub struct StepExtractor {
    frontend: FrontEnd,
    lld: LldStream,
    mir: MirExtractor,
    asm: Assembler,
    samples_seen: u64,
}

/// Everything downstream of the front end and the LLD stream: smoothing, the
/// row ring, the MIR queue and step assembly.
struct Assembler {
    config: StepConfig,
    sample_rate_hz: u32,
    hop: usize,
    smoother: LldSmoother,
    functionals: EgemapsFunctionals,
    /// Ring of the latest smoothed rows; row `r` at `r % len`.
    rows: Vec<SmoothedLlds>,
    rows_seen: u64,
    /// MIR parts of steps whose eGeMAPS rows are not complete yet, oldest first.
    pending: Vec<PendingMir>,
    pending_len: usize,
    /// Next step whose MIR part is due.
    next_mir_step: u64,
}

impl std::fmt::Debug for StepExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepExtractor").field("config", &self.asm.config).finish()
    }
}

impl StepExtractor {
    /// A step extractor at `sample_rate_hz` (the analysis rate, 22 050 Hz).
    pub fn new(sample_rate_hz: u32, config: StepConfig) -> Result<Self, StepError> {
        let StepConfig { window_s, hop_s } = config;
        if !((MIN_WINDOW_S..=MAX_WINDOW_S).contains(&window_s) && hop_s >= 0.01 && hop_s.is_finite()) {
            return Err(StepError::InvalidTiming { window_s, hop_s });
        }
        let frontend = FrontEnd::new(sample_rate_hz);
        let framing: Framing = frontend.framing();
        let lld = LldStream::new(sample_rate_hz, frontend.n_fft25(), frontend.n_fft60())?;
        let fps = sample_rate_hz as f64 / framing.hop as f64;
        let window_rows = (window_s * fps).ceil() as usize + 2;
        // Rows arrive up to the LLD lag (+ smoothing) after their frame; the
        // MIR parts of all steps inside that delay wait in the queue.
        let lag_s = (lld.lag_frames() + 4) as f64 / fps;
        let pending_cap = (lag_s / hop_s).ceil() as usize + 4;
        let mut mir_cfg = MirConfig::at(sample_rate_hz);
        mir_cfg.max_window_s = mir_cfg.max_window_s.max(window_s);
        Ok(Self {
            frontend,
            lld,
            mir: MirExtractor::new(mir_cfg),
            asm: Assembler {
                config,
                sample_rate_hz,
                hop: framing.hop,
                smoother: LldSmoother::new(),
                functionals: EgemapsFunctionals::new(window_rows),
                rows: vec![SmoothedLlds::default(); window_rows + 8],
                rows_seen: 0,
                pending: vec![PendingMir { index: 0, values: [0.0; MIR_COUNT] }; pending_cap],
                pending_len: 0,
                next_mir_step: 1,
            },
            samples_seen: 0,
        })
    }

    /// Step timing.
    pub fn config(&self) -> StepConfig {
        self.asm.config
    }

    /// Seconds of audio pushed so far.
    pub fn seconds_seen(&self) -> f64 {
        self.samples_seen as f64 / self.asm.sample_rate_hz as f64
    }

    /// Feeds mono samples at the analysis rate (any block size); emits each
    /// step as soon as it is complete. Never allocates.
    pub fn push(&mut self, samples: &[f32], mut on_step: impl FnMut(&Step)) {
        let Self { frontend, lld, mir, asm, samples_seen } = self;
        for block in samples.chunks(MAX_PUSH_BLOCK) {
            *samples_seen += block.len() as u64;
            lld.push_samples(block);
            frontend.push(block, |v| asm.on_view(v, mir, lld, &mut on_step));
        }
    }

    /// End of input: emits every step up to the end of the audio, then resets.
    pub fn finish(&mut self, mut on_step: impl FnMut(&Step)) {
        let end_s = self.seconds_seen();
        let Self { frontend, lld, mir, asm, .. } = self;
        frontend.finish(|v| asm.on_view(v, mir, lld, &mut on_step));
        lld.finish(|raw| asm.on_raw(raw, &mut on_step));
        for row in asm.smoother.flush().into_iter().flatten() {
            asm.on_row(row, &mut on_step);
        }
        while asm.step_time(asm.next_mir_step) <= end_s + 1e-9 {
            asm.queue_mir_step(mir);
        }
        asm.emit_ready(true, &mut on_step);
        self.reset();
    }

    /// Forgets all audio; the next push starts at step 1 again.
    pub fn reset(&mut self) {
        self.frontend.reset();
        self.lld.reset();
        self.mir.reset();
        self.asm.smoother.reset();
        self.asm.rows_seen = 0;
        self.asm.pending_len = 0;
        self.asm.next_mir_step = 1;
        self.samples_seen = 0;
    }
}

impl Assembler {
    /// First frame index whose start time is at or after `t` seconds.
    fn frame_at(&self, t: f64) -> u64 {
        let x = t * self.sample_rate_hz as f64 / self.hop as f64;
        // Guard against t·rate/hop landing a hair above an integer.
        (x - 1e-9).ceil().max(0.0) as u64
    }

    fn step_time(&self, k: u64) -> f64 {
        k as f64 * self.config.hop_s
    }

    fn on_view(
        &mut self,
        view: &FrameView<'_>,
        mir: &mut MirExtractor,
        lld: &mut LldStream,
        on_step: &mut impl FnMut(&Step),
    ) {
        // The MIR part of every step that ends before this frame starts.
        while self.frame_at(self.step_time(self.next_mir_step)) <= view.index {
            self.queue_mir_step(mir);
        }
        mir.process_frame(view);
        lld.process_view(view, |raw| self.on_raw(raw, on_step));
    }

    fn queue_mir_step(&mut self, mir: &mut MirExtractor) {
        let mut values = [0.0; MIR_COUNT];
        mir.step(self.config.window_s, &mut values);
        if self.pending_len < self.pending.len() {
            self.pending[self.pending_len] = PendingMir { index: self.next_mir_step, values };
            self.pending_len += 1;
        }
        self.next_mir_step += 1;
    }

    fn on_raw(&mut self, raw: &IndexedRawLlds, on_step: &mut impl FnMut(&Step)) {
        let mut llds: RawLlds = raw.llds;
        if let Some(v) = llds.voice.as_mut() {
            // Steps count every real row (see the module docs).
            v.flushed = false;
        }
        if let Some(row) = self.smoother.push(&llds) {
            self.on_row(row, on_step);
        }
    }

    fn on_row(&mut self, row: SmoothedLlds, on_step: &mut impl FnMut(&Step)) {
        let n = self.rows.len() as u64;
        self.rows[(self.rows_seen % n) as usize] = row;
        self.rows_seen += 1;
        self.emit_ready(false, on_step);
    }

    /// Emits queued steps whose rows are all present (`all`: at end of input,
    /// every queued step).
    fn emit_ready(&mut self, all: bool, on_step: &mut impl FnMut(&Step)) {
        while self.pending_len > 0 {
            let p = self.pending[0];
            let t = self.step_time(p.index);
            let end = self.frame_at(t);
            if !all && self.rows_seen < end {
                return;
            }
            let start = self.frame_at(t - self.config.window_s);
            let mut values = [0.0f32; RAW_STEP_LEN];
            self.eg_functionals(start, end.min(self.rows_seen), &mut values[..N_FUNCTIONALS]);
            values[N_FUNCTIONALS..].copy_from_slice(&p.values);
            for v in values.iter_mut() {
                if !v.is_finite() {
                    *v = 0.0;
                }
            }
            on_step(&Step { index: p.index, time_s: t, values });
            self.pending.copy_within(1..self.pending_len, 0);
            self.pending_len -= 1;
        }
    }

    /// Functionals over rows `[start, end)`, all held in the ring.
    fn eg_functionals(&mut self, start: u64, end: u64, out: &mut [f32]) {
        let cap = self.rows.len() as u64;
        let start = start.max(end.saturating_sub(cap)).min(end);
        let len = (end - start) as usize;
        let a = (start % cap) as usize;
        let mut f = [0.0f32; N_FUNCTIONALS];
        let res = if a + len <= self.rows.len() {
            self.functionals.compute(&self.rows[a..a + len], HOP_S, &mut f)
        } else {
            let (tail, head) = (&self.rows[a..], &self.rows[..a + len - self.rows.len()]);
            self.functionals.compute_split(tail, head, HOP_S, &mut f)
        };
        if res.is_err() {
            f = [0.0; N_FUNCTIONALS];
        }
        out.copy_from_slice(&f);
    }
}
