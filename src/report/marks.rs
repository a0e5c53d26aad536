//! The moments a timeline marks with a vertical line: the experiment's storms (a login wave
//! starting, a node going down and coming back) and bursts, from its declaration.

use crate::config::schema::{Experiment, Storm};

/// A moment to mark: virtual time in seconds and a short label.
pub(crate) type Mark = (f64, String);

/// The storms and bursts `exp` declares, in time order (at most 12: more would be clutter).
pub(crate) fn workload_marks(exp: &Experiment) -> Vec<Mark> {
    let mut marks: Vec<Mark> = Vec::new();
    for storm in &exp.workload.storms {
        match storm {
            Storm::Login { users, start_s, .. } => {
                marks.push((*start_s, format!("login of {users}")));
            }
            Storm::NodeRestart {
                node, at_s, down_s, ..
            } => {
                marks.push((*at_s, format!("{node} down")));
                marks.push((at_s + down_s, format!("{node} back")));
            }
        }
    }
    for burst in &exp.workload.bursts {
        if let (Some(at), Some(count)) = (burst.at_s, burst.count) {
            marks.push((at, format!("burst of {count}")));
        }
        if let (Some(from), Some(to), Some(m)) = (burst.from_s, burst.to_s, burst.multiplier) {
            marks.push((from, format!("rate x{m}")));
            marks.push((to, "rate back".to_string()));
        }
    }
    marks.sort_by(|a, b| a.0.total_cmp(&b.0));
    marks.truncate(12);
    marks
}
