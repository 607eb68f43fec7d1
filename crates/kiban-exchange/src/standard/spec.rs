//! The one list of what the standard exchange format holds (移行データ
//! 標準フォーマットの定義): every exported entity with its fields, every
//! tenant table deliberately left out with the reason, and the code tables.
//!
//! A new business adds its tables here (and to `docs/exchange-format.md`);
//! a test reads the schema and fails while a table with a
//! `municipality_code` column is in neither [`ENTITIES`] nor [`EXCLUDED`].

/// The kind of value a field holds, and how it is written in the CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A whole number, in decimal without leading zeros or `+` (e.g. `-3`,
    /// `0`, `120`), from −2⁶³ to 2⁶³−1.
    Integer,
    /// A flag: `0` (no) or `1` (yes).
    Flag,
    /// Text (UTF-8).
    Text,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// An instant in RFC 3339 with its offset (Kiban writes UTC with
    /// microseconds, `2026-04-01T00:00:00.000000Z`).
    Timestamp,
    /// A JSON document (one value).
    Json,
    /// A code of the named code table ([`CODE_TABLES`]).
    Code(&'static str),
    /// Bytes (an image), written in Base64 (RFC 4648, standard alphabet,
    /// with padding).
    Binary,
}

impl FieldType {
    /// Whether the database column holds an integer (`INTEGER` / `BIGINT`).
    pub const fn is_integer_column(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Flag)
    }

    /// The type's name in the layout specification.
    pub const fn name(self) -> &'static str {
        match self {
            FieldType::Integer => "整数",
            FieldType::Flag => "フラグ(0/1)",
            FieldType::Text => "文字列",
            FieldType::Date => "日付",
            FieldType::Timestamp => "日時",
            FieldType::Json => "JSON",
            FieldType::Code(_) => "コード",
            FieldType::Binary => "バイナリ(Base64)",
        }
    }

    /// Whether the database column holds bytes (`BLOB` / `BYTEA`).
    pub const fn is_binary_column(self) -> bool {
        matches!(self, FieldType::Binary)
    }
}

/// One field (項目) of an entity: a column of its CSV file and of its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The column name (also the CSV header).
    pub column: &'static str,
    /// The Japanese name (項目名).
    pub name_ja: &'static str,
    /// Whether a value is required (必須); an empty field is NULL.
    pub required: bool,
    /// The type.
    pub ty: FieldType,
    /// The maximum length in characters (Unicode scalar values), for text.
    pub max_chars: usize,
    /// Whether the value may hold 外字 as Unicode with variation selectors
    /// (IVS, U+E0100–U+E01EF). Other fields must not contain them.
    pub ivs: bool,
    /// For a text that is never missing but may be empty (`''` in the
    /// table, e.g. a payer number when none was given): an empty field is
    /// the empty text, not NULL.
    pub empty_text: bool,
}

/// A reference from fields of one entity to the key of another (参照).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// The referring columns, in the order of the target's key.
    pub columns: &'static [&'static str],
    /// The file of the target entity.
    pub target: &'static str,
}

/// A column of the table that the export leaves out, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OmittedColumn {
    /// The column.
    pub column: &'static str,
    /// Why it is not exported.
    pub reason: &'static str,
    /// The text value written on import, when the column is `NOT NULL`
    /// without a default.
    pub import_value: Option<&'static str>,
}

/// How the rows of an entity are loaded on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// Inserted as they are.
    Rows,
    /// The access log: re-chained under the target municipality.
    AuditChain,
}

/// One exported entity (エンティティ): one CSV file, one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntitySpec {
    /// The file name, e.g. `persons.csv`.
    pub file: &'static str,
    /// The table.
    pub table: &'static str,
    /// The Japanese name.
    pub name_ja: &'static str,
    /// What one row is.
    pub description: &'static str,
    /// The fields, in file order.
    pub fields: &'static [FieldSpec],
    /// The key columns (unique within the municipality); rows are written in
    /// key order.
    pub key: &'static [&'static str],
    /// References to other entities.
    pub references: &'static [Reference],
    /// Table columns that are not exported.
    pub omitted: &'static [OmittedColumn],
    /// How the rows are loaded.
    pub load: Load,
}

impl EntitySpec {
    /// The position of a column among the fields.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.column == column)
    }

    /// The field positions of the key.
    pub fn key_positions(&self) -> Vec<usize> {
        self.key.iter().filter_map(|c| self.position(c)).collect()
    }
}

/// A tenant table that is not exported, and why (出力対象外).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExcludedTable {
    /// The table.
    pub table: &'static str,
    /// Why it is not exported.
    pub reason: &'static str,
}

/// A code table (コード表): the codes a field may hold, with their Japanese
/// labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeTable {
    /// The table's name, as [`FieldType::Code`] names it.
    pub name: &'static str,
    /// The Japanese name.
    pub name_ja: &'static str,
    /// (code, Japanese label).
    pub codes: &'static [(&'static str, &'static str)],
}

impl CodeTable {
    /// Whether `code` is in the table.
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|(c, _)| *c == code)
    }
}

/// The code table of a name.
pub fn code_table(name: &str) -> Option<&'static CodeTable> {
    CODE_TABLES.iter().find(|t| t.name == name)
}

/// The entity of a file.
pub fn entity(file: &str) -> Option<&'static EntitySpec> {
    ENTITIES.iter().find(|e| e.file == file)
}

/// The file that lists the code tables.
pub const CODE_TABLES_FILE: &str = "code_tables.csv";
/// The manifest.
pub const MANIFEST_FILE: &str = "manifest.json";

const fn field(
    column: &'static str,
    name_ja: &'static str,
    required: bool,
    ty: FieldType,
    max_chars: usize,
) -> FieldSpec {
    FieldSpec {
        column,
        name_ja,
        required,
        ty,
        max_chars,
        ivs: false,
        empty_text: false,
    }
}

/// A text field that may be empty but is never missing ([`FieldSpec::empty_text`]).
const fn empty_text(column: &'static str, name_ja: &'static str, max_chars: usize) -> FieldSpec {
    FieldSpec {
        column,
        name_ja,
        required: false,
        ty: FieldType::Text,
        max_chars,
        ivs: false,
        empty_text: true,
    }
}

const fn name_field(
    column: &'static str,
    name_ja: &'static str,
    required: bool,
    max_chars: usize,
) -> FieldSpec {
    FieldSpec {
        column,
        name_ja,
        required,
        ty: FieldType::Text,
        max_chars,
        ivs: true,
        empty_text: false,
    }
}

const INT: FieldType = FieldType::Integer;
const TEXT: FieldType = FieldType::Text;
const DATE: FieldType = FieldType::Date;
const TIMESTAMP: FieldType = FieldType::Timestamp;
/// The length limit of integers, dates and codes (not checked separately).
const N: usize = 64;

