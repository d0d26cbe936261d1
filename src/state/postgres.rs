//! The postgres backend: one recorded state in one PostgreSQL schema, for teams and CI
//! runners on several machines (DESIGN.md, "Backends").
//!
//! The schema (made by `vpnform init`, versioned in `schema_version`) holds the state's
//! header (`state`: version, lineage, serial, applying), one row per resource
//! (`resources`) and per journal entry (`pending`), `history` (every serial written, by
//! whom, when) and `lock_holder` (who holds the lock, for the message another run
//! prints). Rows rather than one document: a journal write changes the rows of the
//! entries it changes, so a delete in a 100,000-server state writes a few rows.
//!
//! The lock is a session advisory lock taken on a connection of its own and held for the
//! whole run; the server releases it when the process or the connection dies. Every
//! write is one transaction that checks the serial it started from and that this run
//! still holds the lock, so a writer that lost its lock never overwrites a newer state.
//!
//! The connection comes from `VPNFORM_PG_URL` or the standard `PG*` variables, never
//! from a file; messages show it without its password.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::{Client, Config};

use super::backend::{Backend, Held};
use super::error::PgError;
use super::error::StateError;
use super::holder::{LockHolder, github_actor, host_name, user_name};
use super::location::Location;
use super::lock::LockStatus;
use super::model::{PendingOp, Resource, STATE_VERSION, State};
use super::wait::wait_for;

/// The schema layout this vpnform writes; a later vpnform migrates from it.
pub(crate) const SCHEMA_VERSION: i32 = 1;

/// The connection settings and how messages name them.
#[derive(Clone)]
pub(crate) struct Connection {
    config: Config,
    /// `postgresql://user@host:port/db`: never the password.
    pub target: String,
    /// `VPNFORM_PG_URL` or `PG* variables`.
    pub from: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection({})", self.target)
    }
}

/// libpq's `verify-ca` and `verify-full` are what vpnform always does under TLS
/// (certificates checked against the platform's roots), so they mean `require` here.
fn ssl_mode(mode: &str) -> &str {
    match mode {
        "verify-ca" | "verify-full" => "require",
        other => other,
    }
}

impl Connection {
    /// The connection from `VPNFORM_PG_URL`, else from the `PG*` variables, else `None`.
    pub(crate) fn from_env(schema: &str) -> Result<Connection, PgError> {
        Connection::from_vars(schema, |k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    fn from_vars(
        schema: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Connection, PgError> {
        let bad = |variable: &str, message: String| PgError::BadConnection {
            variable: variable.into(),
            message,
        };
        let (config, from) = if let Some(url) = var("VPNFORM_PG_URL") {
            let url = url
                .replace("sslmode=verify-full", "sslmode=require")
                .replace("sslmode=verify-ca", "sslmode=require");
            let config: Config = url
                .parse()
                .map_err(|e: tokio_postgres::Error| bad("VPNFORM_PG_URL", e.to_string()))?;
            (config, "VPNFORM_PG_URL".to_string())
        } else {
            const VARS: [&str; 6] = [
                "PGHOST",
                "PGPORT",
                "PGUSER",
                "PGPASSWORD",
                "PGDATABASE",
                "PGSSLMODE",
            ];
            if VARS.iter().all(|v| var(v).is_none()) {
                return Err(PgError::NoConnection {
                    schema: schema.into(),
                });
            }
            let mut config = Config::new();
            config.host(var("PGHOST").as_deref().unwrap_or("localhost"));
            if let Some(port) = var("PGPORT") {
                config.port(
                    port.parse()
                        .map_err(|_| bad("PGPORT", format!("`{port}` is not a port number")))?,
                );
            }
            let user = var("PGUSER")
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "postgres".into());
            config.user(&user);
            if let Some(password) = var("PGPASSWORD") {
                config.password(password);
            }
            config.dbname(var("PGDATABASE").as_deref().unwrap_or(&user));
            if let Some(mode) = var("PGSSLMODE") {
                let text = format!("sslmode={}", ssl_mode(&mode));
                let parsed: Config = text
                    .parse()
                    .map_err(|_| bad("PGSSLMODE", format!("`{mode}` is not an sslmode")))?;
                config.ssl_mode(parsed.get_ssl_mode());
            }
            (config, "the PG* variables".to_string())
        };
        let target = describe(&config);
        Ok(Connection {
            config,
            target,
            from,
        })
    }

    async fn connect(&self) -> Result<Client, PgError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let connect_err = |message: String| PgError::Connect {
            target: self.target.clone(),
            from: self.from.clone(),
            message,
        };
        use rustls_platform_verifier::ConfigVerifierExt as _;
        let tls = rustls::ClientConfig::with_platform_verifier()
            .map_err(|e| connect_err(format!("cannot set up TLS: {e}")))?;
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
        let mut config = self.config.clone();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("vpnform");
        }
        let (client, connection) = config
            .connect(tls)
            .await
            .map_err(|e| connect_err(error_text(&e)))?;
        tokio::spawn(async move {
            // The connection's end is seen by the next query on the client.
            let _ = connection.await;
        });
        Ok(client)
    }
}

