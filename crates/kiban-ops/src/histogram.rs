//! Latency histograms with fixed bounds.

use serde::{Deserialize, Serialize};

/// The upper bounds of the buckets in milliseconds: bucket `i` counts the
/// requests that took at most `BOUNDS_MS[i]` and more than the bound before
/// it; one more bucket counts everything slower than the last bound. Roughly
/// logarithmic, finer where the targets are (50 ms, 100 ms, 3 s).
pub const BOUNDS_MS: [f64; 34] = [
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0,
    100.0, 120.0, 150.0, 200.0, 250.0, 300.0, 400.0, 500.0, 750.0, 1000.0, 1500.0, 2000.0, 3000.0,
    5000.0, 10000.0, 30000.0, 60000.0,
];

/// Counts per bucket of [`BOUNDS_MS`] (one more for the overflow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Histogram {
    counts: Vec<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BOUNDS_MS.len() + 1],
        }
    }
}

impl Histogram {
    /// Counts one request that took `ms` milliseconds.
    pub fn record(&mut self, ms: f64) {
        let bucket = BOUNDS_MS
            .iter()
            .position(|bound| ms <= *bound)
            .unwrap_or(BOUNDS_MS.len());
        self.counts[bucket] += 1;
    }

    /// Adds another histogram's counts to this one.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// The number of requests counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The counts per bucket.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Reads a stored histogram (a JSON array of counts). A stored array of
    /// another length (bounds of another version) is refused rather than
    /// misread.
    pub fn from_json(text: &str) -> Result<Histogram, String> {
        let counts: Vec<u64> = serde_json::from_str(text).map_err(|e| format!("histogram: {e}"))?;
        if counts.len() != BOUNDS_MS.len() + 1 {
            return Err(format!(
                "histogram: {} buckets, expected {}",
                counts.len(),
                BOUNDS_MS.len() + 1
            ));
        }
        Ok(Histogram { counts })
    }

    /// The JSON array of counts, as stored.
    pub fn to_json(&self) -> String {
        serde_json::Value::from(self.counts.clone()).to_string()
    }

    /// The `q` quantile (0 < q ≤ 1) in milliseconds, interpolated linearly
    /// within its bucket (from the bound below to the bucket's own); `None`
    /// when nothing was counted. In the overflow bucket the last bound is
    /// returned: the true value is only known to be above it.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        // The rank of the wanted request, 1-based: ceil(q × total).
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut below = 0u64;
        for (i, count) in self.counts.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            if below + count >= rank {
                let Some(upper) = BOUNDS_MS.get(i) else {
                    return Some(BOUNDS_MS[BOUNDS_MS.len() - 1]);
                };
                let lower = if i == 0 { 0.0 } else { BOUNDS_MS[i - 1] };
                let within = (rank - below) as f64 / *count as f64;
                return Some(lower + (upper - lower) * within);
            }
            below += count;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantiles_fall_in_the_bucket_of_the_ranked_request() {
        let mut h = Histogram::default();
        for ms in 1..=100 {
            h.record(ms as f64);
        }
        // The 50th request took 50 ms: the bucket (40, 50].
        let p50 = h.quantile(0.5).unwrap();
        assert!(p50 > 40.0 && p50 <= 50.0, "{p50}");
        let p99 = h.quantile(0.99).unwrap();
        assert!(p99 > 80.0 && p99 <= 100.0, "{p99}");
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn the_overflow_reports_the_last_bound() {
        let mut h = Histogram::default();
        h.record(120_000.0);
        assert_eq!(h.quantile(0.99), Some(60_000.0));
    }

    #[test]
    fn stored_histograms_of_another_shape_are_refused() {
        assert!(Histogram::from_json("[1,2,3]").is_err());
        assert!(Histogram::from_json("nonsense").is_err());
        let mut h = Histogram::default();
        h.record(7.0);
        assert_eq!(Histogram::from_json(&h.to_json()).unwrap(), h);
    }

    proptest! {
        #[test]
        fn merging_is_adding(a in proptest::collection::vec(0.0f64..100_000.0, 0..50),
                             b in proptest::collection::vec(0.0f64..100_000.0, 0..50)) {
            let mut ha = Histogram::default();
            a.iter().for_each(|ms| ha.record(*ms));
            let mut hb = Histogram::default();
            b.iter().for_each(|ms| hb.record(*ms));
            let mut all = Histogram::default();
            a.iter().chain(&b).for_each(|ms| all.record(*ms));
            ha.merge(&hb);
            prop_assert_eq!(&ha, &all);
            // A quantile never decreases with q.
            let qs = [0.5, 0.9, 0.99];
            let values: Vec<_> = qs.iter().map(|q| all.quantile(*q)).collect();
            prop_assert!(values.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
