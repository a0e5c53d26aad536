//! Named random streams: one ChaCha8 stream per purpose, derived from the master seed and the
//! stream's name, so that adding a draw in one place never shifts the numbers drawn in another.
//!
//! Architecture invariant: this is the only module that constructs a `rand_chacha` generator.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator type every stream uses.
pub type StreamRng = ChaCha8Rng;

/// Derives independent streams from one master seed.
#[derive(Clone, Copy, Debug)]
pub struct RngStreams {
    master_seed: u64,
}

impl RngStreams {
    pub fn new(master_seed: u64) -> Self {
        Self { master_seed }
    }

    /// The stream for `purpose` (for example "placement", "workload", "costs"). The key is the
    /// master seed expanded with SplitMix64; the ChaCha stream id is the FNV-1a hash of the name.
    pub fn stream(&self, purpose: &str) -> StreamRng {
        let mut key = [0u8; 32];
        let mut state = self.master_seed;
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(fnv1a64(purpose.as_bytes()));
        rng
    }
}

/// A seed for something derived from a master seed and an index (for example a replication).
pub fn derive_seed(master_seed: u64, purpose: &str, index: u64) -> u64 {
    let mut state =
        master_seed ^ fnv1a64(purpose.as_bytes()) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    splitmix64(&mut state)
}

/// A short-lived generator for the draws of one keyed thing (one fan-out, one interval of one
/// node): its numbers depend on `key` and `index` only, not on the order of other draws.
pub(crate) fn keyed_stream(key: u64, index: u64) -> StreamRng {
    ChaCha8Rng::seed_from_u64(hash64(key, index))
}

/// A stateless 64-bit mix of `value` under `key`: for placement hashes that must not depend on
/// the order in which entities are created.
pub(crate) fn hash64(key: u64, value: u64) -> u64 {
    let mut state = key ^ value.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    splitmix64(&mut state)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64 bits: a stable hash of a name (std's hashers are randomly keyed per process).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        hash ^= b as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_seed_and_name_give_the_same_stream() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(RngStreams::new(7).stream("costs"), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(RngStreams::new(7).stream("costs"), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn names_and_seeds_separate_streams() {
        let first = |seed, name: &str| -> u64 { RngStreams::new(seed).stream(name).random() };
        assert_ne!(first(7, "costs"), first(7, "workload"));
        assert_ne!(first(7, "costs"), first(8, "costs"));
    }

    #[test]
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    }
}
