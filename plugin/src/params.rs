//! Parameters and persisted settings.
//!
//! Host-visible parameters:
//! - `valence`, `arousal`: **outputs** (read-only meters: VST3 `kIsReadOnly`,
//!   CLAP `CLAP_PARAM_IS_READONLY`, neither automatable nor modulatable). The
//!   plugin sets them from `process()` at the sample where each estimate
//!   takes effect; hosts display them and can link other parameters to them.
//!   The long reading: the mood of the model's whole context (45 s).
//! - `valence-now`, `arousal-now`: the same kind of outputs for the "now"
//!   reading (the last ~3 s, `moodtap_core::model::now`), and its automation
//!   parameters `valence-now-automation`, `arousal-now-automation` (written
//!   with the others while `write-automation` is on). Added after the older
//!   parameters, so the parameter order of saved sessions is unchanged.
//! - `hold`: freezes every output while on (an input, automatable).
//! - `write-automation` and the two automatable **automation** parameters
//!   `valence-automation`, `arousal-automation`: while the switch is on,
//!   `process()` also writes each estimate into these, bracketed by gestures
//!   (CLAP) and marked recordable, so a host in automation-write mode records
//!   them as lanes; while it is off they are plain inputs the plugin ignores
//!   (a recorded lane plays back through them, e.g. to drive linked effects).
//!
//! Everything a user sets once per project — MIDI routing, smoothing, the
//! model file — is persisted with `#[persist]` instead of being a parameter:
//! a host automating the CC number or the model path would make no sense, and
//! keeping them out of the parameter list leaves the host's mapping menus with
//! just the values worth following.
//!
//! Persisted settings are atomics so the audio thread reads them without locks.
//! Values restored from a project are clamped when read (`MidiSettings::load`),
//! so a hand-edited or corrupt project cannot produce out-of-range MIDI.

use atomic_float::AtomicF32;
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

/// Range of the valence/arousal parameters: normalised value = value.
pub fn output_range() -> FloatRange {
    FloatRange::Linear { min: 0.0, max: 1.0 }
}

/// Smoothing time constant range in seconds, shared by the editor slider.
pub const SMOOTHING_RANGE_S: std::ops::RangeInclusive<f32> = 0.0..=30.0;
/// Default smoothing time constant (s): settles within a few estimate steps
/// without hiding section changes.
pub const DEFAULT_SMOOTHING_S: f32 = 2.0;
/// Default MIDI channel (0-based: 0 = channel 1).
pub const DEFAULT_MIDI_CHANNEL: u8 = 0;
/// Default CC for valence (CC 20–31 are undefined in the MIDI spec, so free
/// to use, and below 32 so the 14-bit LSB partner n+32 exists).
pub const DEFAULT_CC_VALENCE: u8 = 20;
/// Default CC for arousal.
pub const DEFAULT_CC_AROUSAL: u8 = 21;
/// Default CC for the "now" valence.
pub const DEFAULT_CC_VALENCE_NOW: u8 = 22;
/// Default CC for the "now" arousal.
pub const DEFAULT_CC_AROUSAL_NOW: u8 = 23;

/// The plugin's parameters and persisted state.
#[derive(Params)]
pub struct MoodtapParams {
    /// Estimated valence in [0, 1] (0 = negative, 1 = positive). A read-only
    /// output the plugin sets from `process()`.
    #[id = "valence"]
    pub valence: FloatParam,

    /// Estimated arousal in [0, 1] (0 = calm, 1 = energetic). A read-only output.
    #[id = "arousal"]
    pub arousal: FloatParam,

    /// Hold/freeze: while on, outputs keep their last value; analysis goes
    /// on so the estimate is current when released.
    #[id = "hold"]
    pub hold: BoolParam,

    /// While on, every estimate is also written into the two automation
    /// parameters as recordable, gesture-bracketed changes.
    #[id = "write-automation"]
    pub write_automation: BoolParam,

    /// Valence as an automatable parameter, written only while
    /// `write-automation` is on (what a host records as a lane).
    #[id = "valence-automation"]
    pub valence_automation: FloatParam,

    /// Arousal as an automatable parameter, written only while
    /// `write-automation` is on.
    #[id = "arousal-automation"]
    pub arousal_automation: FloatParam,

    /// Valence of the "now" reading (last ~3 s) in [0, 1]. A read-only output.
    #[id = "valence-now"]
    pub valence_now: FloatParam,

