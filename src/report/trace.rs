//! The timeline trace as a Chrome trace-event JSON file (Perfetto, chrome://tracing): one
//! process per node with a track per scheduler (which process ran when) and a track per
//! guild's handling of its messages, flow arrows for messages between nodes, counters (run
//! queues, node memory, mailboxes, sessions online) and marks (crashes, restarts, bursts).
//! Timestamps are virtual time in microseconds with nanosecond decimals, so the file is the
//! same for the same run. Every slice is a complete (`X`) event; events are written in time
//! order.

use crate::metrics::trace::{Counter, Mark, Proc, SliceRec, Trace};
use crate::sim::Nanos;
use crate::sim::time::to_secs;
use crate::world::World;
use std::fmt::Write;

/// How every trace file guildsim writes starts: a file that does not is not overwritten.
pub const TRACE_PREFIX: &str = "{\"otherData\":{\"generator\":\"guildsim\"";

/// The last member of a trace file: the SHA-256 of every byte before it.
const TRAILER_KEY: &str = "\"guildsim_sha256\":";

/// Whether `bytes` are a whole trace file as guildsim wrote it: its prefix, and a trailer whose
/// SHA-256 is that of everything before it. A file a user changed, cut or wrote is not.
pub(crate) fn is_own_trace(bytes: &[u8]) -> bool {
    // `"guildsim_sha256":"<64 hex>"}` and a newline.
    let tail = TRAILER_KEY.len() + 1 + 64 + 3;
    if !bytes.starts_with(TRACE_PREFIX.as_bytes()) || bytes.len() < tail {
        return false;
    }
    let at = bytes.len() - tail;
    let (body, trailer) = bytes.split_at(at);
    let expected = format!("{TRAILER_KEY}\"{}\"}}\n", crate::identity::sha256_hex(body));
    trailer == expected.as_bytes()
}

/// What the trace's metadata states about the run.
pub(crate) struct TraceInfo<'a> {
    pub(crate) experiment: &'a str,
    pub(crate) seed: u64,
    pub(crate) guilds: Option<&'a [u32]>,
    pub(crate) nodes: Option<&'a [String]>,
}

/// What [`trace_json`] wrote.
#[derive(Clone, Copy, Debug)]
pub struct TraceStats {
    pub(crate) events: u64,
}

/// One event to write, ordered by time, then slices before the flows bound to them.
#[derive(Clone, Copy)]
struct Ev {
    ts: Nanos,
    class: u8,
    what: What,
}

#[derive(Clone, Copy)]
enum What {
    Slice(u32),
    FlowOut(u32),
    FlowIn(u32),
    Fanout(u32),
    Counter(u32),
    Mark(u32),
}

/// Where each slice is drawn, and where each flow ends.
struct Layout {
    /// Per slice: its end after crashes are cut out, and its track.
    slices: Vec<(Nanos, u32)>,
    /// Per flow: the slice that handles it first after its arrival.
    flow_to: Vec<Option<u32>>,
    /// Per node: its scheduler tracks' ids.
    lanes: Vec<Vec<u32>>,
    /// Per guild with fan-outs: its track id, in guild order.
    guild_tracks: Vec<(u32, u32)>,
}

fn us(ns: Nanos) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn node_pid(node: u16) -> u32 {
    node as u32 + 2
}

const CLUSTER_PID: u32 = 1;

