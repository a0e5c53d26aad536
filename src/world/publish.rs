//! The publish workload: a Poisson process of publishes per guild, plus bursts.
//!
//! The per-guild Poisson processes are generated as one superposed process (rate = the sum of
//! the guild rates) whose arrivals are assigned to guilds in proportion to their rates. This
//! is the same process in distribution, and keeps one pending event instead of one per guild.

use super::event::Event;
use super::ids::{GuildId, SessionId};
use crate::sim::rng::StreamRng;
use crate::sim::{EventQueue, Nanos};
use rand::Rng;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::{Distribution, Exp};

/// How arrivals are assigned to guilds.
enum Picker {
    /// Every guild has the same rate.
    Uniform(u32),
    /// Guild rates differ: pick in proportion to them.
    Weighted(WeightedAliasIndex<f64>),
}

pub struct Publisher {
    rng: StreamRng,
    /// Presence changes: inter-arrival times of the superposed per-session process, the
    /// sessions, and their own stream.
    change_gap: Option<Exp<f64>>,
    sessions: u32,
    change_rng: StreamRng,
    /// Inter-arrival times of the superposed process, in nanoseconds.
    gap: Option<Exp<f64>>,
    picker: Picker,
    start: Nanos,
    end: Nanos,
    bursts: Vec<(Nanos, GuildId, u32)>,
}

impl Publisher {
    /// `rates_per_s[g]` is guild g's publish rate; publishing happens in `[start, end)`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rng: StreamRng,
        change_rng: StreamRng,
        sessions: u32,
        changes_per_session_per_s: f64,
        rates_per_s: &[f64],
        start: Nanos,
        end: Nanos,
        bursts: Vec<(Nanos, GuildId, u32)>,
    ) -> Self {
        let total_per_s: f64 = rates_per_s.iter().sum();
        let gap = (total_per_s > 0.0).then(|| Exp::new(total_per_s / 1e9).expect("positive rate"));
        let uniform = rates_per_s.windows(2).all(|w| w[0] == w[1]);
        let picker = if uniform || total_per_s == 0.0 {
            Picker::Uniform(rates_per_s.len() as u32)
        } else {
            Picker::Weighted(WeightedAliasIndex::new(rates_per_s.to_vec()).expect("valid weights"))
        };
        let changes_per_s = changes_per_session_per_s * sessions as f64;
        let change_gap =
            (changes_per_s > 0.0).then(|| Exp::new(changes_per_s / 1e9).expect("positive rate"));
        Self {
            rng,
            change_gap,
            sessions,
            change_rng,
            gap,
            picker,
            start,
            end,
            bursts,
        }
    }

    /// Schedules the first Poisson arrivals and every burst.
    pub fn start(&mut self, queue: &mut EventQueue<Event>) {
        self.schedule_after(self.start, queue);
        self.schedule_change_after(self.start, queue);
        for (index, &(at, _, _)) in self.bursts.iter().enumerate() {
            queue.schedule(
                at,
                Event::Burst {
                    index: index as u32,
                },
            );
        }
    }

    fn schedule_after(&mut self, from: Nanos, queue: &mut EventQueue<Event>) {
        if let Some(gap) = &self.gap {
            let at = from.saturating_add(gap.sample(&mut self.rng).round() as Nanos);
            if at < self.end {
                queue.schedule(at, Event::NextPublish);
            }
        }
    }

    fn schedule_change_after(&mut self, from: Nanos, queue: &mut EventQueue<Event>) {
        if let Some(gap) = &self.change_gap {
            let at = from.saturating_add(gap.sample(&mut self.change_rng).round() as Nanos);
            if at < self.end {
                queue.schedule(at, Event::NextPresenceChange);
            }
        }
    }

    /// The presence change at `now`: which session changes; schedules the next one.
    pub fn next_presence_change(&mut self, now: Nanos, queue: &mut EventQueue<Event>) -> SessionId {
        let s = SessionId(self.change_rng.random_range(0..self.sessions));
        self.schedule_change_after(now, queue);
        s
    }

    /// The Poisson arrival at `now`: which guild it is for; schedules the next one.
    pub fn next_publish(&mut self, now: Nanos, queue: &mut EventQueue<Event>) -> Option<GuildId> {
        let g = match &self.picker {
            Picker::Uniform(0) => None,
            Picker::Uniform(n) => Some(GuildId(self.rng.random_range(0..*n))),
            Picker::Weighted(w) => Some(GuildId(w.sample(&mut self.rng) as u32)),
        };
        self.schedule_after(now, queue);
        g
    }

    /// Burst number `index`: its guild and publish count.
    pub fn burst(&self, index: u32) -> (GuildId, u32) {
        let (_, g, count) = self.bursts[index as usize];
        (g, count)
    }
}
