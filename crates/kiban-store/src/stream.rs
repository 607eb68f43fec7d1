//! Reading a large result row by row, without pages: the fields of each
//! row are borrowed from the engine's buffer and handed to a callback.
//!
//! On PostgreSQL the query runs as `COPY (SELECT …) TO STDOUT (FORMAT
//! binary)`, which the server streams without a round trip per row and
//! without text conversion, and which is parsed here; on SQLite it is a
//! plain streamed `SELECT`. The rows, their order and their values are the
//! same on both engines; a value of an unexpected type is an error, never
//! converted.

use crate::StoreError;

/// What a column of a streamed query holds, as the caller expects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// An integer (`INTEGER` / `BIGINT`).
    Int,
    /// Text (`TEXT`), UTF-8.
    Text,
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes,
}

/// One value of a streamed row, borrowed for the duration of the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
}

fn corrupt(column: usize, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: format!("#{column}"),
        reason: reason.into(),
    }
}

/// The signature that opens PostgreSQL's binary `COPY` format.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// A parser of PostgreSQL's binary `COPY` format fed chunk by chunk (the
/// server sends one message per row, but nothing here relies on it).
pub(crate) struct BinaryCopyParser {
    buffer: Vec<u8>,
    start: usize,
    header_read: bool,
    finished: bool,
}

fn be_i16(bytes: &[u8]) -> i16 {
    i16::from_be_bytes([bytes[0], bytes[1]])
}

fn be_i32(bytes: &[u8]) -> i32 {
    i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

impl BinaryCopyParser {
    pub(crate) fn new() -> Self {
        Self {
            buffer: Vec::with_capacity(1 << 16),
            start: 0,
            header_read: false,
            finished: false,
        }
    }

    /// Adds a chunk and calls `row` for every complete row it completes.
    pub(crate) fn feed<E: From<StoreError>>(
        &mut self,
        chunk: &[u8],
        kinds: &[ColumnKind],
        fields: &mut Vec<(i32, usize)>,
        row: &mut impl FnMut(&[Field<'_>]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.start > 0 && self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        } else if self.start > (1 << 16) {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(chunk);
        if !self.header_read {
            let rest = &self.buffer[self.start..];
            if rest.len() < SIGNATURE.len() + 8 {
                return Ok(());
            }
            if &rest[..SIGNATURE.len()] != SIGNATURE {
                return Err(corrupt(0, "not PostgreSQL binary COPY data").into());
            }
            let flags = be_i32(&rest[11..]);
            if flags & (1 << 16) != 0 {
                return Err(corrupt(0, "binary COPY data with OIDs").into());
            }
            let extension = usize::try_from(be_i32(&rest[15..]))
                .map_err(|_| corrupt(0, "negative COPY header extension"))?;
            if rest.len() < 19 + extension {
                return Ok(());
            }
            self.start += 19 + extension;
            self.header_read = true;
        }
        let mut values: Vec<Field<'_>> = Vec::with_capacity(kinds.len());
        loop {
            let rest = &self.buffer[self.start..];
            if self.finished {
                if rest.is_empty() {
                    return Ok(());
                }
                return Err(corrupt(0, "data after the end of binary COPY").into());
            }
            if rest.len() < 2 {
                return Ok(());
            }
            let count = be_i16(rest);
            if count == -1 {
                self.finished = true;
                self.start += 2;
                continue;
            }
            if usize::try_from(count).ok() != Some(kinds.len()) {
                return Err(
                    corrupt(0, format!("{count} fields for {} columns", kinds.len())).into(),
                );
            }
            // Find the row's fields first; a row cut between chunks waits.
            fields.clear();
            let mut at = 2;
            for _ in kinds {
                if rest.len() < at + 4 {
                    return Ok(());
                }
                let len = be_i32(&rest[at..]);
                at += 4;
                fields.push((len, at));
                if len > 0 {
                    at += len as usize;
                }
            }
            if rest.len() < at {
                return Ok(());
            }
            values.clear();
            for (i, (&(len, offset), kind)) in fields.iter().zip(kinds).enumerate() {
                if len < 0 {
                    values.push(Field::Null);
                    continue;
                }
                let bytes = &rest[offset..offset + len as usize];
                values.push(match kind {
                    ColumnKind::Int => Field::Int(match bytes.len() {
                        8 => i64::from_be_bytes([
                            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6],
                            bytes[7],
                        ]),
                        4 => i64::from(be_i32(bytes)),
                        2 => i64::from(be_i16(bytes)),
                        n => return Err(corrupt(i, format!("{n} bytes for an integer")).into()),
                    }),
                    ColumnKind::Text => Field::Text(
                        std::str::from_utf8(bytes).map_err(|e| corrupt(i, e.to_string()))?,
                    ),
                    ColumnKind::Bytes => Field::Bytes(bytes),
                });
            }
            row(&values)?;
            self.start += at;
        }
    }

    /// Fails unless the data ended with the format's trailer.
    pub(crate) fn finish(&self) -> Result<(), StoreError> {
        if self.finished && self.start == self.buffer.len() {
            Ok(())
        } else {
            Err(corrupt(0, "binary COPY data cut short"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
        match value {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(bytes) => {
                out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }

    fn sample() -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        for (id, name, blob) in [
            (7i64, Some("渡邉\u{E0102}"), Some(&b"\x00\x01"[..])),
            (-2, Some(""), None),
            (i64::MAX, None, Some(&b""[..])),
        ] {
            out.extend_from_slice(&3i16.to_be_bytes());
            field(&mut out, Some(&id.to_be_bytes()));
            field(&mut out, name.map(str::as_bytes));
            field(&mut out, blob);
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    fn parse(data: &[u8], chunk: usize) -> Result<Vec<String>, StoreError> {
        let kinds = [ColumnKind::Int, ColumnKind::Text, ColumnKind::Bytes];
        let mut parser = BinaryCopyParser::new();
        let mut rows = Vec::new();
        let mut fields = Vec::new();
        for piece in data.chunks(chunk) {
            parser.feed::<StoreError>(piece, &kinds, &mut fields, &mut |row| {
                rows.push(format!("{row:?}"));
                Ok(())
            })?;
        }
        parser.finish()?;
        Ok(rows)
    }

    #[test]
    fn rows_are_read_whatever_the_chunks() {
        let data = sample();
        let whole = parse(&data, data.len()).unwrap();
        assert_eq!(
            whole,
            [
                r#"[Int(7), Text("渡邉\u{e0102}"), Bytes([0, 1])]"#,
                r#"[Int(-2), Text(""), Null]"#,
                r#"[Int(9223372036854775807), Null, Bytes([])]"#,
            ]
        );
        for chunk in 1..data.len() {
            assert_eq!(parse(&data, chunk).unwrap(), whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn bad_data_is_refused() {
        let data = sample();
        assert!(parse(&data[..data.len() - 2], 7).is_err());
        assert!(parse(&data[1..], 7).is_err());
        let mut not_utf8 = data.clone();
        let at = data.windows(2).position(|w| w == [0xe6, 0xb8]).unwrap();
        not_utf8[at] = 0xff;
        assert!(parse(&not_utf8, 5).is_err());
    }
}
