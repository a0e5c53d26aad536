//! Sets of guilds chosen by a workload's selectors (`all`, `{largest: k}`, `{sizes: {min,
//! max}}`, `{list: [...]}`), resolved once at build time into something cheap to walk and to
//! test: a range of indices, a slice of the guilds ordered by size, or a list.
//!
//! The guilds ordered by size (most members first, equal sizes by index) make both `largest`
//! and a size range a contiguous slice, so no selection copies guild ids.

use super::ids::GuildId;
use crate::config::schema::GuildSelector;

/// Guild sizes and their order, shared by every selection of a workload.
#[derive(Clone, Debug, Default)]
pub(crate) struct GuildFacts {
    guilds: u32,
    /// Members of each guild (as drawn by `workload.guilds.sizes`); empty when unordered.
    members: Vec<u32>,
    /// Guild indices, most members first (equal sizes: lower index first).
    by_size: Vec<u32>,
    /// Position of each guild in `by_size`.
    rank: Vec<u32>,
}

impl GuildFacts {
    /// `guilds` guilds whose sizes no selection needs (`all` and lists only).
    pub(crate) fn unordered(guilds: u32) -> Self {
        GuildFacts {
            guilds,
            ..Default::default()
        }
    }

    /// Guilds with `members` members each, ordered by size.
    pub(crate) fn ordered(members: Vec<u32>) -> Self {
        let mut by_size: Vec<u32> = (0..members.len() as u32).collect();
        by_size.sort_by_key(|&g| (std::cmp::Reverse(members[g as usize]), g));
        let mut rank = vec![0u32; members.len()];
        for (r, &g) in by_size.iter().enumerate() {
            rank[g as usize] = r as u32;
        }
        GuildFacts {
            guilds: members.len() as u32,
            members,
            by_size,
            rank,
        }
    }

    pub(crate) fn guilds(&self) -> u32 {
        self.guilds
    }

    /// Whether a selector needs the guilds ordered by size.
    pub(crate) fn needs_order(selector: &GuildSelector) -> bool {
        matches!(
            selector,
            GuildSelector::Largest(_) | GuildSelector::Sizes { .. }
        )
    }
}

/// A resolved set of guilds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Selection {
    /// Guilds `0..n`.
    All(u32),
    /// `by_size[start..start + len]`.
    BySize { start: u32, len: u32 },
    /// Listed guilds, in the order given, and the same sorted (for membership tests).
    List { order: Vec<u32>, sorted: Vec<u32> },
}

impl Selection {
    /// `selector` over the guilds of `facts` (built with the order if the selector needs it).
    /// Indices past the last guild are left out (validation refuses them).
    pub(crate) fn resolve(selector: &GuildSelector, facts: &GuildFacts) -> Self {
        let n = facts.guilds();
        match selector {
            GuildSelector::All => Selection::All(n),
            GuildSelector::Largest(k) => Selection::BySize {
                start: 0,
                len: (*k).min(n),
            },
            GuildSelector::Sizes { min, max } => {
                let m = |g: &u32| facts.members[*g as usize];
                let start = facts.by_size.partition_point(|g| m(g) > *max);
                let end = facts.by_size.partition_point(|g| m(g) >= *min).max(start);
                Selection::BySize {
                    start: start as u32,
                    len: (end - start) as u32,
                }
            }
            GuildSelector::List(list) => {
                let order: Vec<u32> = list.iter().copied().filter(|&g| g < n).collect();
                let mut sorted = order.clone();
                sorted.sort_unstable();
                sorted.dedup();
                Selection::List { order, sorted }
            }
        }
    }

    pub(crate) fn len(&self) -> u32 {
        match self {
            Selection::All(n) => *n,
            Selection::BySize { len, .. } => *len,
            Selection::List { order, .. } => order.len() as u32,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th guild of the set (`i < len()`).
    #[inline]
    pub(crate) fn get(&self, i: u32, facts: &GuildFacts) -> GuildId {
        GuildId(match self {
            Selection::All(_) => i,
            Selection::BySize { start, .. } => facts.by_size[(start + i) as usize],
            Selection::List { order, .. } => order[i as usize],
        })
    }

    /// Whether guild `g` is in the set.
    pub(crate) fn contains(&self, g: GuildId, facts: &GuildFacts) -> bool {
        match self {
            Selection::All(n) => g.0 < *n,
            Selection::BySize { start, len } => facts
                .rank
                .get(g.index())
                .is_some_and(|&r| r >= *start && r - start < *len),
            Selection::List { sorted, .. } => sorted.binary_search(&g.0).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(sel: &Selection, facts: &GuildFacts) -> Vec<u32> {
        (0..sel.len()).map(|i| sel.get(i, facts).0).collect()
    }

    #[test]
    fn selectors_pick_the_guilds_they_name() {
        let facts = GuildFacts::ordered(vec![5, 50, 10, 50, 1]);
        let largest = Selection::resolve(&GuildSelector::Largest(3), &facts);
        assert_eq!(members(&largest, &facts), vec![1, 3, 2]);
        let sizes = Selection::resolve(&GuildSelector::Sizes { min: 5, max: 10 }, &facts);
        assert_eq!(members(&sizes, &facts), vec![2, 0]);
        let none = Selection::resolve(&GuildSelector::Sizes { min: 11, max: 49 }, &facts);
        assert!(none.is_empty());
        let list = Selection::resolve(&GuildSelector::List(vec![4, 0]), &facts);
        assert_eq!(members(&list, &facts), vec![4, 0]);
        let all = Selection::resolve(&GuildSelector::All, &facts);
        assert_eq!(members(&all, &facts), vec![0, 1, 2, 3, 4]);
        for g in 0..5 {
            let g = GuildId(g);
            assert_eq!(
                largest.contains(g, &facts),
                members(&largest, &facts).contains(&g.0)
            );
            assert_eq!(
                sizes.contains(g, &facts),
                members(&sizes, &facts).contains(&g.0)
            );
            assert_eq!(list.contains(g, &facts), [4, 0].contains(&g.0));
            assert!(all.contains(g, &facts));
        }
        assert!(!largest.contains(GuildId(9), &facts));
    }
}
