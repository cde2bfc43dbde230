//! eGeMAPS v02 (Eyben et al. 2016), computed at parity with openSMILE 3.0's
//! `egemaps/v02/eGeMAPSv02.conf`.
//!
//! One module per LLD family, all reading the shared front end of
//! [`crate::dsp`]; [`config`] holds the preset's constants with the config
//! lines they come from; [`names`] the output names in openSMILE's order.

pub mod config;
pub mod energy;
pub mod f0;
pub mod formants;
pub mod functionals;
pub mod harmonics;
pub mod jitter_shimmer;
pub mod lld;
pub mod lld_stream;
pub mod loudness;
pub mod melspec;
pub mod mfcc;
pub mod names;
pub mod offline;
pub mod pitch_shs;
pub mod pitch_viterbi;
pub mod smoothing;
pub mod spec_scale;
pub mod spectral_bins;
pub mod spectral_flux;
pub mod spectral_llds;
pub mod spectral_shape;
pub mod voicing;

pub use lld_stream::{EgemapsError, IndexedRawLlds, LldStream};

use crate::dsp::frontend::FrontEnd;

/// Largest block handed to the front end at once: well inside the 2.5 s
/// waveform history jitter/shimmer keeps, so any caller block size works.
pub const MAX_PUSH_BLOCK: usize = 2048;

/// Standalone eGeMAPS raw-LLD extraction: the shared front end plus
/// [`LldStream`], for callers that need no other features.
#[derive(Debug)]
pub struct Egemaps {
    frontend: FrontEnd,
    lld: LldStream,
}

impl Egemaps {
    /// An extractor for mono audio at `sample_rate_hz` (22 050 Hz in moodtap).
    pub fn new(sample_rate_hz: u32) -> Result<Self, EgemapsError> {
        let frontend = FrontEnd::new(sample_rate_hz);
        let lld = LldStream::new(sample_rate_hz, frontend.n_fft25(), frontend.n_fft60())?;
        Ok(Self { frontend, lld })
    }

    /// Frame geometry.
    pub fn framing(&self) -> config::Framing {
        self.frontend.framing()
    }

    /// Feeds samples in any block size; emits raw LLD frames in order as they
    /// become final (about 0.4 s behind the input).
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&IndexedRawLlds)) {
        for block in samples.chunks(MAX_PUSH_BLOCK) {
            self.lld.push_samples(block);
            let lld = &mut self.lld;
            self.frontend.push(block, |v| lld.process_view(v, &mut on_frame));
        }
    }

    /// End of input: emits every remaining frame and resets.
    pub fn finish(&mut self, mut on_frame: impl FnMut(&IndexedRawLlds)) {
        let lld = &mut self.lld;
        self.frontend.finish(|v| lld.process_view(v, &mut on_frame));
        self.lld.finish(&mut on_frame);
    }
}