/// Cuts slices at their node's crashes and puts them on scheduler tracks: each slice on the
/// first track of its node free at its start.
fn layout(trace: &Trace, world: &World) -> Layout {
    let nodes = world.nodes.len();
    let mut crashes: Vec<Vec<Nanos>> = vec![Vec::new(); nodes];
    for m in &trace.marks {
        if let Mark::Crash { node, .. } = m.mark {
            crashes[node as usize].push(m.at);
        }
    }
    let mut next_tid = 1u32;
    let mut lane_ends: Vec<Vec<Nanos>> = vec![Vec::new(); nodes];
    let mut lanes: Vec<Vec<u32>> = vec![Vec::new(); nodes];
    let mut slices = Vec::with_capacity(trace.slices.len());
    for s in &trace.slices {
        let n = s.node as usize;
        let cut = crashes[n].iter().find(|&&c| c >= s.start && c < s.end);
        let end = cut.map_or(s.end, |&c| c);
        let lane = match lane_ends[n].iter().position(|&e| e <= s.start) {
            Some(l) => l,
            None => {
                lane_ends[n].push(0);
                lanes[n].push(0);
                lane_ends[n].len() - 1
            }
        };
        lane_ends[n][lane] = end;
        slices.push((end, lane as u32));
    }
    for node_lanes in &mut lanes {
        for tid in node_lanes.iter_mut() {
            *tid = next_tid;
            next_tid += 1;
        }
    }
    let slices = slices
        .into_iter()
        .zip(&trace.slices)
        .map(|((end, lane), s)| (end, lanes[s.node as usize][lane as usize]))
        .collect();
    let mut guilds: Vec<u32> = trace.fanouts.iter().map(|f| f.guild).collect();
    guilds.sort_unstable();
    guilds.dedup();
    let guild_tracks = guilds
        .into_iter()
        .map(|g| {
            next_tid += 1;
            (g, next_tid - 1)
        })
        .collect();
    Layout {
        slices,
        flow_to: flow_ends(trace),
        lanes,
        guild_tracks,
    }
}

/// For each flow, the first slice of its receiver that starts at or after its arrival.
fn flow_ends(trace: &Trace) -> Vec<Option<u32>> {
    let mut by_proc: Vec<(Proc, Nanos, u32)> = trace
        .slices
        .iter()
        .enumerate()
        .map(|(i, s)| (s.proc, s.start, i as u32))
        .collect();
    by_proc.sort_unstable_by_key(|&(p, start, i)| (p, start, i));
    trace
        .flows
        .iter()
        .map(|f| {
            let k = by_proc.partition_point(|&(p, start, _)| (p, start) < (f.to, f.at));
            by_proc
                .get(k)
                .filter(|&&(p, _, _)| p == f.to)
                .map(|&(_, _, i)| i)
        })
        .collect()
}

/// Every event in time order.
fn events(trace: &Trace, layout: &Layout) -> Vec<Ev> {
    let mut evs = Vec::new();
    for (i, s) in trace.slices.iter().enumerate() {
        evs.push(Ev {
            ts: s.start,
            class: 0,
            what: What::Slice(i as u32),
        });
    }
    for (i, f) in trace.flows.iter().enumerate() {
        let Some(to) = layout.flow_to[i] else {
            continue;
        };
        let from = trace.slices[f.from_slice as usize].start;
        evs.push(Ev {
            ts: from,
            class: 1,
            what: What::FlowOut(i as u32),
        });
        evs.push(Ev {
            ts: trace.slices[to as usize].start,
            class: 1,
            what: What::FlowIn(i as u32),
        });
    }
    for (i, f) in trace.fanouts.iter().enumerate() {
        evs.push(Ev {
            ts: f.start,
            class: 0,
            what: What::Fanout(i as u32),
        });
    }
    for (i, c) in trace.counters.iter().enumerate() {
        evs.push(Ev {
            ts: c.at,
            class: 2,
            what: What::Counter(i as u32),
        });
    }
    for (i, m) in trace.marks.iter().enumerate() {
        evs.push(Ev {
            ts: m.at,
            class: 2,
            what: What::Mark(i as u32),
        });
    }
    // Stable: records of one kind keep the order they happened in.
    evs.sort_by_key(|e| (e.ts, e.class));
    evs
}

