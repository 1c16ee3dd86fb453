//! Whether the app's ffmpeg fallback can run here, decided as the app decides it:
//! `$SEEDANCE_FFMPEG` names the program (`none` or empty: none), else `ffmpeg` on `PATH`.
//! Without one, the tests that need it skip, unless SEEDANCE_REQUIRE_FFMPEG=1 (CI), which
//! turns a missing ffmpeg into a failure.
#![allow(dead_code)]

pub fn available() -> bool {
    let program = match std::env::var_os("SEEDANCE_FFMPEG") {
        Some(v) if v.is_empty() || v == "none" => None,
        Some(v) => Some(v),
        None => Some("ffmpeg".into()),
    };
    let found = program.is_some_and(|p| {
        std::process::Command::new(p)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !found {
        let required = std::env::var("SEEDANCE_REQUIRE_FFMPEG").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SEEDANCE_REQUIRE_FFMPEG=1 but ffmpeg does not run"
        );
        eprintln!("no ffmpeg here: its part of the test is skipped");
    }
    found
}
