//! 個人番号 in the standard exchange format (`docs/exchange-format.md`,
//! `individual_numbers.csv.age`).
//!
//! `kiban export --recipient age1…` opens each stored version of each
//! person's number in the export's snapshot and writes the CSV of
//! [`INDIVIDUAL_NUMBERS`] straight into an age encryptor to that one X25519
//! recipient: the plaintext never touches the disk. `kiban import
//! --identity FILE` checks the file against the manifest and the identity
//! before anything is written, then streams it back through the decryptor
//! inside the import's transaction, checks every row (fields, check digit,
//! key, the person and movement it refers to) and seals each number again
//! under the target municipality's keys, bound to the target's rows. Any
//! problem rolls the whole import back. Messages name the file, the line
//! and the field, never a number.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::ProgressBar;
use kiban_core::IndividualNumber;
use kiban_exchange::standard::{
    ExchangeError, HashingReader, HashingWriter, INDIVIDUAL_NUMBERS, INDIVIDUAL_NUMBERS_FILE,
    Manifest, ManifestFile, Problem, References, TableReader, TableWriter, Value, ValueRef,
};
use kiban_registry::domain::{MovementId, PersonId};
use kiban_registry::storage::{
    NumberVersion, individual_number_versions, load_individual_number_versions,
};
use kiban_store::{Database, StoreError, TenantTx};
use sha2::{Digest, Sha256};

use crate::commands::CliError;

/// Versions read, or loaded, per statement.
const PAGE: usize = 5_000;

/// The receiving party's age X25519 public key (`--recipient`).
pub struct Recipient {
    key: age::x25519::Recipient,
    text: String,
}

impl Recipient {
    /// Parses `age1…`; anything else exits 2 naming `--recipient` (without
    /// repeating the value, which might be a secret key given by mistake).
    pub fn parse(text: &str) -> Result<Self, CliError> {
        let text = text.trim();
        age::x25519::Recipient::from_str(text)
            .map(|key| Self {
                key,
                text: text.to_owned(),
            })
            .map_err(|_| {
                CliError::invalid(
                    "--recipient: age の X25519 公開鍵（age1 で始まる文字列）ではありません",
                )
            })
    }

    /// The public key as given (`age1…`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key's fingerprint for the access log: `sha256:` and the SHA-256
    /// of the `age1…` text in hex.
    pub fn fingerprint(&self) -> String {
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(self.text.as_bytes()))
        )
    }
}

/// The receiving party's age identities (`--identity FILE`).
pub struct Identity(Vec<Box<dyn age::Identity + Send + Sync>>);

impl Identity {
    /// Reads an age identity file (`AGE-SECRET-KEY-1…` lines, `#`
    /// comments); a missing, unreadable or empty file exits 2 naming
    /// `--identity`. The file's contents never appear in messages.
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let at = || format!("--identity {}", path.display());
        let file = File::open(path)
            .map_err(|e| CliError::invalid(format!("{}: ファイルを読めません: {e}", at())))?;
        let identities = age::IdentityFile::from_buffer(BufReader::new(file))
            .map_err(|e| {
                CliError::invalid(format!(
                    "{}: age の秘密鍵ファイルとして読めません（{}）",
                    at(),
                    e.kind()
                ))
            })?
            .into_identities()
            .map_err(|_| {
                CliError::invalid(format!("{}: age の秘密鍵ファイルとして読めません", at()))
            })?;
        if identities.is_empty() {
            return Err(CliError::invalid(format!(
                "{}: age の秘密鍵（AGE-SECRET-KEY-1…）がありません",
                at()
            )));
        }
        Ok(Self(identities))
    }

    fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.0.iter().map(|i| i.as_ref() as &dyn age::Identity)
    }
}

/// Fails (exit 2) unless a master key is configured and opens the keys
/// already stored: 個人番号 are opened on export and sealed on import.
pub async fn require_master_key(db: &Database) -> Result<(), CliError> {
    if !db.has_master_key() {
        return Err(CliError::invalid(format!(
            "個人番号を出力・取り込みするには、この環境のマスター鍵が必要です: {}",
            StoreError::NoMasterKey.message().text()
        )));
    }
    match db.check_master_key().await {
        Ok(()) => Ok(()),
        Err(e @ StoreError::WrongMasterKey) => Err(CliError::invalid(e.message().text())),
        Err(e) => Err(e.into()),
    }
}

fn io_error(e: &std::io::Error) -> CliError {
    CliError::runtime(format!("{INDIVIDUAL_NUMBERS_FILE}: {e}"))
}

