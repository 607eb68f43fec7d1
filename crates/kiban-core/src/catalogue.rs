//! The error catalogue: every stable error code ([`ErrorCode`]) that the API
//! and the screens answer, and every Japanese message ([`Message`]) shown to
//! clerks, in one place.
//!
//! Domain and storage errors keep English `Display`s (for logs and
//! developers); each exposes a [`Message`] (`fn message(&self)`), an entry of
//! this catalogue with its parameters filled in by name. The web layer
//! answers `{"error": {"code", "message", "field"}}` with the entry's code,
//! status and [`Message::text`]; the CLI prints the same text.
//!
//! An entry is one line of the `catalogue!` table below: its name and named
//! parameters, its code, the HTTP status the API answers with, and the
//! Japanese template (parameters written `{name}`). Some codes have several
//! messages (`missing_field` names different fields in different words);
//! a code answered with two statuses (`not_resident`: 422 for a seal
//! application, 409 for a movement) has an entry for each.
//! `docs/API-DESIGN.md` lists the table; a test of `kiban-web` regenerates it.

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $name:ident = $code:literal, )*) => {
        /// A stable snake_case error code of the API (`error.code`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$( ErrorCode::$name, )*];

            /// The code as written on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => $code, )*
                }
            }

            /// The code written `code`, if there is one.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $( $code => Some(ErrorCode::$name), )*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// The request body is not JSON.
    MalformedJson = "malformed_json",
    /// The query string cannot be read.
    MalformedQuery = "malformed_query",
    /// No or wrong credentials.
    Unauthorized = "unauthorized",
    /// The principal may not do this.
    Forbidden = "forbidden",
    /// No such resource (in this municipality).
    NotFound = "not_found",
    /// Too many failed logins.
    TooManyAttempts = "too_many_attempts",
    /// A system client's access token lacks every scope the operation
    /// accepts.
    InsufficientScope = "insufficient_scope",
    /// Too many requests from one address.
    RateLimited = "rate_limited",
    /// The service has no master key.
    MasterKeyNotConfigured = "master_key_not_configured",
    /// An internal failure (logged).
    InternalError = "internal_error",
    /// A required member is missing.
    MissingField = "missing_field",
    /// A member of the wrong JSON type.
    InvalidType = "invalid_type",
    /// A member whose value is not acceptable.
    InvalidValue = "invalid_value",
    /// A member that the operation does not know.
    UnknownField = "unknown_field",
    /// A date that cannot be read.
    InvalidDate = "invalid_date",
    /// A period whose start is after its end.
    InvalidPeriod = "invalid_period",
    /// A 利用目的 that is too short, too long or not one line.
    InvalidPurpose = "invalid_purpose",
    /// An empty list.
    EmptyList = "empty_list",
    /// A malformed 個人番号.
    InvalidIndividualNumber = "invalid_individual_number",
    /// The login is taken.
    Duplicate = "duplicate",
    /// A wrong or reused 確認コード.
    InvalidOtp = "invalid_otp",
    /// The second factor is already enrolled.
    AlreadyEnrolled = "already_enrolled",
    /// The role needs a second factor that the account has not enrolled.
    SecondFactorEnrolmentRequired = "second_factor_enrolment_required",
    /// A calculation kind that does not exist.
    UnknownCalculation = "unknown_calculation",
    /// A fiscal year outside the rule data.
    UnsupportedFiscalYear = "unsupported_fiscal_year",
    /// The compiled-in rule data is broken.
    RuleDataInvalid = "rule_data_invalid",
    /// 異動日 in the future.
    EventInFuture = "event_in_future",
    /// 届出日 in the future.
    NotifiedInFuture = "notified_in_future",
    /// 届出日 before 異動日.
    NotifiedBeforeEvent = "notified_before_event",
    /// 生年月日 after 異動日.
    BornAfterEvent = "born_after_event",
    /// 出生 dated otherwise than the birth.
    BirthDateMismatch = "birth_date_mismatch",
    /// 在留資格 missing.
    MissingStatusOfResidence = "missing_status_of_residence",
    /// 在留期間 missing.
    MissingPeriodOfStay = "missing_period_of_stay",
    /// 在留資格 for a Japanese national.
    ForeignFieldsForJapanese = "foreign_fields_for_japanese",
    /// 在留期間 expired.
    PeriodOfStayExpired = "period_of_stay_expired",
    /// 在留期間 for a permanent resident.
    PeriodOfStayForPermanent = "period_of_stay_for_permanent",
    /// Not exactly one head.
    HeadCount = "head_count",
    /// A joining person made head.
    HeadWhenJoining = "head_when_joining",
    /// No persons.
    NoPersons = "no_persons",
    /// A person named twice.
    DuplicatePerson = "duplicate_person",
    /// A correction that changes nothing.
    NoChanges = "no_changes",
    /// New head outside the split group.
    NewHeadNotInGroup = "new_head_not_in_group",
    /// New head among those leaving.
    NewHeadLeaving = "new_head_leaving",
    /// Not a resident.
    NotResident = "not_resident",
    /// The 個人番号 is another person's.
    IndividualNumberInUse = "individual_number_in_use",
    /// Already a resident.
    AlreadyResident = "already_resident",
    /// Deceased.
    Deceased = "deceased",
    /// Before the birth.
    BeforeBirth = "before_birth",
    /// The household does not exist on the day.
    HouseholdNotActive = "household_not_active",
    /// Address differs from the household's.
    AddressDiffersFromHousehold = "address_differs_from_household",
    /// A new head must be named.
    NewHeadRequired = "new_head_required",
    /// New head not among those staying.
    NewHeadNotRemaining = "new_head_not_remaining",
    /// New head named needlessly.
    NewHeadNotNeeded = "new_head_not_needed",
    /// Persons of different households.
    DifferentHouseholds = "different_households",
    /// The whole household split.
    WholeHouseholdSplit = "whole_household_split",
    /// The head splits off without leading.
    SplitHeadMustLead = "split_head_must_lead",
    /// The remaining household's head is undecided.
    RemainingHeadUndecided = "remaining_head_undecided",
    /// No such movement.
    MovementNotFound = "movement_not_found",
    /// Already cancelled.
    AlreadyCancelled = "already_cancelled",
    /// A cancellation of a cancellation.
    CancelCancellation = "cancel_cancellation",
    /// A cancellation before its movement.
    CancellationBeforeMovement = "cancellation_before_movement",
    /// No 住民票コード left.
    ResidentRecordCodeUnavailable = "resident_record_code_unavailable",
    /// A later movement would break.
    BreaksLaterMovement = "breaks_later_movement",
    /// Under 15 (印鑑登録).
    UnderMinimumAge = "under_minimum_age",
    /// An adult ward (印鑑登録).
    AdultWard = "adult_ward",
    /// Already registered (印鑑登録).
    AlreadyRegistered = "already_registered",
    /// The impression image is not acceptable.
    InvalidImpression = "invalid_impression",
    /// Not awaiting the reply.
    NotAwaitingReply = "not_awaiting_reply",
    /// The reply is overdue.
    ReplyOverdue = "reply_overdue",
    /// Not registered.
    NotRegistered = "not_registered",
    /// Already abolished.
    AlreadyAbolished = "already_abolished",
    /// Unknown 印鑑登録証.
    UnknownSealCard = "unknown_seal_card",
    /// 印鑑登録証 no longer valid.
    SealCardInvalid = "seal_card_invalid",
    /// Not under review.
    NotUnderReview = "not_under_review",
    /// An item a certificate cannot show.
    InvalidItem = "invalid_item",
    /// 個人番号 may not be printed.
    IndividualNumberNotPermitted = "individual_number_not_permitted",
    /// An item the registry does not hold.
    ItemNotHeld = "item_not_held",
    /// A person who cannot be certified.
    NotCertifiable = "not_certifiable",
    /// No certifier configured.
    CertifierNotConfigured = "certifier_not_configured",
    /// A protected person (支援措置).
    ProtectedPerson = "protected_person",
    /// A certificate that cannot be printed.
    Unprintable = "unprintable",
    /// A support measure already ended.
    AlreadyEnded = "already_ended",
    /// No such job kind.
    UnknownJob = "unknown_job",
    /// A job parameter not acceptable.
    InvalidParam = "invalid_param",
    /// A plan entry not acceptable.
    InvalidPlan = "invalid_plan",
    /// A dead letter that is not parked.
    NotParked = "not_parked",
    /// A retry that failed again.
    RetryFailed = "retry_failed",
    /// A webhook's URL whose host is not on the municipality's allow-list.
    HostNotAllowed = "host_not_allowed",
    /// A webhook's receiver did not take an event (recorded with the attempt).
    DeliveryFailed = "delivery_failed",
    /// An import (standard export, legacy extract, 外字 map) that cannot be read.
    ImportInvalid = "import_invalid",
    /// The printing engine failed (fonts, layout, PDF).
    PrintFailed = "print_failed",
    /// The 基本4情報 match an existing addressee.
    PossibleDuplicate = "possible_duplicate",
    /// A search without any criterion.
    MissingCriteria = "missing_criteria",
    /// A resident's record is changed through the registry's movements.
    ChangedThroughRegistry = "changed_through_registry",
    /// A merge of an addressee into itself.
    MergeIntoSelf = "merge_into_self",
    /// A merge of an addressee already merged.
    AlreadyMerged = "already_merged",
    /// A merge that would make a chain.
    MergeChain = "merge_chain",
    /// An unmerge of an addressee that is not merged.
    NotMerged = "not_merged",
    /// A merge target that is not an addressee of this municipality.
    MergeTargetNotFound = "merge_target_not_found",
    /// A change that changes nothing.
    NothingToChange = "nothing_to_change",
    /// A payment in suspense that was assigned to a charge already.
    AlreadyAssigned = "already_assigned",
    /// The database failed.
    DatabaseError = "database_error",
    /// The database's schema is not the one this binary knows.
    SchemaMismatch = "schema_mismatch",
    /// The master key does not open the municipality's keys.
    WrongMasterKey = "wrong_master_key",
    /// A setting of the service (database URL, master key) that cannot be used.
    InvalidConfiguration = "invalid_configuration",
}

