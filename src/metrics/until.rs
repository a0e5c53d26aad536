//! `run.until`: whether a run's steady-state answer is precise enough to stop, and if not how
//! much longer to run. The runner (`crate::runner`) runs the experiment to its first horizon,
//! asks [`decide`], and runs it again to the horizon it names (same seed: the longer run repeats
//! the shorter one event for event and goes on) until it stops. Everything here reads only the
//! run's summary, so the stop is as deterministic as the run.

use super::Summary;
use super::steady::SteadyLatency;
use crate::sim::StopReason;
use serde::Serialize;

/// Why a run with `run.until` stopped where it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UntilStop {
    /// The interval's relative half-width reached the target.
    Precision,
    /// The whole interval lies on one side of `decide_at`: the question is answered.
    Decided,
    /// The run does not keep up (`keeps_up`): there is no steady state to make precise.
    DoesNotKeepUp,
    /// `max_horizon_s` was reached first: the precision asked was not.
    MaxHorizon,
    /// The run ran out of work or of its event budget before its horizon: longer would not
    /// change it.
    Ended,
}

/// `summary.json`'s `until` block.
#[derive(Clone, Debug, Serialize)]
pub struct UntilSummary {
    /// The steady-state statistic judged (`latency_ms.p99` is `steady.latency_ms.p99`).
    pub(crate) metric: String,
    /// The relative half-width asked for, and the one reached (null: no interval).
    pub(crate) relative_half_width: f64,
    pub reached: Option<f64>,
    pub(crate) decide_at: Option<f64>,
    /// Which rule stopped the run.
    pub stopped_by: UntilStop,
    /// Every horizon the run was taken to, the last being this run's (seconds).
    pub horizons_s: Vec<f64>,
}

impl UntilSummary {
    /// One line for the console: which rule stopped the run, at what precision, after which
    /// horizons.
    pub fn describe(&self) -> String {
        let reached = self
            .reached
            .map_or("no interval".to_string(), |r| format!("{:.1} %", r * 100.0));
        let why = match self.stopped_by {
            UntilStop::Precision => format!(
                "precise enough: {} half-width {reached} <= {:.1} %",
                self.metric,
                self.relative_half_width * 100.0
            ),
            UntilStop::Decided => format!(
                "decided: {}'s interval lies on one side of {} (half-width {reached})",
                self.metric,
                self.decide_at.unwrap_or(f64::NAN)
            ),
            UntilStop::DoesNotKeepUp => "does not keep up (no steady state to refine)".into(),
            UntilStop::MaxHorizon => format!(
                "max_horizon_s reached before the precision asked: {} half-width {reached}, \
                 asked {:.1} %",
                self.metric,
                self.relative_half_width * 100.0
            ),
            UntilStop::Ended => {
                "the run ended before its horizon (its event budget, or no traffic to judge)".into()
            }
        };
        let horizons: Vec<String> = self.horizons_s.iter().map(|h| h.to_string()).collect();
        format!("run.until: {why}; horizons {} s", horizons.join(", "))
    }
}

/// What the rule asks of a run's summary.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) metric: String,
    pub(crate) relative_half_width: f64,
    pub(crate) max_horizon_s: f64,
    pub(crate) decide_at: Option<f64>,
}

/// Stop (and why), or run again to a longer horizon (seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Decision {
    Stop(UntilStop),
    Extend(f64),
}

/// The growth of the horizon between two attempts: at least this much (the attempts' total
/// then stays under three times the last one's length), at most the other.
pub(crate) const MIN_GROWTH: f64 = 1.5;
pub(crate) const MAX_GROWTH: f64 = 8.0;

/// A guild judged not to keep up while busy less than this over the judged half is judged
/// again on a longer run before the run stops on that verdict.
pub(crate) const CONFIRM_BELOW_BUSY: f64 = 0.99;

/// The statistic `metric` (`latency_ms.p99`, `.p50` or `.mean`) with its interval.
pub(crate) fn interval(l: &SteadyLatency, metric: &str) -> Option<(f64, f64, f64)> {
    let (v, lo, hi) = match metric.strip_prefix("steady.").unwrap_or(metric) {
        "latency_ms.p99" => (l.p99, l.p99_low, l.p99_high),
        "latency_ms.p50" => (l.p50, l.p50_low, l.p50_high),
        "latency_ms.mean" => (l.mean, l.mean_low, l.mean_high),
        _ => return None,
    };
    Some((v?, lo?, hi?))
}

