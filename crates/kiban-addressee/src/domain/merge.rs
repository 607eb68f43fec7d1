//! 名寄せ (merge) and its undo: which number survives, and what may not be
//! merged. Records are never deleted; the current state of an addressee is
//! its last record.

use std::collections::BTreeMap;

use kiban_core::Message;

use super::record::{AddresseeId, Refusal};

/// A merge or its undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MergeAction {
    /// 名寄せ: `addressee` is the same person as `into`.
    Merge,
    /// 名寄せ解除.
    Unmerge,
}

impl MergeAction {
    /// The code stored and shown (`merge`, `unmerge`).
    pub fn code(self) -> &'static str {
        match self {
            MergeAction::Merge => "merge",
            MergeAction::Unmerge => "unmerge",
        }
    }

    /// The action written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "merge" => Some(MergeAction::Merge),
            "unmerge" => Some(MergeAction::Unmerge),
            _ => None,
        }
    }
}

/// One record of 名寄せ or its undo (名寄せ履歴).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRecord {
    /// Its number, increasing.
    pub record_no: u64,
    /// The addressee merged (or unmerged).
    pub addressee: AddresseeId,
    /// The addressee it was merged into.
    pub into: AddresseeId,
    /// Merge or unmerge.
    pub action: MergeAction,
    /// Why (as the clerk wrote it).
    pub reason: String,
    /// When (RFC 3339).
    pub recorded_at: String,
    /// Who.
    pub recorded_by: String,
}

/// The addressees currently merged, each with the one it is merged into,
/// from records in any order.
pub fn current_links(records: &[MergeRecord]) -> BTreeMap<AddresseeId, AddresseeId> {
    let mut sorted: Vec<&MergeRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.record_no);
    let mut links = BTreeMap::new();
    for record in sorted {
        match record.action {
            MergeAction::Merge => {
                links.insert(record.addressee, record.into);
            }
            MergeAction::Unmerge => {
                links.remove(&record.addressee);
            }
        }
    }
    links
}

/// Whether `from` may be merged into `into`: not into itself, not twice,
/// and never a chain (the target merged into a third, or others merged
/// into `from`), so that one step always leads to the surviving number.
pub fn check_merge(
    from: AddresseeId,
    into: AddresseeId,
    links: &BTreeMap<AddresseeId, AddresseeId>,
) -> Result<(), Refusal> {
    if from == into {
        return Err(Refusal::field("into", Message::MergeIntoSelf {}));
    }
    if let Some(current) = links.get(&from) {
        return Err(Refusal::of(Message::AlreadyMerged {
            into: current.to_string(),
        }));
    }
    if let Some(further) = links.get(&into) {
        return Err(Refusal::field(
            "into",
            Message::MergeChainTarget {
                into: further.to_string(),
            },
        ));
    }
    if links.values().any(|target| *target == from) {
        return Err(Refusal::of(Message::MergeChainSource {}));
    }
    Ok(())
}

/// The addressee `from` is merged into, which an unmerge undoes.
pub fn check_unmerge(
    from: AddresseeId,
    links: &BTreeMap<AddresseeId, AddresseeId>,
) -> Result<AddresseeId, Refusal> {
    links
        .get(&from)
        .copied()
        .ok_or_else(|| Refusal::of(Message::NotMerged {}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> AddresseeId {
        AddresseeId::new(n)
    }

    fn record(no: u64, from: u64, into: u64, action: MergeAction) -> MergeRecord {
        MergeRecord {
            record_no: no,
            addressee: id(from),
            into: id(into),
            action,
            reason: "同一人".into(),
            recorded_at: String::new(),
            recorded_by: String::new(),
        }
    }

    #[test]
    fn the_last_record_decides() {
        let records = vec![
            record(2, 1, 2, MergeAction::Unmerge),
            record(1, 1, 2, MergeAction::Merge),
            record(3, 1, 3, MergeAction::Merge),
        ];
        let links = current_links(&records);
        assert_eq!(links.get(&id(1)), Some(&id(3)));
        assert_eq!(links.len(), 1);
    }

    #[test]
    fn self_twice_and_chains_are_refused() {
        let links = current_links(&[record(1, 1, 2, MergeAction::Merge)]);
        let code = |r: Result<(), Refusal>| r.unwrap_err().message.code().as_str();
        assert_eq!(code(check_merge(id(5), id(5), &links)), "merge_into_self");
        assert_eq!(code(check_merge(id(1), id(3), &links)), "already_merged");
        assert_eq!(code(check_merge(id(3), id(1), &links)), "merge_chain");
        assert_eq!(code(check_merge(id(2), id(3), &links)), "merge_chain");
        assert!(check_merge(id(3), id(2), &links).is_ok());
        assert_eq!(check_unmerge(id(1), &links).unwrap(), id(2));
        assert_eq!(
            check_unmerge(id(2), &links)
                .unwrap_err()
                .message
                .code()
                .as_str(),
            "not_merged"
        );
    }
}
