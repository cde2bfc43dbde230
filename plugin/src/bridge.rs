//! The realtime boundary: everything `process()` runs is in this module.
//!
//! Per block:
//! 1. downmix the input (channel mean, non-finite samples count as 0) into
//!    the SPSC ring the analysis thread drains;
//! 2. offline only: wait until the analysis thread has analysed every sample
//!    pushed so far (so every estimate due in this block exists);
//! 3. take the estimates due in this block from the estimate queue and emit
//!    each at its sample offset ([`crate::timeline`]): the output parameters
//!    of both readings (`valence`/`arousal`, `valence-now`/`arousal-now`; not
//!    recordable), the four automation parameters while `write-automation`
//!    is on (gesture-bracketed, recordable), MIDI CC of all four values when
//!    the quantised value changed.
//!
//! Realtime (`ProcessMode::Realtime`/`Buffered`): no allocation, no lock, no
//! syscall; when the ring is full (analysis thread starved) samples are
//! dropped and counted, and an estimate that arrives after its block is
//! emitted at offset 0 of the next one and counted. Offline: the same, except
//! that step 1 and 2 wait (spinning, then sleeping 50 µs at a time, at most
//! [`OFFLINE_WAIT_LIMIT`] per block) instead of dropping.
//!
//! Audio is not touched: nice-plug processes in place, so the output is the
//! input, bit for bit.

use crate::params::{MidiSettings, MoodtapParams};
use crate::status::Status;
use crate::timeline::{place, Handoff, Placement, Readings, TimedEstimate, NEUTRAL};
use nice_plug::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// The longest an offline block waits for the analysis thread.
pub const OFFLINE_WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Values last sent as MIDI, to send only changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SentMidi {
    settings: MidiSettings,
    /// Quantised [`Readings`]: 0–127, or 0–16383 in 14-bit mode.
    values: [u16; 4],
}

/// The audio thread's ends of the hand-off, created in `activate`.
pub struct BridgeEnds {
    /// Host audio, downmixed, to the analysis thread.
    pub samples: rtrb::Producer<f32>,
    /// Timed estimates from the analysis thread.
    pub estimates: rtrb::Consumer<TimedEstimate>,
    /// Progress and resets.
    pub handoff: Arc<Handoff>,
    /// The analysis thread, woken by offline blocks.
    pub worker: Option<Thread>,
    /// Whether the host renders offline.
    pub offline: bool,
}

/// Audio-thread state. Owned by the plugin, used only from `process()`,
/// `reset()` and (outside processing) `activate`/`deactivate`.
pub struct Bridge {
    ends: Option<BridgeEnds>,
    params: Arc<MoodtapParams>,
    status: Arc<Status>,
    /// Samples pushed into the ring since `start` (the analysis stream position).
    pushed: u64,
    /// Samples dropped since `start` because the ring was full.
    dropped: u64,
    /// Current reset generation.
    generation: u16,
    /// Popped but not yet due.
    pending: Option<TimedEstimate>,
    /// The values the outputs carry now.
    current: Readings,
    /// Values last sent to the output parameters; `None` = resend.
    sent_outputs: Option<Readings>,
    /// Values last written to the automation parameters; `None` = resend.
    sent_automation: Option<Readings>,
    /// Values last sent as MIDI; `None` = resend.
    sent_midi: Option<SentMidi>,
}

impl Bridge {
    /// A bridge with no rings yet (before `activate`).
    pub fn new(params: Arc<MoodtapParams>, status: Arc<Status>) -> Self {
        Self {
            ends: None,
            params,
            status,
            pushed: 0,
            dropped: 0,
            generation: 0,
            pending: None,
            current: NEUTRAL,
            sent_outputs: None,
            sent_automation: None,
            sent_midi: None,
        }
    }

    /// Installs new rings (in `activate`, not on the audio thread) and starts
    /// a fresh stream: neutral outputs, everything resent on the first block.
    pub fn start(&mut self, ends: BridgeEnds) {
        self.status.offline.store(ends.offline, Ordering::Release);
        self.ends = Some(ends);
        self.pushed = 0;
        self.dropped = 0;
        self.generation = 0;
        self.pending = None;
        self.current = NEUTRAL;
        self.forget_sent();
    }

    /// Drops the rings (in `deactivate`).
    pub fn stop(&mut self) {
        self.ends = None;
        self.pending = None;
    }

    /// `reset()` (transport jump, host reset): the analysis context restarts
    /// at the current stream position, estimates of the old context are
    /// dropped, the outputs return to neutral (unless held) and everything is
    /// resent on the next block. Realtime-safe.
    pub fn reset(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if let Some(ends) = &self.ends {
            ends.handoff.set_reset(self.generation, self.pushed);
        }
        self.pending = None;
        if !self.params.hold.value() {
            self.current = NEUTRAL;
        }
        self.status.coverage.store(0.0, Ordering::Relaxed);
        self.forget_sent();
    }

    fn forget_sent(&mut self) {
        self.sent_outputs = None;
        self.sent_automation = None;
        self.sent_midi = None;
    }

    /// The whole of `process()`.
    pub fn process<P: Plugin>(&mut self, buffer: &mut Buffer, context: &mut impl ProcessContext<P>) {
        let frames = buffer.samples();
        let block_start = self.pushed + self.dropped;
        self.push_downmix(buffer);
        if frames == 0 {
            return;
        }
        if self.ends.as_ref().is_some_and(|e| e.offline) {
            self.wait_for_analysis();
        }
        self.emit(context, block_start, frames);
    }

