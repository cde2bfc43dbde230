//! The CLAP bundle in a real (small) CLAP host: loading, parameter flags,
//! parameter output from `process()` with the editor never opened (realtime
//! and offline), sample-accurate timing, determinism, equality with
//! `moodtap analyze`, the write-automation route, MIDI CC, bit-exact
//! pass-through, state, and bad host behaviour. The bundle is the debug build
//! (`cargo xtask bundle moodtap-plugin`), where nice-plug's `assert_process_allocs`
//! aborts this test process on any allocation inside `process()`: every test
//! here is also a no-allocation test.

use moodtap_tests::*;

const VALENCE_CC: u8 = 20;
const AROUSAL_CC: u8 = 21;
const AROUSAL_NOW_CC: u8 = 23;

fn host() -> Host {
    let bundle = clap_bundle().unwrap();
    Host::load(&bundle).unwrap()
}

fn stereo_run(rate: f64, block: usize, speed: Option<f64>) -> Run {
    Run::stereo(rate, block, speed)
}

fn id(name: &str) -> u32 {
    nice_param_hash(name)
}

fn distinct(x: &[u8]) -> usize {
    let mut y = x.to_vec();
    y.sort();
    y.dedup();
    y.len()
}

#[test]
fn parameter_flags_follow_both_specs() {
    let mut host = host();
    assert!(host.descriptors().contains(&(PLUGIN_ID.to_string(), "moodtap".to_string())), "{:?}", host.descriptors());
    let params = host.params().unwrap();
    let get = |key: &str| {
        params.iter().find(|p| p.id == id(key)).unwrap_or_else(|| panic!("no parameter with id {key}: {params:?}"))
    };
    for (key, name) in
        [("valence", "Valence"), ("arousal", "Arousal"), ("valence-now", "Valence now"), ("arousal-now", "Arousal now")]
    {
        let p = get(key);
        assert_eq!(p.name, name);
        assert_eq!((p.min, p.max), (0.0, 1.0));
        // A read-only meter: never automatable or modulatable (clap-validator
        // rejects READONLY with either), and visible so hosts show and link it.
        assert!(p.read_only && !p.automatable && !p.modulatable && !p.hidden, "{p:?}");
    }
    for (key, name) in [
        ("valence-automation", "Valence (automation)"),
        ("arousal-automation", "Arousal (automation)"),
        ("valence-now-automation", "Valence now (automation)"),
        ("arousal-now-automation", "Arousal now (automation)"),
    ] {
        let p = get(key);
        assert_eq!(p.name, name);
        assert!(p.automatable && !p.read_only && !p.hidden, "{p:?}");
    }
    let hold = get("hold");
    assert!(hold.automatable && !hold.read_only);
    // Saved sessions and hosts that address parameters by index keep their
    // meaning: the "now" outputs came later and sit after every older parameter.
    let order: Vec<u32> = params.iter().map(|p| p.id).collect();
    let keys = [
        "valence",
        "arousal",
        "hold",
        "write-automation",
        "valence-automation",
        "arousal-automation",
        "valence-now",
        "arousal-now",
        "valence-now-automation",
        "arousal-now-automation",
    ];
    assert_eq!(order, keys.map(id).to_vec(), "parameter order changed: {params:?}");
    let write = get("write-automation");
    assert!(!write.automatable && !write.read_only && !write.hidden, "{write:?}");
}

