//! The pure rules of seal registration (印鑑登録): who may register, the two
//! procedures, the seal card (印鑑登録証), and which changes each state
//! allows. No IO, no SQL, no async.
//!
//! States and changes:
//!
//! | from | change | to |
//! |---|---|---|
//! | (none) | `applied` with `identity_verified` (本人確認済み) | `registered`, a card number |
//! | (none) | `applied` with `inquiry` (照会書を送付) | `awaiting_reply`, reply due in [`REPLY_DEADLINE_DAYS`] days |
//! | `awaiting_reply` | `replied` (回答書を本人が持参), on or before the due day | `registered`, a card number |
//! | `registered` | `card_reissued` (亡失・再交付) | `registered`, a new card number; the old one is invalid |
//! | `awaiting_reply` or `registered` | `abolished_on_request` (廃止申請) | `abolished` |
//! | `awaiting_reply` or `registered` | `abolished_moved_out` / `abolished_deceased` (住民記録の転出・死亡による職権廃止) | `abolished` |
//! | `awaiting_reply` or `registered` | `abolished_adult_ward` (成年被後見人となったことによる職権廃止) | `abolished` |
//! | `abolished` by `abolished_moved_out` / `abolished_deceased` | `abolition_under_review` (その転出・死亡が住民記録で取り消された) | `restoration_review` |
//! | `restoration_review` | `restored` (確認のうえ復活、理由つき) | the state before the abolition, with its card |
//! | `restoration_review` | `abolition_confirmed` (確認のうえ廃止を確定、理由つき) | `abolished` |
//!
//! An inquiry not answered by its due day reads as `expired` (期限切れ):
//! the applicant must apply again.
//!
//! ## A cancelled 転出 or 死亡 (異動の取消し)
//!
//! A seal registration is abolished ex officio when its holder moves out or
//! dies (印鑑登録事務処理要領; each municipality's 印鑑条例). When the
//! registry later cancels that 転出 or 死亡 (取消し: the movement was
//! recorded in error and never happened), the abolition lost its basis:
//! the registration should not have ended. It is nevertheless not put back
//! in force silently, because what happened at the counter meanwhile is
//! not in the registry: the holder may have returned the seal card (印鑑登録証)
//! with the 転出届, the card may have been destroyed, or the holder may want
//! to register another seal. So the consumer of the registry's events moves
//! such a registration to [`SealStatus::RestorationReview`]
//! (転出取消により復活確認待ち), which certifies nothing, blocks a new
//! application, and puts it on the seal clerk's review list. A clerk then,
//! after checking with the holder, either [`restore`]s it (the card still in
//! the holder's hands becomes valid again; a new state row with the reason)
//! or confirms the abolition ([`confirm_abolition`], also with the reason;
//! the holder applies anew if they wish). Only a registration whose latest
//! change is the abolition by the cancelled movement is touched: one changed
//! by a clerk since stays as it is.

use kiban_core::Date;
use kiban_core::date::age_on;

/// The youngest age at which a seal may be registered (15歳以上).
pub const MIN_AGE: u32 = 15;

/// Days after the application within which the reply to the inquiry letter
/// (照会書の回答書) must be brought in person: 30 days, the period most
/// municipalities' 印鑑条例 set. The reply is accepted up to and including
/// the day `applied_on + 30 days`.
pub const REPLY_DEADLINE_DAYS: i32 = 30;

/// The largest impression image accepted, in bytes (512 KiB).
pub const MAX_IMPRESSION_BYTES: usize = 512 * 1024;

/// The largest width or height of an impression image, in pixels.
pub const MAX_IMPRESSION_PIXELS: u32 = 2_000;

/// The registration procedure (登録の方法).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Procedure {
    /// `identity_verified`: the applicant's identity was verified at the
    /// counter with a photo ID (即日登録).
    IdentityVerified,
    /// `inquiry`: an inquiry letter (照会書) is mailed to the registered
    /// address; registration completes when the reply is brought in.
    Inquiry,
}

impl Procedure {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Procedure::IdentityVerified => "identity_verified",
            Procedure::Inquiry => "inquiry",
        }
    }

    /// The procedure of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "identity_verified" => Some(Procedure::IdentityVerified),
            "inquiry" => Some(Procedure::Inquiry),
            _ => None,
        }
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            Procedure::IdentityVerified => "即日登録（本人確認）",
            Procedure::Inquiry => "照会書による登録",
        }
    }
}