/// The relative half-width of `(value, low, high)`; infinite when the value is 0.
pub(crate) fn relative_half_width((v, lo, hi): (f64, f64, f64)) -> f64 {
    if v > 0.0 {
        (hi - lo) / 2.0 / v
    } else {
        f64::INFINITY
    }
}

/// Whether the run of `s` (taken to `horizon_s`) answers `rule`, and if not the next horizon.
/// The half-width of a batch-means interval shrinks as one over the root of the run's length,
/// so the next horizon is the one that would reach the target, with a tenth more, between
/// [`MIN_GROWTH`] and [`MAX_GROWTH`] times this one, in whole milliseconds, and at most the cap.
pub(crate) fn decide(s: &Summary, horizon_s: f64, rule: &Rule) -> Decision {
    // A run out of its event budget, or one that drained with no delivery to judge (no
    // traffic), would end the same way however long it may run. One that drained with
    // deliveries ran out of publishes at its horizon (they last as long as the run): it
    // goes on.
    let nothing = s.stop.reason == StopReason::Drained && s.latency_ms.count == 0;
    if s.stop.reason == StopReason::EventBudget || nothing {
        return Decision::Stop(UntilStop::Ended);
    }
    if s.keeps_up.all == Some(false) {
        // A guild near its capacity swings slowly: over a short half its backlog can climb by
        // chance (an M/M/1 guild at 95 % busy was judged saturated at 800 s in one seed of
        // five). A saturated guild is busy all the time; one busy less than 99 % of its half
        // is judged again on a run twice as long, up to the cap.
        // The same for session nodes, when they are what does not keep up.
        let sessions = s.keeps_up.sessions.as_ref();
        let busy = match sessions {
            Some(t) if t.keeps_up == Some(false) && s.keeps_up.guilds.keeps_up != Some(false) => {
                t.busiest_busy_fraction.unwrap_or(1.0)
            }
            _ => s.keeps_up.guilds.busiest_busy_fraction.unwrap_or(1.0),
        };
        let guilds_only = s.keeps_up.registries.keeps_up != Some(false);
        if guilds_only && busy < CONFIRM_BELOW_BUSY && horizon_s < rule.max_horizon_s {
            let next = ((horizon_s * 2.0 * 1e3).ceil() / 1e3).min(rule.max_horizon_s);
            return Decision::Extend(next);
        }
        return Decision::Stop(UntilStop::DoesNotKeepUp);
    }
    let found = interval(&s.steady.latency_ms, &rule.metric);
    let growth = match found {
        Some(i) => {
            let (_, lo, hi) = i;
            let width = relative_half_width(i);
            if width <= rule.relative_half_width {
                return Decision::Stop(UntilStop::Precision);
            }
            if rule.decide_at.is_some_and(|d| hi < d || lo > d) {
                return Decision::Stop(UntilStop::Decided);
            }
            if width.is_finite() {
                (width / rule.relative_half_width).powi(2) * 1.1
            } else {
                2.0
            }
        }
        // No interval yet: too few messages (long enough for half again the fewest an
        // interval needs, which leaves room for a warm-up), too few bins, not yet judged.
        None if s.publishes_total > 0 => {
            let needed = 1.5 * super::steady::MIN_PUBLISHES as f64;
            (needed / s.publishes_total as f64).max(2.0)
        }
        None => 2.0,
    };
    if horizon_s >= rule.max_horizon_s {
        return Decision::Stop(UntilStop::MaxHorizon);
    }
    let next = horizon_s * growth.clamp(MIN_GROWTH, MAX_GROWTH);
    let next = ((next * 1e3).ceil() / 1e3).min(rule.max_horizon_s);
    Decision::Extend(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(
        reason: StopReason,
        keeps_up: Option<bool>,
        p99: Option<(f64, f64, f64)>,
    ) -> Summary {
        let mut s = Summary::default();
        s.stop.reason = reason;
        s.keeps_up.all = keeps_up;
        if let Some((v, lo, hi)) = p99 {
            s.steady.latency_ms.p99 = Some(v);
            s.steady.latency_ms.p99_low = Some(lo);
            s.steady.latency_ms.p99_high = Some(hi);
        }
        s
    }

    fn rule(decide_at: Option<f64>) -> Rule {
        Rule {
            metric: "latency_ms.p99".into(),
            relative_half_width: 0.05,
            max_horizon_s: 1000.0,
            decide_at,
        }
    }

    #[test]
    fn a_tight_interval_stops_and_a_wide_one_runs_long_enough_to_tighten() {
        let h = StopReason::Horizon;
        let tight = summary(h, Some(true), Some((100.0, 96.0, 104.0)));
        assert_eq!(
            decide(&tight, 10.0, &rule(None)),
            Decision::Stop(UntilStop::Precision)
        );
        // Half-width 10 %: four times as long to halve it, with a tenth more.
        let wide = summary(h, Some(true), Some((100.0, 90.0, 110.0)));
        assert_eq!(decide(&wide, 10.0, &rule(None)), Decision::Extend(44.0));
        // Barely wide: at least half as long again. Very wide: at most eight times.
        let barely = summary(h, Some(true), Some((100.0, 94.9, 105.1)));
        assert_eq!(decide(&barely, 10.0, &rule(None)), Decision::Extend(15.0));
        let very = summary(h, Some(true), Some((100.0, 10.0, 190.0)));
        assert_eq!(decide(&very, 10.0, &rule(None)), Decision::Extend(80.0));
        // The cap bounds the next horizon, and a run at the cap stops there.
        assert_eq!(decide(&very, 500.0, &rule(None)), Decision::Extend(1000.0));
        assert_eq!(
            decide(&very, 1000.0, &rule(None)),
            Decision::Stop(UntilStop::MaxHorizon)
        );
    }

    #[test]
    fn a_question_answered_saturation_or_an_ended_run_stops_at_once() {
        let h = StopReason::Horizon;
        let wide_below = summary(h, Some(true), Some((50.0, 30.0, 80.0)));
        assert_eq!(
            decide(&wide_below, 10.0, &rule(Some(100.0))),
            Decision::Stop(UntilStop::Decided)
        );
        let straddles = summary(h, Some(true), Some((90.0, 60.0, 120.0)));
        assert!(matches!(
            decide(&straddles, 10.0, &rule(Some(100.0))),
            Decision::Extend(_)
        ));
        let mut saturated = summary(h, Some(false), None);
        saturated.keeps_up.guilds.busiest_busy_fraction = Some(0.999);
        assert_eq!(
            decide(&saturated, 10.0, &rule(None)),
            Decision::Stop(UntilStop::DoesNotKeepUp)
        );
        // Busy 95 %: judged again on a run twice as long, and at the cap it stands.
        let mut doubtful = summary(h, Some(false), None);
        doubtful.keeps_up.guilds.busiest_busy_fraction = Some(0.95);
        assert_eq!(decide(&doubtful, 10.0, &rule(None)), Decision::Extend(20.0));
        assert_eq!(
            decide(&doubtful, 1000.0, &rule(None)),
            Decision::Stop(UntilStop::DoesNotKeepUp)
        );
        let drained = summary(StopReason::Drained, Some(true), None);
        assert_eq!(
            decide(&drained, 10.0, &rule(None)),
            Decision::Stop(UntilStop::Ended)
        );
        let budget = summary(StopReason::EventBudget, Some(true), None);
        assert_eq!(
            decide(&budget, 10.0, &rule(None)),
            Decision::Stop(UntilStop::Ended)
        );
        // Not judged yet: twice as long, or long enough for the messages an interval needs
        // (150 here: from 25, six times as long).
        let unjudged = summary(h, None, None);
        assert_eq!(decide(&unjudged, 10.0, &rule(None)), Decision::Extend(20.0));
        let mut few = summary(h, Some(true), None);
        few.publishes_total = 50;
        assert_eq!(decide(&few, 10.0, &rule(None)), Decision::Extend(30.0));
        few.publishes_total = 25;
        assert_eq!(decide(&few, 10.0, &rule(None)), Decision::Extend(60.0));
        few.publishes_total = 5;
        assert_eq!(decide(&few, 10.0, &rule(None)), Decision::Extend(80.0));
    }
}
