//! What a person asks to generate, checked before anything is sent, and the exact JSON
//! body of `POST {base}/seedance/videos` built from it.

use super::image::{self, ImageSource};
use serde_json::{Map, Value, json};
use std::fmt;

/// The documented models, newest last. A model typed by hand is allowed too: the API
/// adds models faster than this list is updated.
pub const MODELS: [&str; 9] = [
    "doubao-seedance-1-0-pro-250528",
    "doubao-seedance-1-0-pro-fast-251015",
    "doubao-seedance-1-0-lite-t2v-250428",
    "doubao-seedance-1-0-lite-i2v-250428",
    "doubao-seedance-1-5-pro-251215",
    "doubao-seedance-2-0-260128",
    "doubao-seedance-2-0-fast-260128",
    "doubao-seedance-2-0-mini-260615",
    "doubao-seedance-2-5-260628",
];

pub const RESOLUTIONS: [&str; 4] = ["480p", "720p", "1080p", "4k"];
pub const RATIOS: [&str; 7] = ["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"];

/// The API's limit on the text item, in characters (not bytes: CJK prompts count the same).
pub const MAX_PROMPT_CHARS: usize = 1000;
/// `-1` asks the model to choose the length.
pub const AUTO_DURATION: i32 = -1;
pub const MAX_DURATION: i32 = 30;

/// What an image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    FirstFrame,
    LastFrame,
    ReferenceImage,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::FirstFrame, Role::LastFrame, Role::ReferenceImage];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstFrame => "first_frame",
            Self::LastFrame => "last_frame",
            Self::ReferenceImage => "reference_image",
        }
    }

    /// The API's word (case and `-` for `_` forgiven).
    pub fn parse(text: &str) -> Option<Self> {
        let word = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|r| r.as_str() == word)
    }

    /// The role an image gets when none is given: the first is the opening frame, the
    /// second the closing one, any more are references.
    pub fn default_for(index: usize) -> Self {
        match index {
            0 => Self::FirstFrame,
            1 => Self::LastFrame,
            _ => Self::ReferenceImage,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One image: a local file path or an http(s) URL (or, from a stored task, a data URI),
/// as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInput {
    pub source: String,
    pub role: Role,
}

/// The optional settings. `None` / `false` leaves the field out of the body, so the API's
/// own default applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationOptions {
    pub resolution: Option<String>,
    pub ratio: Option<String>,
    pub duration: Option<i32>,
    pub seed: Option<i64>,
    pub camera_fixed: bool,
    pub watermark: bool,
    pub generate_audio: bool,
    pub return_last_frame: bool,
    pub callback_url: Option<String>,
}

/// A generation as the window's panel or the CLI holds it: editable, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationRequest {
    pub model: String,
    pub prompt: String,
    pub images: Vec<ImageInput>,
    pub options: GenerationOptions,
}

/// Which input a problem is about, so a form can mark the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Model,
    Prompt,
    /// The image at this index of `images`.
    Image(usize),
    Resolution,
    Ratio,
    Duration,
    Seed,
    CallbackUrl,
    /// A column of a CSV row that is not one of the fields above.
    Row,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

impl Problem {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A checked request with its images read: the body to send, and what identifies it to a
/// person if the outcome is uncertain.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub body: Value,
    pub prompt: String,
    pub model: String,
}

