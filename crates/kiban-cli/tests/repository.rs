//! The repository as a newcomer finds it: the setup script on a fresh
//! machine, and the documentation's links.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A directory of stand-ins for the system's commands, put first on `PATH`.
struct Stubs {
    dir: PathBuf,
}

impl Stubs {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("kiban-repository-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        Self { dir }
    }

    fn command(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join("bin").join(name);
        std::fs::write(
            &path,
            format!(
                "#!/usr/bin/env bash\necho \"{name} $*\" >> \"$STUB_LOG\"\n{body}\n",
                name = name
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// Runs `scripts/setup.sh` with the stand-ins; dpkg reports every
    /// package as `status`.
    fn run_setup(&self, status: &str) -> std::process::Output {
        let path = format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .arg(repository().join("scripts/setup.sh"))
            .env("PATH", path)
            .env("STUB_LOG", self.dir.join("log"))
            .env("STUB_STATUS", status)
            .env("KIBAN_PGBACKREST_CONFIG", self.dir.join("pgbackrest.conf"))
            .env("KIBAN_PGBACKREST_REPO", self.dir.join("repo"))
            .env_remove("KIBAN_PGBACKREST_STANZA")
            .env_remove("KIBAN_APT_LOCK_TIMEOUT")
            .output()
            .unwrap()
    }
}

impl Drop for Stubs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh machine whose automatic updates hold the dpkg lock: apt-get
/// fails at once unless it is told to wait for the lock. The setup script
/// must tell every apt-get call to wait, and stay quiet and change nothing
/// once everything is installed.
#[test]
fn setup_waits_for_the_dpkg_lock_and_is_idempotent() {
    let stubs = Stubs::new("setup");
    stubs.command("sudo", "exec \"$@\"");
    stubs.command("dpkg-query", "printf '%s' \"$STUB_STATUS\"");
    stubs.command("apt-cache", "exit 0");
    stubs.command(
        "apt-get",
        r#"case " $* " in
  *" DPkg::Lock::Timeout=600 "*) exit 0 ;;
  *) echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2; exit 100 ;;
esac"#,
    );
    for name in [
        "pg_isready",
        "node",
        "npm",
        "cargo-nextest",
        "pgbackrest",
        "pg_ctlcluster",
    ] {
        stubs.command(name, "exit 0");
    }
    // The cluster as scripts/setup-backup.sh leaves it: archiving through
    // pgBackRest (the restart and the stanza are stand-ins too).
    stubs.command(
        "psql",
        r#"case " $* " in
  *"SHOW wal_level"*) echo replica ;;
  *"SHOW archive_mode"*) echo on ;;
  *"SHOW archive_timeout"*) echo 1min ;;
  *"SHOW archive_command"*) echo "pgbackrest --config=$KIBAN_PGBACKREST_CONFIG --stanza=kiban archive-push %p" ;;
esac"#,
    );
    stubs.command(
        "runuser",
        r#"while [ "$1" != "--" ]; do shift; done; shift; exec "$@""#,
    );

    let fresh = stubs.run_setup("not-installed");
    let log = stubs.log();
    assert!(
        fresh.status.success(),
        "setup.sh failed while the dpkg lock was held: {}\n{log}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let apt_calls: Vec<&str> = log.lines().filter(|l| l.starts_with("apt-get ")).collect();
    assert!(
        apt_calls.iter().any(|l| l.contains(" install ")),
        "nothing was installed: {log}"
    );
    assert!(
        apt_calls.iter().any(|l| l.contains(" update ")),
        "the lists were not refreshed: {log}"
    );
    for call in &apt_calls {
        assert!(call.contains("-o DPkg::Lock::Timeout=600"), "{call}");
    }

    assert!(
        log.contains("pgbackrest --config=") && log.contains(" stanza-create"),
        "the backup stanza was not created: {log}"
    );

    // The stanza exists from now on.
    std::fs::create_dir_all(stubs.dir.join("repo/backup/kiban")).unwrap();
    std::fs::write(stubs.dir.join("repo/backup/kiban/backup.info"), "").unwrap();
    std::fs::remove_file(stubs.dir.join("log")).unwrap();
    let again = stubs.run_setup("installed");
    assert!(again.status.success());
    assert!(
        !stubs.log().contains("apt-get"),
        "apt-get ran although everything was installed: {}",
        stubs.log()
    );
    assert_eq!(String::from_utf8_lossy(&again.stdout), "");
    assert_eq!(String::from_utf8_lossy(&again.stderr), "");
}

/// The documentation a user of the project reads: README.md,
/// ARCHITECTURE.md and every Markdown file under docs/.
fn documentation() -> Vec<PathBuf> {
    fn markdown_under(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                markdown_under(&path, found);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    let root = repository();
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    markdown_under(&root.join("docs"), &mut files);
    files
}

/// The targets of the Markdown links of `text`: inline `[text](target)`
/// and reference definitions `[label]: target`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        targets.push(after[..end].trim().to_owned());
        rest = &after[end..];
    }
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with('[')
            && let Some(at) = line.find("]: ")
        {
            targets.push(line[at + 3..].trim().to_owned());
        }
    }
    targets
}

/// Users of the project have only the repository: no link may lead into
/// the workplace's `../shared` folder, and every relative link must reach a
/// file of the repository.
#[test]
fn documentation_links_stay_inside_the_repository() {
    let files = documentation();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("docs/contracts/api-v1.md"))
    );
    let mut faults = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file
            .strip_prefix(repository())
            .unwrap()
            .display()
            .to_string();
        if text.contains("../shared") {
            faults.push(format!("{name}: refers to ../shared"));
        }
        for target in link_targets(&text) {
            if target.is_empty()
                || target.starts_with('#')
                || target.contains("://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            if !file.parent().unwrap().join(path).exists() {
                faults.push(format!("{name}: link to {target}, which does not exist"));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The README names the contracts through docs/contracts/, and every
/// contract the index there lists is in the repository.
#[test]
fn the_contracts_are_in_the_repository() {
    let root = repository();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        link_targets(&readme)
            .iter()
            .any(|t| t.starts_with("docs/contracts/")),
        "README.md does not link to docs/contracts/"
    );
    let index = std::fs::read_to_string(root.join("docs/contracts/README.md")).unwrap();
    let mut listed = 0;
    for line in index.lines() {
        if let Some(rest) = line.strip_prefix("- `")
            && let Some(end) = rest.find('`')
            && rest[..end].ends_with(".md")
        {
            listed += 1;
            let contract = root.join("docs/contracts").join(&rest[..end]);
            assert!(contract.is_file(), "{} is listed but missing", &rest[..end]);
        }
    }
    assert!(listed >= 9, "the index lists {listed} contracts");
}
