//! File decoding with symphonia (WAV, FLAC, MP3, Ogg Vorbis, AIFF) to mono f32
//! at the file's own rate, channel mean as the downmix (docs/design.md §2).
//!
//! [`Decoder`] streams packet by packet so a long file never has to sit in
//! memory at once; [`decode_file`] collects a whole file. Damaged input gives
//! a typed [`AudioError`] or, for a packet that fails to decode mid-stream,
//! is skipped and counted in [`DecodeStats`] (as audio players do).

use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use super::{downmix_frame, MAX_RATE_HZ, MIN_RATE_HZ};

/// The containers and codecs this build decodes, for messages.
#[cfg(feature = "opus")]
pub const SUPPORTED_FORMATS: &str = "WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus, AIFF";
/// The containers and codecs this build decodes, for messages.
#[cfg(not(feature = "opus"))]
pub const SUPPORTED_FORMATS: &str = "WAV, FLAC, MP3, Ogg Vorbis, AIFF";

/// symphonia's codecs, plus libopus for Opus when the `opus` feature is on.
fn codecs() -> &'static symphonia::core::codecs::registry::CodecRegistry {
    #[cfg(feature = "opus")]
    {
        static REGISTRY: std::sync::OnceLock<symphonia::core::codecs::registry::CodecRegistry> =
            std::sync::OnceLock::new();
        REGISTRY.get_or_init(|| {
            let mut registry = symphonia::core::codecs::registry::CodecRegistry::new();
            symphonia::default::register_enabled_codecs(&mut registry);
            registry.register_audio_decoder::<symphonia_adapter_libopus::OpusDecoder>();
            registry
        })
    }
    #[cfg(not(feature = "opus"))]
    {
        symphonia::default::get_codecs()
    }
}

/// Why audio could not be read. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// No decoder recognised the container (not audio, or an unsupported format).
    #[error("{what} is not a supported audio file (supported: {SUPPORTED_FORMATS}): {detail}")]
    UnsupportedFormat {
        /// File or stream description.
        what: String,
        /// Decoder's explanation.
        detail: String,
    },
    /// The container has no audio track symphonia can decode.
    #[error("{what} has no decodable audio track ({detail}); convert it to WAV or FLAC")]
    NoAudioTrack {
        /// File or stream description.
        what: String,
        /// Decoder's explanation.
        detail: String,
    },
    /// The stream decoded to zero samples (empty, or every packet damaged).
    #[error("{what} contains no audio samples")]
    Empty {
        /// File or stream description.
        what: String,
    },
    /// The sample rate is outside 8–192 kHz.
    #[error("{what} has sample rate {rate_hz} Hz; moodtap supports 8000–192000 Hz")]
    UnsupportedRate {
        /// File or stream description.
        what: String,
        /// The offending rate.
        rate_hz: u32,
    },
}

/// What happened while decoding, beyond the samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: usize,
    /// True when the stream ended early (truncated file): decoding stopped at the damage.
    pub truncated: bool,
    /// Non-finite decoded samples replaced by 0.
    pub nonfinite_samples: usize,
    /// Samples beyond ±[`super::MAX_ABS_SAMPLE`] (+30 dBFS) clipped to it.
    pub clipped_samples: usize,
}

/// A whole decoded file.
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// Mono samples (channel mean), nominally in [−1, 1].
    pub samples: Vec<f32>,
    /// Sample rate of `samples` in Hz.
    pub sample_rate_hz: u32,
    /// Channels in the source.
    pub channels: usize,
    /// Decoding events worth reporting.
    pub stats: DecodeStats,
}

impl DecodedAudio {
    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate_hz as f64
    }
}

/// Streaming decoder: yields mono blocks at the source rate.
pub struct Decoder {
    what: String,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    sample_rate_hz: u32,
    channels: usize,
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    stats: DecodeStats,
    finished: bool,
    /// Frames the container announces (WAV header, MP3 Xing/Info tag, FLAC
    /// stream info), if it does; a clean end far short of it is a truncation.
    expected_frames: Option<u64>,
    /// Frames decoded so far.
    decoded_frames: u64,
}

/// Frames a stream may end short of its announced length without being
/// called truncated: encoder delay and padding plus a few codec frames
/// (4 × 1152 for MP3).
const TRUNCATION_SLACK_FRAMES: u64 = 4 * 1152;

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("what", &self.what)
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("channels", &self.channels)
            .finish()
    }
}

