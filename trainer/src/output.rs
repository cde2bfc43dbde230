//! Output files that never lose what was there: every file a command writes
//! goes to a temporary file beside its destination (same directory, so the
//! final rename is atomic on one file system) and replaces the destination
//! only once complete. A failure — bad input, a full disk, Ctrl-C — leaves
//! the previous file as it was and no half-written one.
//!
//! [`check_outputs`] runs before any work: it refuses an output that is one
//! of the inputs (an audio file overwritten by a CSV), two outputs that are
//! the same file, and destinations whose directory is missing or not
//! writable, so a long batch cannot fail at its last step.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output would overwrite an input.
    #[error("output {output} is also an input; choose another output path")]
    IsInput {
        /// The output path given.
        output: PathBuf,
    },
    /// Two outputs name the same file.
    #[error("two outputs name the same file {0}; give them different paths")]
    Twice(PathBuf),
    /// The destination is a directory.
    #[error("output {0} is a directory; give a file path")]
    IsDirectory(PathBuf),
    /// The directory to write into is missing or not writable.
    #[error("cannot write into {dir} (for {output}): {reason}; create the directory or choose another output path")]
    Directory {
        /// The directory.
        dir: PathBuf,
        /// The output path given.
        output: PathBuf,
        /// What the file system said (its kind: the probe's own name is no help).
        reason: String,
    },
    /// Writing or renaming failed.
    #[error("cannot write {path}")]
    Io {
        /// The destination.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
}

/// The directory a destination is written into (`.` for a bare file name).
fn parent_dir(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The same file on disk, whether or not both exist yet: canonical parent
/// directory plus file name.
fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = parent_dir(path).canonicalize().unwrap_or_else(|_| parent_dir(path).to_path_buf());
    match path.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

/// Checks, before any work, that every output can be written and none is an
/// input or another output.
pub fn check_outputs(outputs: &[&Path], inputs: &[&Path]) -> Result<(), OutputError> {
    let input_ids: Vec<PathBuf> = inputs.iter().map(|p| identity(p)).collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    for out in outputs {
        let id = identity(out);
        if input_ids.contains(&id) {
            return Err(OutputError::IsInput { output: out.to_path_buf() });
        }
        if seen.contains(&id) {
            return Err(OutputError::Twice(out.to_path_buf()));
        }
        seen.push(id);
        if out.is_dir() {
            return Err(OutputError::IsDirectory(out.to_path_buf()));
        }
        let dir = parent_dir(out);
        // A probe file proves the directory exists and takes new files.
        tempfile::Builder::new().prefix(".moodtap-probe-").tempfile_in(dir).map_err(|e| OutputError::Directory {
            dir: dir.to_path_buf(),
            output: out.to_path_buf(),
            reason: std::io::Error::from(e.kind()).to_string(),
        })?;
    }
    Ok(())
}

/// A file being written: a temporary file beside `dest` until [`commit`](Self::commit).
/// Dropped without `commit`, the temporary file is removed and `dest` is untouched.
#[derive(Debug)]
pub struct OutputFile {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl OutputFile {
    /// Starts writing `dest`. The temporary file keeps `dest`'s extension
    /// (encoders that pick the format by extension see the right one).
    pub fn create(dest: &Path) -> Result<Self, OutputError> {
        if dest.is_dir() {
            return Err(OutputError::IsDirectory(dest.to_path_buf()));
        }
        let dir = parent_dir(dest);
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let suffix = dest.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
        let tmp =
            tempfile::Builder::new().prefix(&format!(".{name}.partial-")).suffix(&suffix).tempfile_in(dir).map_err(
                |e| OutputError::Directory {
                    dir: dir.to_path_buf(),
                    output: dest.to_path_buf(),
                    reason: std::io::Error::from(e.kind()).to_string(),
                },
            )?;
        Ok(Self { tmp, dest: dest.to_path_buf() })
    }

    /// The temporary file's path (for writers that want a path).
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes to disk and renames over the destination.
    pub fn commit(self) -> Result<(), OutputError> {
        let Self { tmp, dest } = self;
        let io = |source| OutputError::Io { path: dest.clone(), source };
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&dest).map_err(|e| io(e.error))?;
        Ok(())
    }
}

/// Writes `dest` through `write` (buffered), atomically: on any error the
/// destination is untouched.
pub fn write_atomically<E>(
    dest: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), anyhow::Error>
where
    E: Into<anyhow::Error>,
{
    let mut out = OutputFile::create(dest)?;
    {
        let mut w = std::io::BufWriter::new(out.file());
        write(&mut w).map_err(Into::into)?;
        w.flush().map_err(|source| OutputError::Io { path: dest.to_path_buf(), source })?;
    }
    out.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_partial_file() {
        let d = dir();
        let dest = d.path().join("r.csv");
        std::fs::write(&dest, "old\n").unwrap();
        let r = write_atomically(&dest, |w| -> anyhow::Result<()> {
            w.write_all(b"half")?;
            anyhow::bail!("decoding failed")
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "no temporary file left");
        write_atomically(&dest, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn outputs_that_are_inputs_or_unwritable_are_refused_before_work() {
        let d = dir();
        let input = d.path().join("v.wav");
        std::fs::write(&input, b"RIFF").unwrap();
        // The same file under another spelling.
        let same = d.path().join(".").join("v.wav");
        assert!(matches!(check_outputs(&[&same], &[&input]), Err(OutputError::IsInput { .. })));
        let out = d.path().join("r.csv");
        assert!(check_outputs(&[&out], &[&input]).is_ok());
        assert!(matches!(check_outputs(&[&out, &out], &[&input]), Err(OutputError::Twice(_))));
        let missing = d.path().join("no-such-dir").join("r.csv");
        let e = check_outputs(&[&missing], &[&input]).unwrap_err();
        assert!(matches!(e, OutputError::Directory { .. }), "{e}");
        assert!(e.to_string().contains("create the directory"), "{e}");
        assert!(matches!(check_outputs(&[d.path()], &[&input]), Err(OutputError::IsDirectory(_))));
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "probes are removed");
    }
}
