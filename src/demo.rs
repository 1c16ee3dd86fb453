//! The demo: a handful of realistic tasks answered without network or token, through the
//! same engine path (`engine::Backend::Demo`) and the same record parser as the real API.
//! Queued and running tasks finish over the first minute after the demo starts. Tasks
//! created with `--demo create` (or the window's demo) queue, run and succeed within
//! [`MADE_LIFE`] seconds.

use crate::api::{ApiError, BatchAnswer, ListedTask, Page, PageQuery, TaskRecord};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Simulated round trip of one call: enough to see rows arrive, short enough not to bore.
const LATENCY: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, Copy)]
enum End {
    Succeeded { last_frame: bool },
    Failed(&'static str, &'static str),
    Expired,
}

#[derive(Debug, Clone, Copy)]
struct DemoTask {
    id: &'static str,
    model: &'static str,
    prompt: &'static str,
    /// Minutes before the demo started that the task was created.
    created_minutes_ago: f64,
    /// Seconds after the demo starts at which the task leaves the queue / finishes
    /// (zero or less: already there).
    starts_at: f64,
    ends_at: f64,
    end: End,
    /// Shape of the succeeded answer: `response.data.content.video_url` (raw upstream).
    content_shape: bool,
}

const TASKS: [DemoTask; 11] = [
    DemoTask {
        id: "9462ca25-468b-45a5-9e75-6f516dedcc80",
        model: "doubao-seedance-1-0-pro-250528",
        prompt: "Multiple shots. A detective enters a dimly lit room. He examines clues on the table, picking up an item from the table. The camera shifts to him in thought. --ratio 16:9",
        created_minutes_ago: 42.0,
        starts_at: -2500.0,
        ends_at: -2400.0,
        end: End::Succeeded { last_frame: true },
        content_shape: false,
    },
    DemoTask {
        id: "d9e576bd-ca14-4c6f-a541-f4734e941dbe",
        model: "doubao-seedance-1-0-pro-250528",
        prompt: "A paper boat drifts down a rain-soaked street at dusk, neon reflections ripple around it, slow dolly shot. --ratio 16:9 --duration 5",
        created_minutes_ago: 35.0,
        starts_at: -2090.0,
        ends_at: -2010.0,
        end: End::Succeeded { last_frame: false },
        content_shape: false,
    },
    DemoTask {
        id: "93f11baf-347b-4bb4-9520-8653cb46d6a3",
        model: "doubao-seedance-1-0-lite-t2v-250428",
        prompt: "一只橘猫在窗台上晒太阳，镜头缓慢推进，午后的光线洒在毛发上 --rs 720p",
        created_minutes_ago: 27.5,
        starts_at: -1640.0,
        ends_at: -1580.0,
        end: End::Succeeded { last_frame: true },
        content_shape: true,
    },
    DemoTask {
        id: "3f2e1d0c-b9a8-4776-8554-433221100fed",
        model: "doubao-seedance-1-0-pro-250528",
        prompt: "A crowded stadium chants a famous band's name while fireworks spell it out in the sky.",
        created_minutes_ago: 21.0,
        starts_at: -1255.0,
        ends_at: -1190.0,
        end: End::Failed(
            "bad_request",
            "The request failed because the output video may contain sensitive information.",
        ),
        content_shape: false,
    },
    DemoTask {
        id: "a1b2c3d4-e5f6-4789-8abc-def012345678",
        model: "doubao-seedance-2-0-260128",
        prompt: "A singer performs an a cappella ballad on an empty theatre stage, spotlight only, close-up. --ratio 9:16",
        created_minutes_ago: 18.0,
        starts_at: -1075.0,
        ends_at: -1010.0,
        end: End::Failed(
            "OutputAudioSensitiveContentDetected",
            "The request failed because the output audio may contain sensitive information.",
        ),
        content_shape: false,
    },
    DemoTask {
        id: "c4d5e6f7-0819-4a2b-9c3d-4e5f60718293",
        model: "doubao-seedance-1-0-lite-i2v-250428",
        prompt: "Animate this product photo: the sneaker rotates slowly on a turntable, soft studio light. --ratio 1:1",
        created_minutes_ago: 95.0,
        starts_at: -5690.0,
        ends_at: -5600.0,
        end: End::Expired,
        content_shape: false,
    },
    DemoTask {
        id: "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
        model: "doubao-seedance-1-0-pro-250528",
        prompt: "Time-lapse of a city skyline from day to night, clouds streaking, lights flicking on building by building. --duration 10",
        created_minutes_ago: 1.5,
        starts_at: -60.0,
        ends_at: 25.0,
        end: End::Succeeded { last_frame: true },
        content_shape: false,
    },
    DemoTask {
        id: "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
        model: "doubao-seedance-2-0-260128",
        prompt: "A corgi in a tiny astronaut suit bounces across the surface of the moon, Earth rising behind. --ratio 16:9",
        created_minutes_ago: 0.8,
        starts_at: 12.0,
        ends_at: 48.0,
        end: End::Succeeded { last_frame: true },
        content_shape: true,
    },
    DemoTask {
        id: "5b1f3c2e-8d4a-4c1b-9f0e-2a7d6c5b4e3f",
        model: "doubao-seedance-1-0-pro-250528",
        prompt: "桜の花びらが舞う京都の路地を、自転車がゆっくり通り過ぎる。スローモーション。",
        created_minutes_ago: 0.3,
        starts_at: 20.0,
        ends_at: 55.0,
        end: End::Failed(
            "OutputVideoSensitiveContentDetected",
            "The request failed because the output video may contain sensitive information.",
        ),
        content_shape: false,
    },
    DemoTask {
        id: "e8f9a0b1-c2d3-4e5f-8a6b-7c8d9e0f1a2b",
        model: "doubao-seedance-1-0-lite-t2v-250428",
        prompt: "An old lighthouse keeper climbs the spiral stairs with a lantern, storm outside, handheld camera. --ratio 4:3",
        created_minutes_ago: 0.1,
        starts_at: 5.0,
        ends_at: 38.0,
        end: End::Succeeded { last_frame: false },
        content_shape: false,
    },
    DemoTask {
        id: "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
        model: "doubao-seedance-1-0-pro-250528",
        prompt: "Cherry blossoms fall in slow motion over a quiet Kyoto street, a cyclist passes by. --ratio 21:9",
        created_minutes_ago: 64.0,
        starts_at: -3800.0,
        ends_at: -3730.0,
        end: End::Succeeded { last_frame: true },
        content_shape: false,
    },
];