/// Writes `individual_numbers.csv.age` into `dir` from the export's
/// transaction: every stored version, in key order, encrypted to
/// `recipient`. Returns its manifest entry: the data rows of the CSV and
/// the SHA-256 of the encrypted file.
pub async fn export_numbers(
    tx: &mut TenantTx,
    dir: &Path,
    recipient: &Recipient,
    bar: &ProgressBar,
) -> Result<ManifestFile, CliError> {
    let path = dir.join(INDIVIDUAL_NUMBERS_FILE);
    let file = File::create(&path).map_err(|e| io_error(&e))?;
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient.key as &dyn age::Recipient))
            .map_err(|e| CliError::runtime(format!("{INDIVIDUAL_NUMBERS_FILE}: {e}")))?;
    let stream = encryptor
        .wrap_output(HashingWriter::new(BufWriter::new(file)))
        .map_err(|e| io_error(&e))?;
    let mut writer = TableWriter::new(&INDIVIDUAL_NUMBERS, stream).map_err(|e| io_error(&e))?;
    let mut after = None;
    loop {
        let page = individual_number_versions(tx, after, PAGE).await?;
        for v in &page {
            for value in [
                ValueRef::Int(i64::try_from(v.person_id.get()).unwrap_or(i64::MAX)),
                ValueRef::Int(v.version),
                ValueRef::Int(i64::try_from(v.movement_id.get()).unwrap_or(i64::MAX)),
                ValueRef::Text(v.number.as_str()),
                ValueRef::Text(&v.recorded_at),
            ] {
                writer.write_value(value).map_err(|e| io_error(&e))?;
            }
            writer.end_row().map_err(|e| io_error(&e))?;
        }
        bar.inc(page.len() as u64);
        if page.len() < PAGE {
            break;
        }
        after = page.last().map(|v| (v.person_id, v.version));
    }
    let (rows, stream) = writer.into_inner().map_err(|e| io_error(&e))?;
    let (buffered, sha256) = stream.finish().map_err(|e| io_error(&e))?.finish();
    buffered
        .into_inner()
        .map_err(|e| io_error(e.error()))?
        .sync_all()
        .map_err(|e| io_error(&e))?;
    Ok(ManifestFile {
        file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
        rows,
        sha256,
    })
}

fn refused(problem: Problem) -> CliError {
    numbers_error(None, None, problem)
}

fn numbers_error(line: Option<u64>, field: Option<&str>, problem: Problem) -> CliError {
    let e = ExchangeError {
        file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
        line,
        field: field.map(str::to_owned),
        problem,
    };
    CliError::invalid(format!("取り込めません: {}", e.message().text()))
}

fn undecryptable(reason: &str) -> CliError {
    CliError::invalid(format!(
        "取り込めません: {INDIVIDUAL_NUMBERS_FILE}: {reason}"
    ))
}

fn decrypt_error(e: &age::DecryptError) -> CliError {
    match e {
        age::DecryptError::NoMatchingKeys | age::DecryptError::KeyDecryptionFailed => {
            undecryptable(
                "--identity の秘密鍵では復号できません（この出力の受け取り手の鍵ではありません）",
            )
        }
        _ => undecryptable("復号できません（ファイルが壊れているか、改変されています）"),
    }
}

/// Checks, before anything is written, that the encrypted file is the one
/// the manifest lists (its SHA-256) and that `identity` opens it.
pub fn check_numbers_file(
    dir: &Path,
    manifest: &Manifest,
    identity: &Identity,
) -> Result<(), CliError> {
    let path = dir.join(INDIVIDUAL_NUMBERS_FILE);
    let open =
        || File::open(&path).map_err(|e| undecryptable(&format!("ファイルを開けません: {e}")));
    let mut hashing = HashingReader::new(BufReader::new(open()?));
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| io_error(&e))?;
    let listed = manifest
        .file(INDIVIDUAL_NUMBERS_FILE)
        .ok_or_else(|| refused(Problem::MissingFile))?;
    if listed.sha256 != hashing.finish() {
        return Err(refused(Problem::Digest));
    }
    let decryptor =
        age::Decryptor::new_buffered(BufReader::new(open()?)).map_err(|e| decrypt_error(&e))?;
    decryptor
        .decrypt(identity.iter())
        .map_err(|e| decrypt_error(&e))?;
    Ok(())
}

/// A reader that remembers whether the reader under it failed: a failed
/// read of the decrypted stream means the file was altered, which the CSV
/// reader above would only report as unreadable CSV.
struct Watched<R> {
    inner: R,
    failed: Arc<AtomicBool>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| {
            self.failed.store(true, Ordering::Relaxed);
        })
    }
}

