//! Sampling distributions for costs and latencies, in integer nanoseconds.
//!
//! Parameters are validated at the configuration boundary; here they are assumed sane. Draws
//! of the unbounded distributions (exponential, log-normal) are clamped to [`MAX_DRAW_NS`], so
//! that no single draw can carry virtual time anywhere near the end of `u64` nanoseconds.

use super::rng::StreamRng;
use super::time::Nanos;
use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};

/// The largest draw: 10^4 s. Larger draws of an exponential or log-normal are clamped to it.
pub(crate) const MAX_DRAW_NS: Nanos = 10_000 * 1_000_000_000;

/// A distribution of durations. Its parameters are kept beside the sampler for the tests'
/// check of the sample means.
#[derive(Clone, Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Dist {
    /// Always the same value.
    Constant(Nanos),
    /// Uniform over the integers `min..=max`.
    Uniform { min: Nanos, max: Nanos },
    /// Exponential with the given mean.
    Exponential { mean: f64, exp: Exp<f64> },
    /// Log-normal with the given median (ns) and shape `sigma`.
    LogNormal {
        median: f64,
        sigma: f64,
        ln: LogNormal<f64>,
    },
}

impl Dist {
    pub(crate) fn constant(value: Nanos) -> Self {
        Dist::Constant(value)
    }

    pub(crate) fn uniform(min: Nanos, max: Nanos) -> Self {
        assert!(min <= max, "uniform: min {min} > max {max}");
        Dist::Uniform { min, max }
    }

    pub(crate) fn exponential(mean_ns: f64) -> Self {
        assert!(mean_ns > 0.0 && mean_ns.is_finite());
        Dist::Exponential {
            mean: mean_ns,
            exp: Exp::new(1.0 / mean_ns).expect("positive rate"),
        }
    }

    pub(crate) fn lognormal(median_ns: f64, sigma: f64) -> Self {
        assert!(median_ns > 0.0 && sigma >= 0.0);
        Dist::LogNormal {
            median: median_ns,
            sigma,
            ln: LogNormal::new(median_ns.ln(), sigma).expect("valid lognormal"),
        }
    }

    /// Draws one duration. A constant draws nothing from `rng`.
    #[inline(always)]
    pub(crate) fn sample(&self, rng: &mut StreamRng) -> Nanos {
        match self {
            Dist::Constant(v) => *v,
            Dist::Uniform { min, max } => {
                if min == max {
                    *min
                } else {
                    rng.random_range(*min..=*max)
                }
            }
            Dist::Exponential { exp, .. } => clamp_draw(exp.sample(rng)),
            Dist::LogNormal { ln, .. } => clamp_draw(ln.sample(rng)),
        }
    }

    /// The mean of the distribution, in nanoseconds.
    #[cfg(test)]
    pub(crate) fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v as f64,
            Dist::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            Dist::Exponential { mean, .. } => *mean,
            Dist::LogNormal { median, sigma, .. } => median * (sigma * sigma / 2.0).exp(),
        }
    }

    /// Whether every draw is zero (lets the model skip work that would take no time).
    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Dist::Constant(0))
    }

    /// Whether every draw is the same value.
    pub(crate) fn constant_value(&self) -> Option<Nanos> {
        match self {
            Dist::Constant(v) => Some(*v),
            Dist::Uniform { min, max } if min == max => Some(*min),
            _ => None,
        }
    }
}

/// A draw in nanoseconds, rounded and clamped to `0..=MAX_DRAW_NS`.
#[inline(always)]
fn clamp_draw(x: f64) -> Nanos {
    x.round().clamp(0.0, MAX_DRAW_NS as f64) as Nanos
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::RngStreams;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = RngStreams::new(1).stream("test");
        (0..n).map(|_| d.sample(&mut rng) as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_the_declared_means() {
        for d in [
            Dist::constant(42),
            Dist::uniform(30_000, 70_000),
            Dist::exponential(10_000.0),
            Dist::lognormal(10_000.0, 0.5),
        ] {
            let m = sample_mean(&d, 200_000);
            assert!(
                (m - d.mean()).abs() / d.mean() < 0.01,
                "{d:?}: sample mean {m}, declared {}",
                d.mean()
            );
        }
    }

    #[test]
    fn huge_draws_are_clamped() {
        let d = Dist::lognormal(1e12, 4.0);
        let mut rng = RngStreams::new(5).stream("test");
        let max = (0..100_000).map(|_| d.sample(&mut rng)).max().unwrap();
        assert_eq!(max, MAX_DRAW_NS);
    }

    #[test]
    fn uniform_stays_within_bounds() {
        let d = Dist::uniform(30, 70);
        let mut rng = RngStreams::new(3).stream("test");
        let draws: Vec<_> = (0..10_000).map(|_| d.sample(&mut rng)).collect();
        assert_eq!(*draws.iter().min().unwrap(), 30);
        assert_eq!(*draws.iter().max().unwrap(), 70);
    }
}