/// The state of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealStatus {
    /// `awaiting_reply` (回答待ち).
    AwaitingReply,
    /// `registered` (登録済み).
    Registered,
    /// `abolished` (廃止).
    Abolished,
    /// `expired` (期限切れ): an inquiry whose reply did not come in time.
    Expired,
    /// `restoration_review` (転出取消により復活確認待ち): abolished by a 転出
    /// or 死亡 that the registry cancelled; waits for a clerk to restore it
    /// or confirm the abolition. Certifies nothing.
    RestorationReview,
}

impl SealStatus {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SealStatus::AwaitingReply => "awaiting_reply",
            SealStatus::Registered => "registered",
            SealStatus::Abolished => "abolished",
            SealStatus::Expired => "expired",
            SealStatus::RestorationReview => "restoration_review",
        }
    }

    /// The status of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            SealStatus::AwaitingReply,
            SealStatus::Registered,
            SealStatus::Abolished,
            SealStatus::Expired,
            SealStatus::RestorationReview,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            SealStatus::AwaitingReply => "回答待ち",
            SealStatus::Registered => "登録済み",
            SealStatus::Abolished => "廃止",
            SealStatus::Expired => "期限切れ",
            SealStatus::RestorationReview => "転出取消により復活確認待ち",
        }
    }
}

/// What changed a registration (one stored row each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `applied`: the application (registered at once, or awaiting the reply).
    Applied,
    /// `replied`: the reply to the inquiry was brought in.
    Replied,
    /// `card_reissued`: 亡失・再交付.
    CardReissued,
    /// `abolished_on_request`: 廃止申請.
    AbolishedOnRequest,
    /// `abolished_moved_out`: the holder moved out (転出).
    AbolishedMovedOut,
    /// `abolished_deceased`: the holder died (死亡).
    AbolishedDeceased,
    /// `abolished_adult_ward`: the holder became an adult ward (成年被後見人).
    AbolishedAdultWard,
    /// `abolition_under_review`: the 転出 or 死亡 that abolished the
    /// registration was cancelled in the registry (異動の取消し); the
    /// registration awaits a clerk's review.
    AbolitionUnderReview,
    /// `restored`: a clerk restored the registration after the review.
    Restored,
    /// `abolition_confirmed`: a clerk confirmed the abolition after the review.
    AbolitionConfirmed,
}

impl Change {
    /// Every change.
    pub const ALL: [Change; 10] = [
        Change::Applied,
        Change::Replied,
        Change::CardReissued,
        Change::AbolishedOnRequest,
        Change::AbolishedMovedOut,
        Change::AbolishedDeceased,
        Change::AbolishedAdultWard,
        Change::AbolitionUnderReview,
        Change::Restored,
        Change::AbolitionConfirmed,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Change::Applied => "applied",
            Change::Replied => "replied",
            Change::CardReissued => "card_reissued",
            Change::AbolishedOnRequest => "abolished_on_request",
            Change::AbolishedMovedOut => "abolished_moved_out",
            Change::AbolishedDeceased => "abolished_deceased",
            Change::AbolishedAdultWard => "abolished_adult_ward",
            Change::AbolitionUnderReview => "abolition_under_review",
            Change::Restored => "restored",
            Change::AbolitionConfirmed => "abolition_confirmed",
        }
    }

    /// The change of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The Japanese name.
    pub fn label_ja(self) -> &'static str {
        match self {
            Change::Applied => "申請",
            Change::Replied => "回答書受理",
            Change::CardReissued => "登録証の再交付（亡失）",
            Change::AbolishedOnRequest => "廃止（申請）",
            Change::AbolishedMovedOut => "廃止（転出）",
            Change::AbolishedDeceased => "廃止（死亡）",
            Change::AbolishedAdultWard => "廃止（成年被後見人）",
            Change::AbolitionUnderReview => "転出・死亡の取消し（復活確認待ち）",
            Change::Restored => "復活（確認済み）",
            Change::AbolitionConfirmed => "廃止の確定（確認済み）",
        }
    }

    /// Whether the change is an ex-officio abolition by a registry event
    /// (転出・死亡) that a cancellation of that event puts under review.
    pub fn is_abolition_by_movement(self) -> bool {
        matches!(self, Change::AbolishedMovedOut | Change::AbolishedDeceased)
    }
}