impl Decoder {
    /// Opens `path`; the extension is used as a format hint only.
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let file = File::open(path).map_err(|source| AudioError::Io { path: path.to_path_buf(), source })?;
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        Self::from_stream(
            path.display().to_string(),
            MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default()),
            hint,
        )
    }

    /// Decodes in-memory bytes (e.g. an embedded test file).
    pub fn from_bytes(what: &str, bytes: Vec<u8>) -> Result<Self, AudioError> {
        let cursor = std::io::Cursor::new(bytes);
        Self::from_stream(
            what.to_string(),
            MediaSourceStream::new(Box::new(cursor), MediaSourceStreamOptions::default()),
            Hint::new(),
        )
    }

    fn from_stream(what: String, mss: MediaSourceStream<'static>, hint: Hint) -> Result<Self, AudioError> {
        let format = symphonia::default::get_probe()
            .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| AudioError::UnsupportedFormat { what: what.clone(), detail: e.to_string() })?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| AudioError::NoAudioTrack { what: what.clone(), detail: "no audio track".into() })?;
        let track_id = track.id;
        let params = track.codec_params.as_ref().and_then(|p| p.audio()).cloned().ok_or_else(|| {
            AudioError::NoAudioTrack { what: what.clone(), detail: "unknown codec parameters".into() }
        })?;
        let decoder = codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| AudioError::NoAudioTrack { what: what.clone(), detail: e.to_string() })?;
        let sample_rate_hz = params.sample_rate.unwrap_or(0);
        if !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&sample_rate_hz) {
            return Err(AudioError::UnsupportedRate { what, rate_hz: sample_rate_hz });
        }
        let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
        let expected_frames = track
            .num_frames
            .map(|n| n.saturating_sub(u64::from(track.delay.unwrap_or(0)) + u64::from(track.padding.unwrap_or(0))));
        Ok(Self {
            what,
            format,
            decoder,
            track_id,
            sample_rate_hz,
            channels,
            interleaved: Vec::new(),
            mono: Vec::new(),
            stats: DecodeStats::default(),
            finished: false,
            expected_frames,
            decoded_frames: 0,
        })
    }

    /// Source sample rate in Hz.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Source channel count (0 if the container did not say; taken from the
    /// first decoded packet then).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Description used in messages (usually the path).
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Decoding events so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// The next block of mono samples, or `None` at end of stream. Blocks may
    /// be empty-free but vary in length (one codec packet each).
    pub fn next_block(&mut self) -> Option<&[f32]> {
        // Packets that fail to decode are skipped; give up after many in a row
        // so a file of garbage ends instead of spinning.
        let mut consecutive_failures = 0usize;
        while !self.finished {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.finished = true;
                    // Some demuxers (MP3) end cleanly at a cut: compare with the announced length.
                    if self.expected_frames.is_some_and(|n| self.decoded_frames + TRUNCATION_SLACK_FRAMES < n) {
                        self.stats.truncated = true;
                    }
                    break;
                }
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.stats.truncated = true;
                    self.finished = true;
                    break;
                }
                Err(SymError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(_) => {
                    self.stats.truncated = true;
                    self.finished = true;
                    break;
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(buf) => {
                    let ch = buf.spec().channels().count().max(1);
                    if self.channels == 0 {
                        self.channels = ch;
                    }
                    buf.copy_to_vec_interleaved::<f32>(&mut self.interleaved);
                    self.mono.clear();
                    for frame in self.interleaved.chunks_exact(ch) {
                        if frame.iter().any(|x| !(x.abs() <= super::MAX_ABS_SAMPLE)) {
                            self.stats.nonfinite_samples += frame.iter().filter(|x| !x.is_finite()).count();
                            self.stats.clipped_samples +=
                                frame.iter().filter(|x| x.is_finite() && x.abs() > super::MAX_ABS_SAMPLE).count();
                        }
                        self.mono.push(downmix_frame(frame));
                    }
                    self.decoded_frames += self.mono.len() as u64;
                    if self.mono.is_empty() {
                        continue;
                    }
                    return Some(&self.mono);
                }
                Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                    self.stats.skipped_packets += 1;
                    consecutive_failures += 1;
                    if consecutive_failures > 64 {
                        self.stats.truncated = true;
                        self.finished = true;
                    }
                }
                Err(SymError::ResetRequired) => self.decoder.reset(),
                Err(_) => {
                    self.stats.skipped_packets += 1;
                    self.finished = true;
                }
            }
        }
        None
    }
}

/// Decodes a whole file to mono at its own rate.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, AudioError> {
    collect(Decoder::open(path)?)
}

/// Decodes whole in-memory bytes to mono at their own rate.
pub fn decode_bytes(what: &str, bytes: Vec<u8>) -> Result<DecodedAudio, AudioError> {
    collect(Decoder::from_bytes(what, bytes)?)
}

fn collect(mut dec: Decoder) -> Result<DecodedAudio, AudioError> {
    let mut samples = Vec::new();
    while let Some(block) = dec.next_block() {
        samples.extend_from_slice(block);
    }
    if samples.is_empty() {
        return Err(AudioError::Empty { what: dec.what().to_string() });
    }
    Ok(DecodedAudio { samples, sample_rate_hz: dec.sample_rate_hz(), channels: dec.channels(), stats: dec.stats() })
}