/// The demo account's owner: every demo task is theirs, so listing it passes the checks a
/// real listing must pass.
const DEMO_USER: &str = "demo-user";
const DEMO_APPLICATION: &str = "demo-application";

/// Part of the demo list but unknown to the demo "server": shows the not-found outcome.
const UNKNOWN_ID: &str = "00000000-dead-4bee-8f00-0000000c0ffe";

/// Seconds a created demo task spends queued, then running: short enough to watch.
pub const MADE_QUEUED: f64 = 2.0;
pub const MADE_LIFE: f64 = 6.0;

/// Posters bundled for the demo's succeeded tasks (320 px JPEGs in `assets/demo/`), so
/// that its gallery has pictures offline.
const POSTERS: [(&str, &[u8]); 7] = [
    (
        "9462ca25-468b-45a5-9e75-6f516dedcc80",
        include_bytes!("../assets/demo/poster-9462ca25-468b-45a5-9e75-6f516dedcc80.jpg"),
    ),
    (
        "d9e576bd-ca14-4c6f-a541-f4734e941dbe",
        include_bytes!("../assets/demo/poster-d9e576bd-ca14-4c6f-a541-f4734e941dbe.jpg"),
    ),
    (
        "93f11baf-347b-4bb4-9520-8653cb46d6a3",
        include_bytes!("../assets/demo/poster-93f11baf-347b-4bb4-9520-8653cb46d6a3.jpg"),
    ),
    (
        "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
        include_bytes!("../assets/demo/poster-0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f.jpg"),
    ),
    (
        "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
        include_bytes!("../assets/demo/poster-7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918.jpg"),
    ),
    (
        "e8f9a0b1-c2d3-4e5f-8a6b-7c8d9e0f1a2b",
        include_bytes!("../assets/demo/poster-e8f9a0b1-c2d3-4e5f-8a6b-7c8d9e0f1a2b.jpg"),
    ),
    (
        "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
        include_bytes!("../assets/demo/poster-f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b.jpg"),
    ),
];

