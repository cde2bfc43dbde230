//! The egui editor: the valence–arousal plane with a fading trail (the long
//! reading) and a ring for the "now" reading, numeric read-outs of both, warm-up state, output status (late estimates, dropped samples),
//! model loading and output settings.
//!
//! The editor only displays what the audio thread emitted ([`Status`]) and
//! edits the user's settings; it is not a route to the host (the outputs
//! leave from `process()`, editor or not). Its `GuiContext` is used for the
//! user's own parameter edits (`hold`, `write-automation`) on the GUI thread.

use crate::model_slot::ModelSlot;
use crate::params::{MoodtapParams, SMOOTHING_RANGE_S};
use crate::status::Status;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug_egui::{EguiEditorState, NiceEguiApp};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Editor size in logical pixels.
pub const EDITOR_SIZE: (f32, f32) = (800.0, 440.0);
/// Points in the trail (one per published estimate: 60 s at 0.5 s).
const TRAIL_LEN: usize = 120;
/// Side of the valence–arousal plane in logical pixels.
const PLANE_SIDE: f32 = 410.0;
/// Repaint period while open.
const REPAINT: Duration = Duration::from_millis(50);

const BG: Color32 = Color32::from_rgb(24, 26, 31);
const ACCENT: Color32 = Color32::from_rgb(255, 184, 77);
const WARN: Color32 = Color32::from_rgb(255, 110, 90);
const OK: Color32 = Color32::from_rgb(120, 210, 140);
/// Colour of the "now" reading.
const NOW: Color32 = Color32::from_rgb(110, 200, 255);

/// The editor state that lives as long as the plugin (across openings).
pub struct MoodtapEditor {
    params: Arc<MoodtapParams>,
    status: Arc<Status>,
    model: Arc<ModelSlot>,
    /// The wrapper's context for the user's parameter edits (from `build`).
    gui_context: Option<GuiContext>,
    trail: VecDeque<(f32, f32)>,
    last_seq: u32,
    path_input: String,
    load_result: Option<Result<String, String>>,
}

impl MoodtapEditor {
    /// Shares the plugin's state with the editor.
    pub fn new(params: Arc<MoodtapParams>, status: Arc<Status>, model: Arc<ModelSlot>) -> Self {
        let path_input = params.model_path.get().unwrap_or_default();
        Self {
            params,
            status,
            model,
            gui_context: None,
            trail: VecDeque::with_capacity(TRAIL_LEN),
            last_seq: u32::MAX,
            path_input,
            load_result: None,
        }
    }
}

/// The initial editor window state.
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(EDITOR_SIZE.0, EDITOR_SIZE.1), 1.0)
}

impl NiceEguiApp for MoodtapEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui_context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        ui.ctx().request_repaint_after(REPAINT);
        self.model.sync(&self.params.model_path);
        let seq = self.status.seq.load(Ordering::Acquire);
        let (v, a) = self.status.values();
        let now = self.status.now_values();
        if seq != self.last_seq {
            self.last_seq = seq;
            if self.trail.len() == TRAIL_LEN {
                self.trail.pop_front();
            }
            self.trail.push_back((v, a));
        }

        egui::Frame::new().fill(BG).inner_margin(10.0).show(ui, |ui| {
            ui.set_min_size(ui.available_size());
            ui.horizontal_top(|ui| {
                self.plane(ui, v, a, now);
                ui.add_space(12.0);
                ui.vertical(|ui| {
                    ui.set_width(ui.available_width());
                    self.readouts(ui, v, a, now);
                    ui.separator();
                    self.routes(ui);
                    ui.separator();
                    self.model_section(ui);
                    ui.separator();
                    self.output_settings(ui);
                });
            });
        });
    }
}

