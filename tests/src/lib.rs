//! moodtap's real-host test support: a small CLAP host on `clack-host`, WAV
//! material, and an X11 parent window for the editor.
//!
//! The host is deliberately close to what a DAW does: the plugin is created
//! and driven on the test's main thread, audio is processed on a separate
//! audio thread, `request_callback` is serviced by calling
//! `on_main_thread` from the main thread, and the host implements
//! `thread-check`, `params`, `gui`, `log`, `note-ports` and `audio-ports`.
//!
//! The tests are in `tests/tests/`; the plugin bundle must exist first:
//! `cargo xtask bundle moodtap-plugin` (debug: `assert_process_allocs` active).

use anyhow::{anyhow, bail, Context, Result};
use clack_extensions::audio_ports::{AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl};
use clack_extensions::gui::{
    GuiApiType, GuiConfiguration, GuiSize, HostGui, HostGuiImpl, PluginGui, Window as ClapWindow,
};
use clack_extensions::log::{HostLog, HostLogImpl, LogSeverity};
use clack_extensions::note_ports::{HostNotePorts, HostNotePortsImpl, NoteDialects, NotePortRescanFlags};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer, ParamInfoFlags,
    ParamRescanFlags, PluginParams,
};
use clack_extensions::state::PluginState;
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::events::event_types::{MidiEvent, ParamGestureBeginEvent, ParamGestureEndEvent, ParamValueEvent};
use clack_host::prelude::*;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;

/// The plugin's CLAP id.
pub const PLUGIN_ID: &str = "org.moodtap.moodtap";

/// nice-plug's CLAP parameter id for a string id (the Rabin-style hash in
/// nice-plug's `wrapper/util.rs::hash_param_id`): the host sees these numbers.
pub fn nice_param_hash(id: &str) -> u32 {
    // The top bit is cleared (reserved for host parameters in VST3).
    id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) & !(1 << 31)
}

/// Workspace root (tests/..).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The cargo target directory: `CARGO_TARGET_DIR` or `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

/// The CLAP bundle under test: `MOODTAP_CLAP`, else `<target>/bundled/moodtap.clap`.
pub fn clap_bundle() -> Result<PathBuf> {
    let path = std::env::var_os("MOODTAP_CLAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("bundled").join("moodtap.clap"));
    if !path.exists() {
        bail!(
            "no CLAP bundle at {}: run `cargo xtask bundle moodtap-plugin` first (or set MOODTAP_CLAP)",
            path.display()
        );
    }
    Ok(path)
}

/// Mono f32 samples and their rate from a 16-bit or float WAV (channels averaged).
pub fn read_wav_mono(path: &Path) -> Result<(Vec<f32>, u32)> {
    let mut reader = hound::WavReader::open(path).with_context(|| format!("open {}", path.display()))?;
    let spec = reader.spec();
    let ch = spec.channels as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.samples::<i32>().map(|s| s.map(|s| s as f32 * scale)).collect::<Result<_, _>>()?
        }
    };
    let mono = samples.chunks(ch).map(|f| f.iter().sum::<f32>() / ch as f32).collect();
    Ok((mono, spec.sample_rate))
}

/// A minute (or more) of real music: the rendered golden music excerpts,
/// concatenated until `seconds` is reached. Looked for in
/// `MOODTAP_MUSIC_DIR`, then `<workspace>/target/golden-audio` (where
/// `tests/golden/make_golden.py audio` renders them), then
/// `<CARGO_TARGET_DIR>/golden-audio`.
pub fn music(seconds: f32) -> Result<(Vec<f32>, u32)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("MOODTAP_MUSIC_DIR") {
        dirs.push(d.into());
    }
    dirs.push(workspace_root().join("target").join("golden-audio"));
    dirs.push(target_dir().join("golden-audio"));
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("music_") && n.ends_with(".wav"))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            continue;
        }
        let mut out = Vec::new();
        let mut rate = 0;
        for f in files.iter().cycle().take(64) {
            let (x, r) = read_wav_mono(f)?;
            if rate != 0 && r != rate {
                bail!("mixed sample rates in {}", dir.display());
            }
            rate = r;
            out.extend_from_slice(&x);
            if out.len() as f32 >= seconds * rate as f32 {
                out.truncate((seconds * rate as f32) as usize);
                return Ok((out, rate));
            }
        }
    }
    bail!("no music_*.wav found: render them with `tests/golden/make_golden.py audio` or set MOODTAP_MUSIC_DIR")
}

