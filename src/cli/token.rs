use super::exit;
use crate::secrets::{self, Keyring, Token};
use std::io::{BufRead, IsTerminal};

pub(super) async fn run(action: &super::TokenCmd) -> u8 {
    use super::TokenCmd;
    // Keyring calls block on D-Bus; keep them off the runtime's worker threads.
    let action = match action {
        TokenCmd::Set => Action::Set,
        TokenCmd::Clear => Action::Clear,
        TokenCmd::Status => Action::Status,
    };
    tokio::task::spawn_blocking(move || run_blocking(action))
        .await
        .unwrap_or(exit::TOKEN)
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Set,
    Clear,
    Status,
}

fn read_token() -> std::io::Result<Option<Token>> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        // Never from argv: that would leave it in shell history and `ps`.
        rpassword::prompt_password("API token (input hidden): ")?
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line
    };
    Ok(Token::parse(&line))
}

fn run_blocking(action: Action) -> u8 {
    let keyring = Keyring::platform();
    match action {
        Action::Set => {
            let keyring = match keyring {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("error: {e}");
                    return exit::TOKEN;
                }
            };
            let token = match read_token() {
                Ok(Some(t)) => t,
                Ok(None) => {
                    eprintln!("error: the token is empty");
                    return exit::USAGE;
                }
                Err(e) => {
                    eprintln!("error: cannot read the token: {e}");
                    return exit::USAGE;
                }
            };
            match keyring.set(&token) {
                Ok(()) => {
                    eprintln!("saved {} in the system keyring", token.hint());
                    exit::OK
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    exit::TOKEN
                }
            }
        }
        Action::Clear => match keyring.and_then(|k| k.delete()) {
            Ok(()) => {
                eprintln!("removed the token from the system keyring");
                exit::OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                exit::TOKEN
            }
        },
        Action::Status => {
            let env = secrets::env_token().and_then(|t| Token::parse(&t));
            let stored = keyring.and_then(|k| k.get());
            if let Some(t) = &env {
                println!(
                    "in use: {} {}",
                    t.hint(),
                    secrets::TokenSource::Environment.describe()
                );
            }
            match &stored {
                Ok(Some(t)) => println!("keyring: {} is saved", t.hint()),
                Ok(None) => println!("keyring: no token saved"),
                Err(e) => println!("keyring: {e}"),
            }
            if env.is_some() || matches!(stored, Ok(Some(_))) {
                exit::OK
            } else {
                exit::TOKEN
            }
        }
    }
}
