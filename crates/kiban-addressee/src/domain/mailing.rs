//! Mailing addresses (送付先・納税管理人・代納人) per business, with
//! validity dates: which one a letter goes to on a given day.

use kiban_core::Date;

use kiban_core::Message;

use super::record::{AddresseeId, PostalAddress, Refusal};

/// The longest name on a mailing address, in characters.
pub const MAX_MAILING_NAME_CHARS: usize = 100;

/// The name written on a mailing address (氏名 or 名称): one line, not
/// empty, at most [`MAX_MAILING_NAME_CHARS`] characters.
pub fn parse_mailing_name(input: &str) -> Result<String, Refusal> {
    let name = input.trim();
    if name.is_empty()
        || name.chars().count() > MAX_MAILING_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(Refusal::field("name", Message::MailingNameRequired {}));
    }
    Ok(name.to_owned())
}

/// A validity that ends on or after it starts.
pub fn check_validity(valid_from: Date, valid_until: Option<Date>) -> Result<(), Refusal> {
    if valid_until.is_some_and(|until| until < valid_from) {
        return Err(Refusal::field("valid_until", Message::ValidityReversed {}));
    }
    Ok(())
}

/// The businesses a mailing address can be set for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Business {
    /// 個人住民税.
    ResidentTax,
    /// 固定資産税.
    FixedAssetTax,
    /// 軽自動車税.
    LightVehicleTax,
    /// 収納・滞納.
    Collection,
    /// 国民健康保険.
    Nhi,
    /// Every business without one of its own.
    All,
}

impl Business {
    /// Every business, in the order of the contract.
    pub const ALL: [Business; 6] = [
        Business::ResidentTax,
        Business::FixedAssetTax,
        Business::LightVehicleTax,
        Business::Collection,
        Business::Nhi,
        Business::All,
    ];

    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Business::ResidentTax => "resident_tax",
            Business::FixedAssetTax => "fixed_asset_tax",
            Business::LightVehicleTax => "light_vehicle_tax",
            Business::Collection => "collection",
            Business::Nhi => "nhi",
            Business::All => "all",
        }
    }

    /// The business written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The business's name on screens.
    pub fn label_ja(self) -> &'static str {
        match self {
            Business::ResidentTax => "個人住民税",
            Business::FixedAssetTax => "固定資産税",
            Business::LightVehicleTax => "軽自動車税",
            Business::Collection => "収納・滞納",
            Business::Nhi => "国民健康保険",
            Business::All => "全業務共通",
        }
    }
}

/// What a mailing address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailingKind {
    /// 送付先.
    Mailing,
    /// 納税管理人.
    TaxAgent,
    /// 代納人.
    PayerProxy,
}

impl MailingKind {
    /// Every kind.
    pub const ALL: [MailingKind; 3] = [
        MailingKind::Mailing,
        MailingKind::TaxAgent,
        MailingKind::PayerProxy,
    ];

    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            MailingKind::Mailing => "mailing",
            MailingKind::TaxAgent => "tax_agent",
            MailingKind::PayerProxy => "payer_proxy",
        }
    }

    /// The kind written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind's name on screens.
    pub fn label_ja(self) -> &'static str {
        match self {
            MailingKind::Mailing => "送付先",
            MailingKind::TaxAgent => "納税管理人",
            MailingKind::PayerProxy => "代納人",
        }
    }
}

/// A mailing address as recorded (each setting is a new record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailingAddress {
    /// Its number, increasing with each record.
    pub record_no: u64,
    /// Whose letters.
    pub addressee: AddresseeId,
    /// For which business.
    pub business: Business,
    /// 送付先, 納税管理人 or 代納人.
    pub kind: MailingKind,
    /// The name to write on the letter.
    pub name: String,
    /// Where.
    pub address: PostalAddress,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force, if it ends.
    pub valid_until: Option<Date>,
    /// When recorded (RFC 3339).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

impl MailingAddress {
    /// Whether it is in force on `on`.
    pub fn holds_on(&self, on: Date) -> bool {
        self.valid_from <= on && self.valid_until.is_none_or(|until| on <= until)
    }
}

/// The mailing address in force for `business` on `on`: the latest
/// recorded of that business in force then, else the latest of `all`
/// (a later record corrects an earlier one for the days they share).
pub fn in_force(
    records: &[MailingAddress],
    business: Business,
    on: Date,
) -> Option<&MailingAddress> {
    let latest = |b: Business| {
        records
            .iter()
            .filter(|r| r.business == b && r.holds_on(on))
            .max_by_key(|r| r.record_no)
    };
    latest(business).or_else(|| latest(Business::All))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        no: u64,
        business: Business,
        from: &str,
        until: Option<&str>,
        line: &str,
    ) -> MailingAddress {
        MailingAddress {
            record_no: no,
            addressee: AddresseeId::new(1),
            business,
            kind: MailingKind::Mailing,
            name: "山田　太郎".into(),
            address: PostalAddress {
                postal_code: None,
                address_line: line.into(),
                katagaki: None,
            },
            valid_from: from.parse().unwrap(),
            valid_until: until.map(|u| u.parse().unwrap()),
            recorded_at: String::new(),
            recorded_by: String::new(),
        }
    }

    #[test]
    fn business_then_all_then_none() {
        let records = vec![
            record(1, Business::All, "2026-01-01", None, "all"),
            record(
                2,
                Business::ResidentTax,
                "2026-04-01",
                Some("2026-09-30"),
                "tax",
            ),
            record(
                3,
                Business::ResidentTax,
                "2026-06-01",
                Some("2026-06-30"),
                "june",
            ),
        ];
        let on = |b, d: &str| {
            in_force(&records, b, d.parse().unwrap()).map(|r| r.address.address_line.as_str())
        };
        assert_eq!(on(Business::ResidentTax, "2026-05-01"), Some("tax"));
        assert_eq!(on(Business::ResidentTax, "2026-06-15"), Some("june"));
        assert_eq!(on(Business::ResidentTax, "2026-10-01"), Some("all"));
        assert_eq!(on(Business::Nhi, "2026-05-01"), Some("all"));
        assert_eq!(on(Business::Nhi, "2025-05-01"), None);
    }
}
