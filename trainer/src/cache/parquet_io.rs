//! Parquet encoding of cache parts (arrow-rs): the Arrow schema, writing
//! songs' step rows atomically, and reading a part back.
//!
//! Compression is Snappy (pure Rust `snap`; every Parquet reader supports it),
//! one row group per part file (a part holds one song, or all of them after
//! a merge, where row groups of [`MERGED_ROW_GROUP_ROWS`] rows apply).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float32Array, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{fixed_columns, temp_path, CacheError, CacheMeta, SongSteps, N_FEATURES};

/// Row-group size of merged parts (rows): about 1 000 songs at T = 99.
pub const MERGED_ROW_GROUP_ROWS: usize = 100_000;

/// The Arrow schema of every part: the fixed columns, then one f32 column
/// per feature name (all non-nullable).
pub fn schema(feature_names: &[String]) -> SchemaRef {
    let [id, step, time, val, aro] = fixed_columns();
    let mut fields = vec![
        Field::new(id, DataType::Utf8, false),
        Field::new(step, DataType::UInt32, false),
        Field::new(time, DataType::Float64, false),
        Field::new(val, DataType::Float32, false),
        Field::new(aro, DataType::Float32, false),
    ];
    fields.extend(feature_names.iter().map(|n| Field::new(n, DataType::Float32, false)));
    Arc::new(Schema::new(fields))
}

fn pq_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> CacheError + '_ {
    move |e| CacheError::Parquet { path: path.to_path_buf(), message: e.to_string() }
}

fn arrow_err(path: &Path) -> impl Fn(arrow_schema::ArrowError) -> CacheError + '_ {
    move |e| CacheError::Parquet { path: path.to_path_buf(), message: e.to_string() }
}

/// Builds one record batch from songs' rows.
pub fn to_batch(schema: &SchemaRef, songs: &[SongSteps], path: &Path) -> Result<RecordBatch, CacheError> {
    let n: usize = songs.iter().map(|s| s.steps.len()).sum();
    let mut ids = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    let mut val = Vec::with_capacity(n);
    let mut aro = Vec::with_capacity(n);
    let mut cols: Vec<Vec<f32>> = (0..N_FEATURES).map(|_| Vec::with_capacity(n)).collect();
    for s in songs {
        if s.times_s.len() != s.steps.len() || s.features.len() != s.steps.len() * N_FEATURES {
            return Err(CacheError::Invalid {
                path: path.to_path_buf(),
                reason: format!("song {}: ragged step rows", s.id),
            });
        }
        for (k, (&step, &t)) in s.steps.iter().zip(&s.times_s).enumerate() {
            ids.push(s.id.as_str());
            steps.push(step);
            times.push(t);
            val.push(s.valence);
            aro.push(s.arousal);
            for (j, col) in cols.iter_mut().enumerate() {
                col.push(s.features[k * N_FEATURES + j]);
            }
        }
    }
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids)),
        Arc::new(UInt32Array::from(steps)),
        Arc::new(Float64Array::from(times)),
        Arc::new(Float32Array::from(val)),
        Arc::new(Float32Array::from(aro)),
    ];
    arrays.extend(cols.into_iter().map(|c| Arc::new(Float32Array::from(c)) as ArrayRef));
    RecordBatch::try_new(schema.clone(), arrays).map_err(arrow_err(path))
}

/// A part being written: a hidden temp file renamed into place by
/// [`PartWriter::finish`]; dropped unfinished, the temp file is removed.
pub struct PartWriter {
    path: PathBuf,
    tmp: PathBuf,
    schema: SchemaRef,
    writer: Option<ArrowWriter<File>>,
}

impl std::fmt::Debug for PartWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartWriter").field("path", &self.path).finish()
    }
}

