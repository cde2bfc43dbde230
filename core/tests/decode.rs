//! Decoding real and damaged files: every case gives samples or a typed
//! error, never a panic.

use std::io::Write;
use std::path::PathBuf;

use moodtap_core::audio::{decode::decode_bytes, decode_file, AudioError};

fn wav_bytes(rate: u32, channels: u16, frames: &[Vec<f32>], float: bool) -> Vec<u8> {
    let bytes_per = if float { 4 } else { 2 };
    let data_len = frames.len() * channels as usize * bytes_per;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&((36 + data_len) as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&(if float { 3u16 } else { 1u16 }).to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * channels as u32 * bytes_per as u32).to_le_bytes());
    v.extend_from_slice(&(channels * bytes_per as u16).to_le_bytes());
    v.extend_from_slice(&((bytes_per * 8) as u16).to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data_len as u32).to_le_bytes());
    for f in frames {
        for &x in f {
            if float {
                v.extend_from_slice(&x.to_le_bytes());
            } else {
                v.extend_from_slice(&((x.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes());
            }
        }
    }
    v
}

fn tmp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moodtap-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

fn sine_frames(rate: u32, channels: u16, n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| {
            let s = (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin() * 0.5;
            (0..channels).map(|c| if c == 0 { s } else { -s * 0.5 }).collect()
        })
        .collect()
}

#[test]
fn stereo_wav_is_downmixed_to_channel_mean() {
    let frames = sine_frames(44_100, 2, 4410);
    let a = decode_bytes("stereo", wav_bytes(44_100, 2, &frames, true)).unwrap();
    assert_eq!(a.sample_rate_hz, 44_100);
    assert_eq!(a.channels, 2);
    assert_eq!(a.samples.len(), 4410);
    for (s, f) in a.samples.iter().zip(&frames) {
        assert!((s - (f[0] + f[1]) / 2.0).abs() < 1e-6);
    }
}

#[test]
fn multichannel_and_extreme_rates_decode() {
    for (rate, ch) in [(8_000u32, 1u16), (192_000, 2), (48_000, 6)] {
        let a = decode_bytes("x", wav_bytes(rate, ch, &sine_frames(rate, ch, 1000), false)).unwrap();
        assert_eq!((a.sample_rate_hz, a.channels, a.samples.len()), (rate, ch as usize, 1000));
    }
}

#[test]
fn nan_and_inf_samples_become_silence() {
    let frames = vec![vec![0.5f32], vec![f32::NAN], vec![f32::INFINITY], vec![-0.25]];
    let a = decode_bytes("nan", wav_bytes(22_050, 1, &frames, true)).unwrap();
    assert_eq!(a.samples, vec![0.5, 0.0, 0.0, -0.25]);
    assert_eq!(a.stats.nonfinite_samples, 2);
}

#[test]
fn one_sample_file_decodes() {
    let a = decode_bytes("one", wav_bytes(22_050, 1, &[vec![0.1]], false)).unwrap();
    assert_eq!(a.samples.len(), 1);
}

#[test]
fn empty_inputs_are_clear_errors() {
    let empty = tmp_file("empty.wav", b"");
    assert!(matches!(decode_file(&empty), Err(AudioError::UnsupportedFormat { .. })));
    // A valid header with no data.
    let no_data = wav_bytes(22_050, 1, &[], false);
    assert!(matches!(decode_bytes("nodata", no_data), Err(AudioError::Empty { .. })));
}

#[test]
fn non_audio_and_missing_files_are_clear_errors() {
    let text = tmp_file("notes.wav", b"this is a text file, not audio\n".repeat(100).as_slice());
    let err = decode_file(&text).unwrap_err();
    assert!(matches!(err, AudioError::UnsupportedFormat { .. }), "{err}");
    assert!(err.to_string().contains("not a supported audio file"));
    let missing = decode_file(std::path::Path::new("/nonexistent/moodtap/x.wav")).unwrap_err();
    assert!(matches!(missing, AudioError::Io { .. }));
}

#[test]
fn truncated_wav_gives_the_samples_that_are_there() {
    let full = wav_bytes(22_050, 1, &sine_frames(22_050, 1, 22_050), false);
    let cut = full[..full.len() / 2 + 1].to_vec(); // odd cut: half a sample at the end
    let a = decode_bytes("cut", cut).unwrap();
    assert!(a.samples.len() > 10_000 && a.samples.len() < 12_000, "{}", a.samples.len());
}

#[test]
fn garbage_after_a_valid_header_never_panics() {
    let mut bytes = wav_bytes(22_050, 1, &sine_frames(22_050, 1, 2000), false);
    for (i, b) in bytes.iter_mut().enumerate().skip(44) {
        *b = (i * 31 % 251) as u8;
    }
    // Any outcome but a panic is acceptable for random PCM bytes: PCM has no structure to violate.
    let _ = decode_bytes("garbage", bytes);
    // Random bytes with no header at all.
    let noise: Vec<u8> = (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    assert!(decode_bytes("noise", noise).is_err());
}

#[test]
fn real_mp3_from_the_emomusic_sample_decodes() {
    let p = [
        std::env::var_os("MOODTAP_EMOMUSIC_SAMPLE").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/emomusic-sample")),
        Some(PathBuf::from("/work/shared/data/emomusic-sample")),
    ]
    .into_iter()
    .flatten()
    .map(|d| d.join("clips_45seconds/2.mp3"))
    .find(|p| p.is_file())
    .expect("EmoMusic sample not found: set MOODTAP_EMOMUSIC_SAMPLE to its directory");
    let a = decode_file(&p).unwrap();
    assert!(a.duration_s() > 44.0 && a.duration_s() < 46.5, "{}", a.duration_s());
    let peak = a.samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak > 0.05 && peak <= 1.01);
}