/// Linear-interpolation resampling for test material (not for analysis).
pub fn resample_linear(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || x.is_empty() {
        return x.to_vec();
    }
    let n = (x.len() as u64 * to as u64 / from as u64) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 * from as f64 / to as f64;
            let k = t.floor() as usize;
            let f = (t - k as f64) as f32;
            let a = x[k.min(x.len() - 1)];
            let b = x[(k + 1).min(x.len() - 1)];
            a + f * (b - a)
        })
        .collect()
}

// ---------------------------------------------------------------- host side

/// Host state shared by all threads.
pub struct Shared {
    main_thread: ThreadId,
    audio_thread: Mutex<Option<ThreadId>>,
    callback_requested: AtomicBool,
    /// Lines the plugin logged (error/warning/fatal).
    pub log: Mutex<Vec<String>>,
    /// `rescan` calls received.
    pub rescans: AtomicUsize,
}

impl<'a> SharedHandler<'a> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::Release);
    }
}

impl HostLogImpl for Shared {
    fn log(&self, severity: LogSeverity, message: &str) {
        if matches!(
            severity,
            LogSeverity::Error
                | LogSeverity::Fatal
                | LogSeverity::Warning
                | LogSeverity::HostMisbehaving
                | LogSeverity::PluginMisbehaving
        ) {
            if let Ok(mut l) = self.log.lock() {
                l.push(format!("[{severity}] {message}"));
            }
        }
    }
}

impl HostThreadCheckImpl for Shared {
    fn is_main_thread(&self) -> bool {
        std::thread::current().id() == self.main_thread
    }
    fn is_audio_thread(&self) -> bool {
        self.audio_thread.lock().map(|t| *t == Some(std::thread::current().id())).unwrap_or(false)
    }
}

impl HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: GuiSize) -> std::result::Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> std::result::Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> std::result::Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {}
}

/// Main-thread host state.
pub struct MainThread<'a> {
    shared: &'a Shared,
}

impl<'a> MainThreadHandler<'a> for MainThread<'a> {}

impl HostParamsImplMainThread for MainThread<'_> {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.shared.rescans.fetch_add(1, Ordering::Relaxed);
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostNotePortsImpl for MainThread<'_> {
    fn supported_dialects(&self) -> NoteDialects {
        NoteDialects::CLAP | NoteDialects::MIDI
    }
    fn rescan(&self, _flags: NotePortRescanFlags) {}
}

impl HostAudioPortsImpl for MainThread<'_> {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        false
    }
    fn rescan(&self, _flags: AudioPortRescanFlags) {}
}

/// The host type.
pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLog>()
            .register::<HostThreadCheck>()
            .register::<HostGui>()
            .register::<HostParams>()
            .register::<HostNotePorts>()
            .register::<HostAudioPorts>();
    }
}

/// One parameter as the host lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamListing {
    /// CLAP id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Plain minimum.
    pub min: f64,
    /// Plain maximum.
    pub max: f64,
    /// Default.
    pub default: f64,
    /// CLAP_PARAM_IS_AUTOMATABLE set.
    pub automatable: bool,
    /// CLAP_PARAM_IS_MODULATABLE set.
    pub modulatable: bool,
    /// CLAP_PARAM_IS_READONLY set.
    pub read_only: bool,
    /// CLAP_PARAM_IS_HIDDEN set.
    pub hidden: bool,
}

/// What one output event was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutKind {
    /// A MIDI 1.0 message.
    Midi([u8; 3]),
    /// CLAP_EVENT_PARAM_VALUE: parameter id, plain value.
    ParamValue(u32, f64),
    /// CLAP_EVENT_PARAM_GESTURE_BEGIN for a parameter id.
    GestureBegin(u32),
    /// CLAP_EVENT_PARAM_GESTURE_END for a parameter id.
    GestureEnd(u32),
}

