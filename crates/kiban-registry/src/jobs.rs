//! The registry's jobs (バッチ): `population-statistics`
//! (住民基本台帳人口・世帯数, contract jobs-v1).
//!
//! The run is split into ranges of 世帯番号 (each counted by one aggregate
//! statement per table over the projections) and one last chunk that folds
//! the persons and households whose projection rows are not their state on
//! the date (see [`crate::storage::statistics`]). Each chunk stores its
//! partial counts; the outputs are built from all of them when the run
//! finishes, so they are sorted and identical whatever the interruptions.

use kiban_core::Sex;
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Output, ParamSpec, ParamType, Params, Parts,
    PlannedChunk,
};
use kiban_store::TenantTx;

use crate::domain::statistics::{AgeBand, HouseholdTable, PopulationTable};
use crate::storage::statistics::{self, HouseholdRange, PartialCounts};

/// `population-statistics`: residents on `as_of` by postal code, sex and
/// five-year age band; households by postal code; the same population
/// table for publication with counts of 1 and 2 suppressed.
#[derive(Debug, Clone, Copy, Default)]
pub struct PopulationStatistics;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "as_of",
    kind: ParamType::Date,
    required: true,
    description: "基準日（この日の住民を数える）",
}];

/// The key of the chunk that folds the persons concerned by later movements.
const LATER_CHUNK: &str = "later";
const POPULATION_PART: &str = "population";
const HOUSEHOLDS_PART: &str = "households";

fn range_key(range: HouseholdRange) -> String {
    format!("households:{}-{}", range.low, range.high)
}

fn parse_range(key: &str) -> Option<HouseholdRange> {
    let (low, high) = key.strip_prefix("households:")?.split_once('-')?;
    Some(HouseholdRange {
        low: low.parse().ok()?,
        high: high.parse().ok()?,
    })
}

/// A chunk's partial counts as stored: one line per count, tab-separated.
fn encode(counts: &PartialCounts) -> Vec<(String, Vec<u8>)> {
    let mut population = String::new();
    for (postal, sex, band, n) in counts.population.rows() {
        population.push_str(&format!(
            "{postal}\t{}\t{}\t{n}\n",
            sex.code(),
            band.index()
        ));
    }
    let mut households = String::new();
    for (postal, h, p) in counts.households.rows() {
        households.push_str(&format!("{postal}\t{h}\t{p}\n"));
    }
    vec![
        (POPULATION_PART.to_owned(), population.into_bytes()),
        (HOUSEHOLDS_PART.to_owned(), households.into_bytes()),
    ]
}

fn corrupt(part: &str, line: &str) -> JobError {
    JobError::Failed(
        kiban_core::Message::JobPartUnreadable {
            part: part.to_owned(),
            line: line.to_owned(),
        }
        .text(),
    )
}

fn decode(parts: &Parts) -> Result<(PopulationTable, HouseholdTable), JobError> {
    let mut population = PopulationTable::default();
    for part in parts.of(POPULATION_PART) {
        for line in String::from_utf8_lossy(part).lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            let [postal, sex, band, n] = fields.as_slice() else {
                return Err(corrupt(POPULATION_PART, line));
            };
            let sex = Sex::parse(sex).map_err(|_| corrupt(POPULATION_PART, line))?;
            let band = band
                .parse::<i64>()
                .ok()
                .and_then(AgeBand::from_index)
                .ok_or_else(|| corrupt(POPULATION_PART, line))?;
            let n = n.parse().map_err(|_| corrupt(POPULATION_PART, line))?;
            population.add(postal, sex, band, n);
        }
    }
    let mut households = HouseholdTable::default();
    for part in parts.of(HOUSEHOLDS_PART) {
        for line in String::from_utf8_lossy(part).lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            let [postal, h, p] = fields.as_slice() else {
                return Err(corrupt(HOUSEHOLDS_PART, line));
            };
            let h = h.parse().map_err(|_| corrupt(HOUSEHOLDS_PART, line))?;
            let p = p.parse().map_err(|_| corrupt(HOUSEHOLDS_PART, line))?;
            households.add(postal, h, p);
        }
    }
    Ok((population, households))
}

impl JobKind for PopulationStatistics {
    fn name(&self) -> &'static str {
        "population-statistics"
    }

    fn business(&self) -> &'static str {
        "registry"
    }

    fn description(&self) -> &'static str {
        "住民基本台帳人口・世帯数: 基準日の住民を郵便番号・性別・5歳階級別に、世帯を郵便番号別に数え、公開用の表（1・2人は秘匿）を作る"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn personal_data(&self) -> bool {
        false
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        _params: &'a Params,
        chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let mut chunks: Vec<PlannedChunk> = statistics::plan_ranges(tx, chunk_size)
                .await?
                .into_iter()
                .map(|(range, subjects)| PlannedChunk {
                    key: range_key(range),
                    subjects,
                })
                .collect();
            chunks.push(PlannedChunk {
                key: LATER_CHUNK.to_owned(),
                subjects: 0,
            });
            Ok(chunks)
        })
    }

    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            let as_of = params.date("as_of")?;
            let (counts, done) = if chunk == LATER_CHUNK {
                // Its persons were already counted as subjects by their
                // ranges.
                (statistics::count_later(tx, as_of).await?, 0)
            } else {
                let range = parse_range(chunk).ok_or_else(|| JobError::unknown_chunk(chunk))?;
                let counts = statistics::count_range(tx, as_of, range).await?;
                let done = counts.examined;
                (counts, done)
            };
            Ok(ChunkResult {
                parts: encode(&counts),
                errors: Vec::new(),
                done,
            })
        })
    }

    fn finish<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        _params: &'a Params,
        parts: Parts,
    ) -> BoxFuture<'a, Result<Vec<Output>, JobError>> {
        Box::pin(async move {
            let (population, households) = decode(&parts)?;
            let (population_csv, population_rows) = population.to_csv();
            let (households_csv, households_rows) = households.to_csv();
            let (open_csv, open_rows) = population.to_open_data_csv();
            Ok(vec![
                Output::csv("population.csv", population_csv, population_rows),
                Output::csv("households.csv", households_csv, households_rows),
                Output::csv("open-data.csv", open_csv, open_rows),
            ])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_keys_and_parts_round_trip() {
        let range = HouseholdRange { low: 3, high: 40 };
        assert_eq!(parse_range(&range_key(range)), Some(range));
        assert_eq!(parse_range("later"), None);
        let mut counts = PartialCounts::default();
        counts
            .population
            .add("9990001", Sex::Female, AgeBand::of_age(33), 4);
        counts.households.add("9990001", 2, 4);
        let parts = Parts(
            encode(&counts)
                .into_iter()
                .map(|(k, v)| (k, vec![v.clone(), v]))
                .collect(),
        );
        let (population, households) = decode(&parts).unwrap_or_default();
        assert_eq!(population.persons(), 8);
        assert_eq!(
            households.rows().collect::<Vec<_>>(),
            vec![("9990001", 4, 8)]
        );
    }
}
