//! Hostile inputs, issue 20 ("the plan is the whole truth"): the routes by which an
//! input could reach around the plan. Secret sources outside the repository or the
//! secrets directory, redirects from the API endpoint, files that block or never end,
//! a sandbox listening beyond loopback, a linked state directory, postgres schema
//! names that are not vpnform's own, a quoted serial, an endpoint checked after the
//! secrets were read, addresses of any length.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
use crate::support::*;

const DESIRED: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
";

/// Runs `args` with a deadline (a run that blocks fails the test instead of hanging
/// it) and `stdin` on its standard input (none: /dev/null).
fn run_bounded(ws: &Workspace, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = ws
        .command(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vpnform");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // A run that exits before reading all of it closes the pipe: not the test's error.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "vpnform {args:?} did not finish in 20s; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_err(out: &Output, stderr: &str) {
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", stderr),
        "{out:?}"
    );
}

fn mkfifo(path: &std::path::Path) {
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
}

// ---- one bounded reader for every input file ----

/// Regression (#20.7): a FIFO as the desired file blocked every command on its open
/// (waiting for a writer that never came), `apply FILE` while it held the state lock.
#[test]
fn desired_file_that_is_a_fifo_is_refused_not_hung() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    ws.vpnform(&["plan", "--offline", "--out", "saved.plan"])
        .code(0)
        .any_stdout()
        .any_stderr()
        .run();
    std::fs::remove_file(ws.path().join("vpnform.yaml")).unwrap();
    mkfifo(&ws.path().join("vpnform.yaml"));
    let message = "error: the desired-state file vpnform.yaml is a FIFO (named pipe), not a \
                   regular file; vpnform reads it only from a regular file\n  = help: pass the \
                   path of the file itself, or `--desired -` to read it from standard input\n";
    for args in [
        &["validate"][..],
        &["plan", "--offline"],
        &["show", "saved.plan"],
        &["apply", "saved.plan"],
        &["apply", "--auto-approve", "--sandbox"],
    ] {
        assert_err(&run_bounded(&ws, args, None), message);
    }
    // No lock was left behind, and none was taken.
    assert!(!ws.exists("state/.vpnform.lock"));
}

/// Regression (#20.7): `--desired /dev/zero` was read up to the limit; it is refused
/// unread, as every file that is not a regular one.
#[test]
fn desired_file_that_is_a_device_is_refused_unread() {
    let ws = Workspace::new();
    assert_err(
        &run_bounded(&ws, &["validate", "--desired", "/dev/zero"], None),
        "error: the desired-state file /dev/zero is a character device, not a regular file; \
         vpnform reads it only from a regular file\n  = help: pass the path of the file \
         itself, or `--desired -` to read it from standard input\n",
    );
}

/// Regression (#20.7): `--desired -` looked for a file named `-`. It reads standard
/// input, once (the backend and the entries come from the same bytes), bounded.
#[test]
fn desired_from_stdin_was_a_file_named_dash() {
    let ws = Workspace::new();
    let out = run_bounded(
        &ws,
        &["validate", "--desired", "-"],
        Some(DESIRED.as_bytes()),
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "Success! The configuration is valid.\n", ""),
        "{out:?}"
    );
    let out = run_bounded(
        &ws,
        &["plan", "--offline", "--desired", "-"],
        Some(DESIRED.as_bytes()),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("> resource \"ipsec_server\" \"office\""),
        "{out:?}"
    );
    let mut big = DESIRED.as_bytes().to_vec();
    big.resize(64 * 1024 * 1024 + 1, b'#');
    assert_err(
        &run_bounded(&ws, &["validate", "--desired", "-"], Some(&big)),
        "error: the desired-state file - is larger than 64 MiB, the most vpnform reads\n  = \
         help: check that `--desired` names your desired-state file; 100,000 servers take \
         about 11 MiB\n",
    );
    assert_err(
        &run_bounded(&ws, &["import", "--write", "--desired", "-"], Some(b"")),
        "error: `import --write` appends to the desired file, and `--desired -` reads it from \
         standard input, which cannot be written: name the file with `--desired FILE`, or run \
         without --write and paste the printed entries\n",
    );
}