/// One output event with its place on the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutEvent {
    /// Stream position (samples since activation) = block start + event time.
    pub pos: u64,
    /// Index of the block it came in.
    pub block: usize,
    /// The event's time inside its block (sample offset).
    pub time: u32,
    /// CLAP event flags (`CLAP_EVENT_IS_LIVE` = 1, `CLAP_EVENT_DONT_RECORD` = 2).
    pub flags: u32,
    /// What it was.
    pub kind: OutKind,
}

/// `CLAP_EVENT_IS_LIVE`.
pub const FLAG_IS_LIVE: u32 = 1;
/// `CLAP_EVENT_DONT_RECORD`.
pub const FLAG_DONT_RECORD: u32 = 2;

/// Events the plugin output during processing, classified.
#[derive(Debug, Default, Clone)]
pub struct Collected {
    /// Every output event in the order the plugin pushed them.
    pub events: Vec<OutEvent>,
    /// (block index, status, data1, data2) of MIDI 1.0 output events.
    pub midi: Vec<(usize, u8, u8, u8)>,
    /// (block index, param id, value) of CLAP_EVENT_PARAM_VALUE output events.
    pub param_values: Vec<(usize, u32, f64)>,
    /// Gesture begins.
    pub gesture_begins: usize,
    /// Gesture ends.
    pub gesture_ends: usize,
    /// Blocks whose output events were not sorted by time (CLAP requires sorted).
    pub unsorted_blocks: usize,
    /// Frames processed.
    pub frames: usize,
    /// Blocks processed.
    pub blocks: usize,
    /// Blocks whose output differed from the input in any bit.
    pub non_bit_exact_blocks: usize,
    /// Wall time of each `process` call as the host saw it, in nanoseconds.
    pub block_ns: Vec<u64>,
}

impl Collected {
    fn take_events(&mut self, block: usize, block_start: u64, events: &EventBuffer) {
        let mut last_time = 0u32;
        let mut sorted = true;
        for e in events.iter() {
            let header = e.header();
            let time = header.time();
            sorted &= time >= last_time;
            last_time = time;
            let kind = if let Some(m) = e.as_event::<MidiEvent>() {
                let d = m.data();
                self.midi.push((block, d[0], d[1], d[2]));
                OutKind::Midi(d)
            } else if let Some(p) = e.as_event::<ParamValueEvent>() {
                let Some(id) = p.param_id() else { continue };
                self.param_values.push((block, id.get(), p.value()));
                OutKind::ParamValue(id.get(), p.value())
            } else if let Some(g) = e.as_event::<ParamGestureBeginEvent>() {
                self.gesture_begins += 1;
                OutKind::GestureBegin(g.param_id().map(|i| i.get()).unwrap_or(u32::MAX))
            } else if let Some(g) = e.as_event::<ParamGestureEndEvent>() {
                self.gesture_ends += 1;
                OutKind::GestureEnd(g.param_id().map(|i| i.get()).unwrap_or(u32::MAX))
            } else {
                continue;
            };
            self.events.push(OutEvent {
                pos: block_start + u64::from(time),
                block,
                time,
                flags: header.flags().bits(),
                kind,
            });
        }
        if !sorted {
            self.unsorted_blocks += 1;
        }
    }

    /// MIDI CC values seen for `(channel, cc)` in order.
    pub fn cc_values(&self, channel: u8, cc: u8) -> Vec<u8> {
        self.midi.iter().filter(|&&(_, st, d1, _)| st == 0xB0 | channel && d1 == cc).map(|&(_, _, _, v)| v).collect()
    }

    /// Parameter values seen for `id` in order.
    pub fn values_of(&self, id: u32) -> Vec<f64> {
        self.param_values.iter().filter(|&&(_, i, _)| i == id).map(|&(_, _, v)| v).collect()
    }

    /// (stream position, value) of every value event for `id`.
    pub fn timed_values_of(&self, id: u32) -> Vec<(u64, f64)> {
        self.events
            .iter()
            .filter_map(|e| match e.kind {
                OutKind::ParamValue(i, v) if i == id => Some((e.pos, v)),
                _ => None,
            })
            .collect()
    }
}

