//! moodtap, the plugin: estimates valence and arousal of the audio passing
//! through and offers them as host parameters (read-only `valence`,
//! `arousal`; recordable `valence-automation`, `arousal-automation` while
//! `write-automation` is on) and MIDI CC. Audio passes through untouched.
//!
//! Modules, in the order data flows (none imports a later one):
//! - [`params`], [`status`] (read-outs and counters), [`timeline`] (when an
//!   estimate takes effect), [`model_slot`] (which model runs);
//! - [`bridge`]: the only code `process()` runs (ring, offline wait,
//!   sample-accurate parameter and MIDI CC output);
//! - [`worker`]: the analysis thread;
//! - [`editor`]: displays, and edits the user's settings.

use nice_plug::prelude::*;
use nice_plug_egui::{create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings};
use std::num::NonZeroU32;
use std::sync::Arc;

pub mod bridge;
pub mod editor;
pub mod model_slot;
pub mod params;
pub mod status;
pub mod timeline;
pub mod worker;

use bridge::{Bridge, BridgeEnds};
use editor::MoodtapEditor;
use model_slot::ModelSlot;
use params::MoodtapParams;
use status::Status;
use timeline::Handoff;
use worker::{AnalysisShared, AnalysisThread, WorkerEnds, ESTIMATE_QUEUE_LEN};

/// CLAP plugin id.
pub const CLAP_ID: &str = "org.moodtap.moodtap";

/// The plugin.
pub struct Moodtap {
    params: Arc<MoodtapParams>,
    status: Arc<Status>,
    model: Arc<ModelSlot>,
    editor_state: Arc<EguiEditorState>,
    bridge: Bridge,
    analysis: Option<AnalysisThread>,
}

impl Default for Moodtap {
    fn default() -> Self {
        let params = Arc::new(MoodtapParams::default());
        let status = Arc::new(Status::default());
        Self {
            bridge: Bridge::new(params.clone(), status.clone()),
            params,
            status,
            model: Arc::new(ModelSlot::default()),
            editor_state: editor::default_state(),
            analysis: None,
        }
    }
}

impl Moodtap {
    fn stop_analysis(&mut self) {
        self.bridge.stop();
        if let Some(thread) = self.analysis.take() {
            thread.stop();
        }
    }
}

impl Plugin for Moodtap {
    const NAME: &'static str = "moodtap";
    const VENDOR: &'static str = "moodtap developers";
    const URL: &'static str = "https://example.invalid/moodtap";
    const EMAIL: &'static str = "moodtap@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;

    type Editor = EguiEditor<MoodtapEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        create_egui_editor(
            self.editor_state.clone(),
            Default::default(),
            EguiNiceSettings::new().with_tile("moodtap"),
            MoodtapEditor::new(self.params.clone(), self.status.clone(), self.model.clone()),
        )
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        // A new rate, block size or process mode always arrives through here: rebuild.
        self.stop_analysis();
        self.model.sync(&self.params.model_path);
        let rate = buffer_config.sample_rate;
        let capacity = AnalysisThread::ring_capacity(rate, buffer_config.max_buffer_size as usize);
        let (samples_tx, samples_rx) = rtrb::RingBuffer::new(capacity);
        let (estimates_tx, estimates_rx) = rtrb::RingBuffer::new(ESTIMATE_QUEUE_LEN);
        let handoff = Arc::new(Handoff::default());
        let thread = AnalysisThread::spawn(
            WorkerEnds { samples: samples_rx, estimates: estimates_tx, handoff: handoff.clone() },
            rate,
            AnalysisShared { status: self.status.clone(), params: self.params.clone(), model: self.model.clone() },
        );
        self.bridge.start(BridgeEnds {
            samples: samples_tx,
            estimates: estimates_rx,
            handoff,
            worker: thread.thread(),
            offline: buffer_config.process_mode == ProcessMode::Offline,
        });
        self.analysis = Some(thread);
        true
    }

    fn reset(&mut self) {
        // May run on the audio thread: the bridge only flags the new context.
        self.bridge.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.bridge.process(buffer, context);
        ProcessStatus::Normal
    }

    fn deactivate(&mut self) {
        self.stop_analysis();
    }
}

impl Drop for Moodtap {
    fn drop(&mut self) {
        self.stop_analysis();
    }
}

impl ClapPlugin for Moodtap {
    const CLAP_ID: &'static str = CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Valence and arousal of the audio passing through, as parameters and MIDI CC");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Analyzer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Utility,
    ];
}

impl Vst3Plugin for Moodtap {
    const VST3_CLASS_ID: [u8; 16] = *b"moodtapValAroOut";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}

nice_export_clap!(Moodtap);
nice_export_vst3!(Moodtap);