/// Regression (#20.7): `sandbox serve --world /dev/zero` read until memory ran out, and
/// a FIFO world blocked the sandbox before it listened.
#[test]
fn world_file_dev_zero_was_read_until_out_of_memory() {
    let ws = Workspace::new();
    mkfifo(&ws.path().join("world.yaml"));
    for (file, kind) in [
        ("/dev/zero", "a character device"),
        ("world.yaml", "a FIFO (named pipe)"),
    ] {
        assert_err(
            &run_bounded(
                &ws,
                &[
                    "sandbox",
                    "serve",
                    "--listen",
                    "127.0.0.1:0",
                    "--world",
                    file,
                ],
                None,
            ),
            &format!(
                "error: cannot read the world file {file}: it is {kind}, not a regular file; \
                 vpnform reads a world file only from a regular file. Pass the path of the \
                 file itself.\n"
            ),
        );
    }
}

// ---- secret sources confined ----

/// What `plan` says first in a workspace without a state.
const NO_STATE: &str = "No recorded state at state/vpnform.state.yaml: desired servers with an \
                        id will be adopted, those without one created.\n";

/// Four entries whose `psk` file is outside the desired file's directory tree, one way
/// each: `..`, an absolute path, a linked directory, a linked file.
fn escaping_sources() -> Workspace {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  a:
    id: iss-a1
    vpn_gateway: vpn-a1
    psk: {file: ../outside.psk}
  b:
    id: iss-b1
    vpn_gateway: vpn-b1
    psk: {file: /etc/hostname}
  c:
    id: iss-c1
    vpn_gateway: vpn-c1
    psk: {file: secrets/linked/k.psk}
  d:
    id: iss-d1
    vpn_gateway: vpn-d1
    psk: {file: host.psk}
  e:
    id: iss-e1
    vpn_gateway: vpn-e1
    psk: {file: secrets/./k.psk}
",
        )
        .file("secrets/k.psk", "inside-key\n")
        .file("elsewhere/k.psk", "outside-key\n");
    symlink("../elsewhere", ws.path().join("secrets/linked")).unwrap();
    symlink("/etc/hostname", ws.path().join("host.psk")).unwrap();
    ws
}

const ESCAPING_ERRORS: &str = "\
error: vpnform.yaml:8:17: `psk` names file ../outside.psk, whose `..` climbs out of the desired file's directory
  |
8 |     psk: {file: ../outside.psk}
  |                 ^^^^^^^^^^^^^^
  = help: keep the key file in the desired file's directory tree and write its path relative to the desired file (e.g. `secrets/office.psk`), or in VPNFORM_SECRETS_DIR (a CI secret mount) and write its absolute path

error: vpnform.yaml:12:17: `psk` names file /etc/hostname, an absolute path, and VPNFORM_SECRETS_DIR is not set
   |
12 |     psk: {file: /etc/hostname}
   |                 ^^^^^^^^^^^^^
   = help: keep the key file in the desired file's directory tree and write its path relative to the desired file (e.g. `secrets/office.psk`), or in VPNFORM_SECRETS_DIR (a CI secret mount) and write its absolute path

error: vpnform.yaml:16:17: `psk` names file secrets/linked/k.psk, and secrets/linked on its way is a symbolic link
   |
16 |     psk: {file: secrets/linked/k.psk}
   |                 ^^^^^^^^^^^^^^^^^^^^
   = help: replace the link by the file or directory it points to: a link can lead the read of a key anywhere on the machine

error: vpnform.yaml:20:17: `psk` names file host.psk, and host.psk on its way is a symbolic link
   |
20 |     psk: {file: host.psk}
   |                 ^^^^^^^^
   = help: replace the link by the file or directory it points to: a link can lead the read of a key anywhere on the machine

error: vpnform.yaml has 4 errors
";

