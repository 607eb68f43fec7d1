//! What the binary prints: logs and messages to stderr, machine output to
//! stdout.

use std::io::Write;

/// Structured logs to stderr; `RUST_LOG` (or `KIBAN_LOG`) sets the level.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KIBAN_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kiban=info,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A message for people.
pub fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// An error message for people.
pub fn error(message: &str) {
    let _ = writeln!(std::io::stderr(), "エラー: {message}");
}

/// Machine output.
pub fn emit(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}
