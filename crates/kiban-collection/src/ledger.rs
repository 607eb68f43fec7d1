//! The receivable ledger (統合収納): charges (調定), payments (収納), their
//! allocations (消込), overpayments (過誤納金) and their appropriations
//! (充当), and suspense (未消込), by the posting rules of contract
//! `collection-v1`.
//!
//! A [`Ledger`] holds what one addressee owes and paid. Its operations
//! ([`Ledger::assess`], [`Ledger::post`], [`Ledger::assign_from_suspense`])
//! change it and return the rows they added ([`Changes`]), which storage
//! appends: nothing in the ledger is ever changed in place. A charge's
//! amount changes by a new amount; money moves by new allocations, with a
//! negative one where it leaves a target.
//!
//! - `paid` of a charge is what its allocations and appropriations bring;
//!   `balance = amount − paid − written_off`, never negative: what exceeds
//!   the balance is an overpayment of its payment.
//! - An overpayment is applied (充当) to the addressee's open charges whose
//!   due date is before its payment's day, oldest first; the rest is
//!   refundable (還付).
//! - A charge whose principal a payment dated after its due date completes
//!   gets its late fee (延滞金) as a charge of its own, computed on the
//!   principal unpaid period by period ([`crate::late_fee_on_payments`]).
//!
//! New charges and overpayments get provisional (negative) ids, which the
//! caller replaces by numbers of its own ([`Changes::renumber`]).
//! Pure: no IO.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kiban_core::{Date, FiscalYear, Yen};

use crate::barcode::{BarcodeFields, Business, ConvenienceStoreBarcode};
use crate::{LateFeeError, PartialPayment, late_fee_on_payments};

/// The number of a charge (調定番号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChargeId(pub i64);

/// The number of a payment (収納番号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PaymentId(pub i64);

/// The number of an overpayment (過誤納金番号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OverpaymentId(pub i64);

/// The number of a suspense item (未消込番号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SuspenseId(pub i64);

/// 通知書番号: twelve digits, one per addressee, business and fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeNumber(String);

/// A notice number that is not twelve digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notice_number: the notice number must be 12 digits, not {0:?}")]
pub struct NoticeNumberError(pub String);

impl NoticeNumber {
    /// Twelve ASCII digits.
    pub fn parse(text: &str) -> Result<Self, NoticeNumberError> {
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(NoticeNumberError(text.to_owned()))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What identifies a charge on a slip: business, fiscal year, notice number
/// and period (期別). A late fee carries those of the charge it arose from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChargeKey {
    /// The business.
    pub business: Business,
    /// 年度.
    pub fiscal_year: FiscalYear,
    /// 通知書番号.
    pub notice_number: NoticeNumber,
    /// 期別, from 1.
    pub period: u8,
}

/// 調定: one installment of one business for one addressee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// Its number.
    pub charge_id: ChargeId,
    /// 宛名番号 of the addressee who owes it.
    pub addressee_id: i64,
    /// Business, year, notice number and period.
    pub key: ChargeKey,
    /// 納期限.
    pub due_date: Date,
    /// The amount in force (調定額).
    pub amount: Yen,
    /// 不納欠損額.
    pub written_off: Yen,
    /// 収納機関コード of the slip's barcode (five digits).
    pub agency_code: String,
    /// For a late fee: the charge it arose from.
    pub origin: Option<ChargeId>,
    /// 督促日, once a demand was sent.
    pub demanded_on: Option<Date>,
}

impl Charge {
    /// The convenience-store barcode of the charge's slip, with `amount` as
    /// the amount to pay (its balance); `None` above 300,000 yen, for
    /// nothing to pay, or when a field cannot be written in a barcode.
    pub fn barcode(&self, amount: Yen) -> Option<ConvenienceStoreBarcode> {
        let fields = BarcodeFields {
            agency_code: self.agency_code.clone(),
            fiscal_year: self.key.fiscal_year,
            business: self.key.business,
            notice_number: self.key.notice_number.as_str().to_owned(),
            period: self.key.period,
            reissue_count: 0,
            due_date: self.due_date,
            amount,
        };
        ConvenienceStoreBarcode::new(&fields).ok().flatten()
    }
}

/// 収納: money received on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Its number.
    pub payment_id: PaymentId,
    /// The day it was paid (納付日).
    pub paid_on: Date,
    /// The amount received.
    pub amount: Yen,
}

/// Where (part of) a payment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// To a charge.
    Charge(ChargeId),
    /// To an overpayment of the same payment.
    Overpayment(OverpaymentId),
    /// To suspense, waiting for a clerk.
    Suspense(SuspenseId),
}

