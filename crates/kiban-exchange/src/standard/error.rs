//! Why a standard export cannot be imported: the file, the line and the
//! field at fault, and what is wrong there.

/// A problem found in an export (取込エラー), naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}: {problem}", file, line.map(|l| format!(" {l}行目")).unwrap_or_default(), field.as_ref().map(|f| format!(" 項目 {f}")).unwrap_or_default())]
pub struct ExchangeError {
    /// The file (e.g. `persons.csv`, `manifest.json`).
    pub file: String,
    /// The 1-based line in the file, when one line is at fault.
    pub line: Option<u64>,
    /// The field (column name, or manifest key), when one field is at fault.
    pub field: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong (with a Japanese message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A file listed by the format is missing from the directory.
    #[error("ファイルがありません")]
    MissingFile,
    /// The manifest lists a file the format does not know.
    #[error("この形式にないファイルです")]
    UnknownFile,
    /// The manifest lists a file twice.
    #[error("マニフェストに2回記載されています")]
    DuplicateFile,
    /// The manifest is not the JSON document of the format.
    #[error("マニフェストとして読めません: {0}")]
    Manifest(String),
    /// The format or its version is not the one this version reads.
    #[error("形式 {found} には対応していません（{expected} のみ）")]
    Format {
        /// What this version reads.
        expected: String,
        /// What the manifest says.
        found: String,
    },
    /// The row count differs from the manifest's.
    #[error("行数 {found} がマニフェストの {expected} と一致しません")]
    RowCount {
        /// The manifest's count.
        expected: u64,
        /// The count in the file.
        found: u64,
    },
    /// The SHA-256 differs from the manifest's.
    #[error("SHA-256 がマニフェストと一致しません（ファイルが変更されています）")]
    Digest,
    /// The bytes are not UTF-8.
    #[error("UTF-8 として読めません")]
    NotUtf8,
    /// The CSV cannot be read.
    #[error("CSV として読めません: {0}")]
    Csv(String),
    /// The header is not the entity's column list.
    #[error("見出し行が違います（{expected} であること）")]
    Header {
        /// The expected header.
        expected: String,
    },
    /// A record has the wrong number of fields.
    #[error("項目数が {found} です（{expected} であること）")]
    FieldCount {
        /// The entity's field count.
        expected: u64,
        /// The record's.
        found: u64,
    },
    /// A required field is empty.
    #[error("必須項目が空です")]
    Required,
    /// Text longer than the field allows.
    #[error("{found} 文字あります（最大 {max} 文字）")]
    TooLong {
        /// The limit.
        max: usize,
        /// The length found.
        found: usize,
    },
    /// A control character (line break, tab, …) in text.
    #[error("制御文字 U+{0:04X} は使えません")]
    ControlCharacter(u32),
    /// A private-use character in a field that may not hold 外字.
    #[error("私用領域の文字 U+{0:04X} は使えません（外字は標準の文字と異体字セレクタで表します）")]
    PrivateUse(u32),
    /// A variation selector in a field that may not hold IVS.
    #[error("この項目には異体字セレクタ U+{0:04X} は使えません")]
    VariationSelector(u32),
    /// Not a canonical integer.
    #[error("整数ではありません（先頭の 0 や + は使えません）")]
    NotInteger,
    /// Not `0` or `1`.
    #[error("0 か 1 でなければなりません")]
    NotFlag,
    /// Not a date `YYYY-MM-DD` that exists.
    #[error("YYYY-MM-DD 形式の存在する日付ではありません")]
    NotDate,
    /// Not an RFC 3339 timestamp.
    #[error("RFC 3339 形式の日時ではありません")]
    NotTimestamp,
    /// Not JSON.
    #[error("JSON として読めません: {0}")]
    NotJson(String),
    /// Not canonical Base64.
    #[error("Base64（標準の文字、= で埋める）ではありません")]
    NotBase64,
    /// A code outside its code table.
    #[error("コード {code} はコード表 {table} にありません")]
    UnknownCode {
        /// The code table.
        table: &'static str,
        /// The code found.
        code: String,
    },
    /// The key of an earlier row again.
    #[error("キーが重複しています（{0}）")]
    DuplicateKey(String),
    /// A reference to a row that does not exist.
    #[error("{target} に {key} がありません")]
    UnknownReference {
        /// The target file.
        target: &'static str,
        /// The key referred to.
        key: String,
    },
    /// The access log is not numbered 1, 2, 3, … in order.
    #[error("利用履歴の番号が 1 からの連番ではありません（{expected} であること）")]
    AuditGap {
        /// The number expected.
        expected: i64,
    },
    /// Not a 個人番号 (12 digits whose check digit matches). The value is
    /// never repeated.
    #[error("個人番号として正しくありません（12桁の数字で、検査数字が合うこと）")]
    IndividualNumber,
    /// The current 個人番号 of another person too.
    #[error("宛名番号 {0} の現在の個人番号と同じ番号です（同じ個人番号は1人にだけ）")]
    SharedIndividualNumber(u64),
    /// The access log does not give the chain head of the manifest.
    #[error(
        "利用履歴のハッシュ連鎖の末尾がマニフェストの audit_chain.head_hash と一致しません（履歴が変更されています）"
    )]
    AuditChain,
}
