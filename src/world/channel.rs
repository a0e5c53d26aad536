//! Distribution channels: one per ordered pair of nodes, as in the Erlang distribution. A
//! channel with a finite bandwidth drains its queued bytes at that rate; a message leaves when
//! its last byte is transmitted. While more than `buffer` bytes are queued the channel is busy
//! and a process that wants to send on it is suspended until it drains (OTP's busy
//! distribution port, `+zdbbl`). Channels of unlimited bandwidth never queue.

use crate::sim::Nanos;

pub struct Channels {
    nodes: usize,
    /// Bytes per second per pair (`None`: unlimited).
    rate: Vec<Option<u64>>,
    /// Bytes queued at `since`.
    queued: Vec<u64>,
    since: Vec<Nanos>,
    buffer: u64,
    any_limited: bool,
    pub busy_events: u64,
}

/// What happens to a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendOutcome {
    /// Accepted; the last byte leaves at this time (the start time for unlimited channels).
    Leaves(Nanos),
    /// The channel is busy until this time: the sender must wait.
    BusyUntil(Nanos),
}

impl Channels {
    pub(crate) fn new(nodes: usize, rate: Vec<Option<u64>>, buffer: u64) -> Self {
        assert_eq!(rate.len(), nodes * nodes);
        let any_limited = rate.iter().any(|r| r.is_some());
        Self {
            nodes,
            queued: vec![0; if any_limited { nodes * nodes } else { 0 }],
            since: vec![0; if any_limited { nodes * nodes } else { 0 }],
            rate,
            buffer,
            any_limited,
            busy_events: 0,
        }
    }

    /// Whether any channel can queue (then sends are simulated one at a time).
    #[inline]
    pub(crate) fn any_limited(&self) -> bool {
        self.any_limited
    }

    /// Whether the channel from `from` to `to` has a finite bandwidth.
    #[inline]
    pub(crate) fn limited(&self, from: usize, to: usize) -> bool {
        self.any_limited && self.rate[from * self.nodes + to].is_some()
    }

    /// `bytes` enter the channel from `from` to `to` at `now`.
    pub(crate) fn send(&mut self, from: usize, to: usize, now: Nanos, bytes: u64) -> SendOutcome {
        let i = from * self.nodes + to;
        let Some(rate) = self.rate.get(i).copied().flatten() else {
            return SendOutcome::Leaves(now);
        };
        debug_assert!(now >= self.since[i], "channel used out of time order");
        let drained = ((now - self.since[i]) as u128 * rate as u128 / 1_000_000_000) as u64;
        let queued = self.queued[i].saturating_sub(drained);
        self.queued[i] = queued;
        self.since[i] = now;
        if queued > self.buffer {
            self.busy_events += 1;
            return SendOutcome::BusyUntil(now + transmit_ns(queued - self.buffer, rate));
        }
        self.queued[i] = queued + bytes;
        SendOutcome::Leaves(now + transmit_ns(queued + bytes, rate))
    }
}

/// Time to transmit `bytes` at `rate` bytes per second, rounded up to a whole nanosecond.
fn transmit_ns(bytes: u64, rate: u64) -> Nanos {
    (bytes as u128 * 1_000_000_000).div_ceil(rate as u128) as Nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_channels_never_queue() {
        let mut c = Channels::new(2, vec![None; 4], 100);
        assert!(!c.any_limited());
        assert_eq!(c.send(0, 1, 5, 1_000_000), SendOutcome::Leaves(5));
    }

    #[test]
    fn a_full_buffer_suspends_the_sender_until_it_drains() {
        // 1000 bytes per second = one byte per ms; buffer 2 bytes.
        let mut c = Channels::new(2, vec![None, Some(1000), None, None], 2);
        assert_eq!(c.send(0, 1, 0, 3), SendOutcome::Leaves(3_000_000));
        // 1 ms later 2 bytes are queued: not over the buffer, accepted behind them.
        assert_eq!(c.send(0, 1, 1_000_000, 2), SendOutcome::Leaves(5_000_000));
        // Now 4 bytes are queued: busy until 2 remain.
        assert_eq!(
            c.send(0, 1, 1_000_000, 1),
            SendOutcome::BusyUntil(3_000_000)
        );
        assert_eq!(c.send(0, 1, 3_000_000, 1), SendOutcome::Leaves(6_000_000));
        assert_eq!(c.busy_events, 1);
        // The reverse direction is another channel, unlimited.
        assert_eq!(c.send(1, 0, 3_000_000, 50), SendOutcome::Leaves(3_000_000));
    }
}
