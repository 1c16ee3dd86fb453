//! The token in the real OS keyring when one is reachable (CI runs gnome-keyring under
//! dbus-run-session and sets SEEDANCE_REQUIRE_KEYRING=1, which turns a skip into a
//! failure); keyring_core's mock store otherwise, so a plain `cargo test` still checks
//! the same code path.

use seedance_tasks::secrets::{self, Keyring, SecretError, Token, TokenSource};
use std::io::Write;
use std::process::{Command, Stdio};

fn required() -> bool {
    std::env::var("SEEDANCE_REQUIRE_KEYRING").is_ok_and(|v| v == "1")
}

/// The platform keyring, or `None` (with a note) when there is none and it is not required.
fn platform() -> Option<Keyring> {
    match Keyring::platform() {
        Ok(k) => Some(k),
        Err(e) if required() => panic!("SEEDANCE_REQUIRE_KEYRING=1 but no keyring: {e}"),
        Err(e) => {
            eprintln!("no system keyring here ({e}); the real-keyring part is skipped, CI runs it");
            None
        }
    }
}

fn round_trip(k: &Keyring) {
    k.delete().expect("start clean");
    assert_eq!(k.get(), Ok(None));
    k.set(&Token::new("round-trip-token-1")).expect("set");
    assert_eq!(k.get(), Ok(Some(Token::new("round-trip-token-1"))));
    k.set(&Token::new("round-trip-token-2")).expect("overwrite");
    assert_eq!(k.get(), Ok(Some(Token::new("round-trip-token-2"))));
    let (t, source) = secrets::resolve(None, Some(k)).expect("ok").expect("some");
    assert_eq!(
        (t.expose(), source),
        ("round-trip-token-2", TokenSource::Keyring)
    );
    k.delete().expect("delete");
    assert_eq!(k.get(), Ok(None));
}

#[test]
fn set_get_delete_in_the_keyring() {
    match platform() {
        Some(k) => round_trip(&k.with_user(format!("test-{}", std::process::id()))),
        None => round_trip(&Keyring::mock().expect("mock store")),
    }
}

#[test]
fn unreachable_keyring_is_a_clear_error() {
    let e = SecretError::Unavailable("org.freedesktop.DBus.Error.ServiceUnknown".into());
    let text = e.to_string();
    assert!(text.contains("no system keyring is reachable"));
    assert!(
        text.contains("SEEDANCE_API_TOKEN"),
        "tells what to do instead"
    );
}

fn cli(args: &[&str], user: &str, stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(args)
        .env("SEEDANCE_KEYRING_USER", user)
        .env_remove("SEEDANCE_API_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn token_commands_use_the_real_keyring() {
    let Some(_) = platform() else { return };
    let user = format!("cli-test-{}", std::process::id());
    let (code, _, err) = cli(&["token", "set"], &user, "cli-keyring-token-5678\n");
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("cli-keyring-token-5678"),
        "the token is never echoed"
    );
    let (code, out, _) = cli(&["token", "status"], &user, "");
    assert_eq!(code, 0);
    assert!(out.contains("…5678"), "{out}");
    let (code, _, err) = cli(&["token", "clear"], &user, "");
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli(&["token", "status"], &user, "");
    assert_eq!(code, 3);
    assert!(out.contains("no token saved"), "{out}");
}
