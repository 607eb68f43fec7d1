//! The counts behind 住民基本台帳人口・世帯数 (the `population-statistics`
//! job), set-based: one aggregate statement per range of households over
//! the `persons` and `households` projections, plus a fold of the few
//! persons and households whose projection rows are not their state on
//! the date.
//!
//! A projection row is a person's (or household's) state as of any date
//! after which no movement concerns them. The movements dated after the
//! date, and everything connected to them (their [`Closure`]: the persons
//! and households they name, those persons' and households' other
//! movements, and so on), are folded instead; their persons and
//! households are left out of the aggregates. Because the closure is
//! closed, a household is counted either wholly by the aggregates or
//! wholly by the fold, never by both. When the date is today the closure
//! is small (planned 転出 only).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use kiban_core::{Date, MunicipalityCode, Sex};
use kiban_store::{Arg, StoreError, TenantTx};

use crate::domain::statistics::{AgeBand, HouseholdTable, PopulationTable};
use crate::domain::{HouseholdId, Mentions, MovementId, PersonId, ResidentStatus, Timeline};

/// Counts of one part of the registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialCounts {
    /// Residents by postal code, sex and age band.
    pub population: PopulationTable,
    /// Households with resident members by postal code.
    pub households: HouseholdTable,
    /// Persons of the projection looked at (residents or not): the
    /// subjects of this part.
    pub examined: u64,
}

/// An inclusive range of 世帯番号.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HouseholdRange {
    /// The first.
    pub low: i64,
    /// The last.
    pub high: i64,
}

/// Ranges of households holding about `per_range` persons each (by the
/// spread of the numbers), with the persons each is expected to hold; the
/// expectations add up to every person of the projection.
pub async fn plan_ranges(
    tx: &mut TenantTx,
    per_range: u64,
) -> Result<Vec<(HouseholdRange, u64)>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT MIN(household_id), MAX(household_id), COUNT(*) FROM persons \
             WHERE municipality_code = $1",
            &[],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let (Some(low), Some(high)) = (row.opt_int(0)?, row.opt_int(1)?) else {
        return Ok(Vec::new());
    };
    let persons = u64::try_from(row.int(2)?).unwrap_or(0).max(1);
    let span = u64::try_from(high - low + 1).unwrap_or(1).max(1);
    let width = (span.saturating_mul(per_range.max(1)) / persons).clamp(1, span);
    let ranges = span.div_ceil(width);
    let mut out = Vec::new();
    let mut assigned = 0;
    for i in 0..ranges {
        let start = low + i64::try_from(i * width).unwrap_or(i64::MAX);
        let end = (start + i64::try_from(width).unwrap_or(i64::MAX) - 1).min(high);
        let expected = if i + 1 == ranges {
            persons - assigned
        } else {
            persons / ranges
        };
        assigned += expected;
        out.push((
            HouseholdRange {
                low: start,
                high: end,
            },
            expected,
        ));
    }
    Ok(out)
}

/// The persons and households whose state on `as_of` must be folded: the
/// closure of the movements dated after it, with those movements.
struct Later {
    movements: Vec<crate::domain::Movement>,
    persons: BTreeSet<PersonId>,
    households: BTreeSet<HouseholdId>,
}

async fn later(tx: &mut TenantTx, as_of: Date) -> Result<Later, StoreError> {
    let mut start = Mentions::default();
    let date = Arg::from(as_of);
    for row in tx
        .fetch_all(
            "SELECT movement_id FROM movements WHERE municipality_code = $1 AND event_date > $2",
            std::slice::from_ref(&date),
        )
        .await?
    {
        start
            .movements
            .insert(MovementId::new(u64::try_from(row.int(0)?).unwrap_or(0)));
    }
    if start.movements.is_empty() {
        return Ok(Later {
            movements: Vec::new(),
            persons: BTreeSet::new(),
            households: BTreeSet::new(),
        });
    }
    for row in tx
        .fetch_all(
            "SELECT person_id FROM movement_persons WHERE municipality_code = $1 AND movement_id IN \
             (SELECT movement_id FROM movements WHERE municipality_code = $1 AND event_date > $2)",
            std::slice::from_ref(&date),
        )
        .await?
    {
        start
            .persons
            .insert(PersonId::new(u64::try_from(row.int(0)?).unwrap_or(0)));
    }
    for row in tx
        .fetch_all(
            "SELECT household_id FROM movement_households WHERE municipality_code = $1 AND movement_id IN \
             (SELECT movement_id FROM movements WHERE municipality_code = $1 AND event_date > $2)",
            std::slice::from_ref(&date),
        )
        .await?
    {
        start
            .households
            .insert(HouseholdId::new(u64::try_from(row.int(0)?).unwrap_or(0)));
    }
    let movements = super::read::load_closure(tx, start).await?;
    let mut persons = BTreeSet::new();
    let mut households = BTreeSet::new();
    for movement in &movements {
        let mentions = movement.mentions();
        persons.extend(mentions.persons);
        households.extend(mentions.households);
    }
    Ok(Later {
        movements,
        persons,
        households,
    })
}