/// 消込: an amount of a payment put to a target; negative where money
/// leaves a target again (a reduced charge, an assigned suspense item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The payment.
    pub payment_id: PaymentId,
    /// Where the amount goes.
    pub target: Target,
    /// The amount (signed).
    pub amount: Yen,
}

/// 過誤納金: what a payment brought beyond what its charges could take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overpayment {
    /// Its number.
    pub overpayment_id: OverpaymentId,
    /// The payment it came from.
    pub payment_id: PaymentId,
    /// 宛名番号 of the addressee it belongs to.
    pub addressee_id: i64,
    /// 還付済額: what was refunded.
    pub refunded: Yen,
}

/// 充当: an amount of an overpayment applied to a charge (negative where a
/// reduced charge gives it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appropriation {
    /// The overpayment.
    pub overpayment_id: OverpaymentId,
    /// The charge.
    pub charge_id: ChargeId,
    /// The amount (signed).
    pub amount: Yen,
}

/// The status of a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeStatus {
    /// A balance remains (未納).
    Open,
    /// Nothing remains and nothing was written off (完納).
    Paid,
    /// Nothing remains and some was written off (不納欠損).
    WrittenOff,
}

impl ChargeStatus {
    /// The contract's name: `open`, `paid`, `written_off`.
    pub fn code(self) -> &'static str {
        match self {
            ChargeStatus::Open => "open",
            ChargeStatus::Paid => "paid",
            ChargeStatus::WrittenOff => "written_off",
        }
    }
}

/// The status of an overpayment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverpaymentStatus {
    /// Wholly applied to charges (充当済).
    Applied,
    /// Some is to be refunded (還付未済).
    Refundable,
    /// The rest was refunded (還付済).
    Refunded,
}

impl OverpaymentStatus {
    /// The contract's name: `applied`, `refundable`, `refunded`.
    pub fn code(self) -> &'static str {
        match self {
            OverpaymentStatus::Applied => "applied",
            OverpaymentStatus::Refundable => "refundable",
            OverpaymentStatus::Refunded => "refunded",
        }
    }
}

/// One installment of an assessment, as a business's event gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    /// 期別.
    pub period: u8,
    /// 納期限.
    pub due_date: Date,
    /// The amount.
    pub amount: Yen,
}

/// A version of an assessment of one addressee, business and year: the
/// installments the addressee pays by slip (普通徴収).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The business.
    pub business: Business,
    /// 年度.
    pub fiscal_year: FiscalYear,
    /// 通知書番号.
    pub notice_number: NoticeNumber,
    /// 収納機関コード of the year.
    pub agency_code: String,
    /// Every installment of this version (a period left out is reduced to 0).
    pub installments: Vec<Installment>,
}

/// Something the ledger did not do, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerIssue {
    /// The late fee of a completed charge could not be computed (no rate
    /// data for a year the fee runs in); no late-fee charge was made.
    LateFeeNotComputed {
        /// The charge.
        charge_id: ChargeId,
        /// Why.
        error: LateFeeError,
    },
}

/// The rows an operation added, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// New charges (late fees, new periods), with provisional ids.
    pub new_charges: Vec<Charge>,
    /// New amounts of existing charges (a new version of each).
    pub amounts: Vec<(ChargeId, Yen)>,
    /// New overpayments, with provisional ids.
    pub new_overpayments: Vec<Overpayment>,
    /// New allocations.
    pub allocations: Vec<Allocation>,
    /// New appropriations.
    pub appropriations: Vec<Appropriation>,
    /// What could not be done.
    pub issues: Vec<LedgerIssue>,
}

impl Changes {
    /// Replaces the provisional (negative) ids of new charges and
    /// overpayments, wherever they appear, by `charge(id)` and
    /// `overpayment(id)`.
    pub fn renumber(
        &mut self,
        charge: impl Fn(ChargeId) -> ChargeId,
        overpayment: impl Fn(OverpaymentId) -> OverpaymentId,
    ) {
        let c = |id: ChargeId| if id.0 < 0 { charge(id) } else { id };
        let o = |id: OverpaymentId| if id.0 < 0 { overpayment(id) } else { id };
        for ch in &mut self.new_charges {
            ch.charge_id = c(ch.charge_id);
            ch.origin = ch.origin.map(c);
        }
        for (id, _) in &mut self.amounts {
            *id = c(*id);
        }
        for op in &mut self.new_overpayments {
            op.overpayment_id = o(op.overpayment_id);
        }
        for a in &mut self.allocations {
            a.target = match a.target {
                Target::Charge(id) => Target::Charge(c(id)),
                Target::Overpayment(id) => Target::Overpayment(o(id)),
                other => other,
            };
        }
        for a in &mut self.appropriations {
            a.overpayment_id = o(a.overpayment_id);
            a.charge_id = c(a.charge_id);
        }
        for LedgerIssue::LateFeeNotComputed { charge_id, .. } in &mut self.issues {
            *charge_id = c(*charge_id);
        }
    }

