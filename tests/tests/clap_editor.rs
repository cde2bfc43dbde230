//! The editor in a real CLAP host and a real X11 window (under Xvfb in CI:
//! `xvfb-run -a cargo test -p moodtap-tests`): it opens, renders and closes
//! while audio plays, and it only displays — the parameter output is the
//! same meter stream from `process()` (no gestures, `DONT_RECORD`) with the
//! editor open, closed, or never opened.
//!
//! Needs `$DISPLAY`; `MOODTAP_SKIP_GUI=1` skips explicitly (printed). With
//! `MOODTAP_SCREENSHOT_DIR` set, screenshots of the display are written there
//! (`xwd` + ImageMagick `convert`).

use moodtap_tests::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn screenshot_dir() -> Option<PathBuf> {
    std::env::var_os("MOODTAP_SCREENSHOT_DIR").map(PathBuf::from)
}

#[test]
fn editor_displays_while_the_outputs_stay_the_same_stream_from_process() {
    if std::env::var_os("MOODTAP_SKIP_GUI").is_some() {
        eprintln!("SKIPPED: MOODTAP_SKIP_GUI is set");
        return;
    }
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no $DISPLAY: run under `xvfb-run -a` (or set MOODTAP_SKIP_GUI=1 to skip)"
    );
    let valence = nice_param_hash("valence");
    let arousal = nice_param_hash("arousal");
    let mut host = Host::load(&clap_bundle().unwrap()).unwrap();
    let (music, rate) = music(60.0).unwrap();
    let input = resample_linear(&music, rate, 48_000);
    let run = Run::stereo(48_000.0, 512, Some(4.0));

    // 1. Editor open while 30 s of music play.
    let editor = Editor::open(&mut host).unwrap();
    let shot = screenshot_dir().map(|d| d.join("editor-clap.png"));
    let t0 = Instant::now();
    let mut shot_taken = false;
    let c = host
        .process_audio(&input[..48_000 * 30], &run, |h| {
            let _ = h;
            editor.parent.pump();
            if let Some(path) = &shot {
                if !shot_taken && t0.elapsed() > Duration::from_secs(6) {
                    shot_taken = screenshot(path);
                }
            }
        })
        .unwrap();
    let v = c.values_of(valence);
    let a = c.values_of(arousal);
    eprintln!(
        "editor open: {} valence and {} arousal value events, {} gesture begins, {} ends, {} MIDI events",
        v.len(),
        a.len(),
        c.gesture_begins,
        c.gesture_ends,
        c.midi.len()
    );
    assert!(v.len() >= 5 && a.len() >= 5, "expected parameter output events: {v:?} {a:?}");
    assert!(v.iter().chain(&a).all(|x| (0.0..=1.0).contains(x)));
    assert_eq!(c.gesture_begins + c.gesture_ends, 0, "the editor publishes nothing of its own");
    assert!(c.events.iter().all(|e| !matches!(e.kind, OutKind::ParamValue(..)) || e.flags == FLAG_DONT_RECORD));
    // The host's view of the parameter equals the last value it was sent.
    let last_v = *v.last().unwrap();
    let got = host.param_value(valence).unwrap();
    assert!((got - last_v).abs() < 1e-6, "get_value {got} vs last event {last_v}");
    assert!(!c.midi.is_empty(), "MIDI CC keeps working alongside");
    editor.close(&mut host);

    // 2. Editor closed: nothing changes.
    let c = host.process_audio(&input[48_000 * 30..48_000 * 45], &run, |_| {}).unwrap();
    let v = c.values_of(valence);
    eprintln!("editor closed: {} valence value events", v.len());
    assert!(v.len() >= 3, "outputs must stay live after the editor closed: {v:?}");
    assert!(host.log().is_empty(), "plugin logged: {:?}", host.log());

    // 3. A project whose model file is gone: the editor says so.
    if let Some(dir) = screenshot_dir() {
        let state = host.save_state().unwrap();
        let len = u64::from_le_bytes(state[..8].try_into().unwrap()) as usize;
        let mut json: serde_json::Value = serde_json::from_slice(&state[8..8 + len]).unwrap();
        json["fields"]["model-path"] =
            serde_json::Value::String(String::from("\"/home/producer/models/deam-cbsa.moodtap\""));
        let body = serde_json::to_vec(&json).unwrap();
        let mut bytes = (body.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        host.load_state(&bytes).unwrap();
        let editor = Editor::open(&mut host).unwrap();
        let t = Instant::now();
        let mut taken = false;
        let _ = host.process_audio(&input[..48_000 * 8], &run, |_| {
            editor.parent.pump();
            if !taken && t.elapsed() > Duration::from_millis(1500) {
                taken = screenshot(&dir.join("editor-missing-model.png"));
            }
        });
        assert!(taken, "screenshot failed (xwd and ImageMagick's convert needed)");
        editor.close(&mut host);
    }
}
