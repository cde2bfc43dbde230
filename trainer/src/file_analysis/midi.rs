//! Standard MIDI file with valence and arousal as control-change lanes: the long
//! reading's two and the "now" reading's two, as the plugin sends them.
//!
//! Format 0 (one track), 480 ticks per quarter note, tempo 120 BPM
//! (500 000 µs per quarter) and 4/4 at tick 0, so one second is exactly
//! 960 ticks and an event at `time_s` sits at tick `round(time_s · 960)`:
//! dropped at bar 1 of a DAW project at 120 BPM the lanes line up with the
//! audio (at any other project tempo the DAW follows the file's tempo map or
//! stretches it, depending on the host's import setting). Values are
//! `round(v · 127)`; each estimate writes all four controllers (valence,
//! arousal, valence now, arousal now) on the same tick. No running status, so every CC event is 3 bytes.
//! Written by hand from the SMF 1.0 specification (chunk `MThd`/`MTrk`,
//! variable-length delta times, meta events FF 03/51/58/2F).

use std::io::Write;

use moodtap_core::analyzer::Estimate;

/// Ticks per quarter note.
pub const TICKS_PER_QUARTER: u16 = 480;
/// Tempo of the file, BPM.
pub const TEMPO_BPM: f64 = 120.0;
/// Ticks per second at [`TEMPO_BPM`].
pub const TICKS_PER_SECOND: f64 = TICKS_PER_QUARTER as f64 * TEMPO_BPM / 60.0;

/// Which controllers and channel the lanes use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CcLanes {
    /// Controller number of valence (0–119).
    pub valence_cc: u8,
    /// Controller number of arousal (0–119).
    pub arousal_cc: u8,
    /// Controller number of the "now" valence (0–119).
    pub valence_now_cc: u8,
    /// Controller number of the "now" arousal (0–119).
    pub arousal_now_cc: u8,
    /// MIDI channel, 1–16.
    pub channel: u8,
}

impl Default for CcLanes {
    /// CC 20–23 (undefined in General MIDI, free for this) on channel 1, as the plugin.
    fn default() -> Self {
        Self { valence_cc: 20, arousal_cc: 21, valence_now_cc: 22, arousal_now_cc: 23, channel: 1 }
    }
}

/// Invalid lane settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MidiError {
    /// Controller outside 0–119 (120–127 are channel mode messages).
    #[error("CC number {0} is not a controller (use 0-119; 120-127 are channel mode messages)")]
    Controller(u8),
    /// Two lanes use the same controller.
    #[error("each lane needs its own CC number ({0} is given twice; the lanes are valence, arousal, valence now, arousal now)")]
    SameController(u8),
    /// Channel outside 1–16.
    #[error("MIDI channel {0} is outside 1-16")]
    Channel(u8),
}

impl CcLanes {
    /// Checks controller numbers and channel.
    pub fn validate(&self) -> Result<(), MidiError> {
        let ccs = self.ccs();
        for (i, &cc) in ccs.iter().enumerate() {
            if cc > 119 {
                return Err(MidiError::Controller(cc));
            }
            if ccs[..i].contains(&cc) {
                return Err(MidiError::SameController(cc));
            }
        }
        if !(1..=16).contains(&self.channel) {
            return Err(MidiError::Channel(self.channel));
        }
        Ok(())
    }

    /// The controllers: valence, arousal, valence now, arousal now.
    pub fn ccs(&self) -> [u8; 4] {
        [self.valence_cc, self.arousal_cc, self.valence_now_cc, self.arousal_now_cc]
    }
}

/// 0–127 controller value of a [0, 1] estimate (NaN → 0).
pub fn cc_value(v: f32) -> u8 {
    if v.is_nan() {
        return 0;
    }
    (v.clamp(0.0, 1.0) * 127.0).round() as u8
}

fn push_vlq(out: &mut Vec<u8>, mut value: u32) {
    // Up to 4 bytes of 7 bits, most significant first, continuation bit on all but the last.
    let mut bytes = [0u8; 4];
    let mut n = 0;
    loop {
        bytes[n] = (value & 0x7F) as u8;
        n += 1;
        value >>= 7;
        if value == 0 || n == 4 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(bytes[i] | if i > 0 { 0x80 } else { 0 });
    }
}

/// Largest delta time a 4-byte variable-length quantity holds.
const MAX_VLQ: u32 = 0x0FFF_FFFF;

