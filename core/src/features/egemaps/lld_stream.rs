//! The streaming eGeMAPS v02 raw-LLD extractor: joins the LLD families on
//! one frame index.
//!
//! The 20 ms families (energy/spectral, formants) are final as soon as their
//! frame is seen; the F0 chain is final 39 frames later
//! ([`F0Tracker::lag_frames`]), and harmonics and jitter/shimmer need that
//! final F0. So each frame's early results wait in a ring (with the 60 ms
//! magnitudes harmonics will read) until its F0 arrives; frames leave in
//! index order, each as one [`IndexedRawLlds`] (a [`RawLlds`] with its index).
//!
//! At end of input openSMILE also emits the 20 ms frames whose 60 ms span is
//! incomplete (4 at 22 050 Hz); they leave last, without the F0-based part.
//!
//! Use: for each block of analysis-rate samples call [`LldStream::push_samples`]
//! (jitter reads the waveform) before feeding the front-end frames of that
//! block to [`LldStream::process_view`]; [`crate::features::egemaps::Egemaps`]
//! does this for you.

use super::config::Framing;
use super::f0::{F0Frame, F0Tracker};
use super::formants::{FormantError, FormantTracker, Formants};
use super::harmonics::{Harmonics, HarmonicsError, HarmonicsFrame};
use super::jitter_shimmer::{JitterShimmer, JitterShimmerError, INPUT_MAX_DELAY_S};
use super::lld::{self, RawLlds, VoiceLlds};
use super::spectral_llds::{SpectralFrame, SpectralLlds, SpectralLldsError};
use crate::dsp::frontend::FrameView;

/// One raw LLD frame leaving the stream: its index, start time and values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IndexedRawLlds {
    /// Frame index; the frame starts at sample `index · hop`.
    pub index: u64,
    /// Frame start time in seconds.
    pub time_s: f64,
    /// The raw LLDs (the 60 ms part is `None` for the trailing 20 ms-only frames).
    pub llds: RawLlds,
    /// Final F0 in Hz (0 = unvoiced), for consumers beyond eGeMAPS; 0 without a 60 ms part.
    pub f0_hz: f32,
}