/// `column IN (…)` with the numbers written as literals (integers read
/// from the database); `None` when there are none.
fn in_literal(column: &str, ids: &[i64]) -> Option<String> {
    if ids.is_empty() {
        return None;
    }
    let mut sql = format!("{column} IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        let _ = write!(sql, "{id}");
    }
    sql.push(')');
    Some(sql)
}

/// The age band of `persons.birth_date` on the date whose next day is
/// `$2`, in SQL both engines run: the years between, less one before the
/// birthday (as [`AgeBand::on`]).
const AGE: &str = "(CAST(substr($2, 1, 4) AS INTEGER) - CAST(substr(p.birth_date, 1, 4) AS INTEGER) \
     - CASE WHEN substr($2, 6, 5) < substr(p.birth_date, 6, 5) THEN 1 ELSE 0 END)";

fn band_sql(excluded: Option<&str>) -> String {
    let not_counted = match excluded {
        Some(e) => format!("p.status <> 'resident' OR {e}"),
        None => "p.status <> 'resident'".to_owned(),
    };
    format!(
        "CAST(CASE WHEN {not_counted} THEN -1 WHEN {AGE} >= 100 THEN 20 ELSE {AGE} / 5 END AS BIGINT)"
    )
}

/// Counts the projection rows of the households in `range` (all when
/// `None`) as of `as_of`, leaving out the persons and households in
/// `excluded` (pass none for the plain aggregate).
async fn aggregate(
    tx: &mut TenantTx,
    as_of: Date,
    range: Option<HouseholdRange>,
    excluded_persons: &[i64],
    excluded_households: &[i64],
) -> Result<PartialCounts, StoreError> {
    let next_day = as_of.tomorrow().map_err(|e| StoreError::Corrupt {
        column: "as_of".into(),
        reason: e.to_string(),
    })?;
    let mut args = vec![Arg::from(next_day)];
    let (range_sql, households_range_sql) = match range {
        Some(r) => {
            args.push(Arg::Int(r.low));
            args.push(Arg::Int(r.high));
            // The range is written for both sides of the join: neither
            // engine carries a range across a join's equality, and without
            // it PostgreSQL reads every household for every chunk.
            (
                " AND p.household_id BETWEEN $3 AND $4",
                " AND p.household_id BETWEEN $3 AND $4 AND h.household_id BETWEEN $3 AND $4",
            )
        }
        None => ("", ""),
    };
    let excluded: Vec<String> = [
        in_literal("p.person_id", excluded_persons),
        in_literal("p.household_id", excluded_households),
    ]
    .into_iter()
    .flatten()
    .collect();
    let excluded = (!excluded.is_empty()).then(|| format!("({})", excluded.join(" OR ")));
    let mut counts = PartialCounts::default();
    let population = format!(
        "SELECT COALESCE(p.postal_code, ''), p.sex, {band}, COUNT(*) FROM persons p \
         WHERE p.municipality_code = $1{range_sql} \
         GROUP BY COALESCE(p.postal_code, ''), p.sex, {band}",
        band = band_sql(excluded.as_deref()),
    );
    for row in tx.fetch_all(&population, &args).await? {
        let n = u64::try_from(row.int(3)?).unwrap_or(0);
        counts.examined += n;
        let Some(band) = AgeBand::from_index(row.int(2)?) else {
            continue;
        };
        let sex_code = row.text(1)?;
        let sex = Sex::parse(&sex_code).map_err(|e| StoreError::Corrupt {
            column: "persons.sex".into(),
            reason: e.to_string(),
        })?;
        counts.population.add(&row.text(0)?, sex, band, n);
    }
    // The households' statement does not use the date.
    let households = format!(
        "SELECT COALESCE(h.postal_code, ''), COUNT(DISTINCT p.household_id), COUNT(*) \
         FROM persons p JOIN households h \
           ON h.municipality_code = p.municipality_code AND h.household_id = p.household_id \
         WHERE p.municipality_code = $1 AND p.status = 'resident' AND $2 = $2{households_range_sql}{excl} \
         GROUP BY COALESCE(h.postal_code, '')",
        excl = excluded
            .as_deref()
            .map(|e| format!(" AND NOT {e}"))
            .unwrap_or_default(),
    );
    for row in tx.fetch_all(&households, &args).await? {
        counts.households.add(
            &row.text(0)?,
            u64::try_from(row.int(1)?).unwrap_or(0),
            u64::try_from(row.int(2)?).unwrap_or(0),
        );
    }
    Ok(counts)
}