/// Every exported entity, in the order of loading (a referenced entity
/// before the entities whose database foreign keys need it).
pub const ENTITIES: &[EntitySpec] = &[
    EntitySpec {
        file: "number_sequences.csv",
        table: "number_sequences",
        name_ja: "採番状況",
        description: "団体ごとの番号（宛名番号・世帯番号・異動番号・利用履歴番号など）の次に払い出す値。",
        fields: &[
            field("sequence_name", "採番名", true, TEXT, 64),
            field("next_value", "次の値", true, INT, N),
        ],
        key: &["sequence_name"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "staff_accounts.csv",
        table: "staff_accounts",
        name_ja: "職員アカウント",
        description: "団体の職員のアカウント（パスワードを除く）。",
        fields: &[
            field("login", "ログイン名", true, TEXT, 64),
            name_field("display_name", "表示名", true, 100),
            field("role", "役割", true, FieldType::Code("staff_role"), N),
            field("disabled", "無効", true, FieldType::Flag, 1),
            field("created_at", "作成日時", true, TIMESTAMP, N),
        ],
        key: &["login"],
        references: &[],
        omitted: &[
            OmittedColumn {
                column: "password_hash",
                reason: "秘密情報（パスワードのハッシュ）は出力しない。取り込んだアカウントはパスワードが未設定で、新しいパスワードを設定するまでログインできない。",
                import_value: Some(""),
            },
            OmittedColumn {
                column: "failed_logins",
                reason: "ログイン失敗回数はこの環境の一時的な状態。取り込み時は 0。",
                import_value: None,
            },
            OmittedColumn {
                column: "locked_until",
                reason: "ロック期限はこの環境の一時的な状態。取り込み時は空。",
                import_value: None,
            },
            OmittedColumn {
                column: "totp_sealed_secret",
                reason: "二要素認証（TOTP）の秘密鍵は出力しない。取り込んだアカウントは二要素認証を登録し直す。",
                import_value: None,
            },
            OmittedColumn {
                column: "totp_enabled",
                reason: "同上（取り込み時は未登録 0）。",
                import_value: None,
            },
            OmittedColumn {
                column: "totp_last_step",
                reason: "同上（取り込み時は空）。",
                import_value: None,
            },
        ],
        load: Load::Rows,
    },
    EntitySpec {
        file: "movements.csv",
        table: "movements",
        name_ja: "異動",
        description: "住民記録の異動（転入・出生・転居・転出・死亡・世帯分離・職権修正・取消し）。住民記録の正本で、更新・削除されない。",
        fields: &[
            field("movement_id", "異動番号", true, INT, N),
            field(
                "kind",
                "異動事由",
                true,
                FieldType::Code("movement_kind"),
                N,
            ),
            field("event_date", "異動日", true, DATE, N),
            field("notified_on", "届出日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
            field("cancels_movement_id", "取消対象異動番号", false, INT, N),
            FieldSpec {
                column: "payload",
                name_ja: "異動内容",
                required: true,
                ty: FieldType::Json,
                max_chars: 1_000_000,
                ivs: true,
                empty_text: false,
            },
        ],
        key: &["movement_id"],
        references: &[Reference {
            columns: &["cancels_movement_id"],
            target: "movements.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "households.csv",
        table: "households",
        name_ja: "世帯",
        description: "世帯の現在の状態（異動から作られる検索用の写し）。",
        fields: &[
            field("household_id", "世帯番号", true, INT, N),
            field("head_person_id", "世帯主の宛名番号", false, INT, N),
            field("postal_code", "郵便番号", false, TEXT, 7),
            name_field("address_line", "住所", true, 200),
            name_field("katagaki", "方書", false, 200),
        ],
        key: &["household_id"],
        references: &[Reference {
            columns: &["head_person_id"],
            target: "persons.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "persons.csv",
        table: "persons",
        name_ja: "個人（住民票）",
        description: "住民・除票の現在の状態（異動から作られる検索用の写し）。",
        fields: &[
            field("person_id", "宛名番号", true, INT, N),
            field("household_id", "世帯番号", true, INT, N),
            field("resident_record_code", "住民票コード", true, TEXT, 11),
            name_field("name", "氏名", true, 100),
            name_field("name_search", "氏名（検索用）", true, 100),
            field("name_kana", "フリガナ", true, TEXT, 100),
            field("kana_key", "フリガナ（検索用）", true, TEXT, 100),
            field("birth_date", "生年月日", true, DATE, N),
            field("sex", "性別", true, FieldType::Code("sex"), N),
            field(
                "relationship",
                "続柄",
                true,
                FieldType::Code("relationship"),
                N,
            ),
            field("nationality", "国籍", true, TEXT, 2),
            field("status_of_residence", "在留資格", false, TEXT, 100),
            field("period_of_stay_until", "在留期間の満了の日", false, DATE, N),
            field("postal_code", "郵便番号", false, TEXT, 7),
            name_field("address_line", "住所", true, 200),
            name_field("katagaki", "方書", false, 200),
            field(
                "status",
                "住民状態",
                true,
                FieldType::Code("person_status"),
                N,
            ),
            field("resident_from", "住民となった年月日", true, DATE, N),
            field("removed_on", "消除日", false, DATE, N),
            field("last_movement_id", "最終異動番号", true, INT, N),
        ],
        key: &["person_id"],
        references: &[
            Reference {
                columns: &["household_id"],
                target: "households.csv",
            },
            Reference {
                columns: &["last_movement_id"],
                target: "movements.csv",
            },
        ],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "support_measures.csv",
        table: "support_measures",
        name_ja: "支援措置",
        description: "ＤＶ・ストーカー行為等・児童虐待等の被害者の支援措置（住所の非表示・証明書の交付制限）。期間つきで記録し、更新・削除しない。",
        fields: &[
            field("measure_id", "措置番号", true, INT, N),
            field("person_id", "宛名番号", true, INT, N),
            field(
                "reason",
                "事由",
                true,
                FieldType::Code("support_measure_reason"),
                N,
            ),
            field("starts_on", "開始日", true, DATE, N),
            field("ends_on", "終了予定日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["measure_id"],
        references: &[Reference {
            columns: &["person_id"],
            target: "persons.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "support_measure_ends.csv",
        table: "support_measure_ends",
        name_ja: "支援措置の終了",
        description: "支援措置を予定より早く終えた記録（措置ごとに1件まで）。",
        fields: &[
            field("measure_id", "措置番号", true, INT, N),
            field("ended_on", "終了日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["measure_id"],
        references: &[Reference {
            columns: &["measure_id"],
            target: "support_measures.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "certifier_settings.csv",
        table: "certifier_settings",
        name_ja: "認証者（市町村長）と公印",
        description: "証明書の認証者の職名・氏名と公印の画像。版ごとに記録し、最大の版が有効。",
        fields: &[
            field("version", "版", true, INT, N),
            name_field("mayor_title", "職名", true, 100),
            name_field("mayor_name", "氏名", true, 100),
            field(
                "official_seal_png",
                "公印画像（PNG）",
                false,
                FieldType::Binary,
                20_000_000,
            ),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["version"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "seal_registrations.csv",
        table: "seal_registrations",
        name_ja: "印鑑登録",
        description: "印鑑登録の申請1件ごと、印影の画像つき。状態の変化は seal_registration_states.csv。",
        fields: &[
            field("registration_id", "登録番号", true, INT, N),
            field("person_id", "宛名番号", true, INT, N),
            field(
                "procedure",
                "登録の手続",
                true,
                FieldType::Code("seal_procedure"),
                N,
            ),
            field(
                "impression_png",
                "印影画像（PNG）",
                true,
                FieldType::Binary,
                20_000_000,
            ),
            field("impression_sha256", "印影のSHA-256", true, TEXT, 64),
            field("applied_on", "申請日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["registration_id"],
        references: &[Reference {
            columns: &["person_id"],
            target: "persons.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "seal_registration_states.csv",
        table: "seal_registration_states",
        name_ja: "印鑑登録の状態",
        description: "印鑑登録の状態の変化（照会回答待ち・登録・廃止・失効・復活確認待ち）1件ごと。更新しない。",
        fields: &[
            field("registration_id", "登録番号", true, INT, N),
            field("version", "版", true, INT, N),
            field("status", "状態", true, FieldType::Code("seal_status"), N),
            field("change", "変更の内容", true, TEXT, 64),
            field("seal_card_number", "印鑑登録証の番号", false, TEXT, 64),
            field("reply_due_on", "回答期限", false, DATE, N),
            field("effective_on", "効力発生日", true, DATE, N),
            field(
                "source_event_id",
                "契機となった連携イベント番号",
                false,
                INT,
                N,
            ),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
            field("reason", "理由（復活・廃止確定）", false, TEXT, 200),
        ],
        key: &["registration_id", "version"],
        references: &[Reference {
            columns: &["registration_id"],
            target: "seal_registrations.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "seal_capacity_records.csv",
        table: "seal_capacity_records",
        name_ja: "印鑑登録の資格（成年被後見人）",
        description: "成年被後見人であるかどうかの記録（印鑑登録ができない）。版ごと。",
        fields: &[
            field("person_id", "宛名番号", true, INT, N),
            field("version", "版", true, INT, N),
            field("adult_ward", "成年被後見人", true, FieldType::Flag, 1),
            field("effective_on", "効力発生日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["person_id", "version"],
        references: &[Reference {
            columns: &["person_id"],
            target: "persons.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "certificates.csv",
        table: "certificates",
        name_ja: "証明書の交付履歴",
        description: "交付した証明書（住民票の写し・印鑑登録証明書など）1通ごと。",
        fields: &[
            field("certificate_id", "交付番号", true, INT, N),
            field("number_year", "証明書番号の年", true, INT, N),
            field("number_serial", "証明書番号の連番", true, INT, N),
            field("certificate_number", "証明書番号", true, TEXT, 64),
            field("kind", "証明書の種類", true, TEXT, 64),
            field("issued_on", "交付日", true, DATE, N),
            field("issued_at", "交付日時", true, TIMESTAMP, N),
            field("issued_by", "交付者", true, TEXT, 64),
            field("issued_by_role", "交付者の役割", true, TEXT, 64),
            field("household_id", "世帯番号", false, INT, N),
            field("seal_registration_id", "印鑑登録番号", false, INT, N),
            FieldSpec {
                column: "items",
                name_ja: "記載事項",
                required: true,
                ty: FieldType::Json,
                max_chars: 1_000_000,
                ivs: true,
                empty_text: false,
            },
            field("purpose", "利用目的", false, TEXT, 500),
            field("verification_code", "検証コード", true, TEXT, 64),
            field("sha256", "PDFのSHA-256", true, TEXT, 64),
            field("page_count", "ページ数", true, INT, N),
        ],
        key: &["certificate_id"],
        references: &[
            Reference {
                columns: &["household_id"],
                target: "households.csv",
            },
            Reference {
                columns: &["seal_registration_id"],
                target: "seal_registrations.csv",
            },
        ],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "certificate_persons.csv",
        table: "certificate_persons",
        name_ja: "証明書の対象者",
        description: "証明書に記載した個人（記載順）。",
        fields: &[
            field("certificate_id", "交付番号", true, INT, N),
            field("position", "記載順", true, INT, N),
            field("person_id", "宛名番号", true, INT, N),
        ],
        key: &["certificate_id", "position"],
        references: &[
            Reference {
                columns: &["certificate_id"],
                target: "certificates.csv",
            },
            Reference {
                columns: &["person_id"],
                target: "persons.csv",
            },
        ],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "movement_persons.csv",
        table: "movement_persons",
        name_ja: "異動対象者",
        description: "異動と、それが関わる個人の組。",
        fields: &[
            field("person_id", "宛名番号", true, INT, N),
            field("movement_id", "異動番号", true, INT, N),
        ],
        key: &["person_id", "movement_id"],
        references: &[
            Reference {
                columns: &["person_id"],
                target: "persons.csv",
            },
            Reference {
                columns: &["movement_id"],
                target: "movements.csv",
            },
        ],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "movement_households.csv",
        table: "movement_households",
        name_ja: "異動対象世帯",
        description: "異動と、それが関わる世帯の組。",
        fields: &[
            field("household_id", "世帯番号", true, INT, N),
            field("movement_id", "異動番号", true, INT, N),
        ],
        key: &["household_id", "movement_id"],
        references: &[
            Reference {
                columns: &["household_id"],
                target: "households.csv",
            },
            Reference {
                columns: &["movement_id"],
                target: "movements.csv",
            },
        ],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "outbox.csv",
        table: "outbox",
        name_ja: "庁内連携イベント",
        description: "他業務へ伝える出来事（転出・死亡など）。",
        fields: &[
            field("event_id", "イベント番号", true, INT, N),
            field(
                "event_kind",
                "イベント種別",
                true,
                FieldType::Code("event_kind"),
                N,
            ),
            field("movement_id", "異動番号", false, INT, N),
            FieldSpec {
                column: "payload",
                name_ja: "イベント内容",
                required: true,
                ty: FieldType::Json,
                max_chars: 1_000_000,
                ivs: true,
                empty_text: false,
            },
            field("created_at", "作成日時", true, TIMESTAMP, N),
        ],
        key: &["event_id"],
        references: &[Reference {
            columns: &["movement_id"],
            target: "movements.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "outbox_offsets.csv",
        table: "outbox_offsets",
        name_ja: "庁内連携の処理位置",
        description: "連携先ごとの、処理済みの最後のイベント番号。",
        fields: &[
            field("consumer", "連携先", true, TEXT, 64),
            field("last_event_id", "処理済みイベント番号", true, INT, N),
        ],
        key: &["consumer"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "audit_log.csv",
        table: "audit_log",
        name_ja: "利用履歴（アクセスログ）",
        description: "誰が・いつ・誰の情報を・何のために参照・更新したか。",
        fields: &[
            field("entry_id", "履歴番号", true, INT, N),
            field("at", "日時", true, TIMESTAMP, N),
            field("actor", "利用者", true, TEXT, 100),
            field("role", "役割", true, TEXT, 64),
            field("action", "操作", true, FieldType::Code("audit_action"), N),
            field("person_id", "対象者の宛名番号", false, INT, N),
            field("purpose", "利用目的", false, TEXT, 500),
            field("request_id", "要求ID", false, TEXT, 100),
            field("detail", "内容", true, TEXT, 2_000),
        ],
        key: &["entry_id"],
        references: &[],
        omitted: &[
            OmittedColumn {
                column: "prev_hash",
                reason: "ハッシュ連鎖は団体コードを含むため、取り込み先の団体コードで計算し直す。出力元の連鎖の末尾ハッシュは manifest.json の audit_chain.head_hash に記録し、取り込み時に照合する。",
                import_value: None,
            },
            OmittedColumn {
                column: "entry_hash",
                reason: "同上（取り込み先で計算し直す）。",
                import_value: None,
            },
        ],
        load: Load::AuditChain,
    },
    EntitySpec {
        file: "addressees.csv",
        table: "addressees",
        name_ja: "住登外者の宛名",
        description: "住民記録にない宛名（住登外者）1人ごと。宛名番号は住民の宛名番号と同じ番号体系で、重ならない。",
        fields: &[
            field("addressee_id", "宛名番号", true, INT, N),
            field(
                "kind",
                "宛名の種別",
                true,
                FieldType::Code("addressee_kind"),
                N,
            ),
            field("registered_at", "登録日時", true, TIMESTAMP, N),
            field("registered_by", "登録者", true, TEXT, 64),
        ],
        key: &["addressee_id"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "addressee_versions.csv",
        table: "addressee_versions",
        name_ja: "住登外者の宛名の版",
        description: "住登外者の基本4情報とフリガナの版（宛名基本情報更新履歴）。変更は新しい版で、前の版は残る。",
        fields: &[
            field("addressee_id", "宛名番号", true, INT, N),
            field("version_no", "版", true, INT, N),
            field("effective_date", "効力発生日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
            name_field("name", "氏名", true, 100),
            field("name_kana", "フリガナ", true, TEXT, 100),
            field("birth_date", "生年月日", true, DATE, N),
            field("sex", "性別", true, FieldType::Code("sex"), N),
            field("postal_code", "郵便番号", false, TEXT, 8),
            name_field("address_line", "住所", true, 200),
            name_field("katagaki", "方書", false, 200),
        ],
        key: &["addressee_id", "version_no"],
        references: &[Reference {
            columns: &["addressee_id"],
            target: "addressees.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "addressee_merges.csv",
        table: "addressee_merges",
        name_ja: "名寄せ履歴",
        description: "名寄せとその解除の記録。宛名ごとに最後の記録がいまの状態。宛名番号は住民（persons.csv）か住登外者（addressees.csv）のもの。",
        fields: &[
            field("record_no", "記録番号", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field("into_id", "名寄せ先の宛名番号", true, INT, N),
            field("action", "操作", true, FieldType::Code("merge_action"), N),
            field("reason", "理由", true, TEXT, 200),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["record_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "mailing_addresses.csv",
        table: "mailing_addresses",
        name_ja: "送付先・納税管理人・代納人",
        description: "業務ごとの送付先の設定1件ごと（有効期間つき）。後の記録が重なる期間について前の記録に優先する。",
        fields: &[
            field("record_no", "記録番号", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field(
                "business",
                "業務",
                true,
                FieldType::Code("mailing_business"),
                N,
            ),
            field("kind", "種別", true, FieldType::Code("mailing_kind"), N),
            name_field("name", "宛名（氏名・名称）", true, 100),
            field("postal_code", "郵便番号", false, TEXT, 8),
            name_field("address_line", "住所", true, 200),
            name_field("katagaki", "方書", false, 200),
            field("valid_from", "有効期間の初日", true, DATE, N),
            field("valid_until", "有効期間の末日", false, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["record_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "resident_tax_settings.csv",
        table: "resident_tax_settings",
        name_ja: "個人住民税の課税設定",
        description: "年度ごとの課税設定（税率・級地・納期限・端数単位・収納機関番号）の版。最新の版が有効。設定は resident-tax-v1 の PUT の形（既定値を補ったもの）。",
        fields: &[
            field("fiscal_year", "年度", true, INT, N),
            field("version_no", "版", true, INT, N),
            FieldSpec {
                column: "settings",
                name_ja: "設定内容",
                required: true,
                ty: FieldType::Json,
                max_chars: 10_000,
                ivs: false,
                empty_text: false,
            },
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["fiscal_year", "version_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "resident_tax_assessments.csv",
        table: "resident_tax_assessments",
        name_ja: "個人住民税の課税（課税台帳）",
        description: "個人の年度ごとの課税の版（1が当初課税、以後は更正）。計算は calc_input（calc-v1 resident-tax の入力）から calc-v1 で再現できる。installments は「期:納期限:税額」を ; で、monthly は6月から翌年5月までの月割額を , でつないだもの。",
        fields: &[
            field("fiscal_year", "年度", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field("version_no", "版", true, INT, N),
            field("assessed_on", "課税日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
            field("job_id", "ジョブ番号", false, INT, N),
            field(
                "collection",
                "徴収区分",
                true,
                FieldType::Code("resident_tax_collection"),
                N,
            ),
            field("total", "年税額", true, INT, N),
            field("special_total", "特別徴収税額", true, INT, N),
            field("ordinary_total", "普通徴収税額", true, INT, N),
            field(
                "non_taxable",
                "非課税区分",
                true,
                FieldType::Code("resident_tax_non_taxable"),
                N,
            ),
            field("payer_number", "特別徴収義務者指定番号", false, TEXT, 20),
            field("notice_number", "通知書番号", false, TEXT, 12),
            field("installments", "普通徴収の期別", true, TEXT, 1_000),
            field("monthly", "特別徴収の月割額", true, TEXT, 200),
            field("flags", "要確認の内容", true, TEXT, 200),
            FieldSpec {
                column: "calc_input",
                name_ja: "税額計算の入力",
                required: true,
                ty: FieldType::Json,
                max_chars: 100_000,
                ivs: false,
                empty_text: false,
            },
        ],
        key: &["fiscal_year", "addressee_id", "version_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "resident_tax_notice_numbers.csv",
        table: "resident_tax_notice_numbers",
        name_ja: "個人住民税の通知書番号",
        description: "人・年度ごとの納税通知書の番号（12桁。期別で共通）。",
        fields: &[
            field("fiscal_year", "年度", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field("notice_number", "通知書番号", true, TEXT, 12),
        ],
        key: &["fiscal_year", "addressee_id"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "resident_tax_reviews.csv",
        table: "resident_tax_reviews",
        name_ja: "個人住民税の要確認",
        description: "課税の版ごとの要確認の内容（所得情報の不整合など。課税はしたうえで確認を求めるもの）。",
        fields: &[
            field("fiscal_year", "年度", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field("version_no", "版", true, INT, N),
            field(
                "code",
                "要確認の内容",
                true,
                FieldType::Code("resident_tax_review"),
                N,
            ),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
        ],
        key: &["fiscal_year", "addressee_id", "version_no", "code"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "income_files.csv",
        table: "income_files",
        name_ja: "所得情報ファイル（個人住民税）",
        description: "取り込んだ所得情報ファイル（income-csv-v1）1件ごと。同じファイル（SHA-256 が同じ）は二度取り込まない。",
        fields: &[
            field("file_id", "ファイル番号", true, INT, N),
            field("fiscal_year", "年度", true, INT, N),
            field("digest", "SHA-256", true, TEXT, 64),
            field("row_count", "行数", true, INT, N),
            field("imported_at", "取込日時", true, TIMESTAMP, N),
            field("imported_by", "取込者", true, TEXT, 64),
        ],
        key: &["file_id"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "income_records.csv",
        table: "income_records",
        name_ja: "所得情報（個人住民税）",
        description: "所得情報1件（給与支払報告書・公的年金等支払報告書・申告の1行）、または突合での宛名への割当て1件（割り当てた行を元記録番号で指す）。更新しない。同じ宛名・資料の種類・支払者番号では元記録番号の大きい行が優先する。",
        fields: &[
            field("record_id", "記録番号", true, INT, N),
            field("fiscal_year", "年度", true, INT, N),
            field("origin_id", "元記録番号", true, INT, N),
            field("file_id", "ファイル番号", false, INT, N),
            field("row_no", "ファイルの行", false, INT, N),
            field("addressee_id", "宛名番号", false, INT, N),
            field(
                "status",
                "突合の状態",
                true,
                FieldType::Code("income_record_status"),
                N,
            ),
            empty_text("candidates", "候補の宛名番号", 100_000),
            field(
                "source",
                "資料の種類",
                true,
                FieldType::Code("income_source"),
                N,
            ),
            empty_text("payer_number", "支払者番号", 20),
            FieldSpec {
                column: "record",
                name_ja: "所得情報の内容",
                required: true,
                ty: FieldType::Json,
                max_chars: 1_000_000,
                ivs: true,
                empty_text: false,
            },
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", false, TEXT, 64),
        ],
        key: &["record_id"],
        references: &[Reference {
            columns: &["file_id"],
            target: "income_files.csv",
        }],
        omitted: &[
            OmittedColumn {
                column: "number_hash",
                reason: "個人番号の検索用の鍵付きハッシュは出力元の団体鍵によるもので、移行先では使えない。",
                import_value: None,
            },
            OmittedColumn {
                column: "number_sealed",
                reason: "資料に記載の個人番号は出力元の団体鍵で封かんしてあり、このままでは移せない（突合は済んでいるため、移行先では個人番号なしの所得情報として取り込む）。",
                import_value: None,
            },
        ],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_charges.csv",
        table: "collection_charges",
        name_ja: "調定（収納）",
        description: "宛名ごと・業務ごと・年度ごと・期別ごとの調定1件。延滞金の調定は発生元の調定の年度・通知書番号・期別を持ち、発生元を元調定番号で指す。調定額は collection_charge_amounts.csv の最新の版。",
        fields: &[
            field("charge_id", "調定番号", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field(
                "business",
                "業務",
                true,
                FieldType::Code("collection_business"),
                N,
            ),
            field("fiscal_year", "年度", true, INT, N),
            field("notice_number", "通知書番号", true, TEXT, 12),
            field("period", "期別", true, INT, N),
            field("due_date", "納期限", true, DATE, N),
            field("agency_code", "収納機関コード", true, TEXT, 5),
            field("origin_charge_id", "元調定番号", false, INT, N),
            field("source_event_id", "もとのイベント番号", false, INT, N),
            field("created_at", "記録日時", true, TIMESTAMP, N),
            field("created_by", "記録者", true, TEXT, 64),
        ],
        key: &["charge_id"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_charge_amounts.csv",
        table: "collection_charge_amounts",
        name_ja: "調定額の版",
        description: "調定額の変更1件（1が当初。更正による増減は次の版）。版の大きいものが有効。",
        fields: &[
            field("charge_id", "調定番号", true, INT, N),
            field("version_no", "版", true, INT, N),
            field("amount", "調定額", true, INT, N),
            field("effective_on", "変更日", true, DATE, N),
            field("source_event_id", "もとのイベント番号", false, INT, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
        ],
        key: &["charge_id", "version_no"],
        references: &[Reference {
            columns: &["charge_id"],
            target: "collection_charges.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_assessments.csv",
        table: "collection_assessments",
        name_ja: "調定に反映した課税の版",
        description: "業務の課税の版（当初・更正）のうち調定に反映したもの1件。同じ版のイベントを二度反映しないための記録。",
        fields: &[
            field(
                "business",
                "業務",
                true,
                FieldType::Code("collection_business"),
                N,
            ),
            field("fiscal_year", "年度", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field("version_no", "版", true, INT, N),
            field("event_id", "イベント番号", true, INT, N),
            field("applied_at", "反映日時", true, TIMESTAMP, N),
        ],
        key: &["business", "fiscal_year", "addressee_id", "version_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_payment_files.csv",
        table: "collection_payment_files",
        name_ja: "収納ファイル",
        description: "取り込んだ収納ファイル（convenience-store-v1・payments-csv-v1・zengin-transfer-result）1件ごと。同じファイル（SHA-256 が同じ）は二度取り込まない。",
        fields: &[
            field("file_id", "ファイル番号", true, INT, N),
            field("format", "形式", true, TEXT, 32),
            field("digest", "SHA-256", true, TEXT, 64),
            field("record_count", "レコード数", true, INT, N),
            field("imported_at", "取込日時", true, TIMESTAMP, N),
            field("imported_by", "取込者", true, TEXT, 64),
        ],
        key: &["file_id"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_payments.csv",
        table: "collection_payments",
        name_ja: "収納",
        description: "受け付けた納付1件（ファイルの1レコード）。更新しない。行き先は collection_allocations.csv。",
        fields: &[
            field("payment_id", "収納番号", true, INT, N),
            field("file_id", "ファイル番号", false, INT, N),
            field("record_no", "ファイルのレコード", false, INT, N),
            field("paid_on", "納付日", true, DATE, N),
            field("amount", "金額", true, INT, N),
            field("channel", "収納経路", true, TEXT, 32),
            field("store_code", "店舗コード", false, TEXT, 20),
            field("fingerprint", "重複判定キー", true, TEXT, 200),
            field("raw", "受け付けたレコード", true, TEXT, 1_000),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["payment_id"],
        references: &[Reference {
            columns: &["file_id"],
            target: "collection_payment_files.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_overpayments.csv",
        table: "collection_overpayments",
        name_ja: "過誤納金",
        description: "収納のうち調定に充てられなかった分（過誤納金）1件。額は collection_allocations.csv、充当は collection_appropriations.csv。",
        fields: &[
            field("overpayment_id", "過誤納金番号", true, INT, N),
            field("payment_id", "収納番号", true, INT, N),
            field("addressee_id", "宛名番号", true, INT, N),
            field("created_at", "記録日時", true, TIMESTAMP, N),
        ],
        key: &["overpayment_id"],
        references: &[Reference {
            columns: &["payment_id"],
            target: "collection_payments.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_suspense.csv",
        table: "collection_suspense",
        name_ja: "未消込",
        description: "調定の見つからない収納1件と理由。職員が調定に割り当てると collection_allocations.csv に戻しの行ができる。",
        fields: &[
            field("suspense_id", "未消込番号", true, INT, N),
            field("payment_id", "収納番号", true, INT, N),
            field("reason", "理由", true, TEXT, 32),
            field("created_at", "記録日時", true, TIMESTAMP, N),
        ],
        key: &["suspense_id"],
        references: &[Reference {
            columns: &["payment_id"],
            target: "collection_payments.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_allocations.csv",
        table: "collection_allocations",
        name_ja: "消込",
        description: "収納の金額を調定・過誤納金・未消込に充てた1件（充てた先から戻すときは負の額）。収納ごとの合計は収納の金額に等しい。",
        fields: &[
            field("payment_id", "収納番号", true, INT, N),
            field("line_no", "行番号", true, INT, N),
            field(
                "target_kind",
                "充当先の種類",
                true,
                FieldType::Code("collection_target"),
                N,
            ),
            field("target_id", "充当先の番号", true, INT, N),
            field("amount", "金額", true, INT, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["payment_id", "line_no"],
        references: &[Reference {
            columns: &["payment_id"],
            target: "collection_payments.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_appropriations.csv",
        table: "collection_appropriations",
        name_ja: "充当",
        description: "過誤納金を同じ宛名の未納の調定に充当した1件（減額で戻すときは負の額）。",
        fields: &[
            field("overpayment_id", "過誤納金番号", true, INT, N),
            field("line_no", "行番号", true, INT, N),
            field("charge_id", "調定番号", true, INT, N),
            field("amount", "金額", true, INT, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
        ],
        key: &["overpayment_id", "line_no"],
        references: &[
            Reference {
                columns: &["overpayment_id"],
                target: "collection_overpayments.csv",
            },
            Reference {
                columns: &["charge_id"],
                target: "collection_charges.csv",
            },
        ],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_settings.csv",
        table: "collection_settings",
        name_ja: "収納の設定",
        description: "団体の収納の設定（口座振替の委託者コード・委託者名・取引口座、督促手数料）の版1件。版の大きいものが有効。更新しない。",
        fields: &[
            field("version_no", "版", true, INT, N),
            field("consignor_code", "委託者コード", true, TEXT, 10),
            field(
                "consignor_name_kana",
                "委託者名（半角カナ）",
                true,
                TEXT,
                40,
            ),
            field("bank_code", "取引銀行番号", true, TEXT, 4),
            empty_text("bank_name_kana", "取引銀行名（半角カナ）", 15),
            field("branch_code", "取引支店番号", true, TEXT, 3),
            empty_text("branch_name_kana", "取引支店名（半角カナ）", 15),
            field("account_type", "預金種目", true, TEXT, 1),
            field("account_number", "口座番号", true, TEXT, 7),
            field("demand_fee", "督促手数料", true, INT, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["version_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_bank_accounts.csv",
        table: "collection_bank_accounts",
        name_ja: "口座振替の口座",
        description: "宛名の口座振替の口座の登録1件（適用開始日から、列挙した業務に）。ある日に有効なのは適用開始日がその日以前で最も遅い登録（同じ日なら版の大きいもの）。業務が空の登録は口座振替の廃止。更新しない。",
        fields: &[
            field("addressee_id", "宛名番号", true, INT, N),
            field("version_no", "版", true, INT, N),
            field("bank_code", "銀行番号", true, TEXT, 4),
            empty_text("bank_name_kana", "銀行名（半角カナ）", 15),
            field("branch_code", "支店番号", true, TEXT, 3),
            empty_text("branch_name_kana", "支店名（半角カナ）", 15),
            field("account_type", "預金種目", true, TEXT, 1),
            field("account_number", "口座番号", true, TEXT, 7),
            field("holder_kana", "預金者名（半角カナ）", true, TEXT, 30),
            empty_text("businesses", "振替する業務", 100),
            field("valid_from", "適用開始日", true, DATE, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["addressee_id", "version_no"],
        references: &[],
        omitted: &[],
        load: Load::Rows,
    },
    EntitySpec {
        file: "collection_demands.csv",
        table: "collection_demands",
        name_ja: "督促",
        description: "調定1件への督促（督促状の発付）。調定ごとに1回。督促日、その時の督促手数料と未納額。更新しない。",
        fields: &[
            field("charge_id", "調定番号", true, INT, N),
            field("demanded_on", "督促日", true, DATE, N),
            field("demand_fee", "督促手数料", true, INT, N),
            field("balance", "督促時の未納額", true, INT, N),
            field("recorded_at", "記録日時", true, TIMESTAMP, N),
            field("recorded_by", "記録者", true, TEXT, 64),
        ],
        key: &["charge_id"],
        references: &[Reference {
            columns: &["charge_id"],
            target: "collection_charges.csv",
        }],
        omitted: &[],
        load: Load::Rows,
    },
];

/// The file of the 個人番号 in an export made with a recipient (`kiban
/// export --recipient age1…`): the CSV of [`INDIVIDUAL_NUMBERS`],
/// encrypted with age to that recipient only. Its plaintext never touches
/// the disk.
pub const INDIVIDUAL_NUMBERS_FILE: &str = "individual_numbers.csv.age";

/// 個人番号 (特定個人情報): the layout of the CSV inside
/// [`INDIVIDUAL_NUMBERS_FILE`]. Not one of [`ENTITIES`]: it is written only
/// on request and only encrypted, and read only with the recipient's
/// identity. Errors name the encrypted file and the line of the CSV in it.
pub const INDIVIDUAL_NUMBERS: EntitySpec = EntitySpec {
    file: INDIVIDUAL_NUMBERS_FILE,
    table: "individual_numbers",
    name_ja: "個人番号",
    description: "個人番号（特定個人情報）の版ごとの記録。受け取る側の age の公開鍵でだけ復号できるよう暗号化して出力する（--recipient を指定したときだけ）。",
    fields: &[
        field("person_id", "宛名番号", true, INT, N),
        field("version", "版", true, INT, N),
        field("movement_id", "記録した異動の番号", true, INT, N),
        field("individual_number", "個人番号", true, TEXT, 12),
        field("recorded_at", "記録日時", true, TIMESTAMP, N),
    ],
    key: &["person_id", "version"],
    references: &[
        Reference {
            columns: &["person_id"],
            target: "persons.csv",
        },
        Reference {
            columns: &["movement_id"],
            target: "movements.csv",
        },
    ],
    omitted: &[
        OmittedColumn {
            column: "sealed_number",
            reason: "出力元の団体鍵で封かんした値は出力しない。ファイルには個人番号そのものを書き（ファイル全体を暗号化）、取り込み先で取り込み先の団体鍵により封かんし直す。",
            import_value: None,
        },
        OmittedColumn {
            column: "number_hash",
            reason: "検索用の鍵付きハッシュは出力元の団体鍵によるもので、取り込み先で計算し直す。",
            import_value: None,
        },
    ],
    load: Load::Rows,
};

/// Tenant tables that are deliberately not exported.
pub const EXCLUDED: &[ExcludedTable] = &[
    ExcludedTable {
        table: "resident_tax_dependent_claims",
        reason: "個人住民税の課税が扶養親族とした人の照合キー（氏名と生年月日）。同じ扶養親族を二人が申告していないかを調べるための派生データで、結果は resident_tax_reviews.csv にある。",
    },
    ExcludedTable {
        table: "addressee_index",
        reason: "宛名検索の索引（宛名ごとのいまの表示内容）は住民記録と住登外者の宛名から作り直せる派生データ。取り込み後にジョブ addressee-index で作り直す。",
    },
    ExcludedTable {
        table: "addressee_keys",
        reason: "宛名検索の照合キー（氏名・フリガナ・住所の正規化）は住民記録と住登外者の宛名から作り直せる派生データ。取り込み後にジョブ addressee-index で作り直す。",
    },
    ExcludedTable {
        table: "addressee_individual_numbers",
        reason: "住登外者の個人番号。出力元の団体鍵で封かんしてあり、このままでは移せない。住民の個人番号と同じ暗号化ファイルで移す対応は未実装（この版では移行先で改めて登録する）。",
    },
    ExcludedTable {
        table: "staff_tokens",
        reason: "APIトークンとログインセッションはこの環境の認証情報（秘密）であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "api_clients",
        reason: "システム連携クライアントはこの環境の認証情報（シークレットはこの環境の団体の鍵から導くもの）であり、団体のデータではない。移行先で利用側システムごとに改めて発行する。",
    },
    ExcludedTable {
        table: "api_access_tokens",
        reason: "システム連携クライアントのアクセストークンはこの環境の認証情報（秘密）であり、有効期間も短く、団体のデータではない。",
    },
    ExcludedTable {
        table: "api_client_assertions",
        reason: "使用済みのクライアントアサーション（jti）は再利用を防ぐためのこの環境の一時的な記録であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "job_plans",
        reason: "バッチの計画（いつどのジョブを実行するか）はこの環境の運用設定であり、業務のデータではない。移行先の製品の計画として改めて設定する。",
    },
    ExcludedTable {
        table: "job_plan_slots",
        reason: "計画からどの回の実行を登録したかの記録はこの環境の運用状態であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "outbox_dead_letters",
        reason: "庁内連携で処理できなかったイベントの一覧はこの環境の運用状態（イベント自体は outbox.csv にある）であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "tenant_keys",
        reason: "団体のデータ鍵はこの環境のマスター鍵で包んだ暗号鍵であり、出力しない。",
    },
    ExcludedTable {
        table: "individual_numbers",
        reason: "個人番号（特定個人情報）は平文の CSV には出力しない。--recipient（受け取る側の age の公開鍵）を指定した出力にだけ、その鍵で暗号化した individual_numbers.csv.age として含める（§4「individual_numbers.csv.age」）。",
    },
    ExcludedTable {
        table: "audit_log_persons",
        reason: "利用履歴の本人別索引であり、audit_log.csv から作り直せる。取り込み先で取り込んだ利用履歴から作る。",
    },
    ExcludedTable {
        table: "audit_log_indexed",
        reason: "利用履歴の本人別索引をどこまで作ったかの記録であり、取り込み先で索引とともに作り直す。",
    },
    ExcludedTable {
        table: "job_progress",
        reason: "実行中のジョブ（デモ生成・バッチ）の進み具合はこの環境の運用状態であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "jobs",
        reason: "バッチの実行記録はこの環境の運用状態であり、団体のデータではない。結果は業務のデータから作り直せる。",
    },
    ExcludedTable {
        table: "job_chunks",
        reason: "バッチの分割と進み具合はこの環境の運用状態であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "job_output_parts",
        reason: "バッチの途中結果は出力を作るための一時的なものであり、団体のデータではない。",
    },
    ExcludedTable {
        table: "job_outputs",
        reason: "バッチの出力ファイル（統計表・通知書など）は業務のデータから作った写しであり、移行先で作り直す。個人情報を含むものもあり、交換形式には載せない。",
    },
    ExcludedTable {
        table: "job_errors",
        reason: "バッチの対象ごとのエラーはこの環境の実行記録であり、団体のデータではない。",
    },
    ExcludedTable {
        table: "webhook_allowed_hosts",
        reason: "Webhook の送信先として許可したホストはこの環境の接続設定であり、移行先の網構成に合わせて改めて許可する。",
    },
    ExcludedTable {
        table: "webhooks",
        reason: "Webhook（送信先・種類・配信位置）はこの環境の連携設定であり、署名の秘密鍵を含む（出力すれば秘密が漏れ、除けば署名できない）。移行先で送信先ごとに新しい秘密鍵で登録し直す。配信済みのイベントは outbox.csv にある。",
    },
    ExcludedTable {
        table: "webhook_deliveries",
        reason: "Webhook の配信の試行の記録はこの環境の運用記録であり、団体のデータではない。",
    },
];

/// The code tables of the format (`code_tables.csv`).
pub const CODE_TABLES: &[CodeTable] = &[
    CodeTable {
        name: "sex",
        name_ja: "性別",
        codes: &[("male", "男"), ("female", "女")],
    },
    CodeTable {
        name: "relationship",
        name_ja: "続柄",
        codes: &[
            ("head", "世帯主"),
            ("spouse", "妻・夫"),
            ("child", "子"),
            ("parent", "父・母"),
            ("other_relative", "その他の親族"),
            ("cohabitant", "同居人"),
        ],
    },
    CodeTable {
        name: "person_status",
        name_ja: "住民状態",
        codes: &[
            ("resident", "住民"),
            ("moved_out", "転出（除票）"),
            ("deceased", "死亡（除票）"),
        ],
    },
    CodeTable {
        name: "movement_kind",
        name_ja: "異動事由",
        codes: &[
            ("move_in", "転入"),
            ("birth", "出生"),
            ("address_change", "転居"),
            ("move_out", "転出"),
            ("death", "死亡"),
            ("household_split", "世帯分離"),
            ("ex_officio_correction", "職権修正"),
            ("cancellation", "異動の取消し"),
        ],
    },
    CodeTable {
        name: "event_kind",
        name_ja: "庁内連携イベント種別",
        codes: &[
            ("resident_moved_in", "転入"),
            ("resident_born", "出生"),
            ("resident_address_changed", "転居"),
            ("resident_moved_out", "転出"),
            ("resident_died", "死亡"),
            ("household_changed", "世帯変更"),
            ("resident_record_corrected", "住民票の修正"),
            ("movement_cancelled", "異動の取消し"),
            ("addressee_registered", "住登外者の宛名登録"),
            ("addressee_changed", "宛名の変更（住登外者・送付先）"),
            ("addressee_merged", "名寄せ"),
            ("addressee_unmerged", "名寄せの解除"),
            (
                "resident_tax_assessed",
                "個人住民税の課税（当初課税・更正）",
            ),
        ],
    },
    CodeTable {
        name: "resident_tax_collection",
        name_ja: "個人住民税の徴収区分",
        codes: &[
            ("special", "特別徴収"),
            ("ordinary", "普通徴収"),
            ("mixed", "特別徴収と普通徴収の併用"),
        ],
    },
    CodeTable {
        name: "resident_tax_non_taxable",
        name_ja: "個人住民税の非課税区分",
        codes: &[
            ("none", "課税"),
            ("income_levy", "所得割のみ非課税"),
            ("all", "非課税（均等割・所得割とも）"),
        ],
    },
    CodeTable {
        name: "resident_tax_review",
        name_ja: "個人住民税の要確認の内容",
        codes: &[
            ("spouse_differs", "所得情報により配偶者が異なる"),
            ("dependent_is_spouse", "配偶者が扶養親族にも記載されている"),
            (
                "widow_and_single_parent",
                "寡婦とひとり親の両方が記載されている",
            ),
            (
                "dependent_claimed_twice",
                "同じ扶養親族が他の納税義務者にも記載されている",
            ),
            ("birth_date_differs", "所得情報の生年月日が宛名と異なる"),
        ],
    },
    CodeTable {
        name: "collection_business",
        name_ja: "収納の業務",
        codes: &[
            ("resident_tax", "個人住民税"),
            ("fixed_asset_tax", "固定資産税"),
            ("light_vehicle_tax", "軽自動車税"),
            ("nhi_tax", "国民健康保険税"),
            ("late_fee", "延滞金"),
        ],
    },
    CodeTable {
        name: "collection_target",
        name_ja: "消込の充当先",
        codes: &[
            ("charge", "調定"),
            ("overpayment", "過誤納金"),
            ("suspense", "未消込"),
        ],
    },
    CodeTable {
        name: "audit_action",
        name_ja: "利用履歴の操作",
        codes: &[
            ("read", "参照"),
            ("change", "更新"),
            ("reveal", "個人番号表示"),
            ("export", "出力"),
            ("print", "印刷"),
            ("refused", "拒否"),
            ("bulk_register", "一括登録"),
        ],
    },
    CodeTable {
        name: "support_measure_reason",
        name_ja: "支援措置の事由",
        codes: &[
            ("domestic_violence", "ＤＶ"),
            ("stalking", "ストーカー行為等"),
            ("child_abuse", "児童虐待等"),
            ("other", "その他"),
        ],
    },
    CodeTable {
        name: "seal_procedure",
        name_ja: "印鑑登録の手続",
        codes: &[
            ("identity_verified", "本人確認による登録"),
            ("inquiry", "照会による登録"),
        ],
    },
    CodeTable {
        name: "seal_status",
        name_ja: "印鑑登録の状態",
        codes: &[
            ("awaiting_reply", "照会回答待ち"),
            ("registered", "登録"),
            ("abolished", "廃止"),
            ("expired", "失効"),
            ("restoration_review", "転出取消により復活確認待ち"),
        ],
    },
    CodeTable {
        name: "staff_role",
        name_ja: "職員の役割",
        codes: &[
            ("municipality_admin", "団体管理者"),
            ("registry_clerk", "住民記録担当"),
            ("tax_clerk", "税務担当"),
            ("nhi_clerk", "国保担当"),
            ("supervisor", "監督者"),
            ("auditor", "監査担当"),
        ],
    },
    CodeTable {
        name: "addressee_kind",
        name_ja: "宛名の種別",
        codes: &[("non_resident", "住登外者")],
    },
    CodeTable {
        name: "merge_action",
        name_ja: "名寄せの操作",
        codes: &[("merge", "名寄せ"), ("unmerge", "名寄せ解除")],
    },
    CodeTable {
        name: "mailing_business",
        name_ja: "送付先の業務",
        codes: &[
            ("resident_tax", "個人住民税"),
            ("fixed_asset_tax", "固定資産税"),
            ("light_vehicle_tax", "軽自動車税"),
            ("collection", "収納・滞納"),
            ("nhi", "国民健康保険"),
            ("all", "全業務共通"),
        ],
    },
    CodeTable {
        name: "mailing_kind",
        name_ja: "送付先の種別",
        codes: &[
            ("mailing", "送付先"),
            ("tax_agent", "納税管理人"),
            ("payer_proxy", "代納人"),
        ],
    },
    CodeTable {
        name: "income_source",
        name_ja: "所得情報の資料の種類",
        codes: &[
            ("salary_report", "給与支払報告書"),
            ("pension_report", "公的年金等支払報告書"),
            ("declaration", "申告"),
        ],
    },
    CodeTable {
        name: "income_record_status",
        name_ja: "所得情報の突合の状態",
        codes: &[
            ("matched", "一致"),
            ("unmatched", "不一致（突合待ち）"),
            ("ambiguous", "複数一致（突合待ち）"),
            ("assigned", "突合で割当て"),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_consistent() {
        let mut files: Vec<_> = ENTITIES.iter().map(|e| e.file).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), ENTITIES.len());
        for (i, e) in ENTITIES.iter().enumerate() {
            assert_eq!(e.key_positions().len(), e.key.len(), "{}", e.file);
            for r in e.references {
                assert!(entity(r.target).is_some(), "{} → {}", e.file, r.target);
                for c in r.columns {
                    assert!(e.position(c).is_some(), "{}.{c}", e.file);
                }
            }
            for f in e.fields {
                if let FieldType::Code(t) = f.ty {
                    assert!(code_table(t).is_some(), "{}.{} → {t}", e.file, f.column);
                }
            }
            assert!(!EXCLUDED.iter().any(|x| x.table == e.table));
            assert!(ENTITIES[..i].iter().all(|o| o.table != e.table));
        }
    }
}
