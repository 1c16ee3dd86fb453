//! The window's side of last-frame previews: textures in a bounded cache.
//!
//! The UI thread only ever looks at what has arrived: `preview::Fetcher` fetches and
//! decodes on the tokio runtime, and the pixels become a texture on the next
//! [`PreviewCache::get`].

use crate::preview::{Fetcher, Picture, PreviewError};
use std::collections::HashMap;
use std::hash::Hash;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

pub enum PreviewState<'a> {
    Loading,
    Ready(&'a egui::TextureHandle),
    Failed(&'a str),
}

enum Slot {
    /// Aborted when evicted, so a scrolled-away preview stops costing bandwidth.
    Loading(AbortHandle),
    Ready(egui::TextureHandle),
    Failed(String),
}

type Arrival = (String, Result<Picture, PreviewError>);

pub struct PreviewCache {
    fetcher: Fetcher,
    slots: Lru<String, Slot>,
    arrivals_tx: mpsc::UnboundedSender<Arrival>,
    arrivals: mpsc::UnboundedReceiver<Arrival>,
}

impl PreviewCache {
    /// `capacity` should exceed the number of previews on screen at once, or they evict
    /// each other every frame and are fetched again and again.
    pub fn new(fetcher: Fetcher, capacity: usize) -> Self {
        let (arrivals_tx, arrivals) = mpsc::unbounded_channel();
        Self {
            fetcher,
            slots: Lru::new(capacity),
            arrivals_tx,
            arrivals,
        }
    }

    /// Starts a background fetch on first request for a URL; afterwards returns its state.
    /// Call every frame: it never waits on the network.
    ///
    /// # Panics
    /// On the first request for a URL outside an entered tokio runtime.
    pub fn get(&mut self, ctx: &egui::Context, url: &str) -> PreviewState<'_> {
        while let Ok((url, result)) = self.arrivals.try_recv() {
            // Arrivals for evicted or already settled URLs are stale: drop them.
            if let Some(slot @ Slot::Loading(_)) = self.slots.peek_mut(&url) {
                *slot = match result {
                    Ok(picture) => Slot::Ready(ctx.load_texture(
                        format!("preview:{url}"),
                        egui::ColorImage::from_rgba_unmultiplied(picture.size, &picture.rgba),
                        egui::TextureOptions::LINEAR,
                    )),
                    Err(error) => Slot::Failed(error.to_string()),
                };
            }
        }

        if !self.slots.contains(url) {
            let task = tokio::spawn(fetch_and_report(
                self.fetcher.clone(),
                url.to_owned(),
                self.arrivals_tx.clone(),
                ctx.clone(),
            ));
            for evicted in self
                .slots
                .insert(url.to_owned(), Slot::Loading(task.abort_handle()))
            {
                if let Slot::Loading(task) = evicted {
                    task.abort();
                }
            }
        }
        match self.slots.get(url) {
            Some(Slot::Ready(texture)) => PreviewState::Ready(texture),
            Some(Slot::Failed(error)) => PreviewState::Failed(error),
            Some(Slot::Loading(_)) | None => PreviewState::Loading,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.len() == 0
    }
}

async fn fetch_and_report(
    fetcher: Fetcher,
    url: String,
    arrivals: mpsc::UnboundedSender<Arrival>,
    ctx: egui::Context,
) {
    let result = fetcher.fetch(&url).await;
    // The cache may be gone; then nobody wants the picture.
    if arrivals.send((url, result)).is_ok() {
        ctx.request_repaint();
    }
}

/// Least recently used eviction by count. Linear eviction is fine at preview-cache sizes.
struct Lru<K, V> {
    capacity: usize,
    tick: u64,
    map: HashMap<K, (u64, V)>,
}

impl<K: Eq + Hash + Clone, V> Lru<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            // Zero would evict each entry as it is added and refetch it every frame.
            capacity: capacity.max(1),
            tick: 0,
            map: HashMap::new(),
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn contains<Q>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.contains_key(key)
    }

    /// Marks the entry as used.
    fn get<Q>(&mut self, key: &Q) -> Option<&V>
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

    /// Does not mark the entry as used: background arrivals are not a sign of interest.
    fn peek_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.get_mut(key).map(|(_, value)| value)
    }

    /// Inserts (or replaces) as most recently used; returns what was evicted.
    fn insert(&mut self, key: K, value: V) -> Vec<V> {
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
        assert!(lru.contains("a") && lru.contains("c") && !lru.contains("b"));
        assert_eq!(lru.len(), 2);
    }

    #[test]
    fn lru_peek_does_not_refresh() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        if let Some(v) = lru.peek_mut("a") {
            *v = 10;
        }
        assert_eq!(lru.insert("c", 3), vec![10]);
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
}