/// Why the extractor could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EgemapsError {
    /// Spectral/energy family.
    #[error(transparent)]
    Spectral(#[from] SpectralLldsError),
    /// Formants.
    #[error(transparent)]
    Formants(#[from] FormantError),
    /// Harmonics.
    #[error(transparent)]
    Harmonics(#[from] HarmonicsError),
    /// Jitter/shimmer.
    #[error(transparent)]
    Jitter(#[from] JitterShimmerError),
}

#[derive(Debug, Clone)]
struct Pending {
    index: u64,
    time_s: f64,
    spectral: SpectralFrame,
    formants: Formants,
    mag60: Vec<f32>,
}

/// Most trailing 20 ms-only frames any supported rate produces
/// (`(frame60 − frame25) / hop + 1` = 5 at every rate ≥ 8 kHz, with margin).
const MAX_TAIL: usize = 8;

/// Streaming raw-LLD extractor. `new` allocates; nothing else does.
pub struct LldStream {
    framing: Framing,
    f0: F0Tracker,
    formants: FormantTracker,
    harmonics: Harmonics,
    jitter: JitterShimmer,
    spectral: SpectralLlds,
    ring: Vec<Pending>,
    tail: Vec<Pending>,
    tail_len: usize,
}

impl std::fmt::Debug for LldStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LldStream").field("framing", &self.framing).finish()
    }
}

impl LldStream {
    /// An extractor for frames of a [`crate::dsp::frontend::FrontEnd`] at
    /// `sample_rate_hz` with FFT lengths `n_fft25` / `n_fft60`.
    pub fn new(sample_rate_hz: u32, n_fft25: usize, n_fft60: usize) -> Result<Self, EgemapsError> {
        let framing = Framing::at(sample_rate_hz);
        let f0 = F0Tracker::new(sample_rate_hz, n_fft60);
        let blank = Pending {
            index: 0,
            time_s: 0.0,
            spectral: SpectralFrame::default(),
            formants: Formants::default(),
            mag60: vec![0.0; n_fft60 / 2 + 1],
        };
        Ok(Self {
            framing,
            ring: vec![blank.clone(); f0.lag_frames() + 2],
            tail: vec![blank; MAX_TAIL],
            tail_len: 0,
            f0,
            formants: FormantTracker::new(sample_rate_hz, framing.frame25, n_fft25)?,
            harmonics: Harmonics::new(sample_rate_hz, framing.frame60, n_fft60)?,
            jitter: JitterShimmer::new(sample_rate_hz, INPUT_MAX_DELAY_S)?,
            spectral: SpectralLlds::new(sample_rate_hz, n_fft25)?,
        })
    }

    /// Frame geometry.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Frames between a frame entering and its raw LLDs leaving.
    pub fn lag_frames(&self) -> usize {
        self.f0.lag_frames()
    }

    /// Gives jitter/shimmer the waveform. Call with each block of samples
    /// before the front-end frames that block completes; blocks must be
    /// shorter than the jitter history (2.5 s), so split large buffers.
    pub fn push_samples(&mut self, samples: &[f32]) {
        self.jitter.push_samples(samples);
    }

    /// Consumes one front-end frame; emits the frames that became final.
    pub fn process_view(&mut self, view: &FrameView<'_>, mut on_frame: impl FnMut(&IndexedRawLlds)) {
        let Some(spec60) = view.spec60 else {
            if self.tail_len < self.tail.len() {
                let slot = &mut self.tail[self.tail_len];
                slot.index = view.index;
                slot.time_s = view.time_s;
                self.spectral.process(view.raw25, view.spec25.magnitudes(), &mut slot.spectral);
                self.formants.process(view.spec25.bins(), &mut slot.formants);
                self.tail_len += 1;
            }
            return;
        };
        let n = self.ring.len();
        let slot = &mut self.ring[(view.index % n as u64) as usize];
        slot.index = view.index;
        slot.time_s = view.time_s;
        self.spectral.process(view.raw25, view.spec25.magnitudes(), &mut slot.spectral);
        self.formants.process(view.spec25.bins(), &mut slot.formants);
        let mags = spec60.magnitudes();
        let k = mags.len().min(slot.mag60.len());
        slot.mag60[..k].copy_from_slice(&mags[..k]);
        if let Some(f0) = self.f0.push(spec60.windowed(), mags) {
            self.emit(f0, &mut on_frame);
        }
    }

    /// End of input: drains the F0 chain, then the trailing 20 ms-only frames,
    /// and resets for a new stream.
    pub fn finish(&mut self, mut on_frame: impl FnMut(&IndexedRawLlds)) {
        while let Some(f0) = self.f0.flush() {
            self.emit(f0, &mut on_frame);
        }
        for t in &self.tail[..self.tail_len] {
            on_frame(&IndexedRawLlds {
                index: t.index,
                time_s: t.time_s,
                llds: RawLlds { spectral: spectral_llds(&t.spectral), voice: None },
                f0_hz: 0.0,
            });
        }
        self.reset();
    }

    /// Forgets all state.
    pub fn reset(&mut self) {
        self.f0.reset();
        self.jitter.reset();
        self.spectral.reset();
        self.tail_len = 0;
    }

    fn emit(&mut self, f0: F0Frame, on_frame: &mut impl FnMut(&IndexedRawLlds)) {
        let n = self.ring.len();
        let p = &self.ring[(f0.index % n as u64) as usize];
        debug_assert_eq!(p.index, f0.index, "F0 frame out of step with the pending ring");
        let mut harmonics = HarmonicsFrame::default();
        self.harmonics.process(&p.mag60, f0.f0_hz, &p.formants, &mut harmonics);
        // The history always covers this frame (lag ≈ 0.4 s, history 2.5 s,
        // push blocks split by the caller); an error would mean a misuse, and
        // then the frame is reported unvoiced-like rather than panicking.
        let jitter = self.jitter.process_frame(f0.index, f0.f0_hz).unwrap_or_default();
        let voice = VoiceLlds {
            f0_semitones: f0.f0_semitones,
            jitter_local: jitter.jitter_local,
            shimmer_local_db: jitter.shimmer_local_db,
            hnr_db: harmonics.hnr_acf_db,
            h1_h2_db: harmonics.h1_h2_db,
            h1_a3_db: harmonics.h1_a3_db,
            formant_freq_hz: [p.formants.freq_hz[0], p.formants.freq_hz[1], p.formants.freq_hz[2]],
            formant_bandwidth_hz: [p.formants.bandwidth_hz[0], p.formants.bandwidth_hz[1], p.formants.bandwidth_hz[2]],
            formant_amplitude_db: harmonics.formant_amplitude_db,
            flushed: f0.flushed,
        };
        on_frame(&IndexedRawLlds {
            index: p.index,
            time_s: p.time_s,
            llds: RawLlds { spectral: spectral_llds(&p.spectral), voice: Some(voice) },
            f0_hz: f0.f0_hz,
        });
    }
}

/// The extractor's 20 ms output as the smoothers' record.
fn spectral_llds(f: &SpectralFrame) -> lld::SpectralLlds {
    lld::SpectralLlds {
        loudness_sones: f.loudness,
        alpha_ratio_db: f.alpha_ratio_db,
        hammarberg_index_db: f.hammarberg_db,
        slope_0_500: f.slope_0_500,
        slope_500_1500: f.slope_500_1500,
        spectral_flux: f.flux,
        mfcc: f.mfcc,
        energy_sq: f.energy_sq,
    }
}
