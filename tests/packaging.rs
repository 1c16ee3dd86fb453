//! The native-app pieces: icons in every size, the .desktop file, the Linux installer.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn icons_exist_in_every_size() {
    for size in [16u32, 24, 32, 48, 64, 128, 256, 512] {
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
fn desktop_file_has_the_required_keys() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("packaging/seedance-tasks.desktop"))
        .expect("read");
    assert!(text.starts_with("[Desktop Entry]\n"));
    for key in [
        "Type=Application",
        "Name=SeeDance Tasks",
        "Exec=seedance-tasks",
        "Icon=seedance-tasks",
        "Terminal=false",
        "StartupWMClass=seedance-tasks",
    ] {
        assert!(text.lines().any(|l| l.starts_with(key)), "missing {key}");
    }
}

#[test]
fn linux_installer_installs_and_uninstalls() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("share");
    let bin = tmp.path().join("bin");
    let run = |args: &[&str]| {
        Command::new("sh")
            .arg(Path::new(ROOT).join("packaging/install-linux.sh"))
            .args(args)
            .env("XDG_DATA_HOME", &data)
            .env("SEEDANCE_BIN_DIR", &bin)
            .output()
            .expect("sh runs")
    };
    let out = run(&[env!("CARGO_BIN_EXE_seedance-tasks")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(bin.join("seedance-tasks").exists());
    assert!(
        data.join("icons/hicolor/256x256/apps/seedance-tasks.png")
            .exists()
    );
    let desktop = std::fs::read_to_string(data.join("applications/seedance-tasks.desktop"))
        .expect("desktop file");
    assert!(
        desktop.contains(&format!("Exec={}/seedance-tasks %U", bin.display())),
        "{desktop}"
    );
    let out = run(&["--uninstall"]);
    assert!(out.status.success());
    assert!(!bin.join("seedance-tasks").exists());
    assert!(!data.join("applications/seedance-tasks.desktop").exists());
}
