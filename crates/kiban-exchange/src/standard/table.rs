//! Writing and reading one entity's CSV file (RFC 4180, UTF-8, CR LF, a
//! header of column names), each field checked against its [`FieldSpec`].

use std::io::{Read, Write};

use sha2::{Digest, Sha256};

use super::error::{ExchangeError, Problem};
use super::spec::{EntitySpec, FieldSpec, FieldType, code_table};

/// One value of a row, as stored: NULL, an integer or text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// No value (an empty CSV field).
    Null,
    /// An integer (integer and flag fields).
    Int(i64),
    /// Text (every other field).
    Text(String),
}

impl Value {
    /// The value as written in the CSV file.
    pub fn to_field(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Null => "".into(),
            Value::Int(v) => v.to_string().into(),
            Value::Text(t) => t.as_str().into(),
        }
    }

    /// The value borrowed.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Int(*v),
            Value::Text(t) => ValueRef::Text(t),
        }
    }
}

/// One value of a row, borrowed: what a [`Value`] holds, for writing rows
/// without building them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// No value (an empty CSV field).
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(&'a str),
}

/// A writer that counts and hashes what passes through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> HashingWriter<W> {
    /// Passes what is written on to `inner`, hashing it.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The inner writer and the SHA-256 (lower-case hex) of what was
    /// written.
    pub fn finish(self) -> (W, String) {
        (self.inner, hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> HashingReader<R> {
    /// Hashes what is read from `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The SHA-256 (lower-case hex) of what was read.
    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// A reader that hashes what passes through it.
pub struct HashingReader<R: Read> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Writes the rows of one entity: header first, then one record per row.
pub struct TableWriter<W: Write> {
    spec: &'static EntitySpec,
    csv: csv::Writer<HashingWriter<W>>,
    rows: u64,
    /// Fields written of the row being written.
    fields: usize,
}

/// What was written to a file: its row count and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// Data rows (the header not counted).
    pub rows: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

fn csv_writer<W: Write>(out: W) -> csv::Writer<HashingWriter<W>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(HashingWriter {
            inner: out,
            hasher: Sha256::new(),
        })
}

fn finish_csv<W: Write>(
    csv: csv::Writer<HashingWriter<W>>,
    rows: u64,
) -> std::io::Result<WrittenFile> {
    let inner = csv
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(WrittenFile {
        rows,
        sha256: hex::encode(inner.hasher.finalize()),
    })
}

impl<W: Write> TableWriter<W> {
    /// Starts the file of `spec` and writes its header.
    pub fn new(spec: &'static EntitySpec, out: W) -> std::io::Result<Self> {
        let mut csv = csv_writer(out);
        csv.write_record(spec.fields.iter().map(|f| f.column))?;
        Ok(Self {
            spec,
            csv,
            rows: 0,
            fields: 0,
        })
    }

    /// Writes one row (one value per field, in field order).
    pub fn write_row(&mut self, row: &[Value]) -> std::io::Result<()> {
        if row.len() != self.spec.fields.len() {
            return Err(self.field_count_error(row.len()));
        }
        for value in row {
            self.write_value(value.as_ref())?;
        }
        self.end_row()
    }

    fn field_count_error(&self, found: usize) -> std::io::Error {
        std::io::Error::other(format!(
            "{}: {found} values for {} fields",
            self.spec.file,
            self.spec.fields.len()
        ))
    }

    /// Writes the next field of the current row (the row is ended by
    /// [`TableWriter::end_row`]): the same bytes as [`TableWriter::write_row`]
    /// writes, without building the row.
    pub fn write_value(&mut self, value: ValueRef<'_>) -> std::io::Result<()> {
        self.fields += 1;
        match value {
            ValueRef::Null => self.csv.write_field(b""),
            ValueRef::Text(t) => self.csv.write_field(t.as_bytes()),
            ValueRef::Int(v) => {
                let mut digits = [0u8; 20];
                let mut at = digits.len();
                let mut rest = v.unsigned_abs();
                loop {
                    at -= 1;
                    digits[at] = b'0' + (rest % 10) as u8;
                    rest /= 10;
                    if rest == 0 {
                        break;
                    }
                }
                if v < 0 {
                    let mut signed = [0u8; 21];
                    signed[0] = b'-';
                    let len = digits.len() - at;
                    signed[1..=len].copy_from_slice(&digits[at..]);
                    self.csv.write_field(&signed[..=len])
                } else {
                    self.csv.write_field(&digits[at..])
                }
            }
        }
        .map_err(std::io::Error::other)
    }

    /// Ends the current row; fails unless it had one value per field.
    pub fn end_row(&mut self) -> std::io::Result<()> {
        let fields = std::mem::take(&mut self.fields);
        if fields != self.spec.fields.len() {
            return Err(self.field_count_error(fields));
        }
        self.csv.write_record(None::<&[u8]>)?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes and returns the row count and digest.
    pub fn finish(self) -> std::io::Result<WrittenFile> {
        finish_csv(self.csv, self.rows)
    }

    /// Flushes and returns the row count and the writer given to
    /// [`TableWriter::new`], for a writer that must be finished explicitly
    /// (an encryptor writes its last block then).
    pub fn into_inner(self) -> std::io::Result<(u64, W)> {
        let inner = self
            .csv
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok((self.rows, inner.inner))
    }
}

/// Writes `code_tables.csv`: `table,code,label_ja`, every code of every
/// table of [`super::spec::CODE_TABLES`].
pub fn write_code_tables<W: Write>(out: W) -> std::io::Result<WrittenFile> {
    let mut csv = csv_writer(out);
    csv.write_record(["table", "code", "label_ja"])?;
    let mut rows = 0;
    for table in super::spec::CODE_TABLES {
        for (code, label) in table.codes {
            csv.write_record([table.name, code, label])?;
            rows += 1;
        }
    }
    finish_csv(csv, rows)
}

/// Reads the rows of one entity from its CSV file, checking the header and
/// every field; errors name the file, the line and the field.
pub struct TableReader<R: Read> {
    spec: &'static EntitySpec,
    csv: csv::Reader<HashingReader<R>>,
    record: csv::StringRecord,
    rows: u64,
}

fn csv_error(file: &str, e: &csv::Error) -> ExchangeError {
    let line = e.position().map(|p| p.line());
    let problem = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => Problem::NotUtf8,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Problem::FieldCount {
            expected: *expected_len,
            found: *len,
        },
        _ => Problem::Csv(e.to_string()),
    };
    ExchangeError {
        file: file.to_owned(),
        line,
        field: None,
        problem,
    }
}

impl<R: Read> TableReader<R> {
    /// Starts reading the file of `spec`; fails unless the header lists the
    /// entity's columns in order.
    pub fn new(spec: &'static EntitySpec, input: R) -> Result<Self, ExchangeError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(HashingReader {
                inner: input,
                hasher: Sha256::new(),
            });
        let mut header = csv::StringRecord::new();
        let has_header = csv
            .read_record(&mut header)
            .map_err(|e| csv_error(spec.file, &e))?;
        let expected: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
        let found: Vec<&str> = header.iter().collect();
        if !has_header || found != expected {
            return Err(ExchangeError {
                file: spec.file.to_owned(),
                line: Some(1),
                field: None,
                problem: Problem::Header {
                    expected: expected.join(","),
                },
            });
        }
        Ok(Self {
            spec,
            csv,
            record: csv::StringRecord::new(),
            rows: 0,
        })
    }

    /// The next row with its line number, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<(u64, Vec<Value>), ExchangeError>> {
        match self.csv.read_record(&mut self.record) {
            Err(e) => {
                let mut error = csv_error(self.spec.file, &e);
                error.line = Some(self.rows + 2);
                Some(Err(error))
            }
            Ok(false) => None,
            Ok(true) => {
                // Lines count records, the header being line 1 (text fields
                // cannot hold line breaks).
                self.rows += 1;
                let line = self.rows + 1;
                let mut row = Vec::with_capacity(self.spec.fields.len());
                for (field, text) in self.spec.fields.iter().zip(self.record.iter()) {
                    match parse_field(field, text) {
                        Ok(v) => row.push(v),
                        Err(problem) => {
                            return Some(Err(ExchangeError {
                                file: self.spec.file.to_owned(),
                                line: Some(line),
                                field: Some(field.column.to_owned()),
                                problem,
                            }));
                        }
                    }
                }
                if row.len() != self.spec.fields.len() {
                    return Some(Err(ExchangeError {
                        file: self.spec.file.to_owned(),
                        line: Some(line),
                        field: None,
                        problem: Problem::FieldCount {
                            expected: self.spec.fields.len() as u64,
                            found: row.len() as u64,
                        },
                    }));
                }
                Some(Ok((line, row)))
            }
        }
    }

    /// Reads to the end and returns the row count and the file's SHA-256.
    pub fn finish(self) -> Result<WrittenFile, ExchangeError> {
        let mut sink = [0u8; 8192];
        let mut inner = self.csv.into_inner();
        // The CSV reader stops at the last record; hash whatever follows.
        loop {
            match inner.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(ExchangeError {
                        file: self.spec.file.to_owned(),
                        line: None,
                        field: None,
                        problem: Problem::Csv(e.to_string()),
                    });
                }
            }
        }
        Ok(WrittenFile {
            rows: self.rows,
            sha256: hex::encode(inner.hasher.finalize()),
        })
    }
}