/// How `process_audio` drives the plugin.
#[derive(Debug, Clone)]
pub struct Run {
    /// Host sample rate.
    pub sample_rate: f64,
    /// Channels (1 or 2).
    pub channels: usize,
    /// Block sizes to cycle through (0 allowed: zero-length blocks).
    pub block_sizes: Vec<usize>,
    /// Audio speed relative to real time (pacing); `None` = as fast as possible.
    pub speed: Option<f64>,
    /// Render offline (CLAP render extension, `CLAP_RENDER_OFFLINE`) instead of realtime.
    pub offline: bool,
    /// Parameter changes (id, plain value) sent as input events at time 0 of the first block.
    pub set_params: Vec<(u32, f64)>,
}

impl Run {
    /// Realtime stereo at `rate` in `block`-sample blocks.
    pub fn stereo(rate: f64, block: usize, speed: Option<f64>) -> Self {
        Self { sample_rate: rate, channels: 2, block_sizes: vec![block], speed, offline: false, set_params: Vec::new() }
    }
}

/// A loaded and initialised plugin instance in the test host.
pub struct Host {
    /// The clack instance.
    pub instance: PluginInstance<TestHost>,
    entry: PluginEntry,
}

impl Host {
    /// Loads the bundle and creates the instance (on the calling thread,
    /// which becomes the main thread).
    pub fn load(bundle: &Path) -> Result<Self> {
        // SAFETY: loading a plugin library runs its initialisers; this is the
        // plugin under test, built from this workspace.
        let entry = unsafe { PluginEntry::load(bundle) }.map_err(|e| anyhow!("load {}: {e:?}", bundle.display()))?;
        let host_info = HostInfo::new("moodtap-tests", "moodtap", "https://example.invalid", "0.1.0")
            .map_err(|e| anyhow!("{e:?}"))?;
        let id = CString::new(PLUGIN_ID)?;
        let main_thread = std::thread::current().id();
        let instance = PluginInstance::<TestHost>::new(
            move |_| Shared {
                main_thread,
                audio_thread: Mutex::new(None),
                callback_requested: AtomicBool::new(false),
                log: Mutex::new(Vec::new()),
                rescans: AtomicUsize::new(0),
            },
            |shared| MainThread { shared },
            &entry,
            &id,
            &host_info,
        )
        .map_err(|e| anyhow!("instantiate: {e:?}"))?;
        Ok(Self { instance, entry })
    }

    /// (id, name) of every plugin descriptor in the factory.
    pub fn descriptors(&self) -> Vec<(String, String)> {
        let Some(factory) = self.entry.get_plugin_factory() else { return Vec::new() };
        factory
            .plugin_descriptors()
            .map(|d| {
                let s = |c: Option<&std::ffi::CStr>| c.map(|c| c.to_string_lossy().into_owned()).unwrap_or_default();
                (s(d.id()), s(d.name()))
            })
            .collect()
    }

