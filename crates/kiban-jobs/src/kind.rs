//! Job kinds (ジョブ種別) as their businesses declare them, their
//! parameters, and what a chunk hands back to the engine.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use kiban_core::{Date, FiscalYear, Message};
use kiban_store::{StoreError, TenantTx};

/// A boxed future, so that [`JobKind`] stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The type of a parameter; the engine checks a value's form before the
/// kind sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A date `YYYY-MM-DD`.
    Date,
    /// A fiscal year (年度) by its starting calendar year, e.g. `2026`.
    FiscalYear,
    /// Any text (not empty).
    Text,
    /// An integer.
    Int,
    /// A calendar month `YYYY-MM`.
    Month,
}

impl ParamType {
    /// The code shown in listings (`date`, `fiscal_year`, `text`, `int`,
    /// `month`).
    pub fn code(self) -> &'static str {
        match self {
            ParamType::Date => "date",
            ParamType::FiscalYear => "fiscal_year",
            ParamType::Text => "text",
            ParamType::Int => "int",
            ParamType::Month => "month",
        }
    }
}

/// One parameter a job kind takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// Its name (`as_of`, `fiscal_year`, …).
    pub name: &'static str,
    /// Its type.
    pub kind: ParamType,
    /// Whether a run needs it.
    pub required: bool,
    /// What it means (Japanese).
    pub description: &'static str,
}

/// A parameter that is unknown, missing or invalid, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter {field}: {}", message.code().as_str())]
pub struct ParamError {
    /// The parameter's name.
    pub field: String,
    /// What is wrong, as the catalogue words it for clerks.
    pub message: Message,
}

impl ParamError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: Message) -> Self {
        Self {
            field: field.into(),
            message,
        }
    }

    /// The text shown to clerks: the parameter and what is wrong.
    pub fn text(&self) -> String {
        format!("{}: {}", self.field, self.message.text())
    }
}

/// The checked parameters of a run: name → value as text in its canonical
/// form (dates `YYYY-MM-DD`, numbers without sign or leading zeros). Two
/// runs with equal `Params` are the same run (see
/// [`crate::engine::submit_or_resume`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Checks `raw` against `specs`: every name must be declared, every
    /// required one given, every value of its type. Values are stored in
    /// their canonical form.
    pub fn parse(specs: &[ParamSpec], raw: &BTreeMap<String, String>) -> Result<Self, ParamError> {
        let mut values = BTreeMap::new();
        for (name, value) in raw {
            let Some(spec) = specs.iter().find(|s| s.name == name) else {
                return Err(ParamError::new(name, Message::ParamNotDeclared {}));
            };
            let value = value.trim();
            let canonical = match spec.kind {
                ParamType::Date => kiban_core::date::parse_iso(value)
                    .map_err(|e| ParamError::new(name, e.message()))?
                    .to_string(),
                ParamType::FiscalYear => {
                    let year: i32 = value.parse().map_err(|_| {
                        ParamError::new(
                            name,
                            Message::ParamNotFiscalYear {
                                value: value.to_owned(),
                            },
                        )
                    })?;
                    FiscalYear::new(year)
                        .map_err(|e| ParamError::new(name, e.message()))?
                        .start_year()
                        .to_string()
                }
                ParamType::Int => value
                    .parse::<i64>()
                    .map_err(|_| {
                        ParamError::new(
                            name,
                            Message::ParamNotInteger {
                                value: value.to_owned(),
                            },
                        )
                    })?
                    .to_string(),
                ParamType::Month => kiban_core::YearMonth::parse(value)
                    .map_err(|e| ParamError::new(name, e.message()))?
                    .to_string(),
                ParamType::Text => {
                    if value.is_empty() {
                        return Err(ParamError::new(name, Message::ParamEmpty {}));
                    }
                    value.to_owned()
                }
            };
            values.insert(name.clone(), canonical);
        }
        for spec in specs {
            if spec.required && !values.contains_key(spec.name) {
                return Err(ParamError::new(spec.name, Message::ParamRequired {}));
            }
        }
        Ok(Self(values))
    }

    /// The parameters as `(name, value)` pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The month parameter `name` (an error naming it when absent).
    pub fn month(&self, name: &str) -> Result<kiban_core::YearMonth, ParamError> {
        let value = self
            .get(name)
            .ok_or_else(|| ParamError::new(name, Message::ParamRequired {}))?;
        kiban_core::YearMonth::parse(value).map_err(|e| ParamError::new(name, e.message()))
    }

    /// The date parameter `name` (an error naming it when absent).
    pub fn date(&self, name: &str) -> Result<Date, ParamError> {
        let value = self
            .get(name)
            .ok_or_else(|| ParamError::new(name, Message::ParamRequired {}))?;
        kiban_core::date::parse_iso(value).map_err(|e| ParamError::new(name, e.message()))
    }

    /// The integer (or fiscal-year) parameter `name`.
    pub fn int(&self, name: &str) -> Result<i64, ParamError> {
        let value = self
            .get(name)
            .ok_or_else(|| ParamError::new(name, Message::ParamRequired {}))?;
        value.parse().map_err(|_| {
            ParamError::new(
                name,
                Message::ParamNotInteger {
                    value: value.to_owned(),
                },
            )
        })
    }

    /// The parameters as stored: a JSON object with keys in name order,
    /// every value a string (so equal parameters store equal text).
    pub fn to_json_text(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Reads parameters back from [`Params::to_json_text`] (no checking:
    /// they were checked when the run was submitted).
    pub fn from_json_text(text: &str) -> Result<Self, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            column: "jobs.params".into(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let serde_json::Value::Object(map) = value else {
            return Err(corrupt("not an object".into()));
        };
        let mut values = BTreeMap::new();
        for (k, v) in map {
            let serde_json::Value::String(s) = v else {
                return Err(corrupt(format!("{k} is not a string")));
            };
            values.insert(k, s);
        }
        Ok(Self(values))
    }
}

/// One planned chunk of a run: a key the kind understands (a range of
/// ids, a postal-code range, …) and how many subjects it is expected to
/// cover (the run's progress total is their sum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChunk {
    /// The chunk's key, stored and handed back to [`JobKind::run_chunk`].
    pub key: String,
    /// The subjects expected in the chunk.
    pub subjects: u64,
}

