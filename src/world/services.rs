//! Service processes: every process other than guilds and sessions, dispatched by kind. A
//! fan-out strategy's processes run their slices in `fanout/`, registries in `registry.rs`, ring processes in `lookup.rs`.

use super::event::{Event, ProcRef};
use super::ids::NodeId;
use super::mailbox::Msg;
use super::process::Work;
use super::state::World;
use crate::metrics::recorder::ProcessKind;
use crate::sim::{EventQueue, Nanos};

impl World {
    /// Runs service `i`'s current message for about one time slice.
    pub(crate) fn service_slice(
        &mut self,
        i: u32,
        now: Nanos,
        queue: &mut EventQueue<Event>,
    ) -> Nanos {
        let service = &mut self.services[i as usize];
        let head = self
            .mailboxes
            .front(&service.core.mailbox)
            .expect("a service runs with a message");
        let first_slice = !service.work.active;
        if first_slice {
            service.work = Work {
                active: true,
                started: now,
                ..Default::default()
            };
        }
        let (node, kind) = (service.node, service.kind);
        if kind == ProcessKind::Registry {
            let depth = service.core.mailbox.len();
            self.rec.registry_depth(now, depth);
        } else if kind == ProcessKind::Relay && first_slice {
            let depth = service.core.mailbox.len();
            self.rec.relay_depth(now, depth);
        }
        match (kind, head) {
            (ProcessKind::Registry, Msg::RegistryCall { session, token }) => {
                self.registry_slice(i, node, session, token, now, queue)
            }
            (ProcessKind::Ring, Msg::RingCall { session, token }) => {
                self.ring_slice(i, node, session, token, now, queue)
            }
            (ProcessKind::Registry | ProcessKind::Ring, msg) => {
                unreachable!("{kind:?} got {msg:?}")
            }
            (kind, head) => {
                let end = self.fanout_service_slice(i, node, kind, head, first_slice, now, queue);
                self.rec.fanout_work(now, end);
                end
            }
        }
    }

    pub(super) fn reply_cost(&mut self, from: NodeId, to: NodeId) -> Nanos {
        if from == to {
            self.params.send_local.sample(&mut self.costs_rng)
        } else {
            self.rec.inter_node_messages += 1;
            self.params.send_remote.sample(&mut self.costs_rng)
        }
    }

    /// A slice of service `i` ended: when its message is done it leaves the mailbox.
    pub(crate) fn service_slice_done(
        &mut self,
        i: u32,
        now: Nanos,
        _queue: &mut EventQueue<Event>,
    ) {
        if !self.services[i as usize].work.done {
            return;
        }
        self.dequeue(ProcRef::Service(i), now);
        self.services[i as usize].work = Work::default();
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::recorder::ProcessKind;
    use crate::world::tiny::Tiny;

    #[test]
    fn each_node_has_its_registry_or_ring_process_and_the_strategys_processes() {
        let kinds = |strategy: &str| {
            let w = Tiny::new(&[3])
                .set("model.fanout.strategy", strategy)
                .set("model.fanout.manifold.partitioners", "2")
                .world();
            w.services
                .iter()
                .map(|s| (s.node.0, s.kind))
                .collect::<Vec<_>>()
        };
        use ProcessKind::*;
        assert_eq!(kinds("naive"), vec![(0, Registry), (1, Ring), (2, Ring)]);
        let manifold = kinds("manifold");
        // Per node: 2 partitioners, 4 workers (one per scheduler), 2 senders, then its
        // registry or ring process.
        assert_eq!(manifold.len(), 3 * 9);
        let node1: Vec<_> = manifold.iter().filter(|s| s.0 == 1).map(|s| s.1).collect();
        assert_eq!(
            node1,
            vec![
                Partitioner,
                Partitioner,
                Worker,
                Worker,
                Worker,
                Worker,
                Sender,
                Sender,
                Ring
            ]
        );
    }

    #[test]
    fn a_registry_reply_across_nodes_is_an_inter_node_message() {
        // One login: the registry call, its reply and the join cross nodes (3 messages);
        // the join's presence goes to 4 members (4 more).
        let s = Tiny::new(&[5])
            .set(
                "workload.storms",
                "[{login: {users: 1, start_s: 0.5, window_s: 0}}]",
            )
            .run()
            .summary;
        assert_eq!(s.inter_node_messages, 3 + 4);
        assert_eq!(s.registry.served, 1);
    }
}