    /// Arousal of the "now" reading (last ~3 s) in [0, 1]. A read-only output.
    #[id = "arousal-now"]
    pub arousal_now: FloatParam,

    /// The "now" valence as an automatable parameter, written only while
    /// `write-automation` is on.
    #[id = "valence-now-automation"]
    pub valence_now_automation: FloatParam,

    /// The "now" arousal as an automatable parameter, written only while
    /// `write-automation` is on.
    #[id = "arousal-now-automation"]
    pub arousal_now_automation: FloatParam,

    /// Smoothing time constant in seconds (one-pole; 0 = none).
    #[persist = "smoothing-s"]
    pub smoothing_s: Arc<AtomicF32>,

    /// MIDI CC output on/off.
    #[persist = "midi-enabled"]
    pub midi_enabled: Arc<AtomicBool>,

    /// MIDI channel, 0-based (0–15).
    #[persist = "midi-channel"]
    pub midi_channel: Arc<AtomicU8>,

    /// CC number carrying valence (0–127; 0–31 in 14-bit mode).
    #[persist = "cc-valence"]
    pub cc_valence: Arc<AtomicU8>,

    /// CC number carrying arousal (0–127; 0–31 in 14-bit mode).
    #[persist = "cc-arousal"]
    pub cc_arousal: Arc<AtomicU8>,

    /// CC number carrying the "now" valence (0–127; 0–31 in 14-bit mode).
    /// Sessions saved before it existed get the default.
    #[persist = "cc-valence-now"]
    pub cc_valence_now: Arc<AtomicU8>,

    /// CC number carrying the "now" arousal (0–127; 0–31 in 14-bit mode).
    #[persist = "cc-arousal-now"]
    pub cc_arousal_now: Arc<AtomicU8>,

    /// 14-bit CC: MSB on CC n, LSB on CC n+32 (MIDI 1.0 controller pairs).
    #[persist = "cc-14bit"]
    pub cc_14bit: Arc<AtomicBool>,

    /// Path of a user model file; `None` = the embedded model.
    #[persist = "model-path"]
    pub model_path: ModelPath,
}

impl Default for MoodtapParams {
    fn default() -> Self {
        let value = |name: &str| {
            FloatParam::new(name, 0.5, output_range()).with_value_to_string(formatters::v2s_f32_rounded(3))
        };
        Self {
            valence: value("Valence").output(),
            arousal: value("Arousal").output(),
            hold: BoolParam::new("Hold", false),
            write_automation: BoolParam::new("Write automation", false).non_automatable(),
            valence_automation: value("Valence (automation)"),
            arousal_automation: value("Arousal (automation)"),
            valence_now: value("Valence now").output(),
            arousal_now: value("Arousal now").output(),
            valence_now_automation: value("Valence now (automation)"),
            arousal_now_automation: value("Arousal now (automation)"),
            smoothing_s: Arc::new(AtomicF32::new(DEFAULT_SMOOTHING_S)),
            midi_enabled: Arc::new(AtomicBool::new(true)),
            midi_channel: Arc::new(AtomicU8::new(DEFAULT_MIDI_CHANNEL)),
            cc_valence: Arc::new(AtomicU8::new(DEFAULT_CC_VALENCE)),
            cc_arousal: Arc::new(AtomicU8::new(DEFAULT_CC_AROUSAL)),
            cc_valence_now: Arc::new(AtomicU8::new(DEFAULT_CC_VALENCE_NOW)),
            cc_arousal_now: Arc::new(AtomicU8::new(DEFAULT_CC_AROUSAL_NOW)),
            cc_14bit: Arc::new(AtomicBool::new(false)),
            model_path: ModelPath::default(),
        }
    }
}

impl MoodtapParams {
    /// Smoothing time constant, clamped to [`SMOOTHING_RANGE_S`]; NaN → default.
    pub fn smoothing_s(&self) -> f32 {
        let s = self.smoothing_s.load(Ordering::Relaxed);
        if s.is_finite() {
            s.clamp(*SMOOTHING_RANGE_S.start(), *SMOOTHING_RANGE_S.end())
        } else {
            DEFAULT_SMOOTHING_S
        }
    }

    /// Current MIDI settings, clamped to valid values. Lock-free.
    pub fn midi(&self) -> MidiSettings {
        MidiSettings::load(self)
    }
}

