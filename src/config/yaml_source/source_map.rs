//! The source map: for every field path, where its value (and its key) was written.

use std::collections::BTreeMap;

use super::{FieldPath, Location};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) value: Option<Location>,
    pub(super) key: Option<Location>,
}

/// Where each path's value (and, for map entries, its key) came from. Deterministic: a
/// `BTreeMap` ordered by path.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceMap {
    pub(super) entries: BTreeMap<FieldPath, Entry>,
}

impl SourceMap {
    /// Best location for `path`: the value's own position if known, else its key's, else walk
    /// up to the nearest ancestor that is known (so an error about a missing field points at the
    /// mapping that should contain it).
    pub(crate) fn locate(&self, path: &FieldPath) -> Option<Location> {
        let mut current = Some(path.clone());
        while let Some(p) = current {
            if let Some(entry) = self.entries.get(&p)
                && let Some(loc) = entry.value.as_ref().or(entry.key.as_ref())
            {
                return Some(loc.clone());
            }
            current = p.parent();
        }
        None
    }

    /// Like [`SourceMap::locate`] but prefers the position of the mapping key (used for unknown
    /// fields and unknown enum variants written as keys).
    pub(crate) fn locate_key(&self, path: &FieldPath) -> Option<Location> {
        match self.entries.get(path).and_then(|e| e.key.clone()) {
            Some(loc) => Some(loc),
            None => self.locate(path),
        }
    }

    /// A map that locates only the root value, at `loc`: for a value computed from an entry of
    /// a file (one step of a sweep's range), to pass to [`set_at`](super::set_at).
    pub(crate) fn rooted_at(loc: Location) -> SourceMap {
        let mut map = SourceMap::default();
        map.set_value(&FieldPath::root(), Some(loc));
        map
    }

    /// The part of this map at and below `path`, re-rooted so that `path` becomes the root
    /// (pair it with [`value_at`](super::value_at) to merge a section of one document into another).
    pub(crate) fn subtree(&self, path: &FieldPath) -> SourceMap {
        let entries = self
            .descendants(path)
            .map(|(p, e)| {
                let rel = p.strip_prefix(path).unwrap_or_default();
                let mut e = e.clone();
                if rel.is_root() {
                    e.key = None;
                }
                (rel, e)
            })
            .collect();
        SourceMap { entries }
    }

    /// Entries at `path` and below, in order (descendants sort contiguously after `path`).
    fn descendants<'a>(
        &'a self,
        path: &'a FieldPath,
    ) -> impl Iterator<Item = (&'a FieldPath, &'a Entry)> + 'a {
        self.entries
            .range(path.clone()..)
            .take_while(move |(p, _)| p.starts_with(path))
    }

    /// Remove `path` and everything below it, returning the old entry of `path`.
    pub(super) fn remove_subtree(&mut self, path: &FieldPath) -> Option<Entry> {
        let doomed: Vec<FieldPath> = self.descendants(path).map(|(p, _)| p.clone()).collect();
        let mut old = None;
        for p in doomed {
            let e = self.entries.remove(&p);
            if p == *path {
                old = e;
            }
        }
        old
    }

    /// Replace `path` and everything below it by `other`'s entries there (same coordinates).
    /// If `other` has no key position for `path`, the old key position is kept.
    pub(super) fn replace_subtree(&mut self, path: &FieldPath, other: &SourceMap) {
        let old = self.remove_subtree(path);
        for (p, e) in other.descendants(path) {
            self.entries.insert(p.clone(), e.clone());
        }
        if let Some(old_key) = old.and_then(|e| e.key) {
            let entry = self.entries.entry(path.clone()).or_default();
            if entry.key.is_none() {
                entry.key = Some(old_key);
            }
        }
    }

    pub(super) fn set_value(&mut self, path: &FieldPath, loc: Option<Location>) {
        if let Some(loc) = loc {
            self.entries.entry(path.clone()).or_default().value = Some(loc);
        }
    }

    pub(super) fn set_key(&mut self, path: &FieldPath, loc: Option<Location>) {
        if let Some(loc) = loc {
            self.entries.entry(path.clone()).or_default().key = Some(loc);
        }
    }

    pub(super) fn value_location(&self, path: &FieldPath) -> Option<Location> {
        self.entries.get(path).and_then(|e| e.value.clone())
    }

    pub(super) fn shifted(self, prefix: &FieldPath) -> SourceMap {
        if prefix.is_root() {
            return self;
        }
        let entries = self
            .entries
            .into_iter()
            .map(|(p, e)| (prefix.join(&p), e))
            .collect();
        SourceMap { entries }
    }
}
