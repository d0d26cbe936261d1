//! Offline plan over generated workspaces, against a bare parse of the same two files.
//!
//! `cargo bench --bench plan` (add `-- --quick`, or set `VPNFORM_BENCH_QUICK=1`, to
//! stop at 10k servers). For 1k, 10k and 100k recorded servers of which the desired
//! file drops 10% (every tenth deleted server depends on the one before, as
//! `scripts/gen-state.py` makes them), it times the release binary's
//! `vpnform plan --offline` (text output with the state diff, to /dev/null) and a bare
//! parse of the same two files (this bench re-run as a child: serde-saphyr into the
//! state model and into a generic value, nothing else), each in its own process, with
//! peak memory from `/usr/bin/time -f %M`. Best of `RUNS`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 3;

/// Writes `dir/vpnform.yaml` and `dir/state/vpnform.state.yaml` (see gen-state.py).
fn generate(dir: &Path, total: usize, deletes: usize) {
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let step = total / deletes;
    let mut state = String::from(
        "version: 1\nlineage: 00000000-0000-4000-8000-000000000000\nserial: 1\nresources:\n",
    );
    let mut desired =
        String::from("version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n");
    let mut previous_deleted: Option<String> = None;
    for i in 0..total {
        let (region, p) = if i % 2 == 0 {
            ("cn-hangzhou", "bp1")
        } else {
            ("cn-shanghai", "uf6")
        };
        let name = format!("s{i:06}");
        let iss = format!("iss-{p}{i:018}");
        let vpn = format!("vpn-{p}{i:018}");
        let _ = write!(
            state,
            "  ipsec_server.{name}:\n    id: {iss}\n    region: {region}\n    vpn_gateway: {vpn}\n"
        );
        let deleted = i % step == 0;
        if deleted
            && !(i / step).is_multiple_of(10)
            && let Some(prev) = &previous_deleted
        {
            let _ = write!(state, "    depends_on:\n    - ipsec_server.{prev}\n");
        }
        let _ = write!(
            state,
            "    attributes:\n      client_ip_pool: 10.{}.0.0/16\n      local_subnet: 172.16.{}.0/24\n      name: {name}\n",
            i % 250,
            i % 250
        );
        if deleted {
            previous_deleted = Some(name);
        } else {
            let _ = write!(
                desired,
                "  {name}:\n    id: {iss}\n    vpn_gateway: {vpn}\n    region: {region}\n"
            );
        }
    }
    state.push_str("pending: []\n");
    std::fs::write(dir.join("state/vpnform.state.yaml"), state).unwrap();
    std::fs::write(dir.join("vpnform.yaml"), desired).unwrap();
}

/// The child's job: parse both files, nothing more.
fn bare_parse(dir: &Path) {
    let state = std::fs::read_to_string(dir.join("state/vpnform.state.yaml")).unwrap();
    let desired = std::fs::read_to_string(dir.join("vpnform.yaml")).unwrap();
    let s: vpnform::state::State =
        serde_saphyr::from_str_with_options(&state, vpnform::yaml::options_for(&state)).unwrap();
    let d: serde_json::Value =
        serde_saphyr::from_str_with_options(&desired, vpnform::yaml::options_for(&desired))
            .unwrap();
    assert!(!s.resources.is_empty() && !d.is_null());
}

/// Runs `program args` under `/usr/bin/time`; returns its wall time and peak RSS in MB.
fn measure(program: &Path, args: &[&str]) -> (Duration, f64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("/usr/bin/time runs");
    let wall = started.elapsed();
    assert!(status.success(), "{} {args:?}: {status}", program.display());
    let kb: f64 = std::fs::read_to_string(report.path())
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    (wall, kb / 1024.0)
}

fn best(program: &Path, args: &[&str]) -> (Duration, f64) {
    (0..RUNS)
        .map(|_| measure(program, args))
        .min_by_key(|(d, _)| *d)
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child-parse") {
        bare_parse(Path::new(&args[i + 1]));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var_os("VPNFORM_BENCH_QUICK").is_some_and(|v| v != "0");
    let sizes: &[usize] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    let vpnform = Path::new(env!("CARGO_BIN_EXE_vpnform"));
    let me = std::env::current_exe().unwrap();
    println!("plan --offline: 10% of the recorded servers deleted; best of {RUNS} runs\n");
    println!(
        "| servers | plan --offline | peak memory | bare parse | parse memory | plan / parse |"
    );
    println!("|---|---|---|---|---|---|");
    let mut plan_times = Vec::new();
    for &n in sizes {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), n, n / 10);
        let d = dir.path().to_str().unwrap();
        let (plan, plan_mb) = best(vpnform, &["-C", d, "plan", "--offline", "--no-color"]);
        let (parse, parse_mb) = best(&me, &["--child-parse", d]);
        plan_times.push((n, plan));
        println!(
            "| {n} | {:.3} s | {plan_mb:.0} MB | {:.3} s | {parse_mb:.0} MB | {:.2} |",
            plan.as_secs_f64(),
            parse.as_secs_f64(),
            plan.as_secs_f64() / parse.as_secs_f64()
        );
    }
    if let (Some((_, p10k)), Some((_, p100k))) = (
        plan_times.iter().find(|(n, _)| *n == 10_000),
        plan_times.iter().find(|(n, _)| *n == 100_000),
    ) {
        println!(
            "\nplan 100k / plan 10k: {:.2}",
            p100k.as_secs_f64() / p10k.as_secs_f64()
        );
    }
}
