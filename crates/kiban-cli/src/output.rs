//! What the binary prints: logs and messages to stderr, machine output to
//! stdout.

use std::io::Write;

use crate::commands::CliError;

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

/// Writes a command's JSON report to `path` (pretty, with a final newline).
pub fn write_report(path: &std::path::Path, value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::runtime(format!("報告書を作れません: {e}")))?;
    std::fs::write(path, text + "\n")
        .map_err(|e| CliError::runtime(format!("{}: 報告書を書けません: {e}", path.display())))
}

/// The problems of a refused file a command prints (all are in its report).
pub const PRINTED_PROBLEMS: usize = 100;

/// Prints the first [`PRINTED_PROBLEMS`] of `problems` of the file `input`,
/// and how many more the report `report` holds.
pub fn say_problems<T: std::fmt::Display>(
    input: &std::path::Path,
    report: &std::path::Path,
    problems: &[T],
    total: usize,
) {
    for problem in problems.iter().take(PRINTED_PROBLEMS) {
        say(&format!("{}: {problem}", input.display()));
    }
    if total > PRINTED_PROBLEMS {
        say(&format!(
            "…ほか {} 件（すべて報告書 {} にあります）",
            total - PRINTED_PROBLEMS,
            report.display()
        ));
    }
}