impl PartWriter {
    /// Starts a part at `path` with `meta` in its footer.
    pub fn create(path: &Path, meta: &CacheMeta, row_group_rows: usize) -> Result<Self, CacheError> {
        let schema = schema(&meta.feature_names);
        let tmp = temp_path(path);
        let file = File::create(&tmp).map_err(CacheError::io("cannot create", &tmp))?;
        let kv = meta.to_key_values().into_iter().map(|(k, v)| KeyValue::new(k, v)).collect();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group_rows.max(1)))
            .set_created_by(format!("moodtap {}", super::MOODTAP_VERSION))
            .set_key_value_metadata(Some(kv))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(pq_err(&tmp))?;
        Ok(Self { path: path.to_path_buf(), tmp, schema, writer: Some(writer) })
    }

    /// The part's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Appends a batch (its schema must equal [`Self::schema`]).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), CacheError> {
        if batch.schema().fields() != self.schema.fields() {
            return Err(CacheError::Invalid {
                path: self.path.clone(),
                reason: "batch schema differs from the cache schema".into(),
            });
        }
        match self.writer.as_mut() {
            Some(w) => w.write(batch).map_err(pq_err(&self.tmp)),
            None => Ok(()),
        }
    }

    /// Closes the file, syncs it and renames it into place.
    pub fn finish(mut self) -> Result<PathBuf, CacheError> {
        if let Some(w) = self.writer.take() {
            let file = w.into_inner().map_err(pq_err(&self.tmp))?;
            file.sync_all().map_err(CacheError::io("cannot sync", &self.tmp))?;
        }
        std::fs::rename(&self.tmp, &self.path).map_err(CacheError::io("cannot rename into place", &self.path))?;
        Ok(self.path.clone())
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes songs as one part at `path` (atomically).
pub fn write_part(path: &Path, meta: &CacheMeta, songs: &[SongSteps]) -> Result<(), CacheError> {
    let mut w = PartWriter::create(path, meta, usize::MAX)?;
    let batch = to_batch(w.schema(), songs, path)?;
    w.write(&batch)?;
    w.finish().map(|_| ())
}

/// Opens a part: its footer key-value metadata (`moodtap.*` keys) and a
/// reader builder. Checks the schema against `expected`.
fn open(
    path: &Path,
    expected: Option<&SchemaRef>,
) -> Result<(BTreeMap<String, String>, ParquetRecordBatchReaderBuilder<File>), CacheError> {
    let file = File::open(path).map_err(CacheError::io("cannot open", path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq_err(path))?;
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|v| v.iter().filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?))).collect())
        .unwrap_or_default();
    if let Some(expected) = expected {
        let got = builder.schema();
        let same = got.fields().len() == expected.fields().len()
            && got
                .fields()
                .iter()
                .zip(expected.fields())
                .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
        if !same {
            let first_diff = got
                .fields()
                .iter()
                .zip(expected.fields())
                .position(|(a, b)| a.name() != b.name() || a.data_type() != b.data_type())
                .unwrap_or(got.fields().len().min(expected.fields().len()));
            return Err(CacheError::Invalid {
                path: path.to_path_buf(),
                reason: format!(
                    "columns differ from the cache schema ({} columns, expected {}; first difference at column {first_diff})",
                    got.fields().len(),
                    expected.fields().len()
                ),
            });
        }
    }
    Ok((kv, builder))
}

/// Reads a whole part: footer metadata and record batches.
pub fn read_part(
    path: &Path,
    expected: &SchemaRef,
) -> Result<(BTreeMap<String, String>, Vec<RecordBatch>), CacheError> {
    let (kv, builder) = open(path, Some(expected))?;
    let reader = builder.build().map_err(pq_err(path))?;
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(arrow_err(path))?;
    Ok((kv, batches))
}

/// Distinct song ids in a part, in order of appearance (reads only the
/// `song_id` column).
pub fn song_ids(path: &Path) -> Result<Vec<String>, CacheError> {
    let (_, builder) = open(path, None)?;
    let Some(idx) = builder.schema().fields().iter().position(|f| f.name() == "song_id") else {
        return Err(CacheError::Invalid { path: path.to_path_buf(), reason: "no song_id column".into() });
    };
    let mask = ProjectionMask::roots(builder.parquet_schema(), [idx]);
    let reader = builder.with_projection(mask).build().map_err(pq_err(path))?;
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for batch in reader {
        let batch = batch.map_err(arrow_err(path))?;
        let col = string_col(&batch, 0, path)?;
        for i in 0..col.len() {
            let id = col.value(i);
            if out.last().map(String::as_str) != Some(id) && seen.insert(id.to_string()) {
                out.push(id.to_string());
            }
        }
    }
    Ok(out)
}