#[test]
fn parameters_and_midi_cc_are_live_from_process_without_the_editor() {
    let mut host = host();
    // One minute of music, 48 kHz stereo, 512-sample blocks, paced at 8×
    // real time so the analysis thread keeps up as it would in a DAW.
    let (music, rate) = music(60.0).unwrap();
    let input = resample_linear(&music, rate, 48_000);
    let c = host.process_audio(&input, &stereo_run(48_000.0, 512, Some(8.0)), |_| {}).unwrap();

    assert_eq!(c.frames, input.len());
    assert_eq!(c.non_bit_exact_blocks, 0, "audio must pass through bit-exact");
    assert_eq!(c.unsorted_blocks, 0, "CLAP output events must be sorted by time");
    for key in ["valence", "arousal"] {
        let values = c.timed_values_of(id(key));
        // The neutral value at the very first sample, then every change.
        assert_eq!(values.first(), Some(&(0, 0.5)), "{key}: {:?}", &values[..values.len().min(3)]);
        assert!(values.len() > 100, "{key}: only {} value events in 60 s", values.len());
        // Live from the first processed second: the first step (0.15 s) plus
        // the output delay (0.74 s at 48 kHz).
        let first_estimate = values[1].0 as f64 / 48_000.0;
        assert!(first_estimate < 1.0, "{key}: first estimate at {first_estimate:.2} s");
        assert!(values.iter().all(|&(_, v)| (0.0..=1.0).contains(&v)));
    }
    // Meter values are not a user touching a control, and not for recording.
    for e in c.events.iter().filter(|e| matches!(e.kind, OutKind::ParamValue(..))) {
        assert_eq!(e.flags, FLAG_DONT_RECORD, "{e:?}");
    }
    assert_eq!(c.gesture_begins + c.gesture_ends, 0, "no gestures while write-automation is off");
    let positions: Vec<u64> = c.timed_values_of(id("arousal")).iter().skip(1).map(|&(p, _)| p).collect();
    assert!(positions.iter().any(|&p| p % 512 != 0), "events must not all sit at block starts");

    let v = c.cc_values(0, VALENCE_CC);
    let a = c.cc_values(0, AROUSAL_CC);
    assert!(v.len() >= 10 && a.len() >= 10, "valence CCs {v:?}\narousal CCs {a:?}");
    assert!(distinct(&a) >= 5, "arousal should follow the music: {a:?}");
    assert!(distinct(&v) >= 3, "valence should follow the music: {v:?}");
    // A CC and the parameter change it mirrors share their sample position.
    let cc_pos: Vec<u64> =
        c.events.iter().filter(|e| matches!(e.kind, OutKind::Midi([0xB0, AROUSAL_CC, _]))).map(|e| e.pos).collect();
    assert!(cc_pos.iter().all(|p| *p == 0 || positions.contains(p)), "{cc_pos:?}");
    // get_value agrees with the last value sent.
    let last = *c.timed_values_of(id("arousal")).last().unwrap();
    assert!((host.param_value(id("arousal")).unwrap() - last.1).abs() < 1e-6);

    // The "now" reading: its own outputs and CC, moving more from step to step
    // than the long reading (3 s of context against 45 s plus 2 s smoothing).
    let step_change = |key: &str| {
        let v = c.timed_values_of(id(key));
        assert!(v.len() > 100, "{key}: only {} value events in 60 s", v.len());
        assert!(v.iter().all(|&(_, x)| (0.0..=1.0).contains(&x)), "{key}");
        v.windows(2).map(|w| (w[1].1 - w[0].1).abs()).sum::<f64>() / (v.len() - 1) as f64
    };
    let (long, now) = (step_change("arousal"), step_change("arousal-now"));
    assert!(now > 2.0 * long, "arousal-now should move faster: mean step change {now:.4} vs {long:.4}");
    step_change("valence-now");
    let a_now = c.cc_values(0, AROUSAL_NOW_CC);
    assert!(distinct(&a_now) >= 5, "arousal-now CC should follow the music: {a_now:?}");
    assert!(host.log().is_empty(), "plugin logged: {:?}", host.log());
    eprintln!("realtime at 8x: {} arousal value events, {} CC events", positions.len(), c.midi.len());
}

