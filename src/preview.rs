//! Last-frame previews for the GUI.
//!
//! The UI thread only ever looks at what has arrived: fetching and decoding run on the
//! tokio runtime, and the decoded pixels become a texture on the next [`PreviewCache::get`].

use std::collections::HashMap;
use std::hash::Hash;
use std::io::Cursor;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Bodies above this are refused before decoding: a preview is not worth more.
pub const MAX_BODY: usize = 20 * 1000 * 1000;
/// Longest side of a preview texture; larger frames are scaled down to bound GPU memory.
pub const MAX_SIDE: u32 = 1024;
/// Decoders refuse images whose pixels would need more than this.
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

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

type Arrival = (String, Result<egui::ColorImage, String>);

pub struct PreviewCache {
    client: reqwest::Client,
    slots: Lru<String, Slot>,
    arrivals_tx: mpsc::UnboundedSender<Arrival>,
    arrivals: mpsc::UnboundedReceiver<Arrival>,
}

impl PreviewCache {
    /// `capacity` should exceed the number of previews on screen at once, or they evict
    /// each other every frame and are fetched again and again.
    pub fn new(client: reqwest::Client, capacity: usize) -> Self {
        let (arrivals_tx, arrivals) = mpsc::unbounded_channel();
        Self {
            client,
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
                    Ok(image) => Slot::Ready(ctx.load_texture(
                        format!("preview:{url}"),
                        image,
                        egui::TextureOptions::LINEAR,
                    )),
                    Err(error) => Slot::Failed(error),
                };
            }
        }

        if !self.slots.contains(url) {
            let task = tokio::spawn(fetch_and_report(
                self.client.clone(),
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
    client: reqwest::Client,
    url: String,
    arrivals: mpsc::UnboundedSender<Arrival>,
    ctx: egui::Context,
) {
    let result = fetch(&client, &url).await;
    // The cache may be gone; then nobody wants the picture.
    if arrivals.send((url, result)).is_ok() {
        ctx.request_repaint();
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<egui::ColorImage, String> {
    let too_large = || format!("image larger than {} MB", MAX_BODY / 1_000_000);
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| describe_request(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(match status.canonical_reason() {
            Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
            None => format!("HTTP {}", status.as_u16()),
        });
    }
    let announced = response.content_length();
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| "connection dropped".to_owned())?
    {
        // Servers may send no length, or lie about it.
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    tokio::task::spawn_blocking(move || decode(&body))
        .await
        .map_err(|_| "the image decoder crashed".to_owned())?
}

fn describe_request(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn decode(bytes: &[u8]) -> Result<egui::ColorImage, String> {
    let not_an_image = |e: image::ImageError| format!("not an image: {e}");
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("not an image: {e}"))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(not_an_image)?;
    let (width, height) = fit_within(image.width(), image.height(), MAX_SIDE);
    let image = if (width, height) == (image.width(), image.height()) {
        image
    } else {
        image.resize_exact(width, height, image::imageops::FilterType::Triangle)
    };
    let rgba = image.to_rgba8();
    Ok(egui::ColorImage::from_rgba_unmultiplied(
        [width as usize, height as usize],
        rgba.as_raw(),
    ))
}

/// The size that keeps the aspect ratio with the longest side at most `max`; never a
/// zero side, so a 10000×1 strip still makes a texture.
pub fn fit_within(width: u32, height: u32, max: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let scaled =
            (u64::from(side) * u64::from(max) + u64::from(longest) / 2) / u64::from(longest);
        u32::try_from(scaled).unwrap_or(max).max(1)
    };
    (scale(width), scale(height))
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
    use proptest::prelude::*;

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

    #[test]
    fn downscale_keeps_small_images_and_aspect() {
        assert_eq!(fit_within(800, 600, 1024), (800, 600));
        assert_eq!(fit_within(1024, 1024, 1024), (1024, 1024));
        assert_eq!(fit_within(1920, 1080, 1024), (1024, 576));
        assert_eq!(fit_within(1080, 1920, 1024), (576, 1024));
        assert_eq!(fit_within(4000, 3000, 1024), (1024, 768));
        assert_eq!(fit_within(100_000, 1, 1024), (1024, 1));
        assert_eq!(fit_within(u32::MAX, u32::MAX, 1024), (1024, 1024));
    }

    #[test]
    fn decode_rejects_garbage() {
        let err = decode(b"<html>nope</html>").err().unwrap_or_default();
        assert!(err.starts_with("not an image:"), "{err}");
    }

    proptest! {
        #[test]
        fn downscale_bounds_and_ratio(w in 1u32..50_000, h in 1u32..50_000, max in 1u32..4096) {
            let (fw, fh) = fit_within(w, h, max);
            prop_assert!(fw >= 1 && fh >= 1);
            prop_assert!(fw.max(fh) <= max.max(w.max(h).min(max)));
            prop_assert!(fw <= w && fh <= h);
            if w.max(h) > max {
                prop_assert_eq!(fw.max(fh), max);
                // Rounded to the nearest pixel: the ratio is off by less than one pixel.
                let exact = f64::from(w.min(h)) * f64::from(max) / f64::from(w.max(h));
                prop_assert!((f64::from(fw.min(fh)) - exact).abs() <= 0.5 + 1e-9 || fw.min(fh) == 1);
            }
        }
    }
}