/// A validated snapshot of the MIDI output settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MidiSettings {
    /// Output on/off.
    pub enabled: bool,
    /// Channel 0–15.
    pub channel: u8,
    /// CC for valence: 0–127, or 0–31 when `high_res`.
    pub cc_valence: u8,
    /// CC for arousal: 0–127, or 0–31 when `high_res`.
    pub cc_arousal: u8,
    /// CC for the "now" valence: 0–127, or 0–31 when `high_res`.
    pub cc_valence_now: u8,
    /// CC for the "now" arousal: 0–127, or 0–31 when `high_res`.
    pub cc_arousal_now: u8,
    /// 14-bit pairs (n, n+32).
    pub high_res: bool,
}

impl MidiSettings {
    fn load(p: &MoodtapParams) -> Self {
        let high_res = p.cc_14bit.load(Ordering::Relaxed);
        let max_cc = if high_res { 31 } else { 127 };
        Self {
            enabled: p.midi_enabled.load(Ordering::Relaxed),
            channel: p.midi_channel.load(Ordering::Relaxed).min(15),
            cc_valence: p.cc_valence.load(Ordering::Relaxed).min(max_cc),
            cc_arousal: p.cc_arousal.load(Ordering::Relaxed).min(max_cc),
            cc_valence_now: p.cc_valence_now.load(Ordering::Relaxed).min(max_cc),
            cc_arousal_now: p.cc_arousal_now.load(Ordering::Relaxed).min(max_cc),
            high_res,
        }
    }

    /// The controllers in [`crate::timeline::Readings`] order.
    pub fn ccs(&self) -> [u8; 4] {
        [self.cc_valence, self.cc_arousal, self.cc_valence_now, self.cc_arousal_now]
    }
}

/// The persisted model path. Restoring a project sets it through
/// [`PersistentField::set`], which bumps [`ModelPath::generation`] so the
/// analysis side notices a new path without the wrapper telling the plugin.
#[derive(Debug, Default)]
pub struct ModelPath {
    path: RwLock<Option<String>>,
    generation: AtomicU32,
}

impl ModelPath {
    /// The stored path (not the audio thread: takes a read lock).
    pub fn get(&self) -> Option<String> {
        self.path.read().map(|p| p.clone()).unwrap_or(None)
    }

    /// Changes the path and bumps the generation.
    pub fn set_path(&self, path: Option<String>) {
        if let Ok(mut p) = self.path.write() {
            *p = path;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Incremented on every change; compare to notice restores.
    pub fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }
}

impl<'a> PersistentField<'a, Option<String>> for ModelPath {
    fn set(&self, new_value: Option<String>) {
        self.set_path(new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<String>) -> R,
    {
        match self.path.read() {
            Ok(p) => f(&p),
            Err(_) => f(&None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restored_out_of_range_midi_settings_are_clamped() {
        let p = MoodtapParams::default();
        p.midi_channel.store(200, Ordering::Relaxed);
        p.cc_valence.store(100, Ordering::Relaxed);
        p.cc_14bit.store(true, Ordering::Relaxed);
        let m = p.midi();
        assert_eq!(m.channel, 15);
        assert_eq!(m.cc_valence, 31, "14-bit needs n+32 to exist");
        p.cc_14bit.store(false, Ordering::Relaxed);
        assert_eq!(p.midi().cc_valence, 100);
    }

    #[test]
    fn nan_smoothing_falls_back_to_default() {
        let p = MoodtapParams::default();
        p.smoothing_s.store(f32::NAN, Ordering::Relaxed);
        assert_eq!(p.smoothing_s(), DEFAULT_SMOOTHING_S);
        p.smoothing_s.store(1e9, Ordering::Relaxed);
        assert_eq!(p.smoothing_s(), *SMOOTHING_RANGE_S.end());
    }

    #[test]
    fn persisted_fields_round_trip_and_bump_generation() {
        let p = MoodtapParams::default();
        let g0 = p.model_path.generation();
        p.model_path.set_path(Some("/tmp/m.bin".into()));
        p.cc_arousal.store(7, Ordering::Relaxed);
        let saved = p.serialize_fields();
        let q = MoodtapParams::default();
        q.deserialize_fields(&saved);
        assert_eq!(q.model_path.get().as_deref(), Some("/tmp/m.bin"));
        assert_eq!(q.cc_arousal.load(Ordering::Relaxed), 7);
        assert!(p.model_path.generation() != g0);
    }
}
