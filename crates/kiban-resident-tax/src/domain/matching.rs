//! Matching income records to addressees (突合): the decision, from what
//! the addressee master found. Finding is storage's work (by 個人番号
//! through its keyed hash, else by フリガナ, 生年月日 and the address on
//! 1 January through the master's matching keys); this module decides.

use kiban_addressee::domain::AddresseeId;

/// How one income record stands towards the addressee master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome {
    /// Exactly one addressee.
    Matched(AddresseeId),
    /// Nobody: the record waits in the 突合 queue.
    Unmatched,
    /// Several addressees (listed, in number order): the record waits in
    /// the 突合 queue.
    Ambiguous(Vec<AddresseeId>),
}

impl MatchOutcome {
    /// The code of the report (`matched`, `unmatched`, `ambiguous`).
    pub fn code(&self) -> &'static str {
        match self {
            MatchOutcome::Matched(_) => "matched",
            MatchOutcome::Unmatched => "unmatched",
            MatchOutcome::Ambiguous(_) => "ambiguous",
        }
    }
}

/// Decides a record's match. `by_number` is what its 個人番号 found (`None`
/// when it has none); `by_basic_info` what its フリガナ, 生年月日 and
/// address on 1 January found. A number decides when it finds anyone; a
/// number that finds nobody (a person known here without a number) falls
/// back to the basic information, as a record without a number does.
pub fn decide(by_number: Option<&[AddresseeId]>, by_basic_info: &[AddresseeId]) -> MatchOutcome {
    let found = match by_number {
        Some(ids) if !ids.is_empty() => ids,
        _ => by_basic_info,
    };
    let mut ids = found.to_vec();
    ids.sort();
    ids.dedup();
    match ids.as_slice() {
        [] => MatchOutcome::Unmatched,
        [one] => MatchOutcome::Matched(*one),
        _ => MatchOutcome::Ambiguous(ids),
    }
}

/// Whether a record needs a search by basic information: it has no
/// number, or its number found nobody.
pub fn needs_basic_info(by_number: Option<&[AddresseeId]>) -> bool {
    by_number.is_none_or(<[AddresseeId]>::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: &[u64]) -> Vec<AddresseeId> {
        n.iter().copied().map(AddresseeId::new).collect()
    }

    #[test]
    fn a_number_decides_when_it_finds_someone() {
        assert_eq!(
            decide(Some(&ids(&[5])), &ids(&[7, 8])),
            MatchOutcome::Matched(AddresseeId::new(5))
        );
        assert_eq!(
            decide(Some(&ids(&[9, 5])), &[]),
            MatchOutcome::Ambiguous(ids(&[5, 9]))
        );
    }

    #[test]
    fn without_a_number_the_basic_information_decides() {
        assert_eq!(decide(None, &[]), MatchOutcome::Unmatched);
        assert_eq!(
            decide(Some(&[]), &ids(&[3])),
            MatchOutcome::Matched(AddresseeId::new(3))
        );
        assert_eq!(
            decide(None, &ids(&[4, 3, 4])),
            MatchOutcome::Ambiguous(ids(&[3, 4]))
        );
        assert!(needs_basic_info(None));
        assert!(needs_basic_info(Some(&[])));
        assert!(!needs_basic_info(Some(&ids(&[1]))));
    }
}
