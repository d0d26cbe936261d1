//! The kill campaign around `vpnform export ssl_vpn_client_cert.NAME --dir DIR` (issue
//! 23, item 7): the export is killed with SIGKILL at seeded moments (half anywhere in
//! the measured length of an unkilled export, half right after the directory appears,
//! while the files are written), each trial into a directory of its own. After every
//! kill the directory is absent or holds only whole files of the four names, each of
//! mode 0600 and equal to what DescribeSslVpnClientCert answers (never a partial file,
//! a temporary one or a wider mode); the state is untouched and `state list` works; an
//! export run again (with `--force` where files exist) writes the four files whole; the
//! material is nowhere but the export directories (no other file under the workspace,
//! no run's output, not the sandbox's call log).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{
    Kill, REGION, RUN_TIMEOUT, Rng, SandboxProcess, apply_command, contains, files_under,
    gateway_id, run_killed,
};
use crate::support::{Workspace, read_state};

const NAMES: [&str; 4] = ["ca.crt", "client.crt", "client.key", "alice.ovpn"];

/// Figures of an export campaign.
#[derive(Debug, Default)]
pub(super) struct ExportFigures {
    pub(super) trials: usize,
    /// SIGKILLs that landed in a running export.
    pub(super) kills: usize,
    pub(super) kills_timed: usize,
    pub(super) kills_while_writing: usize,
    /// Kills as soon as anything appeared in the directory.
    pub(super) kills_at_first_entry: usize,
    /// Kill moments after the export had finished.
    pub(super) missed: usize,
    /// What the killed exports left, by the number of whole files in the directory
    /// (`None`: no directory).
    pub(super) left: std::collections::BTreeMap<Option<usize>, usize>,
    /// Re-runs that needed `--force` (some files were there).
    pub(super) forced: usize,
}

/// The four files' contents as DescribeSslVpnClientCert answers them.
fn expected(sandbox: &SandboxProcess, id: &str) -> [String; 4] {
    let client = sandbox.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let m = runtime
        .block_on(client.describe_ssl_vpn_client_cert(REGION, id))
        .unwrap();
    [&m.ca_cert, &m.client_cert, &m.client_key, &m.client_config].map(|s| s.expose().to_owned())
}

/// Every entry of `dir` must be one of the four files, whole and of mode 0600; returns
/// how many there are (`None`: no directory).
fn check_dir(dir: &Path, want: &[String; 4], context: &str) -> Option<usize> {
    use std::os::unix::fs::PermissionsExt as _;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{context}: {}: {e}", dir.display()),
    };
    let mut whole = 0;
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata().unwrap();
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        let Some(i) = NAMES.iter().position(|n| *n == name) else {
            panic!(
                "{context}: the export left {name} ({} bytes, mode {:o}) in {}",
                bytes.len(),
                meta.permissions().mode() & 0o7777,
                dir.display()
            );
        };
        assert_eq!(
            meta.permissions().mode() & 0o7777,
            0o600,
            "{context}: {name}'s mode"
        );
        assert!(
            bytes == want[i].as_bytes(),
            "{context}: {name} is not whole ({} of {} bytes)",
            bytes.len(),
            want[i].len()
        );
        whole += 1;
    }
    Some(whole)
}

/// When to kill an export.
#[derive(Debug, Clone, Copy)]
enum ExportKill {
    /// After this long.
    After(Duration),
    /// This long after the export directory appears.
    AfterDir(Duration),
    /// As soon as anything appears in the export directory.
    FirstEntry,
}

/// Runs `vpnform export` into `dir`, killed as `kill` says; returns (killed, exit code,
/// stdout and stderr).
fn run_export(
    ws: &Workspace,
    sandbox: &SandboxProcess,
    dir: &Path,
    force: bool,
    kill: Option<ExportKill>,
) -> (bool, Option<i32>, String) {
    let logs = tempfile::tempdir().unwrap();
    let (out, err) = (logs.path().join("out"), logs.path().join("err"));
    let mut args = vec![
        "export",
        "ssl_vpn_client_cert.alice",
        "--dir",
        dir.to_str().unwrap(),
    ];
    if force {
        args.push("--force");
    }
    let started = Instant::now();
    let mut child = apply_command(ws, sandbox, &args)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut dir_at = None;
    let mut killed = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let now = started.elapsed();
        if dir_at.is_none() && dir.exists() {
            dir_at = Some(now);
        }
        let due = match kill {
            None => false,
            Some(ExportKill::After(d)) => now >= d,
            Some(ExportKill::AfterDir(d)) => dir_at.is_some_and(|at| now >= at + d),
            Some(ExportKill::FirstEntry) => std::fs::read_dir(dir)
                .ok()
                .is_some_and(|mut entries| entries.next().is_some()),
        };
        if due || now > RUN_TIMEOUT {
            child.kill().unwrap();
            let status = child.wait().unwrap();
            assert!(now <= RUN_TIMEOUT, "export hung");
            killed = true;
            break status;
        }
        std::thread::sleep(Duration::from_micros(100));
    };
    let output = std::fs::read_to_string(out).unwrap() + &std::fs::read_to_string(err).unwrap();
    (killed, status.code(), output)
}

