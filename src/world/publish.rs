//! The publish workload: Poisson publishes (the base rate over its window, and each phase's
//! over its own, to its own guilds, shaped), presence changes (the base rate and each
//! phase's), bursts of publishes at an instant, and bursts that multiply rates over a window.
//!
//! Each process is generated as one superposed process over its guilds (rate = the sum of the
//! guild rates) whose arrivals are assigned to guilds in proportion to their rates: the same
//! process in distribution, with one pending event instead of one per guild. Shapes and
//! multipliers are followed exactly (`arrivals.rs`). Every process draws from a stream of its
//! own, so adding a phase never changes the draws of another.

use super::arrivals::{Clock, Multipliers};
use super::event::Event;
use super::ids::{GuildId, SessionId};
use super::selector::{GuildFacts, Selection};
use crate::sim::rng::StreamRng;
use crate::sim::{EventQueue, Nanos};
use rand::Rng;
use rand_distr::Distribution;
use rand_distr::weighted::WeightedAliasIndex;

/// How arrivals are assigned to the guilds of a process.
enum Picker {
    /// Every guild has the same rate.
    Uniform,
    /// Guild rates differ: pick in proportion to them.
    Weighted(WeightedAliasIndex<f64>),
}

/// Poisson publishes to a set of guilds over a window.
pub(crate) struct PublishProcess {
    rng: StreamRng,
    clock: Option<Clock>,
    start: Nanos,
    guilds: Selection,
    picker: Picker,
}

impl PublishProcess {
    /// Publishes to `guilds` at `rates[i]` per second for guild `guilds.get(i)`, shaped by
    /// the clock's shape, in `[start, end)`.
    pub(crate) fn new(
        rng: StreamRng,
        guilds: Selection,
        rates: &[f64],
        start: Nanos,
        clock: impl FnOnce(f64) -> Option<Clock>,
    ) -> Self {
        let total: f64 = rates.iter().sum();
        let uniform = rates.windows(2).all(|w| w[0] == w[1]);
        let picker = if uniform || total == 0.0 {
            Picker::Uniform
        } else {
            Picker::Weighted(WeightedAliasIndex::new(rates.to_vec()).expect("valid weights"))
        };
        let clock = if guilds.is_empty() {
            None
        } else {
            clock(total)
        };
        PublishProcess {
            rng,
            clock,
            start,
            guilds,
            picker,
        }
    }
}

/// Poisson presence changes of online sessions over a window.
pub(crate) struct ChangeProcess {
    rng: StreamRng,
    clock: Option<Clock>,
    start: Nanos,
}

impl ChangeProcess {
    pub(crate) fn new(rng: StreamRng, start: Nanos, clock: Option<Clock>) -> Self {
        ChangeProcess { rng, clock, start }
    }
}

/// `count` publishes to each guild of a set at one time.
pub(crate) struct CountBurst {
    pub(crate) at: Nanos,
    pub(crate) guilds: Selection,
    pub(crate) count: u32,
    /// Its publishes are `@everyone` announcements (`everyone.rs`).
    pub(crate) everyone: bool,
}

pub(crate) struct Publisher {
    facts: GuildFacts,
    /// The base rate's process first, then one per phase with a rate.
    publishes: Vec<PublishProcess>,
    /// The same for presence changes.
    changes: Vec<ChangeProcess>,
    sessions: u32,
    bursts: Vec<CountBurst>,
    /// Some burst is of `@everyone` announcements.
    has_everyone: bool,
    multipliers: Multipliers,
}

impl Publisher {
    pub(crate) fn new(
        facts: GuildFacts,
        publishes: Vec<PublishProcess>,
        changes: Vec<ChangeProcess>,
        sessions: u32,
        bursts: Vec<CountBurst>,
        multipliers: Multipliers,
    ) -> Self {
        Publisher {
            facts,
            publishes,
            changes,
            sessions,
            has_everyone: bursts.iter().any(|b| b.everyone),
            bursts,
            multipliers,
        }
    }

    /// Schedules the first arrival of every process and every burst.
    pub(crate) fn start(&mut self, queue: &mut EventQueue<Event>) {
        for p in 0..self.publishes.len() {
            let start = self.publishes[p].start;
            self.schedule_publish(p, start, queue);
        }
        for p in 0..self.changes.len() {
            let start = self.changes[p].start;
            self.schedule_change(p, start, queue);
        }
        for (index, burst) in self.bursts.iter().enumerate() {
            if !burst.guilds.is_empty() {
                let index = index as u32;
                queue.schedule(burst.at, Event::Burst { index, cursor: 0 });
            }
        }
    }