/// Regression (#20.5): a `psk: {file}` could name any file the user running vpnform may
/// read (`../`, an absolute path, a link planted in a pull request), and the plan sent
/// it to the cloud, which hands a PSK back in clear text to anyone who may List. Every
/// command that resolves sources refuses them, before any value is read.
#[test]
fn psk_file_outside_the_desired_directory_was_sent_to_the_cloud() {
    let ws = escaping_sources();
    ws.vpnform(&["validate"])
        .code(1)
        .stderr(ESCAPING_ERRORS)
        .run();
    for args in [&["plan", "--offline"][..], &["plan", "--sandbox"]] {
        ws.vpnform(args)
            .code(1)
            .stderr(format!("{NO_STATE}{ESCAPING_ERRORS}"))
            .run();
    }
}

/// Regression (#20.5): `psk: {env: ALIBABA_CLOUD_ACCESS_KEY_SECRET}` (or a postgres
/// password, or any `VPNFORM_*`) made vpnform's own credential the server's PSK, readable
/// by anyone who may List.
#[test]
fn psk_env_naming_a_credential_variable_made_it_the_key() {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  a: {id: iss-a1, vpn_gateway: vpn-a1, psk: {env: ALIBABA_CLOUD_ACCESS_KEY_SECRET}}
  b: {id: iss-b1, vpn_gateway: vpn-b1, psk: {env: ALICLOUD_SECRET_KEY}}
  c: {id: iss-c1, vpn_gateway: vpn-c1, psk: {env: PGPASSWORD}}
  d: {id: iss-d1, vpn_gateway: vpn-d1, psk: {env: VPNFORM_PG_URL}}
  e: {id: iss-e1, vpn_gateway: vpn-e1, psk: {env: OFFICE_PSK}}
",
        )
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "canary-secret-7f3a")
        .env("OFFICE_PSK", "office-key");
    let one = |line: usize, name: &str| {
        let column = 51;
        format!(
            "error: vpnform.yaml:{line}:{column}: `psk` names env {name}, one of vpnform's own \
             credential variables (`ALIBABA_CLOUD_*`, `ALICLOUD_*`, `VPNFORM_*`, `PG*`)\n  |\n\
             {line} | {}\n  | {}{}\n  = help: put the key in a variable of its own (e.g. \
             `OFFICE_PSK`): the cloud hands a pre-shared key back in clear text to anyone who \
             may List, so a credential must never become one\n\n",
            ws.read("vpnform.yaml").lines().nth(line - 1).unwrap(),
            " ".repeat(column - 1),
            "^".repeat(name.len())
        )
    };
    let expected = format!(
        "{}{}{}{}error: vpnform.yaml has 4 errors\n",
        one(5, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        one(6, "ALICLOUD_SECRET_KEY"),
        one(7, "PGPASSWORD"),
        one(8, "VPNFORM_PG_URL"),
    );
    for (args, before) in [(&["validate"][..], ""), (&["plan", "--offline"], NO_STATE)] {
        let out = ws
            .vpnform(args)
            .code(1)
            .stderr(format!("{before}{expected}"))
            .run();
        assert!(!out.stderr.contains("canary-secret"));
    }
}

