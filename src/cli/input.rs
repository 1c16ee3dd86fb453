use std::io::{IsTerminal, Read};

/// The text to look for ids in: the arguments, or standard input when there are none or
/// one of them is `-`.
pub fn read_input(args: &[String]) -> std::io::Result<String> {
    if args.is_empty() || args.iter().any(|a| a == "-") {
        let mut text = String::new();
        let mut bytes = Vec::new();
        if std::io::stdin().is_terminal() {
            eprintln!("reading task ids from standard input (end with Ctrl+D)…");
        }
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        // A pasted file may hold stray non-UTF-8 bytes; ids are ASCII, so lossy is fine.
        text.push_str(&String::from_utf8_lossy(&bytes));
        for a in args.iter().filter(|a| *a != "-") {
            text.push('\n');
            text.push_str(a);
        }
        Ok(text)
    } else {
        Ok(args.join("\n"))
    }
}
