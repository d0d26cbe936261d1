//! A throwaway PostgreSQL for the black-box tests of the postgres backend: Debian's
//! `postgresql` package (`initdb` and `pg_ctl` from `/usr/lib/postgresql/*/bin`), a
//! cluster in a temp dir listening on 127.0.0.1 on a free port (and a Unix socket in
//! that dir), started once per test process and stopped when the process ends.
//!
//! The server refuses to run as root, so when the tests run as root (CI does) every
//! server command runs as `nobody` through `runuser`. It is never skipped: a machine
//! without the package fails here, naming the package to install (`.ci/run` installs it).
//!
//! Each test takes its own schema ([`schema`]): one schema is one vpnform state.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The role the tests connect as; its password is made per test process.
pub const USER: &str = "vpnform";

pub struct Server {
    /// The cluster's temp dir (data, socket, log, password file).
    pub dir: PathBuf,
    pub port: u16,
    password: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The test process's server, started on first use.
pub fn server() -> &'static Server {
    SERVER.get_or_init(start)
}

impl Server {
    /// A libpq URL with the password, for `VPNFORM_PG_URL`.
    pub fn url(&self) -> String {
        format!(
            "postgresql://{USER}:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }

    /// The password in the URL: no output of vpnform may ever contain it.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Runs `sql` (one or more statements) and returns the rows of the last one, every
    /// value as text (`None` for NULL).
    pub fn sql(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url();
        let sql = sql.to_string();
        // Tests may call this from inside a runtime (the sandbox's): a thread of its own.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to the test server");
                let conn = tokio::spawn(connection);
                let messages = client
                    .simple_query(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                drop(client);
                let _ = conn.await;
                let mut rows = Vec::new();
                for message in messages {
                    match message {
                        tokio_postgres::SimpleQueryMessage::Row(row) => rows.push(
                            (0..row.len())
                                .map(|i| row.get(i).map(str::to_string))
                                .collect(),
                        ),
                        tokio_postgres::SimpleQueryMessage::CommandComplete(_) => {}
                        _ => {}
                    }
                }
                rows
            })
        })
        .join()
        .expect("the query thread")
    }

    /// The single value `sql` selects.
    pub fn value(&self, sql: &str) -> Option<String> {
        let rows = self.sql(sql);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
        rows[0][0].clone()
    }
}

/// A schema name no other test of this process uses.
pub fn schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "the postgres backend's tests need a PostgreSQL server: no \
             /usr/lib/postgresql/*/bin/initdb here. Install Debian's package \
             (`apt-get install -y postgresql`) and run the tests again."
        ),
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A command for a server program, run as `nobody` when the tests run as root.
fn server_command(program: &Path) -> Command {
    let mut cmd = if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "nobody", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn run(mut cmd: Command, what: &str, log: Option<&Path>) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    if !out.status.success() {
        let log = log
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        panic!(
            "{what} failed ({}):\n{}\n{log}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn start() -> Server {
    let bin = bin_dir();
    let dir = tempfile::Builder::new()
        .prefix("vpnform-pg-")
        .tempdir()
        .expect("temp dir for the test server")
        .keep();
    if is_root() {
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; nobody/nogroup are 65534 on Debian.
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
    }
    let password = uuid::Uuid::new_v4().simple().to_string();
    let pwfile = dir.join("password");
    std::fs::write(&pwfile, &password).unwrap();
    if is_root() {
        let c = std::ffi::CString::new(pwfile.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
    }
    let data = dir.join("data");
    let mut initdb = server_command(&bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", USER, "-E", "UTF8", "--no-sync"])
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()));
    run(initdb, "initdb", None);
    let _ = std::fs::remove_file(&pwfile);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = dir.join("server.log");
    let mut pg_ctl = server_command(&bin.join("pg_ctl"));
    pg_ctl
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "-o"])
        .arg(format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            dir.display()
        ))
        .arg("start");
    run(pg_ctl, "pg_ctl start", Some(&log));
    stop_when_we_exit(&bin, &data, &dir);
    Server {
        dir,
        port,
        password,
    }
}

/// Stops the server and removes its dir once this test process is gone, however it
/// ends (a panic, a signal, the harness's exit): a watchdog in its own process group,
/// with no handle on the test's output, so nothing waits on it.
fn stop_when_we_exit(bin: &Path, data: &Path, dir: &Path) {
    use std::os::unix::process::CommandExt as _;
    let as_server = if is_root() {
        "runuser -u nobody -- "
    } else {
        ""
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         {as_server}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; \
         rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    // Never waited for: it outlives this process by design (that is its job).
    #[allow(clippy::zombie_processes)]
    let _watchdog = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("the test server's watchdog");
}
