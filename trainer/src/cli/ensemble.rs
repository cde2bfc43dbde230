//! `moodtap ensemble`: several network models as one model file (the work is in
//! [`crate::ensemble`]).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::ensemble::{build, MemberInput};
use crate::output::{check_outputs, write_atomically};

/// Arguments of `moodtap ensemble`.
///
/// The first model given, in the order `--member`, `--arousal`, `--valence`, z-scores the
/// input with its statistics; each other model gets that input re-standardised to its own,
/// which is its own reading up to f32 rounding except for values beyond 100 standard
/// deviations of the first model's statistics (clamped there). List the model whose reading
/// must stay exactly its own first.
#[derive(Debug, Args)]
pub struct EnsembleArgs {
    /// A model that counts in both valence and arousal (repeat; e.g. the same recipe
    /// trained with several `--seed`s).
    #[arg(long = "member", value_name = "MODEL")]
    pub members: Vec<PathBuf>,
    /// A model that counts in valence only (repeat).
    #[arg(long = "valence", value_name = "MODEL")]
    pub valence: Vec<PathBuf>,
    /// A model that counts in arousal only (repeat).
    #[arg(long = "arousal", value_name = "MODEL")]
    pub arousal: Vec<PathBuf>,
    /// A model for the now reading alone, both dimensions (repeat). With any --now-* option
    /// the now reading uses only the models given with those (e.g. networks trained on short
    /// windows of changing music, docs/training.md); without, it uses the same as the long one.
    #[arg(long = "now-member", value_name = "MODEL")]
    pub now_members: Vec<PathBuf>,
    /// A model for the now reading's valence alone (repeat).
    #[arg(long = "now-valence", value_name = "MODEL")]
    pub now_valence: Vec<PathBuf>,
    /// A model for the now reading's arousal alone (repeat).
    #[arg(long = "now-arousal", value_name = "MODEL")]
    pub now_arousal: Vec<PathBuf>,
    /// Names the ensemble in its provenance (shown by `analyze` and the plugin).
    #[arg(long, default_value = "")]
    pub description: String,
    /// The ensemble model file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// `moodtap ensemble`.
pub fn run(args: &EnsembleArgs) -> anyhow::Result<()> {
    // (path, [valence, arousal, now valence, now arousal]); without --now-* options the long
    // reading's members serve the now reading too.
    let own_now = !(args.now_members.is_empty() && args.now_valence.is_empty() && args.now_arousal.is_empty());
    let long = |v: bool, a: bool| [v, a, v && !own_now, a && !own_now];
    let given: Vec<(&PathBuf, [bool; 4])> = args
        .members
        .iter()
        .map(|p| (p, long(true, true)))
        .chain(args.arousal.iter().map(|p| (p, long(false, true))))
        .chain(args.valence.iter().map(|p| (p, long(true, false))))
        .chain(args.now_members.iter().map(|p| (p, [false, false, true, true])))
        .chain(args.now_arousal.iter().map(|p| (p, [false, false, false, true])))
        .chain(args.now_valence.iter().map(|p| (p, [false, false, true, false])))
        .collect();
    if given.is_empty() {
        anyhow::bail!("give the models to combine: --member M (both dimensions), --valence M, --arousal M");
    }
    let inputs: Vec<&std::path::Path> = given.iter().map(|(p, _)| p.as_path()).collect();
    check_outputs(&[args.out.as_path()], &inputs)?;
    let members = given
        .iter()
        .map(|(path, [valence, arousal, now_valence, now_arousal])| {
            let bytes = read_model(path)?;
            Ok(MemberInput {
                name: path.display().to_string(),
                bytes,
                valence: *valence,
                arousal: *arousal,
                now_valence: *now_valence,
                now_arousal: *now_arousal,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bytes = build(&members, &args.description).context("building the ensemble")?;
    write_atomically(&args.out, |w| w.write_all(&bytes)).with_context(|| format!("writing {}", args.out.display()))?;
    let file = moodtap_core::model::ModelFile::from_bytes(&bytes).context("reading back the ensemble")?;
    eprintln!("moodtap ensemble: {} networks; wrote {}", file.members().len(), args.out.display());
    // Deduplicated members are in first-given order; name each by its first mention.
    let mut names: Vec<&str> = Vec::new();
    for m in &members {
        if !members.iter().take_while(|o| !std::ptr::eq(*o, m)).any(|o| o.bytes == m.bytes) {
            names.push(&m.name);
        }
    }
    for (member, name) in file.members().iter().zip(names) {
        let (w, n) = (member.weights, member.now_weights);
        if own_now {
            eprintln!(
                "  valence weight {:.3}, arousal weight {:.3}; now reading {:.3}, {:.3}: {name}",
                w.valence, w.arousal, n.valence, n.arousal
            );
        } else {
            eprintln!("  valence weight {:.3}, arousal weight {:.3}: {name}", w.valence, w.arousal);
        }
    }
    Ok(())
}

/// The bytes of model file `path`, size-checked before reading.
fn read_model(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let max = moodtap_core::model::file::MAX_FILE_LEN as u64;
    let len = std::fs::metadata(path).with_context(|| format!("reading model {}", path.display()))?.len();
    if len > max {
        anyhow::bail!("{}: {len} bytes is more than a model file may have ({max})", path.display());
    }
    std::fs::read(path).with_context(|| format!("reading model {}", path.display()))
}
