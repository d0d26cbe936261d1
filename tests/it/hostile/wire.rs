//! Hostile inputs: the sandbox's wire, API bodies, flags and credentials.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use vpnform::cloud::sign;
use vpnform::sandbox::{self, SandboxConfig, World};

#[allow(unused_imports)]
use crate::support::*;

/// What `plan` says before it reaches the cloud, in a workspace without a state.
const NO_STATE: &str = "No recorded state at state/vpnform.state.yaml: desired servers with an id will be adopted, those without one created.\n";

const DESIRED: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  office:\n    id: iss-a1\n    vpn_gateway: vpn-a1\n";

/// A reqwest client (reqwest is built without a default crypto provider).
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The sandbox serving one server, `iss-a1` on `vpn-a1`.
fn background(config: SandboxConfig) -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-a1", "cn-hangzhou");
    world.add_server("iss-a1", "vpn-a1", "cn-hangzhou");
    Cloud::start(config, world)
}

/// One request with a blocking client: status and decoded JSON body.
fn send(bg: &Cloud, method: &str, path_and_query: &str) -> (u16, Value, Option<String>) {
    let url = format!("{}{}", bg.url().trim_end_matches('/'), path_and_query);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    bg.runtime().block_on(async move {
        let res = http().request(method, url).send().await.expect("send");
        let status = res.status().as_u16();
        let header_id = res
            .headers()
            .get("x-acs-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body, header_id)
    })
}

/// A query with the common parameters plus `extra`, signed for `method` with the
/// sandbox's default key.
fn signed(method: &str, action: &str, extra: &[(&str, &str)]) -> String {
    let nonce = uuid::Uuid::new_v4().to_string();
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("Action", action),
        ("Version", "2016-04-28"),
        ("Format", "JSON"),
        ("AccessKeyId", sandbox::DEFAULT_ACCESS_KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", &nonce),
        ("Timestamp", &now),
    ];
    params.extend_from_slice(extra);
    let query = sign::canonical_query(params.iter().copied());
    let sig = sign::signature(
        sandbox::DEFAULT_ACCESS_KEY_SECRET,
        &sign::string_to_sign(method, &query),
    );
    format!("{query}&Signature={}", sign::percent_encode(&sig))
}

/// Asserts an Alibaba-shaped error: status, code, message, and a RequestId that is the
/// header's.
fn assert_api_error(reply: (u16, Value, Option<String>), status: u16, code: &str, message: &str) {
    let (got_status, body, header_id) = reply;
    assert_eq!(got_status, status, "{body}");
    assert_eq!(body["Code"], code, "{body}");
    assert_eq!(body["Message"], message, "{body}");
    let id = body["RequestId"].as_str().expect("a RequestId");
    assert_eq!(Some(id), header_id.as_deref());
    assert_eq!(
        body["Recommend"],
        format!("https://api.aliyun.com/troubleshoot?q={code}&product=Vpc&requestId={id}")
    );
}

/// Runs the binary, killing it if it has not ended after `limit`. Returns the output
/// and how long it ran.
fn run_bounded(ws: &Workspace, args: &[&str], limit: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = ws
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "vpnform {args:?} still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let elapsed = start.elapsed();
    (
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        elapsed,
    )
}

// ---- flags ----

/// Regression: `--parallelism 0` was silently raised to 1, and a huge one panicked in
/// tokio's semaphore (exit 101).
#[test]
fn parallelism_zero_was_raised_to_one_and_a_huge_one_panicked() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    for n in ["0", "18446744073709551615", "1001"] {
        let out = ws.run(&["plan", "--sandbox", "--parallelism", n]);
        assert_eq!(out.code, 1, "{out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "error: invalid value '{n}' for '--parallelism <N>': `{n}` is not a number of requests from 1 to 1000\n\nFor more information, try '--help'.\n"
            )
        );
        assert_eq!(out.stdout, "");
    }
    let out = ws.run(&["plan", "--sandbox", "--parallelism", "1000"]);
    assert_eq!(out.code, 0, "{out:?}");
}