/// 印鑑登録証の番号: seven digits of serial and a check digit (mod 10,
/// weights 2 and 1 from the right, as Luhn), so a mistyped number is
/// refused before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SealCardNumber(String);

impl SealCardNumber {
    /// The card number of a serial (1 to 9,999,999).
    pub fn from_serial(serial: u32) -> Option<Self> {
        if serial == 0 || serial > 9_999_999 {
            return None;
        }
        let body = format!("{serial:07}");
        let check = luhn_check_digit(&body);
        Some(Self(format!("{body}{check}")))
    }

    /// Parses eight digits whose last is the check digit (half-width or
    /// full-width digits, spaces and hyphens ignored).
    pub fn parse(input: &str) -> Option<Self> {
        let digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '　' | '-' | 'ー'))
            .map(|c| match c {
                '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect();
        if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (body, check) = digits.split_at(7);
        (luhn_check_digit(body).to_string() == check).then_some(Self(digits))
    }

    /// The eight digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// A seal impression (印影) as a PNG image, checked once: a PNG the printer
/// can decode, at most [`MAX_IMPRESSION_BYTES`] bytes and
/// [`MAX_IMPRESSION_PIXELS`] pixels wide and high.
#[derive(Debug, Clone)]
pub struct Impression(kiban_print::PngImage);

impl Impression {
    /// Checks the bytes.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, Refusal> {
        if bytes.is_empty() || bytes.len() > MAX_IMPRESSION_BYTES {
            return Err(Refusal::invalid_impression(
                kiban_core::Message::ImpressionSize {
                    max_kib: (MAX_IMPRESSION_BYTES / 1024).to_string(),
                },
            ));
        }
        let image = kiban_print::PngImage::parse(bytes).map_err(|e| {
            Refusal::invalid_impression(kiban_core::Message::ImpressionImage {
                detail: e.message().text(),
            })
        })?;
        if image.width() > MAX_IMPRESSION_PIXELS || image.height() > MAX_IMPRESSION_PIXELS {
            return Err(Refusal::invalid_impression(
                kiban_core::Message::ImpressionPixels {
                    max: MAX_IMPRESSION_PIXELS.to_string(),
                },
            ));
        }
        Ok(Self(image))
    }

    /// The PNG bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The image, for printing.
    pub fn image(&self) -> &kiban_print::PngImage {
        &self.0
    }
}

/// What the registry says about an applicant on the day of the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applicant {
    /// Whether they are a resident of the municipality that day.
    pub resident: bool,
    /// 生年月日.
    pub birth_date: Date,
    /// Whether they are recorded as an adult ward (成年被後見人).
    pub adult_ward: bool,
    /// Whether they already have a registration awaiting its reply or registered.
    pub has_active_registration: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The person is not a resident on the day (転出・死亡・未登録).
    #[error("the applicant is not a resident")]
    NotResident,
    /// Under 15.
    #[error("the applicant is under 15")]
    Underage,
    /// An adult ward (成年被後見人).
    #[error("the applicant is an adult ward")]
    AdultWard,
    /// The person already has a registration in force.
    #[error("already registered (or the inquiry is pending)")]
    AlreadyRegistered,
    /// The impression image is not acceptable; the catalogue's entry says
    /// why (size, format, pixels).
    #[error("impression not acceptable ({})", .0.name())]
    InvalidImpression(Box<kiban_core::Message>),
    /// The procedure code is not one of the two.
    #[error("procedure must be identity_verified or inquiry")]
    UnknownProcedure,
    /// A reply for a registration that is not awaiting one.
    #[error("the registration is not awaiting its reply")]
    NotAwaitingReply,
    /// The reply came after its due day.
    #[error("the reply was due on {0}")]
    ReplyOverdue(Date),
    /// A change of a registration that is not registered (e.g. a card
    /// reissue while awaiting the reply).
    #[error("the registration is not registered")]
    NotRegistered,
    /// The registration is already abolished or expired.
    #[error("the registration is already abolished")]
    AlreadyAbolished,
    /// The card number is malformed or belongs to no registration.
    #[error("unknown seal card number")]
    UnknownCard,
    /// The card was replaced, or its registration abolished.
    #[error("the seal card is no longer valid (abolished or replaced)")]
    CardNoLongerValid,
    /// A review decision for a registration that is not under review.
    #[error("the registration is not under review")]
    NotUnderReview,
    /// A review decision without its reason (or with one that is too long
    /// or not plain text).
    #[error("a reason of one line of at most 200 characters is required")]
    ReasonRequired,
}