fn int_at(row: &[Value], i: usize) -> i64 {
    match row.get(i) {
        Some(Value::Int(v)) => *v,
        _ => 0,
    }
}

/// Loads the numbers of `individual_numbers.csv.age` in the import's
/// transaction, after every entity file has been read (so that each row's
/// person and movement are known to `references`). Returns the rows
/// loaded.
pub async fn import_numbers(
    tx: &mut TenantTx,
    dir: &Path,
    manifest: &Manifest,
    identity: &Identity,
    references: &mut References,
    bar: &ProgressBar,
) -> Result<u64, CliError> {
    let path = dir.join(INDIVIDUAL_NUMBERS_FILE);
    let file =
        File::open(&path).map_err(|e| undecryptable(&format!("ファイルを開けません: {e}")))?;
    let decrypted = age::Decryptor::new_buffered(BufReader::with_capacity(1 << 20, file))
        .and_then(|d| d.decrypt(identity.iter()))
        .map_err(|e| decrypt_error(&e))?;
    let failed = Arc::new(AtomicBool::new(false));
    let watched = Watched {
        inner: decrypted,
        failed: Arc::clone(&failed),
    };
    let altered = |e: ExchangeError| {
        if failed.load(Ordering::Relaxed) {
            undecryptable("復号できません（ファイルが壊れているか、改変されています）")
        } else {
            CliError::invalid(format!("取り込めません: {}", e.message().text()))
        }
    };
    let mut reader = TableReader::new(&INDIVIDUAL_NUMBERS, watched).map_err(altered)?;
    // Each person's current number (the last version) and its line: two
    // persons may not hold the same current number.
    let mut current: std::collections::BTreeMap<u64, (IndividualNumber, u64)> =
        std::collections::BTreeMap::new();
    let mut batch: Vec<NumberVersion> = Vec::with_capacity(PAGE);
    let mut loaded = 0u64;
    while let Some(next) = reader.next_row() {
        let (line, row) = next.map_err(altered)?;
        references
            .check_row(&INDIVIDUAL_NUMBERS, line, &row)
            .map_err(|e| CliError::invalid(format!("取り込めません: {}", e.message().text())))?;
        let number = match row.get(3) {
            // Exactly 12 ASCII digits as written (no widths, spaces or
            // hyphens, which the parser would otherwise accept).
            Some(Value::Text(text))
                if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) =>
            {
                IndividualNumber::parse(text).ok()
            }
            _ => None,
        }
        .ok_or_else(|| {
            numbers_error(
                Some(line),
                Some("individual_number"),
                Problem::IndividualNumber,
            )
        })?;
        // Known persons and movements have non-negative numbers.
        let person = u64::try_from(int_at(&row, 0)).unwrap_or(0);
        let movement = u64::try_from(int_at(&row, 2)).unwrap_or(0);
        current.insert(person, (number.clone(), line));
        batch.push(NumberVersion {
            person_id: PersonId::new(person),
            version: int_at(&row, 1),
            movement_id: MovementId::new(movement),
            number,
            recorded_at: match row.get(4) {
                Some(Value::Text(t)) => t.clone(),
                _ => String::new(),
            },
        });
        if batch.len() >= PAGE {
            load_individual_number_versions(tx, &batch).await?;
            loaded += batch.len() as u64;
            bar.inc(batch.len() as u64);
            batch.clear();
        }
    }
    load_individual_number_versions(tx, &batch).await?;
    loaded += batch.len() as u64;
    bar.inc(batch.len() as u64);
    references.end_entity(&INDIVIDUAL_NUMBERS);
    let read = reader.finish().map_err(altered)?;
    if failed.load(Ordering::Relaxed) {
        return Err(undecryptable(
            "復号できません（ファイルが壊れているか、改変されています）",
        ));
    }
    let listed = manifest
        .file(INDIVIDUAL_NUMBERS_FILE)
        .ok_or_else(|| refused(Problem::MissingFile))?;
    if listed.rows != read.rows {
        return Err(refused(Problem::RowCount {
            expected: listed.rows,
            found: read.rows,
        }));
    }
    let mut holders: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for (person, (number, line)) in &current {
        if let Some(other) = holders.insert(number.as_str(), *person) {
            return Err(numbers_error(
                Some(*line),
                Some("individual_number"),
                Problem::SharedIndividualNumber(other),
            ));
        }
    }
    Ok(loaded)
}
