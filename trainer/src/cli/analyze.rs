//! `moodtap analyze`: arguments, progress, reporting (the work is in
//! [`crate::file_analysis`]).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use crate::file_analysis::midi::CcLanes;
use crate::file_analysis::{analyze_file, describe_model, write_csv, FileAnalysis, Model};
use crate::output::{check_outputs, write_atomically, OutputFile};

/// Arguments of `moodtap analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Audio files (WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus, AIFF; any rate 8-192 kHz; channels are averaged).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Model file (default: the model built into moodtap).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output CSV `time_s,valence,arousal,coverage,valence_now,arousal_now` (default: standard output).
    /// With several files one table is written with a leading `file` column.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// PNG plot: both curves over time and the valence-arousal trajectory.
    /// With several files, one PNG per file named `<stem>-<file stem>.png`.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Standard MIDI file with valence and arousal (long and now) as four CC lanes at 120 BPM
    /// (drop at bar 1). With several files, one per file like --plot.
    #[arg(long)]
    pub midi: Option<PathBuf>,
    /// Controller number of the valence lane (0-119).
    #[arg(long, default_value_t = 20)]
    pub cc_valence: u8,
    /// Controller number of the arousal lane (0-119).
    #[arg(long, default_value_t = 21)]
    pub cc_arousal: u8,
    /// Controller number of the "now" valence lane (0-119).
    #[arg(long, default_value_t = 22)]
    pub cc_valence_now: u8,
    /// Controller number of the "now" arousal lane (0-119).
    #[arg(long, default_value_t = 23)]
    pub cc_arousal_now: u8,
    /// MIDI channel of both lanes (1-16).
    #[arg(long, default_value_t = 1)]
    pub midi_channel: u8,
    /// One-pole smoothing time constant in seconds applied to the estimates,
    /// the same smoothing the plugin applies (its default: 2 s). 0 = none.
    #[arg(long, default_value_t = 0.0, value_parser = parse_smoothing_s, allow_hyphen_values = true)]
    pub smoothing_s: f32,
    /// Per-file summary CSV for catalogs: one row per file with duration,
    /// steps, and mean and quartiles of valence and arousal over the steps
    /// with the model's context full (all steps if the file is shorter).
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// Files analysed in parallel (0 = one per core; capped at the number of
    /// files and cores). Output order is the input order either way.
    #[arg(long, default_value_t = 1, value_parser = crate::jobs::parse_jobs, allow_hyphen_values = true)]
    pub jobs: usize,
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

/// The files `run` writes, derived from the arguments.
fn planned_outputs(args: &AnalyzeArgs) -> Vec<PathBuf> {
    let several = args.files.len() > 1;
    let mut outputs: Vec<PathBuf> = args.out.iter().chain(&args.summary).cloned().collect();
    for file in &args.files {
        for base in args.plot.iter().chain(&args.midi) {
            outputs.push(per_file_path(base, file, several));
        }
    }
    outputs
}

/// Runs `moodtap analyze`. Every output location is checked before the
/// first file is decoded; outputs are written atomically
/// ([`crate::output`]). Files that cannot be analysed, and per-file
/// plot/MIDI outputs that cannot be written, are reported and skipped: the
/// CSV still holds every file that was analysed, and the command fails at the
/// end if anything was skipped.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let lanes = CcLanes {
        valence_cc: args.cc_valence,
        arousal_cc: args.cc_arousal,
        valence_now_cc: args.cc_valence_now,
        arousal_now_cc: args.cc_arousal_now,
        channel: args.midi_channel,
    };
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
    let outputs = planned_outputs(args);
    let inputs: Vec<&Path> = args.files.iter().map(PathBuf::as_path).chain(args.model.as_deref()).collect();
    check_outputs(&outputs.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &inputs)?;
    let model = Model::load(args.model.as_deref())?;
    eprintln!("model: {}", describe_model(&model));

    let jobs = crate::jobs::effective(args.jobs, args.files.len());
    if args.jobs > jobs.threads {
        eprintln!("--jobs {}: using {} ({})", args.jobs, jobs.threads, jobs.capped_by);
    }
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(args.files.len() as u64)
    };
    bar.set_style(super::progress::bar_style("{msg} [{bar:30}] {pos}/{len} files, {elapsed_precise} elapsed"));
    let analyse_one = |file: &PathBuf| -> Result<FileAnalysis, String> {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut last_shown = -10.0;
        let result = analyze_file(&model, file, args.smoothing_s, |s| {
            if jobs.threads == 1 && s - last_shown >= 5.0 {
                last_shown = s;
                bar.set_message(format!("{name}: {s:.0} s"));
            }
        });
        bar.inc(1);
        let a = result.map_err(|e| format!("{}: {e}", file.display()))?;
        report(&bar, &a);
        Ok(a)
    };
    // Files in parallel, results in input order.
    let results: Vec<Result<FileAnalysis, String>> = if jobs.threads > 1 {
        use rayon::prelude::*;
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(jobs.threads).build().context("starting worker threads")?;
        pool.install(|| args.files.par_iter().map(analyse_one).collect())
    } else {
        args.files.iter().map(analyse_one).collect()
    };
    bar.finish_and_clear();

    let mut errors: Vec<String> = Vec::new();
    let mut done: Vec<FileAnalysis> = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(a) => done.push(a),
            Err(e) => errors.push(e),
        }
    }
    let failed_files = errors.len();
    for a in &done {
        let name = a.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(plot) = &args.plot {
            let path = per_file_path(plot, &a.path, several);
            if let Err(e) = write_plot_atomically(&path, &name, &a.estimates) {
                errors.push(format!("{}: {e:#}", path.display()));
            }
        }
        if let Some(midi) = &args.midi {
            let path = per_file_path(midi, &a.path, several);
            let written =
                write_atomically(&path, |w| crate::file_analysis::midi::write_midi(w, &a.estimates, lanes, &name));
            if let Err(e) = written {
                errors.push(format!("{}: {e:#}", path.display()));
            }
        }
    }
    for e in &errors {
        eprintln!("error: {e}");
    }

    // Nothing analysed: a previous output stays as it was.
    match &args.out {
        Some(path) if !done.is_empty() => write_atomically(path, |w| write_csv(w, &done, several))
            .with_context(|| format!("writing {}", path.display()))?,
        Some(_) => {}
        None => write_csv(std::io::stdout().lock(), &done, several).context("writing the CSV to standard output")?,
    }
    if let Some(path) = args.summary.as_ref().filter(|_| !done.is_empty()) {
        write_atomically(path, |w| crate::file_analysis::summary::write_summary(w, &done))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !errors.is_empty() {
        anyhow::bail!(
            "{failed_files} of {} files could not be analysed and {} outputs could not be written (see above); the CSV holds the {} files that were",
            args.files.len(),
            errors.len() - failed_files,
            done.len()
        );
    }
    Ok(())
}

/// Draws the PNG into a temporary file beside `path`, then renames it.
fn write_plot_atomically(
    path: &Path,
    title: &str,
    estimates: &[moodtap_core::analyzer::Estimate],
) -> anyhow::Result<()> {
    let out = OutputFile::create(path)?;
    crate::plot::estimates::write_plot(out.temp_path(), title, estimates)?;
    out.commit()?;
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
        if s.clipped_samples > 0 {
            notes.push_str(&format!(
                ", {} samples beyond ±{} (+30 dBFS) clipped there",
                s.clipped_samples,
                moodtap_core::audio::MAX_ABS_SAMPLE
            ));
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