/// One entry of the catalogue as a row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The name of the [`Message`] variant.
    pub name: &'static str,
    /// Its code.
    pub code: ErrorCode,
    /// The HTTP status the API answers with.
    pub status: u16,
    /// The Japanese template, parameters written `{name}`.
    pub template: &'static str,
    /// When it is answered (the variant's doc comment).
    pub when: &'static str,
}

macro_rules! catalogue {
    ($( #[doc = $when:literal] $name:ident { $($p:ident),* } => $code:ident, $status:literal, $template:literal; )*) => {
        /// A message of the catalogue with its parameters. Its
        /// [`text`](Message::text) is the Japanese shown to clerks.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Message {
            $(
                #[doc = $when]
                $name { $(
                    #[allow(missing_docs)]
                    $p: String
                ),* },
            )*
        }

        impl Message {
            /// The stable code.
            pub fn code(&self) -> ErrorCode {
                match self {
                    $( Message::$name { .. } => ErrorCode::$code, )*
                }
            }

            /// The entry's name in the table (for logs).
            pub fn name(&self) -> &'static str {
                match self {
                    $( Message::$name { .. } => stringify!($name), )*
                }
            }

            /// The HTTP status the API answers with.
            pub fn status(&self) -> u16 {
                match self {
                    $( Message::$name { .. } => $status, )*
                }
            }

            /// The Japanese text, the parameters filled in.
            pub fn text(&self) -> String {
                match self {
                    $( Message::$name { $($p),* } => format!($template), )*
                }
            }

            /// Every entry, in the order of the table.
            pub const ENTRIES: &'static [Entry] = &[$(
                Entry {
                    name: stringify!($name),
                    code: ErrorCode::$code,
                    status: $status,
                    template: $template,
                    when: $when,
                },
            )*];
        }
    };
}

