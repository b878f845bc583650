//! Deterministic randomness: every independent unit of work (the world, each thread of mail)
//! gets its own ChaCha8 stream derived from the seed, so output does not depend on scheduling.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type Rand = ChaCha8Rng;

/// SplitMix64 finaliser: a bijection on `u64`, used to derive seeds and unique identifiers.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generator for the `idx`-th unit of the `stream` kind.
pub fn stream(seed: u64, stream: u64, idx: u64) -> Rand {
    let k = mix64(seed ^ mix64(stream.wrapping_mul(0x1000_0000_01B3) ^ mix64(idx)));
    ChaCha8Rng::seed_from_u64(k)
}

/// Uniform index below `n` (0 when `n` is 0, so callers never panic on empty input).
#[inline]
pub fn below(rng: &mut Rand, n: usize) -> usize {
    if n <= 1 { 0 } else { rng.random_range(0..n) }
}

#[inline]
pub fn chance(rng: &mut Rand, p: f64) -> bool {
    rng.random::<f64>() < p
}

#[inline]
pub fn range(rng: &mut Rand, lo: u64, hi_incl: u64) -> u64 {
    if hi_incl <= lo {
        lo
    } else {
        rng.random_range(lo..=hi_incl)
    }
}

/// Uniform pick from a slice; `fallback` only for empty slices.
#[inline]
pub fn pick<'a, T>(rng: &mut Rand, items: &'a [T], fallback: &'a T) -> &'a T {
    items.get(below(rng, items.len())).unwrap_or(fallback)
}

/// Uniform pick from a non-empty list of string literals.
#[inline]
pub fn pick_str(rng: &mut Rand, items: &[&'static str]) -> &'static str {
    items.get(below(rng, items.len())).copied().unwrap_or("")
}

/// Weighted choice among `weights` (index returned).
pub fn weighted(rng: &mut Rand, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        let w = u64::from(w);
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// Zipf-like sampler over `n` ranks: P(k) ∝ 1 / (k + 1 + q)^s.
///
/// Only `s = 1` (division) and `s = 0.5` (square root) are used: both are correctly rounded in
/// IEEE 754, so the tables — and hence the corpus — are identical on every platform.
#[derive(Debug, Clone)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64, q: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0;
        for k in 0..n {
            let x = k as f64 + 1.0 + q;
            acc += if s == 1.0 {
                1.0 / x
            } else if s == 0.5 {
                1.0 / x.sqrt()
            } else {
                1.0 / x.powf(s)
            };
            cdf.push(acc);
        }
        if acc > 0.0 {
            for c in &mut cdf {
                *c /= acc;
            }
        }
        Zipf { cdf }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rand) -> usize {
        let u: f64 = rng.random();
        let i = self.cdf.partition_point(|&c| c < u);
        i.min(self.cdf.len().saturating_sub(1))
    }
}