/// The persons and households left out of the aggregates (see the module's
/// documentation), as numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Folded {
    persons: Vec<i64>,
    households: Vec<i64>,
}

/// The folded sets of one municipality as of one date, at one version of
/// its registry (its movement counter, which every change to movements or
/// projections advances).
#[derive(Clone)]
struct Remembered {
    municipality: MunicipalityCode,
    as_of: Date,
    version: Option<i64>,
    folded: Arc<Folded>,
}

/// The last folded sets computed on a database, a few municipalities'
/// worth (kept per pool: [`TenantTx::per_pool`]). Finding them means
/// loading every movement of the closure; a run asks for them once per
/// chunk, and while nobody records a movement they do not change. Keyed by
/// municipality, date and registry version: a movement recorded in between
/// changes the version, and they are computed afresh.
#[derive(Default)]
struct FoldedMemo(Mutex<Vec<Remembered>>);
const REMEMBERED_MAX: usize = 8;

/// The persons and households whose state on `as_of` is folded rather than
/// aggregated, computed once per registry version.
async fn folded(tx: &mut TenantTx, as_of: Date) -> Result<Arc<Folded>, StoreError> {
    let municipality = tx.municipality();
    let version = super::read::registry_version(tx).await?;
    let memo = tx.per_pool::<FoldedMemo>();
    let found = memo
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|r| r.municipality == municipality && r.as_of == as_of && r.version == version)
        .map(|r| Arc::clone(&r.folded));
    if let Some(folded) = found {
        return Ok(folded);
    }
    let later = later(tx, as_of).await?;
    let folded = Arc::new(Folded {
        persons: later
            .persons
            .iter()
            .filter_map(|p| i64::try_from(p.get()).ok())
            .collect(),
        households: later
            .households
            .iter()
            .filter_map(|h| i64::try_from(h.get()).ok())
            .collect(),
    });
    // Remembered only when no movement was recorded while they were read,
    // so the sets belong to the version they are filed under.
    if super::read::registry_version(tx).await? == version {
        let mut remembered = memo
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        remembered.retain(|r| !(r.municipality == municipality && r.as_of == as_of));
        if remembered.len() >= REMEMBERED_MAX {
            remembered.remove(0);
        }
        remembered.push(Remembered {
            municipality,
            as_of,
            version,
            folded: Arc::clone(&folded),
        });
    }
    Ok(folded)
}

/// The counts of the households in `range` as of `as_of`, from the
/// projections, without the persons and households folded by
/// [`count_later`].
pub async fn count_range(
    tx: &mut TenantTx,
    as_of: Date,
    range: HouseholdRange,
) -> Result<PartialCounts, StoreError> {
    let folded = folded(tx, as_of).await?;
    // Only the households that could match are written into the statement.
    let excluded_households: Vec<i64> = folded
        .households
        .iter()
        .copied()
        .filter(|h| (range.low..=range.high).contains(h))
        .collect();
    aggregate(
        tx,
        as_of,
        Some(range),
        &folded.persons,
        &excluded_households,
    )
    .await
}

/// The counts of the persons and households whose state on `as_of` is
/// folded from their movements (see the module's documentation).
pub async fn count_later(tx: &mut TenantTx, as_of: Date) -> Result<PartialCounts, StoreError> {
    let later = later(tx, as_of).await?;
    let mut counts = PartialCounts::default();
    if later.movements.is_empty() {
        return Ok(counts);
    }
    let timeline = Timeline::new(&later.movements);
    for person in timeline.persons_as_of(as_of) {
        if person.status == ResidentStatus::Resident {
            counts.population.add(
                person.address.postal_code.as_str(),
                person.sex,
                AgeBand::on(person.birth_date, as_of),
                1,
            );
        }
    }
    for household in timeline.households_as_of(as_of) {
        let residents = household
            .members
            .iter()
            .filter(|m| m.status == ResidentStatus::Resident)
            .count() as u64;
        if residents > 0 {
            counts
                .households
                .add(household.address.postal_code.as_str(), 1, residents);
        }
    }
    Ok(counts)
}