impl MoodtapEditor {
    fn plane(&self, ui: &mut egui::Ui, v: f32, a: f32, now: (f32, f32)) {
        let (response, painter) = ui.allocate_painter(Vec2::splat(PLANE_SIDE), Sense::hover());
        let r = response.rect;
        let to_screen = |v: f32, a: f32| Pos2::new(r.left() + v * r.width(), r.bottom() - a * r.height());
        painter.rect_filled(r, 4.0, Color32::from_rgb(32, 35, 42));
        // Quadrants: valence → right, arousal → up.
        let tint = |c: (u8, u8, u8)| Color32::from_rgba_unmultiplied(c.0, c.1, c.2, 28);
        let q = |x0: f32, y0: f32| {
            Rect::from_min_max(
                Pos2::new(r.left() + x0 * r.width(), r.top() + y0 * r.height()),
                Pos2::new(r.left() + (x0 + 0.5) * r.width(), r.top() + (y0 + 0.5) * r.height()),
            )
        };
        painter.rect_filled(q(0.5, 0.0), 0.0, tint((255, 200, 60)));
        painter.rect_filled(q(0.0, 0.0), 0.0, tint((255, 80, 80)));
        painter.rect_filled(q(0.0, 0.5), 0.0, tint((90, 120, 255)));
        painter.rect_filled(q(0.5, 0.5), 0.0, tint((80, 220, 150)));
        let axis = Stroke::new(1.0, Color32::from_gray(90));
        painter.line_segment([to_screen(0.5, 0.0), to_screen(0.5, 1.0)], axis);
        painter.line_segment([to_screen(0.0, 0.5), to_screen(1.0, 0.5)], axis);
        painter.rect_stroke(r, 4.0, Stroke::new(1.0, Color32::from_gray(110)), StrokeKind::Inside);

        let label = Color32::from_gray(170);
        let font = FontId::proportional(14.0);
        let pad = 8.0;
        painter.text(r.right_top() + Vec2::new(-pad, pad), Align2::RIGHT_TOP, "happy · excited", font.clone(), label);
        painter.text(r.left_top() + Vec2::new(pad, pad), Align2::LEFT_TOP, "tense · angry", font.clone(), label);
        painter.text(
            r.left_bottom() + Vec2::new(pad, -pad),
            Align2::LEFT_BOTTOM,
            "sad · depressed",
            font.clone(),
            label,
        );
        painter.text(
            r.right_bottom() + Vec2::new(-pad, -pad),
            Align2::RIGHT_BOTTOM,
            "calm · relaxed",
            font.clone(),
            label,
        );
        let small = FontId::proportional(11.0);
        // ASCII only: egui's default fonts have no arrow glyphs.
        painter.text(
            to_screen(1.0, 0.5) + Vec2::new(-4.0, -4.0),
            Align2::RIGHT_BOTTOM,
            "valence +",
            small.clone(),
            Color32::from_gray(120),
        );
        painter.text(
            to_screen(0.0, 0.5) + Vec2::new(4.0, -4.0),
            Align2::LEFT_BOTTOM,
            "valence -",
            small.clone(),
            Color32::from_gray(120),
        );
        painter.text(
            to_screen(0.5, 1.0) + Vec2::new(4.0, 26.0),
            Align2::LEFT_TOP,
            "arousal +",
            small.clone(),
            Color32::from_gray(120),
        );
        painter.text(
            to_screen(0.5, 0.0) + Vec2::new(4.0, -26.0),
            Align2::LEFT_BOTTOM,
            "arousal -",
            small,
            Color32::from_gray(120),
        );

        // Fading trail, oldest first.
        let n = self.trail.len();
        let mut prev: Option<Pos2> = None;
        for (i, &(tv, ta)) in self.trail.iter().enumerate() {
            let p = to_screen(tv, ta);
            let age = (i + 1) as f32 / n.max(1) as f32; // 0 old … 1 new
            let alpha = (age * age * 200.0) as u8;
            let c = Color32::from_rgba_unmultiplied(ACCENT.r(), ACCENT.g(), ACCENT.b(), alpha);
            if let Some(q) = prev {
                painter.line_segment([q, p], Stroke::new(2.0, c));
            }
            painter.circle_filled(p, 2.0, c);
            prev = Some(p);
        }
        // The "now" reading: a small ring that runs ahead of the long reading's dot.
        let n = to_screen(now.0.clamp(0.0, 1.0), now.1.clamp(0.0, 1.0));
        painter.circle_stroke(n, 5.0, Stroke::new(2.0, NOW));
        let p = to_screen(v.clamp(0.0, 1.0), a.clamp(0.0, 1.0));
        painter.circle_filled(p, 7.0, ACCENT);
        painter.circle_stroke(p, 9.0, Stroke::new(1.5, Color32::WHITE));
    }

