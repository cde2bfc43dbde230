//! Worker-thread counts for the parallel commands (`extract --jobs`,
//! `analyze --jobs`): 0 means one per core, and a request is capped at what
//! can help — the number of items to process and the number of cores (the
//! work is CPU-bound, so more threads only add memory and switching) — and
//! the caller says so.

/// A thread count after capping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jobs {
    /// Threads to use (≥ 1).
    pub threads: usize,
    /// Why fewer than requested, for the message ("4 files", "2 cores").
    pub capped_by: &'static str,
}

/// Cores this process may use (1 if unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The threads to use for `requested` (0 = one per core) over `items` items.
pub fn effective(requested: usize, items: usize) -> Jobs {
    let cores = cores();
    let wanted = if requested == 0 { cores } else { requested };
    let items = items.max(1);
    if wanted > items && items <= cores {
        Jobs { threads: items, capped_by: "no more threads than items to process" }
    } else if wanted > cores {
        Jobs { threads: cores, capped_by: "no more threads than cores: the work is CPU-bound" }
    } else {
        Jobs { threads: wanted.max(1), capped_by: "" }
    }
}

/// clap value parser for `--jobs`: 0 or a positive count, with a message
/// that says so for negative or non-numeric input.
pub fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 0 => usize::try_from(n).map_err(|_| format!("{s} threads is more than this machine can address")),
        Ok(_) => Err(String::from("must be 0 (one thread per core) or a positive number of threads")),
        Err(_) => Err(format!("'{s}' is not a number: give 0 (one thread per core) or a positive number of threads")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_capped_at_items_and_cores() {
        let c = cores();
        assert_eq!(effective(100_000, 3).threads, 3.min(c));
        assert_eq!(effective(100_000, 1_000_000).threads, c);
        assert_eq!(effective(0, 1_000).threads, c);
        assert_eq!(effective(1, 0).threads, 1);
        assert!(parse_jobs("-1").unwrap_err().contains("positive"));
        assert!(parse_jobs("x").unwrap_err().contains("not a number"));
        assert_eq!(parse_jobs("4"), Ok(4));
    }
}