    /// Whether the operation added an overpayment or gave one more money.
    pub fn overpaid(&self) -> bool {
        self.allocations
            .iter()
            .any(|a| matches!(a.target, Target::Overpayment(_)) && a.amount > Yen::ZERO)
    }
}

/// What does not add up in a ledger ([`Ledger::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Discrepancy {
    /// A charge has more paid and written off than its amount, or a
    /// negative amount or payment.
    #[error(
        "charge {charge_id}: amount {amount} ≠ paid {paid} + written off {written_off} + balance {balance}"
    )]
    Charge {
        /// The charge.
        charge_id: i64,
        /// Its amount.
        amount: i64,
        /// Paid.
        paid: i64,
        /// Written off.
        written_off: i64,
        /// The balance (negative when overpaid).
        balance: i64,
    },
    /// A payment's allocations do not add up to its amount, or one of them
    /// leaves a target with less than nothing.
    #[error("payment {payment_id}: amount {amount}, allocated {allocated}")]
    Payment {
        /// The payment.
        payment_id: i64,
        /// Its amount.
        amount: i64,
        /// The sum of its allocations.
        allocated: i64,
    },
    /// An overpayment has applied and refunded more than it holds.
    #[error(
        "overpayment {overpayment_id}: amount {amount}, applied {applied}, refunded {refunded}"
    )]
    Overpayment {
        /// The overpayment.
        overpayment_id: i64,
        /// What its payment brought to it.
        amount: i64,
        /// What it applied to charges.
        applied: i64,
        /// What was refunded.
        refunded: i64,
    },
    /// An allocation or appropriation names something the ledger does not hold.
    #[error("{0}: refers to a charge, payment or overpayment that does not exist")]
    Dangling(String),
}

/// What a charge stands at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeState {
    /// 収納済額 (payments and appropriations).
    pub paid: Yen,
    /// 未納額.
    pub balance: Yen,
    /// Its status.
    pub status: ChargeStatus,
}

/// The state of an overpayment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverpaymentState {
    /// What its payment brought to it.
    pub amount: Yen,
    /// Applied to charges, by charge (net, positive only), in charge order.
    pub applied: Vec<(ChargeId, Yen)>,
    /// Still to refund.
    pub refundable: Yen,
    /// Its status.
    pub status: OverpaymentStatus,
}

/// The receivable ledger of one addressee (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    addressee_id: i64,
    charges: Vec<Charge>,
    payments: BTreeMap<PaymentId, Payment>,
    allocations: Vec<Allocation>,
    overpayments: Vec<Overpayment>,
    appropriations: Vec<Appropriation>,
    next_provisional: i64,
}

/// Why an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The charge is not this addressee's.
    #[error("charge_id: charge {0} is not in this ledger")]
    UnknownCharge(i64),
    /// A payment of zero or less.
    #[error("amount: a payment must be more than 0 yen")]
    NotPositive,
    /// An installment with a negative amount, or a period used twice.
    #[error("installments: {0}")]
    Installments(String),
    /// The suspense item no longer holds its payment (already assigned).
    #[error("suspense_id: suspense item {0} was already assigned")]
    NotInSuspense(i64),
    /// The payment is already in the ledger.
    #[error("payment_id: payment {0} is already posted")]
    AlreadyPosted(i64),
}

impl Ledger {
    /// An empty ledger.
    pub fn new(addressee_id: i64) -> Self {
        Self {
            addressee_id,
            charges: Vec::new(),
            payments: BTreeMap::new(),
            allocations: Vec::new(),
            overpayments: Vec::new(),
            appropriations: Vec::new(),
            next_provisional: -1,
        }
    }

    /// A ledger from stored rows: the addressee's charges (amounts in
    /// force), the payments allocated to them or to their overpayments, every
    /// allocation of those payments to this addressee's charges and
    /// overpayments, the overpayments and the appropriations.
    pub fn from_parts(
        addressee_id: i64,
        charges: Vec<Charge>,
        payments: Vec<Payment>,
        allocations: Vec<Allocation>,
        overpayments: Vec<Overpayment>,
        appropriations: Vec<Appropriation>,
    ) -> Self {
        Self {
            addressee_id,
            charges,
            payments: payments.into_iter().map(|p| (p.payment_id, p)).collect(),
            allocations,
            overpayments,
            appropriations,
            next_provisional: -1,
        }
    }