    fn readouts(&self, ui: &mut egui::Ui, v: f32, a: f32, now: (f32, f32)) {
        ui.heading("moodtap");
        // Long reading (the whole context) beside the "now" reading (last ~3 s),
        // like integrated beside momentary loudness.
        for (name, x, x_now) in [("valence", v, now.0), ("arousal", a, now.1)] {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(format!("{name} {x:.3}")).monospace().size(18.0).color(ACCENT));
                ui.label(egui::RichText::new(format!("now {x_now:.3}")).monospace().size(18.0).color(NOW));
            });
        }
        let coverage = self.status.coverage.load(Ordering::Relaxed);
        let running = self.status.running.load(Ordering::Acquire);
        if !running {
            ui.colored_label(Color32::GRAY, "idle: the host has not activated the plugin");
        } else if self.status.rate_unsupported.load(Ordering::Acquire) {
            let rate = self.status.host_rate_hz.load(Ordering::Relaxed);
            ui.colored_label(WARN, format!("sample rate {rate} Hz unsupported (8–192 kHz): analysis off"));
        } else {
            let context_s = self.model.snapshot().info.context_s;
            let text = if coverage < 1.0 {
                format!("warming up: {:.0} % of the {context_s:.0} s context", coverage * 100.0)
            } else {
                format!("context full ({context_s:.0} s)")
            };
            ui.add(egui::ProgressBar::new(coverage).text(text));
        }
        let p = &self.params;
        for (param, label) in [(&p.hold, "Hold (freeze outputs)"), (&p.write_automation, "Write automation")] {
            let on = param.value();
            let mut new = on;
            ui.checkbox(&mut new, label);
            if new != on {
                if let Some(context) = &self.gui_context {
                    let setter = context.param_setter();
                    setter.begin_set_parameter(param);
                    setter.set_parameter(param, new);
                    setter.end_set_parameter(param);
                }
            }
        }
    }

    fn routes(&self, ui: &mut egui::Ui) {
        let midi = self.params.midi();
        let delay_s = self.status.output_delay_s.load(Ordering::Relaxed);
        ui.colored_label(OK, format!("parameters: live from process(), {delay_s:.2} s after each step, editor or not"));
        if self.params.write_automation.value() {
            ui.colored_label(ACCENT, "writing the automation parameters (arm automation write in the host)");
        }
        if midi.enabled {
            ui.colored_label(OK, "MIDI CC: on");
        } else {
            ui.colored_label(Color32::GRAY, "MIDI CC: off");
        }
        let s = &self.status;
        if s.offline.load(Ordering::Relaxed) {
            ui.colored_label(OK, "offline render: waiting for the analysis (no late estimates)");
        }
        let dropped = s.dropped_samples.load(Ordering::Relaxed);
        let late = s.late_estimates.load(Ordering::Relaxed);
        let stalls = s.offline_stalls.load(Ordering::Relaxed);
        if dropped > 0 || late > 0 || stalls > 0 {
            ui.colored_label(
                WARN,
                format!(
                    "analysis fell behind: {late} late estimates, {dropped} samples skipped, {stalls} render stalls"
                ),
            );
        } else {
            ui.colored_label(Color32::GRAY, "0 late estimates, 0 samples skipped");
        }
    }

    fn model_section(&mut self, ui: &mut egui::Ui) {
        let state = self.model.snapshot();
        ui.label(egui::RichText::new(format!("model: {}", state.info.name)).strong());
        ui.label(egui::RichText::new(&state.info.provenance).small().color(Color32::GRAY));
        if let Some(msg) = &state.message {
            ui.colored_label(WARN, msg);
        }
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.path_input).hint_text("model file path").desired_width(180.0));
            if ui.button("Load").clicked() {
                let path = self.path_input.trim().to_string();
                self.load_result =
                    Some(self.model.load_user(&path, &self.params.model_path).map(|()| format!("loaded {path}")));
            }
            if ui.button("Embedded").clicked() {
                self.model.use_embedded(&self.params.model_path);
                self.path_input.clear();
                self.load_result = None;
            }
        });
        if let Some(Ok(msg)) = &self.load_result {
            ui.colored_label(OK, msg);
        }
    }

    fn output_settings(&self, ui: &mut egui::Ui) {
        let p = &self.params;
        let before = p.midi();
        let smoothing_before = p.smoothing_s();
        let mut midi = before;
        let mut smoothing = smoothing_before;
        ui.horizontal(|ui| {
            ui.checkbox(&mut midi.enabled, "MIDI CC out");
            ui.checkbox(&mut midi.high_res, "14-bit (CC n / n+32)");
        });
        let max_cc = if midi.high_res { 31 } else { 127 };
        ui.horizontal(|ui| {
            let mut ch = midi.channel + 1;
            ui.label("channel");
            ui.add(egui::DragValue::new(&mut ch).range(1..=16));
            midi.channel = ch.clamp(1, 16) - 1;
            ui.label("CC valence");
            ui.add(egui::DragValue::new(&mut midi.cc_valence).range(0..=max_cc));
            ui.label("arousal");
            ui.add(egui::DragValue::new(&mut midi.cc_arousal).range(0..=max_cc));
        });
        ui.horizontal(|ui| {
            ui.label("CC now: valence");
            ui.add(egui::DragValue::new(&mut midi.cc_valence_now).range(0..=max_cc));
            ui.label("arousal");
            ui.add(egui::DragValue::new(&mut midi.cc_arousal_now).range(0..=max_cc));
        });
        ui.horizontal(|ui| {
            ui.label("smoothing");
            ui.add(egui::Slider::new(&mut smoothing, SMOOTHING_RANGE_S).suffix(" s"));
        });
        // Store only what the user changed this frame, so a state restore
        // landing between the read above and here is not overwritten.
        if midi.enabled != before.enabled {
            p.midi_enabled.store(midi.enabled, Ordering::Relaxed);
        }
        if midi.high_res != before.high_res {
            p.cc_14bit.store(midi.high_res, Ordering::Relaxed);
        }
        if midi.channel != before.channel {
            p.midi_channel.store(midi.channel, Ordering::Relaxed);
        }
        if midi.cc_valence != before.cc_valence {
            p.cc_valence.store(midi.cc_valence.min(max_cc), Ordering::Relaxed);
        }
        if midi.cc_arousal != before.cc_arousal {
            p.cc_arousal.store(midi.cc_arousal.min(max_cc), Ordering::Relaxed);
        }
        if midi.cc_valence_now != before.cc_valence_now {
            p.cc_valence_now.store(midi.cc_valence_now.min(max_cc), Ordering::Relaxed);
        }
        if midi.cc_arousal_now != before.cc_arousal_now {
            p.cc_arousal_now.store(midi.cc_arousal_now.min(max_cc), Ordering::Relaxed);
        }
        if smoothing != smoothing_before {
            p.smoothing_s.store(smoothing, Ordering::Relaxed);
        }
    }
}
