//! A stored task's request turned back into an editable [`GenerationRequest`], to run it
//! again. Records hold the request as the API's `content[]` or flat (`prompt`, `images[]`);
//! both are read, and whatever is missing or malformed is simply left empty.

use super::{GenerationOptions, GenerationRequest, ImageInput, Role};
use crate::api::TaskRecord;
use serde_json::Value;

/// The request of a stored task (its raw JSON), ready to edit.
pub fn from_record(record: &TaskRecord) -> GenerationRequest {
    let mut request = from_raw(record.raw());
    if request.model.is_empty()
        && let Some(model) = &record.model
    {
        request.model = model.clone();
    }
    request
}

/// The same from a record's JSON (`{"request": {…}, …}`), or from a bare request body.
pub fn from_raw(raw: &Value) -> GenerationRequest {
    let request = match raw.get("request") {
        Some(r) if r.is_object() => r,
        _ => raw,
    };
    let text = |key: &str| request.get(key).and_then(Value::as_str).map(str::trim);
    let mut out = GenerationRequest {
        model: text("model").unwrap_or_default().to_owned(),
        ..GenerationRequest::default()
    };
    let mut images: Vec<(String, Option<Role>)> = Vec::new();
    if let Some(items) = request.get("content").and_then(Value::as_array) {
        for item in items {
            match item.get("type").and_then(Value::as_str) {
                Some("text") if out.prompt.is_empty() => {
                    out.prompt = item
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                }
                Some("image_url") => images.extend(image_of(item)),
                _ => {}
            }
        }
    }
    if out.prompt.is_empty() {
        out.prompt = text("prompt").unwrap_or_default().to_owned();
    }
    if let Some(items) = request.get("images").and_then(Value::as_array) {
        images.extend(items.iter().filter_map(image_of));
    }
    out.images = images
        .into_iter()
        .enumerate()
        .map(|(i, (source, role))| ImageInput {
            source,
            role: role.unwrap_or_else(|| Role::default_for(i)),
        })
        .collect();
    out.options = options_of(request);
    out
}

/// `{"image_url": {"url": …}}`, `{"image_url": "…"}`, `{"url": …}` or a bare string.
fn image_of(item: &Value) -> Option<(String, Option<Role>)> {
    let url = match item {
        Value::String(s) => Some(s.as_str()),
        Value::Object(o) => o
            .get("image_url")
            .and_then(|v| v.get("url").or(Some(v)))
            .and_then(Value::as_str)
            .or_else(|| o.get("url").and_then(Value::as_str)),
        _ => None,
    }?;
    let role = item
        .get("role")
        .and_then(Value::as_str)
        .and_then(Role::parse);
    let url = url.trim();
    (!url.is_empty()).then(|| (url.to_owned(), role))
}

/// The callback URL is not carried over: it belonged to whoever sent the first request
/// (stored records often hold a placeholder), and a re-run is followed here by its id.
fn options_of(request: &Value) -> GenerationOptions {
    let text = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let number = |key: &str| match request.get(key) {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let flag = |key: &str| match request.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    };
    GenerationOptions {
        resolution: text("resolution").map(|s| s.to_ascii_lowercase()),
        ratio: text("ratio"),
        duration: number("duration").and_then(|d| i32::try_from(d).ok()),
        seed: number("seed"),
        camera_fixed: flag("camerafixed") || flag("camera_fixed"),
        watermark: flag("watermark"),
        generate_audio: flag("generate_audio"),
        return_last_frame: flag("return_last_frame"),
        callback_url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_shape_from_the_documented_record() {
        let path = format!(
            "{}/tests/fixtures/doc-retrieve-succeeded.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let raw: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
        let record = TaskRecord::from_value(raw).expect("record");
        let r = from_record(&record);
        assert_eq!(r.model, "doubao-seedance-1-0-pro-250528");
        assert!(
            r.prompt.starts_with("Multiple shots. A detective"),
            "{}",
            r.prompt
        );
        assert!(r.images.is_empty());
        assert_eq!(
            r.options.callback_url, None,
            "the placeholder callback is not carried over"
        );
        assert!(
            r.validate().is_empty(),
            "ready to send again: {:?}",
            r.validate()
        );
    }

    #[test]
    fn content_shape_with_frames_and_options() {
        let raw = json!({"id": "x", "request": {"model": "m", "content": [
            {"type": "text", "text": "a fox"},
            {"type": "image_url", "image_url": {"url": "https://e.x/1.png"}, "role": "last_frame"},
            {"type": "image_url", "image_url": "https://e.x/2.png"}],
            "resolution": "1080P", "ratio": "9:16", "duration": "10", "seed": 7,
            "camerafixed": true, "watermark": false, "generate_audio": "true"}});
        let r = from_raw(&raw);
        assert_eq!(r.prompt, "a fox");
        assert_eq!(
            r.images,
            [
                ImageInput {
                    source: "https://e.x/1.png".into(),
                    role: Role::LastFrame
                },
                ImageInput {
                    source: "https://e.x/2.png".into(),
                    role: Role::LastFrame
                },
            ]
        );
        let o = &r.options;
        assert_eq!(
            (o.resolution.as_deref(), o.ratio.as_deref()),
            (Some("1080p"), Some("9:16"))
        );
        assert_eq!((o.duration, o.seed), (Some(10), Some(7)));
        assert!(o.camera_fixed && !o.watermark && o.generate_audio);
    }

    #[test]
    fn flat_shape() {
        let raw = json!({"id": "x", "request": {"model": "doubao-seedance-2-0-260128",
            "prompt": "waves at night", "images": ["https://e.x/a.jpg",
            {"url": "https://e.x/b.jpg", "role": "reference_image"}], "duration": -1}});
        let record = TaskRecord::from_value(raw).expect("record");
        let r = from_record(&record);
        assert_eq!(r.prompt, "waves at night");
        assert_eq!(r.model, "doubao-seedance-2-0-260128");
        assert_eq!(r.images[0].role, Role::FirstFrame);
        assert_eq!(r.images[1].role, Role::ReferenceImage);
        assert_eq!(r.options.duration, Some(-1));
    }

    #[test]
    fn generate_again_keeps_the_stored_return_last_frame() {
        for (stored, expected) in [
            (json!(true), true),
            (json!(false), false),
            (json!("true"), true),
            (Value::Null, false),
        ] {
            let mut raw = json!({"id": "x", "request": {"model": "m", "prompt": "p"}});
            if !stored.is_null() {
                raw["request"]["return_last_frame"] = stored.clone();
            }
            let r = from_raw(&raw);
            assert_eq!(r.options.return_last_frame, expected, "stored {stored}");
            let body = r.prepare().expect("ready").body;
            let sent = body.get("return_last_frame").and_then(Value::as_bool);
            assert_eq!(sent.unwrap_or(false), expected, "sent for stored {stored}");
        }
    }

    #[test]
    fn junk_gives_an_empty_form() {
        for raw in [
            json!(null),
            json!({"id": "x", "request": 5}),
            json!({"request": {"content": "x", "images": {}}}),
        ] {
            let r = from_raw(&raw);
            assert!(r.prompt.is_empty() && r.images.is_empty());
        }
    }
}
