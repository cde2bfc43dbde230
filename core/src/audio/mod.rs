//! Audio input: decoding files to mono f32 ([`decode`]), resampling to the
//! analysis rate ([`resample`]) and the input-sanitising rule every analysis
//! path applies ([`sanitize`]).

pub mod decode;
pub mod resample;

pub use decode::{decode_file, AudioError, DecodedAudio, Decoder};
pub use resample::StreamResampler;

/// Lowest and highest sample rates moodtap accepts (Hz), per the brief.
pub const MIN_RATE_HZ: u32 = 8_000;
/// See [`MIN_RATE_HZ`].
pub const MAX_RATE_HZ: u32 = 192_000;

/// Replaces non-finite samples (NaN, ±Inf) by 0.0 in place and returns how
/// many were replaced. Analysis treats such samples as silence: a single NaN
/// from a broken upstream plugin must not poison every later frame.
pub fn sanitize(samples: &mut [f32]) -> usize {
    let mut n = 0;
    for s in samples.iter_mut() {
        if !s.is_finite() {
            *s = 0.0;
            n += 1;
        }
    }
    n
}

/// Mean of the channels of one interleaved frame; non-finite channels count as 0.
#[inline]
pub fn downmix_frame(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let sum: f32 = frame.iter().map(|&x| if x.is_finite() { x } else { 0.0 }).sum();
    sum / frame.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_replaces_only_non_finite() {
        let mut x = [1.0, f32::NAN, -0.5, f32::INFINITY, f32::NEG_INFINITY, 0.0];
        assert_eq!(sanitize(&mut x), 3);
        assert_eq!(x, [1.0, 0.0, -0.5, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn downmix_is_channel_mean() {
        assert_eq!(downmix_frame(&[1.0, 0.0]), 0.5);
        assert_eq!(downmix_frame(&[0.25]), 0.25);
        assert_eq!(downmix_frame(&[1.0, f32::NAN]), 0.5);
        assert_eq!(downmix_frame(&[]), 0.0);
    }
}
