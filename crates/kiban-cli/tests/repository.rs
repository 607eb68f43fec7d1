//! The repository as a newcomer finds it: the setup script on a fresh
//! machine.
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
    for name in ["pg_isready", "psql", "node", "npm", "cargo-nextest"] {
        stubs.command(name, "exit 0");
    }

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
