//! The standard exchange format (移行データ標準フォーマット): everything a
//! municipality owns, as a directory of UTF-8 CSV files (RFC 4180), one per
//! entity, with `manifest.json` (format version, municipality, time, each
//! file's row count and SHA-256) and `code_tables.csv`. Documented for
//! other vendors in `docs/exchange-format.md`.
//!
//! - [`spec`]: the one list of exported entities ([`ENTITIES`]), of tenant
//!   tables left out with their reason ([`EXCLUDED`]) and of the code tables.
//! - [`TableWriter`] / [`TableReader`]: one file, every field checked, errors
//!   naming file, line and field ([`ExchangeError`]).
//! - [`References`]: keys and references across files.
//! - [`read_export`]: the whole check of an export in memory (fuzzed).
//!
//! Like the rest of this crate it does no IO of its own: it writes to and
//! reads from what the caller gives it; the command line moves the rows to
//! and from the database.

mod error;
mod manifest;
pub mod spec;
mod table;
mod validate;

pub use error::{ExchangeError, Problem};
pub use manifest::{
    AuditChain, EncryptedNumbers, FORMAT_NAME, FORMAT_VERSION, INDIVIDUAL_NUMBERS_ENCRYPTION,
    IndividualNumbers, LeftOut, Manifest, ManifestFile,
};
pub use spec::{
    CODE_TABLES, CODE_TABLES_FILE, CodeTable, ENTITIES, EXCLUDED, EntitySpec, ExcludedTable,
    FieldSpec, FieldType, INDIVIDUAL_NUMBERS, INDIVIDUAL_NUMBERS_FILE, Load, MANIFEST_FILE,
    OmittedColumn, Reference,
};
pub use table::{
    HashingReader, HashingWriter, TableReader, TableWriter, Value, ValueRef, WrittenFile,
    decode_binary, encode_binary, parse_field, write_code_tables,
};
pub use validate::{
    References, ValidatedExport, check_against_manifest, read_code_tables, read_export,
};