/// Whether a refusal is about a field's value (422) or the current state (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// 422.
    Invalid,
    /// 409.
    Conflict,
}

impl Refusal {
    /// An impression refused for the reason `detail` says.
    pub fn invalid_impression(detail: kiban_core::Message) -> Self {
        Refusal::InvalidImpression(Box::new(detail))
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Refusal::NotResident => M::SealNotResident {},
            Refusal::Underage => M::SealUnderage {},
            Refusal::AdultWard => M::SealAdultWard {},
            Refusal::AlreadyRegistered => M::SealAlreadyRegistered {},
            Refusal::InvalidImpression(detail) => M::SealInvalidImpression {
                detail: detail.text(),
            },
            Refusal::UnknownProcedure => M::SealUnknownProcedure {},
            Refusal::NotAwaitingReply => M::SealNotAwaitingReply {},
            Refusal::ReplyOverdue(due) => M::SealReplyOverdue {
                due: due.to_string(),
            },
            Refusal::NotRegistered => M::SealNotRegistered {},
            Refusal::AlreadyAbolished => M::SealAlreadyAbolished {},
            Refusal::UnknownCard => M::SealUnknownCard {},
            Refusal::CardNoLongerValid => M::SealCardNoLongerValid {},
            Refusal::NotUnderReview => M::SealNotUnderReview {},
            Refusal::ReasonRequired => M::SealReasonRequired {},
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotResident => "not_resident",
            Refusal::Underage => "under_minimum_age",
            Refusal::AdultWard => "adult_ward",
            Refusal::AlreadyRegistered => "already_registered",
            Refusal::InvalidImpression(_) => "invalid_impression",
            Refusal::UnknownProcedure => "invalid_value",
            Refusal::NotAwaitingReply => "not_awaiting_reply",
            Refusal::ReplyOverdue(_) => "reply_overdue",
            Refusal::NotRegistered => "not_registered",
            Refusal::AlreadyAbolished => "already_abolished",
            Refusal::UnknownCard => "unknown_seal_card",
            Refusal::CardNoLongerValid => "seal_card_invalid",
            Refusal::NotUnderReview => "not_under_review",
            Refusal::ReasonRequired => "missing_field",
        }
    }

    /// 422 or 409, as the API contract says.
    pub fn kind(&self) -> RefusalKind {
        match self {
            Refusal::NotResident
            | Refusal::Underage
            | Refusal::AdultWard
            | Refusal::InvalidImpression(_)
            | Refusal::UnknownProcedure
            | Refusal::UnknownCard
            | Refusal::ReasonRequired => RefusalKind::Invalid,
            Refusal::AlreadyRegistered
            | Refusal::NotAwaitingReply
            | Refusal::ReplyOverdue(_)
            | Refusal::NotRegistered
            | Refusal::AlreadyAbolished
            | Refusal::CardNoLongerValid
            | Refusal::NotUnderReview => RefusalKind::Conflict,
        }
    }

    /// The request field at fault, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Refusal::NotResident | Refusal::Underage | Refusal::AdultWard => Some("person_id"),
            Refusal::InvalidImpression(_) => Some("impression_png_base64"),
            Refusal::UnknownProcedure => Some("procedure"),
            Refusal::UnknownCard | Refusal::CardNoLongerValid => Some("seal_card_number"),
            Refusal::ReasonRequired => Some("reason"),
            _ => None,
        }
    }
}