/// A workspace whose state records the certificate `alice`, its sandbox, and the four
/// files' contents.
fn exporting() -> (Workspace, SandboxProcess, [String; 4], String) {
    let ws = Workspace::new();
    ws.write(
        "vpnform.yaml",
        &format!(
            "version: 1\ndefaults:\n  region: {REGION}\nssl_vpn_servers:\n  staff: {{vpn_gateway: {}, client_ip_pool: 10.30.0.0/16, local_subnet: [10.0.0.0/16]}}\nssl_vpn_client_certs:\n  alice: {{ssl_vpn_server: ssl_vpn_server.staff, name: alice}}\n",
            gateway_id(0)
        ),
    );
    let sandbox = SandboxProcess::serve(
        &ws,
        Some(&format!(
            "vpn_gateways:\n  {}: {{region: {REGION}}}\n",
            gateway_id(0)
        )),
        &["--configure-time", "50ms"],
    );
    let apply = run_killed(
        &ws,
        &sandbox,
        &["apply", "--auto-approve", "--poll-interval", "50ms"],
        Kill::Never,
    );
    assert_eq!(apply.code, Some(0), "{}{}", apply.stdout, apply.stderr);
    let id = read_state(&ws).resources["ssl_vpn_client_cert.alice"]
        .id
        .clone();
    let want = expected(&sandbox, &id);
    (ws, sandbox, want, apply.stdout + &apply.stderr)
}

/// Found by the export campaign: an export killed while it wrote left a hidden temp
/// file beside the four (`.ca.crt.lnCqPu`, `.client.key.…`: part or all of a key, mode
/// 0600) that no later export removed, `--force` included. The files were written
/// through a named temp file renamed into place; now a new file has no name until it
/// is whole (`src/ops/export.rs`, `write_unnamed`). Killed as soon as anything appears
/// in the directory, `times` times: what is there is whole files of the four names.
pub(super) fn killed_at_first_entry(times: usize) {
    let (ws, sandbox, want, _) = exporting();
    for i in 0..times {
        let dir = ws.path().join("keys").join(i.to_string());
        let context = format!("kill {i} at the first entry");
        let (killed, _, _) = run_export(&ws, &sandbox, &dir, false, Some(ExportKill::FirstEntry));
        assert!(killed, "{context}: the export ended first");
        let left = check_dir(&dir, &want, &context);
        assert!(left.is_some_and(|n| n >= 1), "{context}: {left:?}");
    }
}

/// Runs export trials until `kills` SIGKILLs have landed, on one workspace whose state
/// records the certificate `alice`; each trial exports into `keys/N`.
pub(super) fn export_campaign(kills: usize, seed: u64) -> ExportFigures {
    let (ws, sandbox, want, mut outputs) = exporting();
    let state_before = std::fs::read(ws.path().join(super::STATE)).unwrap();

    // Calibration: an unkilled export's length, and how long after its directory
    // appears it ends.
    let keys = ws.path().join("keys");
    let dir = keys.join("calibration");
    let started = Instant::now();
    let (_, code, out) = run_export(&ws, &sandbox, &dir, false, None);
    let length = started.elapsed();
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(check_dir(&dir, &want, "calibration"), Some(4));
    outputs += &out;
    eprintln!("export: an unkilled export takes {length:?}");

    let mut f = ExportFigures::default();
    let mut rng = Rng(seed);
    let mut trial = 0;
    while f.kills < kills {
        trial += 1;
        let context = format!("export seed {seed}, trial {trial}");
        let dir: PathBuf = keys.join(trial.to_string());
        let ms = length.as_micros() as u64;
        let kill = match rng.below(5) {
            0 | 1 => ExportKill::After(Duration::from_micros(rng.below(ms + ms / 5))),
            // Writing four small files takes a few milliseconds (the fsyncs).
            2 | 3 => ExportKill::AfterDir(Duration::from_micros(rng.below(8_000))),
            _ => ExportKill::FirstEntry,
        };
        let (killed, _, out) = run_export(&ws, &sandbox, &dir, false, Some(kill));
        outputs += &out;
        let context = format!("{context} ({kill:?}, killed: {killed})");
        let left = check_dir(&dir, &want, &context);
        if killed {
            f.kills += 1;
            match kill {
                ExportKill::After(_) => f.kills_timed += 1,
                ExportKill::AfterDir(_) => f.kills_while_writing += 1,
                ExportKill::FirstEntry => f.kills_at_first_entry += 1,
            }
            *f.left.entry(left).or_default() += 1;
        } else {
            f.missed += 1;
            assert_eq!(left, Some(4), "{context}: a finished export");
        }
        assert_eq!(
            std::fs::read(ws.path().join(super::STATE)).unwrap(),
            state_before,
            "{context}: the export changed the state"
        );
        let list = run_killed(&ws, &sandbox, &["state", "list"], Kill::Never);
        assert_eq!(list.code, Some(0), "{context}: {}", list.stderr);
        // Run again: refused where files exist (naming --force), whole with it.
        if left != Some(4) {
            let (_, code, out) = run_export(&ws, &sandbox, &dir, false, None);
            outputs += &out;
            if code != Some(0) {
                assert!(
                    out.contains("already exists") && out.contains("--force"),
                    "{context}: the re-run: {out}"
                );
                f.forced += 1;
                let (_, code, out) = run_export(&ws, &sandbox, &dir, true, None);
                outputs += &out;
                assert_eq!(code, Some(0), "{context}: the forced re-run: {out}");
            }
            assert_eq!(check_dir(&dir, &want, &context), Some(4), "{context}");
        }
        f.trials += 1;
    }
    // The material nowhere but the export directories.
    let lines: Vec<&str> = want
        .iter()
        .flat_map(|m| m.lines())
        .filter(|l| l.len() >= 20 && !l.starts_with("-----"))
        .collect();
    assert!(lines.len() >= 20, "{lines:?}");
    let log = sandbox.log();
    for (path, bytes) in files_under(ws.path()) {
        if path.starts_with(&keys) {
            continue;
        }
        for line in &lines {
            assert!(
                !contains(&bytes, line),
                "material in {}: {line}",
                path.display()
            );
        }
    }
    for line in &lines {
        assert!(!outputs.contains(line), "material in an output: {line}");
        assert!(!log.contains(line), "material in the sandbox's log: {line}");
    }
    f
}
