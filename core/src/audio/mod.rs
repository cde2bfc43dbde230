//! Audio input: decoding files to mono f32 (`decode`, cargo feature `decode`), resampling to the
//! analysis rate ([`resample`]) and the input-sanitising rule every analysis
//! path applies ([`sanitize`]).

#[cfg(feature = "decode")]
pub mod decode;
pub mod resample;

#[cfg(feature = "decode")]
pub use decode::{decode_file, AudioError, DecodedAudio, Decoder};
pub use resample::StreamResampler;

/// Lowest and highest sample rates moodtap accepts (Hz), per the brief.
pub const MIN_RATE_HZ: u32 = 8_000;
/// See [`MIN_RATE_HZ`].
pub const MAX_RATE_HZ: u32 = 192_000;

/// Largest sample magnitude analysis accepts: 32.0 = +30 dBFS. Real audio
/// never comes near it (float masters peak a few dB over 0 dBFS), but a
/// float file or a broken upstream plugin can deliver 10¹⁸ and more, where
/// squares overflow f32 and features turned infinite (or, past 10²⁰, equal
/// silence's). Louder samples are clipped here; the CLI reports how many.
pub const MAX_ABS_SAMPLE: f32 = 32.0;

/// The input rule every analysis path applies, in place: non-finite samples
/// (NaN, ±Inf) become 0.0 (a single NaN must not poison every later frame)
/// and magnitudes beyond [`MAX_ABS_SAMPLE`] are clipped to it. Returns how
/// many samples were non-finite.
pub fn sanitize(samples: &mut [f32]) -> usize {
    let mut n = 0;
    for s in samples.iter_mut() {
        if !s.is_finite() {
            *s = 0.0;
            n += 1;
        } else {
            *s = s.clamp(-MAX_ABS_SAMPLE, MAX_ABS_SAMPLE);
        }
    }
    n
}

/// Mean of the channels of one interleaved frame; non-finite channels count
/// as 0 and each channel is clipped to ±[`MAX_ABS_SAMPLE`] first.
#[inline]
pub fn downmix_frame(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    let sum: f32 =
        frame.iter().map(|&x| if x.is_finite() { x.clamp(-MAX_ABS_SAMPLE, MAX_ABS_SAMPLE) } else { 0.0 }).sum();
    sum / frame.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_replaces_only_non_finite() {
        let mut x = [1.0, f32::NAN, -0.5, f32::INFINITY, f32::NEG_INFINITY, 0.0, 1e18, -1e30];
        assert_eq!(sanitize(&mut x), 3);
        assert_eq!(x, [1.0, 0.0, -0.5, 0.0, 0.0, 0.0, MAX_ABS_SAMPLE, -MAX_ABS_SAMPLE]);
    }

    #[test]
    fn downmix_is_channel_mean() {
        assert_eq!(downmix_frame(&[1.0, 0.0]), 0.5);
        assert_eq!(downmix_frame(&[0.25]), 0.25);
        assert_eq!(downmix_frame(&[1.0, f32::NAN]), 0.5);
        assert_eq!(downmix_frame(&[]), 0.0);
        assert_eq!(downmix_frame(&[1e20, 1e20]), MAX_ABS_SAMPLE);
    }
}