/// The trace of a run as trace-event JSON, and what it holds.
pub(crate) fn trace_json(trace: &Trace, world: &World, info: &TraceInfo) -> (Vec<u8>, TraceStats) {
    let layout = layout(trace, world);
    let evs = events(trace, &layout);
    let mut out = String::with_capacity(evs.len() * 110 + 4096);
    let complete = trace.full_at.is_none();
    let list = |v: Option<String>| v.unwrap_or_else(|| "\"all\"".into());
    let _ = writeln!(
        out,
        "{TRACE_PREFIX},\"version\":{},\"experiment\":{},\"seed\":{},\"time\":\"virtual time: \
         ts in microseconds of simulated time\",\"window_s\":[{},{}],\"guilds\":{},\"nodes\":{},\
         \"max_events\":{},\"events\":{},\"complete\":{complete},\"cap_reached_at_s\":{}}},",
        quoted(crate::identity::VERSION),
        quoted(info.experiment),
        info.seed,
        to_secs(trace.from),
        to_secs(trace.to),
        list(info.guilds.map(|g| serde_json::to_string(g).expect("ids"))),
        list(info.nodes.map(|n| serde_json::to_string(n).expect("names"))),
        trace.cap,
        evs.len(),
        trace
            .full_at
            .map_or("null".to_string(), |t| to_secs(t).to_string()),
    );
    out.push_str("\"displayTimeUnit\":\"ns\",\n\"traceEvents\":[\n");
    let mut first = true;
    let mut line = |out: &mut String, text: String| {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&text);
    };
    for text in track_names(trace, world, &layout) {
        line(&mut out, text);
    }
    for e in &evs {
        line(&mut out, event_text(trace, world, &layout, e));
    }
    out.push_str("\n],\n");
    // A trailer that certifies the content: guildsim replaces a trace file only while it holds
    // what guildsim wrote ([`is_own_trace`]).
    let digest = crate::identity::sha256_hex(out.as_bytes());
    let _ = writeln!(out, "{TRAILER_KEY}\"{digest}\"}}");
    let stats = TraceStats {
        events: evs.len() as u64,
    };
    (out.into_bytes(), stats)
}

/// Metadata events: process and track names and their order.
fn track_names(trace: &Trace, world: &World, layout: &Layout) -> Vec<String> {
    let meta = |pid: u32, tid: Option<u32>, name: &str, value: String| {
        let tid = tid.map_or(String::new(), |t| format!(",\"tid\":{t}"));
        format!("{{\"ph\":\"M\",\"pid\":{pid}{tid},\"name\":\"{name}\",\"args\":{{{value}}}}}")
    };
    let mut out = vec![
        meta(
            CLUSTER_PID,
            None,
            "process_name",
            "\"name\":\"cluster\"".into(),
        ),
        meta(
            CLUSTER_PID,
            None,
            "process_sort_index",
            "\"sort_index\":0".into(),
        ),
    ];
    for (n, node) in world.nodes.iter().enumerate() {
        if !trace.filter.node(n as u16) {
            continue;
        }
        let pid = node_pid(n as u16);
        let what = match (node.hosts_guilds, node.hosts_sessions) {
            (true, true) => "guilds and sessions",
            (true, false) => "guilds",
            _ => "sessions",
        };
        let label = format!("node {} ({what})", node.name);
        out.push(meta(
            pid,
            None,
            "process_name",
            format!("\"name\":{}", quoted(&label)),
        ));
        out.push(meta(
            pid,
            None,
            "process_sort_index",
            format!("\"sort_index\":{pid}"),
        ));
        for (k, &tid) in layout.lanes[n].iter().enumerate() {
            let name = format!("\"name\":\"scheduler {k}\"");
            out.push(meta(pid, Some(tid), "thread_name", name));
            out.push(meta(
                pid,
                Some(tid),
                "thread_sort_index",
                format!("\"sort_index\":{tid}"),
            ));
        }
    }
    for &(g, tid) in &layout.guild_tracks {
        let pid = node_pid(world.guilds[g as usize].node.0);
        let name = format!("\"name\":\"guild {g}: messages handled\"");
        out.push(meta(pid, Some(tid), "thread_name", name));
        out.push(meta(
            pid,
            Some(tid),
            "thread_sort_index",
            format!("\"sort_index\":{tid}"),
        ));
    }
    out
}

