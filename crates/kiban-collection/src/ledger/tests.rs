use super::*;
use proptest::prelude::*;

fn date(y: i16, m: i8, d: i8) -> Date {
    kiban_core::date::date(y, m, d).unwrap()
}

fn fy(year: i32) -> FiscalYear {
    FiscalYear::new(year).unwrap()
}

const DUE: [(i16, i8, i8); 4] = [(2025, 6, 30), (2025, 9, 1), (2025, 10, 31), (2026, 2, 2)];

fn assessment(business: Business, amounts: &[i64]) -> Assessment {
    Assessment {
        business,
        fiscal_year: fy(2025),
        notice_number: NoticeNumber::parse(match business {
            Business::ResidentTax => "000000000101",
            _ => "000000000202",
        })
        .unwrap(),
        agency_code: "12345".into(),
        installments: amounts
            .iter()
            .enumerate()
            .map(|(i, amount)| {
                let (y, m, d) = DUE[i];
                Installment {
                    period: u8::try_from(i + 1).unwrap(),
                    due_date: date(y, m, d),
                    amount: Yen::new(*amount),
                }
            })
            .collect(),
    }
}

fn payment(id: i64, paid_on: Date, amount: i64) -> Payment {
    Payment {
        payment_id: PaymentId(id),
        paid_on,
        amount: Yen::new(amount),
    }
}

fn charge_of(ledger: &Ledger, period: u8) -> Charge {
    ledger
        .charges()
        .iter()
        .find(|c| c.key.period == period && c.origin.is_none())
        .cloned()
        .unwrap()
}