impl PlannedChunk {
    /// Chunks of at most `per_chunk` of `ids`, in their order, each keyed
    /// `NNNNNN id,id,…` (its number, from 000001, and its ids): a run that
    /// resumes finds the same subjects in the same chunk, and the number
    /// names the chunk's output file.
    pub fn numbered(ids: &[i64], per_chunk: usize) -> Vec<PlannedChunk> {
        ids.chunks(per_chunk.max(1))
            .enumerate()
            .map(|(i, chunk)| PlannedChunk {
                key: format!(
                    "{:06} {}",
                    i + 1,
                    chunk
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                subjects: chunk.len() as u64,
            })
            .collect()
    }

    /// The number and ids of a key made by [`PlannedChunk::numbered`];
    /// `None` for any other key.
    pub fn parse_numbered(key: &str) -> Option<(String, Vec<i64>)> {
        let (number, ids) = key.split_once(' ')?;
        if number.len() != 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let ids = ids
            .split(',')
            .map(|n| n.parse::<i64>().ok())
            .collect::<Option<Vec<_>>>()?;
        Some((number.to_owned(), ids))
    }
}

/// A subject (a person, a taxpayer, …) that could not be processed: the run
/// goes on and reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectError {
    /// Which subject (e.g. a 宛名番号), without personal data.
    pub subject: String,
    /// A stable snake_case code.
    pub code: String,
    /// What went wrong (Japanese, without personal data).
    pub message: String,
}

/// What one chunk produced: committed by the engine in the chunk's own
/// transaction, together with the chunk's state and progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkResult {
    /// Parts of outputs (or partial results for [`JobKind::finish`]): per
    /// name, the bytes of this chunk.
    pub parts: Vec<(String, Vec<u8>)>,
    /// Subjects that failed.
    pub errors: Vec<SubjectError>,
    /// How many subjects the chunk dealt with (those that failed included).
    pub done: u64,
}

/// The parts of a run, per name, in chunk order (chunks without a part of
/// that name are skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts(pub BTreeMap<String, Vec<Vec<u8>>>);

impl Parts {
    /// The parts of `name`, in chunk order.
    pub fn of(&self, name: &str) -> &[Vec<u8>] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }
}

/// A finished output of a run, before the engine stores it with its
/// SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its name (a file name: `population.csv`).
    pub name: String,
    /// Its media type (`text/csv; charset=utf-8`, `application/pdf`, …).
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
    /// Data rows, for tables.
    pub rows: Option<u64>,
    /// Pages, for print files.
    pub pages: Option<u64>,
}

