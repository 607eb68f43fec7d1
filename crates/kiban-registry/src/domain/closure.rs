//! Loading what a request or a read needs: the movements of the persons and
//! households involved, and of everyone connected to them.

use std::collections::BTreeSet;

use super::ids::MovementId;
use super::movement::{Mentions, Movement};

/// The movements to load before validating a request or reading a person or
/// household: every movement indexed by a person or household that is
/// involved, repeated until no movement names anyone new (a household's
/// state depends on its members' movements, a member's on the households
/// they were in).
///
/// Storage drives it, since loading is IO:
///
/// ```text
/// let mut closure = Closure::new(command.mentions());
/// while let Some(pending) = closure.pending() {
///     // Movements whose index rows name any of `pending.persons` or
///     // `pending.households`, and those whose number is in `pending.movements`.
///     let batch = load(&pending)?;
///     closure.add(&pending, batch);
/// }
/// let movements = closure.into_movements();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Closure {
    wanted: Mentions,
    fetched: Mentions,
    seen: BTreeSet<MovementId>,
    movements: Vec<Movement>,
}

impl Closure {
    /// Starts from what a request or a read names.
    pub fn new(start: Mentions) -> Self {
        Self {
            wanted: start,
            ..Self::default()
        }
    }

    /// The numbers still to load by, or `None` when the closure is complete.
    pub fn pending(&self) -> Option<Mentions> {
        let pending = self.wanted.difference(&self.fetched);
        (!pending.is_empty()).then_some(pending)
    }

    /// Records that `fetched` was loaded and yielded `movements` (duplicates
    /// of movements already added are ignored).
    pub fn add(&mut self, fetched: &Mentions, movements: impl IntoIterator<Item = Movement>) {
        self.fetched.extend(fetched);
        for movement in movements {
            if self.seen.insert(movement.id) {
                self.wanted.extend(&movement.mentions());
                self.movements.push(movement);
            }
        }
    }

    /// The movements loaded so far.
    pub fn movements(&self) -> &[Movement] {
        &self.movements
    }

    /// The movements loaded, to build a [`Timeline`](super::Timeline) or to
    /// pass to [`record_movement`](super::record_movement).
    pub fn into_movements(self) -> Vec<Movement> {
        self.movements
    }
}
