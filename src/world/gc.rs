//! A guild process's memory and garbage collection (`model.gc`), after OTP's per-process
//! generational collector. Off unless the model has a `gc:` section; off, no hook changes
//! anything.
//!
//! - **Heap.** The guild's live heap is its fixed state (`memory.guild_bytes`), its member data
//!   (`memory.member_bytes` per member) and the messages in its mailbox. A message over 64 bytes
//!   is a reference-counted binary (OTP): only its reference, [`REFC_BYTES`], is on the heap.
//! - **Allocation.** Taking up a message allocates `alloc_per_message_bytes`, plus
//!   `alloc_per_recipient_bytes` per online member when the guild itself walks its members to
//!   find the recipients (naive fan-out and Manifold: `Fanout::guild_walks_members`).
//! - **Minor collections.** Each time the allocation since the last collection passes
//!   `young_heap_bytes`, a minor collection copies the young heap's live data, the messages in
//!   the mailbox: `pause_fixed_us` + `minor_pause_ns_per_byte` x those bytes.
//! - **Full sweeps.** Every `fullsweep_after + 1`-th collection is a full sweep (OTP's process
//!   flag), which copies the whole live heap: `pause_fixed_us` + `full_pause_ns_per_byte` x it.
//! - **Virtual binary heap.** Each event the guild fans out adds its size to the binary heap
//!   when it is over 64 bytes, once per copy the guild makes (Manifold without `offload` or
//!   `binary` encodes one per destination node: `Fanout::guild_event_copies`). When it passes
//!   `bin_vheap_bytes`, the guild's next message starts with a full sweep, which frees them.
//!
//! Collections are charged when the guild takes up a message, after its fixed handling costs
//! (member list, join) and before its sends: a pause is guild time, in the busy figures and in
//! every latency behind it. Per message the arithmetic is closed-form (how many young heaps the
//! allocation fills, how many of those collections are full sweeps), with no loop over bytes
//! or collections.

use super::ids::GuildId;
use super::mailbox::Msg;
use super::state::World;
use crate::config::schema::Experiment;
use crate::metrics::summary::GcSummary;
use crate::sim::Nanos;

/// OTP keeps binaries over this many bytes off the process heap (reference-counted).
pub(crate) const HEAP_BINARY_MAX_BYTES: u64 = 64;
/// What a reference-counted binary occupies on the heap: its reference (a ProcBin, 6 words).
pub(crate) const REFC_BYTES: u64 = 48;
/// The longest pause one message can cause: a draw's cap (`sim::dist::MAX_DRAW_NS`, 10^4 s).
const MAX_PAUSE_NS: Nanos = crate::sim::dist::MAX_DRAW_NS;

/// The collector's parameters, in engine units.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GcParams {
    pub(crate) young_heap_bytes: u64,
    pub(crate) fullsweep_after: u64,
    pub(crate) bin_vheap_bytes: u64,
    pub(crate) alloc_per_message_bytes: u64,
    pub(crate) alloc_per_recipient_bytes: u64,
    pub(crate) pause_fixed_ns: f64,
    pub(crate) minor_ns_per_byte: f64,
    pub(crate) full_ns_per_byte: f64,
    /// The heap without the mailbox: `memory.guild_bytes`, and `memory.member_bytes` per member.
    pub(crate) guild_bytes: u64,
    pub(crate) member_bytes: u64,
}

/// One guild's heap between collections.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GuildHeap {
    /// Allocated on the young heap since the last collection.
    pub(crate) young_bytes: u64,
    /// Large binaries referenced since the last full sweep.
    pub(crate) vheap_bytes: u64,
    /// Collections since the last full sweep.
    pub(crate) since_full: u64,
    /// On-heap bytes of the messages in the mailbox.
    pub(crate) mailbox_bytes: u64,
    /// The binary heap passed its threshold: the next message starts with a full sweep.
    pub(crate) sweep_due: bool,
    /// The largest heap seen (state, members, mailbox and uncollected allocation).
    pub(crate) peak_bytes: u64,
}

/// The collector: parameters, each guild's heap, and the counters of the run.
pub(crate) struct Gc {
    pub(crate) params: GcParams,
    pub(crate) heaps: Vec<GuildHeap>,
    pub(crate) minor: u64,
    pub(crate) full: u64,
    /// Full sweeps the binary heap triggered (in `full` too).
    pub(crate) vheap_full: u64,
    pub(crate) pause_ns: u64,
    pub(crate) pause_max_ns: Nanos,
}

