//! Arrival times of Poisson processes whose rate changes over time: a shape (`shape.rs`) and
//! bursts that multiply the rates of some guilds over windows.
//!
//! A shaped process is followed exactly by a change of time: the next arrival after `t` is
//! where the integrated rate has grown by an exponential draw. Multipliers depend on the guild,
//! so candidates are drawn at the largest multiplier of the moment (the product of the
//! windows that hold it) and each is kept with probability (its guild's multiplier) / (that
//! bound): thinning, exact as well. Every candidate is an event, so a run's event budget
//! bounds this work too.

use super::ids::GuildId;
use super::selector::{GuildFacts, Selection};
use super::shape::ShapeFn;
use crate::sim::Nanos;
use crate::sim::rng::StreamRng;
use rand_distr::{Distribution, Exp};

/// A burst that multiplies the publish rates of its guilds over `[from, to)`.
#[derive(Clone, Debug)]
pub(crate) struct RateBurst {
    pub(crate) from: Nanos,
    pub(crate) to: Nanos,
    pub(crate) factor: f64,
    pub(crate) guilds: Selection,
}

/// Every rate burst of a workload.
#[derive(Clone, Debug, Default)]
pub(crate) struct Multipliers {
    list: Vec<RateBurst>,
}

impl Multipliers {
    pub(crate) fn new(list: Vec<RateBurst>) -> Self {
        Multipliers { list }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The largest multiplier any guild has at `t` (the product of max(1, factor) over the
    /// windows holding `t`), and the next time after `t` at which it may change.
    pub(crate) fn bound(&self, t: Nanos) -> (f64, Nanos) {
        let mut bound = 1.0;
        let mut next = Nanos::MAX;
        for b in &self.list {
            if b.from <= t && t < b.to {
                bound *= b.factor.max(1.0);
                next = next.min(b.to);
            } else if b.from > t {
                next = next.min(b.from);
            }
        }
        (bound, next)
    }

    /// Guild `g`'s multiplier at `t`.
    pub(crate) fn factor(&self, g: GuildId, t: Nanos, facts: &GuildFacts) -> f64 {
        self.list
            .iter()
            .filter(|b| b.from <= t && t < b.to && b.guilds.contains(g, facts))
            .map(|b| b.factor)
            .product()
    }
}

/// When the arrivals of one process happen: a total rate, a shape, and the end of its window.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    /// Exponential gaps at the total rate, in nanoseconds of shape-weighted time.
    gap: Exp<f64>,
    shape: ShapeFn,
    end: Nanos,
}

impl Clock {
    /// A process at `rate_per_s` (shaped) that stops at `end`; `None` without a rate.
    pub(crate) fn new(rate_per_s: f64, shape: ShapeFn, end: Nanos) -> Option<Self> {
        (rate_per_s > 0.0 && rate_per_s.is_finite()).then(|| Clock {
            gap: Exp::new(rate_per_s / 1e9).expect("positive rate"),
            shape,
            end,
        })
    }

    /// The next arrival (a candidate, with multipliers) after `from`, or `None` past the end.
    /// A constant rate without multipliers adds one rounded exponential gap.
    pub(crate) fn next(
        &self,
        from: Nanos,
        rng: &mut StreamRng,
        bursts: Option<&Multipliers>,
    ) -> Option<Nanos> {
        let need = self.gap.sample(rng);
        let at = match (self.shape, bursts) {
            (ShapeFn::Constant, None) => from.saturating_add(need.round() as Nanos),
            (shape, bursts) => self.reach(shape, from, need, bursts)?,
        };
        (at < self.end).then_some(at)
    }

    /// Where the integral of shape x bound from `from` reaches `need`, segment by segment of
    /// the bound.
    fn reach(
        &self,
        shape: ShapeFn,
        from: Nanos,
        mut need: f64,
        bursts: Option<&Multipliers>,
    ) -> Option<Nanos> {
        let mut t = from;
        while t < self.end {
            let (bound, change) = bursts.map_or((1.0, Nanos::MAX), |b| b.bound(t));
            let segment_end = change.min(self.end);
            let held = shape.integral(t, segment_end) * bound;
            if held >= need {
                return shape.reach(t, segment_end, need / bound);
            }
            need -= held;
            t = segment_end;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::RngStreams;

    #[test]
    fn the_bound_is_the_product_of_the_windows_holding_a_time() {
        let all = Selection::All(4);
        let m = Multipliers::new(vec![
            RateBurst {
                from: 10,
                to: 20,
                factor: 10.0,
                guilds: all.clone(),
            },
            RateBurst {
                from: 15,
                to: 30,
                factor: 0.5,
                guilds: Selection::List {
                    order: vec![2],
                    sorted: vec![2],
                },
            },
        ]);
        assert_eq!(m.bound(0), (1.0, 10));
        assert_eq!(m.bound(12), (10.0, 15));
        assert_eq!(m.bound(16), (10.0, 20));
        assert_eq!(m.bound(25), (1.0, 30));
        let facts = GuildFacts::unordered(4);
        assert_eq!(m.factor(GuildId(2), 16, &facts), 5.0);
        assert_eq!(m.factor(GuildId(1), 16, &facts), 10.0);
        assert_eq!(m.factor(GuildId(2), 25, &facts), 0.5);
    }

    #[test]
    fn a_constant_clock_adds_exponential_gaps() {
        let mut rng = RngStreams::new(1).stream("t");
        let clock = Clock::new(1000.0, ShapeFn::Constant, u64::MAX).unwrap();
        let mut t = 0;
        let mut n = 0;
        while let Some(next) = clock.next(t, &mut rng, None) {
            if next > 1_000_000_000 {
                break;
            }
            t = next;
            n += 1;
        }
        // About 1000 arrivals in a second (sd 32).
        assert!((850..1150).contains(&n), "{n}");
        assert!(Clock::new(0.0, ShapeFn::Constant, 10).is_none());
    }
}