/// The SMF bytes for `estimates` (time order) named `track_name`.
pub fn midi_bytes(estimates: &[Estimate], lanes: CcLanes, track_name: &str) -> Result<Vec<u8>, MidiError> {
    lanes.validate()?;
    let status = 0xB0 | (lanes.channel - 1);
    let mut track = Vec::with_capacity(32 + track_name.len() + estimates.len() * 16);
    // Track name (FF 03), tempo (FF 51: µs per quarter), time signature 4/4 (FF 58).
    let name = &track_name.as_bytes()[..track_name.len().min(MAX_VLQ as usize)];
    track.push(0);
    track.extend_from_slice(&[0xFF, 0x03]);
    push_vlq(&mut track, name.len() as u32);
    track.extend_from_slice(name);
    let us_per_quarter = (60_000_000.0 / TEMPO_BPM) as u32;
    track.extend_from_slice(&[0, 0xFF, 0x51, 0x03]);
    track.extend_from_slice(&us_per_quarter.to_be_bytes()[1..]);
    track.extend_from_slice(&[0, 0xFF, 0x58, 0x04, 4, 2, 24, 8]);
    let mut last_tick = 0u64;
    for e in estimates {
        let tick = (e.time_s.max(0.0) * TICKS_PER_SECOND).round() as u64;
        let tick = tick.max(last_tick); // never negative deltas
        let delta = (tick - last_tick).min(u64::from(MAX_VLQ)) as u32;
        last_tick += u64::from(delta);
        push_vlq(&mut track, delta);
        let values = [e.valence, e.arousal, e.now_valence, e.now_arousal];
        for (k, (cc, v)) in lanes.ccs().into_iter().zip(values).enumerate() {
            if k > 0 {
                track.push(0);
            }
            track.extend_from_slice(&[status, cc, cc_value(v)]);
        }
    }
    track.extend_from_slice(&[0, 0xFF, 0x2F, 0x00]);

    let mut out = Vec::with_capacity(22 + track.len());
    out.extend_from_slice(b"MThd");
    out.extend_from_slice(&6u32.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // format 0
    out.extend_from_slice(&1u16.to_be_bytes()); // one track
    out.extend_from_slice(&TICKS_PER_QUARTER.to_be_bytes());
    out.extend_from_slice(b"MTrk");
    out.extend_from_slice(&(track.len() as u32).to_be_bytes());
    out.extend_from_slice(&track);
    Ok(out)
}

/// Writes [`midi_bytes`] to `out`.
pub fn write_midi(
    mut out: impl Write,
    estimates: &[Estimate],
    lanes: CcLanes,
    track_name: &str,
) -> std::io::Result<()> {
    let bytes = midi_bytes(estimates, lanes, track_name).map_err(std::io::Error::other)?;
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlq_matches_the_specification_examples() {
        // SMF 1.0 spec table: 0 → 00, 0x7F → 7F, 0x80 → 81 00, 0x3FFF → FF 7F, 0x0FFFFFFF → FF FF FF 7F.
        for (v, want) in [
            (0u32, vec![0x00]),
            (0x7F, vec![0x7F]),
            (0x80, vec![0x81, 0x00]),
            (0x2000, vec![0xC0, 0x00]),
            (0x3FFF, vec![0xFF, 0x7F]),
            (0x0FFF_FFFF, vec![0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut out = Vec::new();
            push_vlq(&mut out, v);
            assert_eq!(out, want, "{v:#x}");
        }
    }

    #[test]
    fn cc_values_and_lane_validation() {
        assert_eq!(
            (cc_value(0.0), cc_value(1.0), cc_value(0.5), cc_value(f32::NAN), cc_value(2.0)),
            (0, 127, 64, 0, 127)
        );
        assert!(CcLanes::default().validate().is_ok());
        assert_eq!(CcLanes { valence_cc: 120, ..Default::default() }.validate(), Err(MidiError::Controller(120)));
        assert_eq!(CcLanes { arousal_cc: 20, ..Default::default() }.validate(), Err(MidiError::SameController(20)));
        assert_eq!(CcLanes { arousal_now_cc: 22, ..Default::default() }.validate(), Err(MidiError::SameController(22)));
        assert_eq!(CcLanes { valence_now_cc: 120, ..Default::default() }.validate(), Err(MidiError::Controller(120)));
        assert_eq!(CcLanes { channel: 0, ..Default::default() }.validate(), Err(MidiError::Channel(0)));
        assert_eq!(CcLanes { channel: 17, ..Default::default() }.validate(), Err(MidiError::Channel(17)));
    }

    #[test]
    fn one_second_is_960_ticks() {
        let e = |t: f64| Estimate {
            time_s: t,
            valence: 1.0,
            arousal: 0.0,
            now_valence: 0.5,
            now_arousal: 0.5,
            coverage: 1.0,
        };
        let bytes = midi_bytes(&[e(1.0)], CcLanes::default(), "").unwrap();
        // Header 14 + MTrk 8 + name 4 + tempo 7 + time sig 8 = 41: then delta 960 = 87 40.
        assert_eq!(&bytes[41..46], &[0x87, 0x40, 0xB0, 20, 127]);
        assert_eq!(&bytes[46..50], &[0x00, 0xB0, 21, 0]);
        assert_eq!(&bytes[50..58], &[0x00, 0xB0, 22, 64, 0x00, 0xB0, 23, 64]);
    }
}