/// What one message's collections were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Collections {
    pub(crate) minor: u64,
    pub(crate) full: u64,
    pub(crate) pause: Nanos,
}

impl Gc {
    /// The collector of `exp`'s `guilds` guilds, when the model has a `gc:` section.
    pub(crate) fn new(exp: &Experiment, guilds: usize) -> Option<Gc> {
        let c = exp.model.gc.as_ref()?;
        Some(Gc {
            params: GcParams {
                young_heap_bytes: c.young_heap_bytes.max(1),
                fullsweep_after: c.fullsweep_after,
                bin_vheap_bytes: c.bin_vheap_bytes,
                alloc_per_message_bytes: c.alloc_per_message_bytes,
                alloc_per_recipient_bytes: c.alloc_per_recipient_bytes,
                pause_fixed_ns: c.pause_fixed_us * 1e3,
                minor_ns_per_byte: c.minor_pause_ns_per_byte,
                full_ns_per_byte: c.full_pause_ns_per_byte,
                guild_bytes: exp.model.memory.guild_bytes,
                member_bytes: exp.model.memory.member_bytes,
            },
            heaps: vec![GuildHeap::default(); guilds],
            minor: 0,
            full: 0,
            vheap_full: 0,
            pause_ns: 0,
            pause_max_ns: 0,
        })
    }

    /// One collection's pause: the fixed part and `ns_per_byte` x `bytes`, capped.
    fn pause(&self, ns_per_byte: f64, bytes: u64) -> Nanos {
        let ns = (self.params.pause_fixed_ns + ns_per_byte * bytes as f64).round();
        (ns as Nanos).min(MAX_PAUSE_NS)
    }

    /// Guild `g` (of `members` members, `online` of them online) takes up a message: it
    /// allocates, and the young heap's and binary heap's thresholds make it collect. Returns
    /// the collections and their pause.
    pub(crate) fn take_up(
        &mut self,
        g: usize,
        members: u32,
        online: u32,
        walks: bool,
    ) -> Collections {
        let p = self.params;
        let walked = if walks { online as u64 } else { 0 };
        let alloc = p
            .alloc_per_message_bytes
            .saturating_add(p.alloc_per_recipient_bytes.saturating_mul(walked));
        let h = &mut self.heaps[g];
        let live = p
            .guild_bytes
            .saturating_add(p.member_bytes.saturating_mul(members as u64))
            .saturating_add(h.mailbox_bytes);
        let young = h.young_bytes.saturating_add(alloc);
        h.peak_bytes = h
            .peak_bytes
            .max(live.saturating_add(young.min(p.young_heap_bytes)));
        // How many young heaps the allocation filled, and which of those collections are full
        // sweeps: the (fullsweep_after + 1)-th after the last one, and so on.
        let filled = young / p.young_heap_bytes;
        h.young_bytes = young % p.young_heap_bytes;
        let forced = u64::from(std::mem::take(&mut h.sweep_due));
        if forced == 1 {
            h.since_full = 0;
        }
        let period = p.fullsweep_after.saturating_add(1);
        let counted = h.since_full.saturating_add(filled);
        let full = counted / period + forced;
        let minor = filled - counted / period;
        h.since_full = counted % period;
        if full > 0 {
            h.vheap_bytes = 0;
        }
        let mailbox = h.mailbox_bytes;
        let minor_pause = self.pause(p.minor_ns_per_byte, mailbox);
        let full_pause = self.pause(p.full_ns_per_byte, live);
        let pause = minor_pause
            .saturating_mul(minor)
            .saturating_add(full_pause.saturating_mul(full))
            .min(MAX_PAUSE_NS);
        self.minor += minor;
        self.full += full;
        self.vheap_full += forced;
        self.pause_ns = self.pause_ns.saturating_add(pause);
        if minor > 0 {
            self.pause_max_ns = self.pause_max_ns.max(minor_pause);
        }
        if full > 0 {
            self.pause_max_ns = self.pause_max_ns.max(full_pause);
        }
        Collections { minor, full, pause }
    }

