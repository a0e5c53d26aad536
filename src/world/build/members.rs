//! Build stage: memberships. Each guild's online members are distinct users drawn
//! uniformly; each session's membership slots are then listed in guild order. Random
//! stream: `membership`.

use crate::sim::rng::StreamRng;
use crate::world::ids::SessionId;
use rand::Rng;

/// Membership slots grouped by guild: the member's session of each slot, and each guild's
/// first slot (guild `g` holds `first[g] .. first[g] + online[g]`).
pub(super) struct Memberships {
    pub(crate) member_session: Vec<SessionId>,
    pub(crate) first: Vec<u32>,
}

/// Draws each guild's `online[g]` members among `users` users.
pub(super) fn draw(online: &[u32], users: u32, rng: &mut StreamRng) -> Memberships {
    let total: u64 = online.iter().map(|&o| o as u64).sum();
    let mut member_session = Vec::with_capacity(total as usize);
    let mut first = Vec::with_capacity(online.len());
    let mut marked_for = vec![u32::MAX; users as usize];
    let mut shuffle_buffer: Vec<u32> = Vec::new();
    for (g, &count) in online.iter().enumerate() {
        first.push(member_session.len() as u32);
        if (count as u64) * 2 > users as u64 {
            // Dense: a partial Fisher-Yates shuffle of all users.
            shuffle_buffer.clear();
            shuffle_buffer.extend(0..users);
            for i in 0..count as usize {
                let j = rng.random_range(i..users as usize);
                shuffle_buffer.swap(i, j);
                member_session.push(SessionId(shuffle_buffer[i]));
            }
        } else {
            // Sparse: rejection of users already drawn for this guild.
            let mut drawn = 0;
            while drawn < count {
                let u = rng.random_range(0..users);
                if marked_for[u as usize] != g as u32 {
                    marked_for[u as usize] = g as u32;
                    member_session.push(SessionId(u));
                    drawn += 1;
                }
            }
        }
    }
    Memberships {
        member_session,
        first,
    }
}

/// Each session's membership slots, in guild order (a counting sort): session `s`'s slots
/// are `slots[first[s]..first[s + 1]]`. Returns `(first, slots)`.
pub(super) fn session_slots(member_session: &[SessionId], users: u32) -> (Vec<u32>, Vec<u32>) {
    let mut session_first = vec![0u32; users as usize + 1];
    for s in member_session {
        session_first[s.index() + 1] += 1;
    }
    for i in 0..users as usize {
        session_first[i + 1] += session_first[i];
    }
    let mut session_slots = vec![0u32; member_session.len()];
    let mut fill = session_first.clone();
    for (slot, s) in member_session.iter().enumerate() {
        session_slots[fill[s.index()] as usize] = slot as u32;
        fill[s.index()] += 1;
    }
    (session_first, session_slots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::RngStreams;

    #[test]
    fn each_guilds_members_are_distinct_users_and_each_user_lists_its_slots() {
        let online = [4, 2, 5];
        let m = draw(&online, 5, &mut RngStreams::new(7).stream("membership"));
        assert_eq!(m.first, [0, 4, 6]);
        assert_eq!(m.member_session.len(), 11);
        for (g, &count) in online.iter().enumerate() {
            let mut users: Vec<u32> = m.member_session[m.first[g] as usize..][..count as usize]
                .iter()
                .map(|s| s.0)
                .collect();
            users.sort();
            users.dedup();
            assert_eq!(users.len(), count as usize, "guild {g}: distinct users");
            assert!(users.iter().all(|&u| u < 5));
        }
        let (first, slots) = session_slots(&m.member_session, 5);
        assert_eq!(first.len(), 6);
        assert_eq!(first[5], 11);
        for u in 0..5 {
            let mine = &slots[first[u] as usize..first[u + 1] as usize];
            assert!(mine.windows(2).all(|p| p[0] < p[1]), "in guild order");
            assert!(
                mine.iter()
                    .all(|&s| m.member_session[s as usize].0 == u as u32)
            );
        }
        // Guild 2 holds all 5 users: each user has a slot in it.
        assert!((0..5).all(|u| {
            slots[first[u] as usize..first[u + 1] as usize]
                .iter()
                .any(|&s| s >= 6)
        }));
    }
}
