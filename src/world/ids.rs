//! Entity ids: dense indices into the model's `Vec` arenas.

/// A node (an Erlang VM on one machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u16);

/// A guild process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct GuildId(pub u32);

/// A session process (one per online user; user i has session i).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub u32);

impl NodeId {
    #[inline]
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

impl GuildId {
    #[inline]
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

impl SessionId {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_index_and_orders_by_it() {
        assert_eq!(NodeId(7).index(), 7);
        assert_eq!(GuildId(70_000).index(), 70_000);
        assert_eq!(SessionId(u32::MAX).index(), u32::MAX as usize);
        assert!(NodeId(1) < NodeId(2));
        let mut ids = vec![SessionId(3), SessionId(1), SessionId(2)];
        ids.sort();
        assert_eq!(ids, [SessionId(1), SessionId(2), SessionId(3)]);
    }
}