    fn schedule_publish(&mut self, p: usize, from: Nanos, queue: &mut EventQueue<Event>) {
        let bursts = (!self.multipliers.is_empty()).then_some(&self.multipliers);
        let process = &mut self.publishes[p];
        if let Some(clock) = &process.clock
            && let Some(at) = clock.next(from, &mut process.rng, bursts)
        {
            queue.schedule(at, Event::NextPublish { process: p as u32 });
        }
    }

    fn schedule_change(&mut self, p: usize, from: Nanos, queue: &mut EventQueue<Event>) {
        let process = &mut self.changes[p];
        if let Some(clock) = &process.clock
            && let Some(at) = clock.next(from, &mut process.rng, None)
        {
            queue.schedule(at, Event::NextPresenceChange { process: p as u32 });
        }
    }

    /// The presence change of `process` at `now`: which session changes; schedules the next.
    pub(crate) fn next_presence_change(
        &mut self,
        process: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Option<SessionId> {
        let p = process as usize;
        let s = (self.sessions > 0)
            .then(|| SessionId(self.changes[p].rng.random_range(0..self.sessions)));
        self.schedule_change(p, now, queue);
        s
    }

    /// The arrival of `process` at `now`: which guild it is for (none when a multiplier below
    /// the moment's largest thins it out); schedules the next one.
    pub(crate) fn next_publish(
        &mut self,
        process: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Option<GuildId> {
        let p = process as usize;
        let proc = &mut self.publishes[p];
        let n = proc.guilds.len();
        let g = match &proc.picker {
            _ if n == 0 => None,
            Picker::Uniform => Some(proc.rng.random_range(0..n)),
            Picker::Weighted(w) => Some(w.sample(&mut proc.rng) as u32),
        }
        .map(|i| proc.guilds.get(i, &self.facts));
        let kept = match g {
            Some(g) if !self.multipliers.is_empty() => {
                let (bound, _) = self.multipliers.bound(now);
                let keep = self.multipliers.factor(g, now, &self.facts) / bound;
                keep >= 1.0 || proc.rng.random::<f64>() < keep
            }
            _ => true,
        };
        self.schedule_publish(p, now, queue);
        g.filter(|_| kept)
    }

    /// Whether a chat publish of guild `g` at `publish_time` is an `@everyone`: one of a burst
    /// with `everyone: true` (none in most runs, which then look at no burst).
    #[inline]
    pub(crate) fn is_everyone(&self, g: GuildId, publish_time: Nanos) -> bool {
        self.has_everyone
            && self
                .bursts
                .iter()
                .any(|b| b.everyone && b.at == publish_time && b.guilds.contains(g, &self.facts))
    }

    /// Burst `index` at its guild number `cursor`: the guild and its publish count, and
    /// whether another guild follows.
    pub(crate) fn burst(&self, index: u32, cursor: u32) -> (GuildId, u32, bool) {
        let b = &self.bursts[index as usize];
        let g = b.guilds.get(cursor, &self.facts);
        (g, b.count, cursor + 1 < b.guilds.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::world::tiny::Tiny;

    #[test]
    fn a_burst_publishes_its_count_into_each_selected_guild_at_its_instant() {
        // Two publishes into each of guilds of 3 and 4 at 0.1 s: 2 x 3 + 2 x 4 deliveries.
        let r = Tiny::new(&[3, 4])
            .set("workload.bursts", "[{guilds: all, at_s: 0.1, count: 2}]")
            .run();
        assert_eq!(r.summary.publishes_total, 4);
        assert_eq!(r.summary.deliveries_total, 2 * 3 + 2 * 4);
        assert_eq!(
            r.world.publisher.burst(0, 1).0.0,
            1,
            "the second guild next"
        );
    }

    #[test]
    fn a_phase_publishes_only_to_its_guilds_in_its_window() {
        // 200 publishes per second into guild 1 (4 members) from 0.2 to 0.4 s: about 40,
        // each delivered to its 4 members; nothing into guild 0.
        let s = Tiny::new(&[3, 4])
            .set(
                "workload.publishes.phases",
                "[{from_s: 0.2, to_s: 0.4, rate: {per_guild_per_s: 200}, guilds: {list: [1]}}]",
            )
            .set("output.windows", "[{name: before, from_s: 0, to_s: 0.2}, {name: during, from_s: 0.2, to_s: 0.4}, {name: after, from_s: 0.4, to_s: 1}]")
            .run()
            .summary;
        assert!(
            (20..=60).contains(&s.publishes_total),
            "{}",
            s.publishes_total
        );
        assert_eq!(s.deliveries_total, 4 * s.publishes_total);
        assert_eq!(s.windows["before"].publishes_total, 0);
        assert_eq!(s.windows["during"].publishes_total, s.publishes_total);
        assert_eq!(s.windows["after"].publishes_total, 0);
    }
}