impl GenerationRequest {
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            prompt: prompt.into(),
            ..Self::default()
        }
    }

    /// Every problem that needs no file access (cheap enough for each keystroke). Image
    /// files are only looked at by [`prepare`](Self::prepare).
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let model = self.model.trim();
        if model.is_empty() {
            problems.push(Problem::new(Field::Model, "choose a model"));
        } else if model.chars().any(|c| c.is_whitespace() || c.is_control()) {
            problems.push(Problem::new(
                Field::Model,
                "a model name has no spaces or control characters",
            ));
        }
        let chars = self.prompt.trim().chars().count();
        if chars == 0 {
            problems.push(Problem::new(Field::Prompt, "write a prompt"));
        } else if chars > MAX_PROMPT_CHARS {
            problems.push(Problem::new(
                Field::Prompt,
                format!(
                    "the prompt has {chars} characters; the API takes at most {MAX_PROMPT_CHARS}"
                ),
            ));
        }
        for (i, img) in self.images.iter().enumerate() {
            if let Err(message) = image::classify(&img.source) {
                problems.push(Problem::new(
                    Field::Image(i),
                    format!("image {}: {message}", i + 1),
                ));
            }
        }
        for role in [Role::FirstFrame, Role::LastFrame] {
            let count = self.images.iter().filter(|i| i.role == role).count();
            if count > 1 {
                let index = self
                    .images
                    .iter()
                    .rposition(|i| i.role == role)
                    .unwrap_or(0);
                problems.push(Problem::new(
                    Field::Image(index),
                    format!("{count} images are marked {role}; a video has one"),
                ));
            }
        }
        let o = &self.options;
        if let Some(r) = &o.resolution
            && !RESOLUTIONS.contains(&r.as_str())
        {
            problems.push(Problem::new(
                Field::Resolution,
                format!("resolution {r:?} is not one of {}", RESOLUTIONS.join(", ")),
            ));
        }
        if let Some(r) = &o.ratio
            && !RATIOS.contains(&r.as_str())
        {
            problems.push(Problem::new(
                Field::Ratio,
                format!("ratio {r:?} is not one of {}", RATIOS.join(", ")),
            ));
        }
        if let Some(d) = o.duration
            && d != AUTO_DURATION
            && !(1..=MAX_DURATION).contains(&d)
        {
            problems.push(Problem::new(
                Field::Duration,
                format!("duration {d} s: use -1 (automatic) or 1 to {MAX_DURATION} seconds"),
            ));
        }
        if let Some(url) = &o.callback_url
            && !is_web_url(url)
        {
            problems.push(Problem::new(
                Field::CallbackUrl,
                "the callback URL must start with http:// or https://",
            ));
        }
        problems
    }

    /// Validates, reads the image files and builds the body. Blocking (it reads files up to
    /// 10 MB each): the window calls it from a background job, never from the UI thread.
    pub fn prepare(&self) -> Result<Prepared, Vec<Problem>> {
        let mut problems = self.validate();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut urls = Vec::with_capacity(self.images.len());
        for (i, img) in self.images.iter().enumerate() {
            match image::resolve(&img.source) {
                Ok(url) => urls.push(url),
                Err(message) => {
                    problems.push(Problem::new(
                        Field::Image(i),
                        format!("image {}: {message}", i + 1),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Prepared {
            body: self.body_with(&urls),
            prompt: self.prompt.trim().to_owned(),
            model: self.model.trim().to_owned(),
        })
    }

    /// The body with the images' URLs as given (`urls[i]` for `images[i]`).
    fn body_with(&self, urls: &[String]) -> Value {
        let mut content = vec![json!({"type": "text", "text": self.prompt.trim()})];
        for (img, url) in self.images.iter().zip(urls) {
            content.push(
                json!({"type": "image_url", "image_url": {"url": url}, "role": img.role.as_str()}),
            );
        }
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model.trim()));
        body.insert("content".into(), Value::Array(content));
        let o = &self.options;
        if let Some(r) = &o.resolution {
            body.insert("resolution".into(), json!(r));
        }
        if let Some(r) = &o.ratio {
            body.insert("ratio".into(), json!(r));
        }
        if let Some(d) = o.duration {
            body.insert("duration".into(), json!(d));
        }
        if let Some(s) = o.seed {
            body.insert("seed".into(), json!(s));
        }
        for (set, name) in [
            (o.camera_fixed, "camerafixed"),
            (o.watermark, "watermark"),
            (o.generate_audio, "generate_audio"),
            (o.return_last_frame, "return_last_frame"),
        ] {
            if set {
                body.insert(name.into(), Value::Bool(true));
            }
        }
        if let Some(url) = &o.callback_url {
            body.insert("callback_url".into(), json!(url.trim()));
        }
        // Always: the answer then comes at once with the task id instead of after the video.
        body.insert("async".into(), Value::Bool(true));
        Value::Object(body)
    }
}

fn is_web_url(text: &str) -> bool {
    matches!(image::ImageSource::of(text), ImageSource::Web)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_only_body_is_exact() {
        let p = GenerationRequest::new(MODELS[0], "  a cat  ")
            .prepare()
            .expect("valid");
        assert_eq!(
            p.body,
            json!({"model": MODELS[0], "content": [{"type": "text", "text": "a cat"}], "async": true})
        );
    }

    #[test]
    fn options_are_sent_only_when_set() {
        let mut r = GenerationRequest::new("my-own-model", "x");
        r.options = GenerationOptions {
            resolution: Some("720p".into()),
            ratio: Some("9:16".into()),
            duration: Some(-1),
            seed: Some(42),
            generate_audio: true,
            ..Default::default()
        };
        r.images.push(ImageInput {
            source: "https://example.com/a.png".into(),
            role: Role::ReferenceImage,
        });
        let body = r.prepare().expect("valid").body;
        assert_eq!(
            body,
            json!({"model": "my-own-model",
                "content": [{"type": "text", "text": "x"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}, "role": "reference_image"}],
                "resolution": "720p", "ratio": "9:16", "duration": -1, "seed": 42,
                "generate_audio": true, "async": true})
        );
    }

    #[test]
    fn problems_are_clear() {
        let mut r = GenerationRequest::new(" ", "");
        r.options.duration = Some(0);
        r.options.resolution = Some("8k".into());
        r.options.ratio = Some("2:1".into());
        let fields: Vec<Field> = r.validate().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                Field::Model,
                Field::Prompt,
                Field::Resolution,
                Field::Ratio,
                Field::Duration
            ]
        );
        // Characters, not bytes: 1000 CJK characters are 3000 bytes and still fine.
        let r = GenerationRequest::new(MODELS[0], "東".repeat(1000));
        assert!(r.validate().is_empty());
        let r = GenerationRequest::new(MODELS[0], "東".repeat(1001));
        assert!(r.validate()[0].message.contains("1001 characters"));
        for d in [-1, 1, 30] {
            let mut r = GenerationRequest::new(MODELS[0], "x");
            r.options.duration = Some(d);
            assert!(r.validate().is_empty(), "{d}");
        }
    }

    #[test]
    fn two_first_frames_are_refused() {
        let mut r = GenerationRequest::new(MODELS[0], "x");
        for _ in 0..2 {
            r.images.push(ImageInput {
                source: "https://example.com/a.png".into(),
                role: Role::FirstFrame,
            });
        }
        assert_eq!(r.validate()[0].field, Field::Image(1));
    }

    #[test]
    fn roles_parse_and_default() {
        assert_eq!(Role::parse("First-Frame"), Some(Role::FirstFrame));
        assert_eq!(Role::parse("middle"), None);
        assert_eq!(Role::default_for(0), Role::FirstFrame);
        assert_eq!(Role::default_for(1), Role::LastFrame);
        assert_eq!(Role::default_for(5), Role::ReferenceImage);
    }
}