    /// Services a pending `request_callback`.
    pub fn pump(&mut self) {
        let requested = self.instance.access_shared_handler(|s| s.callback_requested.swap(false, Ordering::AcqRel));
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Lines the plugin logged at warning level or above.
    pub fn log(&self) -> Vec<String> {
        self.instance.access_shared_handler(|s| s.log.lock().map(|l| l.clone()).unwrap_or_default())
    }

    fn params_ext(&mut self) -> Result<PluginParams> {
        self.instance.plugin_handle().get_extension::<PluginParams>().ok_or_else(|| anyhow!("no params extension"))
    }

    /// The parameters as the host lists them.
    pub fn params(&mut self) -> Result<Vec<ParamListing>> {
        let ext = self.params_ext()?;
        let handle = self.instance.plugin_handle();
        let mut out = Vec::new();
        for i in 0..ext.count(&handle) {
            let mut buf = ParamInfoBuffer::new();
            if let Some(info) = ext.get_info(&handle, i, &mut buf) {
                out.push(ParamListing {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    automatable: info.flags.contains(ParamInfoFlags::IS_AUTOMATABLE),
                    modulatable: info.flags.contains(ParamInfoFlags::IS_MODULATABLE),
                    read_only: info.flags.contains(ParamInfoFlags::IS_READONLY),
                    hidden: info.flags.contains(ParamInfoFlags::IS_HIDDEN),
                });
            }
        }
        Ok(out)
    }

    /// `get_value` for a parameter id.
    pub fn param_value(&mut self, id: u32) -> Result<f64> {
        let ext = self.params_ext()?;
        let handle = self.instance.plugin_handle();
        let id = ClapId::new(id);
        ext.get_value(&handle, id).ok_or_else(|| anyhow!("get_value({id:?}) failed"))
    }

    /// Switches the plugin between realtime and offline rendering (CLAP render
    /// extension; only while deactivated, as the host must).
    pub fn set_render_mode(&mut self, offline: bool) -> Result<()> {
        use clack_extensions::render::{PluginRender, RenderMode};
        let handle = self.instance.plugin_handle();
        let ext = handle.get_extension::<PluginRender>().ok_or_else(|| anyhow!("no render extension"))?;
        let mode = if offline { RenderMode::Offline } else { RenderMode::Realtime };
        ext.set(&handle, mode).map_err(|e| anyhow!("render set: {e:?}"))
    }

    /// Selects the audio-ports configuration whose main input has `channels`
    /// channels (nice-plug exposes one per `AUDIO_IO_LAYOUTS` entry).
    pub fn select_channels(&mut self, channels: u32) -> Result<()> {
        use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
        let handle = self.instance.plugin_handle();
        let ext = handle.get_extension::<PluginAudioPortsConfig>().ok_or_else(|| anyhow!("no audio-ports-config"))?;
        for i in 0..ext.count(&handle) {
            let mut buf = AudioPortsConfigBuffer::new();
            if let Some(c) = ext.get(&handle, i, &mut buf) {
                if c.main_input.as_ref().map(|m| m.channel_count) == Some(channels) {
                    let id = c.id;
                    return ext.select(&handle, id).map_err(|e| anyhow!("select: {e:?}"));
                }
            }
        }
        bail!("no configuration with {channels} input channels")
    }

    /// Saves the plugin state.
    pub fn save_state(&mut self) -> Result<Vec<u8>> {
        let ext = self
            .instance
            .plugin_handle()
            .get_extension::<PluginState>()
            .ok_or_else(|| anyhow!("no state extension"))?;
        let mut out = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut out).map_err(|e| anyhow!("save: {e:?}"))?;
        Ok(out)
    }

