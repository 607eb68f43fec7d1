//! The working of a calculation (計算過程): each step with its amount and how it
//! was obtained, so that a clerk can explain a notice to a resident.

use crate::money::Yen;

/// One step of a calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's name in Japanese, e.g. `給与所得控除後の給与等の金額`.
    pub step: String,
    /// The amount obtained.
    pub amount: Yen,
    /// How it was obtained, in Japanese, e.g. `5,000,000円 × 80% − 440,000円`.
    pub basis: String,
}

/// The steps of a calculation, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Working {
    steps: Vec<Step>,
}

impl Working {
    /// An empty working.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a step and returns its amount, so that a calculation can be
    /// written as a sequence of named steps.
    pub fn record(
        &mut self,
        step: impl Into<String>,
        amount: Yen,
        basis: impl Into<String>,
    ) -> Yen {
        self.steps.push(Step {
            step: step.into(),
            amount,
            basis: basis.into(),
        });
        amount
    }

    /// Appends the steps of a sub-calculation.
    pub fn extend(&mut self, other: Working) {
        self.steps.extend(other.steps);
    }

    /// The steps in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}