/// An absolute `psk` file is read inside `VPNFORM_SECRETS_DIR` only: not outside it, not
/// by climbing out of it, not through a link in it.
#[test]
fn psk_file_in_the_secrets_dir_is_read_and_nothing_beyond_it() {
    let ws = Workspace::new()
        .file("mnt/office.psk", "office-key\n")
        .file("other/k.psk", "other-key\n");
    let root = ws.path().to_str().unwrap().to_owned();
    symlink("../other/k.psk", ws.path().join("mnt/linked.psk")).unwrap();
    let desired = |file: &str| {
        format!(
            "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  office: {{id: \
             iss-a1, vpn_gateway: vpn-a1, psk: {{file: '{file}'}}}}\n"
        )
    };
    ws.write("vpnform.yaml", &desired(&format!("{root}/mnt/office.psk")));
    let secrets = format!("{root}/mnt");
    ws.vpnform(&["validate"])
        .env("VPNFORM_SECRETS_DIR", &secrets)
        .stdout("Success! The configuration is valid.\n")
        .run();
    for (file, message, help) in [
        (
            format!("{root}/other/k.psk"),
            "`psk` names file [WS]/other/k.psk, outside VPNFORM_SECRETS_DIR ([WS]/mnt)",
            "move the key file into [WS]/mnt, or keep it in the desired file's directory tree \
             and write its path relative to the desired file",
        ),
        (
            format!("{root}/mnt/../other/k.psk"),
            "`psk` names file [WS]/mnt/../other/k.psk, whose `..` climbs out of VPNFORM_SECRETS_DIR",
            "keep the key file in the desired file's directory tree and write its path relative \
             to the desired file (e.g. `secrets/office.psk`), or in VPNFORM_SECRETS_DIR (a CI \
             secret mount) and write its absolute path",
        ),
        (
            format!("{root}/mnt/linked.psk"),
            "`psk` names file [WS]/mnt/linked.psk, and [WS]/mnt/linked.psk on its way is a \
             symbolic link",
            "replace the link by the file or directory it points to: a link can lead the read \
             of a key anywhere on the machine",
        ),
    ] {
        ws.write("vpnform.yaml", &desired(&file));
        ws.vpnform(&["validate"])
            .env("VPNFORM_SECRETS_DIR", &secrets)
            .code(1)
            .filter(r"\^+", "^^^")
            .filter(r"(?m)^5 \| .*$", "5 | [LINE]")
            .stderr(format!(
                "error: vpnform.yaml:5:57: {message}\n  |\n5 | [LINE]\n  | {}^^^\n  = help: \
                 {help}\n",
                " ".repeat(56)
            ))
            .run();
    }
}

// ---- the API client ----

/// Regression (#20.6): the client followed a 3xx from the endpoint, sending the signed
/// request (and any STS token) wherever the redirect pointed. A redirect is an error
/// naming the endpoint, and its target hears nothing.
#[test]
fn a_redirect_from_the_endpoint_was_followed() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_url = format!("http://{}/", target.local_addr().unwrap());
    target.set_nonblocking(true).unwrap();
    let redirector = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", redirector.local_addr().unwrap());
    let answers = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = answers.clone();
    std::thread::spawn(move || {
        for stream in redirector.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {target_url}\r\nContent-Length: 0\r\n\
                     Connection: close\r\n\r\n"
                )
                .as_bytes(),
            );
        }
    });
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "example-secret");
    let out = run_bounded(&ws, &["plan", "--endpoint", &url], None);
    assert_err(
        &out,
        &format!(
            "{NO_STATE}error: cannot refresh from the cloud: ListIpsecServers failed: \
             vpnform.Redirected (HTTP 302): the endpoint {url} answered with a redirect; \
             vpnform follows no redirect, since a \
             request carries its signature: check that the endpoint is the VPC API \
             (`--endpoint`, VPNFORM_ENDPOINT)\n"
        ),
    );
    assert_eq!(answers.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        matches!(target.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the redirect's target was connected to"
    );
}

// ---- the smaller routes ----

/// Regression (#20.8): `sandbox serve --listen 0.0.0.0:0` served the emulator, which
/// takes the key pair it prints, on every interface.
#[test]
fn sandbox_listened_beyond_loopback() {
    let ws = Workspace::new();
    for (listen, shown) in [
        ("0.0.0.0:0", "0.0.0.0:0"),
        ("[::]:8765", "[::]:8765"),
        ("192.0.2.1:0", "192.0.2.1:0"),
    ] {
        assert_err(
            &run_bounded(&ws, &["sandbox", "serve", "--listen", listen], None),
            &format!(
                "error: --listen {shown}: not a loopback address; the sandbox serves plain http \
                 and takes the key pair it prints, so it listens on this machine only: use \
                 `127.0.0.1:{port}` or `[::1]:{port}`\n",
                port = shown.rsplit(':').next().unwrap()
            ),
        );
    }
    assert_err(
        &run_bounded(
            &ws,
            &["sandbox", "serve", "--listen", "example.com:80"],
            None,
        ),
        "error: --listen example.com:80: not an address and port; write a loopback one, e.g. \
         `127.0.0.1:8765`, `[::1]:8765` or `127.0.0.1:0` (any free port)\n",
    );
}