#[test]
fn a_payment_on_time_pays_its_charge_without_a_late_fee() {
    let mut ledger = Ledger::new(7);
    let changes = ledger
        .assess(
            &assessment(Business::ResidentTax, &[50_500, 48_000, 48_000, 48_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    assert_eq!(changes.new_charges.len(), 4);
    let first = charge_of(&ledger, 1);
    let changes = ledger
        .post(
            payment(1, date(2025, 6, 30), 50_500),
            first.charge_id,
            date(2025, 7, 2),
        )
        .unwrap();
    assert!(changes.new_charges.is_empty());
    assert_eq!(ledger.state(&first).status, ChargeStatus::Paid);
    assert_eq!(ledger.state(&first).balance, Yen::ZERO);
    assert!(first.barcode(Yen::new(50_500)).is_some());
    ledger.check().unwrap();
}

#[test]
fn a_late_payment_after_a_partial_one_charges_the_fee_on_what_stayed_unpaid() {
    let mut ledger = Ledger::new(7);
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[100_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    let first = charge_of(&ledger, 1);
    let partial = ledger
        .post(
            payment(1, date(2025, 7, 15), 50_000),
            first.charge_id,
            date(2025, 7, 16),
        )
        .unwrap();
    assert!(
        partial.new_charges.is_empty(),
        "the principal is not complete yet"
    );
    // 100,000 × 2.4% × 15 days = 98; 50,000 × 2.4% × 16 days = 52;
    // 50,000 × 8.7% × 123 days = 1,465; total 1,615 → 1,600.
    assert_eq!(
        ledger.late_fee_accrued(&first, date(2025, 12, 1)).unwrap(),
        Yen::new(1_600)
    );
    let rest = ledger
        .post(
            payment(2, date(2025, 12, 1), 50_000),
            first.charge_id,
            date(2025, 12, 5),
        )
        .unwrap();
    assert_eq!(rest.new_charges.len(), 1);
    let fee = &rest.new_charges[0];
    assert_eq!(fee.key.business, Business::LateFee);
    assert_eq!(fee.key.period, 1);
    assert_eq!(fee.origin, Some(first.charge_id));
    assert_eq!(fee.amount, Yen::new(1_600));
    assert_eq!(fee.due_date, date(2025, 12, 5));
    assert_eq!(
        ledger.late_fee_accrued(&first, date(2025, 12, 31)).unwrap(),
        Yen::ZERO
    );
    // Paying the late fee charges no fee on the fee.
    let fee_id = fee.charge_id;
    let paid = ledger
        .post(
            payment(3, date(2026, 3, 1), 1_600),
            fee_id,
            date(2026, 3, 2),
        )
        .unwrap();
    assert!(paid.new_charges.is_empty());
    ledger.check().unwrap();
}

#[test]
fn an_overpayment_is_applied_to_earlier_open_charges_and_the_rest_is_refundable() {
    let mut ledger = Ledger::new(7);
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[10_000, 10_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    let first = charge_of(&ledger, 1);
    let second = charge_of(&ledger, 2);
    // 25,000 on the second period, paid on 2025-09-01 (its due date): the
    // first (due 2025-06-30, before that day) takes 10,000, 5,000 is refundable.
    let changes = ledger
        .post(
            payment(1, date(2025, 9, 1), 25_000),
            second.charge_id,
            date(2025, 9, 2),
        )
        .unwrap();
    assert!(changes.overpaid());
    assert_eq!(ledger.state(&second).status, ChargeStatus::Paid);
    assert_eq!(ledger.state(&first).status, ChargeStatus::Paid);
    let overpayment = &ledger.overpayments()[0];
    let state = ledger.overpayment_state(overpayment);
    assert_eq!(state.amount, Yen::new(15_000));
    assert_eq!(state.applied, vec![(first.charge_id, Yen::new(10_000))]);
    assert_eq!(state.refundable, Yen::new(5_000));
    assert_eq!(state.status, OverpaymentStatus::Refundable);
    // The first period, completed 63 days late by the appropriation: a fee
    // under 1,000 yen (96), so no late-fee charge.
    assert!(changes.new_charges.is_empty());
    ledger.check().unwrap();
}

#[test]
fn a_second_payment_of_a_paid_charge_is_an_overpayment() {
    let mut ledger = Ledger::new(7);
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[10_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    let first = charge_of(&ledger, 1);
    ledger
        .post(
            payment(1, date(2025, 6, 20), 10_000),
            first.charge_id,
            date(2025, 6, 21),
        )
        .unwrap();
    let changes = ledger
        .post(
            payment(2, date(2025, 6, 21), 10_000),
            first.charge_id,
            date(2025, 6, 22),
        )
        .unwrap();
    assert!(changes.overpaid());
    let state = ledger.overpayment_state(&ledger.overpayments()[0]);
    assert_eq!(state.refundable, Yen::new(10_000));
    assert_eq!(ledger.state(&first).paid, Yen::new(10_000));
    assert_eq!(
        ledger.post(
            payment(2, date(2025, 6, 21), 10_000),
            first.charge_id,
            date(2025, 6, 22)
        ),
        Err(LedgerError::AlreadyPosted(2))
    );
    ledger.check().unwrap();
}

#[test]
fn a_reduction_below_what_was_paid_becomes_an_overpayment() {
    let mut ledger = Ledger::new(7);
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[30_000, 30_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    let first = charge_of(&ledger, 1);
    let second = charge_of(&ledger, 2);
    ledger
        .post(
            payment(1, date(2025, 6, 30), 30_000),
            first.charge_id,
            date(2025, 7, 1),
        )
        .unwrap();
    ledger
        .post(
            payment(2, date(2025, 8, 1), 30_000),
            second.charge_id,
            date(2025, 8, 2),
        )
        .unwrap();
    // The new version: 12,000 and 0 (period 2 dropped).
    let changes = ledger
        .assess(
            &assessment(Business::ResidentTax, &[12_000]),
            date(2025, 10, 1),
        )
        .unwrap();
    assert_eq!(
        changes.amounts,
        vec![
            (first.charge_id, Yen::new(12_000)),
            (second.charge_id, Yen::ZERO)
        ]
    );
    assert_eq!(ledger.state(&charge_of(&ledger, 1)).paid, Yen::new(12_000));
    assert_eq!(ledger.state(&charge_of(&ledger, 2)).paid, Yen::ZERO);
    let refundable: Yen = ledger
        .overpayments()
        .iter()
        .map(|o| ledger.overpayment_state(o).refundable)
        .sum();
    assert_eq!(refundable, Yen::new(48_000));
    ledger.check().unwrap();
    // An increase afterwards opens the charge again; the refundable money
    // stays with the overpayments (applied only when they arise).
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[12_000, 5_000]),
            date(2025, 10, 2),
        )
        .unwrap();
    assert_eq!(
        ledger.state(&charge_of(&ledger, 2)).balance,
        Yen::new(5_000)
    );
    ledger.check().unwrap();
}

#[test]
fn a_payment_assigned_from_suspense_keeps_its_day() {
    let mut ledger = Ledger::new(7);
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[100_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    let first = charge_of(&ledger, 1);
    let changes = ledger
        .assign_from_suspense(
            payment(9, date(2025, 12, 1), 100_000),
            SuspenseId(3),
            first.charge_id,
            date(2026, 1, 10),
        )
        .unwrap();
    assert_eq!(
        changes.allocations[0],
        Allocation {
            payment_id: PaymentId(9),
            target: Target::Suspense(SuspenseId(3)),
            amount: Yen::new(-100_000)
        }
    );
    // 100,000 from 2025-07-01 to 2025-12-01: 3,100 (the fee runs to the
    // payment's own day, not the assignment's).
    assert_eq!(changes.new_charges[0].amount, Yen::new(3_100));
    ledger.check().unwrap();
    assert_eq!(
        ledger.assign_from_suspense(
            payment(9, date(2025, 12, 1), 100_000),
            SuspenseId(3),
            first.charge_id,
            date(2026, 1, 10),
        ),
        Err(LedgerError::NotInSuspense(3))
    );
}

#[test]
fn installments_are_checked() {
    let mut ledger = Ledger::new(7);
    let mut bad = assessment(Business::ResidentTax, &[1_000, 1_000]);
    bad.installments[1].period = 1;
    assert!(matches!(
        ledger.assess(&bad, date(2025, 6, 1)),
        Err(LedgerError::Installments(_))
    ));
    assert!(ledger.charges().is_empty());
}

#[test]
fn renumbering_reaches_every_reference() {
    let mut ledger = Ledger::new(7);
    ledger
        .assess(
            &assessment(Business::ResidentTax, &[100_000]),
            date(2025, 6, 1),
        )
        .unwrap();
    let first = charge_of(&ledger, 1);
    let mut changes = ledger
        .post(
            payment(1, date(2025, 12, 1), 120_000),
            first.charge_id,
            date(2025, 12, 2),
        )
        .unwrap();
    changes.renumber(|c| ChargeId(-c.0 * 10), |o| OverpaymentId(-o.0 * 100));
    assert!(changes.new_charges.iter().all(|c| c.charge_id.0 > 0));
    assert!(
        changes
            .new_overpayments
            .iter()
            .all(|o| o.overpayment_id.0 > 0)
    );
    assert!(changes.allocations.iter().all(|a| match a.target {
        Target::Charge(id) => id.0 > 0,
        Target::Overpayment(id) => id.0 > 0,
        Target::Suspense(id) => id.0 > 0,
    }));
}

// The property: any sequence of assessments, reassessments, payments (on
// time, late, partial, double, into suspense and assigned) keeps every
// invariant, and no yen received is lost.

#[derive(Debug, Clone)]
enum Step {
    Assess {
        business: bool,
        amounts: Vec<i64>,
        day: i64,
    },
    Pay {
        pick: usize,
        how: How,
        day: i64,
    },
    Repeat {
        pick: usize,
    },
    Unknown {
        amount: i64,
        day: i64,
    },
    Assign {
        pick: usize,
        charge: usize,
        day: i64,
    },
}

#[derive(Debug, Clone)]
enum How {
    Balance,
    Part(i64),
    Over(i64),
    Any(i64),
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![
        Just(How::Balance),
        (1i64..100).prop_map(How::Part),
        (1i64..50_000).prop_map(How::Over),
        (1i64..200_000).prop_map(How::Any),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (any::<bool>(), prop::collection::vec(0i64..120_000, 0..=4), 0i64..500)
            .prop_map(|(business, amounts, day)| Step::Assess { business, amounts, day }),
        5 => (any::<usize>(), how(), -40i64..400).prop_map(|(pick, how, day)| Step::Pay { pick, how, day }),
        1 => any::<usize>().prop_map(|pick| Step::Repeat { pick }),
        1 => (1i64..100_000, 0i64..500).prop_map(|(amount, day)| Step::Unknown { amount, day }),
        1 => (any::<usize>(), any::<usize>(), 0i64..500)
            .prop_map(|(pick, charge, day)| Step::Assign { pick, charge, day }),
    ]
}

fn day(offset: i64) -> Date {
    // Days from 2025-05-01, kept within the years that have rate data.
    let start = date(2025, 5, 1);
    let last = date(2026, 12, 31);
    start
        .checked_add(jiff::Span::new().days(offset.clamp(0, 600)))
        .unwrap()
        .min(last)
}

struct World {
    ledger: Ledger,
    next_payment: i64,
    received: Yen,
    /// Payments in suspense (not yet assigned).
    suspense: Vec<(Payment, SuspenseId)>,
    posted: Vec<(Payment, ChargeId)>,
    today: i64,
}

impl World {
    fn check(&self) -> Result<(), TestCaseError> {
        self.ledger
            .check()
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        // Every yen received is on a charge, an overpayment or in suspense.
        let direct: Yen = self
            .ledger
            .allocations()
            .iter()
            .filter(|a| matches!(a.target, Target::Charge(_)))
            .map(|a| a.amount)
            .sum();
        let overpaid: Yen = self
            .ledger
            .overpayments()
            .iter()
            .map(|o| self.ledger.overpayment_state(o).amount)
            .sum();
        let held: Yen = self.suspense.iter().map(|(p, _)| p.amount).sum();
        let in_ledger_suspense: Yen = self
            .ledger
            .allocations()
            .iter()
            .filter(|a| matches!(a.target, Target::Suspense(_)))
            .map(|a| a.amount)
            .sum();
        prop_assert_eq!(direct + overpaid + held + in_ledger_suspense, self.received);
        // What the charges were paid is what came directly plus what
        // overpayments applied.
        let paid: Yen = self
            .ledger
            .charges()
            .iter()
            .map(|c| self.ledger.state(c).paid)
            .sum();
        let applied: Yen = self
            .ledger
            .overpayments()
            .iter()
            .map(|o| {
                self.ledger
                    .overpayment_state(o)
                    .applied
                    .iter()
                    .map(|(_, a)| *a)
                    .sum::<Yen>()
            })
            .sum();
        prop_assert_eq!(paid, direct + applied);
        // A late fee arises only from a charge of the ledger, and only for
        // a positive amount (at least 1,000 yen the first time; a later one
        // adds what a larger principal raised the fee by).
        for charge in self.ledger.charges() {
            if let Some(origin) = charge.origin {
                prop_assert_eq!(charge.key.business, Business::LateFee);
                prop_assert!(charge.amount > Yen::ZERO);
                prop_assert!(self.ledger.charge(origin).is_some());
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn every_sequence_keeps_the_ledger_in_balance(steps in prop::collection::vec(step(), 1..40)) {
        let mut world = World {
            ledger: Ledger::new(7),
            next_payment: 1,
            received: Yen::ZERO,
            suspense: Vec::new(),
            posted: Vec::new(),
            today: 0,
        };
        for step in steps {
            match step {
                Step::Assess { business, amounts, day: offset } => {
                    let business = if business { Business::ResidentTax } else { Business::FixedAssetTax };
                    let amounts: Vec<i64> = amounts.iter().map(|a| a / 100 * 100).collect();
                    world.today = world.today.max(offset);
                    let changes = world
                        .ledger
                        .assess(&assessment(business, &amounts), day(world.today))
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    drop(changes);
                }
                Step::Pay { pick, how, day: offset } => {
                    let charges = world.ledger.charges().to_vec();
                    if charges.is_empty() {
                        continue;
                    }
                    let charge = &charges[pick % charges.len()];
                    let balance = world.ledger.state(charge).balance;
                    let amount = match how {
                        How::Balance => balance.get(),
                        How::Part(percent) => balance.get() * percent / 100,
                        How::Over(extra) => balance.get() + extra,
                        How::Any(amount) => amount,
                    };
                    if amount <= 0 {
                        continue;
                    }
                    let paid_on = charge
                        .due_date
                        .checked_add(jiff::Span::new().days(offset))
                        .unwrap()
                        .max(date(2025, 5, 1))
                        .min(date(2026, 12, 31));
                    let p = payment(world.next_payment, paid_on, amount);
                    world.next_payment += 1;
                    world.received += p.amount;
                    world.today = world.today.max(offset.max(0));
                    let charged_on = paid_on.max(day(world.today));
                    let changes = world
                        .ledger
                        .post(p.clone(), charge.charge_id, charged_on)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    world.posted.push((p, charge.charge_id));
                    drop(changes);
                }
                Step::Repeat { pick } => {
                    // The same payment again (another record, same amount and day).
                    if world.posted.is_empty() {
                        continue;
                    }
                    let (p, charge) = world.posted[pick % world.posted.len()].clone();
                    let again = payment(world.next_payment, p.paid_on, p.amount.get());
                    world.next_payment += 1;
                    world.received += again.amount;
                    let changes = world
                        .ledger
                        .post(again.clone(), charge, p.paid_on)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(changes.overpaid() || world.ledger.state(world.ledger.charge(charge).unwrap()).paid > Yen::ZERO);
                    world.posted.push((again, charge));
                    drop(changes);
                }
                Step::Unknown { amount, day: offset } => {
                    let p = payment(world.next_payment, day(offset), amount);
                    world.next_payment += 1;
                    world.received += p.amount;
                    let id = SuspenseId(world.next_payment);
                    world.suspense.push((p, id));
                }
                Step::Assign { pick, charge, day: offset } => {
                    let charges = world.ledger.charges().to_vec();
                    if world.suspense.is_empty() || charges.is_empty() {
                        continue;
                    }
                    let (p, id) = world.suspense.remove(pick % world.suspense.len());
                    let target = charges[charge % charges.len()].charge_id;
                    world.today = world.today.max(offset);
                    let charged_on = p.paid_on.max(day(world.today));
                    let changes = world
                        .ledger
                        .assign_from_suspense(p.clone(), id, target, charged_on)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    world.posted.push((p, target));
                    drop(changes);
                }
            }
            world.check()?;
        }
    }
}