fn slice_text(s: &SliceRec, end: Nanos, tid: u32, world: &World) -> String {
    let name = world.process_label(s.proc);
    format!(
        "{{\"ph\":\"X\",\"cat\":\"{}\",\"name\":{},\"pid\":{},\"tid\":{tid},\"ts\":{},\"dur\":{}}}",
        s.proc.kind.name(),
        quoted(&name),
        node_pid(s.node),
        us(s.start),
        us(end - s.start),
    )
}

fn event_text(trace: &Trace, world: &World, layout: &Layout, e: &Ev) -> String {
    match e.what {
        What::Slice(i) => {
            let (end, tid) = layout.slices[i as usize];
            slice_text(&trace.slices[i as usize], end, tid, world)
        }
        What::FlowOut(i) | What::FlowIn(i) => {
            let f = &trace.flows[i as usize];
            let (slice, ph, bind) = match e.what {
                What::FlowOut(_) => (f.from_slice, "s", ""),
                _ => (
                    layout.flow_to[i as usize].expect("written"),
                    "f",
                    ",\"bp\":\"e\"",
                ),
            };
            let s = &trace.slices[slice as usize];
            format!(
                "{{\"ph\":\"{ph}\",\"cat\":\"message\",\"name\":\"message\",\"id\":{},\"pid\":{},\
                 \"tid\":{},\"ts\":{}{bind}}}",
                i + 1,
                node_pid(s.node),
                layout.slices[slice as usize].1,
                us(s.start),
            )
        }
        What::Fanout(i) => {
            let f = &trace.fanouts[i as usize];
            let k = layout.guild_tracks.partition_point(|&(g, _)| g < f.guild);
            let what = if f.presence { "presence" } else { "publish" };
            format!(
                "{{\"ph\":\"X\",\"cat\":\"fanout\",\"name\":\"{what} to {} members\",\"pid\":{},\
                 \"tid\":{},\"ts\":{},\"dur\":{},\"args\":{{\"recipients\":{}}}}}",
                f.recipients,
                node_pid(f.node),
                layout.guild_tracks[k].1,
                us(f.start),
                us(f.end - f.start),
                f.recipients,
            )
        }
        What::Counter(i) => counter_text(trace, world, i),
        What::Mark(i) => mark_text(trace, world, i),
    }
}

fn counter_text(trace: &Trace, world: &World, i: u32) -> String {
    let c = &trace.counters[i as usize];
    let (pid, name, unit) = match c.counter {
        Counter::SessionsOnline => (CLUSTER_PID, "sessions online".to_string(), "sessions"),
        Counter::RunQueue(n) => (node_pid(n), "run queue".into(), "processes"),
        Counter::Memory(n) => (node_pid(n), "memory".into(), "bytes"),
        Counter::Mailbox(n, p) => (
            node_pid(n),
            format!("mailbox of {}", world.process_label(p)),
            "messages",
        ),
    };
    format!(
        "{{\"ph\":\"C\",\"name\":{},\"pid\":{pid},\"ts\":{},\"args\":{{\"{unit}\":{}}}}}",
        quoted(&name),
        us(c.at),
        c.value
    )
}

fn mark_text(trace: &Trace, world: &World, i: u32) -> String {
    let m = &trace.marks[i as usize];
    let (pid, name) = match m.mark {
        Mark::Crash { node, memory } => {
            let why = if memory { "out of memory" } else { "storm" };
            let name = format!("crash of {} ({why})", world.nodes[node as usize].name);
            (node_pid(node), name)
        }
        Mark::Restart { node } => {
            let name = format!("restart of {}", world.nodes[node as usize].name);
            (node_pid(node), name)
        }
        Mark::Burst { guild, count } => (
            CLUSTER_PID,
            format!("burst of {count} publishes to guild {guild}"),
        ),
    };
    format!(
        "{{\"ph\":\"i\",\"s\":\"g\",\"cat\":\"mark\",\"name\":{},\"pid\":{pid},\"tid\":0,\"ts\":{}}}",
        quoted(&name),
        us(m.at)
    )
}