/// Regression (#20.8): a `state` directory committed as a link (`state -> /elsewhere`)
/// made every write (state, lock, backup) land wherever it pointed.
#[test]
fn a_state_directory_that_is_a_link_took_the_writes_elsewhere() {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .file("elsewhere/keep", "");
    symlink("elsewhere", ws.path().join("state")).unwrap();
    let message = "error: refusing to use the state directory state: state on its path is a \
                   symbolic link (to elsewhere). vpnform never reads or writes through a linked \
                   directory in the working tree: a link committed to a checkout could send the \
                   state, its lock and its backup anywhere. Replace the link by the directory it \
                   points to, or name the real directory (`--state DIR`).\n";
    for args in [
        &["apply", "--auto-approve", "--sandbox"][..],
        &["plan", "--offline"],
        &["state", "list"],
        &["validate"],
    ] {
        ws.vpnform(args).code(1).stderr(message).run();
    }
    // A link further up a relative path is refused too.
    std::fs::create_dir_all(ws.path().join("elsewhere/inner")).unwrap();
    symlink("elsewhere", ws.path().join("up")).unwrap();
    ws.vpnform(&[
        "apply",
        "--auto-approve",
        "--sandbox",
        "--state",
        "up/inner",
    ])
    .code(1)
    .stderr(
        message
            .replace("directory state: state on", "directory up/inner: up on")
            .as_str(),
    )
    .run();
    let mut left: Vec<String> = std::fs::read_dir(ws.path().join("elsewhere"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["inner", "keep"],
        "nothing was written through the link"
    );
}

/// Regression (#20.8): `schema: public` (or `pg_catalog`, `information_schema`, a
/// reserved key word) was accepted, and vpnform's tables went among PostgreSQL's or
/// another application's. `validate` refuses it before any connection.
#[test]
fn postgres_schema_public_was_accepted() {
    let ws = Workspace::new()
        // Were a connection tried, it would say so: nothing listens on port 1.
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", "1");
    let system = "is a schema PostgreSQL keeps for itself (`public`, `information_schema`, \
                  `pg_*`)\n  |\n3 |   postgres: { schema: NAME }\n  |                       \
                  CARETS\n  = help: name a schema of vpnform's own, e.g. `vpnform_prod`: vpnform \
                  creates its tables in the schema, and never among another's\n";
    let key_word = "is a PostgreSQL reserved key word, not a schema name\n  |\n3 |   postgres: \
                    { schema: NAME }\n  |                       CARETS\n  = help: name a schema \
                    of vpnform's own, e.g. `vpnform_prod` (PostgreSQL's documentation lists the \
                    reserved key words in its appendix \"SQL Key Words\")\n";
    for (name, message) in [
        ("public", system),
        ("information_schema", system),
        ("pg_catalog", system),
        ("pg_temp_1", system),
        ("select", key_word),
        ("user", key_word),
        ("authorization", key_word),
    ] {
        ws.write(
            "vpnform.yaml",
            &format!(
                "version: 1\nbackend:\n  postgres: {{ schema: {name} }}\nipsec_servers:\n  \
                 office: {{id: iss-a1, vpn_gateway: vpn-a1, region: cn-hangzhou}}\n"
            ),
        );
        ws.vpnform(&["validate"])
            .code(1)
            .stderr(format!(
                "error: vpnform.yaml:3:23: `{name}` {}",
                message
                    .replace("NAME", name)
                    .replace("CARETS", &"^".repeat(name.len()))
            ))
            .run();
    }
}

/// Regression (#20.8): `serial: "12"` and `serial: 0x10` were read as the numbers 12 and
/// 16, so a hand edit could make a stale saved plan look current. The serial is read
/// only as vpnform writes it, decimal digits.
#[test]
fn a_quoted_or_hexadecimal_serial_was_read_as_a_number() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    for written in ["\"12\"", "0x10", "'12'", "+12", "1_2"] {
        ws.write(
            "state/vpnform.state.yaml",
            &format!(
                "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: \
                 {written}\nresources: {{}}\npending: []\n"
            ),
        );
        let message = format!(
            "error: state/vpnform.state.yaml:3:9: `serial: {written}` is not written as an \
             integer: vpnform writes the serial in decimal digits (`serial: 12`), and a serial \
             tells a stale plan from a current one, so it is read only as written\n  |\n3 | \
             serial: {written}\n  |         ^\nvpnform left the file untouched and will not \
             overwrite it. Restore a good copy from version control (`git log -p -- \
             state/vpnform.state.yaml`) or from state/vpnform.state.yaml.backup (written by \
             `vpnform state rm`), then run the command again.\n"
        );
        for args in [
            &["plan", "--offline"][..],
            &["state", "list"],
            &["validate"],
        ] {
            ws.vpnform(args).code(1).stderr(message.as_str()).run();
        }
    }
}