impl Output {
    /// A CSV output (UTF-8) with its number of data rows.
    pub fn csv(name: impl Into<String>, content: Vec<u8>, rows: u64) -> Self {
        Self {
            name: name.into(),
            content_type: "text/csv; charset=utf-8".into(),
            content,
            rows: Some(rows),
            pages: None,
        }
    }
}

/// A failure of a chunk, a plan or a finish: the engine retries it with
/// backoff and then fails the run with this message.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A parameter turned out invalid while running.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Anything else, in Japanese.
    #[error("{0}")]
    Failed(String),
}

impl JobError {
    /// A chunk key the kind does not know (a stored run that does not fit
    /// its kind: a run's failure), named by its first 40 characters.
    pub fn unknown_chunk(chunk: &str) -> JobError {
        JobError::Failed(
            Message::JobChunkUnknown {
                chunk: chunk.chars().take(40).collect(),
            }
            .text(),
        )
    }

    /// The text shown to clerks (a storage failure in the catalogue's words).
    pub fn text(&self) -> String {
        match self {
            JobError::Store(e) => e.message().text(),
            JobError::Param(e) => e.text(),
            JobError::Failed(message) => message.clone(),
        }
    }
}

/// A kind of job, declared by its business (the registry declares
/// `population-statistics`). The engine owns the rest: runs, claims,
/// retries, progress, cancellation and outputs.
///
/// Every method that reads or writes data gets the chunk's (or plan's, or
/// finish's) own transaction; the engine commits it together with the
/// chunk's parts, errors and progress, so a chunk happens entirely or not at
/// all. A kind must therefore be deterministic: the same data and
/// parameters give the same plan, the same parts and the same outputs.
pub trait JobKind: Send + Sync {
    /// The job's name (`population-statistics`).
    fn name(&self) -> &'static str;

    /// The business it belongs to (`registry`, `tax_resident`, …): who may
    /// start it and read it is decided by that business's roles.
    fn business(&self) -> &'static str;

    /// What it does (Japanese).
    fn description(&self) -> &'static str;

    /// Its parameters.
    fn params(&self) -> &'static [ParamSpec];

    /// Whether its outputs hold personal data: reading one is then
    /// permission-checked and written to the access log.
    fn personal_data(&self) -> bool;

    /// Checks the parameters beyond their types (a range, a combination);
    /// the error names the parameter.
    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        let _ = params;
        Ok(())
    }

    /// Splits the run into chunks, once when the run starts; the chunks
    /// are stored, so a resumed run keeps the same split. `chunk_size` is
    /// the engine's suggestion of subjects per chunk.
    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>>;

    /// Does one chunk inside `tx` (which the engine then commits together
    /// with the result).
    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>>;

    /// Builds the outputs from the stored parts once every chunk is done.
    /// The default concatenates each name's parts in chunk order (a
    /// header belongs in the first chunk's part). A kind whose output is
    /// sorted or aggregated across chunks reads its partial results here.
    fn finish<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        parts: Parts,
    ) -> BoxFuture<'a, Result<Vec<Output>, JobError>> {
        let _ = (tx, params);
        Box::pin(async move { Ok(concatenate(parts)) })
    }
}

/// Each name's parts concatenated in chunk order, as `application/octet-stream`
/// unless the name ends in `.csv` or `.json`.
pub fn concatenate(parts: Parts) -> Vec<Output> {
    parts
        .0
        .into_iter()
        .map(|(name, chunks)| {
            let content_type = if name.ends_with(".csv") {
                "text/csv; charset=utf-8"
            } else if name.ends_with(".json") {
                "application/json"
            } else {
                "application/octet-stream"
            };
            Output {
                content_type: content_type.into(),
                content: chunks.concat(),
                name,
                rows: None,
                pages: None,
            }
        })
        .collect()
}

/// The job kinds this binary knows, built by the binary from the
/// businesses' declarations and handed to the CLI, the worker and the web.
#[derive(Clone, Default)]
pub struct Kinds(Arc<Vec<Box<dyn JobKind>>>);

impl Kinds {
    /// The kinds given, in listing order.
    pub fn new(kinds: Vec<Box<dyn JobKind>>) -> Self {
        Self(Arc::new(kinds))
    }

    /// The kind named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn JobKind> {
        self.0.iter().find(|k| k.name() == name).map(|k| k.as_ref())
    }

    /// Every kind, in listing order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn JobKind> {
        self.0.iter().map(|k| k.as_ref())
    }
}

