//! Open buttons for a task's links: enabled only for a web link (`links::web_link`, one
//! rule for the video and the last frame), and otherwise disabled with the reason as
//! their tooltip, so `file:///…`, a local path, a link-local address, a link with user
//! info or a demo link never reaches the system's launcher.

use crate::links;

/// Why an Open button is disabled: its tooltip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotOpened {
    /// There is no link; the caller's words say why ("No video yet: …").
    #[error("{0}")]
    Missing(String),
    #[error("A demo link: the demo has no real videos or images")]
    Demo,
    /// The link rule refused it; the rule's reason.
    #[error("Not opened: {0}")]
    Refused(String),
}

/// What an Open button for `url` does: the link to open, or why it is disabled.
pub fn target(url: Option<&str>, missing: impl FnOnce() -> String) -> Result<String, NotOpened> {
    match url {
        None => Err(NotOpened::Missing(missing())),
        Some(u) => links::web_link(u)
            .map(|url| url.to_string())
            .map_err(|refused| match refused.kind {
                links::RefusalKind::Demo => NotOpened::Demo,
                _ => NotOpened::Refused(refused.reason),
            }),
    }
}

/// A small or normal Open button; returns the link to open when clicked.
pub fn show(
    ui: &mut egui::Ui,
    label: &str,
    accessible_name: &str,
    target: &Result<String, NotOpened>,
    small: bool,
) -> Option<String> {
    let mut button = egui::Button::new(label);
    if small {
        button = button.small();
    }
    let response = ui.add_enabled(target.is_ok(), button);
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, target.is_ok(), accessible_name)
    });
    let response = match target {
        // As a browser's address bar shows it: a look-alike host in punycode.
        Ok(url) => response.on_hover_text(links::display(url)),
        Err(why) => {
            let why = why.to_string();
            // A screen reader hears why, as a sighted user reads it in the tooltip.
            ui.ctx()
                .accesskit_node_builder(response.id, |n| n.set_description(why.as_str()));
            response.on_disabled_hover_text(why)
        }
    };
    if response.clicked() {
        target.as_ref().ok().cloned()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_are_opened() {
        let missing = || "no link".to_owned();
        assert_eq!(
            target(Some("https://cdn.example.com/v.mp4"), missing),
            Ok("https://cdn.example.com/v.mp4".to_owned())
        );
        assert_eq!(
            target(None, missing).map_err(|e| e.to_string()),
            Err("no link".to_owned())
        );
        for bad in [
            "file:///etc/passwd",
            "C:\\Windows\\x.exe",
            "\\\\host\\share\\x",
            "javascript:alert(1)",
        ] {
            let why = target(Some(bad), missing).expect_err(bad).to_string();
            assert!(why.starts_with("Not opened:"), "{bad}: {why}");
        }
        let demo = target(Some(&links::demo_link("v.mp4")), missing)
            .expect_err("demo")
            .to_string();
        assert!(demo.contains("demo"), "{demo}");
        for bad in [
            "http://169.254.169.254/latest/meta-data/",
            "https://user:pass@cdn.example.com/v.mp4",
        ] {
            let why = target(Some(bad), missing).expect_err(bad).to_string();
            assert!(why.starts_with("Not opened:"), "{bad}: {why}");
        }
        assert!(target(Some("http://127.0.0.1:9/v.mp4"), missing).is_ok());
    }
}