/// `postgresql://user@host:port/db`, the password left out.
fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    let at = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    format!("postgresql://{at}{host}:{port}/{db}")
}

/// A database error as text: the server's message (and detail), else the client's.
fn error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

/// The process's runtime for database I/O: the backend's calls are synchronous (the
/// state interface is), and may come from inside another runtime, so the queries run
/// here and the caller waits for the answer.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("vpnform-postgres")
            .enable_all()
            .build()
            .expect("a runtime for the postgres backend")
    })
}

fn block<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .expect("the postgres runtime runs every task to its end")
}

/// The advisory lock key of `schema`: the first 8 bytes of SHA-256 of its name.
fn lock_key(schema: &str) -> i64 {
    let digest = Sha256::digest(format!("vpnform state lock:{schema}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The `pg_locks` condition for the advisory lock with `key` (a bigint key is stored as
/// its high and low 32 bits in classid and objid, objsubid 1).
fn lock_filter(key: i64) -> String {
    let high = ((key as u64) >> 32) as u32;
    let low = (key as u64 & 0xffff_ffff) as u32;
    format!(
        "locktype = 'advisory' AND classid = {high} AND objid = {low} AND objsubid = 1 AND granted"
    )
}

/// The state in one schema of one database.
pub struct Postgres {
    schema: String,
    connection: Connection,
    client: Arc<Client>,
    /// What this backend last read or wrote: a write checks the stored serial against
    /// it, and changes only the rows that differ from it.
    seen: Mutex<Option<State>>,
    /// The backend pid of the connection that holds this run's lock.
    lock_pid: Arc<Mutex<Option<i32>>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Postgres({} {})", self.connection.target, self.schema)
    }
}

impl Postgres {
    /// Connects for `schema` (already validated by the desired file's reader).
    pub fn connect(schema: &str) -> Result<Postgres, StateError> {
        Postgres::open(schema, Connection::from_env(schema)?)
    }

    /// Connects for `schema` with the libpq URL `url`, as `VPNFORM_PG_URL` would (tests
    /// open two backends on one schema without touching the process's environment).
    pub fn connect_url(schema: &str, url: &str) -> Result<Postgres, StateError> {
        let connection =
            Connection::from_vars(schema, |k| (k == "VPNFORM_PG_URL").then(|| url.to_string()))?;
        Postgres::open(schema, connection)
    }

    fn open(schema: &str, connection: Connection) -> Result<Postgres, StateError> {
        let c = connection.clone();
        let client = block(async move { c.connect().await })?;
        Ok(Postgres {
            schema: schema.to_string(),
            connection,
            client: Arc::new(client),
            seen: Mutex::new(None),
            lock_pid: Arc::default(),
        })
    }

    pub fn target(&self) -> &str {
        &self.connection.target
    }

    fn query_err(&self, e: &tokio_postgres::Error) -> PgError {
        PgError::Query {
            target: self.connection.target.clone(),
            schema: self.schema.clone(),
            message: error_text(e),
        }
    }

    /// `"schema"`, quoted for SQL (the name is a validated identifier).
    fn q(&self) -> String {
        format!("\"{}\"", self.schema)
    }

    /// Creates the schema and its tables if missing (idempotent) and records the layout
    /// version. Run under the lock.
    pub fn init(&self) -> Result<(), StateError> {
        let s = self.q();
        let sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {s};
             CREATE TABLE IF NOT EXISTS {s}.schema_version (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now(),
                 applied_by text NOT NULL);
             CREATE TABLE IF NOT EXISTS {s}.state (
                 one boolean PRIMARY KEY DEFAULT true CHECK (one),
                 version integer NOT NULL,
                 lineage text NOT NULL,
                 serial bigint NOT NULL,
                 applying text);
             CREATE TABLE IF NOT EXISTS {s}.resources (
                 address text PRIMARY KEY,
                 body text NOT NULL);
             CREATE TABLE IF NOT EXISTS {s}.pending (
                 address text PRIMARY KEY,
                 position integer NOT NULL,
                 body text NOT NULL);
             CREATE TABLE IF NOT EXISTS {s}.history (
                 id bigserial PRIMARY KEY,
                 lineage text NOT NULL,
                 serial bigint NOT NULL,
                 written_by text NOT NULL,
                 written_at timestamptz NOT NULL DEFAULT now());
             CREATE TABLE IF NOT EXISTS {s}.lock_holder (
                 one boolean PRIMARY KEY DEFAULT true CHECK (one),
                 holder text NOT NULL,
                 backend_pid integer NOT NULL);
             CREATE TABLE IF NOT EXISTS {s}.rates (
                 one boolean PRIMARY KEY DEFAULT true CHECK (one),
                 body text NOT NULL);"
        );
        let client = self.client.clone();
        let who = writer();
        let insert = format!(
            "INSERT INTO {s}.schema_version (version, applied_by) VALUES ($1, $2) \
             ON CONFLICT (version) DO NOTHING"
        );
        let result = block(async move {
            client.batch_execute(&sql).await?;
            client.execute(&insert, &[&SCHEMA_VERSION, &who]).await
        });
        result.map_err(|e| self.query_err(&e))?;
        self.check_version()?;
        Ok(())
    }

    /// Whether the schema's tables exist, and their layout is one this vpnform reads.
    fn check_version(&self) -> Result<(), StateError> {
        let client = self.client.clone();
        let s = self.q();
        let schema = self.schema.clone();
        let rows = block(async move {
            let exists: bool = client
                .query_one(
                    "SELECT to_regclass(quote_ident($1) || '.schema_version') IS NOT NULL",
                    &[&schema],
                )
                .await?
                .get(0);
            if !exists {
                return Ok(None);
            }
            let version: Option<i32> = client
                .query_one(&format!("SELECT max(version) FROM {s}.schema_version"), &[])
                .await?
                .get(0);
            Ok(Some(version.unwrap_or(0)))
        });
        match rows.map_err(|e: tokio_postgres::Error| self.query_err(&e))? {
            None => Err(PgError::NotInitialized {
                target: self.connection.target.clone(),
                schema: self.schema.clone(),
            }
            .into()),
            Some(v) if v > SCHEMA_VERSION => Err(PgError::NewerSchema {
                target: self.connection.target.clone(),
                schema: self.schema.clone(),
                found: v,
                reads: SCHEMA_VERSION,
            }
            .into()),
            Some(_) => Ok(()),
        }
    }

    /// The holder row, if any.
    fn holder(&self, client: &Arc<Client>) -> Option<LockHolder> {
        let client = client.clone();
        let sql = format!("SELECT holder FROM {}.lock_holder", self.q());
        let text: Option<String> = block(async move {
            client
                .query_opt(&sql, &[])
                .await
                .ok()
                .flatten()
                .map(|r| r.get(0))
        });
        text.and_then(|t| serde_json::from_str(&t).ok())
    }
}

/// Who writes, for `history`: `user@host pid N`, and the GitHub actor of a workflow
/// run (`runner@ci-7 pid 42 (GitHub actor octocat)`).
fn writer() -> String {
    let user = user_name().unwrap_or_else(|| "unknown".into());
    let actor = github_actor()
        .map(|actor| format!(" (GitHub actor {actor})"))
        .unwrap_or_default();
    format!("{user}@{} pid {}{actor}", host_name(), std::process::id())
}

/// The rows of one state, as stored.
struct Rows {
    header: Option<(i32, String, i64, Option<String>)>,
    resources: Vec<(String, String)>,
    pending: Vec<(String, String)>,
}

impl Backend for Postgres {
    fn location(&self) -> Location {
        Location::Schema(self.schema.clone())
    }

    /// The `rates` table's one row (`vpnform init` creates the table; a schema made
    /// before it has none, and the run starts as if nothing was learned), at most
    /// 64 KiB (`files::RATES`) of it.
    fn read_rates(&self) -> Result<Option<Vec<u8>>, String> {
        let client = self.client.clone();
        let limit = crate::files::RATES.limit as i32;
        let sql = format!("SELECT left(body, $1 + 1) FROM {}.rates", self.q());
        let row = block(async move { client.query_opt(&sql, &[&limit]).await });
        let body: Option<String> = row
            .map_err(|e| self.query_err(&e).to_string())?
            .map(|r| r.get(0));
        match body {
            Some(b) if b.len() as u64 > crate::files::RATES.limit => Err(format!(
                "the rates table of postgres schema {} holds more than {} bytes",
                self.schema,
                crate::files::RATES.limit
            )),
            other => Ok(other.map(String::into_bytes)),
        }
    }

    fn write_rates(&self, text: &[u8]) -> Result<(), String> {
        let client = self.client.clone();
        let body = String::from_utf8_lossy(text).into_owned();
        let sql = format!(
            "INSERT INTO {}.rates (body) VALUES ($1) ON CONFLICT (one) DO UPDATE SET body = EXCLUDED.body",
            self.q()
        );
        block(async move { client.execute(&sql, &[&body]).await })
            .map(drop)
            .map_err(|e| self.query_err(&e).to_string())
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        self.check_version()?;
        let client = self.client.clone();
        let s = self.q();
        let rows = block(async move {
            // One snapshot for the three tables.
            client
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
            let header = client
                .query_opt(
                    &format!("SELECT version, lineage, serial, applying FROM {s}.state"),
                    &[],
                )
                .await?
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)));
            let resources = client
                .query(
                    &format!("SELECT address, body FROM {s}.resources ORDER BY address"),
                    &[],
                )
                .await?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let pending = client
                .query(
                    &format!("SELECT address, body FROM {s}.pending ORDER BY position"),
                    &[],
                )
                .await?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            client.batch_execute("COMMIT").await?;
            Ok(Rows {
                header,
                resources,
                pending,
            })
        });
        let rows = rows.map_err(|e: tokio_postgres::Error| self.query_err(&e))?;
        let state = self.assemble(rows)?;
        *self.seen.lock().expect("not poisoned") = state.clone();
        Ok(state)
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        let serial = i64::try_from(state.serial).map_err(|_| PgError::SerialTooLarge {
            schema: self.schema.clone(),
            serial: state.serial,
        })?;
        let seen = self.seen.lock().expect("not poisoned").clone();
        let Some(lock_pid) = *self.lock_pid.lock().expect("not poisoned") else {
            return Err(PgError::LockLost {
                schema: self.schema.clone(),
            }
            .into());
        };
        let old_resources = seen.as_ref().map(|s| &s.resources);
        let mut upserts = Vec::new();
        for (address, resource) in &state.resources {
            if old_resources.and_then(|r| r.get(address)) != Some(resource) {
                upserts.push((address.to_string(), json(resource)));
            }
        }
        let removed: Vec<String> = old_resources
            .map(|r| {
                r.keys()
                    .filter(|a| !state.resources.contains_key(*a))
                    .map(|a| a.to_string())
                    .collect()
            })
            .unwrap_or_default();
        let old_pending = seen.as_ref().map(|s| s.pending.as_slice()).unwrap_or(&[]);
        let pending_changed = old_pending != state.pending.as_slice();
        let pending: Vec<(String, i32, String)> = state
            .pending
            .iter()
            .enumerate()
            .map(|(i, p)| (p.address.to_string(), i as i32, json(p)))
            .collect();
        let expected = seen.as_ref().map(|s| (s.lineage.clone(), s.serial as i64));
        let applying = state
            .applying
            .as_ref()
            .map(|a| serde_json::to_string(a).expect("plain struct serializes"));
        let (lineage, version) = (state.lineage.clone(), state.version as i32);
        let s = self.q();
        let key_filter = lock_filter(lock_key(&self.schema));
        let client = self.client.clone();
        let who = writer();
        let outcome = block(async move {
            client.batch_execute("BEGIN").await?;
            let result: Result<Result<(), (String, String)>, tokio_postgres::Error> = async {
                let held: bool = client
                    .query_one(
                        &format!("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE {key_filter} AND pid = $1)"),
                        &[&lock_pid],
                    )
                    .await?
                    .get(0);
                if !held {
                    return Ok(Err(("lock".into(), String::new())));
                }
                let found: Option<(String, i64)> = client
                    .query_opt(&format!("SELECT lineage, serial FROM {s}.state FOR UPDATE"), &[])
                    .await?
                    .map(|r| (r.get(0), r.get(1)));
                if found != expected {
                    let show = |v: &Option<(String, i64)>| {
                        super::error::version_text(v.as_ref().map(|(l, n)| (l.as_str(), *n as u64)))
                    };
                    return Ok(Err((show(&expected), show(&found))));
                }
                client
                    .execute(
                        &format!(
                            "INSERT INTO {s}.state (one, version, lineage, serial, applying) \
                             VALUES (true, $1, $2, $3, $4) ON CONFLICT (one) DO UPDATE SET \
                             version = $1, lineage = $2, serial = $3, applying = $4"
                        ),
                        &[&version, &lineage, &serial, &applying],
                    )
                    .await?;
                if !removed.is_empty() {
                    client
                        .execute(
                            &format!("DELETE FROM {s}.resources WHERE address = ANY($1)"),
                            &[&removed],
                        )
                        .await?;
                }
                let upsert = client
                    .prepare(&format!(
                        "INSERT INTO {s}.resources (address, body) VALUES ($1, $2) \
                         ON CONFLICT (address) DO UPDATE SET body = $2"
                    ))
                    .await?;
                for (address, body) in &upserts {
                    client.execute(&upsert, &[address, body]).await?;
                }
                if pending_changed {
                    // The journal holds a handful of entries: rewritten whole.
                    client.execute(&format!("DELETE FROM {s}.pending"), &[]).await?;
                    for (address, position, body) in &pending {
                        client
                            .execute(
                                &format!(
                                    "INSERT INTO {s}.pending (address, position, body) VALUES ($1, $2, $3)"
                                ),
                                &[address, position, body],
                            )
                            .await?;
                    }
                }
                client
                    .execute(
                        &format!(
                            "INSERT INTO {s}.history (lineage, serial, written_by) VALUES ($1, $2, $3)"
                        ),
                        &[&lineage, &serial, &who],
                    )
                    .await?;
                Ok(Ok(()))
            }
            .await;
            match &result {
                Ok(Ok(())) => client.batch_execute("COMMIT").await?,
                _ => {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
            }
            result
        });
        match outcome.map_err(|e| self.query_err(&e))? {
            Ok(()) => {
                *self.seen.lock().expect("not poisoned") = Some(state.clone());
                Ok(())
            }
            Err((what, _)) if what == "lock" => Err(PgError::LockLost {
                schema: self.schema.clone(),
            }
            .into()),
            Err((expected, found)) => Err(StateError::Conflict {
                place: self.location().to_string(),
                expected,
                found,
            }),
        }
    }

    fn check_writable(&self, state: &State) -> Result<(), StateError> {
        if state.serial >= i64::MAX as u64 {
            return Err(PgError::SerialTooLarge {
                schema: self.schema.clone(),
                serial: state.serial,
            }
            .into());
        }
        Ok(())
    }

    fn lock(
        &self,
        command: &str,
        timeout: Duration,
        on_wait: &mut dyn FnMut(Option<&LockHolder>),
    ) -> Result<Held, StateError> {
        self.check_version()?;
        let c = self.connection.clone();
        let client = Arc::new(block(async move { c.connect().await })?);
        let key = lock_key(&self.schema);
        wait_for(
            &self.location().lock(),
            timeout,
            on_wait,
            || {
                let c = client.clone();
                let got: bool = block(async move {
                    c.query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                        .await
                        .map(|r| r.get(0))
                })
                .map_err(|e| self.query_err(&e))?;
                Ok(got.then_some(()))
            },
            || self.holder_once_written(),
        )?;
        let holder = LockHolder::new(command);
        let text = serde_json::to_string(&holder).expect("plain struct serializes");
        let c = client.clone();
        let sql = format!(
            "INSERT INTO {s}.lock_holder (one, holder, backend_pid) VALUES (true, $1, pg_backend_pid()) \
             ON CONFLICT (one) DO UPDATE SET holder = $1, backend_pid = pg_backend_pid() \
             RETURNING backend_pid",
            s = self.q()
        );
        let pid: i32 = block(async move { c.query_one(&sql, &[&text]).await.map(|r| r.get(0)) })
            .map_err(|e| self.query_err(&e))?;
        *self.lock_pid.lock().expect("not poisoned") = Some(pid);
        Ok(Box::new(PgLock {
            client: Some(client),
            delete: format!(
                "DELETE FROM {}.lock_holder WHERE backend_pid = pg_backend_pid()",
                self.q()
            ),
            lock_pid: self.lock_pid.clone(),
        }))
    }

    fn lock_shared(
        &self,
        _timeout: Duration,
        _on_wait: &mut dyn FnMut(Option<&LockHolder>),
    ) -> Result<Option<Held>, StateError> {
        Ok(None)
    }

    /// Who holds the lock now (the advisory lock is granted to a live session), and the
    /// server pid of that session: for `force-unlock`.
    fn lock_status(&self) -> Result<LockStatus, StateError> {
        self.check_version()?;
        let client = self.client.clone();
        let sql = format!(
            "SELECT pid FROM pg_locks WHERE {} AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            lock_filter(lock_key(&self.schema))
        );
        let pid: Option<i32> = block(async move {
            client
                .query_opt(&sql, &[])
                .await
                .map(|r| r.map(|r| r.get(0)))
        })
        .map_err(|e| self.query_err(&e))?;
        Ok(match pid {
            Some(pid) => LockStatus::Held {
                holder: self.holder(&self.client),
                session: Some(pid),
            },
            None => LockStatus::NotHeld(None),
        })
    }

    /// Ends the server session that holds the lock: `Ok(false)` when the role may not
    /// (it needs to be the same role, a superuser or in pg_signal_backend).
    fn force_unlock(&self, status: &LockStatus) -> Result<bool, StateError> {
        let LockStatus::Held {
            session: Some(pid), ..
        } = *status
        else {
            return Ok(true);
        };
        let client = self.client.clone();
        let result = block(async move {
            client
                .query_one("SELECT pg_terminate_backend($1)", &[&pid])
                .await
                .map(|r| r.get::<_, bool>(0))
        });
        match result {
            Ok(done) => Ok(done),
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.query_err(&e).into()),
        }
    }
}