/// Sample accuracy in realtime: estimates take effect one fixed delay after
/// their step end and steps are hop_s apart, so successive estimate positions
/// are whole multiples of the hop (to the sample) unless an estimate reached
/// the audio thread late (then it lands at the next block start). Paced at
/// real time as a DAW plays: the analysis thread has its full 0.2 s headroom.
#[test]
fn realtime_estimates_land_on_their_sample() {
    let mut host = host();
    let (music, rate) = music(15.0).unwrap();
    let input = resample_linear(&music, rate, 48_000);
    let c = host.process_audio(&input, &stereo_run(48_000.0, 512, Some(1.0)), |_| {}).unwrap();
    let hop = 45.0 / 299.0 * 48_000.0;
    let positions: Vec<u64> = c.timed_values_of(id("arousal")).iter().skip(1).map(|&(p, _)| p).collect();
    let on_grid = positions
        .windows(2)
        .filter(|w| {
            let k = ((w[1] - w[0]) as f64 / hop).round();
            ((w[1] - w[0]) as f64 - k * hop).abs() <= 1.0
        })
        .count();
    let gaps = positions.len() - 1;
    eprintln!("realtime at 1x: {on_grid}/{gaps} gaps between arousal changes on the step grid");
    assert!(gaps > 50 && on_grid * 20 >= gaps * 19, "{on_grid} of {gaps} gaps on the step grid");
}