    /// 宛名番号 of the ledger's addressee.
    pub fn addressee_id(&self) -> i64 {
        self.addressee_id
    }

    /// The charges, in the order they were made.
    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    /// The overpayments.
    pub fn overpayments(&self) -> &[Overpayment] {
        &self.overpayments
    }

    /// The payments.
    pub fn payments(&self) -> impl Iterator<Item = &Payment> {
        self.payments.values()
    }

    /// The allocations.
    pub fn allocations(&self) -> &[Allocation] {
        &self.allocations
    }

    /// One charge.
    pub fn charge(&self, id: ChargeId) -> Option<&Charge> {
        self.charges.iter().find(|c| c.charge_id == id)
    }

    /// The open charge with `key` (the latest late fee of that key when the
    /// key's business is the late fee), else the latest charge of the key.
    pub fn charge_by_key(&self, key: &ChargeKey) -> Option<&Charge> {
        let matching: Vec<&Charge> = self.charges.iter().filter(|c| &c.key == key).collect();
        matching
            .iter()
            .rev()
            .find(|c| self.balance(c) > Yen::ZERO)
            .or(matching.last())
            .copied()
    }

    /// What the allocations and appropriations brought to a charge.
    pub fn paid(&self, id: ChargeId) -> Yen {
        let direct: Yen = self
            .allocations
            .iter()
            .filter(|a| a.target == Target::Charge(id))
            .map(|a| a.amount)
            .sum();
        let applied: Yen = self
            .appropriations
            .iter()
            .filter(|a| a.charge_id == id)
            .map(|a| a.amount)
            .sum();
        direct + applied
    }

    fn balance(&self, charge: &Charge) -> Yen {
        charge.amount - self.paid(charge.charge_id) - charge.written_off
    }

    /// What a charge stands at.
    pub fn state(&self, charge: &Charge) -> ChargeState {
        let paid = self.paid(charge.charge_id);
        let balance = charge.amount - paid - charge.written_off;
        let status = if balance > Yen::ZERO {
            ChargeStatus::Open
        } else if charge.written_off > Yen::ZERO {
            ChargeStatus::WrittenOff
        } else {
            ChargeStatus::Paid
        };
        ChargeState {
            paid,
            balance,
            status,
        }
    }

    /// The principal paid off by day: each payment's net contribution to the
    /// charge (directly or through its overpayment's appropriations) on the
    /// payment's day.
    pub fn reductions(&self, id: ChargeId) -> Vec<PartialPayment> {
        let mut by_payment: BTreeMap<PaymentId, Yen> = BTreeMap::new();
        for a in &self.allocations {
            if a.target == Target::Charge(id) {
                *by_payment.entry(a.payment_id).or_insert(Yen::ZERO) += a.amount;
            }
        }
        for a in &self.appropriations {
            if a.charge_id == id
                && let Some(op) = self.overpayment(a.overpayment_id)
            {
                *by_payment.entry(op.payment_id).or_insert(Yen::ZERO) += a.amount;
            }
        }
        let mut out: Vec<PartialPayment> = by_payment
            .into_iter()
            .filter(|(_, amount)| *amount > Yen::ZERO)
            .filter_map(|(payment_id, amount)| {
                self.payments.get(&payment_id).map(|p| PartialPayment {
                    paid_on: p.paid_on,
                    amount,
                })
            })
            .collect();
        out.sort_by_key(|p| p.paid_on);
        out
    }

    /// The late fee running on an open charge up to `as_of` (未確定延滞金);
    /// zero for a late fee itself, a charge not yet due on `as_of`, or one
    /// with nothing left to pay.
    pub fn late_fee_accrued(&self, charge: &Charge, as_of: Date) -> Result<Yen, LateFeeError> {
        if charge.key.business == Business::LateFee
            || self.balance(charge) <= Yen::ZERO
            || as_of <= charge.due_date
        {
            return Ok(Yen::ZERO);
        }
        let fee = late_fee_on_payments(
            charge.amount,
            charge.due_date,
            &self.reductions(charge.charge_id),
            as_of,
        )?;
        let charged: Yen = self.late_fees_of(charge.charge_id).map(|c| c.amount).sum();
        Ok((fee.late_fee - charged).at_least_zero())
    }

    fn late_fees_of(&self, origin: ChargeId) -> impl Iterator<Item = &Charge> {
        self.charges
            .iter()
            .filter(move |c| c.origin == Some(origin))
    }

    /// One overpayment.
    pub fn overpayment(&self, id: OverpaymentId) -> Option<&Overpayment> {
        self.overpayments.iter().find(|o| o.overpayment_id == id)
    }