/// Regression: durations had no upper bound, and `--sandbox-configure-time 100000000h`
/// overflowed `Instant + Duration` (a panic) at the first delete.
#[test]
fn a_duration_beyond_a_week_overflowed_the_clock() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    let out = ws.run(&[
        "plan",
        "--sandbox",
        "--sandbox-configure-time",
        "100000000h",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: invalid value '100000000h' for '--sandbox-configure-time <DURATION>': `100000000h` is too long: at most 168h (a week)\n\nFor more information, try '--help'.\n"
    );
    let out = ws.run(&["plan", "--offline", "--lock-timeout", "169h"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.starts_with("error: invalid value '169h' for '--lock-timeout <DURATION>': `169h` is too long: at most 168h (a week)\n"), "{}", out.stderr);
}

/// Regression: `sandbox serve --rate-limit 1e-300` started, then panicked computing a
/// retry-after longer than a `Duration` holds; `inf` meant no limit.
#[test]
fn a_tiny_sandbox_rate_limit_panicked_on_the_second_call() {
    let ws = Workspace::new();
    for rate in ["1e-300", "inf", "DeleteIpsecServer=0", "NaN"] {
        let (out, _) = run_bounded(
            &ws,
            &[
                "sandbox",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--rate-limit",
                rate,
            ],
            Duration::from_secs(30),
        );
        assert_eq!(out.code, 1, "{out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "error: invalid value '{rate}' for '--rate-limit <[ACTION=]N>': `{rate}`: write N or ACTION=N, with N requests a second from 0.001 to 1000000\n\nFor more information, try '--help'.\n"
            )
        );
    }
}

// ---- the sandbox's wire ----

/// Regression: once signed, any method and any path was served.
#[test]
fn the_sandbox_served_any_method_and_path() {
    let bg = background(SandboxConfig::default());
    let query = signed("PUT", "DescribeVpnGateways", &[("RegionId", "cn-hangzhou")]);
    assert_api_error(
        send(&bg, "PUT", &format!("/?{query}")),
        405,
        "UnsupportedHTTPMethod",
        "The HTTP method PUT is not supported: call the API with GET or POST on /.",
    );
    let query = signed(
        "DELETE",
        "DescribeVpnGateways",
        &[("RegionId", "cn-hangzhou")],
    );
    assert_eq!(send(&bg, "DELETE", &format!("/?{query}")).0, 405);
    let query = signed("GET", "DescribeVpnGateways", &[("RegionId", "cn-hangzhou")]);
    assert_api_error(
        send(&bg, "GET", &format!("/admin/x?{query}")),
        404,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method: the API is served on / only.",
    );
    // The same signed call on `/` is served.
    let query = signed("GET", "DescribeVpnGateways", &[("RegionId", "cn-hangzhou")]);
    assert_eq!(send(&bg, "GET", &format!("/?{query}")).0, 200);
}

/// Sends `request` on a fresh connection and reads the answer to its end: status,
/// the `x-acs-request-id` header and the JSON body.
fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> (u16, Value, Option<String>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request).unwrap();
    let (_, answer) = closed_within(&mut stream, Duration::from_secs(10));
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head[9..12].parse().unwrap();
    let request_id = head
        .lines()
        .find_map(|l| l.strip_prefix("x-acs-request-id: "))
        .map(str::to_owned);
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(answer.clone()));
    (status, body, request_id)
}