impl Postgres {
    /// The lock's holder. The winner writes it just after taking the advisory lock, so
    /// a loser that asks in between finds none: it asks again for up to a second before
    /// saying the holder is unknown.
    fn holder_once_written(&self) -> Option<LockHolder> {
        let start = Instant::now();
        loop {
            let holder = self.holder(&self.client);
            if holder.is_some() || start.elapsed() >= Duration::from_secs(1) {
                return holder;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn assemble(&self, rows: Rows) -> Result<Option<State>, StateError> {
        let corrupt = |what: String, message: String| PgError::Corrupt {
            schema: self.schema.clone(),
            what,
            message,
        };
        let Some((version, lineage, serial, applying)) = rows.header else {
            return Ok(None);
        };
        let mut state = State {
            version: u32::try_from(version)
                .ok()
                .filter(|v| *v == STATE_VERSION)
                .ok_or_else(|| corrupt("state".into(), format!("version {version}")))?,
            lineage,
            serial: u64::try_from(serial)
                .map_err(|_| corrupt("state".into(), format!("serial {serial}")))?,
            applying: applying
                .map(|a| serde_json::from_str(&a))
                .transpose()
                .map_err(|e| corrupt("state.applying".into(), e.to_string()))?,
            resources: Default::default(),
            pending: Vec::new(),
        };
        for (address, body) in rows.resources {
            let resource: Resource = serde_json::from_str(&body)
                .map_err(|e| corrupt(format!("resources {address}"), e.to_string()))?;
            let address: crate::Address =
                address.parse().map_err(|e: crate::address::AddressError| {
                    corrupt(format!("resources {address}"), e.to_string())
                })?;
            state.resources.insert(address, resource);
        }
        for (address, body) in rows.pending {
            let op: PendingOp = serde_json::from_str(&body)
                .map_err(|e| corrupt(format!("pending {address}"), e.to_string()))?;
            state.pending.push(op);
        }
        Ok(Some(state))
    }
}

/// The held advisory lock: its own connection. Dropping it clears the holder row and
/// closes the connection, which releases the lock.
struct PgLock {
    client: Option<Arc<Client>>,
    delete: String,
    lock_pid: Arc<Mutex<Option<i32>>>,
}

impl Drop for PgLock {
    fn drop(&mut self) {
        *self.lock_pid.lock().expect("not poisoned") = None;
        if let Some(client) = self.client.take() {
            let delete = std::mem::take(&mut self.delete);
            block(async move {
                let _ = client.batch_execute(&delete).await;
                drop(client);
            });
        }
    }
}

/// A row's body: JSON of the state's own types.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain structs serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_target_never_shows_the_password() {
        let c = Connection::from_vars(
            "s",
            vars(&[(
                "VPNFORM_PG_URL",
                "postgresql://ops:hunter2@db.example.com:6432/infra?sslmode=verify-full",
            )]),
        )
        .unwrap();
        assert_eq!(c.target, "postgresql://ops@db.example.com:6432/infra");
        assert_eq!(c.from, "VPNFORM_PG_URL");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(
            c.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        let c = Connection::from_vars(
            "s",
            vars(&[
                ("PGHOST", "/run/postgresql"),
                ("PGUSER", "ops"),
                ("PGPASSWORD", "hunter2"),
                ("PGSSLMODE", "disable"),
            ]),
        )
        .unwrap();
        assert_eq!(c.target, "postgresql://ops@/run/postgresql:5432/ops");
        assert_eq!(c.from, "the PG* variables");
        assert_eq!(
            c.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
    }

    #[test]
    fn no_connection_and_a_bad_one_are_errors_that_name_the_variable() {
        let err = Connection::from_vars("prod", vars(&[])).unwrap_err();
        assert!(matches!(err, PgError::NoConnection { .. }), "{err}");
        let err = Connection::from_vars("prod", vars(&[("PGPORT", "five")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the PostgreSQL connection in PGPORT does not parse: `five` is not a port number"
        );
    }

    #[test]
    fn the_lock_key_is_split_as_pg_locks_shows_it() {
        assert_eq!(
            lock_filter(0x0000_0001_0000_0002),
            "locktype = 'advisory' AND classid = 1 AND objid = 2 AND objsubid = 1 AND granted"
        );
        assert_eq!(
            lock_filter(-1),
            "locktype = 'advisory' AND classid = 4294967295 AND objid = 4294967295 AND objsubid = 1 AND granted"
        );
        assert_ne!(lock_key("a"), lock_key("b"));
    }
}