    /// What an overpayment stands at.
    pub fn overpayment_state(&self, overpayment: &Overpayment) -> OverpaymentState {
        let id = overpayment.overpayment_id;
        let amount: Yen = self
            .allocations
            .iter()
            .filter(|a| a.target == Target::Overpayment(id))
            .map(|a| a.amount)
            .sum();
        let mut by_charge: BTreeMap<ChargeId, Yen> = BTreeMap::new();
        for a in self
            .appropriations
            .iter()
            .filter(|a| a.overpayment_id == id)
        {
            *by_charge.entry(a.charge_id).or_insert(Yen::ZERO) += a.amount;
        }
        let applied: Vec<(ChargeId, Yen)> = by_charge
            .into_iter()
            .filter(|(_, amount)| *amount > Yen::ZERO)
            .collect();
        let applied_total: Yen = applied.iter().map(|(_, a)| *a).sum();
        let refundable = amount - applied_total - overpayment.refunded;
        let status = if refundable > Yen::ZERO {
            OverpaymentStatus::Refundable
        } else if overpayment.refunded > Yen::ZERO {
            OverpaymentStatus::Refunded
        } else {
            OverpaymentStatus::Applied
        };
        OverpaymentState {
            amount,
            applied,
            refundable,
            status,
        }
    }

    fn provisional(&mut self) -> i64 {
        let id = self.next_provisional;
        self.next_provisional -= 1;
        id
    }

    /// Applies a version of an assessment: a charge for every new period, a
    /// new amount for every period whose amount changed (and 0 for a period
    /// the version leaves out). What was paid beyond a reduced amount
    /// becomes an overpayment of the payments that paid it (the latest
    /// first), applied to other open charges like any overpayment; nothing
    /// paid is lost. `on` is the day of the change (late fees charged
    /// because of it are due that day).
    pub fn assess(&mut self, assessment: &Assessment, on: Date) -> Result<Changes, LedgerError> {
        let mut periods = BTreeSet::new();
        for installment in &assessment.installments {
            if installment.amount < Yen::ZERO {
                return Err(LedgerError::Installments(format!(
                    "period {}: a negative amount",
                    installment.period
                )));
            }
            if installment.period == 0 || !periods.insert(installment.period) {
                return Err(LedgerError::Installments(format!(
                    "period {}: given twice or not a period",
                    installment.period
                )));
            }
        }
        let before = self.open_set();
        let mut changes = Changes::default();
        let same_year = |c: &Charge| {
            c.key.business == assessment.business
                && c.key.fiscal_year == assessment.fiscal_year
                && c.origin.is_none()
        };
        for installment in &assessment.installments {
            let existing = self
                .charges
                .iter()
                .position(|c| same_year(c) && c.key.period == installment.period);
            match existing {
                None => {
                    if installment.amount == Yen::ZERO {
                        continue;
                    }
                    let charge = Charge {
                        charge_id: ChargeId(self.provisional()),
                        addressee_id: self.addressee_id,
                        key: ChargeKey {
                            business: assessment.business,
                            fiscal_year: assessment.fiscal_year,
                            notice_number: assessment.notice_number.clone(),
                            period: installment.period,
                        },
                        due_date: installment.due_date,
                        amount: installment.amount,
                        written_off: Yen::ZERO,
                        agency_code: assessment.agency_code.clone(),
                        origin: None,
                        demanded_on: None,
                    };
                    self.charges.push(charge.clone());
                    changes.new_charges.push(charge);
                }
                Some(index) => {
                    self.set_amount(index, installment.amount, &mut changes);
                }
            }
        }
        // Periods this version no longer has.
        let dropped: Vec<usize> = self
            .charges
            .iter()
            .enumerate()
            .filter(|(_, c)| same_year(c) && !periods.contains(&c.key.period))
            .filter(|(_, c)| c.amount != Yen::ZERO)
            .map(|(i, _)| i)
            .collect();
        for index in dropped {
            self.set_amount(index, Yen::ZERO, &mut changes);
        }
        self.charge_completed_late_fees(&before, on, &mut changes);
        Ok(changes)
    }

