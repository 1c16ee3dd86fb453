//! The real window, as a person with CJK prompts sees it (issue "right on screen"): under
//! an X display (Xvfb in CI), with `fonts-noto-cjk` installed, two different Chinese and
//! Japanese prompts are drawn as glyphs, so their pixels differ (drawn as boxes, two
//! prompts of the same length look alike); and at the default window size the Reason of a
//! failed task lies inside the window, by the extents the accessibility tree (AT-SPI, as a
//! screen reader reads it) reports.
//!
//! Needs a display, an AT-SPI bus with python3-pyatspi, and CJK fonts; each is skipped
//! with a message when absent, and required when CI sets SEEDANCE_REQUIRE_DISPLAY,
//! SEEDANCE_REQUIRE_A11Y and SEEDANCE_REQUIRE_FONTS to 1.

mod common;
#[path = "common/window.rs"]
mod window;

use common::{TestServer, make_ids, record};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use window::{start_app, wait_for};

const CJK_A: &str = "一只橘猫在窗台上晒太阳，镜头缓慢推进";
const CJK_B: &str = "桜の花びらが舞う京都の路地を自転車が";
const REASON: &str =
    "OutputVideoSensitiveContentDetected: the generated video may contain sensitive content";

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// `None` (after saying why) when `what` is missing and not required.
fn need(ok: bool, var: &str, what: &str) -> Option<()> {
    if ok {
        return Some(());
    }
    assert!(!required(var), "{var}=1 but {what}");
    eprintln!("skipped: {what}");
    None
}

fn has_cjk_font() -> bool {
    Command::new("fc-list")
        .arg(":lang=zh")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty())
}

fn has_pyatspi() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import pyatspi"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Screen readers turn this on; AccessKit publishes the tree only when it is on.
fn enable_accessibility() -> bool {
    Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.a11y.Bus",
            "/org/a11y/bus",
            "org.freedesktop.DBus.Properties.Set",
            "string:org.a11y.Status",
            "string:IsEnabled",
            "variant:boolean:true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[derive(Debug, Clone)]
struct Node {
    role: String,
    name: String,
    /// x, y, width, height on the screen.
    extents: Option<[i64; 4]>,
}

fn accessibility_tree() -> Vec<Node> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/atspi_dump.py");
    let Ok(out) = Command::new("/usr/bin/python3")
        .args([script, "seedance-tasks"])
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| Node {
            role: v["role"].as_str().unwrap_or("").to_owned(),
            name: v["name"].as_str().unwrap_or("").to_owned(),
            extents: v["extents"].as_array().and_then(|a| {
                let n: Vec<i64> = a.iter().filter_map(Value::as_i64).collect();
                <[i64; 4]>::try_from(n).ok()
            }),
        })
        .collect()
}

fn find<'a>(tree: &'a [Node], role: &str, starts: &str) -> Option<&'a Node> {
    tree.iter()
        .find(|n| n.role == role && n.name.starts_with(starts) && n.extents.is_some())
}

#[test]
fn cjk_prompts_are_glyphs_and_the_reason_is_on_screen() {
    let display = match std::env::var("DISPLAY") {
        Ok(d) if !d.is_empty() => Some(d),
        _ => None,
    };
    let Some(()) = need(
        display.is_some(),
        "SEEDANCE_REQUIRE_DISPLAY",
        "no X display",
    ) else {
        return;
    };
    let display = display.unwrap_or_default();
    let Some(()) = need(
        has_cjk_font(),
        "SEEDANCE_REQUIRE_FONTS",
        "no CJK font (fonts-noto-cjk)",
    ) else {
        return;
    };
    let a11y = has_pyatspi() && enable_accessibility();
    let Some(()) = need(
        a11y,
        "SEEDANCE_REQUIRE_A11Y",
        "no AT-SPI bus or python3-pyatspi",
    ) else {
        return;
    };

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(TestServer::start());
    let ids = make_ids(3);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    for (i, (id, prompt)) in ids
        .iter()
        .zip([CJK_A, CJK_B, "A quiet harbour at dawn"])
        .enumerate()
    {
        let status = if i == 2 { "failed" } else { "succeeded" };
        let mut r = record(id, status);
        r["request"]["content"][0]["text"] = json!(prompt);
        r["created_at"] = json!(now - 600.0 * (i as f64 + 1.0));
        if i == 2 {
            r["response"]["data"]["error"] = json!({"code": "OutputVideoSensitiveContentDetected",
                "message": "the generated video may contain sensitive content"});
        }
        server.insert(r);
    }
    let data = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["gui".to_owned()];
    args.extend(ids.iter().cloned());
    let _app = start_app(&display, &server.url(), "cjk-token", data.path(), &args);

    // Every row answered and laid out, as the screen reader sees it.
    let tree = wait_for(
        "the rows in the accessibility tree",
        Duration::from_secs(60),
        || {
            let tree = accessibility_tree();
            let all = [CJK_A, CJK_B, "OutputVideoSensitive"]
                .iter()
                .all(|t| find(&tree, "label", t).is_some());
            all.then_some(tree)
        },
    );
    let frame = tree
        .iter()
        .find(|n| n.role == "frame")
        .and_then(|n| n.extents)
        .expect("the window's frame");
    let reason = find(&tree, "label", "OutputVideoSensitive")
        .and_then(|n| n.extents)
        .expect("the reason");
    let inside = |e: [i64; 4]| {
        e[0] >= frame[0]
            && e[1] >= frame[1]
            && e[0] + e[2] <= frame[0] + frame[2]
            && e[1] + e[3] <= frame[1] + frame[3]
    };
    assert!(
        inside(reason),
        "the reason {reason:?} lies outside the window {frame:?}"
    );
    assert!(REASON.starts_with("OutputVideo"));

    // Let the answers settle into pixels, then compare the two prompts' cells.
    std::thread::sleep(Duration::from_millis(800));
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("window-cjk.png");
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&shot)
        .env("DISPLAY", &display)
        .status()
        .expect("ImageMagick's import is installed");
    assert!(status.success());
    let image = image::open(&shot).expect("a PNG").to_rgba8();
    let cell = |text: &str| -> Vec<[u8; 4]> {
        let e = find(&tree, "label", text)
            .and_then(|n| n.extents)
            .expect("a prompt");
        // The same width for both: what differs is the glyphs, not the length.
        let (x, y, h) = (e[0].max(0) as u32, e[1].max(0) as u32, e[3].max(1) as u32);
        let w = 200;
        (y..y + h)
            .flat_map(|py| (x..x + w).map(move |px| (px, py)))
            .filter_map(|(px, py)| image.get_pixel_checked(px, py).map(|p| p.0))
            .collect()
    };
    let (a, b) = (cell(CJK_A), cell(CJK_B));
    assert!(!a.is_empty() && a.len() == b.len());
    let differing = a.iter().zip(&b).filter(|(p, q)| p != q).count();
    assert!(
        differing * 20 > a.len(),
        "two different CJK prompts look alike ({differing} of {} pixels differ): boxes, not glyphs",
        a.len()
    );
    let mut colours: Vec<[u8; 4]> = a.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 4, "the prompt cell is blank");
}