/// The plain SQL aggregate of the same rows over the whole municipality,
/// without ranges and without the fold: what `kiban bench jobs` compares
/// the job with.
pub async fn count_plain(tx: &mut TenantTx, as_of: Date) -> Result<PartialCounts, StoreError> {
    aggregate(tx, as_of, None, &[], &[]).await
}

/// The persons of the closure of the movements dated after a date (see the
/// module) and, among them, the residents on that date with their birth
/// dates, remembered per registry version like [`Folded`].
#[derive(Debug, Default)]
struct ClosureResidents {
    persons: BTreeSet<i64>,
    residents: std::collections::BTreeMap<i64, Date>,
}

#[derive(Clone)]
struct RememberedResidents {
    municipality: MunicipalityCode,
    as_of: Date,
    version: Option<i64>,
    value: Arc<ClosureResidents>,
}

#[derive(Default)]
struct ResidentsMemo(Mutex<Vec<RememberedResidents>>);

async fn closure_residents(
    tx: &mut TenantTx,
    as_of: Date,
) -> Result<Arc<ClosureResidents>, StoreError> {
    let municipality = tx.municipality();
    let version = super::read::registry_version(tx).await?;
    let memo = tx.per_pool::<ResidentsMemo>();
    let found = memo
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|r| r.municipality == municipality && r.as_of == as_of && r.version == version)
        .map(|r| Arc::clone(&r.value));
    if let Some(value) = found {
        return Ok(value);
    }
    let later = later(tx, as_of).await?;
    let mut value = ClosureResidents {
        persons: later
            .persons
            .iter()
            .filter_map(|p| i64::try_from(p.get()).ok())
            .collect(),
        residents: std::collections::BTreeMap::new(),
    };
    if !later.movements.is_empty() {
        let timeline = Timeline::new(&later.movements);
        for person in timeline.persons_as_of(as_of) {
            if person.status == ResidentStatus::Resident
                && let Ok(id) = i64::try_from(person.person_id.get())
            {
                value.residents.insert(id, person.birth_date);
            }
        }
    }
    let value = Arc::new(value);
    if super::read::registry_version(tx).await? == version {
        let mut remembered = memo
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        remembered.retain(|r| !(r.municipality == municipality && r.as_of == as_of));
        if remembered.len() >= REMEMBERED_MAX {
            remembered.remove(0);
        }
        remembered.push(RememberedResidents {
            municipality,
            as_of,
            version,
            value: Arc::clone(&value),
        });
    }
    Ok(value)
}

/// The residents on `as_of` (a person removed on `as_of` is no longer
/// one; a person moved in after it is not yet one) whose numbers are in
/// `from..until`, with their birth dates, in number order: set-based, one
/// range statement over the `persons` projection, and the persons
/// concerned by movements dated after `as_of` folded from their
/// movements (computed once per registry version). For the liability of
/// the resident tax on 1 January (`kiban-resident-tax`).
pub async fn residents_between(
    tx: &mut TenantTx,
    as_of: Date,
    from: PersonId,
    until: PersonId,
) -> Result<Vec<(PersonId, Date)>, StoreError> {
    let closure = closure_residents(tx, as_of).await?;
    let low = i64::try_from(from.get()).unwrap_or(i64::MAX);
    let high = i64::try_from(until.get()).unwrap_or(i64::MAX);
    let rows = tx
        .fetch_all(
            "SELECT person_id, birth_date FROM persons WHERE municipality_code = $1 \
             AND person_id >= $2 AND person_id < $3 AND status = 'resident' ORDER BY person_id",
            &[Arg::Int(low), Arg::Int(high)],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.int(0)?;
        if closure.persons.contains(&id) {
            continue;
        }
        let birth =
            kiban_core::date::parse_iso(&row.text(1)?).map_err(|e| StoreError::Corrupt {
                column: "persons.birth_date".into(),
                reason: e.to_string(),
            })?;
        out.push((PersonId::new(u64::try_from(id).unwrap_or(0)), birth));
    }
    for (id, birth) in closure.residents.range(low..high) {
        out.push((PersonId::new(u64::try_from(*id).unwrap_or(0)), *birth));
    }
    out.sort_by_key(|(p, _)| *p);
    Ok(out)
}