/// Regression (#20.8): a bad `--endpoint` (plain http to another machine) was found only
/// when the client was built, after the credentials and every pre-shared key had been
/// read. It is now the first thing an online command checks.
#[test]
fn a_bad_endpoint_was_checked_after_the_secrets_were_read() {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\nipsec_servers:\n  office: {id: iss-a1, vpn_gateway: vpn-a1, region: \
             cn-hangzhou, psk: {file: office.psk}}\n",
        )
        // Were either read, it would be refused: a FIFO key file, a broken profile.
        .file("home/.aliyun/config.json", "{not json");
    mkfifo(&ws.path().join("office.psk"));
    let message = "error: --endpoint `http://10.0.0.1:8080` uses plain http to a host that is \
                   not this machine; use https:// (http:// is accepted only for 127.0.0.0/8, \
                   ::1 and localhost)\n";
    for args in [
        &["plan"][..],
        &["apply", "--auto-approve"],
        &["import"],
        &["plan", "--refresh-only"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--endpoint", "http://10.0.0.1:8080"]);
        assert_err(&run_bounded(&ws, &args, None), message);
    }
    assert!(!ws.exists("state"), "nothing was locked or written");
}

/// Regression (#20.8): an address's name had no length limit: a 100,000-character entry
/// name (in the desired file, the state, `state mv`, `--target`) went into every plan
/// line, the state and the hash. A name has at most 255 characters, everywhere.
#[test]
fn an_address_name_of_any_length_was_accepted() {
    let long = "a".repeat(256);
    let longest = "b".repeat(255);
    // Quoted as every long value is: its first 60 characters.
    let shown = format!("{}… (209 more characters)", "a".repeat(47));
    let state = |name: &str| {
        format!(
            "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 1\nresources:\n  \
             ipsec_server.{name}:\n    id: iss-a1\n    region: cn-hangzhou\n    vpn_gateway: \
             vpn-a1\npending: []\n"
        )
    };
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &format!(
                "version: 1\nipsec_servers:\n  {long}: {{id: iss-a1, vpn_gateway: vpn-a1, region: \
                 cn-hangzhou}}\n"
            ),
        )
        .file("state/vpnform.state.yaml", &state("x"));
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "error: vpnform.yaml:3:3: the name `{}… (196 more characters)` of an entry of \
             `ipsec_servers` has 256 characters, and a name has at most 255\n",
            "a".repeat(60)
        )),
        "{}",
        out.stderr
    );
    ws.write(
        "vpnform.yaml",
        &format!(
            "version: 1\nipsec_servers:\n  {longest}: {{id: iss-a1, vpn_gateway: vpn-a1, region: \
             cn-hangzhou}}\n"
        ),
    );
    ws.vpnform(&["validate"])
        .stdout("Success! The configuration is valid.\n")
        .run();
    let address_error = format!(
        "`ipsec_server.{shown}` is not a resource address: its name has 256 characters, and a \
         name has at most 255"
    );
    let target = format!("ipsec_server.{long}");
    let out = ws.run(&["plan", "--offline", "--target", &target]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains(&address_error), "{}", out.stderr);
    let out = ws.run(&["state", "mv", "ipsec_server.x", &target]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            format!("error: {address_error}. Nothing was changed.\n").as_str()
        ),
        "{out:?}"
    );
    ws.write("state/vpnform.state.yaml", &state(&long));
    let out = ws.run(&["state", "list"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("its name has 256 characters, and a name has at most 255"),
        "{}",
        out.stderr
    );
}