    /// Guild `g` fanned out an event of `bytes` bytes in `copies` copies: a large one goes on
    /// the binary heap, and past its threshold the next message starts with a full sweep.
    pub(crate) fn fanned_out(&mut self, g: usize, bytes: u64, copies: u64) {
        if bytes <= HEAP_BINARY_MAX_BYTES {
            return;
        }
        let limit = self.params.bin_vheap_bytes;
        let h = &mut self.heaps[g];
        h.vheap_bytes = h.vheap_bytes.saturating_add(bytes.saturating_mul(copies));
        if h.vheap_bytes > limit {
            h.sweep_due = true;
        }
    }

    /// A message of `bytes` bytes entered (`arrived`) or left guild `g`'s mailbox; the heap's
    /// peak follows arrivals.
    pub(crate) fn mailbox(&mut self, g: usize, members: u32, bytes: u64, arrived: bool) {
        let p = self.params;
        let on_heap = if bytes > HEAP_BINARY_MAX_BYTES {
            REFC_BYTES
        } else {
            bytes
        };
        let h = &mut self.heaps[g];
        if arrived {
            h.mailbox_bytes += on_heap;
            let heap = p
                .guild_bytes
                .saturating_add(p.member_bytes.saturating_mul(members as u64))
                .saturating_add(h.mailbox_bytes)
                .saturating_add(h.young_bytes);
            h.peak_bytes = h.peak_bytes.max(heap);
        } else {
            h.mailbox_bytes -= on_heap;
        }
    }

    /// The run's counters, with the peak heap of guild `busiest`.
    pub(crate) fn summary(&self, busiest: usize) -> GcSummary {
        GcSummary {
            minor_collections: self.minor,
            full_sweeps: self.full,
            vheap_full_sweeps: self.vheap_full,
            pause_s: self.pause_ns as f64 / 1e9,
            pause_ms_max: self.pause_max_ns as f64 / 1e6,
            busiest_guild: busiest as u64,
            busiest_heap_peak_bytes: self.heaps.get(busiest).map_or(0, |h| h.peak_bytes),
        }
    }
}

impl World {
    /// Guild `g` takes up a message it will fan out (`fans_out`) or not: its collections'
    /// pause (0 without `model.gc`).
    pub(crate) fn gc_take_up(&mut self, g: GuildId, fans_out: bool) -> Nanos {
        if self.gc.is_none() {
            return 0;
        }
        let walks = fans_out && self.fanout.guild_walks_members();
        let Some(gc) = &mut self.gc else {
            return 0;
        };
        let guild = &self.guilds[g.index()];
        gc.take_up(g.index(), guild.len, guild.online, walks).pause
    }

    /// Guild `g` finished `msg`, making `sends` sends: the event it fanned out goes on the
    /// binary heap.
    pub(crate) fn gc_message_done(&mut self, g: GuildId, msg: &Msg, sends: u32) {
        if self.gc.is_none() || sends == 0 {
            return;
        }
        let bytes = match msg {
            Msg::Publish { origin, .. } if !origin.is_member() => self.params.event_bytes,
            _ => self.params.presence_bytes,
        };
        let copies = self.fanout.guild_event_copies(sends);
        if let Some(gc) = &mut self.gc {
            gc.fanned_out(g.index(), bytes, copies);
        }
    }

    /// A message of `bytes` bytes entered (`arrived`) or left guild `g`'s mailbox.
    #[inline]
    pub(crate) fn gc_mailbox(&mut self, g: GuildId, bytes: u64, arrived: bool) {
        if let Some(gc) = &mut self.gc {
            gc.mailbox(g.index(), self.guilds[g.index()].len, bytes, arrived);
        }
    }