/// Bytes as a binary field holds them: Base64, standard alphabet, padded.
pub fn encode_binary(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of a binary field, if it is Base64.
pub fn decode_binary(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// Checks one field's text and turns it into a value.
pub fn parse_field(field: &FieldSpec, text: &str) -> Result<Value, Problem> {
    if text.is_empty() {
        return if field.required {
            Err(Problem::Required)
        } else if field.empty_text {
            Ok(Value::Text(String::new()))
        } else {
            Ok(Value::Null)
        };
    }
    let chars = text.chars().count();
    if chars > field.max_chars {
        return Err(Problem::TooLong {
            max: field.max_chars,
            found: chars,
        });
    }
    if field.ty != FieldType::Json
        && let Some(c) = text.chars().find(|c| c.is_control())
    {
        return Err(Problem::ControlCharacter(u32::from(c)));
    }
    if !field.ivs {
        if let Some(c) = text.chars().find(|c| is_private_use(*c)) {
            return Err(Problem::PrivateUse(u32::from(c)));
        }
        if let Some(c) = text.chars().find(|c| is_variation_selector(*c)) {
            return Err(Problem::VariationSelector(u32::from(c)));
        }
    }
    match field.ty {
        FieldType::Integer => {
            let canonical = text
                .strip_prefix('-')
                .unwrap_or(text)
                .bytes()
                .all(|b| b.is_ascii_digit())
                && !(text.len() > 1 && text.starts_with('0'))
                && !text.starts_with("-0")
                && text != "-";
            match text.parse::<i64>() {
                Ok(v) if canonical => Ok(Value::Int(v)),
                _ => Err(Problem::NotInteger),
            }
        }
        FieldType::Flag => match text {
            "0" => Ok(Value::Int(0)),
            "1" => Ok(Value::Int(1)),
            _ => Err(Problem::NotFlag),
        },
        FieldType::Text => Ok(Value::Text(text.to_owned())),
        FieldType::Date => {
            let well_formed = text.len() == 10
                && text.bytes().enumerate().all(|(i, b)| match i {
                    4 | 7 => b == b'-',
                    _ => b.is_ascii_digit(),
                });
            match kiban_core::date::parse_iso(text) {
                Ok(_) if well_formed => Ok(Value::Text(text.to_owned())),
                _ => Err(Problem::NotDate),
            }
        }
        FieldType::Timestamp => match text.parse::<jiff::Timestamp>() {
            Ok(_) if text.contains('T') => Ok(Value::Text(text.to_owned())),
            _ => Err(Problem::NotTimestamp),
        },
        FieldType::Json => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Ok(Value::Text(text.to_owned())),
            Err(e) => Err(Problem::NotJson(e.to_string())),
        },
        FieldType::Binary => match decode_binary(text) {
            Some(bytes) if encode_binary(&bytes) == text => Ok(Value::Text(text.to_owned())),
            _ => Err(Problem::NotBase64),
        },
        FieldType::Code(table) => match code_table(table) {
            Some(t) if t.contains(text) => Ok(Value::Text(text.to_owned())),
            _ => Err(Problem::UnknownCode {
                table,
                code: text.to_owned(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::spec::entity;

    fn int_field() -> FieldSpec {
        entity("movements.csv").unwrap().fields[0]
    }

    #[test]
    fn integers_are_canonical() {
        let f = int_field();
        assert_eq!(parse_field(&f, "12"), Ok(Value::Int(12)));
        assert_eq!(parse_field(&f, "0"), Ok(Value::Int(0)));
        for bad in ["012", "+1", "1.0", "-", "-0", "x", "99999999999999999999"] {
            assert_eq!(parse_field(&f, bad), Err(Problem::NotInteger), "{bad}");
        }
        assert_eq!(parse_field(&f, ""), Err(Problem::Required));
    }

    #[test]
    fn integers_are_written_as_to_field_writes_them() {
        let spec = entity("movement_persons.csv").unwrap();
        for v in [0, 7, -7, 10, 1234567890, i64::MAX, i64::MIN, -100] {
            let mut out = Vec::new();
            let mut w = TableWriter::new(spec, &mut out).unwrap();
            w.write_value(ValueRef::Int(v)).unwrap();
            w.write_value(ValueRef::Null).unwrap();
            w.end_row().unwrap();
            w.finish().unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("person_id,movement_id\r\n{v},\r\n")
            );
        }
    }

    #[test]
    fn a_file_round_trips() {
        let spec = entity("movement_persons.csv").unwrap();
        let mut out = Vec::new();
        let mut w = TableWriter::new(spec, &mut out)
            .map_err(|e| e.to_string())
            .unwrap();
        w.write_row(&[Value::Int(1), Value::Int(2)]).unwrap();
        let written = w.finish().unwrap();
        assert_eq!(out, b"person_id,movement_id\r\n1,2\r\n");
        let mut r = TableReader::new(spec, out.as_slice()).unwrap();
        assert_eq!(
            r.next_row(),
            Some(Ok((2, vec![Value::Int(1), Value::Int(2)])))
        );
        assert_eq!(r.next_row(), None);
        assert_eq!(r.finish().unwrap(), written);
    }
}