    fn push_downmix(&mut self, buffer: &Buffer) {
        let Some(ends) = self.ends.as_mut() else { return };
        let channels = buffer.as_slice_immutable();
        let frames = buffer.samples();
        if channels.is_empty() || frames == 0 {
            return;
        }
        if ends.offline && ends.samples.slots() < frames {
            wait_until(ends, &self.status, |e| e.samples.slots() >= frames);
        }
        let writable = ends.samples.slots().min(frames);
        let dropped = frames - writable;
        if dropped > 0 {
            self.dropped += dropped as u64;
            self.status.dropped_samples.fetch_add(dropped as u64, Ordering::Relaxed);
        }
        if writable == 0 {
            return;
        }
        let scale = 1.0 / channels.len() as f32;
        if let Ok(chunk) = ends.samples.write_chunk_uninit(writable) {
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
            self.pushed += writable as u64;
        }
    }

    /// Offline: until the analysis thread has analysed everything pushed.
    fn wait_for_analysis(&mut self) {
        let Some(ends) = self.ends.as_ref() else { return };
        let target = self.pushed;
        if ends.handoff.analysed() < target {
            wait_until(ends, &self.status, |e| e.handoff.analysed() >= target);
        }
    }

    fn emit<P: Plugin>(&mut self, context: &mut impl ProcessContext<P>, block_start: u64, frames: usize) {
        // Start of the stream, after a reset or a settings change: the current values at offset 0.
        self.send(context, 0);
        loop {
            let Some(ends) = self.ends.as_mut() else { return };
            let next = match self.pending.take() {
                Some(e) => e,
                None => match ends.estimates.pop() {
                    Ok(e) => e,
                    Err(_) => return,
                },
            };
            if next.generation != self.generation {
                continue; // from before the last reset
            }
            let offset = match place(next.due + self.dropped, block_start, frames) {
                Placement::Later => {
                    self.pending = Some(next);
                    return;
                }
                Placement::At(offset) => offset,
                Placement::Late => {
                    self.status.late_estimates.fetch_add(1, Ordering::Relaxed);
                    0
                }
            };
            self.status.coverage.store(next.coverage, Ordering::Relaxed);
            if !self.params.hold.value() {
                self.current = next.values;
                self.send(context, offset);
            }
        }
    }

    /// Sends `current` wherever it differs from what was last sent.
    fn send<P: Plugin>(&mut self, context: &mut impl ProcessContext<P>, offset: u32) {
        let current = self.current;
        let params = self.params.clone();
        if self.sent_outputs != Some(current) {
            let outputs = [&params.valence, &params.arousal, &params.valence_now, &params.arousal_now];
            for (k, (param, value)) in outputs.into_iter().zip(current).enumerate() {
                if self.sent_outputs.map(|s| s[k]) != Some(value) {
                    let _ = context.send_param_output(ParamOutputEvent {
                        param: param.as_ptr(),
                        timing: offset,
                        kind: ParamOutputKind::Value(value),
                        record: false,
                    });
                }
            }
            self.sent_outputs = Some(current);
            self.status.store_readings(&current);
            self.status.seq.fetch_add(1, Ordering::Release);
        }
        if params.write_automation.value() {
            if self.sent_automation != Some(current) {
                let automation = [
                    &params.valence_automation,
                    &params.arousal_automation,
                    &params.valence_now_automation,
                    &params.arousal_now_automation,
                ];
                for (k, (param, value)) in automation.into_iter().zip(current).enumerate() {
                    if self.sent_automation.map(|s| s[k]) != Some(value) {
                        for kind in
                            [ParamOutputKind::GestureBegin, ParamOutputKind::Value(value), ParamOutputKind::GestureEnd]
                        {
                            let _ = context.send_param_output(ParamOutputEvent {
                                param: param.as_ptr(),
                                timing: offset,
                                kind,
                                record: true,
                            });
                        }
                    }
                }
                self.sent_automation = Some(current);
            }
        } else {
            self.sent_automation = None;
        }
        self.send_midi(context, offset);
    }

    fn send_midi<P: Plugin>(&mut self, context: &mut impl ProcessContext<P>, offset: u32) {
        let settings = self.params.midi();
        if !settings.enabled {
            self.sent_midi = None;
            return;
        }
        let values = self.current.map(|x| quantise(x, settings.high_res));
        let last = self.sent_midi;
        for (k, cc) in settings.ccs().into_iter().enumerate() {
            if last.is_some_and(|l| l.settings == settings && l.values[k] == values[k]) {
                continue;
            }
            for (cc, value7) in cc_messages(cc, values[k], settings.high_res).into_iter().flatten() {
                let _ = context.try_send_event(NoteEvent::MidiCC {
                    timing: offset,
                    channel: settings.channel,
                    cc,
                    // nice-plug sends round(value · 127): exact for value7 / 127.
                    value: value7 as f32 / 127.0,
                });
            }
        }
        self.sent_midi = Some(SentMidi { settings, values });
    }
}

/// Offline: wakes the analysis thread and waits until `done` (spinning
/// briefly, then sleeping), at most [`OFFLINE_WAIT_LIMIT`]; a timeout is counted.
fn wait_until(ends: &BridgeEnds, status: &Status, done: impl Fn(&BridgeEnds) -> bool) {
    let Some(worker) = ends.worker.as_ref() else { return };
    worker.unpark();
    let started = Instant::now();
    let mut spins = 0u32;
    while !done(ends) {
        if spins < 200 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::sleep(Duration::from_micros(50));
            if started.elapsed() > OFFLINE_WAIT_LIMIT {
                status.offline_stalls.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
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