/// Offline renders of a 2-minute piece: identical event streams at different
/// block sizes, equal to `moodtap analyze --smoothing-s 2` on the same audio.
#[test]
fn offline_renders_are_deterministic_and_equal_to_moodtap_analyze() {
    let rate = 44_100u32;
    let (music, music_rate) = music(120.0).unwrap();
    let input = resample_linear(&music, music_rate, rate);
    let render = |blocks: Vec<usize>| {
        let mut host = host();
        let run = Run {
            sample_rate: rate as f64,
            channels: 2,
            block_sizes: blocks,
            speed: None,
            offline: true,
            set_params: Vec::new(),
        };
        let c = host.process_audio(&input, &run, |_| {}).unwrap();
        assert_eq!(c.non_bit_exact_blocks, 0);
        assert_eq!(c.unsorted_blocks, 0);
        c
    };
    let a = render(vec![512]);
    let b = render(vec![64, 1000, 4096, 7, 333]);
    let stream = |c: &Collected| c.events.iter().map(|e| (e.pos, e.flags, e.kind)).collect::<Vec<_>>();
    let (sa, sb) = (stream(&a), stream(&b));
    assert!(sa.len() > 1000, "{} events", sa.len());
    assert_eq!(sa.len(), sb.len());
    for (k, (x, y)) in sa.iter().zip(&sb).enumerate() {
        assert_eq!(x, y, "event {k} differs between the two renders");
    }

    // The same audio through the CLI, with the plugin's default smoothing.
    let dir = std::env::temp_dir().join(format!("moodtap-offline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("piece.wav");
    write_wav_f32(&wav, &input, rate).unwrap();
    let csv = dir.join("piece.csv");
    let out = std::process::Command::new(cli_binary().unwrap())
        .args(["analyze", "--quiet", "--smoothing-s", "2"])
        .arg(&wav)
        .arg("--out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "moodtap analyze failed: {}", String::from_utf8_lossy(&out.stderr));
    // time_s, valence, arousal, coverage, valence_now, arousal_now.
    let rows: Vec<Vec<f64>> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    std::fs::remove_dir_all(&dir).ok();

    // Every analyze row due inside the render appears as the plugin's value at
    // step end + one fixed delay (to the sample); every plugin change is such
    // a row. The delay is read off the first estimate and must be the
    // documented one (0.735 s at 44.1 kHz, plugin/src/timeline.rs).
    let first = a.timed_values_of(id("arousal"))[1].0;
    let delay = first - (rows[0][0] * rate as f64).round() as u64;
    let delay_s = delay as f64 / rate as f64;
    assert!((delay_s - 0.735).abs() < 0.002, "output delay {delay_s} s");
    let mut expected: Vec<(u64, &[f64])> = rows
        .iter()
        .map(|r| ((r[0] * rate as f64).round() as u64 + delay, &r[..]))
        .filter(|&(p, _)| p < input.len() as u64)
        .collect();
    expected.dedup_by_key(|r| r.0);
    assert!(expected.len() > 700, "{} analyze rows inside the render", expected.len());
    for (key, pick) in [("valence", 1usize), ("arousal", 2), ("valence-now", 4), ("arousal-now", 5)] {
        let got = a.timed_values_of(id(key));
        let mut last = 0.5f64;
        let mut matched = 0;
        let mut worst = 0.0f64;
        let mut events = got.iter().skip(1).peekable();
        for &(p, row) in &expected {
            let want = row[pick];
            match events.peek() {
                Some(&&(q, x)) if q == p => {
                    worst = worst.max((x - want).abs());
                    last = x;
                    matched += 1;
                    events.next();
                }
                _ => {
                    // No event: the value did not change (to f32) at this step.
                    assert!(
                        (last - want).abs() <= 1e-6,
                        "{key}: no event at {p}, but analyze says {want} (last {last})"
                    );
                }
            }
        }
        assert!(events.next().is_none(), "{key}: plugin events analyze does not have");
        assert!(worst <= 1e-6, "{key}: plugin vs analyze differ by {worst:e}");
        eprintln!("{key}: {matched} events equal to analyze rows (max |diff| {worst:e}), {} rows", expected.len());
    }
}

#[test]
fn write_automation_records_gesture_bracketed_changes() {
    let mut host = host();
    let (music, rate) = music(12.0).unwrap();
    let mut run = stereo_run(rate as f64, 512, None);
    run.offline = true;
    run.set_params = vec![(id("write-automation"), 1.0)];
    let c = host.process_audio(&music, &run, |_| {}).unwrap();
    assert_eq!(c.unsorted_blocks, 0);
    for key in ["valence-automation", "arousal-automation", "valence-now-automation", "arousal-now-automation"] {
        let pid = id(key);
        let mine: Vec<&OutEvent> = c
            .events
            .iter()
            .filter(|e| matches!(e.kind, OutKind::ParamValue(i, _) | OutKind::GestureBegin(i) | OutKind::GestureEnd(i) if i == pid))
            .collect();
        assert!(mine.len() >= 3 * 20, "{key}: {} events", mine.len());
        // begin, value, end at one position, recordable, never IS_LIVE.
        for t in mine.chunks(3) {
            assert!(matches!(t[0].kind, OutKind::GestureBegin(_)), "{t:?}");
            assert!(matches!(t[1].kind, OutKind::ParamValue(..)), "{t:?}");
            assert!(matches!(t[2].kind, OutKind::GestureEnd(_)), "{t:?}");
            assert!(t.iter().all(|e| e.pos == t[0].pos && e.flags == 0), "{t:?}");
        }
        // The same values the meters show, at the same positions.
        let meter = c.timed_values_of(id(key.trim_end_matches("-automation")));
        let written = c.timed_values_of(pid);
        assert_eq!(meter, written, "{key}");
    }
}

#[test]
fn hold_freezes_every_output() {
    let mut host = host();
    let (music, rate) = music(10.0).unwrap();
    let mut run = stereo_run(rate as f64, 512, None);
    run.offline = true;
    run.set_params = vec![(id("hold"), 1.0)];
    let c = host.process_audio(&music, &run, |_| {}).unwrap();
    // Only the initial values at sample 0.
    assert!(c.events.iter().all(|e| e.pos == 0), "{:?}", c.events.iter().find(|e| e.pos != 0));
    assert_eq!(c.timed_values_of(id("arousal")), vec![(0, 0.5)]);
}

#[test]
fn mono_layout_passes_audio_bit_exact() {
    let mut host = host();
    host.select_channels(1).unwrap();
    let (music, rate) = music(5.0).unwrap();
    let mut run = stereo_run(rate as f64, 256, None);
    run.channels = 1;
    let collected = host.process_audio(&music, &run, |_| {}).unwrap();
    assert_eq!(collected.non_bit_exact_blocks, 0);
    assert!(!collected.cc_values(0, AROUSAL_CC).is_empty(), "first block sends the current value");
}

/// nice-plug's CLAP state is a little-endian u64 length, then JSON.
fn state_json(state: &[u8]) -> serde_json::Value {
    let len = u64::from_le_bytes(state[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&state[8..8 + len]).expect("nice-plug state is JSON")
}

/// The state with some persisted fields replaced.
fn edit_state(state: &[u8], fields: &[(&str, &str)]) -> Vec<u8> {
    let mut json = state_json(state);
    for (k, v) in fields {
        json["fields"][*k] = serde_json::Value::String(v.to_string());
    }
    let body = serde_json::to_vec(&json).unwrap();
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

fn field(state: &[u8], key: &str) -> Option<String> {
    state_json(state)["fields"][key].as_str().map(str::to_string)
}

/// A project saved before the "now" reading existed (no `valence-now`/`arousal-now`
/// parameters, no `cc-*-now` fields) opens with its settings, and the new CCs take
/// their documented defaults.
#[test]
fn a_project_saved_before_the_now_reading_keeps_its_settings() {
    let mut host = host();
    let saved = host.save_state().unwrap();
    let mut json = state_json(&edit_state(&saved, &[("cc-valence", "5"), ("cc-arousal", "6"), ("midi-channel", "3")]));
    for section in ["fields", "params"] {
        if let Some(map) = json[section].as_object_mut() {
            for key in [
                "cc-valence-now",
                "cc-arousal-now",
                "valence-now",
                "arousal-now",
                "valence-now-automation",
                "arousal-now-automation",
            ] {
                map.remove(key);
            }
        }
    }
    assert!(json["fields"].get("cc-arousal-now").is_none() && json["fields"].get("cc-valence").is_some(), "{json}");
    let body = serde_json::to_vec(&json).unwrap();
    let mut old = (body.len() as u64).to_le_bytes().to_vec();
    old.extend_from_slice(&body);
    host.load_state(&old).unwrap();
    let (music, rate) = music(8.0).unwrap();
    let c = host.process_audio(&music, &stereo_run(rate as f64, 512, Some(16.0)), |_| {}).unwrap();
    for cc in [5, 6, 22, AROUSAL_NOW_CC] {
        assert!(!c.cc_values(3, cc).is_empty(), "CC {cc} on channel 4: {:?}", c.midi);
    }
    assert!(c.cc_values(0, VALENCE_CC).is_empty());
    assert_eq!(field(&host.save_state().unwrap(), "cc-arousal-now").as_deref(), Some("23"));
}

#[test]
fn state_round_trips_and_a_bad_model_path_falls_back_to_the_embedded_model() {
    let mut host = host();
    let saved = host.save_state().unwrap();
    for key in ["model-path", "cc-valence", "cc-arousal", "midi-channel", "cc-14bit", "smoothing-s"] {
        assert!(field(&saved, key).is_some(), "state lacks {key}: {}", String::from_utf8_lossy(&saved));
    }

    // A project saved with other settings and a model file that is gone.
    let dir = std::env::temp_dir().join(format!("moodtap-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("gone.model");
    let project = edit_state(
        &saved,
        &[
            ("cc-valence", "5"),
            ("cc-arousal", "6"),
            ("midi-channel", "3"),
            ("smoothing-s", "0.0"),
            ("model-path", &serde_json::to_string(&Some(missing.to_string_lossy())).unwrap()),
        ],
    );
    host.load_state(&project).unwrap();

    // Same bytes back (the path is kept so the project still names its model).
    let again = host.save_state().unwrap();
    for key in ["cc-valence", "cc-arousal", "midi-channel", "smoothing-s", "model-path"] {
        assert_eq!(field(&again, key), field(&project, key), "{key}");
    }

    // The plugin keeps working on the embedded model and uses the restored
    // MIDI routing: channel 4 (index 3), CC 5 and 6.
    let (music, rate) = music(8.0).unwrap();
    let collected = host.process_audio(&music, &stereo_run(rate as f64, 512, Some(16.0)), |_| {}).unwrap();
    assert!(!collected.cc_values(3, 5).is_empty() && !collected.cc_values(3, 6).is_empty(), "{:?}", collected.midi);
    assert!(collected.cc_values(0, VALENCE_CC).is_empty());

    // A corrupt (empty) model file behaves the same.
    let corrupt = dir.join("corrupt.model");
    std::fs::write(&corrupt, b"").unwrap();
    let project =
        edit_state(&saved, &[("model-path", &serde_json::to_string(&Some(corrupt.to_string_lossy())).unwrap())]);
    host.load_state(&project).unwrap();
    let collected =
        host.process_audio(&music[..rate as usize * 2], &stereo_run(rate as f64, 512, None), |_| {}).unwrap();
    assert!(!collected.cc_values(0, AROUSAL_CC).is_empty());

    // A second instance restores the first one's state.
    let mut other = Host::load(&clap_bundle().unwrap()).unwrap();
    other.load_state(&again).unwrap();
    let third = other.save_state().unwrap();
    for key in ["cc-valence", "cc-arousal", "midi-channel", "smoothing-s", "model-path"] {
        assert_eq!(field(&third, key), field(&again, key), "{key}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn survives_bad_host_behaviour_without_losing_state_or_growing_memory() {
    let mut host = host();
    let (music, rate) = music(20.0).unwrap();

    // Block sizes 1…8192 mixed with zero-length blocks, realtime and offline.
    let sizes = vec![1, 0, 7, 64, 0, 8192, 3, 1000, 4096, 2, 513, 0, 8191];
    for offline in [false, true] {
        let run = Run {
            sample_rate: rate as f64,
            channels: 2,
            block_sizes: sizes.clone(),
            speed: None,
            offline,
            set_params: Vec::new(),
        };
        let c = host.process_audio(&music, &run, |_| {}).unwrap();
        assert_eq!(c.non_bit_exact_blocks, 0);
        assert_eq!(c.frames, music.len());
        assert_eq!(c.unsorted_blocks, 0);
    }

    // Only zero-length blocks.
    let mut run = stereo_run(48_000.0, 0, None);
    run.block_sizes = vec![0];
    host.process_audio(&[0.0; 16], &run, |_| {}).unwrap();

    // NaN / Inf input: passed through untouched (bit-exact), estimate stays finite.
    let mut poison = music[..rate as usize * 4].to_vec();
    for (i, x) in poison.iter_mut().enumerate() {
        match i % 97 {
            0 => *x = f32::NAN,
            1 => *x = f32::INFINITY,
            2 => *x = f32::NEG_INFINITY,
            _ => {}
        }
    }
    let c = host.process_audio(&poison, &stereo_run(rate as f64, 512, Some(16.0)), |_| {}).unwrap();
    assert_eq!(c.non_bit_exact_blocks, 0, "NaN/Inf must pass through bit for bit");
    assert!(c.cc_values(0, AROUSAL_CC).iter().all(|&v| v <= 127));
    assert!(c.param_values.iter().all(|&(_, _, v)| v.is_finite()));

    let saved = host.save_state().unwrap();
    let rss_before = rss_bytes();

    // Minutes of silence, as fast as the host can go.
    let silence = vec![0.0f32; 48_000 * 180];
    let c = host.process_audio(&silence, &stereo_run(48_000.0, 1024, None), |_| {}).unwrap();
    assert_eq!(c.non_bit_exact_blocks, 0);

    // Sample-rate changes between sessions and deactivate/activate cycles,
    // realtime and offline.
    for (k, rate_hz) in [44_100.0, 96_000.0, 22_050.0, 192_000.0, 48_000.0, 8_000.0].iter().cycle().take(24).enumerate()
    {
        let n = (*rate_hz as usize) / 4;
        let x = resample_linear(&music[..n.min(music.len())], rate, *rate_hz as u32);
        let mut run = stereo_run(*rate_hz, [64, 512, 4096][k % 3], None);
        run.offline = k % 2 == 1;
        let c = host.process_audio(&x, &run, |_| {}).unwrap();
        assert_eq!(c.non_bit_exact_blocks, 0, "at {rate_hz} Hz");
    }
    let rss_after = rss_bytes();
    // Each activation allocates a ring (≤ 2 s at 192 kHz = 1.5 MB) and a
    // context (2 × 45 s at 22 050 Hz = 7.9 MB) and frees them on
    // deactivation; 24 cycles that leaked would add > 200 MB.
    let growth = rss_after.saturating_sub(rss_before);
    assert!(growth < 64 << 20, "RSS grew {} MB over 24 activate cycles", growth >> 20);

    let after = host.save_state().unwrap();
    assert_eq!(after, saved, "state must survive the abuse unchanged");
    assert!(host.log().is_empty(), "plugin logged: {:?}", host.log());
    eprintln!("RSS before {} MB, after {} MB", rss_before >> 20, rss_after >> 20);
}
