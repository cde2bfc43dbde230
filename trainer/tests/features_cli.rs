//! `moodtap features` end to end, including every kind of bad input the
//! eGeMAPS issue lists: each gives a clear error or a defined, NaN-free table.

use std::path::{Path, PathBuf};
use std::process::Command;

use moodtap_core::features::egemaps::names::{FUNCTIONAL_NAMES, LLD_NAMES};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("moodtap-features-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write_wav(path: &Path, rate: u32, channels: u16, frames: impl Iterator<Item = Vec<f32>>, float: bool) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: if float { 32 } else { 16 },
        sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for f in frames {
        for x in f {
            if float {
                w.write_sample(x).unwrap();
            } else {
                w.write_sample((x.clamp(-1.0, 1.0) * 32767.0) as i16).unwrap();
            }
        }
    }
    w.finalize().unwrap();
}

fn tone(rate: u32, secs: f64, f: f64, amp: f32) -> impl Iterator<Item = Vec<f32>> {
    (0..(rate as f64 * secs) as usize)
        .map(move |i| vec![amp * (2.0 * std::f64::consts::PI * f * i as f64 / rate as f64).sin() as f32])
}

/// Runs `moodtap features` and returns (success, stdout, stderr).
fn features(path: &Path, level: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap"))
        .args(["features", path.to_str().unwrap(), "--set", "egemaps", "--level", level])
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Parses a CSV table and checks the header and that every value is finite.
fn table(csv: &str, header: &[&str]) -> Vec<Vec<f64>> {
    let mut lines = csv.lines();
    let h: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(h, header);
    lines
        .map(|l| {
            let row: Vec<f64> = l.split(',').map(|v| v.parse::<f64>().expect(v)).collect();
            assert_eq!(row.len(), header.len());
            assert!(row.iter().all(|v| v.is_finite()), "non-finite value in {l}");
            row
        })
        .collect()
}

fn lld_header() -> Vec<&'static str> {
    std::iter::once("time_s").chain(LLD_NAMES).collect()
}

#[test]
fn functionals_and_llds_of_a_tone() {
    let p = tmp("tone.wav");
    write_wav(&p, 44_100, 2, tone(44_100, 2.0, 220.0, 0.3).map(|f| vec![f[0], f[0]]), false);
    let (ok, out, err) = features(&p, "functionals");
    assert!(ok, "{err}");
    let rows = table(&out, &FUNCTIONAL_NAMES);
    assert_eq!(rows.len(), 1);
    // 220 Hz = 36.0 semitones above 27.5 Hz.
    assert!((rows[0][0] - 36.0).abs() < 0.2, "F0 mean {}", rows[0][0]);
    let (ok, out, err) = features(&p, "lld");
    assert!(ok, "{err}");
    let rows = table(&out, &lld_header());
    assert!(rows.len() > 190 && rows.len() < 200, "{}", rows.len());
    assert!((rows[1][0] - 221.0 / 22_050.0).abs() < 1e-6, "10 ms hop of 221 samples at 22 050 Hz");
}

#[test]
fn degenerate_signals_give_defined_nan_free_tables() {
    type Frames = Box<dyn Iterator<Item = Vec<f32>>>;
    let cases: Vec<(&str, Frames, u32, u16, bool)> = vec![
        ("silence.wav", Box::new((0..22_050).map(|_| vec![0.0])), 22_050, 1, false),
        ("dc.wav", Box::new((0..22_050).map(|_| vec![0.5])), 22_050, 1, false),
        ("clipped.wav", Box::new(tone(22_050, 1.0, 100.0, 4.0).map(|f| vec![f[0].clamp(-1.0, 1.0)])), 22_050, 1, false),
        (
            "nan_inf.wav",
            Box::new((0..22_050).map(|i| {
                vec![match i % 3 {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    _ => 0.2,
                }]
            })),
            22_050,
            1,
            true,
        ),
        ("one_sample.wav", Box::new(std::iter::once(vec![0.3])), 22_050, 1, false),
        ("rate_8k.wav", Box::new(tone(8_000, 1.0, 300.0, 0.3)), 8_000, 1, false),
        ("rate_192k.wav", Box::new(tone(192_000, 1.0, 300.0, 0.3)), 192_000, 1, false),
        ("six_channels.wav", Box::new(tone(48_000, 1.0, 300.0, 0.3).map(|f| vec![f[0]; 6])), 48_000, 6, false),
    ];
    for (name, frames, rate, ch, float) in cases {
        let p = tmp(name);
        write_wav(&p, rate, ch, frames, float);
        for level in ["functionals", "lld"] {
            let (ok, out, err) = features(&p, level);
            assert!(ok, "{name} {level}: {err}");
            let header: Vec<&str> = if level == "lld" { lld_header() } else { FUNCTIONAL_NAMES.to_vec() };
            let rows = table(&out, &header);
            if level == "functionals" {
                assert_eq!(rows.len(), 1, "{name}");
            }
        }
    }
}

#[test]
fn unreadable_inputs_are_clear_errors() {
    let empty = tmp("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let text = tmp("readme.mp3");
    std::fs::write(&text, "not audio at all\n".repeat(200)).unwrap();
    let missing = tmp("does-not-exist.wav");
    // A WAV cut in the middle of its header.
    let cut = tmp("cut.wav");
    write_wav(&cut, 22_050, 1, tone(22_050, 1.0, 220.0, 0.3), false);
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..30]).unwrap();
    for (p, expect) in [
        (&empty, "not a supported audio file"),
        (&text, "not a supported audio file"),
        (&missing, "cannot read"),
        (&cut, "not a supported audio file"),
    ] {
        let (ok, out, err) = features(p, "functionals");
        assert!(!ok && out.is_empty(), "{}", p.display());
        assert!(err.contains(expect), "{}: {err}", p.display());
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn truncated_audio_data_is_analysed_up_to_the_damage() {
    let p = tmp("truncated.wav");
    write_wav(&p, 22_050, 1, tone(22_050, 2.0, 220.0, 0.3), false);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, out, err) = features(&p, "lld");
    assert!(ok, "{err}");
    let rows = table(&out, &lld_header());
    assert!(rows.len() > 90 && rows.len() < 100, "about 1 s of frames: {}", rows.len());
}

#[test]
fn mir_and_fused_steps() {
    let p = tmp("steps.wav");
    write_wav(&p, 22_050, 1, tone(22_050, 5.0, 220.0, 0.3), false);
    let run = |set: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_moodtap"))
            .args(["features", p.to_str().unwrap(), "--set", set, "--level", "steps", "--hop-s", "0.5"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let mir = run("mir");
    let header: Vec<&str> = std::iter::once("time_s").chain(moodtap_core::features::mir::MIR_NAMES).collect();
    let rows = table(&mir, &header);
    assert_eq!(rows.len(), 10, "5 s at 0.5 s per step");
    assert!((rows[4][1] - 220.0).abs() < 5.0, "pitch of a 220 Hz tone: {}", rows[4][1]);
    let fused = run("fused");
    let header: Vec<&str> = std::iter::once("time_s").chain(moodtap_core::steps::raw_step_names()).collect();
    assert_eq!(table(&fused, &header).len(), 10);
    // MIR sets have no whole-file level.
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap"))
        .args(["features", p.to_str().unwrap(), "--set", "mir", "--level", "functionals"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--level steps"));
}
