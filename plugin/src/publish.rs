//! Publishing the estimate to the host as parameter changes (the automation
//! route).
//!
//! In nice-plug 0.4.2 a plugin-originated parameter change reaches the host
//! only through the editor's `GuiContext`/`ParamSetter` (CLAP: queued as an
//! output parameter event and flushed in `process`; VST3: `performEdit`).
//! `ProcessContext::set_parameter` does not exist yet, and a VST3 host does
//! not see a value changed behind its back. So:
//!
//! - the `GuiContext` is kept from the first time the editor opens, for the
//!   plugin's lifetime ([`Publisher::attach_gui_context`]);
//! - the analysis thread calls [`Publisher::request`] after each estimate; it
//!   posts [`Task::Publish`] through the `AsyncExecutor` handed to
//!   `Plugin::editor` (available from construction), so the parameter calls
//!   run on the thread the wrapper runs GUI tasks on: the host's main thread
//!   for CLAP (`request_callback`), the host's UI run loop for VST3 while the
//!   editor is open;
//! - VST3 requires `performEdit` on the UI thread, and with the editor closed
//!   nice-plug runs GUI tasks on its own thread, so for VST3 publishing only
//!   happens while the editor is open;
//! - every use of the `GuiContext` (publishing and the editor's own `hold`
//!   toggle) goes through one mutex: debug builds of nice-plug panic if two
//!   threads drive the parameter-gesture checker at once;
//! - the `GuiContext` holds a `Weak` to the wrapper and unwraps it, so it is
//!   only ever used from tasks the wrapper itself executes (the wrapper is
//!   alive then) or from the open editor; the `AsyncExecutor` itself upgrades
//!   its `Weak` and does nothing once the wrapper is gone.
//!
//! MIDI CC output (`bridge.rs`) is the route that always works.

use crate::analysis::Outputs;
use crate::params::MoodtapParams;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Background tasks of the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Send the current estimate to the host as parameter changes.
    Publish,
}

/// Which route carries the estimate to host automation right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutomationRoute {
    /// The editor has never been opened in this instance: no `GuiContext`.
    NotYet,
    /// Live for the rest of the plugin's lifetime (CLAP, standalone).
    Live,
    /// VST3: live while the editor is open.
    LiveWhileEditorOpen,
}

/// Holds the `GuiContext` and the executor; see the module docs.
pub struct Publisher {
    context: Mutex<Option<GuiContext>>,
    executor: Mutex<Option<Box<dyn Fn(Task) + Send + Sync>>>,
    editor_open: Box<dyn Fn() -> bool + Send + Sync>,
    pending: AtomicBool,
    /// Number of publish tasks that sent values to the host.
    pub published: AtomicU64,
}

impl Publisher {
    /// `editor_open` reports whether the editor window is open right now.
    pub fn new(editor_open: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        Self {
            context: Mutex::new(None),
            executor: Mutex::new(None),
            editor_open: Box::new(editor_open),
            pending: AtomicBool::new(false),
            published: AtomicU64::new(0),
        }
    }

    /// Stores the executor that posts GUI tasks (from `Plugin::editor`).
    pub fn attach_executor(&self, execute_gui: impl Fn(Task) + Send + Sync + 'static) {
        if let Ok(mut e) = self.executor.lock() {
            *e = Some(Box::new(execute_gui));
        }
    }

    /// Keeps the first `GuiContext` the editor receives; later ones are ignored
    /// (they point at the same wrapper).
    pub fn attach_gui_context(&self, context: GuiContext) {
        if let Ok(mut c) = self.context.lock() {
            if c.is_none() {
                *c = Some(context);
            }
        }
    }

    /// The route status, for the editor and README.
    pub fn route(&self) -> AutomationRoute {
        let api = match self.context.lock() {
            Ok(c) => c.as_ref().map(|c| c.plugin_api()),
            Err(_) => None,
        };
        match api {
            None => AutomationRoute::NotYet,
            Some(PluginApi::Vst3) => AutomationRoute::LiveWhileEditorOpen,
            Some(_) => AutomationRoute::Live,
        }
    }

    /// Called by the analysis thread after a new estimate. Never blocks on
    /// the GUI thread: posts at most one outstanding task.
    pub fn request(&self) {
        let live = match self.route() {
            AutomationRoute::NotYet => false,
            AutomationRoute::Live => true,
            AutomationRoute::LiveWhileEditorOpen => (self.editor_open)(),
        };
        if !live || self.pending.swap(true, Ordering::AcqRel) {
            return;
        }
        match self.executor.lock() {
            Ok(e) => match e.as_ref() {
                Some(execute_gui) => execute_gui(Task::Publish),
                None => self.pending.store(false, Ordering::Release),
            },
            Err(_) => self.pending.store(false, Ordering::Release),
        }
    }

    /// Runs [`Task::Publish`] (on the wrapper's GUI-task thread): sends the
    /// outputs whose value differs from the parameter's as one gesture each.
    pub fn run(&self, params: &MoodtapParams, outputs: &Outputs) {
        self.pending.store(false, Ordering::Release);
        let v = outputs.valence.load(Ordering::Relaxed);
        let a = outputs.arousal.load(Ordering::Relaxed);
        let sent = self.with_setter(|setter| {
            let mut sent = false;
            for (param, value) in [(&params.valence, v), (&params.arousal, a)] {
                // Below a 16-bit step the host cannot tell the difference.
                if (param.value() - value).abs() >= 1.0 / 65536.0 {
                    setter.begin_set_parameter(param);
                    setter.set_parameter(param, value);
                    setter.end_set_parameter(param);
                    sent = true;
                }
            }
            sent
        });
        if sent == Some(true) {
            self.published.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Runs `f` with a `ParamSetter` under the publisher's lock; `None` when
    /// no `GuiContext` is held. Only from the GUI thread or a GUI task.
    pub fn with_setter<R>(&self, f: impl FnOnce(&ParamSetter) -> R) -> Option<R> {
        let guard = self.context.lock().ok()?;
        let context = guard.as_ref()?;
        Some(f(&context.param_setter()))
    }
}

/// The task executor for `Plugin::task_executor`.
pub fn executor(publisher: Arc<Publisher>, params: Arc<MoodtapParams>, outputs: Arc<Outputs>) -> impl Fn(Task) + Send {
    move |task| match task {
        Task::Publish => publisher.run(&params, &outputs),
    }
}