/// Regression: a 1 MB query got a bare 431 (hyper's), not an answer in Alibaba's shape.
/// The `http` crate cannot even hold a URI over 64 KiB, so the line is bounded on the
/// socket, before hyper parses it.
#[test]
fn a_one_megabyte_query_got_a_bare_431() {
    let bg = background(SandboxConfig::default());
    let addr = bg.sandbox().addr();
    let message = "The request has a line (its query string, a header or a form body) longer than 65536 bytes.";
    for size in [1024 * 1024, 70 * 1024] {
        let padding = "x".repeat(size);
        let query = signed(
            "GET",
            "DescribeVpnGateways",
            &[("RegionId", "cn-hangzhou"), ("Pad", &padding)],
        );
        let request = format!("GET /?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assert_api_error(
            raw_exchange(addr, request.as_bytes()),
            400,
            "InvalidParameter",
            message,
        );
    }
    // A header line, and a form body without line breaks, are lines too.
    let long = "y".repeat(100 * 1024);
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: {long}\r\n\r\n");
    assert_api_error(
        raw_exchange(addr, request.as_bytes()),
        400,
        "InvalidParameter",
        message,
    );
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\nPad={long}",
        long.len() + 4
    );
    assert_api_error(
        raw_exchange(addr, request.as_bytes()),
        400,
        "InvalidParameter",
        message,
    );
    // Just under the bound, the call is served.
    let padding = "x".repeat(60 * 1024);
    let query = signed(
        "GET",
        "DescribeVpnGateways",
        &[("RegionId", "cn-hangzhou"), ("Pad", &padding)],
    );
    let request = format!("GET /?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert_eq!(raw_exchange(addr, request.as_bytes()).0, 200);
}

/// Regression: `%ZZ` in a parameter was decoded as the three characters and answered
/// `SignatureDoesNotMatch`, sending the user after their secret.
#[test]
fn malformed_percent_encoding_was_a_signature_mismatch() {
    let bg = background(SandboxConfig::default());
    let query = signed("GET", "DescribeVpnGateways", &[("RegionId", "cn-hangzhou")]);
    for bad in ["Name=%ZZ", "Name=50%", "Name=%4"] {
        let shown = &bad[bad.find('%').unwrap()..];
        assert_api_error(
            send(&bg, "GET", &format!("/?{bad}&{query}")),
            400,
            "InvalidParameter",
            &format!(
                "A parameter has a malformed percent-encoding `{shown}`: `%` must be followed by two hex digits."
            ),
        );
    }
}

/// Reads from `stream` until the server closes it; panics if it has not after `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> (Duration, String) {
    let start = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the connection was still open after {:?} ({e}); read: {}",
                start.elapsed(),
                String::from_utf8_lossy(&got)
            ),
        }
        assert!(start.elapsed() < limit, "still open after {limit:?}");
    }
    (start.elapsed(), String::from_utf8_lossy(&got).into_owned())
}

/// Regression: no read timeout: a client sending half a request line, half the headers
/// or half a form body held its connection (and a server task) forever.
#[test]
fn a_slowloris_connection_was_held_forever() {
    let bg = background(SandboxConfig {
        read_timeout: Duration::from_millis(300),
        ..SandboxConfig::default()
    });
    let addr = bg.sandbox().addr();
    for partial in [
        "GET /?Action=DescribeVpn".to_owned(),
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a".to_owned(),
    ] {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(partial.as_bytes()).unwrap();
        let (took, _) = closed_within(&mut stream, Duration::from_secs(5));
        assert!(took >= Duration::from_millis(250), "{took:?}");
    }
    // A form body that stops halfway gets an answer in Alibaba's shape, then the close.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=Describe")
        .unwrap();
    let (_, answer) = closed_within(&mut stream, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.contains("\"Code\":\"RequestTimeout\"")
            && answer.contains("\"Message\":\"The request body did not arrive within 0.3s.\""),
        "{answer}"
    );
}

/// Reads the child's stdout up to the `export VPNFORM_ENDPOINT=` line.
fn endpoint_from(stdout: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "stdout ended");
        if let Some(url) = line.trim().strip_prefix("export VPNFORM_ENDPOINT=") {
            return url.to_owned();
        }
    }
}

