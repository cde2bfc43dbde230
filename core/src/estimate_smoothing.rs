//! One-pole smoothing of the estimate stream: the plugin's "smoothing" setting
//! and `moodtap analyze --smoothing-s`, one implementation so the two agree
//! to the bit.
//!
//! `y[k] = y[k-1] + α (x[k] − y[k-1])`, `α = 1 − exp(−dt_s / tau_s)`, stepped
//! once per estimate (`dt_s` = the model's hop, seconds); the first estimate
//! after a reset passes through unchanged. `tau_s ≤ 0` (or non-finite)
//! switches smoothing off. Allocation-free.

/// One-pole smoother for (valence, arousal) pairs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EstimateSmoother {
    state: Option<(f32, f32)>,
}

impl EstimateSmoother {
    /// Feeds one estimate `dt_s` seconds after the previous one with time
    /// constant `tau_s` seconds; returns the smoothed pair.
    pub fn step(&mut self, valence: f32, arousal: f32, tau_s: f32, dt_s: f32) -> (f32, f32) {
        let next = match self.state {
            None => (valence, arousal),
            Some((v, a)) => {
                let alpha = if tau_s.is_finite() && tau_s > 0.0 { 1.0 - (-dt_s / tau_s).exp() } else { 1.0 };
                (v + alpha * (valence - v), a + alpha * (arousal - a))
            }
        };
        self.state = Some(next);
        next
    }

    /// Forgets the state (the next estimate passes through).
    pub fn reset(&mut self) {
        self.state = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_constant_and_off() {
        let mut s = EstimateSmoother::default();
        s.step(0.0, 0.0, 1.0, 0.5);
        // After one time constant (two 0.5 s steps) a step reaches 1 − e⁻¹.
        s.step(1.0, 1.0, 1.0, 0.5);
        let (v, _) = s.step(1.0, 1.0, 1.0, 0.5);
        assert!((v - (1.0 - (-1.0f32).exp())).abs() < 1e-5);
        let mut none = EstimateSmoother::default();
        none.step(0.0, 0.0, 0.0, 0.5);
        assert_eq!(none.step(1.0, 1.0, 0.0, 0.5), (1.0, 1.0));
        assert_eq!(none.step(0.25, 0.75, f32::NAN, 0.5), (0.25, 0.75));
        none.reset();
        assert_eq!(none.step(0.5, 0.5, 10.0, 0.5), (0.5, 0.5));
    }
}