    /// Sets a charge's amount; moves what was paid beyond it to
    /// overpayments and applies them.
    fn set_amount(&mut self, index: usize, amount: Yen, changes: &mut Changes) {
        let Some(charge) = self.charges.get(index) else {
            return;
        };
        if charge.amount == amount {
            return;
        }
        let charge_id = charge.charge_id;
        let written_off = charge.written_off;
        if let Some(charge) = self.charges.get_mut(index) {
            charge.amount = amount;
        }
        changes.amounts.push((charge_id, amount));
        let mut excess = self.paid(charge_id) + written_off - amount;
        if excess <= Yen::ZERO {
            return;
        }
        // What paid the charge: the overpayments applied to it, then the
        // payments, latest first.
        let mut sources: Vec<Source> = Vec::new();
        for a in self.appropriations.iter().rev() {
            let source = Source::Overpayment(a.overpayment_id);
            if a.charge_id == charge_id && !sources.contains(&source) {
                sources.push(source);
            }
        }
        for a in self.allocations.iter().rev() {
            let source = Source::Payment(a.payment_id);
            if a.target == Target::Charge(charge_id) && !sources.contains(&source) {
                sources.push(source);
            }
        }
        let mut grown = Vec::new();
        for source in sources {
            if excess <= Yen::ZERO {
                break;
            }
            match source {
                Source::Payment(payment_id) => {
                    let net: Yen = self
                        .allocations
                        .iter()
                        .filter(|a| {
                            a.payment_id == payment_id && a.target == Target::Charge(charge_id)
                        })
                        .map(|a| a.amount)
                        .sum();
                    let moved = net.min(excess);
                    if moved <= Yen::ZERO {
                        continue;
                    }
                    let overpayment = self.overpayment_of(payment_id, changes);
                    self.push_allocation(payment_id, Target::Charge(charge_id), -moved, changes);
                    self.push_allocation(
                        payment_id,
                        Target::Overpayment(overpayment),
                        moved,
                        changes,
                    );
                    excess -= moved;
                    grown.push(overpayment);
                }
                Source::Overpayment(overpayment_id) => {
                    let net: Yen = self
                        .appropriations
                        .iter()
                        .filter(|a| a.overpayment_id == overpayment_id && a.charge_id == charge_id)
                        .map(|a| a.amount)
                        .sum();
                    let moved = net.min(excess);
                    if moved <= Yen::ZERO {
                        continue;
                    }
                    self.push_appropriation(overpayment_id, charge_id, -moved, changes);
                    excess -= moved;
                    grown.push(overpayment_id);
                }
            }
        }
        for overpayment in grown {
            self.apply_overpayment(overpayment, changes);
        }
    }

    /// The overpayment of a payment, made when it has none.
    fn overpayment_of(&mut self, payment_id: PaymentId, changes: &mut Changes) -> OverpaymentId {
        if let Some(existing) = self
            .overpayments
            .iter()
            .find(|o| o.payment_id == payment_id)
        {
            return existing.overpayment_id;
        }
        let overpayment = Overpayment {
            overpayment_id: OverpaymentId(self.provisional()),
            payment_id,
            addressee_id: self.addressee_id,
            refunded: Yen::ZERO,
        };
        self.overpayments.push(overpayment.clone());
        changes.new_overpayments.push(overpayment.clone());
        overpayment.overpayment_id
    }

    fn push_allocation(
        &mut self,
        payment_id: PaymentId,
        target: Target,
        amount: Yen,
        changes: &mut Changes,
    ) {
        let allocation = Allocation {
            payment_id,
            target,
            amount,
        };
        self.allocations.push(allocation.clone());
        changes.allocations.push(allocation);
    }

    fn push_appropriation(
        &mut self,
        overpayment_id: OverpaymentId,
        charge_id: ChargeId,
        amount: Yen,
        changes: &mut Changes,
    ) {
        let appropriation = Appropriation {
            overpayment_id,
            charge_id,
            amount,
        };
        self.appropriations.push(appropriation.clone());
        changes.appropriations.push(appropriation);
    }

    /// Applies what an overpayment still holds to the addressee's open
    /// charges due before its payment's day, oldest first (by due date,
    /// then charge).
    fn apply_overpayment(&mut self, id: OverpaymentId, changes: &mut Changes) {
        let Some(overpayment) = self.overpayment(id).cloned() else {
            return;
        };
        let Some(paid_on) = self
            .payments
            .get(&overpayment.payment_id)
            .map(|p| p.paid_on)
        else {
            return;
        };
        let mut open: Vec<(Date, ChargeId)> = self
            .charges
            .iter()
            .filter(|c| c.due_date < paid_on && self.balance(c) > Yen::ZERO)
            .map(|c| (c.due_date, c.charge_id))
            .collect();
        open.sort();
        for (_, charge_id) in open {
            let mut available = self.overpayment_state(&overpayment).refundable;
            if available <= Yen::ZERO {
                break;
            }
            let Some(charge) = self.charge(charge_id) else {
                continue;
            };
            let take = self.balance(charge).min(available);
            if take > Yen::ZERO {
                self.push_appropriation(id, charge_id, take, changes);
                available -= take;
            }
        }
    }

