//! The bracket of one capacity search: which values to try next and when to stop. Pure
//! arithmetic on verdicts (within the limit or not); no runs, no I/O.
//!
//! The search assumes the verdict changes once over the bracket: with `find: largest`,
//! values below the answer are within and values above it are not (`smallest`: the
//! reverse). Step 0 tries both ends; each later step tries one value between the largest
//! known good value and the nearest known bad one (the geometric mean on a log scale, the
//! arithmetic mean on a linear one), until the bracket is within the precision, no value is
//! left between its ends (integers), or `max_steps` steps were made: at most `2 + max_steps`
//! values in all, whatever the verdicts.

use crate::config::search::{Find, SearchScale};
use crate::config::validate::sweep::round_significant;
use serde::Serialize;

/// How one search moves, from the `search:` section.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) find: Find,
    pub(crate) scale: SearchScale,
    pub(crate) precision: f64,
    /// Every value tried is an integer (both ends written as integers).
    pub(crate) integer: bool,
    pub(crate) from: f64,
    pub(crate) to: f64,
    pub(crate) max_steps: u32,
}

/// Where a search stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still bisecting.
    Searching,
    /// The bracket is within the precision (or no value is left between its ends).
    Converged,
    /// Even the most favourable end is outside the limit: no answer.
    NoneWithin,
    /// Even the least favourable end is within the limit: the answer is that end (the
    /// capacity lies beyond the bracket).
    AllWithin,
    /// `max_steps` steps were made before the bracket reached the precision.
    StepLimit,
}

/// One search's state: the best value known within the limit (`good`), the nearest known
/// outside (`bad`), and the steps made after the ends.
#[derive(Clone, Copy, Debug)]
pub struct Bracket {
    pub(crate) settings: Settings,
    pub(crate) good: Option<f64>,
    pub(crate) bad: Option<f64>,
    pub status: Status,
    /// Steps made: 0 after the ends, then one per value tried.
    pub(crate) steps: u32,
    started: bool,
}

impl Settings {
    /// `x` as a value to try: rounded to an integer, or to 12 significant digits.
    pub(crate) fn round(&self, x: f64) -> f64 {
        if self.integer {
            x.round()
        } else {
            round_significant(x, 12)
        }
    }

    /// The value between `a` and `b` to try next, if one is strictly between them.
    pub(crate) fn midpoint(&self, a: f64, b: f64) -> Option<f64> {
        let mid = match self.scale {
            SearchScale::Log => (a.ln() + (b.ln() - a.ln()) / 2.0).exp(),
            SearchScale::Linear => a + (b - a) / 2.0,
        };
        let mid = self.round(mid);
        let (lo, hi) = (a.min(b), a.max(b));
        (mid > lo && mid < hi).then_some(mid)
    }

    /// Whether the bracket `a`, `b` is within the precision.
    pub(crate) fn converged(&self, a: f64, b: f64) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        match self.scale {
            SearchScale::Log => hi <= lo * (1.0 + self.precision),
            SearchScale::Linear => hi - lo <= self.precision,
        }
    }

    /// The most steps after the ends that the search can make: those needed to halve the
    /// bracket to the precision (or to adjacent integers), at most `max_steps`.
    pub(crate) fn steps_bound(&self) -> u32 {
        let halvings = |ratio: f64| -> u32 {
            if ratio <= 1.0 || !ratio.is_finite() {
                0
            } else {
                ratio.log2().ceil().min(1e6) as u32
            }
        };
        let mut needed = match self.scale {
            SearchScale::Log => {
                halvings((self.to / self.from).ln() / (1.0 + self.precision).ln()) + 1
            }
            SearchScale::Linear => halvings((self.to - self.from) / self.precision) + 1,
        };
        if self.integer {
            needed = needed.min(halvings(self.to - self.from) + 1);
        }
        needed.min(self.max_steps)
    }
}

impl Bracket {
    pub(crate) fn new(settings: Settings) -> Self {
        Bracket {
            settings,
            good: None,
            bad: None,
            status: Status::Searching,
            steps: 0,
            started: false,
        }
    }