/// Each song's labels in a part, in order of appearance: `(id, valence,
/// arousal)` from its first row (reads only those three columns).
pub fn song_labels(path: &Path) -> Result<Vec<(String, f32, f32)>, CacheError> {
    let (_, builder) = open(path, None)?;
    let [id, _, _, val, aro] = fixed_columns();
    let fields = builder.schema().fields();
    let find = |name: &str| {
        fields
            .iter()
            .position(|f| f.name() == name)
            .ok_or_else(|| CacheError::Invalid { path: path.to_path_buf(), reason: format!("no {name} column") })
    };
    let (ci, cv, ca) = (find(id)?, find(val)?, find(aro)?);
    let mask = ProjectionMask::roots(builder.parquet_schema(), [ci, cv, ca]);
    let reader = builder.with_projection(mask).build().map_err(pq_err(path))?;
    let mut out: Vec<(String, f32, f32)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for batch in reader {
        let batch = batch.map_err(arrow_err(path))?;
        let ids = string_col(&batch, 0, path)?;
        let f32_col = |i: usize| {
            batch.column(i).as_any().downcast_ref::<Float32Array>().ok_or_else(|| CacheError::Invalid {
                path: path.to_path_buf(),
                reason: "label column is not Float32".into(),
            })
        };
        let (v, a) = (f32_col(1)?, f32_col(2)?);
        for r in 0..batch.num_rows() {
            if seen.insert(ids.value(r).to_string()) {
                out.push((ids.value(r).to_string(), v.value(r), a.value(r)));
            }
        }
    }
    Ok(out)
}

/// Column `i` of `batch` as strings.
pub fn string_col<'a>(batch: &'a RecordBatch, i: usize, path: &Path) -> Result<&'a StringArray, CacheError> {
    batch
        .column(i)
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| CacheError::Invalid { path: path.to_path_buf(), reason: format!("column {i} is not utf8") })
}

/// Column `i` of `batch` as u32.
pub fn u32_col<'a>(batch: &'a RecordBatch, i: usize, path: &Path) -> Result<&'a UInt32Array, CacheError> {
    batch
        .column(i)
        .as_any()
        .downcast_ref::<UInt32Array>()
        .ok_or_else(|| CacheError::Invalid { path: path.to_path_buf(), reason: format!("column {i} is not u32") })
}

/// Column `i` of `batch` as f64.
pub fn f64_col<'a>(batch: &'a RecordBatch, i: usize, path: &Path) -> Result<&'a Float64Array, CacheError> {
    batch
        .column(i)
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| CacheError::Invalid { path: path.to_path_buf(), reason: format!("column {i} is not f64") })
}

/// Column `i` of `batch` as f32.
pub fn f32_col<'a>(batch: &'a RecordBatch, i: usize, path: &Path) -> Result<&'a Float32Array, CacheError> {
    batch
        .column(i)
        .as_any()
        .downcast_ref::<Float32Array>()
        .ok_or_else(|| CacheError::Invalid { path: path.to_path_buf(), reason: format!("column {i} is not f32") })
}

/// Parses the `moodtap.*` footer keys back into the fields a reader checks
/// (T, context, window, hop, schema version), naming a missing or bad key.
pub fn check_footer(kv: &BTreeMap<String, String>, meta: &CacheMeta, path: &Path) -> Result<(), CacheError> {
    let get = |k: &str| {
        kv.get(&format!("moodtap.{k}")).ok_or_else(|| CacheError::Invalid {
            path: path.to_path_buf(),
            reason: format!("footer lacks moodtap.{k}: not written by moodtap extract"),
        })
    };
    let num = |k: &str| -> Result<f64, CacheError> {
        get(k)?.parse::<f64>().map_err(|_| CacheError::Invalid {
            path: path.to_path_buf(),
            reason: format!("footer moodtap.{k} is not a number"),
        })
    };
    let mut on_disk = meta.clone();
    on_disk.feature_schema_version = num("feature_schema_version")? as u32;
    on_disk.steps = num("steps")? as u32;
    on_disk.context_s = num("context_s")?;
    on_disk.window_s = num("window_s")?;
    on_disk.hop_s = num("hop_s")?;
    on_disk.analysis_rate_hz = num("analysis_rate_hz")? as u32;
    on_disk.dataset_kind = get("dataset_kind")?.clone();
    on_disk.swap_va = get("swap_va")? == "true";
    meta.check_same(&on_disk, path)
}