    /// Posts a payment to one of the ledger's charges: principal first, up
    /// to its balance; the rest is an overpayment, applied to the open
    /// charges due before the payment's day. A charge whose principal is
    /// thereby completed after its due date gets its late fee as a charge
    /// due on `charged_on`.
    pub fn post(
        &mut self,
        payment: Payment,
        charge_id: ChargeId,
        charged_on: Date,
    ) -> Result<Changes, LedgerError> {
        if payment.amount <= Yen::ZERO {
            return Err(LedgerError::NotPositive);
        }
        if self.payments.contains_key(&payment.payment_id) {
            return Err(LedgerError::AlreadyPosted(payment.payment_id.0));
        }
        if self.charge(charge_id).is_none() {
            return Err(LedgerError::UnknownCharge(charge_id.0));
        }
        let mut changes = Changes::default();
        let amount = payment.amount;
        let payment_id = payment.payment_id;
        self.payments.insert(payment_id, payment);
        self.allocate(payment_id, amount, charge_id, charged_on, &mut changes);
        Ok(changes)
    }

    /// Assigns a payment held in suspense to one of the ledger's charges:
    /// the suspense item gives the amount back and the payment is posted
    /// as by [`Ledger::post`], keeping its own day.
    pub fn assign_from_suspense(
        &mut self,
        payment: Payment,
        suspense_id: SuspenseId,
        charge_id: ChargeId,
        charged_on: Date,
    ) -> Result<Changes, LedgerError> {
        if self.charge(charge_id).is_none() {
            return Err(LedgerError::UnknownCharge(charge_id.0));
        }
        if payment.amount <= Yen::ZERO {
            return Err(LedgerError::NotPositive);
        }
        let mut changes = Changes::default();
        let amount = payment.amount;
        let payment_id = payment.payment_id;
        self.payments.insert(payment_id, payment);
        // The payment's allocation to suspense, as stored, when the ledger
        // was not given it; an item already given back is refused.
        let in_suspense = |a: &&Allocation| {
            a.payment_id == payment_id && a.target == Target::Suspense(suspense_id)
        };
        if self
            .allocations
            .iter()
            .filter(in_suspense)
            .any(|a| a.amount < Yen::ZERO)
        {
            return Err(LedgerError::NotInSuspense(suspense_id.0));
        }
        if !self
            .allocations
            .iter()
            .filter(in_suspense)
            .any(|a| a.amount > Yen::ZERO)
        {
            self.allocations.push(Allocation {
                payment_id,
                target: Target::Suspense(suspense_id),
                amount,
            });
        }
        self.push_allocation(
            payment_id,
            Target::Suspense(suspense_id),
            -amount,
            &mut changes,
        );
        self.allocate(payment_id, amount, charge_id, charged_on, &mut changes);
        Ok(changes)
    }

    fn allocate(
        &mut self,
        payment_id: PaymentId,
        amount: Yen,
        charge_id: ChargeId,
        charged_on: Date,
        changes: &mut Changes,
    ) {
        let before = self.open_set();
        let balance = self
            .charge(charge_id)
            .map_or(Yen::ZERO, |c| self.balance(c).at_least_zero());
        let principal = amount.min(balance);
        if principal > Yen::ZERO {
            self.push_allocation(payment_id, Target::Charge(charge_id), principal, changes);
        }
        let rest = amount - principal;
        if rest > Yen::ZERO {
            let overpayment = self.overpayment_of(payment_id, changes);
            self.push_allocation(payment_id, Target::Overpayment(overpayment), rest, changes);
            self.apply_overpayment(overpayment, changes);
        }
        self.charge_completed_late_fees(&before, charged_on, changes);
    }

    fn open_set(&self) -> BTreeSet<ChargeId> {
        self.charges
            .iter()
            .filter(|c| self.balance(c) > Yen::ZERO)
            .map(|c| c.charge_id)
            .collect()
    }