    /// The run's collection counters (`None` without `model.gc`), with the peak heap of the
    /// guild that was busy longest.
    pub(crate) fn gc_summary(&self, guild_busy_ns: &[u64]) -> Option<GcSummary> {
        let gc = self.gc.as_ref()?;
        let busiest = guild_busy_ns
            .iter()
            .enumerate()
            .fold(
                (0, 0),
                |best, (g, &ns)| if ns > best.1 { (g, ns) } else { best },
            )
            .0;
        Some(gc.summary(busiest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::tiny::{ROUND_ROBIN, Tiny, assert_close};

    /// One guild of 4 on the tiny world (remote sends of 50 µs, 100 µs away) with a young heap
    /// of 10,000 bytes, which messages allocating 4,000 bytes each (nothing per member) fill on
    /// the third. A collection pauses 100 µs, and a full sweep 1 ns more per byte of the heap:
    /// 100,000 bytes of state, 4 x 200 of members and the message being handled (a chat event
    /// of 1,000 bytes, a refc binary: 48 bytes), 100,848 in all. The binary heap never fills.
    fn collecting() -> Tiny {
        Tiny::new(&[4]).set(
            "model.gc",
            "{young_heap_bytes: 10000, alloc_per_message_bytes: 4000, \
             alloc_per_recipient_bytes: 0, pause_fixed_us: 100, minor_pause_ns_per_byte: 0, \
             full_pause_ns_per_byte: 1, fullsweep_after: 65535, bin_vheap_bytes: 1000000000}",
        )
    }

    /// `count` publishes into guild 0, one every 10 ms from 0.1 s (each done before the next).
    fn spaced(tiny: Tiny, count: u32) -> Tiny {
        let bursts: Vec<String> = (0..count)
            .map(|i| format!("{{guild: 0, at_s: {}, count: 1}}", 0.1 + 0.01 * i as f64))
            .collect();
        tiny.set("workload.bursts", &format!("[{}]", bursts.join(", ")))
    }

    #[test]
    fn the_young_heap_fills_on_the_third_message_and_pauses_the_guild_for_the_computed_time() {
        // 4,000 bytes a message into a young heap of 10,000: the third message passes it
        // (12,000) and pays one minor collection of 100 µs (an empty mailbox to copy) before
        // its 4 sends of 50 µs. Its deliveries arrive 100 µs later than the others'.
        let r = spaced(collecting(), 3).run();
        let s = &r.summary;
        let gc = s.gc.as_ref().expect("a gc block");
        assert_eq!((gc.minor_collections, gc.full_sweeps), (1, 0));
        assert_close(gc.pause_s, 100e-6);
        assert_close(gc.pause_ms_max, 0.1);
        assert_close(s.latency_ms.min, 0.150);
        assert_close(s.latency_ms.max, 0.400);
        // 3 fan-outs of 200 µs and the pause: guild time.
        assert_close(s.busy_s.of("guild"), 700e-6);
        // Its heap: 100,000 bytes of state, 4 x 200 of members, the uncollected allocation.
        assert_eq!(gc.busiest_heap_peak_bytes, 100_000 + 800 + 48 + 10_000);
        // Two messages: no collection, no pause.
        let r = spaced(collecting(), 2).run();
        assert_eq!(r.summary.gc.as_ref().unwrap().minor_collections, 0);
        assert_close(r.summary.latency_ms.max, 0.300);
    }

    #[test]
    fn every_fullsweep_after_plus_one_collection_is_a_full_sweep_proportional_to_the_heap() {
        // A young heap of 4,000 filled by every message; after 2 minor collections the third
        // is a full sweep over 100,848 bytes: 100 µs + 100,848 ns.
        let tiny = spaced(collecting(), 9)
            .set("model.gc.young_heap_bytes", "4000")
            .set("model.gc.fullsweep_after", "2");
        let s = tiny.run().summary;
        let gc = s.gc.as_ref().unwrap();
        assert_eq!((gc.minor_collections, gc.full_sweeps), (6, 3));
        assert_close(gc.pause_ms_max, 0.200848);
        assert_close(gc.pause_s, 6.0 * 100e-6 + 3.0 * 200.848e-6);
        // Busy seconds are rounded to the microsecond.
        let busy_s = 9.0 * 200e-6 + 6.0 * 100e-6 + 3.0 * 200.848e-6;
        assert_close(s.busy_s.of("guild"), (busy_s * 1e6_f64).round() / 1e6);
        // The last full sweep, then 4 sends, then the network.
        assert_close(s.latency_ms.max, 0.200848 + 0.200 + 0.100);
        // fullsweep_after 0: every collection is a full sweep.
        let gc = spaced(collecting(), 9)
            .set("model.gc.young_heap_bytes", "4000")
            .set("model.gc.fullsweep_after", "0")
            .run()
            .summary
            .gc
            .unwrap();
        assert_eq!((gc.minor_collections, gc.full_sweeps), (0, 9));
    }

    #[test]
    fn a_large_binary_heap_triggers_a_full_sweep_before_the_next_message() {
        // Chat events of 1,000 bytes (refc binaries) against a binary heap of 2,500 bytes:
        // the third event passes it, so the fourth message starts with a full sweep, and
        // so does the seventh. The young heap never fills.
        let tiny = spaced(collecting(), 7)
            .set("model.gc.bin_vheap_bytes", "2500")
            .set("model.gc.young_heap_bytes", "1000000000");
        let gc = tiny.run().summary.gc.unwrap();
        assert_eq!((gc.minor_collections, gc.full_sweeps), (0, 2));
        assert_eq!(gc.vheap_full_sweeps, 2);
        assert_close(gc.pause_s, 2.0 * 200.848e-6);
        // Events of 64 bytes are on the heap: no binary heap, no sweep.
        let gc = tiny
            .set("model.messages.event_bytes", "64")
            .run()
            .summary
            .gc
            .unwrap();
        assert_eq!(gc.full_sweeps, 0);
    }

    #[test]
    fn manifold_copies_an_event_per_node_unless_it_offloads() {
        // Manifold sends to 2 session nodes: 2 copies of 1,000 bytes a message, so a binary
        // heap of 3,500 is passed by the second message; offloaded, by the fourth.
        let run = |offload: &str| {
            spaced(collecting(), 8)
                .set("model.fanout.strategy", "manifold")
                .set("model.fanout.manifold.offload", offload)
                .set("workload.users.placement", ROUND_ROBIN)
                .set("model.gc.bin_vheap_bytes", "3500")
                .set("model.gc.young_heap_bytes", "1000000000")
                .run()
                .summary
                .gc
                .unwrap()
        };
        assert_eq!(run("false").vheap_full_sweeps, 3);
        assert_eq!(run("true").vheap_full_sweeps, 1);
        // The guild walks its members to find the recipients with or without offload (the
        // sender only groups them): 8 messages of 4,000 bytes and 4 x 1,000,000 per member
        // fill a 1,000,000 heap 4 times each.
        let walk = |offload: &str| {
            spaced(collecting(), 8)
                .set("model.fanout.strategy", "manifold")
                .set("model.fanout.manifold.offload", offload)
                .set("model.gc.alloc_per_recipient_bytes", "1000000")
                .set("model.gc.young_heap_bytes", "1000000")
                .run()
                .summary
                .gc
                .unwrap()
                .minor_collections
        };
        assert_eq!(walk("false"), 32);
        assert_eq!(walk("true"), 32);
    }

    #[test]
    fn without_gc_nothing_changes_and_with_free_collections_neither() {
        let off = spaced(Tiny::new(&[4]), 9).run().summary;
        assert!(off.gc.is_none());
        let free = spaced(collecting(), 9)
            .set("model.gc.young_heap_bytes", "4000")
            .set("model.gc.fullsweep_after", "2")
            .set("model.gc.pause_fixed_us", "0")
            .set("model.gc.full_pause_ns_per_byte", "0")
            .run()
            .summary;
        let gc = free.gc.as_ref().unwrap();
        assert_eq!((gc.minor_collections, gc.full_sweeps), (6, 3));
        assert_eq!(gc.pause_s, 0.0);
        let json = |s: &crate::metrics::Summary| {
            let mut v = serde_json::to_value(s).unwrap();
            v.as_object_mut().unwrap().remove("gc");
            v
        };
        assert_eq!(json(&off), json(&free));
        assert!(!serde_json::to_string(&off).unwrap().contains("\"gc\""));
    }

    #[test]
    fn a_message_filling_many_young_heaps_counts_them_in_closed_form() {
        let mut gc = collecting().world().gc.expect("gc on");
        gc.params.young_heap_bytes = 1000;
        gc.params.fullsweep_after = 9;
        gc.params.alloc_per_message_bytes = 0;
        gc.params.alloc_per_recipient_bytes = 100;
        // 250 members walked: 25,000 bytes, 25 young heaps: full sweeps at the 10th and 20th.
        let c = gc.take_up(0, 250, 250, true);
        assert_eq!((c.minor, c.full), (23, 2));
        assert_eq!(gc.heaps[0].since_full, 5);
        // Not walking: nothing allocated, no collection.
        assert_eq!(gc.take_up(0, 250, 250, false), Collections::default());
        // A huge pause is capped.
        gc.params.full_ns_per_byte = 1e6;
        let c = gc.take_up(0, u32::MAX, u32::MAX, true);
        assert_eq!(c.pause, MAX_PAUSE_NS);
    }
}