/// The listing of a kind as `kiban batch list` and `GET …/jobs/kinds` show
/// it: `{"job","business","description","params":[{"name","type","required","description"}]}`.
pub fn kind_json(kind: &dyn JobKind) -> serde_json::Value {
    serde_json::json!({
        "job": kind.name(),
        "business": kind.business(),
        "description": kind.description(),
        "personal_data": kind.personal_data(),
        "params": kind.params().iter().map(|p| serde_json::json!({
            "name": p.name,
            "type": p.kind.code(),
            "required": p.required,
            "description": p.description,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "as_of",
            kind: ParamType::Date,
            required: true,
            description: "基準日",
        },
        ParamSpec {
            name: "fiscal_year",
            kind: ParamType::FiscalYear,
            required: false,
            description: "年度",
        },
    ];

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn params_are_checked_and_named() {
        let ok = Params::parse(SPECS, &raw(&[("as_of", "2026-12-01")])).unwrap();
        assert_eq!(ok.to_json_text(), r#"{"as_of":"2026-12-01"}"#);
        assert_eq!(Params::from_json_text(&ok.to_json_text()).unwrap(), ok);
        let e = Params::parse(SPECS, &raw(&[])).unwrap_err();
        assert_eq!(e.field, "as_of");
        let e = Params::parse(SPECS, &raw(&[("as_of", "2026-02-30")])).unwrap_err();
        assert_eq!(e.field, "as_of");
        let e = Params::parse(SPECS, &raw(&[("as_of", "2026-12-01"), ("x", "1")])).unwrap_err();
        assert_eq!(e.field, "x");
        let e = Params::parse(
            SPECS,
            &raw(&[("as_of", "2026-12-01"), ("fiscal_year", "r8")]),
        )
        .unwrap_err();
        assert_eq!(e.field, "fiscal_year");
        let p = Params::parse(
            SPECS,
            &raw(&[("as_of", "2026-12-01"), ("fiscal_year", "02026")]),
        )
        .unwrap();
        assert_eq!(p.get("fiscal_year"), Some("2026"));
    }
}

/// Chunks over the numbers `1..next` (e.g. the person counter's next
/// value), `size` numbers each, keyed `from-to` (end excluded): the plan of
/// a job that goes through a numbered population in ranges.
pub fn number_ranges(next: u64, size: u64) -> Vec<PlannedChunk> {
    let size = size.max(1);
    let mut chunks = Vec::new();
    let mut from = 1;
    while from < next {
        let to = from.saturating_add(size).min(next);
        chunks.push(PlannedChunk {
            key: format!("{from}-{to}"),
            subjects: to - from,
        });
        from = to;
    }
    chunks
}

/// The range `(from, to)` of a chunk key made by [`number_ranges`]
/// (`None` for any other key).
pub fn parse_number_range(key: &str) -> Option<(u64, u64)> {
    let (from, to) = key.split_once('-')?;
    Some((from.parse().ok()?, to.parse().ok()?))
}

#[cfg(test)]
mod number_range_tests {
    use super::*;

    #[test]
    fn ranges_cover_every_number_once_and_read_back() {
        let chunks = number_ranges(26, 10);
        let keys: Vec<&str> = chunks.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["1-11", "11-21", "21-26"]);
        assert_eq!(chunks.iter().map(|c| c.subjects).sum::<u64>(), 25);
        assert_eq!(parse_number_range("11-21"), Some((11, 21)));
        assert_eq!(parse_number_range("review"), None);
        assert!(number_ranges(1, 10).is_empty());
    }
}

#[cfg(test)]
mod numbered_chunks {
    use super::PlannedChunk;

    #[test]
    fn numbered_keys_read_back() {
        let chunks = PlannedChunk::numbered(&[3, 5, 8, 13, 21], 2);
        let keys: Vec<_> = chunks.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["000001 3,5", "000002 8,13", "000003 21"]);
        assert_eq!(chunks[2].subjects, 1);
        assert_eq!(
            PlannedChunk::parse_numbered("000002 8,13"),
            Some(("000002".to_owned(), vec![8, 13]))
        );
        for bad in ["", "000002", "2 8,13", "000002 8,x", "00000a 1"] {
            assert_eq!(PlannedChunk::parse_numbered(bad), None, "{bad}");
        }
    }
}