    /// For every charge `before` held open and that is now completed by a
    /// payment dated after its due date: its late fee, less the late fees
    /// already charged on it, as a new charge due on `charged_on`.
    fn charge_completed_late_fees(
        &mut self,
        before: &BTreeSet<ChargeId>,
        charged_on: Date,
        changes: &mut Changes,
    ) {
        let completed: Vec<Charge> = self
            .charges
            .iter()
            .filter(|c| before.contains(&c.charge_id))
            .filter(|c| c.key.business != Business::LateFee && c.origin.is_none())
            .filter(|c| self.balance(c) <= Yen::ZERO && c.written_off == Yen::ZERO)
            .cloned()
            .collect();
        for charge in completed {
            let reductions = self.reductions(charge.charge_id);
            let Some(last) = reductions.iter().map(|r| r.paid_on).max() else {
                continue;
            };
            if last <= charge.due_date {
                continue;
            }
            let fee = match late_fee_on_payments(charge.amount, charge.due_date, &reductions, last)
            {
                Ok(fee) => fee.late_fee,
                Err(error) => {
                    changes.issues.push(LedgerIssue::LateFeeNotComputed {
                        charge_id: charge.charge_id,
                        error,
                    });
                    continue;
                }
            };
            let charged: Yen = self.late_fees_of(charge.charge_id).map(|c| c.amount).sum();
            let due = fee - charged;
            if due <= Yen::ZERO {
                continue;
            }
            let late_fee = Charge {
                charge_id: ChargeId(self.provisional()),
                addressee_id: self.addressee_id,
                key: ChargeKey {
                    business: Business::LateFee,
                    ..charge.key.clone()
                },
                due_date: charged_on,
                amount: due,
                written_off: Yen::ZERO,
                agency_code: charge.agency_code.clone(),
                origin: Some(charge.charge_id),
                demanded_on: None,
            };
            self.charges.push(late_fee.clone());
            changes.new_charges.push(late_fee);
        }
    }

    /// Checks the invariants: for every charge `amount = paid +
    /// written_off + balance` with nothing negative (no charge paid beyond
    /// its amount);
    /// every payment's allocations to this ledger's charges and
    /// overpayments (and suspense) add up to its amount, none leaving a
    /// target below zero; every overpayment holds at least what it applied
    /// and refunded.
    pub fn check(&self) -> Result<(), Discrepancy> {
        for charge in &self.charges {
            let state = self.state(charge);
            if charge.amount < Yen::ZERO
                || state.paid < Yen::ZERO
                || state.balance < Yen::ZERO
                || charge.written_off < Yen::ZERO
                || charge.amount != state.paid + charge.written_off + state.balance
            {
                return Err(Discrepancy::Charge {
                    charge_id: charge.charge_id.0,
                    amount: charge.amount.get(),
                    paid: state.paid.get(),
                    written_off: charge.written_off.get(),
                    balance: state.balance.get(),
                });
            }
        }
        for a in &self.allocations {
            let known = match a.target {
                Target::Charge(id) => self.charge(id).is_some(),
                Target::Overpayment(id) => self.overpayment(id).is_some(),
                Target::Suspense(_) => true,
            } && self.payments.contains_key(&a.payment_id);
            if !known {
                return Err(Discrepancy::Dangling(format!(
                    "allocation of payment {}",
                    a.payment_id.0
                )));
            }
        }
        for a in &self.appropriations {
            if self.charge(a.charge_id).is_none() || self.overpayment(a.overpayment_id).is_none() {
                return Err(Discrepancy::Dangling(format!(
                    "appropriation of overpayment {}",
                    a.overpayment_id.0
                )));
            }
        }
        for payment in self.payments.values() {
            let mut by_target: BTreeMap<Target, Yen> = BTreeMap::new();
            for a in self
                .allocations
                .iter()
                .filter(|a| a.payment_id == payment.payment_id)
            {
                *by_target.entry(a.target).or_insert(Yen::ZERO) += a.amount;
            }
            let allocated: Yen = by_target.values().copied().sum();
            let expected = payment.amount;
            let negative = by_target.values().any(|amount| *amount < Yen::ZERO);
            if allocated != expected || negative {
                return Err(Discrepancy::Payment {
                    payment_id: payment.payment_id.0,
                    amount: payment.amount.get(),
                    allocated: allocated.get(),
                });
            }
        }
        for overpayment in &self.overpayments {
            let state = self.overpayment_state(overpayment);
            let applied: Yen = state.applied.iter().map(|(_, a)| *a).sum();
            let net_negative = {
                let mut by_charge: BTreeMap<ChargeId, Yen> = BTreeMap::new();
                for a in self
                    .appropriations
                    .iter()
                    .filter(|a| a.overpayment_id == overpayment.overpayment_id)
                {
                    *by_charge.entry(a.charge_id).or_insert(Yen::ZERO) += a.amount;
                }
                by_charge.values().any(|a| *a < Yen::ZERO)
            };
            if state.refundable < Yen::ZERO || net_negative {
                return Err(Discrepancy::Overpayment {
                    overpayment_id: overpayment.overpayment_id.0,
                    amount: state.amount.get(),
                    applied: applied.get(),
                    refunded: overpayment.refunded.get(),
                });
            }
        }
        Ok(())
    }
}

/// What paid a charge, for moving it off again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Payment(PaymentId),
    Overpayment(OverpaymentId),
}

#[cfg(test)]
mod tests;