catalogue! {
    // --- The API's own answers -------------------------------------------------
    /// The request body is not JSON (the parser's detail follows).
    MalformedJson { detail } => MalformedJson, 400, "リクエストの本文がJSONとして読めません（{detail}）";
    /// The query string cannot be read (a parameter twice, a wrong type).
    MalformedQuery { detail } => MalformedQuery, 400, "クエリ文字列が読めません（{detail}）";
    /// No, wrong or expired credentials.
    Unauthorized {} => Unauthorized, 401, "認証が必要です。ログインIDとパスワード、またはトークンを確認してください";
    /// The principal's role does not allow the operation.
    Forbidden {} => Forbidden, 403, "この操作を行う権限がありません";
    /// No such resource in the caller's municipality.
    NotFound {} => NotFound, 404, "見つかりません";
    /// A login after too many failures (the account is locked for a while).
    TooManyAttempts {} => TooManyAttempts, 429, "ログインの失敗が続いたため、しばらくログインできません";
    /// Too many requests from one address; `seconds` to wait.
    RateLimited { seconds } => RateLimited, 429, "短い間に照会が多すぎるため、受け付けられません。{seconds}秒ほど待ってから再度お試しください。";
    /// A request would seal or open a value but no master key was configured.
    MasterKeyNotConfigured {} => MasterKeyNotConfigured, 503, "マスター鍵が設定されていないため、個人番号や二要素認証の秘密鍵を扱えません。運用者が --master-key-file または環境変数 KIBAN_MASTER_KEY でマスター鍵を指定して起動し直す必要があります";
    /// An internal failure; the detail goes to the log only.
    Internal {} => InternalError, 500, "システムエラーが発生しました。時間をおいて再度お試しください";
    /// A body that is JSON but not an object.
    BodyNotObject {} => InvalidType, 422, "リクエストの本文はJSONオブジェクトでなければなりません";
    /// A required member is missing.
    Required { field } => MissingField, 422, "{field} は必須です";
    /// A member that must be a string.
    MustBeString { field } => InvalidType, 422, "{field} は文字列で指定してください";
    /// A member that must be an array.
    MustBeArray { field } => InvalidType, 422, "{field} は配列で指定してください";
    /// A member that must be an object.
    MustBeObject { field } => InvalidType, 422, "{field} はオブジェクトで指定してください";
    /// A member that must be a date string.
    MustBeDateString { field } => InvalidType, 422, "{field} は文字列（YYYY-MM-DD）で指定してください";
    /// A flag given as something else than a boolean (type check).
    MustBeBooleanType { field } => InvalidType, 422, "{field} は true または false で指定してください";
    /// A flag given as something else than a boolean (value check).
    MustBeBoolean { field } => InvalidValue, 422, "{field} は true または false で指定してください";
    /// A member that must be a positive integer.
    MustBePositive { field } => InvalidValue, 422, "{field} は正の整数で指定してください";
    /// A date member not in `YYYY-MM-DD`.
    MustBeIsoDate { field } => InvalidValue, 422, "{field} は YYYY-MM-DD で指定してください";
    /// A `limit` outside 1..=`max`.
    LimitOutOfRange { field, max } => InvalidValue, 422, "{field} は1から{max}までの整数で指定してください";
    /// A member that the operation does not know.
    UnknownField { field } => UnknownField, 422, "{field} という項目はありません";
    /// A list that must name at least one person.
    EmptyPersonList { field } => EmptyList, 422, "{field} には1人以上を指定してください";
    /// A 転入 without persons.
    NoPersonsMovingIn {} => EmptyList, 422, "転入する人を1人以上指定してください";
    /// A movement kind that does not exist.
    UnknownMovementKind { kind } => InvalidValue, 422, "異動の種類「{kind}」は扱えません";
    /// An 職権修正 without changes (checked before the registry).
    NoChangesGiven {} => NoChanges, 422, "修正する項目を1つ以上指定してください";
    /// A malformed 個人番号 in a search.
    InvalidIndividualNumber {} => InvalidIndividualNumber, 422, "個人番号は検査数字の正しい12桁の数字で指定してください";
    /// A 利用目的 (purpose) missing.
    PurposeRequired {} => MissingField, 422, "purpose（利用目的）は必須です";
    /// A 利用目的 too short, too long or with control characters.
    PurposeLength { min, max } => InvalidPurpose, 422, "利用目的を{min}文字以上{max}文字以内で入力してください";
    /// A date typed on a screen that cannot be read.
    ScreenDate { label, detail } => InvalidDate, 422, "{label}: {detail}（令和8年11月1日 や 2026-11-01 の形で入力してください）";
    /// A date member that cannot be read (the reason follows).
    DateNotRead { detail } => InvalidDate, 422, "{detail}";
    /// A 宛名番号 on a screen that is not a positive integer.
    PersonIdMustBePositive {} => InvalidValue, 422, "宛名番号は正の整数で指定してください";
    /// A period whose start is after its end.
    PeriodReversed {} => InvalidPeriod, 422, "期間の開始日は終了日以前にしてください";
    /// An access-log search without whom to look for.
    PersonOrActorRequired {} => MissingField, 422, "宛名番号、または職員のログインIDを指定してください";
    /// A form upload that cannot be read (the reader's detail follows).
    UploadNotRead { detail } => InvalidValue, 422, "{detail}";
    /// No action chosen on a seal screen.
    ChooseAction {} => InvalidValue, 422, "操作を選んでください";
    /// No review decision chosen on a seal screen.
    ChooseDecision {} => InvalidValue, 422, "確認の結果を選んでください";
    /// A seal impression that is not Base64 PNG.
    ImpressionNotBase64Png { field } => InvalidValue, 422, "{field} はPNG画像をBase64で指定してください";
    /// A seal review decision without a reason.
    ReviewReasonRequired { field } => MissingField, 422, "{field} は必須です（確認の結果と理由）";
    /// A support-measure reason not among the codes.
    ProtectionReasonUnknown { field, codes } => InvalidValue, 422, "{field} は {codes} のいずれかで指定してください";
    /// A certificate kind not among the codes.
    CertificateKindUnknown {} => InvalidValue, 422, "kind は resident_record_copy, removed_record_copy, record_item_certificate, seal_certificate のいずれかです";
    /// A certificate for too few or too many persons.
    PersonIdsCount {} => InvalidValue, 422, "person_ids には1人以上50人以下を指定してください";
    /// A certificate request naming no subject.
    SubjectRequired {} => MissingField, 422, "household_id, person_ids または seal_card_number のいずれかを指定してください";
    /// A certificate request naming two subjects.
    SubjectAmbiguous {} => InvalidValue, 422, "household_id, person_ids, seal_card_number はどれか一つだけ指定してください";
    /// A certificate item that is not a string.
    ItemMustBeString {} => InvalidType, 422, "記載事項は文字列で指定してください";
    /// A certificate with 個人番号 without 利用目的.
    PurposeRequiredForIndividualNumber {} => MissingField, 422, "個人番号を記載するときは purpose（利用目的）が必須です";
    /// A certificate 利用目的 too long or not one line.
    CertificatePurposeLength { max } => InvalidValue, 422, "purpose は改行を含まない{max}文字以内で指定してください";
    /// A job-list status filter not among the codes.
    JobStatusUnknown {} => InvalidValue, 422, "status は queued, running, succeeded, failed, cancelled のいずれかです";
    /// A dead-letter status filter not among the codes.
    DeadLetterStatusUnknown {} => InvalidValue, 422, "status は retrying, parked, retried, dismissed のいずれかです";
    /// A job parameter that is not a string.
    ParamMustBeString { name } => InvalidParam, 422, "{name}: 値は文字列で指定してください";
    /// A plan that is not an array.
    PlanMustBeArray {} => MissingField, 422, "plan は配列で指定してください";
    /// A role that needs a second factor the account has not enrolled.
    SecondFactorEnrolmentRequired {} => SecondFactorEnrolmentRequired, 403, "この役割では二要素認証が必要です。画面からログインして確認コードのアプリを登録してください";

    // --- kiban-core: values ----------------------------------------------------
    /// An empty value.
    ValueEmpty {} => InvalidValue, 422, "値が空です";
    /// A number of the wrong number of digits.
    ValueWrongLength { expected } => InvalidValue, 422, "{expected}桁の数字で入力してください";
    /// A character that is not allowed.
    ValueInvalidCharacter {} => InvalidValue, 422, "使用できない文字が含まれています";
    /// A wrong check digit.
    ValueCheckDigit { expected } => InvalidValue, 422, "検査数字（チェックディジット）が正しくありません（正しくは {expected}）";
    /// A value outside its range.
    ValueOutOfRange { detail } => InvalidValue, 422, "範囲外の値です: {detail}";
    /// An image that is not a PNG file.
    ImageNotPng {} => InvalidValue, 422, "PNG形式ではありません";
    /// A PNG that cannot be decoded (the decoder's words follow).
    ImageUndecodable { detail } => InvalidValue, 422, "PNG画像として読めません: {detail}";
    /// A PNG of width or height 0.
    ImageEmpty {} => InvalidValue, 422, "画像の大きさが0です";
    /// A date that does not exist or cannot be read.
    ValueInvalidDate { detail } => InvalidValue, 422, "日付が正しくありません: {detail}";
    /// The detail of a value error that is the value itself (`2024年2月30日`, `0.5x`).
    ValueText { text } => InvalidValue, 422, "{text}";
    /// A 性別 code other than male or female.
    SexUnknown { code } => InvalidValue, 422, "「{code}」は male または female です";
    /// A 続柄 code not in the list.
    RelationshipUnknown { code } => InvalidValue, 422, "「{code}」は head, spouse, child, parent, other_relative, cohabitant のいずれかです";
    /// A フリガナ longer than the registry keeps.
    KanaTooLong { max } => InvalidValue, 422, "フリガナは{max}文字までです";
    /// A 氏名 longer than the registry keeps.
    NameTooLong { max } => InvalidValue, 422, "氏名は{max}文字までです";
    /// A date not written `YYYY-MM-DD`.
    DateNotIso { input } => InvalidDate, 422, "「{input}」は YYYY-MM-DD の形式ではありません";
    /// A month not written `YYYY-MM`.
    MonthNotIso { input } => InvalidDate, 422, "「{input}」は YYYY-MM の形式ではありません";
    /// 和暦 year 0 (the first year is 元年).
    DateEraYearZero { era } => InvalidDate, 422, "{era}0年はありません（最初の年は元年＝1年です）";
    /// An era year beyond 9999.
    DateYearTooLarge { written } => InvalidDate, 422, "{written}: 年が大きすぎます";
    /// A day that does not exist (2月30日).
    DateDoesNotExist { written } => InvalidDate, 422, "{written}は存在しない日付です";
    /// A day outside its era (平成31年5月1日).
    DateOutsideEra { written, era, span } => InvalidDate, 422, "{written}は{era}の期間外です（{span}）";
    /// A day before 明治, which has no 和暦.
    DateBeforeMeiji { date, first } => InvalidDate, 422, "{date}は明治より前の日付のため和暦にできません（和暦は明治元年＝{first}から）";
    /// A date input longer than the parser reads.
    DateInputTooLong { max } => InvalidDate, 422, "入力が長すぎます（{max}文字まで）";
    /// No date given.
    DateNotGiven {} => InvalidDate, 422, "日付が入力されていません";
    /// An era name the parser does not know.
    DateUnknownEra { name } => InvalidDate, 422, "「{name}」は扱える元号ではありません（明治・大正・昭和・平成・令和、または M・T・S・H・R）";
    /// Input that is not a date; `problem` is one of the `DateProblem…` texts.
    DateUnreadable { input, problem } => InvalidDate, 422, "「{input}」は日付として読めません（{problem}。例: 令和7年4月1日、R7.4.1、2025-04-01）";
    /// (A problem of an unreadable date.) The year cannot be read.
    DateProblemYear {} => InvalidDate, 422, "年が読めません";
    /// (A problem of an unreadable date.) A 西暦 year of other than 4 digits.
    DateProblemWesternYear {} => InvalidDate, 422, "西暦の年は4桁で入力してください";
    /// (A problem of an unreadable date.) No era.
    DateProblemNoEra {} => InvalidDate, 422, "元号がありません";
    /// (A problem of an unreadable date.) Neither era nor year.
    DateProblemNoEraNorYear {} => InvalidDate, 422, "元号と年がありません";
    /// (A problem of an unreadable date.) Nothing after the year.
    DateProblemYearSeparator {} => InvalidDate, 422, "年の後に「年」か区切り（. / -）が必要です";
    /// (A problem of an unreadable date.) The month cannot be read.
    DateProblemMonth {} => InvalidDate, 422, "月が読めません";
    /// (A problem of an unreadable date.) Nothing after the month.
    DateProblemMonthEnd { end } => InvalidDate, 422, "月の後に「{end}」が必要です";
    /// (A problem of an unreadable date.) The day cannot be read.
    DateProblemDay {} => InvalidDate, 422, "日が読めません";
    /// (A problem of an unreadable date.) No 日 after the day.
    DateProblemDayEnd {} => InvalidDate, 422, "日の後に「日」が必要です";
    /// (A problem of an unreadable date.) Characters after the date.
    DateProblemTrailing {} => InvalidDate, 422, "日付の後に余分な文字があります";

    // --- kiban-audit: the access log's chain (kiban audit verify) -------------
    /// An entry deleted from the chain.
    AuditEntryMissing { id, next } => InternalError, 500, "利用履歴 {id} がありません（削除されています。次の履歴は {next}）";
    /// An entry whose previous hash does not match (deleted, inserted or reordered).
    AuditPrevHashMismatch { id } => InternalError, 500, "利用履歴 {id} の前履歴ハッシュが一致しません（削除・挿入・並べ替えされています）";
    /// An entry whose fields do not give its hash (edited).
    AuditHashMismatch { id } => InternalError, 500, "利用履歴 {id} のハッシュが一致しません（改ざんされています）";
    /// The end of the chain deleted.
    AuditTailMissing { id, last } => InternalError, 500, "利用履歴 {id} 以降（{last} まで）がありません（末尾が削除されています）";
    /// An entry about a person missing from the index by person.
    AuditNotIndexed { id } => InternalError, 500, "利用履歴 {id} が本人別の索引にありません（索引から削除されています。本人の利用履歴に表示されません）";

    // --- kiban-auth ------------------------------------------------------------
    /// A wrong login or password (staff-management screens).
    InvalidCredentials {} => Unauthorized, 401, "ログインIDまたはパスワードが正しくありません";
    /// An account value not acceptable (the rule's words follow).
    AccountValue { detail } => InvalidValue, 422, "{detail}";
    /// A login of other characters or longer than 64.
    AccountLoginForm {} => InvalidValue, 422, "ログインIDは半角英数字と . _ - の64文字以内で指定してください";
    /// A password shorter than 12 or longer than 256 characters.
    AccountPasswordLength {} => InvalidValue, 422, "パスワードは12文字以上256文字以内で指定してください";
    /// A display name empty or longer than 100 characters.
    AccountDisplayNameLength {} => InvalidValue, 422, "氏名（表示名）は1文字以上100文字以内で指定してください";
    /// An administrator acting on their own account.
    AccountNotOwn {} => InvalidValue, 422, "自分自身のアカウントにはこの操作はできません";
    /// A role code that does not exist (`roles` lists those that do).
    UnknownRole { role, roles } => InvalidValue, 422, "役割「{role}」はありません（{roles}）";
    /// The login is taken.
    LoginTaken { login } => Duplicate, 409, "ログインID「{login}」は既に使われています";
    /// A wrong or reused 確認コード.
    WrongSecondFactor {} => InvalidOtp, 401, "確認コード（6桁）が正しくないか、既に使われています";
    /// The second factor is already enrolled.
    AlreadyEnrolled {} => AlreadyEnrolled, 409, "二要素認証は既に登録されています";
    /// No such staff login.
    NoSuchAccount { login } => NotFound, 404, "ログインID「{login}」の職員はいません";
    /// A system client's token holds none of the operation's scopes (an operation without scopes refuses clients).
    InsufficientScope {} => InsufficientScope, 403, "このシステム連携クライアントのアクセストークンには、この操作を許可するスコープがありません";
    /// A system client's name empty or longer than 100 characters.
    ClientNameLength {} => InvalidValue, 422, "クライアント名は1文字以上100文字以内で指定してください";
    /// A scope not of the form `business:resource:operation`.
    ScopeForm { scope } => InvalidValue, 422, "スコープ「{scope}」は 業務:リソース:操作 の形（英小文字と _、例 registry:persons:read）で指定してください";
    /// A system client without any scope.
    NoScopes {} => MissingField, 422, "スコープを1つ以上指定してください";
    /// No such system client in the municipality.
    NoSuchClient { client_id } => NotFound, 404, "クライアント「{client_id}」はありません";

    // --- kiban-registry: why a movement is refused -----------------------------
    /// A value that cannot be read (the value's message follows).
    RejectedValue { detail } => InvalidValue, 422, "{detail}";
    /// 異動日 after today (only a planned 転出 may be dated in the future).
    EventInFuture {} => EventInFuture, 422, "異動日が処理日より後です（転出予定以外は指定できません）";
    /// 届出日 after today.
    NotifiedInFuture {} => NotifiedInFuture, 422, "届出日が処理日より後です";
    /// 届出日 before 異動日.
    NotifiedBeforeEvent {} => NotifiedBeforeEvent, 422, "届出日が異動日より前です";
    /// A date of birth after the 異動日.
    BornAfterEvent {} => BornAfterEvent, 422, "生年月日が異動日より後です";
    /// The 異動日 of a 出生 differs from the date of birth.
    BirthDateMismatch {} => BirthDateMismatch, 422, "出生の異動日は生年月日と同じ日でなければなりません";
    /// A foreign resident without 在留資格.
    MissingStatusOfResidence {} => MissingStatusOfResidence, 422, "外国人住民は在留資格が必須です";
    /// A foreign resident without 在留期間の満了の日.
    MissingPeriodOfStay {} => MissingPeriodOfStay, 422, "外国人住民は在留期間の満了の日が必須です（永住者・特別永住者を除く）";
    /// 在留資格 or 在留期間 for a Japanese national.
    ForeignFieldsForJapanese {} => ForeignFieldsForJapanese, 422, "日本人住民には在留資格・在留期間を記載しません";
    /// 在留期間 expired on the 異動日.
    PeriodOfStayExpired {} => PeriodOfStayExpired, 422, "在留期間の満了の日が異動日より前です";
    /// A permanent resident with a period of stay.
    PeriodOfStayForPermanent {} => PeriodOfStayForPermanent, 422, "永住者・特別永住者には在留期間を記載しません";
    /// A new household without exactly one head.
    HeadCount { found } => HeadCount, 422, "新しい世帯には世帯主がちょうど1人必要です（{found}人指定されています）";
    /// A person joining a household named its head.
    HeadWhenJoining {} => HeadWhenJoining, 422, "既存の世帯に加わる人を世帯主にはできません";
    /// An empty list of persons.
    NoPersons {} => NoPersons, 422, "1人以上指定してください";
    /// The same person twice.
    DuplicatePerson {} => DuplicatePerson, 422, "同じ人が重複して指定されています";
    /// An 職権修正 that changes nothing.
    NoChanges {} => NoChanges, 422, "修正する項目を1つ以上指定してください";
    /// The new head of a split household outside the group.
    NewHeadNotInGroup {} => NewHeadNotInGroup, 422, "新しい世帯の世帯主は分離する人の中から指定してください";
    /// The new head among those moving out.
    NewHeadLeaving {} => NewHeadLeaving, 422, "新しい世帯主に転出する人は指定できません";
    /// The person is not a resident on the 異動日.
    NotResident { person_id } => NotResident, 409, "宛名番号 {person_id} の人は異動日に住民ではありません";
    /// The 個人番号 is another person's (named by 宛名番号, never by the number).
    IndividualNumberInUse { person_id } => IndividualNumberInUse, 409, "この個人番号は宛名番号 {person_id} の人に既に登録されています";
    /// A returning resident who is still a resident.
    AlreadyResident { person_id } => AlreadyResident, 409, "宛名番号 {person_id} の人は異動日に既に住民です";
    /// A returning resident recorded as deceased.
    Deceased { person_id } => Deceased, 409, "宛名番号 {person_id} の人は死亡により消除されています";
    /// A movement before the person's birth.
    BeforeBirth { person_id } => BeforeBirth, 409, "宛名番号 {person_id} の人の生年月日より前の異動です";
    /// The household does not exist on the 異動日.
    HouseholdNotActive { household_id } => HouseholdNotActive, 409, "世帯番号 {household_id} の世帯は異動日に存在しません";
    /// A 転入 into a household at another address.
    AddressDiffersFromHousehold {} => AddressDiffersFromHousehold, 409, "既存の世帯に加わる転入の住所は世帯の住所と同じでなければなりません";
    /// The head leaves while others stay: a new head is needed.
    NewHeadRequired {} => NewHeadRequired, 409, "世帯主が異動し世帯員が残るため、新しい世帯主の指定が必要です";
    /// The new head does not stay in the household.
    NewHeadNotRemaining {} => NewHeadNotRemaining, 409, "新しい世帯主は残る世帯員の中から指定してください";
    /// A new head named although the head stays.
    NewHeadNotNeeded {} => NewHeadNotNeeded, 409, "世帯主は変わらないため、新しい世帯主は指定できません";
    /// A 世帯分離 of persons of different households.
    SplitDifferentHouseholds {} => DifferentHouseholds, 409, "分離する人は同じ世帯の世帯員でなければなりません";
    /// A 世帯分離 of every member.
    WholeHouseholdSplit {} => WholeHouseholdSplit, 409, "世帯全員を分離することはできません";
    /// The head splits off without heading the new household.
    SplitHeadMustLead {} => SplitHeadMustLead, 409, "世帯主が分離する場合は新しい世帯の世帯主としてください";
    /// The head splits off leaving two or more.
    RemainingHeadUndecided {} => RemainingHeadUndecided, 409, "世帯主が分離し2人以上が残るため、残る世帯の世帯主を決められません";
    /// A cancellation of a movement that does not exist.
    MovementNotFound { movement_id } => MovementNotFound, 409, "異動 {movement_id} はありません";
    /// A cancellation of a cancelled movement.
    AlreadyCancelled { movement_id } => AlreadyCancelled, 409, "異動 {movement_id} は既に取り消されています";
    /// A cancellation of a cancellation.
    CancelCancellation {} => CancelCancellation, 409, "取消しを取り消すことはできません";
    /// A cancellation dated before its movement.
    CancellationBeforeMovement {} => CancellationBeforeMovement, 409, "取消しの異動日が取り消す異動の異動日より前です";
    /// No 住民票コード can be assigned.
    ResidentRecordCodeUnavailable { detail } => ResidentRecordCodeUnavailable, 409, "住民票コードを割り当てられません: {detail}";
    /// A later movement (`kind` is its Japanese name) would become invalid; `cause` is its message.
    BreaksLaterMovement { movement_id, kind, cause } => BreaksLaterMovement, 409, "この異動により異動 {movement_id}（{kind}）が成り立たなくなります: {cause}";

    // --- kiban-seal: why a seal registration is refused -------------------------
    /// An applicant without a resident record.
    SealNotResident {} => NotResident, 422, "住民登録のない方は印鑑登録できません";
    /// An applicant under 15.
    SealUnderage {} => UnderMinimumAge, 422, "15歳未満の方は印鑑登録できません";
    /// An applicant who is an adult ward.
    SealAdultWard {} => AdultWard, 422, "成年被後見人の方は印鑑登録できません";
    /// A second registration.
    SealAlreadyRegistered {} => AlreadyRegistered, 409, "既に印鑑登録されています（または照会中です）";
    /// An impression image not acceptable (the check's words follow).
    SealInvalidImpression { detail } => InvalidImpression, 422, "{detail}";
    /// (What is wrong with an impression.) Too large or empty.
    ImpressionSize { max_kib } => InvalidImpression, 422, "印影の画像は1バイト以上{max_kib}KiB以下にしてください";
    /// (What is wrong with an impression.) Not a PNG that can be printed.
    ImpressionImage { detail } => InvalidImpression, 422, "印影の画像が不正です: {detail}";
    /// (What is wrong with an impression.) Too many pixels.
    ImpressionPixels { max } => InvalidImpression, 422, "印影の画像は縦横{max}ピクセル以下にしてください";
    /// A procedure not among the two.
    SealUnknownProcedure {} => InvalidValue, 422, "procedure は identity_verified または inquiry で指定してください";
    /// A reply for a registration not awaiting one.
    SealNotAwaitingReply {} => NotAwaitingReply, 409, "この印鑑登録は回答待ちではありません";
    /// A reply after its due day.
    SealReplyOverdue { due } => ReplyOverdue, 409, "回答書の提出期限（{due}）を過ぎています。改めて申請してください";
    /// A change of a registration not registered.
    SealNotRegistered {} => NotRegistered, 409, "この印鑑登録は登録済みではありません";
    /// A registration already abolished.
    SealAlreadyAbolished {} => AlreadyAbolished, 409, "この印鑑登録は既に廃止されています";
    /// A card number malformed or unknown.
    SealUnknownCard {} => UnknownSealCard, 422, "印鑑登録証の番号が正しくありません";
    /// A card replaced or abolished.
    SealCardNoLongerValid {} => SealCardInvalid, 409, "この印鑑登録証は無効です（廃止または再交付済み）";
    /// A review decision for a registration not under review.
    SealNotUnderReview {} => NotUnderReview, 409, "この印鑑登録は復活確認待ちではありません";
    /// A review decision without an acceptable reason.
    SealReasonRequired {} => MissingField, 422, "理由を200文字以内の1行の文章で入力してください";

    // --- kiban-certificate: why a certificate is refused -----------------------
    /// An item code the certificate cannot show.
    CertificateUnknownItem { field, code } => InvalidItem, 422, "{field}: 「{code}」はこの証明書で選べる記載事項ではありません";
    /// 個人番号 asked for without the permission.
    IndividualNumberNotPermitted {} => IndividualNumberNotPermitted, 422, "個人番号を記載する権限がありません";
    /// 本籍・筆頭者 asked for.
    PermanentDomicileNotHeld {} => ItemNotHeld, 422, "本籍・筆頭者は住民記録に保持していないため記載できません";
    /// A person not in the registry as the certificate needs (`detail` says how).
    NotCertifiable { field, detail } => NotCertifiable, 422, "{field}: {detail}";
    /// Persons of different households on one 住民票の写し.
    CertificateDifferentHouseholds {} => DifferentHouseholds, 422, "person_ids: 同じ世帯の方だけを1枚の住民票の写しに記載できます";
    /// No 市区町村長名 configured.
    CertifierNotConfigured {} => CertifierNotConfigured, 409, "証明書の認証者（市区町村長名）が設定されていません";
    /// A protected person (支援措置) and no override.
    ProtectedPerson {} => ProtectedPerson, 403, "支援措置の対象者のため、この証明書は交付できません";
    /// The record cannot be printed (the printer's words follow).
    Unprintable { detail } => Unprintable, 422, "証明書を印刷できません: {detail}";

    // --- kiban-protection: 支援措置 ----------------------------------------------
    /// A start date outside the calendar.
    MeasureStartOutOfRange {} => InvalidValue, 422, "starts_on は範囲外の日付です";
    /// An end before the start.
    MeasureEndsBeforeStart {} => InvalidValue, 422, "ends_on は starts_on 以後の日付にしてください";
    /// A period longer than one year; `latest` is the last day allowed.
    MeasureLongerThanOneYear { latest } => InvalidValue, 422, "支援措置の期間は1年以内です（ends_on は {latest} まで。延長は新しい支援措置として記録します）";
    /// A support measure for a person who does not exist.
    MeasureUnknownPerson { person_id } => NotFound, 404, "宛名番号 {person_id} の住民はいません";
    /// A support measure that does not exist.
    MeasureUnknown { measure_id } => NotFound, 404, "支援措置 {measure_id} はありません";
    /// An early end of a measure already ended.
    MeasureAlreadyEnded { measure_id } => AlreadyEnded, 409, "支援措置 {measure_id} は既に終了しています";
    /// An early end outside the measure's period.
    MeasureEndOutsidePeriod { starts_on, ends_on } => InvalidValue, 422, "ended_on は支援措置の期間（{starts_on}〜{ends_on}）内の日付にしてください";

    // --- kiban-jobs ------------------------------------------------------------
    /// A job kind that does not exist.
    UnknownJob { job } => UnknownJob, 422, "ジョブ「{job}」はありません";
    /// A stored partial result of a run that cannot be read (a run's failure).
    JobPartUnreadable { part, line } => InternalError, 500, "途中結果（{part}）が読めません: {line}";
    /// A chunk key the job kind does not know (a run's failure).
    JobChunkUnknown { chunk } => InternalError, 500, "不明なチャンク {chunk}";
    /// A parameter the job kind does not declare.
    ParamNotDeclared {} => InvalidParam, 422, "このジョブにはないパラメータです";
    /// A fiscal-year parameter that is not a year.
    ParamNotFiscalYear { value } => InvalidParam, 422, "「{value}」は年度（西暦の年）ではありません";
    /// An integer parameter that is not an integer.
    ParamNotInteger { value } => InvalidParam, 422, "「{value}」は整数ではありません";
    /// A text parameter given empty.
    ParamEmpty {} => InvalidParam, 422, "値が空です";
    /// A required parameter not given.
    ParamRequired {} => InvalidParam, 422, "必須のパラメータがありません";
    /// A job parameter not acceptable (the kind's words follow).
    InvalidParam { field, detail } => InvalidParam, 422, "{field}: {detail}";
    /// A plan entry not acceptable (the check's words follow).
    InvalidPlan { field, detail } => InvalidPlan, 422, "{field}: {detail}";
    /// A date beyond the holiday table.
    CalendarNotCovered { year, first, last } => InvalidPlan, 422, "{year}年は祝日表（{first}年〜{last}年）の範囲外です";
    /// A line of the holiday table that cannot be read.
    CalendarTable { line, reason } => InvalidPlan, 422, "祝日表の{line}行目が読めません: {reason}";
    /// A schedule of an unknown form.
    ScheduleUnknownForm { schedule } => InvalidPlan, 422, "スケジュール「{schedule}」の形式が不明です（yearly:MM-DD, monthly:DD, monthly:last, daily:HH:MM, business-days:HH:MM のいずれか）";
    /// A schedule whose month is not 01–12.
    ScheduleMonth { schedule } => InvalidPlan, 422, "スケジュール「{schedule}」の月が 01〜12 ではありません";
    /// A schedule whose day is not in the month.
    ScheduleDay { schedule } => InvalidPlan, 422, "スケジュール「{schedule}」の日がその月にありません";
    /// A schedule whose time is not HH:MM.
    ScheduleTime { schedule } => InvalidPlan, 422, "スケジュール「{schedule}」の時刻が HH:MM（00:00〜23:59）ではありません";
    /// A dead letter that is not parked (`status` is its Japanese name).
    NotParked { status } => NotParked, 409, "この連携イベントは保留中ではありません（{status}）";
    /// A retry that failed again (the handler's words follow).
    RetryFailed { detail } => RetryFailed, 409, "再処理に失敗しました: {detail}";

    // --- kiban-linkage: the event feed and webhooks (庁内データ連携) ---------------
    /// A feed's `after` that is not an integer ≥ 0.
    FeedAfterInvalid {} => InvalidValue, 422, "after は0以上の整数で指定してください";
    /// A page size out of range (`limit` of the feed or of a list).
    FeedLimitInvalid { max } => InvalidValue, 422, "limit は1から{max}までの整数で指定してください";
    /// An `offset` that is not an integer ≥ 0.
    OffsetInvalid {} => InvalidValue, 422, "offset は0以上の整数で指定してください";
    /// An event type that does not exist.
    EventTypeUnknown { name } => InvalidValue, 422, "イベントの種類「{name}」はありません";
    /// A webhook URL that is not an absolute http(s) URL with a host.
    WebhookUrlInvalid {} => InvalidValue, 422, "url は http:// または https:// で始まり、ホスト名を含むURLで指定してください";
    /// A webhook URL with a user name or password.
    WebhookUrlCredentials {} => InvalidValue, 422, "url にユーザー名やパスワードを含めることはできません";
    /// A webhook URL whose host is not on the allow-list.
    WebhookHostNotAllowed { host } => HostNotAllowed, 422, "ホスト「{host}」は連携先として許可されていません（運用者が kiban webhook allow-host で許可します）";
    /// A host of the allow-list that is not a host name or IP address.
    WebhookHostInvalid { host } => InvalidValue, 422, "「{host}」はホスト名またはIPアドレスではありません（スキーム・ポート・パスは付けません）";
    /// A webhook secret too short or too long.
    WebhookSecretLength { min, max } => InvalidValue, 422, "secret は{min}〜{max}バイトで指定してください";
    /// A webhook without event types.
    WebhookTypesRequired {} => EmptyList, 422, "types には1つ以上のイベントの種類を指定してください";
    /// A webhook resumed while not parked (`status` is its Japanese name).
    WebhookNotParked { status } => NotParked, 409, "この Webhook は保留中ではありません（{status}）";
    /// A delivery given up because the host left the allow-list (recorded with the attempt; the webhook is parked).
    WebhookHostRemoved { host } => HostNotAllowed, 422, "ホスト「{host}」が連携先の許可一覧から外されたため、配信を保留しました";
    /// A receiver that did not answer in time (recorded with the attempt).
    WebhookTimeout { seconds } => DeliveryFailed, 502, "連携先が{seconds}秒以内に応答しませんでした";
    /// A receiver that could not be reached (recorded with the attempt).
    WebhookConnectFailed {} => DeliveryFailed, 502, "連携先に接続できませんでした";
    /// A receiver that answered other than 2xx (recorded with the attempt).
    WebhookHttpStatus { status } => DeliveryFailed, 502, "連携先が HTTP {status} を返しました";
    /// A request that failed otherwise (recorded with the attempt; the client's words follow).
    WebhookRequestFailed { detail } => DeliveryFailed, 502, "連携先への送信に失敗しました（{detail}）";

    // --- kiban-store: the database and the master key -------------------------
    /// A database URL that is neither `sqlite://…` nor `postgres://…`.
    StoreInvalidUrl { url } => InvalidConfiguration, 500, "データベースURLが不正です: {url}（sqlite://パス または postgres://… を指定してください）";
    /// The database failed (the driver's words follow).
    StoreDatabase { detail } => DatabaseError, 500, "データベースエラー: {detail}";
    /// Applying the migrations failed (the migrator's words follow).
    StoreMigration { detail } => DatabaseError, 500, "マイグレーションに失敗しました: {detail}";
    /// The database's migrations are not those of this binary.
    StoreSchemaMismatch {} => SchemaMismatch, 503, "データベースのスキーマが古いか新しすぎます。`kiban migrate` を実行してください";
    /// A statement without the tenant condition (a defect).
    StoreUnscopedStatement { statement } => InternalError, 500, "テナント条件（$1 = municipality_code）のないSQLは実行できません: {statement}";
    /// The municipality is not registered.
    StoreUnknownMunicipality { code } => NotFound, 404, "団体コード {code} の団体は登録されていません";
    /// A stored value of the wrong form.
    StoreCorrupt { column, reason } => InternalError, 500, "保存されている値が不正です（{column}）: {reason}";
    /// A unique key already taken (what follows).
    StoreConflict { detail } => Duplicate, 409, "既に登録されています: {detail}";
    /// A value to seal or open without a master key (the operator's words).
    StoreNoMasterKey {} => MasterKeyNotConfigured, 503, "マスター鍵が設定されていません（--master-key-file または環境変数 KIBAN_MASTER_KEY で指定してください）";
    /// A master key that does not open the municipality's keys.
    StoreWrongMasterKey {} => WrongMasterKey, 503, "マスター鍵が違います: 団体の鍵を復号できません（保存時と同じマスター鍵を指定してください）";
    /// A sealed value that cannot be opened or sealed (altered, or another row's).
    StoreSealing { detail } => InternalError, 500, "暗号化された値を扱えません: {detail}";
    /// A master key that is not 32 bytes in hex or Base64; `length` bytes were read.
    MasterKeyFormat { length } => InvalidConfiguration, 500, "マスター鍵は32バイトを16進数（64文字）またはBase64で指定してください（読み取れた長さ: {length}バイト）";

    // --- kiban-exchange: the standard export, as imported ----------------------
    /// A problem of a whole file (`problem` is its message).
    ImportInFile { file, problem } => ImportInvalid, 422, "{file}: {problem}";
    /// A problem of one line of a file.
    ImportAtLine { file, line, problem } => ImportInvalid, 422, "{file} {line}行目: {problem}";
    /// A problem of one field of a file (a manifest key).
    ImportInField { file, field, problem } => ImportInvalid, 422, "{file} 項目 {field}: {problem}";
    /// A problem of one field of one line.
    ImportAtLineField { file, line, field, problem } => ImportInvalid, 422, "{file} {line}行目 項目 {field}: {problem}";
    /// A file listed by the format is missing.
    ImportMissingFile {} => ImportInvalid, 422, "ファイルがありません";
    /// A file the format does not know.
    ImportUnknownFile {} => ImportInvalid, 422, "この形式にないファイルです";
    /// A file listed twice in the manifest.
    ImportDuplicateFile {} => ImportInvalid, 422, "マニフェストに2回記載されています";
    /// A manifest that cannot be read (the reason follows).
    ImportManifest { detail } => ImportInvalid, 422, "マニフェストとして読めません: {detail}";
    /// A manifest whose 団体コード is malformed.
    ImportManifestMunicipality {} => ImportInvalid, 422, "マニフェストとして読めません: 団体コードが正しくありません";
    /// A manifest whose SHA-256 is malformed.
    ImportManifestDigest {} => ImportInvalid, 422, "マニフェストとして読めません: SHA-256（小文字の16進64桁）ではありません";
    /// A manifest member that must hold `expected`.
    ImportManifestExpected { expected } => ImportInvalid, 422, "マニフェストとして読めません: {expected} であること";
    /// A format or version this version does not read.
    ImportFormat { expected, found } => ImportInvalid, 422, "形式 {found} には対応していません（{expected} のみ）";
    /// A row count that differs from the manifest's.
    ImportRowCount { expected, found } => ImportInvalid, 422, "行数 {found} がマニフェストの {expected} と一致しません";
    /// A SHA-256 that differs from the manifest's.
    ImportDigest {} => ImportInvalid, 422, "SHA-256 がマニフェストと一致しません（ファイルが変更されています）";
    /// Bytes that are not UTF-8.
    ImportNotUtf8 {} => ImportInvalid, 422, "UTF-8 として読めません";
    /// A CSV that cannot be read (the reader's words follow).
    ImportCsv { detail } => ImportInvalid, 422, "CSV として読めません: {detail}";
    /// A header that is not the entity's columns.
    ImportHeader { expected } => ImportInvalid, 422, "見出し行が違います（{expected} であること）";
    /// A record with the wrong number of fields.
    ImportFieldCount { expected, found } => ImportInvalid, 422, "項目数が {found} です（{expected} であること）";
    /// A required field that is empty.
    ImportRequired {} => ImportInvalid, 422, "必須項目が空です";
    /// Text longer than the field allows.
    ImportTooLong { max, found } => ImportInvalid, 422, "{found} 文字あります（最大 {max} 文字）";
    /// A control character in text (`code_point` as `U+XXXX`).
    ImportControlCharacter { code_point } => ImportInvalid, 422, "制御文字 {code_point} は使えません";
    /// A private-use character where 外字 may not be.
    ImportPrivateUse { code_point } => ImportInvalid, 422, "私用領域の文字 {code_point} は使えません（外字は標準の文字と異体字セレクタで表します）";
    /// A variation selector where IVS may not be.
    ImportVariationSelector { code_point } => ImportInvalid, 422, "この項目には異体字セレクタ {code_point} は使えません";
    /// Not a canonical integer.
    ImportNotInteger {} => ImportInvalid, 422, "整数ではありません（先頭の 0 や + は使えません）";
    /// Not `0` or `1`.
    ImportNotFlag {} => ImportInvalid, 422, "0 か 1 でなければなりません";
    /// Not an existing date `YYYY-MM-DD`.
    ImportNotDate {} => ImportInvalid, 422, "YYYY-MM-DD 形式の存在する日付ではありません";
    /// Not an RFC 3339 timestamp.
    ImportNotTimestamp {} => ImportInvalid, 422, "RFC 3339 形式の日時ではありません";
    /// Not JSON (the parser's words follow).
    ImportNotJson { detail } => ImportInvalid, 422, "JSON として読めません: {detail}";
    /// Not canonical Base64.
    ImportNotBase64 {} => ImportInvalid, 422, "Base64（標準の文字、= で埋める）ではありません";
    /// A code outside its code table.
    ImportUnknownCode { table, code } => ImportInvalid, 422, "コード {code} はコード表 {table} にありません";
    /// The key of an earlier row again.
    ImportDuplicateKey { key } => ImportInvalid, 422, "キーが重複しています（{key}）";
    /// A reference to a row that does not exist.
    ImportUnknownReference { target, key } => ImportInvalid, 422, "{target} に {key} がありません";
    /// An access log not numbered 1, 2, 3, … in order.
    ImportAuditGap { expected } => ImportInvalid, 422, "利用履歴の番号が 1 からの連番ではありません（{expected} であること）";
    /// Not a 個人番号 (the value is never repeated).
    ImportIndividualNumber {} => ImportInvalid, 422, "個人番号として正しくありません（12桁の数字で、検査数字が合うこと）";
    /// The current 個人番号 of another person too.
    ImportSharedIndividualNumber { person_id } => ImportInvalid, 422, "宛名番号 {person_id} の現在の個人番号と同じ番号です（同じ個人番号は1人にだけ）";
    /// An access log whose chain head differs from the manifest's.
    ImportAuditChain {} => ImportInvalid, 422, "利用履歴のハッシュ連鎖の末尾がマニフェストの audit_chain.head_hash と一致しません（履歴が変更されています）";

    // --- kiban-exchange: the legacy extract and its 外字 map --------------------
    /// A malformed extract: where (1-based record and byte) and what (`problem`).
    LegacyAt { record, byte, problem } => ImportInvalid, 422, "レコード{record}の{byte}バイト目: {problem}";
    /// An empty extract.
    LegacyEmpty {} => ImportInvalid, 422, "ファイルが空です（トレーラレコードがありません）";
    /// A record shorter than 256 bytes.
    LegacyRecordLength { length } => ImportInvalid, 422, "レコードが{length}バイトで終わっています（256バイトでなければなりません）";
    /// A record without the CR LF the first one has.
    LegacyMissingLineBreak {} => ImportInvalid, 422, "レコードの後に CR LF がありません（最初のレコードの後にはあります）";
    /// A record with a CR LF the first one does not have.
    LegacyUnexpectedLineBreak {} => ImportInvalid, 422, "レコードの後に CR LF があります（最初のレコードの後にはありません）";
    /// A record followed by CR or LF alone.
    LegacyBadLineBreak {} => ImportInvalid, 422, "レコードの後の改行が CR LF ではありません";
    /// A record kind other than 1 and 9.
    LegacyUnknownRecordKind { kind } => ImportInvalid, 422, "レコード種別 {kind} は扱えません（1: 個人、9: トレーラ）";
    /// No trailer record.
    LegacyMissingTrailer {} => ImportInvalid, 422, "トレーラレコード（レコード種別 9）がありません";
    /// A record after the trailer.
    LegacyRecordAfterTrailer {} => ImportInvalid, 422, "トレーラレコードの後にレコードがあります";
    /// A trailer count that is not ten digits.
    LegacyTrailerCountNotDigits {} => ImportInvalid, 422, "トレーラの件数が10桁の数字ではありません";
    /// A trailer count that differs from the records.
    LegacyTrailerCountMismatch { declared, actual } => ImportInvalid, 422, "トレーラの件数 {declared} が個人レコードの数 {actual} と一致しません";
    /// A trailer with more than spaces after its count.
    LegacyTrailerNotBlank {} => ImportInvalid, 422, "トレーラの12バイト目以降は空白でなければなりません";
    /// Bytes that are not CP932 in a field (`field` is its Japanese name).
    LegacyUndecodable { field } => ImportInvalid, 422, "{field}に CP932 として読めないバイトがあります";
    /// A value the layout does not allow (`field` is its Japanese name; the layout's words follow).
    LegacyInvalidField { field, reason } => ImportInvalid, 422, "{field}: {reason}";
    /// (Why a legacy field is refused.) A 性別 code other than 1 or 2.
    LegacySexCode {} => ImportInvalid, 422, "1（男）か 2（女）でなければなりません";
    /// (Why a legacy field is refused.) A 住民状態 code other than 1–3.
    LegacyStatusCode {} => ImportInvalid, 422, "1（住民）、2（転出）、3（死亡）のいずれかでなければなりません";
    /// (Why a legacy field is refused.) A reserved field not blank.
    LegacyMustBeBlank {} => ImportInvalid, 422, "空白でなければなりません";
    /// (Why a legacy field is refused.) A single-byte field with other bytes.
    LegacyMustBeAscii {} => ImportInvalid, 422, "半角の英数字か空白でなければなりません";
    /// (Why a legacy field is refused.) A number field not of ten digits.
    LegacyMustBeTenDigits {} => ImportInvalid, 422, "10桁の数字でなければなりません";
    /// (Why a legacy field is refused.) A name the registry cannot keep.
    LegacyNameUnreadable { detail } => ImportInvalid, 422, "氏名として読めません（{detail}）";
    /// (Why a legacy field is refused.) A kana field with other bytes.
    LegacyMustBeHalfwidthKana {} => ImportInvalid, 422, "半角カナか空白でなければなりません";
    /// (Why a legacy field is refused.) A フリガナ the registry cannot keep.
    LegacyKanaUnreadable { detail } => ImportInvalid, 422, "フリガナとして読めません（{detail}）";
    /// (Why a legacy field is refused.) A postal code not of seven digits.
    LegacyMustBePostalDigits {} => ImportInvalid, 422, "7桁の数字か空白でなければなりません";
    /// (Why a legacy field is refused.) A nationality code not blank nor ISO 3166-1.
    LegacyNationalityCode {} => ImportInvalid, 422, "空白（日本）か ISO 3166-1 の英大文字2字でなければなりません";
    /// A line of a 外字 map that cannot be used (`problem` says why).
    GaijiMapLine { line, problem } => ImportInvalid, 422, "外字対応表の{line}行目: {problem}";
    /// A 外字 map without its header.
    GaijiMapHeader {} => ImportInvalid, 422, "見出し行は「sjis,unicode」でなければなりません";
    /// A 外字 map line without exactly two columns.
    GaijiMapColumns {} => ImportInvalid, 422, "列は「sjis,unicode」の2つでなければなりません";
    /// A 外字 code outside F040–F9FC.
    GaijiMapCode { code } => ImportInvalid, 422, "外字コード「{code}」は F040〜F9FC の16進4桁でなければなりません（下位バイトは 40〜FC、7F を除く）";
    /// A character not written `U+XXXX`.
    GaijiMapCodePoint { text } => ImportInvalid, 422, "文字「{text}」は U+XXXX の形で書いてください";
    /// More than a base character and one selector.
    GaijiMapTooManyCodePoints {} => ImportInvalid, 422, "文字は基底文字1つと、必要なら異体字セレクタ1つまでです";
    /// A base character that names and addresses cannot use.
    GaijiMapBaseCharacter { text } => ImportInvalid, 422, "「{text}」は氏名や住所に使える文字ではありません（私用領域・空白・制御文字・異体字セレクタ単独は不可）";
    /// A second code point that is not a variation selector.
    GaijiMapNotAVariationSelector { text } => ImportInvalid, 422, "2つ目の「{text}」は異体字セレクタ（U+FE00〜U+FE0F、U+E0100〜U+E01EF）でなければなりません";
    /// A 外字 code given twice.
    GaijiMapDuplicate { code, first_line } => ImportInvalid, 422, "外字コード {code} は{first_line}行目にもあります";

    // --- kiban-print -------------------------------------------------------------
    /// A font of the layouts that is not installed (`searched` lists the places).
    PrintFontMissing { family, searched } => PrintFailed, 500, "帳票用フォント {family} が見つかりません（探した場所: {searched}）。scripts/install-fonts.sh を実行してください";
    /// A font file that cannot be read (`path` quoted; the system's words follow).
    PrintFontUnreadable { path, detail } => PrintFailed, 500, "フォントファイル {path} を読み込めません: {detail}";
    /// A character of the data that no font of its field has.
    PrintMissingGlyph { field, code_point } => Unprintable, 422, "{field}: 文字 {code_point} を表示できるフォントがありません";
    /// An IVS that IPAmj明朝 does not carry.
    PrintUnsupportedVariationSequence { field, base, selector } => Unprintable, 422, "{field}: 異体字シーケンス {base} {selector} は帳票フォント（IPAmj明朝、文字情報基盤のIVS）にありません";
    /// A variation selector with no character before it.
    PrintStrayVariationSelector { field, selector } => Unprintable, 422, "{field}: 異体字セレクタ {selector} の前に文字がありません";
    /// A control character in a one-line field.
    PrintControlCharacter { field, code_point } => Unprintable, 422, "{field}: 制御文字 {code_point} は印字できません";
    /// A field that must be printed is empty.
    PrintEmptyField { field } => Unprintable, 422, "{field}: 値が空です";
    /// An image that is not a printable PNG (the decoder's words follow).
    PrintInvalidImage { field, reason } => Unprintable, 422, "{field}: PNG画像として読み込めません: {reason}";
    /// A field whose value contradicts the document (a slip's barcode and its installment, a notice number's form).
    PrintInconsistent { field, detail } => Unprintable, 422, "{field}: {detail}";
    /// The QR code of the verification address cannot be made.
    PrintQrCode { detail } => PrintFailed, 500, "検証用QRコードを作成できません: {detail}";
    /// A glyph missing in a layout's own wording (a defect).
    PrintMissingGlyphInLayout { code_point } => PrintFailed, 500, "帳票の文言の文字 {code_point} を表示できるフォントがありません";
    /// The layout failed (the typesetter's words follow).
    PrintLayout { detail } => PrintFailed, 500, "帳票のレイアウトに失敗しました: {detail}";
    /// Writing the PDF failed (the writer's words follow).
    PrintPdf { detail } => PrintFailed, 500, "PDFの出力に失敗しました: {detail}";
    /// A verification code of the wrong form.
    VerificationInvalidCode {} => InvalidValue, 422, "検証コードは1〜64文字の半角英数字とハイフンで指定してください";
    /// A service origin that cannot be printed as the verification address.
    VerificationInvalidOrigin {} => InvalidConfiguration, 500, "検証用のアドレスは https:// で始まる、空白や日本語を含まないものを指定してください";

    // --- kiban-demo ----------------------------------------------------------------
    /// The demo's municipality or prefecture name is empty.
    DemoEmptyName {} => InvalidValue, 422, "団体名・都道府県名を入力してください";
    /// The demo's postal area is not three digits.
    DemoPostalArea { area } => InvalidValue, 422, "郵便番号の上3桁が正しくありません: {area}";
    /// The demo's base date is outside the age tables.
    DemoBaseDate { date } => InvalidValue, 422, "基準日が範囲外です: {date}";

    // --- kiban-rules and the calculations ----------------------------------------
    /// No rule data for the year (`supported` lists those that exist).
    RulesUnsupportedYear { topic, year, supported } => UnsupportedFiscalYear, 422, "{topic}: {year}年度のルールデータはありません（対応: {supported}）";
    /// A rule file that cannot be read or fails validation.
    RulesInvalid { topic, year, reason } => RuleDataInvalid, 422, "{topic} の {year} 年のルールデータが不正です: {reason}";
    /// No rule data for the fiscal year asked for in `field` (the rule book's words follow).
    CalcNoRulesForYear { field, detail } => UnsupportedFiscalYear, 422, "{field}: {detail}";
    /// Broken rule data of a calculation (the rule book's words follow).
    CalcRulesBroken { detail } => RuleDataInvalid, 422, "ルールデータが不正です: {detail}";
    /// 国保税: a household without an insured member.
    NhiNoInsuredMember {} => InvalidValue, 422, "household.members: 被保険者がいません";
    /// 国保税: rates for a part the year does not have.
    NhiPartNotInYear { part } => InvalidValue, 422, "rates.{part}: この年度にはない区分です";
    /// 固定資産税: a city planning tax rate above the limit.
    FixedAssetCityPlanningRateTooHigh { rate, limit } => InvalidValue, 422, "rates.city_planning: 都市計画税の税率 {rate} は制限税率 {limit} を超えています（地方税法第702条の4）";
    /// 固定資産税: a valued parcel without area.
    FixedAssetLandWithoutArea { index } => InvalidValue, 422, "land[{index}].area_m2: 評価額のある土地の地積が0です";
    /// 固定資産税: residential land without a dwelling.
    FixedAssetNoDwelling { index } => InvalidValue, 422, "land[{index}].dwellings: 住宅用地の住宅の戸数は1以上です";
    /// 固定資産税: a new-build reduction without floor area.
    FixedAssetHouseWithoutFloorArea { index } => InvalidValue, 422, "houses[{index}].floor_area_m2: 新築住宅の床面積が0です";
    /// 固定資産税: a house completed after the assessment date.
    FixedAssetCompletedAfterAssessmentDate { index, completed_on, fiscal_year } => InvalidValue, 422, "houses[{index}].new_build.completed_on: {completed_on} は{fiscal_year}の賦課期日（1月1日）より後です";
    /// 軽自動車税: a class not in force in the year (`class` is its Japanese name).
    LightVehicleClassNotInForce { class, fiscal_year } => InvalidValue, 422, "vehicle.class: 「{class}」の区分は{fiscal_year}にはありません";
    /// 軽自動車税: a three- or four-wheeler without its first inspection month.
    LightVehicleFirstInspectionMissing {} => MissingField, 422, "vehicle.first_inspection: 三輪・四輪の軽自動車には最初の新規検査の年月（初度検査年月）が必要です";
    /// 軽自動車税: a three- or four-wheeler without its fuel.
    LightVehicleFuelMissing {} => MissingField, 422, "vehicle.fuel: 三輪・四輪の軽自動車には燃料の種類が必要です";
    /// 軽自動車税: a first inspection after the assessment date.
    LightVehicleFirstInspectionAfterAssessmentDate { first_inspection, fiscal_year } => InvalidValue, 422, "vehicle.first_inspection: {first_inspection} は{fiscal_year}の賦課期日（4月1日）より後です";
    // --- kiban-resident-tax: settings and assessments (個人住民税) -------------------
    /// A resident-tax setting that cannot be accepted (`detail` says why).
    ResidentTaxSettingInvalid { field, detail } => InvalidValue, 422, "{field}: {detail}";
    /// A person who is not liable (or not yet assessed) in the fiscal year.
    ResidentTaxNotAssessed { fiscal_year } => NotFound, 404, "{fiscal_year}年度の課税はありません（課税対象者ではないか、まだ課税されていません）";
    /// A reassessment of a person never assessed in the year.
    ResidentTaxReassessUnassessed { fiscal_year } => NotFound, 404, "{fiscal_year}年度の課税がないため更正できません。先に当初課税を行ってください";
    /// A list filter `collection` not among the codes.
    ResidentTaxCollectionUnknown {} => InvalidValue, 422, "collection は special, ordinary, mixed のいずれかです";
    /// A person's records could not be calculated (the calculation's words follow).
    ResidentTaxCalculationFailed { detail } => InvalidValue, 422, "税額を計算できません: {detail}";
    // --- kiban-addressee: the addressee master (宛名) ---------------------------
    /// A text longer than allowed.
    TextTooLong { field, max } => InvalidValue, 422, "{field} は{max}文字以内で入力してください";
    /// A date after today where only past dates make sense.
    DateInFuture { field } => InvalidValue, 422, "{field} に今日より後の日付は指定できません";
    /// The reason of a merge or an unmerge.
    MergeReasonRequired { field } => MissingField, 422, "{field}: 理由を200文字以内の1行の文章で入力してください";
    /// A change with nothing to change.
    NothingToChange {} => NothingToChange, 422, "変更する項目（name, name_kana, address）を1つ以上、今の記録と異なる値で指定してください";
    /// A registration matching an existing addressee.
    PossibleDuplicate {} => PossibleDuplicate, 409, "同一人と思われる宛名があります。候補を確認し、別人であれば confirm_new を true にして登録してください";
    /// A search without criteria.
    AddresseeMissingCriteria {} => MissingCriteria, 422, "検索条件（name_kana, name, birth_date, address のいずれか）を指定してください";
    /// A change of a resident or former resident through the addressee master.
    AddresseeChangedThroughRegistry {} => ChangedThroughRegistry, 409, "住民・転出者・死亡者の宛名は住民記録の異動で変更します";
    /// A merge into oneself.
    MergeIntoSelf {} => MergeIntoSelf, 422, "into: 同じ宛名番号には名寄せできません";
    /// A merge of an addressee already merged.
    AlreadyMerged { into } => AlreadyMerged, 409, "この宛名は既に宛名番号 {into} に名寄せされています";
    /// A merge into an addressee that is itself merged.
    MergeChainTarget { into } => MergeChain, 409, "名寄せ先の宛名は既に宛名番号 {into} に名寄せされています（名寄せの連鎖はできません）";
    /// A merge of an addressee into which others are merged.
    MergeChainSource {} => MergeChain, 409, "この宛名には他の宛名が名寄せされています（名寄せの連鎖はできません）";
    /// An unmerge of an addressee that is not merged.
    NotMerged {} => NotMerged, 409, "この宛名は名寄せされていません";
    /// A merge target not of this municipality.
    MergeTargetNotFound {} => MergeTargetNotFound, 422, "into: この団体の宛名番号ではありません（他の団体の宛名とは名寄せできません）";
    /// A business not among those with mailing addresses.
    UnknownMailingBusiness { field } => InvalidValue, 422, "{field} は resident_tax, fixed_asset_tax, light_vehicle_tax, collection, nhi, all のいずれかで指定してください";
    /// A kind of mailing address not among the three.
    UnknownMailingKind { field } => InvalidValue, 422, "{field} は mailing（送付先）, tax_agent（納税管理人）, payer_proxy（代納人）のいずれかで指定してください";
    /// A validity that ends before it starts.
    ValidityReversed {} => InvalidValue, 422, "valid_until: 有効期間の終わりは始まり（valid_from）以降の日付にしてください";
    /// A kind of addressee not among the three.
    UnknownAddresseeKind { field } => InvalidValue, 422, "{field} は resident, former_resident, non_resident のいずれかで指定してください";
    /// A person's name or number as given in a mailing address.
    MailingNameRequired {} => MissingField, 422, "name: 送付先の宛名（氏名または名称）を100文字以内で入力してください";
    /// 延滞金: a negative tax amount.
    LateFeeNegativeTax {} => InvalidValue, 422, "tax_amount: 税額に負の値は使えません";
    /// 延滞金: a year without rate data (the rule book's words follow).
    LateFeeRatesMissing { field, year, detail } => UnsupportedFiscalYear, 422, "{field}: {year}年の延滞金の割合のルールデータはありません（{detail}）";
    /// 児童手当: a month without rule data (the rule book's words follow).
    ChildAllowanceUnsupportedMonth { month, detail } => UnsupportedFiscalYear, 422, "month: {month} のルールデータはありません（{detail}）";
    /// 児童手当: a child born after the month.
    ChildAllowanceBornAfterMonth { index, birth_date, month } => InvalidValue, 422, "children[{index}].birth_date: {birth_date} は {month} より後の日付です";
    // --- kiban-resident-tax: income records (所得情報) ----------------------------
    /// An income-csv-v1 file with malformed rows (nothing imported); `first` is the first problem.
    IncomeFileMalformed { count, first } => ImportInvalid, 422, "所得情報ファイルに誤りが {count} 件あるため、何も取り込んでいません（最初の誤り: {first}）";
    /// The same income file (same bytes) was imported before.
    IncomeFileDuplicate { file_id, fiscal_year, imported_at } => Duplicate, 409, "同じ所得情報ファイルは取込済みです（ファイル番号 {file_id}、{fiscal_year}年度、{imported_at} に取込）";
    /// No income record of the fiscal year waiting for matching has this number.
    IncomeRecordNotFound {} => NotFound, 404, "突合待ちの所得情報が見つかりません";
    /// An assignment to a number that is no addressee of the municipality.
    IncomeAssigneeNotFound {} => InvalidValue, 422, "addressee_id: この団体の宛名番号ではありません";
    // --- kiban-collection: the receivable ledger (収納) --------------------------
    /// A payments file with malformed records (nothing imported); `first` names the first record and field.
    PaymentFileMalformed { count, first } => ImportInvalid, 422, "収納ファイルに誤りが {count} 件あるため、何も取り込んでいません（最初の誤り: {first}）";
    /// The same payments file (same bytes) was imported before.
    PaymentFileDuplicate { file_id } => Duplicate, 409, "同じ収納ファイルは取込済みです（ファイル番号 {file_id}）";
    /// A payments-file format that does not exist.
    PaymentFormatUnknown { value } => InvalidValue, 422, "format: 収納ファイルの形式は convenience-store-v1・payments-csv-v1・zengin-transfer-result のいずれかです（{value}）";
    /// A suspense item whose payment was assigned to a charge already.
    SuspenseAlreadyAssigned { suspense_id } => AlreadyAssigned, 409, "未消込 {suspense_id} は既に調定に割り当てられています";
    /// An assignment to a charge that is not the municipality's.
    SuspenseChargeNotFound {} => InvalidValue, 422, "charge_id: この団体の調定番号ではありません";
    /// A field of the collection settings or of a bank account that is not valid (全銀協 digits, lengths, half-width kana, dates).
    CollectionFieldInvalid { field, detail } => InvalidValue, 422, "{field}: {detail}";
    /// The municipality has not set its collection settings (委託者) yet.
    CollectionSettingsNotSet {} => NotFound, 404, "収納の設定（口座振替の委託者コードなど）がまだ登録されていません";
    /// The addressee has no bank account for direct debit in force on the day asked.
    BankAccountNotFound {} => NotFound, 404, "この日に有効な口座振替の口座は登録されていません";
}

