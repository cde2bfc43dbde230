//! The CLAP bundle in a real (small) CLAP host: loading, parameters, MIDI CC
//! output on a minute of music, bit-exact pass-through, state, and bad host
//! behaviour. The bundle is the debug build (`cargo xtask bundle moodtap`),
//! where nice-plug's `assert_process_allocs` aborts this test process on any
//! allocation inside `process()`: every test here is also a no-allocation test.

use moodtap_tests::*;

const VALENCE_CC: u8 = 20;
const AROUSAL_CC: u8 = 21;

fn host() -> Host {
    let bundle = clap_bundle().unwrap();
    Host::load(&bundle).unwrap()
}

fn stereo_run(rate: f64, block: usize, speed: Option<f64>) -> Run {
    Run { sample_rate: rate, channels: 2, block_sizes: vec![block], speed }
}

#[test]
fn loads_lists_parameters_and_sends_the_estimate_as_midi_cc_over_a_minute_of_music() {
    let mut host = host();
    assert!(host.descriptors().contains(&(PLUGIN_ID.to_string(), "moodtap".to_string())), "{:?}", host.descriptors());

    let params = host.params().unwrap();
    for (id, name) in [("valence", "Valence"), ("arousal", "Arousal")] {
        let p = params
            .iter()
            .find(|p| p.id == nice_param_hash(id))
            .unwrap_or_else(|| panic!("no parameter with id {id}: {params:?}"));
        assert_eq!(p.name, name);
        // Normalised = value: a [0, 1] range, automatable so hosts record it.
        assert_eq!((p.min, p.max), (0.0, 1.0));
        assert!(p.automatable);
    }

    // One minute of music, 48 kHz stereo, 512-sample blocks, paced at 8×
    // real time so the analysis thread keeps up as it would in a DAW.
    let (music, rate) = music(60.0).unwrap();
    let input = resample_linear(&music, rate, 48_000);
    let collected = host.process_audio(&input, &stereo_run(48_000.0, 512, Some(8.0)), |_| {}).unwrap();

    assert_eq!(collected.frames, input.len());
    assert_eq!(collected.non_bit_exact_blocks, 0, "audio must pass through bit-exact");
    let v = collected.cc_values(0, VALENCE_CC);
    let a = collected.cc_values(0, AROUSAL_CC);
    // One estimate per 0.5 s → up to 120 estimates; CCs only on change.
    assert!(v.len() >= 10 && a.len() >= 10, "valence CCs {v:?}\narousal CCs {a:?}");
    let distinct = |x: &[u8]| {
        let mut y = x.to_vec();
        y.sort();
        y.dedup();
        y.len()
    };
    assert!(distinct(&a) >= 5, "arousal should follow the music: {a:?}");
    assert!(distinct(&v) >= 3, "valence should follow the music: {v:?}");
    // Without an editor ever opened, nice-plug offers no route for
    // plugin-originated parameter changes: the host sees none.
    assert!(collected.param_values.is_empty(), "{:?}", collected.param_values);
    assert!(host.log().is_empty(), "plugin logged: {:?}", host.log());
    eprintln!(
        "MIDI: {} events; arousal CC {} values ({} distinct), valence CC {} values ({} distinct)",
        collected.midi.len(),
        a.len(),
        distinct(&a),
        v.len(),
        distinct(&v)
    );
}

#[test]
fn mono_layout_passes_audio_bit_exact() {
    let mut host = host();
    host.select_channels(1).unwrap();
    let (music, rate) = music(5.0).unwrap();
    let run = Run { sample_rate: rate as f64, channels: 1, block_sizes: vec![256], speed: None };
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

    // Block sizes 1…8192 mixed with zero-length blocks.
    let sizes = vec![1, 0, 7, 64, 0, 8192, 3, 1000, 4096, 2, 513, 0, 8191];
    let run = Run { sample_rate: rate as f64, channels: 2, block_sizes: sizes, speed: None };
    let c = host.process_audio(&music, &run, |_| {}).unwrap();
    assert_eq!(c.non_bit_exact_blocks, 0);
    assert_eq!(c.frames, music.len());

    // Only zero-length blocks.
    let run = Run { sample_rate: 48_000.0, channels: 2, block_sizes: vec![0], speed: None };
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

    let saved = host.save_state().unwrap();
    let rss_before = rss_bytes();

    // Minutes of silence, as fast as the host can go.
    let silence = vec![0.0f32; 48_000 * 180];
    let c = host.process_audio(&silence, &stereo_run(48_000.0, 1024, None), |_| {}).unwrap();
    assert_eq!(c.non_bit_exact_blocks, 0);

    // Sample-rate changes between sessions and deactivate/activate cycles.
    for (k, rate_hz) in [44_100.0, 96_000.0, 22_050.0, 192_000.0, 48_000.0].iter().cycle().take(25).enumerate() {
        let n = (*rate_hz as usize) / 4;
        let x = resample_linear(&music[..n.min(music.len())], rate, *rate_hz as u32);
        let run = stereo_run(*rate_hz, [64, 512, 4096][k % 3], None);
        let c = host.process_audio(&x, &run, |_| {}).unwrap();
        assert_eq!(c.non_bit_exact_blocks, 0, "at {rate_hz} Hz");
    }
    let rss_after = rss_bytes();
    // Each activation allocates a ring (≤ 2 s at 192 kHz = 1.5 MB) and a
    // context (2 × 45 s at 22 050 Hz = 7.9 MB) and frees them on
    // deactivation; 25 cycles that leaked would add > 200 MB.
    let growth = rss_after.saturating_sub(rss_before);
    assert!(growth < 64 << 20, "RSS grew {} MB over 25 activate cycles", growth >> 20);

    let after = host.save_state().unwrap();
    assert_eq!(after, saved, "state must survive the abuse unchanged");
    assert!(host.log().is_empty(), "plugin logged: {:?}", host.log());
    eprintln!("RSS before {} MB, after {} MB", rss_before >> 20, rss_after >> 20);
}