    /// The values to try in the next step: both ends first, then one value, then none.
    pub(crate) fn values_to_try(&self) -> Vec<f64> {
        let s = &self.settings;
        if !self.started {
            return vec![s.from, s.to];
        }
        match (self.status, self.good, self.bad) {
            (Status::Searching, Some(g), Some(b)) => s.midpoint(g, b).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Records the verdicts of the values [`values_to_try`](Self::values_to_try) gave, in that order.
    pub(crate) fn record(&mut self, verdicts: &[(f64, bool)]) {
        let s = self.settings;
        if !self.started {
            self.started = true;
            let within = |v: f64| verdicts.iter().any(|&(x, w)| x == v && w);
            let (best, worst) = match s.find {
                Find::Largest => (s.from, s.to),
                Find::Smallest => (s.to, s.from),
            };
            if !within(best) {
                self.bad = Some(best);
                self.status = Status::NoneWithin;
                return;
            }
            if within(worst) {
                self.good = Some(worst);
                self.status = Status::AllWithin;
                return;
            }
            self.good = Some(best);
            self.bad = Some(worst);
        } else {
            for &(value, within) in verdicts {
                if within {
                    self.good = Some(value);
                } else {
                    self.bad = Some(value);
                }
                self.steps += 1;
            }
        }
        let (good, bad) = (self.good.expect("set"), self.bad.expect("set"));
        if s.converged(good, bad) || s.midpoint(good, bad).is_none() {
            self.status = Status::Converged;
        } else if self.steps >= s.max_steps {
            self.status = Status::StepLimit;
        }
    }

    /// The bracket's ends, lower first (an end not known is `None`).
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        match (self.good, self.bad) {
            (Some(g), Some(b)) => (Some(g.min(b)), Some(g.max(b))),
            (g, b) => match self.settings.find {
                Find::Largest => (g, b),
                Find::Smallest => (b, g),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(find: Find, scale: SearchScale, integer: bool) -> Settings {
        Settings {
            find,
            scale,
            precision: if scale == SearchScale::Log { 0.01 } else { 1.0 },
            integer,
            from: 10.0,
            to: 100_000.0,
            max_steps: 60,
        }
    }

    /// Runs a search against a threshold: values <= `t` are within (largest) or values
    /// >= `t` (smallest).
    fn solve(s: Settings, t: f64) -> (Bracket, usize) {
        let mut b = Bracket::new(s);
        let mut tried = 0;
        loop {
            let values = b.values_to_try();
            if values.is_empty() {
                return (b, tried);
            }
            tried += values.len();
            let verdicts: Vec<(f64, bool)> = values
                .iter()
                .map(|&v| {
                    let w = match s.find {
                        Find::Largest => v <= t,
                        Find::Smallest => v >= t,
                    };
                    (v, w)
                })
                .collect();
            b.record(&verdicts);
        }
    }

    #[test]
    fn finds_a_threshold_to_the_precision_within_the_bound() {
        for find in [Find::Largest, Find::Smallest] {
            for scale in [SearchScale::Log, SearchScale::Linear] {
                for integer in [false, true] {
                    let s = settings(find, scale, integer);
                    let (b, tried) = solve(s, 1234.5);
                    assert_eq!(b.status, Status::Converged, "{find:?} {scale:?}");
                    let (g, bad) = (b.good.unwrap(), b.bad.unwrap());
                    assert!(s.converged(g, bad) || s.midpoint(g, bad).is_none());
                    match find {
                        Find::Largest => assert!(g <= 1234.5 && bad > 1234.5),
                        Find::Smallest => assert!(g >= 1234.5 && bad < 1234.5),
                    }
                    assert!(tried <= 2 + s.steps_bound() as usize, "{tried}");
                }
            }
        }
    }

    #[test]
    fn ends_outside_the_bracket_and_the_step_limit_stop_the_search() {
        let s = settings(Find::Largest, SearchScale::Log, false);
        assert_eq!(solve(s, 1.0).0.status, Status::NoneWithin);
        let (b, tried) = solve(s, 1e9);
        assert_eq!((b.status, b.good, tried), (Status::AllWithin, Some(1e5), 2));
        let limited = Settings { max_steps: 3, ..s };
        let (b, tried) = solve(limited, 1234.5);
        assert_eq!((b.status, tried), (Status::StepLimit, 5));
        let none = Settings { max_steps: 0, ..s };
        assert_eq!(solve(none, 1234.5).0.status, Status::StepLimit);
    }
}
