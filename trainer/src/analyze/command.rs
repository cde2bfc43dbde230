//! The `moodtap analyze` command line: arguments, progress, reporting.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::midi::CcLanes;
use super::{analyze_file, describe_model, write_csv, FileAnalysis, Model};

/// Arguments of `moodtap analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Audio files (WAV, FLAC, MP3, Ogg Vorbis, AIFF; any rate 8-192 kHz; channels are averaged).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Model file (default: the model built into moodtap).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output CSV `time_s,valence,arousal,coverage` (default: standard output).
    /// With several files one table is written with a leading `file` column.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// PNG plot: both curves over time and the valence-arousal trajectory.
    /// With several files, one PNG per file named `<stem>-<file stem>.png`.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Standard MIDI file with valence and arousal as CC lanes at 120 BPM
    /// (drop at bar 1). With several files, one per file like --plot.
    #[arg(long)]
    pub midi: Option<PathBuf>,
    /// Controller number of the valence lane (0-119).
    #[arg(long, default_value_t = 20)]
    pub cc_valence: u8,
    /// Controller number of the arousal lane (0-119).
    #[arg(long, default_value_t = 21)]
    pub cc_arousal: u8,
    /// MIDI channel of both lanes (1-16).
    #[arg(long, default_value_t = 1)]
    pub midi_channel: u8,
    /// One-pole smoothing time constant in seconds applied to the estimates,
    /// the same smoothing the plugin applies (its default: 2 s). 0 = none.
    #[arg(long, default_value_t = 0.0, value_parser = parse_smoothing_s)]
    pub smoothing_s: f32,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_smoothing_s(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && (0.0..=3600.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{s} is not a time constant in seconds between 0 and 3600"))
    }
}

/// `out` itself for one input file, else `<out stem>-<file stem>.<out ext>`.
pub fn per_file_path(out: &Path, file: &Path, several: bool) -> PathBuf {
    if !several {
        return out.to_path_buf();
    }
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let file_stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut name = format!("{stem}-{file_stem}");
    if let Some(ext) = out.extension() {
        name.push('.');
        name.push_str(&ext.to_string_lossy());
    }
    out.with_file_name(name)
}

/// Runs `moodtap analyze`. Files that cannot be analysed are reported and
/// skipped; the command fails at the end if any were.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let lanes = CcLanes { valence_cc: args.cc_valence, arousal_cc: args.cc_arousal, channel: args.midi_channel };
    lanes.validate()?;
    let several = args.files.len() > 1;
    if several && (args.plot.is_some() || args.midi.is_some()) {
        let mut stems = std::collections::HashSet::new();
        for f in &args.files {
            if !stems.insert(f.file_stem().map(|s| s.to_os_string())) {
                anyhow::bail!(
                    "two input files are named {:?}: --plot/--midi name their outputs after the file stem; analyse them separately",
                    f.file_stem().unwrap_or_default()
                );
            }
        }
    }
    let model = Model::load(args.model.as_deref())?;
    eprintln!("model: {}", describe_model(&model));

    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(args.files.len() as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files, {elapsed_precise} elapsed")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut done: Vec<FileAnalysis> = Vec::with_capacity(args.files.len());
    let mut failed = 0usize;
    for file in &args.files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut last_shown = -10.0;
        let result = analyze_file(&model, file, args.smoothing_s, |s| {
            if s - last_shown >= 5.0 {
                last_shown = s;
                bar.set_message(format!("{name}: {s:.0} s"));
            }
        });
        bar.inc(1);
        match result {
            Ok(a) => {
                report(&bar, &a);
                if let Some(plot) = &args.plot {
                    let path = per_file_path(plot, file, several);
                    super::plot::write_plot(&path, &name, &a.estimates)?;
                }
                if let Some(midi) = &args.midi {
                    let path = per_file_path(midi, file, several);
                    let f =
                        std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
                    super::midi::write_midi(std::io::BufWriter::new(f), &a.estimates, lanes, &name)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                done.push(a);
            }
            Err(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("error: {}: {e}", file.display()));
            }
        }
    }
    bar.finish_and_clear();

    match &args.out {
        Some(path) => {
            let f = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            write_csv(std::io::BufWriter::new(f), &done, several)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => write_csv(std::io::stdout().lock(), &done, several).context("writing the CSV to standard output")?,
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} files could not be analysed (see above)", args.files.len());
    }
    Ok(())
}

fn report(bar: &indicatif::ProgressBar, a: &FileAnalysis) {
    bar.suspend(|| {
        let s = a.stats;
        let mut notes = String::new();
        if s.skipped_packets > 0 {
            notes.push_str(&format!(", {} damaged packets skipped", s.skipped_packets));
        }
        if s.truncated {
            notes.push_str(", file truncated");
        }
        if s.nonfinite_samples > 0 {
            notes.push_str(&format!(", {} non-finite samples zeroed", s.nonfinite_samples));
        }
        if a.estimates.is_empty() {
            notes.push_str(", too short for one step");
        }
        eprintln!(
            "{}: {:.1} s, {} Hz, {} ch, {} estimates{notes}",
            a.path.display(),
            a.duration_s,
            a.sample_rate_hz,
            a.channels,
            a.estimates.len()
        );
    });
}