    /// Loads a plugin state.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<()> {
        let ext = self
            .instance
            .plugin_handle()
            .get_extension::<PluginState>()
            .ok_or_else(|| anyhow!("no state extension"))?;
        let mut reader = bytes;
        ext.load(&self.instance.plugin_handle(), &mut reader).map_err(|e| anyhow!("load: {e:?}"))
    }

    /// Activates, processes `input` (mono, duplicated to every channel) on a
    /// separate audio thread as `run` says, servicing main-thread callbacks
    /// meanwhile (and calling `on_main` after each), then stops and
    /// deactivates. Returns the output events and bit-exactness.
    pub fn process_audio(&mut self, input: &[f32], run: &Run, mut on_main: impl FnMut(&mut Self)) -> Result<Collected> {
        self.set_render_mode(run.offline)?;
        let max_block = run.block_sizes.iter().copied().max().unwrap_or(1).max(1);
        let config = PluginAudioConfiguration {
            sample_rate: run.sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        let processor = self.instance.activate(|_, _| (), config).map_err(|e| anyhow!("activate: {e:?}"))?;
        let done = AtomicBool::new(false);
        let run2 = run.clone();
        let result = std::thread::scope(|s| -> Result<(Collected, StoppedPluginAudioProcessor<TestHost>)> {
            let audio = s.spawn(|| audio_thread(processor, input, &run2, &done));
            while !done.load(Ordering::Acquire) {
                self.pump();
                on_main(self);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let r = audio.join().map_err(|_| anyhow!("audio thread panicked"))?;
            self.pump();
            r
        });
        let (collected, stopped) = result?;
        self.instance.deactivate(stopped);
        self.pump();
        Ok(collected)
    }
}

fn audio_thread(
    processor: StoppedPluginAudioProcessor<TestHost>,
    input: &[f32],
    run: &Run,
    done: &AtomicBool,
) -> Result<(Collected, StoppedPluginAudioProcessor<TestHost>)> {
    struct Done<'a>(&'a AtomicBool);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let _done = Done(done);
    processor.access_shared_handler(|s| {
        if let Ok(mut t) = s.audio_thread.lock() {
            *t = Some(std::thread::current().id());
        }
    });
    let mut processor = processor.start_processing().map_err(|e| anyhow!("start_processing: {e:?}"))?;
    let max_block = run.block_sizes.iter().copied().max().unwrap_or(1).max(1);
    let ch = run.channels;
    let mut in_bufs = vec![vec![0.0f32; max_block]; ch];
    let mut out_bufs = vec![vec![0.0f32; max_block]; ch];
    let mut in_ports = AudioPorts::with_capacity(ch, 1);
    let mut out_ports = AudioPorts::with_capacity(ch, 1);
    let mut out_events = EventBuffer::with_capacity(256);
    let mut in_events = EventBuffer::new();
    for &(id, value) in &run.set_params {
        in_events.push(&ParamValueEvent::new(0, ClapId::new(id), Pckn::match_all(), value));
    }
    let mut collected = Collected::default();
    collected.block_ns.reserve(input.len() / run.block_sizes.iter().copied().filter(|&b| b > 0).min().unwrap_or(1) + 2);
    let start = std::time::Instant::now();
    let mut pos = 0usize;
    let mut k = 0usize;
    while pos < input.len() {
        let n = run.block_sizes[k % run.block_sizes.len()].min(input.len() - pos);
        k += 1;
        for b in in_bufs.iter_mut() {
            b[..n].copy_from_slice(&input[pos..pos + n]);
        }
        for b in out_bufs.iter_mut() {
            b[..n].fill(0.5);
        }
        out_events.clear();
        {
            let inputs = in_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only(
                    in_bufs.iter_mut().map(|b| InputChannel::variable(&mut b[..n])),
                ),
            }]);
            let mut outputs = out_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(out_bufs.iter_mut().map(|b| &mut b[..n])),
            }]);
            let t = std::time::Instant::now();
            processor
                .process(
                    &inputs,
                    &mut outputs,
                    &in_events.as_input(),
                    &mut out_events.as_output(),
                    Some(pos as u64),
                    None,
                )
                .map_err(|e| anyhow!("process: {e:?}"))?;
            collected.block_ns.push(t.elapsed().as_nanos() as u64);
        }
        collected.take_events(collected.blocks, pos as u64, &out_events);
        in_events.clear();
        // Bit-exact: compare bit patterns so NaN inputs count too.
        if out_bufs.iter().any(|o| o[..n].iter().zip(&input[pos..pos + n]).any(|(a, b)| a.to_bits() != b.to_bits())) {
            collected.non_bit_exact_blocks += 1;
        }
        collected.blocks += 1;
        collected.frames += n;
        pos += n;
        if n == 0 && run.block_sizes.iter().all(|&b| b == 0) {
            break;
        }
        if let Some(speed) = run.speed {
            let due = pos as f64 / run.sample_rate / speed;
            let elapsed = start.elapsed().as_secs_f64();
            if due > elapsed {
                std::thread::sleep(std::time::Duration::from_secs_f64(due - elapsed));
            }
        }
    }
    Ok((collected, processor.stop_processing()))
}

// ---------------------------------------------------------------- X11 / GUI

/// A top-level X11 window created with x11rb, used as the editor's parent.
pub struct X11Parent {
    conn: x11rb::rust_connection::RustConnection,
    /// The window id.
    pub window: u32,
}

impl X11Parent {
    /// Opens `$DISPLAY` and maps a `width × height` window.
    pub fn new(width: u16, height: u16) -> Result<Self> {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, EventMask, WindowClass};
        let (conn, screen_num) = x11rb::connect(None).context("connect to X11 ($DISPLAY; run under xvfb-run)")?;
        let screen = &conn.setup().roots[screen_num];
        let window = conn.generate_id()?;
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            window,
            screen.root,
            0,
            0,
            width,
            height,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new().background_pixel(screen.black_pixel).event_mask(EventMask::STRUCTURE_NOTIFY),
        )?;
        conn.map_window(window)?;
        // A round trip, not just a flush: the plugin reparents into this window over its own
        // connection, so the server must have created it first (a flush alone once let the
        // plugin's ReparentWindow arrive first: BadWindow, "set_parent: SetParentError").
        x11rb::wrapper::ConnectionExt::sync(&conn).context("X11 round trip after creating the parent window")?;
        Ok(Self { conn, window })
    }

    /// Drains pending X events (keeps the connection healthy).
    pub fn pump(&self) {
        use x11rb::connection::Connection;
        while let Ok(Some(_)) = self.conn.poll_for_event() {}
    }
}

