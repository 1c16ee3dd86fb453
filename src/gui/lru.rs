//! Least recently used eviction by count, for textures the window keeps a bounded number of.

use std::collections::HashMap;
use std::hash::Hash;

/// Least recently used eviction by count. Linear eviction is fine at texture-budget sizes
/// (hundreds).
pub struct Lru<K, V> {
    capacity: usize,
    tick: u64,
    map: HashMap<K, (u64, V)>,
}

impl<K: Eq + Hash + Clone, V> Lru<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            // Zero would evict each entry as it is added and refetch it every frame.
            capacity: capacity.max(1),
            tick: 0,
            map: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Marks the entry as used.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(key).map(|(used, value)| {
            *used = tick;
            &*value
        })
    }

    /// Drops the entries whose key fails `keep`.
    pub fn retain(&mut self, keep: impl Fn(&K) -> bool) {
        self.map.retain(|k, _| keep(k));
    }

    /// Inserts (or replaces) as most recently used; returns what was evicted.
    pub fn insert(&mut self, key: K, value: V) -> Vec<V> {
        self.tick += 1;
        let mut evicted: Vec<V> = self
            .map
            .insert(key.clone(), (self.tick, value))
            .map(|(_, old)| old)
            .into_iter()
            .collect();
        while self.map.len() > self.capacity {
            let oldest = self
                .map
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone());
            match oldest.and_then(|k| self.map.remove(&k)) {
                Some((_, value)) => evicted.push(value),
                None => break,
            }
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut lru = Lru::new(2);
        assert!(lru.insert("a", 1).is_empty());
        assert!(lru.insert("b", 2).is_empty());
        assert_eq!(lru.get("a"), Some(&1));
        assert_eq!(lru.insert("c", 3), vec![2]);
        assert_eq!(lru.len(), 2);
        assert_eq!(lru.get("b"), None);
        assert_eq!(lru.get("a"), Some(&1));
        assert_eq!(lru.get("c"), Some(&3));
    }

    #[test]
    fn lru_replacing_returns_the_old_value() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        assert_eq!(lru.insert("a", 2), vec![1]);
        assert_eq!(lru.len(), 1);
    }

    #[test]
    fn lru_capacity_zero_still_keeps_the_newest() {
        let mut lru = Lru::new(0);
        lru.insert("a", 1);
        assert_eq!(lru.insert("b", 2), vec![1]);
        assert_eq!(lru.get("b"), Some(&2));
    }

    #[test]
    fn lru_retain_drops_the_others() {
        let mut lru = Lru::new(3);
        lru.insert("a", 1);
        lru.insert("b", 2);
        lru.retain(|k| *k == "b");
        assert_eq!((lru.len(), lru.get("b")), (1, Some(&2)));
    }
}
