//! Lenient CSV reading for annotation files: header names and fields are
//! trimmed of spaces, tabs and quotes (DEAM headers carry leading spaces;
//! EmoMusic's songs_info pads fields with tabs).

use std::collections::HashMap;
use std::path::Path;

use super::DatasetError;

/// A CSV table with trimmed header names.
#[derive(Debug)]
pub struct Table {
    /// Column name → index.
    pub columns: HashMap<String, usize>,
    /// Data rows as (1-based line number, trimmed fields).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Index of the first column whose trimmed, lower-cased name is one of `names`.
    pub fn col(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.columns.get(&n.to_ascii_lowercase()).copied())
    }
}

fn clean(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\u{feff}').to_string()
}

/// Reads `path` as CSV (comma-separated, optional quotes, any line ending).
pub fn read_table(path: &Path) -> Result<Table, DatasetError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| DatasetError::BadLabels { path: path.to_path_buf(), reason: e.to_string() })?;
    let headers =
        rdr.headers().map_err(|e| DatasetError::BadLabels { path: path.to_path_buf(), reason: e.to_string() })?.clone();
    let columns = headers.iter().enumerate().map(|(i, h)| (clean(h).to_ascii_lowercase(), i)).collect();
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        match rec {
            Ok(r) => rows.push((i + 2, r.iter().map(clean).collect())),
            Err(e) => rows.push((i + 2, vec![format!("\u{0}unreadable row: {e}")])),
        }
    }
    Ok(Table { columns, rows })
}

/// Parses a float field; `None` if missing or unparsable.
pub fn field_f32(row: &[String], idx: usize) -> Option<f32> {
    row.get(idx).and_then(|s| s.parse::<f32>().ok())
}