/// Regression: CR/LF in a parameter (signed or not) went raw into `sandbox serve`'s
/// call log, so a request could write whole fake lines into it. The audit file (JSON
/// lines) must stay one line per effect too.
#[test]
fn crlf_in_a_parameter_forged_lines_in_the_sandbox_log() {
    let ws = Workspace::new().file(
        "world.yaml",
        "vpn_gateways:\n  vpn-a:\n    region: cn-hangzhou\nipsec_servers:\n  iss-a:\n    vpn_gateway: vpn-a\n",
    );
    let mut child = ws
        .command(&[
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--world",
            "world.yaml",
            "--audit",
            "audit.jsonl",
            "--configure-time",
            "10ms",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let url = endpoint_from(&mut stdout);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let send = |query: String| {
        runtime.block_on(async {
            http()
                .get(format!("{url}?{query}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    // Unsigned: refused, but logged.
    let forged = "Action=DescribeVpnGateways&Note=x%0D%0ADeleteIpsecServer%20-%3E%20200%20OK%20%5BFAKE%5D%1B%5B2K%E2%80%AE";
    assert_eq!(send(forged.to_owned()), 400);
    // Signed, with a ClientToken that carries a line break into the audit file.
    let token = "tok\r\n{\"action\":\"forged\"}";
    let query = signed(
        "GET",
        "DeleteIpsecServer",
        &[
            ("RegionId", "cn-hangzhou"),
            ("IpsecServerId", "iss-a"),
            ("ClientToken", token),
        ],
    );
    assert_eq!(send(query), 200);
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log: Vec<&str> = stderr.lines().collect();
    assert!(
        !log.iter()
            .any(|l| l.starts_with("DeleteIpsecServer -> 200 OK [FAKE]")),
        "{stderr}"
    );
    let refused = log
        .iter()
        .find(|l| l.starts_with("DescribeVpnGateways -> 400 MissingParameter"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        refused.ends_with(
            " Action=DescribeVpnGateways Note=x\\r\\nDeleteIpsecServer -> 200 OK [FAKE]\\u{1b}[2K\\u{202e}"
        ),
        "{refused}"
    );
    let deleted = log
        .iter()
        .find(|l| l.starts_with("DeleteIpsecServer -> 200 OK"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        deleted.contains(" ClientToken=tok\\r\\n{\"action\":\"forged\"}"),
        "{deleted}"
    );
    let audit = ws.read("audit.jsonl");
    assert_eq!(audit.lines().count(), 1, "{audit}");
    let entry: Value = serde_json::from_str(audit.lines().next().unwrap()).unwrap();
    assert_eq!(entry["client_token"], token);
}

// ---- API answers ----

/// A server that answers every request with `head` and then `total` bytes of spaces,
/// until the client hangs up. Returns its URL.
fn flood_server(head: &'static str, total: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let mut sent = 0u64;
                while sent < total {
                    if stream.write_all(&chunk).is_err() {
                        return;
                    }
                    sent += chunk.len() as u64;
                }
            });
        }
    });
    url
}

/// Regression: a hostile endpoint's 300 MB answer was read whole (1.25 GB of memory)
/// before anything looked at it. Bodies are read up to 4 MiB, with or without a
/// Content-Length.
#[test]
fn a_300mb_answer_was_read_whole() {
    const SIZE: u64 = 300 * 1024 * 1024;
    let with_length: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {SIZE}\r\n\r\n"
        )
        .into_boxed_str(),
    );
    let streamed = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    for head in [with_length, streamed] {
        let url = flood_server(head, SIZE);
        let ws = Workspace::new()
            .file("vpnform.yaml", DESIRED)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "example-secret");
        let (out, took) = run_bounded(&ws, &["plan", "--endpoint", &url], Duration::from_secs(60));
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr.ends_with(&format!(
                "ListIpsecServers failed: vpnform.AnswerTooLarge (HTTP 200): the answer from {url} is larger than 4 MiB, \
                 the most vpnform reads from the VPC API; check that the endpoint is the VPC API\n"
            )),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("example-secret"));
        assert!(took < Duration::from_secs(30), "{took:?}");
    }
}