/// Checks an application against the registry's facts on `today`; returns
/// the state the registration starts in.
pub fn apply(
    applicant: Option<Applicant>,
    procedure: Procedure,
    today: Date,
) -> Result<Start, Refusal> {
    let applicant = applicant.ok_or(Refusal::NotResident)?;
    if !applicant.resident {
        return Err(Refusal::NotResident);
    }
    if age_on(applicant.birth_date, today) < MIN_AGE {
        return Err(Refusal::Underage);
    }
    if applicant.adult_ward {
        return Err(Refusal::AdultWard);
    }
    if applicant.has_active_registration {
        return Err(Refusal::AlreadyRegistered);
    }
    Ok(match procedure {
        Procedure::IdentityVerified => Start::Registered,
        Procedure::Inquiry => Start::AwaitingReply {
            reply_due_on: reply_due_on(today),
        },
    })
}

/// The last day a reply is accepted for an application made on `applied_on`.
pub fn reply_due_on(applied_on: Date) -> Date {
    applied_on
        .checked_add(jiff::Span::new().days(i64::from(REPLY_DEADLINE_DAYS)))
        .unwrap_or(Date::MAX)
}

/// How a registration starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Registered at once: a card number is issued.
    Registered,
    /// Awaiting the reply to the inquiry letter.
    AwaitingReply {
        /// The last day a reply is accepted.
        reply_due_on: Date,
    },
}

/// A registration's latest stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The stored status (never `expired`: that is read from the due day).
    pub status: SealStatus,
    /// The card in force, when registered.
    pub card: Option<SealCardNumber>,
    /// The due day of the reply, while awaiting it.
    pub reply_due_on: Option<Date>,
}

impl State {
    /// The status as of `today`: `expired` for an inquiry past its due day.
    pub fn status_on(&self, today: Date) -> SealStatus {
        match (self.status, self.reply_due_on) {
            (SealStatus::AwaitingReply, Some(due)) if today > due => SealStatus::Expired,
            (status, _) => status,
        }
    }

    /// Whether the registration blocks a new one on `today`.
    /// A registration under review blocks one too: the clerk decides first.
    pub fn is_active_on(&self, today: Date) -> bool {
        matches!(
            self.status_on(today),
            SealStatus::AwaitingReply | SealStatus::Registered | SealStatus::RestorationReview
        )
    }
}

/// Accepts the reply to the inquiry on `today`.
pub fn reply(state: &State, today: Date) -> Result<(), Refusal> {
    match state.status_on(today) {
        SealStatus::AwaitingReply => Ok(()),
        SealStatus::Expired => Err(Refusal::ReplyOverdue(
            state.reply_due_on.unwrap_or(Date::MIN),
        )),
        SealStatus::Abolished => Err(Refusal::AlreadyAbolished),
        SealStatus::Registered | SealStatus::RestorationReview => Err(Refusal::NotAwaitingReply),
    }
}

/// Allows a card reissue (亡失・再交付).
pub fn reissue_card(state: &State, today: Date) -> Result<(), Refusal> {
    match state.status_on(today) {
        SealStatus::Registered => Ok(()),
        SealStatus::Abolished | SealStatus::Expired => Err(Refusal::AlreadyAbolished),
        SealStatus::AwaitingReply | SealStatus::RestorationReview => Err(Refusal::NotRegistered),
    }
}

/// Allows an abolition on request (also of a registration under review:
/// the holder's request settles the review).
pub fn abolish(state: &State, today: Date) -> Result<(), Refusal> {
    match state.status_on(today) {
        SealStatus::Registered | SealStatus::AwaitingReply | SealStatus::RestorationReview => {
            Ok(())
        }
        SealStatus::Abolished | SealStatus::Expired => Err(Refusal::AlreadyAbolished),
    }
}

/// Whether a registry event (転出・死亡) abolishes this registration: only
/// one in force or under review. Applying the same event twice abolishes
/// once.
pub fn abolished_by_event(state: &State) -> bool {
    matches!(
        state.status,
        SealStatus::Registered | SealStatus::AwaitingReply | SealStatus::RestorationReview
    )
}

/// Whether the cancellation (取消し) of the registry movement that made
/// `last_change` puts this registration under review: only when that
/// change, an ex-officio abolition by 転出 or 死亡, is still the latest
/// (a clerk's later change stands). The caller checks that the change came
/// from the cancelled movement. Applying the same cancellation twice
/// changes the registration once.
pub fn review_after_cancellation(state: &State, last_change: Change) -> bool {
    state.status == SealStatus::Abolished && last_change.is_abolition_by_movement()
}

