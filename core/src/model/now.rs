//! The "now" reading: the same network shown only the last few seconds of
//! music, beside the long reading over its whole context (like momentary vs
//! integrated loudness in EBU R128 meters).
//!
//! The network is agnostic of the number of steps it is given (3×3
//! convolutions with batch norm in inference mode, 2×2 pooling, a BiLSTM,
//! self-attention and a mean over time; docs/design.md §4), so the weights
//! trained on `T`-step inputs run unchanged on `K` = [`now_t_steps`] steps
//! (about [`NOW_CONTEXT_S`] s). Shown exactly `K` steps, not `T` rows with
//! zeros above them, the network keeps its full output range: zero rows (the
//! normalised mean) would pull a short reading towards the middle.
//!
//! The raw `K`-step output jitters from step to step, so the reading is the
//! output after one-pole smoothing with time constant [`NOW_SMOOTHING_S`]
//! (`crate::estimate_smoothing`), part of its definition like the 400 ms
//! window of momentary loudness. Measured on real music (calm → intense → calm,
//! docs/responsiveness.md): half-way to the new level 2.6 s / 3.0 s after the
//! switches, where the long reading takes 19–24 s.

use super::config::MIN_T_STEPS;
use super::inference::{LoadedModel, ValenceArousal};
use crate::estimate_smoothing::EstimateSmoother;
use crate::fusion::FusionRing;

/// Audio the "now" reading sees, s (rounded to whole steps by [`now_t_steps`]).
pub const NOW_CONTEXT_S: f64 = 3.0;

/// Time constant of the one-pole smoothing that is part of the "now" reading, s.
pub const NOW_SMOOTHING_S: f32 = 0.3;

/// Steps `K` of the "now" reading for a model of `t_steps` steps `hop_s` s apart:
/// [`NOW_CONTEXT_S`] / `hop_s` rounded, at least [`MIN_T_STEPS`] (the two pools
/// need 4 rows) and at most `t_steps`. 20 for the default model (hop 0.1505 s).
pub fn now_t_steps(t_steps: usize, hop_s: f64) -> usize {
    let k = if hop_s.is_finite() && hop_s > 0.0 { (NOW_CONTEXT_S / hop_s).round().min(1e6) as usize } else { t_steps };
    k.max(MIN_T_STEPS).min(t_steps)
}

/// The "now" reading over one stream: its `K × N` input and its smoothing.
/// [`crate::analyzer::Analyzer`] and the trainer's evaluation over time both
/// step it, so the two give the same values. Allocation-free after [`Self::new`].
#[derive(Debug, Clone)]
pub struct NowReading {
    input: Vec<f32>,
    smoother: EstimateSmoother,
    hop_s: f32,
}

impl NowReading {
    /// State for `model`'s "now" reading.
    pub fn new(model: &LoadedModel) -> Self {
        Self {
            input: vec![0.0; model.now_input_len()],
            smoother: EstimateSmoother::default(),
            hop_s: model.metadata().hop_s as f32,
        }
    }

    /// The reading after the step just pushed into `ring` (a ring of the model's
    /// `T` steps; its last `K` rows are the input, zeros while fewer were seen).
    pub fn step(&mut self, model: &mut LoadedModel, ring: &FusionRing) -> ValenceArousal {
        ring.write_recent(model.now_t_steps(), &mut self.input);
        // Unreachable error: the input is sized from the model.
        let raw = model.predict_now(&self.input).unwrap_or(ValenceArousal { valence: 0.5, arousal: 0.5 });
        let (valence, arousal) = self.smoother.step(raw.valence, raw.arousal, NOW_SMOOTHING_S, self.hop_s);
        ValenceArousal { valence, arousal }
    }

    /// Forgets the smoothing state (new stream).
    pub fn reset(&mut self) {
        self.smoother.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_hop_within_the_model_context() {
        assert_eq!(now_t_steps(299, 45.0 / 299.0), 20);
        assert_eq!(now_t_steps(99, 0.5), 6);
        assert_eq!(now_t_steps(299, 10.0), MIN_T_STEPS); // coarse hop: the pools' minimum
        assert_eq!(now_t_steps(8, 0.01), 8); // never more than the model's T
        assert_eq!(now_t_steps(4, 0.15), 4);
        assert_eq!(now_t_steps(50, f64::NAN), 50);
    }
}
