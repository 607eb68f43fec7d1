//! The printed side of collection (収納・滞納, contract `collection-v1`):
//! the 督促状 (demand) for an addressee's overdue charges.
//!
//! As for the other notices, the struct holds what is printed, dates
//! already formatted (和暦) by the caller; amounts are [`Yen`].

use kiban_core::Yen;
use serde::Serialize;

use crate::documents::{Preparer, WireDocument};
use crate::error::PrintError;
use crate::fonts::FontRole;
use crate::resident_tax::{MailingBlock, WireMailing, yen};

/// One overdue charge on a 督促状.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandLine {
    /// The tax, e.g. `個人住民税`.
    pub business: String,
    /// 年度, e.g. `令和8年度`.
    pub fiscal_year: String,
    /// 期別, e.g. `第1期`.
    pub period: String,
    /// 通知書番号.
    pub notice_number: String,
    /// 納期限 (和暦).
    pub due_date: String,
    /// 未納額.
    pub balance: Yen,
}

/// 督促状: the addressee's charges not paid by their due dates, to pay by
/// `pay_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandNotice {
    /// The municipality, e.g. `デモ市`.
    pub municipality_name: String,
    /// e.g. `デモ市長`.
    pub mayor_title: String,
    /// The mayor's name.
    pub mayor_name: String,
    /// 発付日 (和暦).
    pub issued_on: String,
    /// 宛名番号.
    pub addressee_id: String,
    /// The window-envelope block.
    pub mailing: MailingBlock,
    /// The charges demanded.
    pub charges: Vec<DemandLine>,
    /// 督促手数料.
    pub demand_fee: Yen,
    /// 指定期限 (和暦): the day by which to pay.
    pub pay_by: String,
    /// 問い合わせ先.
    pub contact: String,
}

impl DemandNotice {
    /// The pages it is expected to take: one, and one more per 25 charges.
    pub fn expected_pages(&self) -> usize {
        1 + self.charges.len() / 25
    }
}

#[derive(Serialize)]
pub(crate) struct WireDemandNotice {
    kind: &'static str,
    municipality: String,
    mayor_title: String,
    mayor_name: String,
    issued_on: String,
    addressee_id: String,
    mailing: WireMailing,
    charges: Vec<WireDemandLine>,
    total: String,
    demand_fee: String,
    pay_by: String,
    contact: String,
}

#[derive(Serialize)]
struct WireDemandLine {
    business: String,
    fiscal_year: String,
    period: String,
    notice_number: String,
    due_date: String,
    balance: String,
}

impl Preparer<'_> {
    pub(crate) fn demand_notice(
        &mut self,
        notice: &DemandNotice,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::{NameOrAddress, Text};
        if notice.charges.is_empty() {
            return Err(PrintError::EmptyField {
                field: self.field("charges"),
            });
        }
        let mut charges = Vec::with_capacity(notice.charges.len());
        for (index, line) in notice.charges.iter().enumerate() {
            let at = |name: &str| format!("charges[{index}].{name}");
            charges.push(WireDemandLine {
                business: self.required(&at("business"), Text, &line.business)?,
                fiscal_year: self.required(&at("fiscal_year"), Text, &line.fiscal_year)?,
                period: self.required(&at("period"), Text, &line.period)?,
                notice_number: self.required(&at("notice_number"), Text, &line.notice_number)?,
                due_date: self.required(&at("due_date"), Text, &line.due_date)?,
                balance: yen(line.balance),
            });
        }
        let total = Yen::new(notice.charges.iter().map(|c| c.balance.get()).sum());
        Ok(WireDocument::DemandNotice(WireDemandNotice {
            kind: "demand_notice",
            municipality: self.required("municipality_name", Text, &notice.municipality_name)?,
            mayor_title: self.required("mayor_title", Text, &notice.mayor_title)?,
            mayor_name: self.required("mayor_name", NameOrAddress, &notice.mayor_name)?,
            issued_on: self.required("issued_on", Text, &notice.issued_on)?,
            addressee_id: self.required("addressee_id", Text, &notice.addressee_id)?,
            mailing: self.mailing("mailing", &notice.mailing)?,
            charges,
            total: yen(total),
            demand_fee: yen(notice.demand_fee),
            pay_by: self.required("pay_by", Text, &notice.pay_by)?,
            contact: self.required("contact", Text, &notice.contact)?,
        }))
    }
}