// ---- credentials ----

fn credentials_workspace(bg: &Cloud) -> Workspace {
    Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .env("VPNFORM_ENDPOINT", &bg.url())
}

const WRONG_PROFILE: &str = r#"{"current": "default", "profiles": [
  {"name": "default", "mode": "AK", "access_key_id": "LTAIprofile", "access_key_secret": "profile-secret"}
]}"#;

/// Regression (#10 item 11): `ALIBABA_CLOUD_PROFILE` was bound to `--profile`, so with
/// keys in the environment and `ALIBABA_CLOUD_PROFILE=default` the profile's keys won and
/// messages said "(--profile)". The documented order (docs/credentials.md) holds now: the environment's keys
/// first unless `--profile` is typed; messages say where the profile name came from.
#[test]
fn alibaba_cloud_profile_beat_the_environment_keys() {
    let bg = background(SandboxConfig::default());
    let ws = credentials_workspace(&bg)
        .file("home/.aliyun/config.json", WRONG_PROFILE)
        .env("ALIBABA_CLOUD_PROFILE", "default")
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            sandbox::DEFAULT_ACCESS_KEY_ID,
        )
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            sandbox::DEFAULT_ACCESS_KEY_SECRET,
        );
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");

    // Typed on the command line, the profile wins over the environment.
    let out = ws.run(&["plan", "--profile", "default"]);
    assert_eq!(out.code, 1, "{out:?}");
    let config = ws.path().join("home/.aliyun/config.json");
    assert!(
        out.stderr.contains(&format!(
            "hint: AccessKey ID LTAIprofile (from {} profile `default` (--profile)) is unknown or disabled",
            config.display()
        )),
        "{}",
        out.stderr
    );

    // Without keys in the environment, the variable names the profile, and says so.
    let ws = credentials_workspace(&bg)
        .file("home/.aliyun/config.json", WRONG_PROFILE)
        .env("ALIBABA_CLOUD_PROFILE", "prod");
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    let home = ws.path().join("home");
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: profile `prod` (ALIBABA_CLOUD_PROFILE) was not found; looked at:\n\
             \x20 - environment: ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET not set\n\
             \x20 - environment: ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY not set\n\
             \x20 - {h}/.aliyun/config.json: no profile `prod`\n\
             \x20 - {h}/.alibabacloud/credentials: no such file\n",
            h = home.display()
        )
    );
}

/// Regression: `access_key_secret = abc ; comment` signed with `abc ; comment`.
#[test]
fn an_ini_inline_comment_was_kept_in_the_secret() {
    let bg = background(SandboxConfig::default());
    let ws = credentials_workspace(&bg).file(
        "home/.alibabacloud/credentials",
        "[default]\ntype = access_key # the only type\naccess_key_id = sandbox\naccess_key_secret = sandbox-secret ; rotated 2024-05\n",
    );
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
}

