//! The random source of a chunk and the few ways the generator draws from it.
//!
//! Draws are written here rather than taken from `rand`, so that a seed gives
//! the same city whatever version of a sampling library is in the build: only
//! the PCG stream itself (`rand_pcg`, whose output is fixed by its
//! specification) is borrowed.

use rand_pcg::Pcg64;
use rand_pcg::rand_core::Rng;

/// SplitMix64's finaliser: spreads a 64-bit value over all bits.
pub(crate) fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random source of one chunk.
pub(crate) struct DemoRng(Pcg64);

impl DemoRng {
    /// The stream of chunk `chunk_index` of `seed`; it depends on nothing else.
    pub(crate) fn for_chunk(seed: u64, chunk_index: u64) -> Self {
        let high = mix(seed);
        let low = mix(chunk_index ^ mix(seed ^ 0x5eed));
        let state = (u128::from(high) << 64) | u128::from(low);
        let stream = (u128::from(chunk_index) << 64) | u128::from(mix(seed.rotate_left(17)));
        DemoRng(Pcg64::new(state, stream))
    }

    /// A number in `0..n` (0 when `n` is 0). The bias of the multiply-shift
    /// reduction is below 2^-32 for the small ranges used here.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.0.next_u32()) * u64::from(n)) >> 32) as u32
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i32, high: i32) -> i32 {
        if high <= low {
            return low;
        }
        let span = (high - low + 1) as u32;
        low + self.below(span) as i32
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform float in `[0, 1)` from 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller, one of the pair).
    pub(crate) fn normal(&mut self) -> f64 {
        // 1 − unit lies in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        radius * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// A whole number in `low..=high` (for amounts of yen).
    pub(crate) fn amount(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + (self.unit() * (high - low + 1) as f64) as i64
    }

    /// An index into a slice of the given length (0 for an empty one).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(u32::try_from(len).unwrap_or(u32::MAX)) as usize
    }

    /// One of the choices, drawn by weight.
    pub(crate) fn weighted<T: Copy>(&mut self, choices: &[(T, u32)]) -> Option<T> {
        let total: u32 = choices.iter().map(|(_, w)| w).sum();
        let mut pick = self.below(total);
        for &(choice, weight) in choices {
            if pick < weight {
                return Some(choice);
            }
            pick -= weight;
        }
        None
    }

    /// An index drawn by weight given as running totals.
    pub(crate) fn cumulative(&mut self, running_totals: &[u32]) -> usize {
        let total = running_totals.last().copied().unwrap_or(0);
        let pick = self.below(total);
        running_totals.partition_point(|&t| t <= pick)
    }

    /// An age drawn from bands `(lowest, highest, weight)`, uniform in a band.
    pub(crate) fn age(&mut self, bands: &[(i32, i32, u32)]) -> i32 {
        let total: u32 = bands.iter().map(|b| b.2).sum();
        let mut pick = self.below(total);
        for &(low, high, weight) in bands {
            if pick < weight {
                return self.between(low, high);
            }
            pick -= weight;
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_seed_and_chunk() {
        let first = |seed, chunk| DemoRng::for_chunk(seed, chunk).0.next_u64();
        assert_eq!(first(1, 0), first(1, 0));
        assert_ne!(first(1, 0), first(2, 0));
        assert_ne!(first(1, 0), first(1, 1));
        assert_ne!(first(0, 1), first(1, 0));
    }

    #[test]
    fn draws_stay_in_range() {
        let mut rng = DemoRng::for_chunk(3, 4);
        for _ in 0..10_000 {
            assert!(rng.below(7) < 7);
            let x = rng.between(-2, 5);
            assert!((-2..=5).contains(&x));
            assert!(rng.cumulative(&[3, 3, 10]) != 1);
            let a = rng.age(&[(10, 19, 1), (30, 39, 0)]);
            assert!((10..=19).contains(&a));
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.weighted::<u8>(&[]), None);
    }
}