/// The longest reason of a review decision, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// The reason a clerk gives for a review decision (復活・廃止確定の理由):
/// trimmed, not empty, at most [`MAX_REASON_CHARS`] characters, one line
/// of ordinary text (no control characters, private-use characters or
/// variation selectors, which the standard export does not carry in a
/// free-text field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewReason(String);

impl ReviewReason {
    /// Checks the text.
    pub fn parse(text: &str) -> Result<Self, Refusal> {
        let trimmed = text.trim();
        let unusual = |c: char| {
            c.is_control()
                || matches!(u32::from(c), 0xE000..=0xF8FF | 0xF0000.. | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
        };
        if trimmed.is_empty()
            || trimmed.chars().count() > MAX_REASON_CHARS
            || trimmed.chars().any(unusual)
        {
            return Err(Refusal::ReasonRequired);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the registry and the seal records say about the holder on the day
/// a registration under review would be restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestorationCheck {
    /// Whether the holder is a resident that day (the cancellation made
    /// them one again, unless a later movement removed them).
    pub resident: bool,
    /// Whether the holder is recorded as an adult ward (成年被後見人).
    pub adult_ward: bool,
    /// Whether the holder has another registration in force.
    pub has_other_active_registration: bool,
}

/// Restores a registration under review: it returns to the state in force
/// before the abolition (`before_abolition`: registered with its card, or
/// awaiting the reply with its due day). Refused when not under review,
/// when the holder is no longer a resident or is an adult ward, or when
/// another registration is in force.
pub fn restore(
    state: &State,
    before_abolition: &State,
    check: RestorationCheck,
) -> Result<State, Refusal> {
    if state.status != SealStatus::RestorationReview {
        return Err(Refusal::NotUnderReview);
    }
    if !check.resident {
        return Err(Refusal::NotResident);
    }
    if check.adult_ward {
        return Err(Refusal::AdultWard);
    }
    if check.has_other_active_registration {
        return Err(Refusal::AlreadyRegistered);
    }
    Ok(before_abolition.clone())
}

/// Confirms the abolition of a registration under review.
pub fn confirm_abolition(state: &State) -> Result<(), Refusal> {
    if state.status != SealStatus::RestorationReview {
        return Err(Refusal::NotUnderReview);
    }
    Ok(())
}

/// Checks that a card may certify: it is the card in force of a registered seal.
pub fn certify(state: &State, card: &SealCardNumber, today: Date) -> Result<(), Refusal> {
    if state.status_on(today) != SealStatus::Registered || state.card.as_ref() != Some(card) {
        return Err(Refusal::CardNoLongerValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn applicant(birth: &str) -> Applicant {
        Applicant {
            resident: true,
            birth_date: d(birth),
            adult_ward: false,
            has_active_registration: false,
        }
    }

    #[test]
    fn fifteen_on_the_day_before_the_birthday() {
        let today = d("2026-04-01");
        // Turns 15 at the end of 2026-04-01 (birthday 04-02): 15 already.
        assert!(
            apply(
                Some(applicant("2011-04-02")),
                Procedure::IdentityVerified,
                today
            )
            .is_ok()
        );
        assert_eq!(
            apply(
                Some(applicant("2011-04-03")),
                Procedure::IdentityVerified,
                today
            ),
            Err(Refusal::Underage)
        );
    }

    #[test]
    fn refusals_name_their_reason() {
        let today = d("2026-04-01");
        let mut a = applicant("1980-01-01");
        assert_eq!(
            apply(None, Procedure::Inquiry, today),
            Err(Refusal::NotResident)
        );
        a.adult_ward = true;
        assert_eq!(
            apply(Some(a), Procedure::Inquiry, today),
            Err(Refusal::AdultWard)
        );
        a.adult_ward = false;
        a.has_active_registration = true;
        assert_eq!(
            apply(Some(a), Procedure::Inquiry, today),
            Err(Refusal::AlreadyRegistered)
        );
        a.has_active_registration = false;
        a.resident = false;
        assert_eq!(
            apply(Some(a), Procedure::Inquiry, today),
            Err(Refusal::NotResident)
        );
    }

    #[test]
    fn inquiry_reply_is_due_within_thirty_days() {
        let today = d("2026-04-01");
        let start = apply(Some(applicant("1980-01-01")), Procedure::Inquiry, today).unwrap();
        assert_eq!(
            start,
            Start::AwaitingReply {
                reply_due_on: d("2026-05-01")
            }
        );
        let state = State {
            status: SealStatus::AwaitingReply,
            card: None,
            reply_due_on: Some(d("2026-05-01")),
        };
        assert!(reply(&state, d("2026-05-01")).is_ok());
        assert_eq!(
            reply(&state, d("2026-05-02")),
            Err(Refusal::ReplyOverdue(d("2026-05-01")))
        );
        assert_eq!(state.status_on(d("2026-05-02")), SealStatus::Expired);
        assert!(!state.is_active_on(d("2026-05-02")));
    }

    #[test]
    fn card_numbers_carry_a_check_digit() {
        let card = SealCardNumber::from_serial(1).unwrap();
        assert_eq!(card.as_str().len(), 8);
        assert_eq!(SealCardNumber::parse(card.as_str()), Some(card.clone()));
        let mut altered: Vec<char> = card.as_str().chars().collect();
        altered[3] = if altered[3] == '9' { '8' } else { '9' };
        let altered: String = altered.into_iter().collect();
        assert_eq!(SealCardNumber::parse(&altered), None);
        assert_eq!(SealCardNumber::parse("abc"), None);
    }

    #[test]
    fn a_cancelled_move_out_puts_the_abolition_under_review() {
        let card = SealCardNumber::from_serial(7).unwrap();
        let registered = State {
            status: SealStatus::Registered,
            card: Some(card.clone()),
            reply_due_on: None,
        };
        let abolished = State {
            status: SealStatus::Abolished,
            card: None,
            reply_due_on: None,
        };
        assert!(review_after_cancellation(
            &abolished,
            Change::AbolishedMovedOut
        ));
        assert!(review_after_cancellation(
            &abolished,
            Change::AbolishedDeceased
        ));
        // A clerk's abolition, or one already under review, stays.
        assert!(!review_after_cancellation(
            &abolished,
            Change::AbolishedOnRequest
        ));
        assert!(!review_after_cancellation(&registered, Change::Applied));
        let review = State {
            status: SealStatus::RestorationReview,
            card: None,
            reply_due_on: None,
        };
        let today = d("2026-04-01");
        // Under review: certifies nothing, blocks a new application.
        assert_eq!(
            certify(&review, &card, today),
            Err(Refusal::CardNoLongerValid)
        );
        assert!(review.is_active_on(today));
        let ok = RestorationCheck {
            resident: true,
            adult_ward: false,
            has_other_active_registration: false,
        };
        assert_eq!(restore(&review, &registered, ok), Ok(registered.clone()));
        assert_eq!(
            restore(&registered, &registered, ok),
            Err(Refusal::NotUnderReview)
        );
        assert_eq!(
            restore(
                &review,
                &registered,
                RestorationCheck {
                    resident: false,
                    ..ok
                }
            ),
            Err(Refusal::NotResident)
        );
        assert_eq!(confirm_abolition(&review), Ok(()));
        assert_eq!(confirm_abolition(&abolished), Err(Refusal::NotUnderReview));
        assert_eq!(ReviewReason::parse("  "), Err(Refusal::ReasonRequired));
        assert_eq!(
            ReviewReason::parse(" 登録証を本人が所持 ")
                .unwrap()
                .as_str(),
            "登録証を本人が所持"
        );
    }

    #[test]
    fn certify_needs_the_card_in_force() {
        let today = d("2026-04-01");
        let old = SealCardNumber::from_serial(1).unwrap();
        let new = SealCardNumber::from_serial(2).unwrap();
        let state = State {
            status: SealStatus::Registered,
            card: Some(new.clone()),
            reply_due_on: None,
        };
        assert!(certify(&state, &new, today).is_ok());
        assert_eq!(
            certify(&state, &old, today),
            Err(Refusal::CardNoLongerValid)
        );
    }
}