fn credentials_error(files: &[(&str, &[u8])], args: &[&str]) -> (Output, std::path::PathBuf) {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .env("VPNFORM_ENDPOINT", "http://127.0.0.1:9/");
    for (path, bytes) in files {
        let p = ws.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let (out, _) = run_bounded(&ws, args, Duration::from_secs(60));
    (out, ws.path().join("home"))
}

/// Regression: two `[default]` sections: the last won, where two config.json profiles
/// of one name: the first won. Both are refused now, at the duplicate's line.
#[test]
fn duplicate_credentials_sections_and_profiles_were_resolved_silently() {
    let ini = b"[default]\naccess_key_id = LTAIone\naccess_key_secret = one\n\n  [default]\naccess_key_id = LTAItwo\naccess_key_secret = two\n";
    let (out, home) = credentials_error(&[("home/.alibabacloud/credentials", ini)], &["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: {}/.alibabacloud/credentials:5:3: section [default] appears twice (first at line 1); merge them or remove one\n",
            home.display()
        )
    );

    let ini =
        b"[default]\naccess_key_id = LTAIone\naccess_key_secret = one\naccess_key_id = LTAItwo\n";
    let (out, home) = credentials_error(&[("home/.alibabacloud/credentials", ini)], &["plan"]);
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: {}/.alibabacloud/credentials:4:1: `access_key_id` is set twice in section [default] (first at line 2); remove one\n",
            home.display()
        )
    );

    let json = br#"{"current": "default", "profiles": [
  {"name": "default", "access_key_id": "LTAIone", "access_key_secret": "one"},
  {"name": "other", "access_key_id": "LTAIx", "access_key_secret": "x"},
    {"name":"default", "access_key_id": "LTAItwo", "access_key_secret": "two"}
]}"#;
    let (out, home) = credentials_error(&[("home/.aliyun/config.json", json)], &["plan"]);
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: {}/.aliyun/config.json:4:6: a second profile named `default` (the first is at line 2); rename or remove one\n",
            home.display()
        )
    );
}

/// Regression: `type = ram_role_arn` was reported as an unsupported "mode", without a
/// line or what is supported.
#[test]
fn an_unsupported_ini_type_was_called_a_mode() {
    let ini = b"# work account\n[default]\n  type = ram_role_arn\naccess_key_id = LTAIx\naccess_key_secret = x\nrole_arn = acs:ram::1:role/r\n";
    let (out, home) = credentials_error(&[("home/.alibabacloud/credentials", ini)], &["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: {}/.alibabacloud/credentials:3:3: section [default] has `type = ram_role_arn`, a credential type vpnform does not support; use `type = access_key` with access_key_id and access_key_secret\n",
            home.display()
        )
    );
}

/// Regression: a credentials file that is not UTF-8 got an error with no line or column.
#[test]
fn a_non_utf8_credentials_file_had_no_location() {
    let ini = b"[default]\naccess_key_id = LTAI\xc3\xa9x\naccess_key_secret = s\xffcret\n";
    let (out, home) = credentials_error(&[("home/.alibabacloud/credentials", ini)], &["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: {}/.alibabacloud/credentials:3:22: not UTF-8 text (byte 0xFF); save the file as UTF-8\n",
            home.display()
        )
    );
}

/// Regression: credentials files were read whole, whatever their size:
/// `ALIBABA_CLOUD_CREDENTIALS_FILE=/dev/zero` read until out of memory.
#[test]
fn a_credentials_file_of_dev_zero_was_read_until_out_of_memory() {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .env("VPNFORM_ENDPOINT", "http://127.0.0.1:9/")
        .env("ALIBABA_CLOUD_CREDENTIALS_FILE", "/dev/zero");
    let (out, took) = run_bounded(&ws, &["plan"], Duration::from_secs(60));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: /dev/zero is larger than 1048576 bytes, the most a credentials file may hold; is it the right file?\n"
        )
    );
    assert!(took < Duration::from_secs(30), "{took:?}");

    let big = vec![b' '; 2 * 1024 * 1024];
    let (out, home) = credentials_error(&[("home/.aliyun/config.json", &big)], &["plan"]);
    assert_eq!(
        out.stderr,
        format!(
            "{NO_STATE}error: {}/.aliyun/config.json is larger than 1048576 bytes, the most a credentials file may hold; is it the right file?\n",
            home.display()
        )
    );
}

/// Regression: `--endpoint https://user:SECRET@host/` was refused with the password in
/// the message.
#[test]
fn an_endpoint_password_was_echoed() {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "example-secret");
    let out = ws.run(&[
        "plan",
        "--endpoint",
        "https://deploy:hunter2-canary@vpc.example.com/",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: --endpoint `https://deploy:***@vpc.example.com/` has a path, query or credentials; the VPC API is served on `/` (give only scheme, host and port)\n"
        )
    );
}
