//! The account side of the API stand-in: the undocumented listing (`retrieve_batch` with no
//! `ids`, paged by `offset`/`limit` within `created_at_min`/`created_at_max`), over an
//! account holding tasks of several users. Modes make it misbehave the ways a real API
//! might: refuse the listing, ignore the range, mix users, leave out `count`, or add
//! unrequested items to ordinary batch answers.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The user the token belongs to: an honest listing only ever shows their tasks.
pub const OWNER: &str = "user-owner";
pub const OWNER_APP: &str = "app-owner";
/// Other users with tasks on the same server.
pub const OTHERS: [&str; 2] = ["user-other-1", "user-other-2"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListingMode {
    #[default]
    Honest,
    /// `400 bad_request` for a batch without ids, as an API without the listing answers.
    Unsupported,
    /// Pages drawn from every task, whatever the range.
    IgnoresRange,
    /// Pages drawn from every user's tasks.
    MixesUsers,
}

/// A task with the fields the listing filters on read once: the bench lists 10 000 tasks
/// a hundred times, and the stand-in must not be what it measures.
struct Stored {
    created: f64,
    owned: bool,
    value: Value,
}

#[derive(Default)]
pub struct Account {
    /// Newest first, ties by id: the listing's order.
    tasks: Mutex<Vec<Stored>>,
    mode: Mutex<ListingMode>,
    omit_count: AtomicBool,
    extra_items: AtomicBool,
    listings: AtomicUsize,
}

/// A task record of `user`, created at `created_at` (Unix seconds).
pub fn account_record(id: &str, user: &str, created_at: f64) -> Value {
    let mut r = super::record(id, "succeeded");
    r["created_at"] = json!(created_at);
    r["user_id"] = json!(user);
    r["application_id"] = json!(if user == OWNER {
        OWNER_APP
    } else {
        "app-other"
    });
    r
}

/// An id unique to (user index, n).
pub fn account_id(user: usize, n: usize) -> String {
    format!("{user:08x}-acc0-4000-8000-{n:012x}")
}

impl Account {
    pub fn add(&self, record: Value) {
        let stored = Stored {
            created: created(&record),
            owned: record["user_id"] == OWNER,
            value: record,
        };
        let id = stored.value["id"].as_str().unwrap_or_default().to_owned();
        let mut tasks = self.tasks.lock().expect("lock");
        let at = tasks.partition_point(|t| {
            t.created > stored.created
                || (t.created == stored.created && t.value["id"].as_str() < Some(id.as_str()))
        });
        tasks.insert(at, stored);
    }

    /// `owned` tasks of the owner and `others` of the other users, spread evenly over the
    /// `days` before `now` (Unix seconds), interleaved in time.
    pub fn populate(&self, owned: usize, others: usize, days: f64, now: f64) {
        let total = owned + others;
        let step = days * 86_400.0 / total.max(1) as f64;
        let (mut o, mut x) = (0, 0);
        for i in 0..total {
            let created = now - (i as f64 + 0.5) * step;
            // The owner's tasks spread among the others' in proportion.
            let owner_turn = (o * total < (i + 1) * owned && o < owned) || x >= others;
            if owner_turn {
                self.add(account_record(&account_id(0, o), OWNER, created));
                o += 1;
            } else {
                let user = 1 + x % OTHERS.len();
                self.add(account_record(
                    &account_id(user, x),
                    OTHERS[user - 1],
                    created,
                ));
                x += 1;
            }
        }
    }

    pub fn set_mode(&self, mode: ListingMode) {
        *self.mode.lock().expect("lock") = mode;
    }

    /// Answer listings without `count` (then the client pages until a short page).
    pub fn omit_count(&self, omit: bool) {
        self.omit_count.store(omit, Ordering::SeqCst);
    }

    /// Ordinary batch answers also carry tasks nobody asked for.
    pub fn add_extra_items(&self, on: bool) {
        self.extra_items.store(on, Ordering::SeqCst);
    }

    /// Listing requests answered so far.
    pub fn listings(&self) -> usize {
        self.listings.load(Ordering::SeqCst)
    }

    /// The owner's task ids created in [min, max], newest first: what an honest listing
    /// must return.
    pub fn expected(&self, min: f64, max: f64) -> Vec<String> {
        let mut owned: Vec<(f64, String)> = self
            .tasks
            .lock()
            .expect("lock")
            .iter()
            .filter(|t| t.owned)
            .map(|t| {
                (
                    t.created,
                    t.value["id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .filter(|(c, _)| (min..=max).contains(c))
            .collect();
        owned.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        owned.into_iter().map(|(_, id)| id).collect()
    }

    /// The answer to a listing (a `retrieve_batch` without `ids`), or `None` for any other
    /// request.
    pub fn route(&self, action: &str, body: &Value) -> Option<(u16, String)> {
        if action != "retrieve_batch" || body.get("ids").is_some() {
            return None;
        }
        self.listings.fetch_add(1, Ordering::SeqCst);
        let mode = *self.mode.lock().expect("lock");
        if mode == ListingMode::Unsupported {
            let body = json!({"success": false, "error": {"code": "bad_request",
                "message": "ids is required"}, "trace_id": "t-400"});
            return Some((400, body.to_string()));
        }
        let min = body["created_at_min"].as_f64().unwrap_or(f64::MIN);
        let max = body["created_at_max"].as_f64().unwrap_or(f64::MAX);
        let asked_user = body["user_id"].as_str();
        let offset = body["offset"].as_u64().unwrap_or(0) as usize;
        let limit = body["limit"].as_u64().unwrap_or(12).min(100) as usize;
        let tasks = self.tasks.lock().expect("lock");
        let matching: Vec<&Value> = tasks
            .iter()
            // An honest listing shows the token owner's tasks, and none for another user.
            .filter(|t| {
                mode == ListingMode::MixesUsers
                    || (t.owned && asked_user.is_none_or(|u| u == OWNER))
            })
            .filter(|t| mode == ListingMode::IgnoresRange || (min..=max).contains(&t.created))
            .map(|t| &t.value)
            .collect();
        let count = matching.len();
        let page: Vec<&Value> = matching.into_iter().skip(offset).take(limit).collect();
        let answer = if self.omit_count.load(Ordering::SeqCst) {
            json!({"items": page})
        } else {
            json!({"items": page, "count": count})
        };
        Some((200, answer.to_string()))
    }

    /// Unrequested items for an ordinary batch answer (in the extra-items mode): tasks
    /// whose ids were not among `asked`.
    pub fn extras(&self, asked: &[String]) -> Vec<Value> {
        if !self.extra_items.load(Ordering::SeqCst) {
            return Vec::new();
        }
        (0..3)
            .map(|n| account_id(0xeeee, n))
            .filter(|id| !asked.contains(id))
            .map(|id| account_record(&id, OWNER, 1766329436.0))
            .collect()
    }
}

fn created(task: &Value) -> f64 {
    task["created_at"].as_f64().unwrap_or(0.0)
}