/// The codes answered with the calculation engine's own messages
/// (`kiban-calc` keeps its wire errors; its rule-data errors use the
/// catalogue's entries above), with their status.
pub const CALCULATION_CODES: &[(ErrorCode, u16)] = &[
    (ErrorCode::UnknownCalculation, 404),
    (ErrorCode::UnsupportedFiscalYear, 422),
    (ErrorCode::RuleDataInvalid, 422),
];

/// The catalogue as the Markdown table of `docs/API-DESIGN.md`: one row per
/// message, grouped by code in the order of [`ErrorCode::ALL`].
pub fn markdown_table() -> String {
    let mut out = String::from("| code | status | message | when |\n|---|---|---|---|\n");
    for &code in ErrorCode::ALL {
        for entry in Message::ENTRIES.iter().filter(|e| e.code == code) {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                code.as_str(),
                entry.status,
                entry.template,
                entry.when.trim()
            ));
        }
        for (_, status) in CALCULATION_CODES.iter().filter(|(c, _)| *c == code) {
            out.push_str(&format!(
                "| `{}` | {} | (the calculation engine's message) | Answered by `kiban-calc`. |\n",
                code.as_str(),
                status
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_snake_case(s: &str) -> bool {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('_')
            && !s.contains("__")
            && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    }

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in ErrorCode::ALL {
            assert!(is_snake_case(code.as_str()), "{}", code.as_str());
            assert!(seen.insert(code.as_str()), "twice: {}", code.as_str());
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_code("no_such_code"), None);
    }

    #[test]
    fn every_code_has_a_message_and_every_entry_a_status() {
        for &code in ErrorCode::ALL {
            assert!(
                Message::ENTRIES.iter().any(|e| e.code == code)
                    || CALCULATION_CODES.iter().any(|(c, _)| *c == code),
                "no message for {}",
                code.as_str()
            );
        }
        let mut names = std::collections::BTreeSet::new();
        for entry in Message::ENTRIES {
            assert!(names.insert(entry.name), "twice: {}", entry.name);
            assert!((400..600).contains(&entry.status), "{}", entry.name);
            assert!(!entry.template.is_empty(), "{}", entry.name);
            assert!(!entry.when.trim().is_empty(), "{}", entry.name);
        }
    }

    #[test]
    fn parameters_are_filled_in_by_name() {
        let message = Message::LoginTaken {
            login: "suzuki".into(),
        };
        assert_eq!(message.code(), ErrorCode::Duplicate);
        assert_eq!(message.status(), 409);
        assert_eq!(message.text(), "ログインID「suzuki」は既に使われています");
        let nested = Message::BreaksLaterMovement {
            movement_id: "7".into(),
            kind: "転出".into(),
            cause: Message::NotResident {
                person_id: "3".into(),
            }
            .text(),
        };
        assert_eq!(
            nested.text(),
            "この異動により異動 7（転出）が成り立たなくなります: 宛名番号 3 の人は異動日に住民ではありません"
        );
    }
}
