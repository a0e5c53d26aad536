//! `model.gc`: a guild process's memory and garbage collection (OTP's per-process
//! generational collector and its virtual binary heap). Absent: no collection is modelled and
//! every result is what it was without this section.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A guild process's heap and its garbage collections (`src/world/gc.rs`). The heap is the
/// guild's fixed state (`model.memory.guild_bytes`), its member data (`model.memory.member_bytes`
/// per member) and the messages in its mailbox. Handling a message allocates on the young heap;
/// when the allocation since the last collection passes `young_heap_bytes` a minor collection
/// pauses the process, and every `fullsweep_after` minor collections a full sweep pauses it for
/// a time proportional to the whole live heap. Events larger than 64 bytes are reference-counted
/// binaries outside the heap (OTP) counted on the virtual binary heap, and passing
/// `bin_vheap_bytes` triggers a full sweep. A pause is guild time: the guild does nothing else
/// and counts as busy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GcConfig {
    /// The young heap: a minor collection each time the guild has allocated this much since
    /// the last collection (default 1048576, assumption: OTP starts a process at
    /// `min_heap_size`, 233 words, and grows the heap to fit what it keeps; the size a large
    /// guild settles at is not published).
    #[serde(default = "default_young_heap_bytes")]
    pub(crate) young_heap_bytes: u64,
    /// Minor collections between two full sweeps: every `fullsweep_after + 1`-th collection is
    /// a full sweep, 0 makes every collection one (default 65535, OTP's `fullsweep_after`
    /// process flag).
    #[serde(default = "default_fullsweep_after")]
    pub(crate) fullsweep_after: u64,
    /// The virtual binary heap's threshold: when the bytes of the large binaries the guild has
    /// referenced since the last collection pass this, a full sweep frees them (default
    /// 371376 = 46,422 words of 8 bytes, OTP's `min_bin_vheap_size`; MJ, secondary: Discord
    /// tuned it; that the collection is a full sweep is an assumption: binaries that reached
    /// the old heap are freed by a full sweep only).
    #[serde(default = "default_bin_vheap_bytes")]
    pub(crate) bin_vheap_bytes: u64,
    /// Bytes the guild allocates to handle any message: decoding it, building the event,
    /// updating its state (default 4096, assumption).
    #[serde(default = "default_alloc_per_message_bytes")]
    pub(crate) alloc_per_message_bytes: u64,
    /// Bytes the guild allocates per online member it walks to find an event's recipients,
    /// under naive fan-out and Manifold, `offload` or not (default 16, assumption: one list
    /// cell of two 8-byte words per recipient). With relays each relay walks its own members:
    /// the guild allocates none.
    #[serde(default = "default_alloc_per_recipient_bytes")]
    pub(crate) alloc_per_recipient_bytes: u64,
    /// The fixed part of each collection's pause (default 10 µs, assumption).
    #[serde(default = "default_pause_fixed_us")]
    pub(crate) pause_fixed_us: f64,
    /// A minor collection's pause per live byte of the young heap: the messages waiting in the
    /// mailbox, which it copies (default 1 ns, assumption: a copying collector at about 1 GB/s).
    #[serde(default = "default_ns_per_byte")]
    pub(crate) minor_pause_ns_per_byte: f64,
    /// A full sweep's pause per byte of the whole live heap: state, member data and mailbox
    /// (default 1 ns, assumption, as for minor collections).
    #[serde(default = "default_ns_per_byte")]
    pub(crate) full_pause_ns_per_byte: f64,
}

fn default_young_heap_bytes() -> u64 {
    1 << 20
}

fn default_fullsweep_after() -> u64 {
    65_535
}

fn default_bin_vheap_bytes() -> u64 {
    46_422 * 8
}

fn default_alloc_per_message_bytes() -> u64 {
    4096
}

fn default_alloc_per_recipient_bytes() -> u64 {
    16
}

fn default_pause_fixed_us() -> f64 {
    10.0
}

fn default_ns_per_byte() -> f64 {
    1.0
}

impl Default for GcConfig {
    fn default() -> Self {
        Self {
            young_heap_bytes: default_young_heap_bytes(),
            fullsweep_after: default_fullsweep_after(),
            bin_vheap_bytes: default_bin_vheap_bytes(),
            alloc_per_message_bytes: default_alloc_per_message_bytes(),
            alloc_per_recipient_bytes: default_alloc_per_recipient_bytes(),
            pause_fixed_us: default_pause_fixed_us(),
            minor_pause_ns_per_byte: default_ns_per_byte(),
            full_pause_ns_per_byte: default_ns_per_byte(),
        }
    }
}
