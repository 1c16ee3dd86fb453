//! A hostile server in the window: one rule decides Open for the video and the last frame
//! alike, in the grid; link-local hosts and links with user info are never opened; a
//! look-alike host reads in punycode; an unreadable listed record fails alone.

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/ui.rs"]
mod ui;

use common::{make_ids, record};
use egui_kittest::kittest::{NodeT, Queryable};
use seedance_tasks::gui::GuiOptions;
use serde_json::json;
use setup::Setup;
use ui::{all_answered, step_until};

impl Setup {
    fn options(&self) -> GuiOptions {
        self.base_options("hostile-window-token")
    }
}

#[test]
fn the_video_and_the_last_frame_follow_one_rule() {
    let s = Setup::new([1600.0, 900.0]);
    let links = [
        ("http://127.0.0.1:9/v.mp4", true),
        ("https://cdn.example/v.mp4", true),
        ("http://169.254.169.254/latest/meta-data/", false),
        ("https://[fe80::1]/v.mp4", false),
        ("https://user:pass@cdn.example/v.mp4", false),
        ("file:///etc/passwd", false),
    ];
    let ids = make_ids(links.len());
    for (id, (link, _)) in ids.iter().zip(links) {
        let mut r = record(id, "succeeded");
        r["response"]["data"]["video_url"] = json!(link);
        r["response"]["data"]["last_frame_url"] = json!(link);
        s.server.insert(r);
    }
    let mut options = s.options();
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    for (id, (link, allowed)) in ids.iter().zip(links) {
        let disabled = |what: &str| {
            let name = format!("Open {what} for task {id}");
            h.get_by_label(&name).accesskit_node().is_disabled()
        };
        let video_off = disabled("video");
        let frame_off = disabled("last frame");
        assert_eq!(video_off, frame_off, "{link}: video and last frame differ");
        assert_eq!(!video_off, allowed, "{link}");
    }
}

/// A host that mixes scripts (`аpple.com` with a Cyrillic `а`) is shown in punycode in the
/// details panel, as a browser's address bar shows it, never as the look-alike.
#[test]
fn a_look_alike_host_is_shown_in_punycode_in_the_details() {
    let s = Setup::new([1600.0, 900.0]);
    let ids = make_ids(1);
    let mut r = record(&ids[0], "succeeded");
    r["response"]["data"]["video_url"] = json!("https://\u{430}pple.com/v.mp4");
    r["request"] = json!({"content": [{"type": "text", "text": "look-alike prompt"}]});
    s.server.insert(r);
    let mut options = s.options();
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    // A click on the row's prompt selects the row and opens its details.
    h.get_by_label("look-alike prompt").click();
    ui::step_for(&mut h, std::time::Duration::from_millis(500));
    h.get_by_label("Close");
    h.get_by_label("https://xn--pple-43d.com/v.mp4");
    assert!(
        h.query_all_by_label_contains("\u{430}pple")
            .next()
            .is_none(),
        "the look-alike host is shown as it is"
    );
}

/// "Load my tasks" where one listed record cannot be read (a number out of range): the
/// others are listed, and it joins the grid as an error with its reason, never dropped.
#[test]
fn an_unreadable_listed_record_joins_the_grid_as_an_error() {
    let s = Setup::new([1280.0, 760.0]);
    let server = s.runtime.block_on(hostile::HostileServer::start());
    let ids = make_ids(3);
    let now = seedance_tasks::task::unix_now();
    let records = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let finished = if i == 1 { "1e309".to_owned() } else { format!("{}", now - 60.0) };
            format!(
                r#"{{"id":"{id}","created_at":{},"finished_at":{finished},"request":{{"model":"doubao-seedance-1-0-pro-250528","content":[{{"type":"text","text":"prompt of {id}"}}]}},"response":{{"success":true,"task_id":"{id}","data":{{"status":"succeeded","video_url":"https://cdn.example/{id}.mp4"}}}}}}"#,
                now - 600.0 - i as f64
            )
        })
        .collect::<Vec<String>>();
    // The same records answer a retrieve: an unreadable one is asked again on its own.
    for (id, text) in ids.iter().zip(&records) {
        server.insert_raw(id, text.clone());
    }
    server.list_raw(records, 0);
    let mut options = ui::options(&server.url(), "hostile-window-token", &s.opener);
    options.initial_ids = Vec::new();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    h.get_by_label("Load my tasks").click();
    step_until(&mut h, "the listing", |app| app.book().len() == 3);
    let book = h.state().book();
    for (i, id) in ids.iter().enumerate() {
        let entry = book.get(id).expect("listed");
        if i == 1 {
            assert_eq!(entry.status, seedance_tasks::api::Status::Error, "{id}");
            let reason = entry.reason_text();
            assert!(
                reason.contains("number out of range at finished_at"),
                "{reason}"
            );
        } else {
            assert_eq!(entry.status, seedance_tasks::api::Status::Succeeded, "{id}");
        }
    }
    h.get_all_by_label_contains("1 record could not be read (shown as errors)")
        .next()
        .expect("the listing says so");
    // Asked again on its own (the API may mend it): still its reason, not "not found".
    let listed_at = h.state().book().get(&ids[1]).and_then(|e| e.checked_at);
    step_until(&mut h, "the unreadable one asked", |_| {
        server
            .requests()
            .iter()
            .any(|asked| asked == &vec![ids[1].clone()])
    });
    // Its answer applied (asked after the listing), and still the same record's reason.
    step_until(&mut h, "the answer to it", |app| {
        app.book()
            .get(&ids[1])
            .is_some_and(|e| !e.awaiting && e.checked_at > listed_at)
    });
    let entry = h.state().book().get(&ids[1]).expect("still listed");
    assert_eq!(entry.status, seedance_tasks::api::Status::Error);
    let reason = entry.reason_text();
    assert!(
        reason.contains("number out of range at finished_at"),
        "{reason}"
    );
}