impl Drop for X11Parent {
    fn drop(&mut self) {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::ConnectionExt;
        let _ = self.conn.destroy_window(self.window);
        let _ = self.conn.flush();
    }
}

/// The plugin GUI embedded into an [`X11Parent`].
pub struct Editor {
    gui: PluginGui,
    /// The parent window.
    pub parent: X11Parent,
    /// The size the plugin asked for.
    pub size: GuiSize,
}

impl Editor {
    /// `create("x11")`, `set_parent`, `show`.
    pub fn open(host: &mut Host) -> Result<Self> {
        let handle = host.instance.plugin_handle();
        let gui = handle.get_extension::<PluginGui>().ok_or_else(|| anyhow!("no gui extension"))?;
        let config = GuiConfiguration { api_type: GuiApiType::X11, is_floating: false };
        if !gui.is_api_supported(&handle, config) {
            bail!("plugin does not support embedded X11");
        }
        gui.create(&handle, config).map_err(|e| anyhow!("gui create: {e:?}"))?;
        let size = gui.get_size(&handle).unwrap_or(GuiSize { width: 720, height: 470 });
        let parent = X11Parent::new(size.width as u16, size.height as u16)?;
        // SAFETY: the parent window outlives the GUI: `close` destroys the GUI before the window.
        unsafe { gui.set_parent(&handle, ClapWindow::from_x11_handle(parent.window as _)) }
            .map_err(|e| anyhow!("set_parent: {e:?}"))?;
        let _ = gui.show(&handle);
        Ok(Self { gui, parent, size })
    }

    /// Destroys the GUI, then the parent window.
    pub fn close(self, host: &mut Host) {
        let handle = host.instance.plugin_handle();
        let _ = self.gui.hide(&handle);
        self.gui.destroy(&handle);
        drop(self.parent);
    }
}

/// Saves a screenshot of the whole X display (`xwd -root | convert`), if the
/// tools exist. Returns whether a file was written.
pub fn screenshot(path: &Path) -> bool {
    let cmd = format!("xwd -root -silent | convert xwd:- {}", path.display());
    std::process::Command::new("sh").arg("-c").arg(cmd).status().map(|s| s.success()).unwrap_or(false)
}

/// CPU time (user + system, seconds) of this process's thread whose name
/// starts with `prefix` (Linux `/proc/self/task/*/stat`), if one exists.
pub fn thread_cpu_s(prefix: &str) -> Option<f64> {
    let ticks = 100.0; // USER_HZ on Linux
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end().starts_with(prefix) {
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            let rest = &stat[stat.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            return Some((utime + stime) / ticks);
        }
    }
    None
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`).
pub fn rss_bytes() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    let pages: u64 = s.split_whitespace().nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    pages * 4096
}

// ---------------------------------------------------------------- CLI and files

/// The `moodtap` CLI: `MOODTAP_CLI`, else `<target>/debug/moodtap`, else
/// `<target>/release/moodtap` (`cargo test --workspace` builds the debug one).
pub fn cli_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("MOODTAP_CLI") {
        return Ok(PathBuf::from(p));
    }
    for profile in ["debug", "release"] {
        let p = target_dir().join(profile).join("moodtap");
        if p.exists() {
            return Ok(p);
        }
    }
    bail!("no moodtap CLI binary: run `cargo build -p moodtap-trainer` (or set MOODTAP_CLI)")
}

/// Writes mono f32 samples as a 32-bit float WAV.
pub fn write_wav_f32(path: &Path, samples: &[f32], rate: u32) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).with_context(|| format!("create {}", path.display()))?;
    for &x in samples {
        w.write_sample(x)?;
    }
    w.finalize()?;
    Ok(())
}
