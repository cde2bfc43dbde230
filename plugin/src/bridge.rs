//! The realtime boundary: everything `process()` runs is in this module.
//!
//! Per block: downmix the input (channel mean, non-finite samples count as 0)
//! into the SPSC ring the analysis thread drains, read the latest estimate
//! from atomics, and emit MIDI CC when its quantised value changed. No
//! allocation, no lock, no syscall; the ring and all state are created in
//! `activate`. When the ring is full (analysis thread starved) samples are
//! dropped and counted, never waited for. Audio is not touched: nice-plug
//! processes in place, so the output is the input, bit for bit.

use crate::analysis::Outputs;
use crate::params::{MidiSettings, MoodtapParams};
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Values last sent as MIDI, to send only changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    settings: MidiSettings,
    /// Quantised valence and arousal: 0–127, or 0–16383 in 14-bit mode.
    values: [u16; 2],
}

/// Audio-thread state. Owned by the plugin, used only from `process()`.
pub struct Bridge {
    producer: Option<rtrb::Producer<f32>>,
    params: Arc<MoodtapParams>,
    outputs: Arc<Outputs>,
    last_sent: Option<Sent>,
}

impl Bridge {
    /// A bridge with no ring yet (before `activate`).
    pub fn new(params: Arc<MoodtapParams>, outputs: Arc<Outputs>) -> Self {
        Self { producer: None, params, outputs, last_sent: None }
    }

    /// Installs a new ring producer (in `activate`, not the audio thread).
    pub fn start(&mut self, producer: rtrb::Producer<f32>) {
        self.producer = Some(producer);
        self.last_sent = None;
    }

    /// Drops the producer (in `deactivate`).
    pub fn stop(&mut self) {
        self.producer = None;
    }

    /// `reset()`: resend MIDI on the next block. Realtime-safe.
    pub fn reset(&mut self) {
        self.last_sent = None;
    }

    /// The whole of `process()`.
    pub fn process<P: Plugin>(&mut self, buffer: &mut Buffer, context: &mut impl ProcessContext<P>) {
        self.push_downmix(buffer);
        self.send_midi(context);
    }

    fn push_downmix(&mut self, buffer: &Buffer) {
        let Some(producer) = self.producer.as_mut() else { return };
        let channels = buffer.as_slice_immutable();
        let frames = buffer.samples();
        if channels.is_empty() || frames == 0 {
            return;
        }
        let writable = producer.slots().min(frames);
        let dropped = frames - writable;
        if dropped > 0 {
            self.outputs.dropped_samples.fetch_add(dropped as u64, Ordering::Relaxed);
        }
        if writable == 0 {
            return;
        }
        let scale = 1.0 / channels.len() as f32;
        if let Ok(chunk) = producer.write_chunk_uninit(writable) {
            chunk.fill_from_iter((0..writable).map(|i| {
                let mut sum = 0.0f32;
                for ch in channels.iter() {
                    let x = ch[i];
                    if x.is_finite() {
                        sum += x;
                    }
                }
                sum * scale
            }));
        }
    }

    fn send_midi<P: Plugin>(&mut self, context: &mut impl ProcessContext<P>) {
        let settings = self.params.midi();
        if !settings.enabled {
            self.last_sent = None;
            return;
        }
        let v = self.outputs.valence.load(Ordering::Relaxed);
        let a = self.outputs.arousal.load(Ordering::Relaxed);
        let values = [quantise(v, settings.high_res), quantise(a, settings.high_res)];
        let now = Sent { settings, values };
        let last = self.last_sent;
        for (k, cc) in [settings.cc_valence, settings.cc_arousal].into_iter().enumerate() {
            if last.is_some_and(|l| l.settings == settings && l.values[k] == values[k]) {
                continue;
            }
            for (cc, value7) in cc_messages(cc, values[k], settings.high_res).into_iter().flatten() {
                let _ = context.try_send_event(NoteEvent::MidiCC {
                    timing: 0,
                    channel: settings.channel,
                    cc,
                    // nice-plug sends round(value · 127): exact for value7 / 127.
                    value: value7 as f32 / 127.0,
                });
            }
        }
        self.last_sent = Some(now);
    }
}

/// Quantises a value in [0, 1] to 7 bits (0–127) or 14 bits (0–16383).
pub fn quantise(x: f32, high_res: bool) -> u16 {
    let x = if x.is_finite() { x.clamp(0.0, 1.0) } else { 0.5 };
    let max = if high_res { 16383.0 } else { 127.0 };
    (x * max).round() as u16
}

/// The (CC number, 7-bit value) messages for one quantised value: one
/// message, or MSB on `cc` then LSB on `cc + 32` (MIDI 1.0 14-bit pairs).
pub fn cc_messages(cc: u8, value: u16, high_res: bool) -> [Option<(u8, u8)>; 2] {
    if high_res {
        let cc = cc.min(31);
        [Some((cc, (value >> 7) as u8 & 0x7f)), Some((cc + 32, (value & 0x7f) as u8))]
    } else {
        [Some((cc & 0x7f, value.min(127) as u8)), None]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourteen_bit_pairs() {
        assert_eq!(quantise(1.0, true), 16383);
        assert_eq!(quantise(0.0, false), 0);
        assert_eq!(quantise(f32::NAN, false), 64);
        assert_eq!(cc_messages(20, 16383, true), [Some((20, 127)), Some((52, 127))]);
        assert_eq!(cc_messages(20, 8192, true), [Some((20, 64)), Some((52, 0))]);
        assert_eq!(cc_messages(21, 100, false), [Some((21, 100)), None]);
        // Decoding the pair gives the value back.
        for v in [0u16, 1, 127, 128, 5000, 16383] {
            let [Some((_, msb)), Some((_, lsb))] = cc_messages(3, v, true) else { panic!() };
            assert_eq!(((msb as u16) << 7) | lsb as u16, v);
        }
    }
}
