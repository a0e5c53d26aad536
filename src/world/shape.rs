//! Shapes of a rate over time (constant, a linear ramp, a daily cosine): the factor that
//! multiplies the rate at a time, its integral over an interval, and the time at which that
//! integral reaches a given amount (how a time-varying Poisson process finds its next arrival,
//! and how a shaped login storm spreads its users).

use crate::config::schema::Shape;
use crate::sim::Nanos;

const DAY_S: f64 = 86_400.0;

/// A shape placed on the time axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ShapeFn {
    Constant,
    /// `from` at `start`, `to` at `start + len` (seconds), linear in between and held outside.
    Ramp {
        start: f64,
        len: f64,
        from: f64,
        to: f64,
    },
    /// 1 + amplitude x cos(2 pi (t / day + offset)): mean 1 over a day.
    Daily {
        amplitude: f64,
        offset: f64,
    },
}

fn s(t: Nanos) -> f64 {
    t as f64 / 1e9
}

impl ShapeFn {
    /// `shape` over the window `[start, end]` (a ramp spans it; a daily cycle follows the clock).
    pub(crate) fn new(shape: &Shape, start: Nanos, end: Nanos) -> Self {
        match *shape {
            Shape::Constant => ShapeFn::Constant,
            Shape::Ramp { from, to } => ShapeFn::Ramp {
                start: s(start),
                len: s(end.saturating_sub(start)),
                from,
                to,
            },
            Shape::Daily {
                peak_hour,
                peak_to_trough,
                hour_at_zero,
            } => ShapeFn::Daily {
                // Peak 1 + a, trough 1 - a: their ratio is (1 + a) / (1 - a).
                amplitude: (peak_to_trough - 1.0) / (peak_to_trough + 1.0),
                offset: (hour_at_zero - peak_hour) / 24.0,
            },
        }
    }

    /// The factor at time `t`.
    #[cfg(test)]
    pub(crate) fn factor(&self, t: Nanos) -> f64 {
        match *self {
            ShapeFn::Constant => 1.0,
            ShapeFn::Ramp {
                start,
                len,
                from,
                to,
            } => {
                if len <= 0.0 {
                    return from;
                }
                let x = ((s(t) - start) / len).clamp(0.0, 1.0);
                from + (to - from) * x
            }
            ShapeFn::Daily { amplitude, offset } => {
                1.0 + amplitude * (std::f64::consts::TAU * (s(t) / DAY_S + offset)).cos()
            }
        }
    }

    /// An antiderivative of the factor, in seconds (defined up to a constant).
    fn antiderivative(&self, t: f64) -> f64 {
        match *self {
            ShapeFn::Constant => t,
            ShapeFn::Ramp {
                start,
                len,
                from,
                to,
            } => {
                if len <= 0.0 {
                    return from * t;
                }
                // Held at `from` before the ramp and at `to` after it.
                let x = (t - start).clamp(0.0, len);
                from * (t - start).min(0.0)
                    + from * x
                    + (to - from) * x * x / (2.0 * len)
                    + to * (t - start - len).max(0.0)
            }
            ShapeFn::Daily { amplitude, offset } => {
                let turn = std::f64::consts::TAU;
                t + amplitude * DAY_S / turn * (turn * (t / DAY_S + offset)).sin()
            }
        }
    }

    /// The integral of the factor over `[a, b]`, in nanoseconds (0 when `b <= a`).
    pub(crate) fn integral(&self, a: Nanos, b: Nanos) -> f64 {
        if b <= a {
            return 0.0;
        }
        match self {
            ShapeFn::Constant => (b - a) as f64,
            _ => ((self.antiderivative(s(b)) - self.antiderivative(s(a))) * 1e9).max(0.0),
        }
    }

    /// The earliest time `t` in `[a, b]` whose integral from `a` reaches `amount` (ns), or `None`
    /// when the whole interval holds less. Found by bisection on whole nanoseconds (at most 64
    /// steps), so any shape and any amount cost the same.
    pub(crate) fn reach(&self, a: Nanos, b: Nanos, amount: f64) -> Option<Nanos> {
        if self.integral(a, b) < amount {
            return None;
        }
        if amount <= 0.0 {
            return Some(a);
        }
        if let ShapeFn::Constant = self {
            return Some(a.saturating_add(amount.ceil() as Nanos).min(b));
        }
        let (mut lo, mut hi) = (a, b);
        // Invariant: integral(a, lo) < amount <= integral(a, hi).
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.integral(a, mid) >= amount {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = 1_000_000_000;

    #[test]
    fn a_ramp_integrates_to_its_trapezoid_and_holds_outside() {
        let ramp = ShapeFn::new(&Shape::Ramp { from: 1.0, to: 3.0 }, 10 * S, 20 * S);
        assert_eq!(ramp.factor(10 * S), 1.0);
        assert_eq!(ramp.factor(15 * S), 2.0);
        assert_eq!(ramp.factor(25 * S), 3.0);
        // (1 + 3) / 2 x 10 s.
        assert!((ramp.integral(10 * S, 20 * S) - 20.0 * S as f64).abs() < 1e3);
        // Held at 1 before and 3 after.
        assert!((ramp.integral(0, 10 * S) - 10.0 * S as f64).abs() < 1e3);
        assert!((ramp.integral(20 * S, 30 * S) - 30.0 * S as f64).abs() < 1e3);
    }

    #[test]
    fn a_daily_cycle_has_mean_one_and_its_peak_where_asked() {
        let day = 86_400 * S;
        let daily = ShapeFn::new(
            &Shape::Daily {
                peak_hour: 20.0,
                peak_to_trough: 3.0,
                hour_at_zero: 2.0,
            },
            0,
            day,
        );
        assert!((daily.integral(0, day) / day as f64 - 1.0).abs() < 1e-9);
        // Peak at 20:00, 18 hours after virtual time 0 (02:00); trough 12 hours later.
        let peak = daily.factor(18 * 3600 * S);
        let trough = daily.factor(6 * 3600 * S);
        assert!((peak / trough - 3.0).abs() < 1e-9, "{peak} / {trough}");
        assert!((peak - 1.5).abs() < 1e-9);
    }

    #[test]
    fn reach_inverts_the_integral() {
        let ramp = ShapeFn::new(&Shape::Ramp { from: 0.0, to: 2.0 }, 0, 10 * S);
        // Integral of t/5 from 0 to t is t^2/10: it reaches 2.5 s at t = 5 s.
        let t = ramp.reach(0, 10 * S, 2.5 * S as f64).unwrap();
        assert!((t as f64 - 5.0 * S as f64).abs() < 2.0, "{t}");
        assert_eq!(ramp.reach(0, 10 * S, 11.0 * S as f64), None);
        assert_eq!(ShapeFn::Constant.reach(7, 100, 10.0), Some(17));
    }
}
