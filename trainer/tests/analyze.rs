//! `moodtap analyze` end to end: CSV shape and values (equal to the core
//! Analyzer's on the same audio), the PNG and MIDI outputs, several files,
//! and clear errors for a bad model or bad audio.

use std::path::{Path, PathBuf};
use std::process::Command;

use moodtap_core::analyzer::{Analyzer, Estimate};
use moodtap_core::audio::decode_file;
use moodtap_core::model::default_model;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("moodtap-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// `secs` of a stereo, amplitude-modulated A-minor chord at `rate`, 16-bit.
fn write_music(path: &Path, rate: u32, secs: f64) {
    let spec =
        hound::WavSpec { channels: 2, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(rate as f64 * secs) as usize {
        let t = i as f64 / rate as f64;
        let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 2.0 * t).sin().max(0.0);
        let x: f64 =
            [220.0, 261.63, 329.63].iter().map(|f| (2.0 * std::f64::consts::PI * f * t).sin()).sum::<f64>() / 3.0;
        let l = (0.4 * env * x * 32767.0) as i16;
        let r = (0.3 * env * x * 32767.0) as i16;
        w.write_sample(l).unwrap();
        w.write_sample(r).unwrap();
    }
    w.finalize().unwrap();
}

fn analyze(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_moodtap")).arg("analyze").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn core_estimates(path: &Path) -> Vec<Estimate> {
    let audio = decode_file(path).unwrap();
    let mut a = Analyzer::new(default_model().unwrap(), audio.sample_rate_hz).unwrap();
    let mut out = Vec::new();
    a.push(&audio.samples, |e| out.push(*e));
    a.finish(|e| out.push(*e));
    out
}

/// Events of a format-0 SMF: (delta, status, data) after checking the chunks.
fn parse_midi(bytes: &[u8]) -> (u16, Vec<(u32, u8, Vec<u8>)>) {
    assert_eq!(&bytes[0..4], b"MThd");
    assert_eq!(u32::from_be_bytes(bytes[4..8].try_into().unwrap()), 6);
    assert_eq!(u16::from_be_bytes(bytes[8..10].try_into().unwrap()), 0, "format 0");
    assert_eq!(u16::from_be_bytes(bytes[10..12].try_into().unwrap()), 1, "one track");
    let division = u16::from_be_bytes(bytes[12..14].try_into().unwrap());
    assert_eq!(&bytes[14..18], b"MTrk");
    let len = u32::from_be_bytes(bytes[18..22].try_into().unwrap()) as usize;
    assert_eq!(bytes.len(), 22 + len, "track length matches the file");
    let track = &bytes[22..];
    let mut pos = 0;
    let vlq = |pos: &mut usize| {
        let mut v = 0u32;
        loop {
            let b = track[*pos];
            *pos += 1;
            v = (v << 7) | u32::from(b & 0x7F);
            if b & 0x80 == 0 {
                return v;
            }
        }
    };
    let mut events = Vec::new();
    while pos < track.len() {
        let delta = vlq(&mut pos);
        let status = track[pos];
        pos += 1;
        let data = if status == 0xFF {
            let kind = track[pos];
            pos += 1;
            let n = vlq(&mut pos) as usize;
            let mut d = vec![kind];
            d.extend_from_slice(&track[pos..pos + n]);
            pos += n;
            d
        } else {
            assert_eq!(status & 0xF0, 0xB0, "only control changes expected, got {status:#x}");
            let d = track[pos..pos + 2].to_vec();
            pos += 2;
            d
        };
        events.push((delta, status, data));
    }
    assert_eq!(events.last().map(|e| (e.1, e.2.clone())), Some((0xFF, vec![0x2F])), "end of track last");
    (division, events)
}

#[test]
fn csv_png_and_midi_of_one_file_match_the_core_analyzer() {
    let wav = tmp("chord.wav");
    write_music(&wav, 44_100, 12.0);
    let (csv, png, mid) = (tmp("one.csv"), tmp("one.png"), tmp("one.mid"));
    let (ok, _, err) = analyze(&[
        wav.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
        "--midi",
        mid.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("model: cbsa ") && err.contains("T = 299"), "the model is described: {err}");

    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time_s,valence,arousal,coverage,valence_now,arousal_now"));
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    let core = core_estimates(&wav);
    // 12 s at hop 45/99 s: about 26 steps (the last flushed by finish).
    assert!(rows.len() >= 20, "{} rows", rows.len());
    assert_eq!(rows.len(), core.len());
    let mut last_t = 0.0;
    for (row, e) in rows.iter().zip(&core) {
        assert_eq!(row.len(), 6);
        assert!(row[0] > last_t, "time must increase: {row:?} after {last_t}");
        last_t = row[0];
        for v in &row[1..] {
            assert!((0.0..=1.0).contains(v), "{row:?}");
        }
        // Written with shortest round-trip formatting: exactly the analyzer's values,
        // whatever block sizes the decoder delivered (steps do not depend on them).
        assert_eq!(row[0], e.time_s);
        assert_eq!((row[1] as f32, row[2] as f32, row[3] as f32), (e.valence, e.arousal, e.coverage));
        assert_eq!((row[4] as f32, row[5] as f32), (e.now_valence, e.now_arousal));
    }
    assert!(rows[0][3] < 1.0, "12 s cannot fill a 45 s context");

    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png_bytes[12..16], b"IHDR");
    let (w, h) = (
        u32::from_be_bytes(png_bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(png_bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1400, 620));
    assert!(png_bytes.len() > 10_000, "a drawn plot, not an empty image: {} bytes", png_bytes.len());

    let (division, events) = parse_midi(&std::fs::read(&mid).unwrap());
    assert_eq!(division, 480);
    let tempo = events.iter().find(|e| e.1 == 0xFF && e.2[0] == 0x51).expect("tempo event");
    assert_eq!(&tempo.2[1..], &[0x07, 0xA1, 0x20], "500 000 µs per quarter = 120 BPM");
    let ccs: Vec<(u64, u8, u8)> = events
        .iter()
        .scan(0u64, |tick, e| {
            *tick += u64::from(e.0);
            Some((*tick, e.1, e.2.clone()))
        })
        .filter(|e| e.1 == 0xB0)
        .map(|e| (e.0, e.2[0], e.2[1]))
        .collect();
    assert_eq!(ccs.len(), 4 * core.len(), "four CC events per estimate on channel 1");
    for (lanes, e) in ccs.chunks(4).zip(&core) {
        // 960 ticks per second at 120 BPM and 480 PPQ, all four on one tick.
        assert!(lanes.iter().all(|l| l.0 == (e.time_s * 960.0).round() as u64), "{lanes:?}");
        assert_eq!(lanes.iter().map(|l| l.1).collect::<Vec<_>>(), [20, 21, 22, 23]);
        let want = [e.valence, e.arousal, e.now_valence, e.now_arousal].map(|v| (v * 127.0).round() as u8);
        assert_eq!(lanes.iter().map(|l| l.2).collect::<Vec<_>>(), want);
    }
}

#[test]
fn several_files_share_one_table_with_a_file_column() {
    let (a, b) = (tmp("first.wav"), tmp("second.wav"));
    write_music(&a, 48_000, 4.0);
    write_music(&b, 22_050, 3.0);
    let mid = tmp("many.mid");
    let (ok, out, err) = analyze(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--midi",
        mid.to_str().unwrap(),
        "--cc-valence",
        "1",
        "--quiet",
    ]);
    assert!(ok, "{err}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("file,time_s,valence,arousal,coverage,valence_now,arousal_now"));
    let files: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    let n_a = files.iter().filter(|f| **f == a.to_str().unwrap()).count();
    let n_b = files.iter().filter(|f| **f == b.to_str().unwrap()).count();
    assert_eq!((n_a, n_b), (core_estimates(&a).len(), core_estimates(&b).len()));
    assert!(n_a > 0 && n_b > 0 && n_a + n_b == files.len());
    for stem in ["first", "second"] {
        let (_, events) = parse_midi(&std::fs::read(tmp(&format!("many-{stem}.mid"))).unwrap());
        assert!(events.iter().any(|e| e.1 == 0xB0 && e.2[0] == 1), "CC 1 used for valence");
    }
}

#[test]
fn bad_model_paths_give_clear_errors() {
    let wav = tmp("short.wav");
    write_music(&wav, 44_100, 2.0);
    let missing = tmp("no-such-model.moodtap");
    let (ok, _, err) = analyze(&[wav.to_str().unwrap(), "--model", missing.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("no-such-model.moodtap") && err.contains("cannot read model file"), "{err}");

    let garbage = tmp("garbage.moodtap");
    std::fs::write(&garbage, b"this is not a model").unwrap();
    let (ok, _, err) = analyze(&[wav.to_str().unwrap(), "--model", garbage.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("garbage.moodtap") && err.contains("not a moodtap model file"), "{err}");

    // A byte flipped in a valid file: the checksum names it.
    let mut bytes = moodtap_core::model::DEFAULT_MODEL_BYTES.to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    let flipped = tmp("flipped.moodtap");
    std::fs::write(&flipped, bytes).unwrap();
    let (ok, _, err) = analyze(&[wav.to_str().unwrap(), "--model", flipped.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("checksum mismatch"), "{err}");

    // A copy of the embedded model is accepted as a user file.
    let copy = tmp("copy.moodtap");
    std::fs::write(&copy, moodtap_core::model::DEFAULT_MODEL_BYTES).unwrap();
    let (ok, out, err) = analyze(&[wav.to_str().unwrap(), "--model", copy.to_str().unwrap(), "--quiet"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("time_s,valence,arousal,coverage,valence_now,arousal_now\n"));
}

#[test]
fn corrupt_audio_and_bad_options_give_clear_errors() {
    let bad = tmp("noise.wav");
    std::fs::write(&bad, (0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>())
        .unwrap();
    let good = tmp("fine.wav");
    write_music(&good, 44_100, 3.0);
    let (ok, out, err) = analyze(&[bad.to_str().unwrap(), good.to_str().unwrap(), "--quiet"]);
    assert!(!ok, "a failed file fails the command");
    assert!(err.contains("noise.wav") && err.contains("not a supported audio file"), "{err}");
    assert!(err.contains("1 of 2 files could not be analysed"), "{err}");
    assert!(
        out.lines().skip(1).all(|l| l.starts_with(good.to_str().unwrap())),
        "the good file is still analysed: {out}"
    );
    assert!(out.lines().count() > 1);

    let missing = tmp("missing.wav");
    let (ok, _, err) = analyze(&[missing.to_str().unwrap()]);
    assert!(!ok && err.contains("missing.wav") && err.contains("cannot read"), "{err}");

    let (ok, _, err) = analyze(&[good.to_str().unwrap(), "--cc-valence", "123"]);
    assert!(!ok && err.contains("CC number 123"), "{err}");
    // Moving a long lane onto a now lane's default is refused with the lanes named.
    let (ok, _, err) = analyze(&[good.to_str().unwrap(), "--midi", "x.mid", "--cc-valence", "22"]);
    assert!(!ok && err.contains("22 is given twice") && err.contains("valence now"), "{err}");
}
