//! The release workflow: what it builds and with which pinned tools, and the install
//! step of the examples run against a release its own steps pack.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use regex::Regex;
use serde_json::Value;

use super::rules::{install_problems, pin_problems};
use super::runner::Runner;
use super::{LOCAL, RELEASE, jobs, read_workflow, step_name, steps};

/// The release workflow: on a `v*` tag, four targets (static musl Linux, macOS), the
/// Linux ones cross-built with cargo-zigbuild pinned by version and hash, a pinned
/// toolchain, actions pinned; only the publishing job may write.
#[test]
fn the_release_workflow_builds_the_four_targets_with_pinned_tools() {
    let (text, workflow) = read_workflow(RELEASE);
    assert_eq!(pin_problems(&text, &workflow), Vec::<String>::new());
    assert_eq!(
        workflow["on"],
        serde_json::json!({"push": {"tags": ["v*"]}})
    );
    assert_eq!(workflow["permissions"], serde_json::json!({}));
    let targets: BTreeSet<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-unknown-linux-musl",
        ])
    );
    let writers: Vec<&String> = jobs(&workflow)
        .iter()
        .filter(|(_, job)| job["permissions"]["contents"].as_str() != Some("read"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(writers, ["publish"]);
    assert_eq!(
        workflow["jobs"]["publish"]["permissions"],
        serde_json::json!({"contents": "write"})
    );
    let toolchain = workflow["env"]["RUST_TOOLCHAIN"].as_str().unwrap();
    assert!(
        Regex::new(r"^1\.\d+\.\d+$").unwrap().is_match(toolchain),
        "an exact toolchain: {toolchain}"
    );
    let zig = steps(&workflow, "build")
        .iter()
        .find(|s| step_name(s) == "zig and cargo-zigbuild")
        .unwrap()["run"]
        .as_str()
        .unwrap();
    assert!(zig.contains("--require-hashes"));
    let pinned =
        Regex::new(r"(?m)^(ziglang|cargo-zigbuild)==[0-9.]+ --hash=sha256:[0-9a-f]{64}$").unwrap();
    assert_eq!(pinned.find_iter(zig).count(), 2, "{zig}");
    let build = steps(&workflow, "build")
        .iter()
        .find(|s| step_name(s) == "Build")
        .unwrap()["run"]
        .as_str()
        .unwrap();
    assert!(build.contains("cargo zigbuild --locked --release --target \"$TARGET\""));
    assert!(build.contains("cargo build --locked --release --target \"$TARGET\""));
    // A tag that is not Cargo.toml's version builds nothing.
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (tag, code) in [
        (format!("v{}", env!("CARGO_PKG_VERSION")), 0),
        ("v9.9.9".into(), 1),
    ] {
        let mut runner = Runner::new(workflow.clone(), repository);
        runner.expression("matrix.target", "x86_64-unknown-linux-musl");
        runner.overrides = vec![("GITHUB_REF_NAME".into(), tag.clone())];
        let run = runner.step("build", "The tag is the version in Cargo.toml");
        assert_eq!(run.code, code, "{tag}: {}", run.output);
    }
}

/// What the install step does with a release laid out as the release workflow packs
/// it (its Package and SHA256SUMS steps, run here on stand-in binaries): installs the
/// runner's binary; refuses a tampered download, an asset SHA256SUMS does not name, and
/// an unset VPNFORM_REPO, installing nothing.
#[test]
fn the_install_step_installs_a_release_packed_by_the_release_workflow_and_refuses_a_tampered_one() {
    let (_, release) = read_workflow(RELEASE);
    let (_, example) = read_workflow(LOCAL);
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    let root = tempfile::tempdir().unwrap();
    let build = root.path().join("build");
    let targets: Vec<String> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_owned())
        .collect();
    for target in &targets {
        let binary = build.join(format!("target/{target}/release/vpnform"));
        std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
        std::fs::write(&binary, format!("#!/bin/sh\necho 'vpnform {target}'\n")).unwrap();
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut packer = Runner::new(release.clone(), &build);
        packer.overrides = vec![
            ("TARGET".into(), target.clone()),
            ("GITHUB_REF_NAME".into(), tag.clone()),
        ];
        packer.expression("matrix.target", target);
        packer.ok("build", "Package");
    }
    // The publishing job's download puts every build's dist/ together.
    let mut publisher = Runner::new(release.clone(), &build);
    publisher.overrides = vec![("GITHUB_REF_NAME".into(), tag.clone())];
    publisher.ok("publish", "SHA256SUMS");
    let sums = std::fs::read_to_string(build.join("dist/SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 4, "{sums}");

    // https://github.com/acme/vpnform/releases/download/vX.Y.Z, served from a directory.
    let download = root.path().join("github/acme/vpnform/releases/download");
    std::fs::create_dir_all(&download).unwrap();
    std::fs::rename(build.join("dist"), download.join(&tag)).unwrap();
    let install = install_problems(&example).1.unwrap().replace(
        "https://github.com/",
        &format!("file://{}/", root.path().join("github").display()),
    );
    let mut workflow = example.clone();
    workflow["jobs"]["plan"]["steps"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| step_name(s) == "Install vpnform")
        .unwrap()["run"] = Value::String(install);
    let host = match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        other => panic!("no release target for {other}"),
    };
    let try_install = |repo: &str| {
        let mut runner = Runner::new(workflow.clone(), root.path());
        runner.expression("vars.VPNFORM_REPO", repo);
        let run = runner.step("plan", "Install vpnform");
        let bin = runner.temp.path().join("runner/vpnform/bin");
        let path = std::fs::read_to_string(runner.temp.path().join("path")).ok();
        (run, bin, path, runner)
    };

    let (run, bin, path, _runner) = try_install("acme/vpnform");
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains(": OK\n"), "{}", run.output);
    assert!(
        run.output.ends_with(&format!("vpnform {host}\n")),
        "{}",
        run.output
    );
    assert_eq!(path, Some(format!("{}\n", bin.display())));

    let asset = download
        .join(&tag)
        .join(format!("vpnform-{tag}-{host}.tar.gz"));
    let good = std::fs::read(&asset).unwrap();
    let mut tampered = good.clone();
    tampered.extend_from_slice(b"\0");
    std::fs::write(&asset, &tampered).unwrap();
    let (run, bin, path, _runner) = try_install("acme/vpnform");
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("FAILED"), "{}", run.output);
    assert!(!bin.join("vpnform").exists());
    assert_eq!(path, None);

    std::fs::write(&asset, &good).unwrap();
    let sums_path = download.join(&tag).join("SHA256SUMS");
    let others: String = sums
        .lines()
        .filter(|l| !l.ends_with(&format!("-{host}.tar.gz")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sums_path, others).unwrap();
    let (run, bin, _, _runner) = try_install("acme/vpnform");
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "SHA256SUMS of vpnform v{version} has no single line for vpnform-{tag}-{host}.tar.gz"
        )),
        "{}",
        run.output
    );
    assert!(!bin.join("vpnform").exists());

    let (run, _, _, _runner) = try_install("");
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(
        run.output
            .contains("::error::set the repository variable VPNFORM_REPO"),
        "{}",
        run.output
    );
}
