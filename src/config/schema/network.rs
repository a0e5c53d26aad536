//! `model.network`: datacenters and links between them; the latency between two nodes is the
//! shortest path.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The cluster network: a graph of nodes and links; the latency between two nodes is the
/// shortest path. By default every pair of nodes is linked directly (a full mesh).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Network {
    /// One-way latency of a link between two nodes of the same datacenter (every pair of
    /// nodes when there are no datacenters), after the send completes.
    pub(crate) latency_us: f64,
    /// Latency of a message between two processes of the same node (default 0).
    #[serde(default)]
    pub(crate) local_latency_us: f64,
    /// Bandwidth of those links in megabits per second (default: unlimited).
    #[serde(default)]
    pub(crate) bandwidth_mbps: Option<f64>,
    /// Send buffer of the distribution channel between two nodes: a process sending on a
    /// channel holding more than this is suspended until it drains (OTP `+zdbbl`, default 1 MiB).
    #[serde(default = "default_send_buffer_bytes")]
    pub(crate) send_buffer_bytes: u64,
    /// Datacenters, each a list of node groups. Nodes are fully meshed inside a datacenter;
    /// datacenters are joined only by `links`. Default: none (one full mesh).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) datacenters: Vec<Datacenter>,
    /// Extra links, between two datacenters (every node of one to every node of the other)
    /// or two nodes (by name, `group-index`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) links: Vec<Link>,
}

fn default_send_buffer_bytes() -> u64 {
    1 << 20
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Datacenter {
    pub(crate) name: String,
    /// Names of the node groups in this datacenter.
    pub(crate) groups: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Link {
    /// A datacenter name or a node name (`session-3`).
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) latency_us: f64,
    /// Default: unlimited.
    #[serde(default)]
    pub(crate) bandwidth_mbps: Option<f64>,
}