/// A 3 s 640 × 360 H.264 clip (28 KB) standing in for every demo video: Continue
/// decodes its last frame offline.
pub const SAMPLE_CLIP: &[u8] = include_bytes!("../assets/demo/sample.mp4");

/// The bundled poster (JPEG bytes) of a demo task, if it has one.
pub fn poster(id: &str) -> Option<&'static [u8]> {
    POSTERS.iter().find(|(i, _)| *i == id).map(|(_, b)| *b)
}

/// A task created in the demo.
#[derive(Debug, Clone)]
struct Made {
    id: String,
    model: String,
    prompt: String,
    /// Seconds after the demo started.
    at: f64,
}

#[derive(Debug)]
pub struct Demo {
    started: Instant,
    started_unix: f64,
    made: Mutex<Vec<Made>>,
}

impl Default for Demo {
    fn default() -> Self {
        Self::new()
    }
}

impl Demo {
    pub fn new() -> Self {
        let started_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Self {
            started: Instant::now(),
            started_unix,
            made: Mutex::new(Vec::new()),
        }
    }

    /// Starts a demo generation and returns its new task id (a random UUID v4).
    pub async fn create(&self, model: &str, prompt: &str) -> String {
        tokio::time::sleep(LATENCY).await;
        let r = || fastrand::u64(..);
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            r() & 0xffff_ffff,
            r() & 0xffff,
            r() & 0xfff,
            8 + (r() & 3),
            r() & 0xfff,
            r() & 0xffff_ffff_ffff
        );
        let made = Made {
            id: id.clone(),
            model: model.to_owned(),
            prompt: prompt.to_owned(),
            at: self.started.elapsed().as_secs_f64(),
        };
        if let Ok(mut list) = self.made.lock() {
            list.push(made);
        }
        id
    }

    fn made_record(&self, m: &Made, now: f64) -> Value {
        let age = now - m.at;
        let mut record = json!({
            "id": m.id, "type": "videos",
            "trace_id": format!("{}-demo-trace", &m.id[..8]),
            "created_at": ((self.started_unix + m.at) * 1000.0).round() / 1000.0,
            "request": {"model": m.model, "content": [{"type": "text", "text": m.prompt}]},
        });
        let upstream = format!("cgt-demo-{}", &m.id[..8]);
        let data = if age < MADE_QUEUED {
            json!({"task_id": upstream, "status": "queued", "model": m.model})
        } else if age < MADE_LIFE {
            record["started_at"] = json!(self.started_unix + m.at + MADE_QUEUED);
            json!({"task_id": upstream, "status": "running", "model": m.model})
        } else {
            record["started_at"] = json!(self.started_unix + m.at + MADE_QUEUED);
            record["finished_at"] = json!(self.started_unix + m.at + MADE_LIFE);
            record["elapsed"] = json!(MADE_LIFE - MADE_QUEUED);
            let video = crate::links::demo_link(&format!("{}.mp4", m.id));
            json!({"task_id": upstream, "status": "succeeded", "model": m.model,
                   "video_url": video, "last_frame_url": null})
        };
        record["response"] = json!({"success": true, "task_id": m.id, "data": data});
        record
    }

    /// The ids to paste for the demo, newest last, including one the demo does not know.
    pub fn ids() -> Vec<String> {
        TASKS
            .iter()
            .map(|t| t.id.to_owned())
            .chain([UNKNOWN_ID.to_owned()])
            .collect()
    }

    pub async fn ask(&self, ids: &[String]) -> Result<BatchAnswer, ApiError> {
        tokio::time::sleep(LATENCY).await;
        let now = self.started.elapsed().as_secs_f64();
        let made = self.made.lock().map(|m| m.clone()).unwrap_or_default();
        let records = ids
            .iter()
            .filter_map(|id| match TASKS.iter().find(|t| t.id == id) {
                Some(t) => Some(self.record(t, now)),
                None => made
                    .iter()
                    .find(|m| &m.id == id)
                    .map(|m| self.made_record(m, now)),
            })
            .filter_map(TaskRecord::from_value)
            .collect();
        Ok(BatchAnswer {
            records,
            unreadable: Vec::new(),
        })
    }

    /// The demo account's tasks in the page's range, newest first, with the total: the
    /// listing answered offline the way the API's undocumented listing answers it.
    pub async fn list_page(&self, query: &PageQuery) -> Page {
        tokio::time::sleep(LATENCY).await;
        let now = self.started.elapsed().as_secs_f64();
        let mut in_range: Vec<(f64, &DemoTask)> = TASKS
            .iter()
            .map(|t| (self.started_unix - t.created_minutes_ago * 60.0, t))
            .filter(|(created, _)| {
                (query.created_at_min as f64..=query.created_at_max as f64).contains(created)
            })
            .collect();
        in_range.sort_by(|a, b| b.0.total_cmp(&a.0));
        let count = in_range.len() as u64;
        let items = in_range
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .filter_map(|(_, t)| TaskRecord::from_value(self.record(t, now)))
            .map(|record| ListedTask {
                record,
                user_id: Some(DEMO_USER.to_owned()),
            })
            .collect();
        Page {
            items,
            count: Some(count),
            ..Page::default()
        }
    }

    fn record(&self, t: &DemoTask, now: f64) -> Value {
        let created = self.started_unix - t.created_minutes_ago * 60.0;
        let started = self.started_unix + t.starts_at;
        let finished = self.started_unix + t.ends_at;
        let short = &t.id[..8];
        let mut record = json!({
            "_id": format!("demo{short}"),
            "id": t.id,
            "type": "videos",
            "trace_id": format!("{short}-7a1c-4d2e-9b3f-demo0000trace"),
            "user_id": DEMO_USER,
            "application_id": DEMO_APPLICATION,
            "created_at": (created * 1000.0).round() / 1000.0,
            "request": {
                "model": t.model,
                "content": [{"type": "text", "text": t.prompt}],
            },
        });
        if t.starts_at > 0.0 && now < 3.0 {
            // Just submitted: the API has no response yet.
            return record;
        }
        let upstream = format!("cgt-demo-{short}");
        let data = if now < t.starts_at {
            json!({"task_id": upstream, "status": "queued", "model": t.model})
        } else if now < t.ends_at {
            record["started_at"] = json!(started);
            json!({"task_id": upstream, "status": "running", "model": t.model})
        } else {
            record["started_at"] = json!(started);
            record["finished_at"] = json!(finished);
            record["elapsed"] = json!(((t.ends_at - t.starts_at) * 10.0).round() / 10.0);
            match t.end {
                End::Succeeded { last_frame } => {
                    let video = crate::links::demo_link(&format!("{}.mp4", t.id));
                    let frame =
                        last_frame.then(|| crate::links::demo_link(&format!("{}.png", t.id)));
                    if t.content_shape {
                        json!({"id": upstream, "status": "succeeded", "model": t.model,
                               "content": {"video_url": video, "last_frame_url": frame}})
                    } else {
                        json!({"task_id": upstream, "status": "succeeded", "model": t.model,
                               "video_url": video, "last_frame_url": frame})
                    }
                }
                End::Failed(code, message) if t.model.contains("2-0") || code != "bad_request" => {
                    json!({"id": upstream, "status": "failed", "model": t.model,
                           "error": {"code": code, "message": message}})
                }
                End::Failed(code, message) => {
                    record["response"] = json!({"success": false, "task_id": t.id,
                        "error": {"code": code, "message": message}});
                    return record;
                }
                End::Expired => json!({"task_id": upstream, "status": "expired", "model": t.model,
                    "error": {"code": "TaskExpired", "message": "The task was not picked up before it expired."}}),
            }
        };
        record["response"] = json!({"success": true, "task_id": t.id, "data": data});
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_succeeded_task_has_a_bundled_poster_and_the_clip_decodes() {
        for t in TASKS
            .iter()
            .filter(|t| matches!(t.end, End::Succeeded { .. }))
        {
            let bytes = poster(t.id).unwrap_or_else(|| panic!("{} has a poster", t.id));
            let image = crate::media::decode_image(bytes).expect("a JPEG");
            assert_eq!(image.width(), crate::media::POSTER_MAX_SIDE, "{}", t.id);
        }
        assert!(poster(UNKNOWN_ID).is_none());
        let last = crate::media::last_frame(SAMPLE_CLIP).expect("the clip decodes");
        assert_eq!(last.dimensions(), (640, 360));
    }
    use crate::api::Status;

    #[tokio::test(start_paused = true)]
    async fn demo_has_every_kind_of_task() {
        let demo = Demo::new();
        let ids = Demo::ids();
        let records = demo.ask(&ids).await.expect("demo answers").records;
        assert_eq!(records.len(), ids.len() - 1, "one id is unknown");
        let count = |s: Status| records.iter().filter(|r| r.status == s).count();
        assert!(count(Status::Succeeded) >= 4);
        assert!(count(Status::Failed) >= 2);
        assert_eq!(count(Status::Expired), 1);
        assert!(count(Status::Running) + count(Status::Queued) + count(Status::Pending) >= 3);
        assert!(
            records
                .iter()
                .all(|r| r.model.is_some() && r.prompt.is_some())
        );
    }

    #[tokio::test]
    async fn created_tasks_live_their_life() {
        let demo = Demo::new();
        let id = demo.create("doubao-seedance-2-0-260128", "a kite").await;
        assert!(
            crate::ids::extract(&id).ids == [id.clone()],
            "{id} is a task id"
        );
        let made = demo.made.lock().expect("lock")[0].clone();
        let status = |now: f64| {
            TaskRecord::from_value(demo.made_record(&made, now))
                .expect("record")
                .status
        };
        assert_eq!(status(made.at), Status::Queued);
        assert_eq!(status(made.at + MADE_QUEUED + 0.1), Status::Running);
        assert_eq!(status(made.at + MADE_LIFE), Status::Succeeded);
        let records = demo
            .ask(std::slice::from_ref(&id))
            .await
            .expect("answer")
            .records;
        assert_eq!(records[0].prompt.as_deref(), Some("a kite"));
    }

    #[test]
    fn every_demo_link_is_a_demo_link() {
        let demo = Demo::new();
        let mut links = 0;
        // Long after the start: every task has finished and carries its links.
        for t in &TASKS {
            let value = demo.record(t, 1e6);
            let mut strings = Vec::new();
            collect_strings(&value, &mut strings);
            for s in strings.iter().filter(|s| s.contains("://")) {
                assert!(crate::links::is_demo(s), "{} links to {s}", t.id);
                links += 1;
            }
            let record = TaskRecord::from_value(value).expect("demo record");
            for url in [&record.video_url, &record.last_frame_url]
                .into_iter()
                .flatten()
            {
                assert!(crate::links::is_demo(url), "{url}");
            }
        }
        assert!(links >= 6, "the demo shows links: {links}");
    }

    fn collect_strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
            Value::Object(o) => o.values().for_each(|v| collect_strings(v, out)),
            _ => {}
        }
    }
}
