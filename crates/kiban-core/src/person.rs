//! Attributes of a person that every business shares: 性別 and 続柄.

use std::fmt;

use crate::{Message, ValueError};

/// 性別.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

impl Sex {
    /// The code used in every interface: `male` or `female`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Parses the interface code.
    pub fn parse(code: &str) -> Result<Self, ValueError> {
        match code {
            "male" => Ok(Sex::Male),
            "female" => Ok(Sex::Female),
            other => Err(ValueError::out_of_range(Message::SexUnknown {
                code: other.to_owned(),
            })),
        }
    }

    /// The word printed on certificates: 男 or 女.
    pub fn label_ja(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// 続柄: the relationship of a household member to the head of household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    /// 世帯主.
    Head,
    /// 妻・夫.
    Spouse,
    /// 子.
    Child,
    /// 父・母.
    Parent,
    /// その他の親族.
    OtherRelative,
    /// 同居人.
    Cohabitant,
}

impl Relationship {
    /// Every relationship, in the order of the code table.
    pub const ALL: [Relationship; 6] = [
        Relationship::Head,
        Relationship::Spouse,
        Relationship::Child,
        Relationship::Parent,
        Relationship::OtherRelative,
        Relationship::Cohabitant,
    ];

    /// The code used in every interface (`head`, `spouse`, …).
    pub fn code(self) -> &'static str {
        match self {
            Relationship::Head => "head",
            Relationship::Spouse => "spouse",
            Relationship::Child => "child",
            Relationship::Parent => "parent",
            Relationship::OtherRelative => "other_relative",
            Relationship::Cohabitant => "cohabitant",
        }
    }

    /// Parses the interface code.
    pub fn parse(code: &str) -> Result<Self, ValueError> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| {
                ValueError::out_of_range(Message::RelationshipUnknown {
                    code: code.to_owned(),
                })
            })
    }

    /// The word printed on certificates (世帯主, 妻・夫 is printed by sex).
    pub fn label_ja(self, sex: Sex) -> &'static str {
        match (self, sex) {
            (Relationship::Head, _) => "世帯主",
            (Relationship::Spouse, Sex::Female) => "妻",
            (Relationship::Spouse, Sex::Male) => "夫",
            (Relationship::Child, _) => "子",
            (Relationship::Parent, Sex::Female) => "母",
            (Relationship::Parent, Sex::Male) => "父",
            (Relationship::OtherRelative, _) => "その他の親族",
            (Relationship::Cohabitant, _) => "同居人",
        }
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.code()), Ok(r));
        }
        assert!(Relationship::parse("wife").is_err());
        assert_eq!(Sex::parse("female"), Ok(Sex::Female));
        assert!(Sex::parse("f").is_err());
        assert_eq!(Relationship::Spouse.label_ja(Sex::Female), "妻");
    }
}
