//! The Debian package's pieces: icons in every size, the .desktop entry, and the
//! `[package.metadata.deb]` table in Cargo.toml that `cargo deb` builds the package from.
//! CI (.ci/package) builds, installs, starts and removes the real package; these tests
//! catch a wrong entry without building it.

use clap::Parser;
use seedance_tasks::cli::Cli;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DESKTOP: &str = "packaging/seedance-tasks.desktop";

/// The sizes of `assets/icon-<N>.png`, read from the files that are there.
fn icon_sizes_on_disk() -> BTreeSet<u32> {
    let dir = Path::new(ROOT).join("assets");
    std::fs::read_dir(&dir)
        .expect("read assets/")
        .filter_map(|entry| {
            let name = entry.expect("dir entry").file_name();
            let name = name.to_str()?.to_owned();
            name.strip_prefix("icon-")?
                .strip_suffix(".png")?
                .parse()
                .ok()
        })
        .collect()
}

/// The `[package.metadata.deb]` table of Cargo.toml.
fn deb_metadata() -> toml::Table {
    let text = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).expect("Cargo.toml");
    let manifest: toml::Table = text.parse().expect("Cargo.toml parses");
    manifest["package"]["metadata"]["deb"]
        .as_table()
        .expect("[package.metadata.deb] is a table")
        .clone()
}

/// The `assets` entries as (source, destination, mode).
fn deb_assets(deb: &toml::Table) -> Vec<(String, String, String)> {
    deb["assets"]
        .as_array()
        .expect("assets is a list")
        .iter()
        .map(|entry| {
            let parts: Vec<&str> = entry
                .as_array()
                .expect("each asset is [source, destination, mode]")
                .iter()
                .map(|v| v.as_str().expect("asset fields are strings"))
                .collect();
            assert_eq!(parts.len(), 3, "{parts:?}");
            (parts[0].into(), parts[1].into(), parts[2].into())
        })
        .collect()
}

fn desktop_entry() -> String {
    std::fs::read_to_string(Path::new(ROOT).join(DESKTOP)).expect("read the .desktop file")
}

fn desktop_value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key}= in {DESKTOP}"))
}

#[test]
fn icons_exist_in_every_size() {
    let sizes = icon_sizes_on_disk();
    assert_eq!(
        sizes,
        BTreeSet::from([16, 24, 32, 48, 64, 128, 256, 512]),
        "assets/icon-*.png"
    );
    for size in sizes {
        let path = Path::new(ROOT).join(format!("assets/icon-{size}.png"));
        let img = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            (img.width(), img.height()),
            (size, size),
            "{}",
            path.display()
        );
    }
}

#[test]
fn desktop_entry_has_the_required_keys() {
    let text = desktop_entry();
    assert!(text.starts_with("[Desktop Entry]\n"));
    assert_eq!(desktop_value(&text, "Type"), "Application");
    assert_eq!(desktop_value(&text, "Name"), seedance_tasks::gui::TITLE);
    assert_eq!(desktop_value(&text, "Icon"), "seedance-tasks");
    assert_eq!(desktop_value(&text, "Terminal"), "false");
    // The window's Wayland app_id / X11 class (gui::run), so the menu entry and the
    // running window are one app in docks and task bars.
    assert_eq!(desktop_value(&text, "StartupWMClass"), "seedance-tasks");
}

/// The menu entry runs the installed binary with no field codes (`%U` would hand a file
/// or URL to a command line that takes none), and the same line with `--demo` appended,
/// as CI starts it, opens the window in the demo.
#[test]
fn desktop_exec_opens_the_window() {
    let text = desktop_entry();
    let exec = desktop_value(&text, "Exec");
    assert_eq!(exec, "seedance-tasks", "{DESKTOP}");
    let argv: Vec<&str> = exec.split_whitespace().chain(["--demo"]).collect();
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    assert!(cli.demo, "{argv:?}");
    assert!(cli.command.is_none(), "{argv:?} must open the window");
}

/// desktop-file-validate (desktop-file-utils) is the freedesktop.org checker; CI runs it
/// on the installed file too. Skipped where it is not installed, unless
/// SEEDANCE_REQUIRE_DESKTOP_VALIDATE=1 (CI sets it, so a missing install fails there).
#[test]
fn desktop_entry_passes_desktop_file_validate() {
    let Ok(out) = Command::new("desktop-file-validate")
        .arg(Path::new(ROOT).join(DESKTOP))
        .output()
    else {
        let required = std::env::var("SEEDANCE_REQUIRE_DESKTOP_VALIDATE").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SEEDANCE_REQUIRE_DESKTOP_VALIDATE=1 but desktop-file-validate is not installed"
        );
        eprintln!("skipped: desktop-file-validate is not installed (apt: desktop-file-utils)");
        return;
    };
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    // Hints (e.g. two main categories: listed twice in menus) are not errors but are
    // worth fixing: none expected.
    assert!(report.trim().is_empty(), "{report}");
}

#[test]
fn deb_metadata_names_the_package_and_its_relations() {
    let deb = deb_metadata();
    assert_eq!(deb["name"].as_str(), Some("seedance-tasks"));
    let depends = deb["depends"].as_str().expect("depends");
    assert!(depends.split(',').any(|d| d.trim() == "$auto"), "{depends}");
    let recommends: Vec<String> = deb["recommends"]
        .as_str()
        .expect("recommends")
        .split(',')
        .map(|r| r.trim().to_owned())
        .collect();
    for wanted in [
        "gnome-keyring",
        "xdg-desktop-portal | zenity",
        "fonts-noto-cjk",
    ] {
        assert!(recommends.iter().any(|r| r == wanted), "{recommends:?}");
    }
}

#[test]
fn deb_assets_hold_the_binary_the_menu_entry_and_every_icon() {
    let assets = deb_assets(&deb_metadata());
    let has = |src: &str, dest: &str, mode: &str| {
        assets
            .iter()
            .any(|(s, d, m)| s == src && d == dest && m == mode)
    };
    // cargo-deb replaces target/release/ with wherever the release build really is.
    assert!(has("target/release/seedance-tasks", "usr/bin/", "755"));
    assert!(has(DESKTOP, "usr/share/applications/", "644"));
    for size in icon_sizes_on_disk() {
        let src = format!("assets/icon-{size}.png");
        let dest = format!("usr/share/icons/hicolor/{size}x{size}/apps/seedance-tasks.png");
        assert!(has(&src, &dest, "644"), "no asset {src} -> {dest}");
    }
    // Every source outside the build exists, so `cargo deb` in a clean clone finds it.
    for (src, _, _) in &assets {
        if !src.starts_with("target/release/") {
            assert!(
                Path::new(ROOT).join(src).is_file(),
                "asset {src} is missing"
            );
        }
    }
    // The copyright file is generated by cargo-deb; an asset of the same path would
    // replace it.
    assert!(
        assets
            .iter()
            .all(|(_, d, _)| !d.starts_with("usr/share/doc/")),
        "{assets:?}"
    );
}
