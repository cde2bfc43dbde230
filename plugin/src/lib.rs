//! moodtap, the plugin: estimates valence and arousal of the audio passing
//! through and offers them as host parameters (`valence`, `arousal`) and MIDI
//! CC. Audio passes through untouched.
//!
//! - [`bridge`]: the only code `process()` runs (ring, atomics, MIDI CC).
//! - [`analysis`]: the analysis thread, smoothing, and the model seam.
//! - [`publish`]: the host-automation route through the editor's `GuiContext`.
//! - [`params`], [`editor`].

use nice_plug::prelude::*;
use nice_plug_egui::{create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings};
use std::num::NonZeroU32;
use std::sync::Arc;

pub mod analysis;
pub mod bridge;
pub mod editor;
pub mod params;
pub mod publish;

use analysis::{AnalysisShared, AnalysisThread, ModelSlot, Outputs};
use bridge::Bridge;
use editor::MoodtapEditor;
use params::MoodtapParams;
use publish::{Publisher, Task};

/// CLAP plugin id (DESIGN.md §7).
pub const CLAP_ID: &str = "org.moodtap.moodtap";

/// The plugin.
pub struct Moodtap {
    params: Arc<MoodtapParams>,
    outputs: Arc<Outputs>,
    model: Arc<ModelSlot>,
    publisher: Arc<Publisher>,
    editor_state: Arc<EguiEditorState>,
    bridge: Bridge,
    analysis: Option<AnalysisThread>,
}

impl Default for Moodtap {
    fn default() -> Self {
        let params = Arc::new(MoodtapParams::default());
        let outputs = Arc::new(Outputs::default());
        let editor_state = editor::default_state();
        let open_state = editor_state.clone();
        Self {
            bridge: Bridge::new(params.clone(), outputs.clone()),
            params,
            outputs,
            model: Arc::new(ModelSlot::default()),
            publisher: Arc::new(Publisher::new(move || open_state.is_open())),
            editor_state,
            analysis: None,
        }
    }
}

impl Moodtap {
    fn stop_analysis(&mut self) {
        if let Some(thread) = self.analysis.take() {
            thread.stop();
        }
        self.bridge.stop();
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
    type BackgroundTask = Task;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        Box::new(publish::executor(self.publisher.clone(), self.params.clone(), self.outputs.clone()))
    }

    fn editor(&mut self, async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        self.publisher.attach_executor(move |task| async_executor.execute_gui(task));
        create_egui_editor(
            self.editor_state.clone(),
            Default::default(),
            EguiNiceSettings::new().with_tile("moodtap"),
            MoodtapEditor::new(self.params.clone(), self.outputs.clone(), self.model.clone(), self.publisher.clone()),
        )
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        // A new rate or block size always arrives through here: rebuild.
        self.stop_analysis();
        self.model.sync(&self.params.model_path);
        let capacity = AnalysisThread::ring_capacity(buffer_config.sample_rate, buffer_config.max_buffer_size as usize);
        let (producer, consumer) = rtrb::RingBuffer::new(capacity);
        self.bridge.start(producer);
        self.analysis = Some(AnalysisThread::spawn(
            consumer,
            buffer_config.sample_rate,
            AnalysisShared {
                outputs: self.outputs.clone(),
                params: self.params.clone(),
                model: self.model.clone(),
                publisher: self.publisher.clone(),
            },
        ));
        true
    }

    fn reset(&mut self) {
        // May run on the audio thread: only flags.
        self.outputs.reset_requested.store(true, std::sync::atomic::Ordering::Release);
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
