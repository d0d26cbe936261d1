//! Who holds a state lock, whatever the backend ([`LockHolder`], written by the holder
//! for the message a second run prints). The wait for a lock is `wait.rs`.

use serde::{Deserialize, Serialize};

/// Who holds a lock, as written in the lock file or the postgres `lock_holder` row (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// A UUID naming this acquisition; `vpnform force-unlock LOCK_ID` checks it.
    pub id: String,
    pub pid: u32,
    pub host: String,
    /// Who ran it: `USER`, else `LOGNAME`. Holders written before vpnform recorded it
    /// have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `GITHUB_ACTOR`, when set: the GitHub user whose push, merge or click started the
    /// workflow run (the runner's `USER` is the same for everyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_actor: Option<String>,
    /// The command line that took the lock, e.g. `vpnform apply`.
    pub command: String,
    /// RFC 3339 UTC time the lock was taken.
    pub since: String,
}

impl LockHolder {
    /// This process, taking a lock now for `command`, under a new lock id.
    pub(crate) fn new(command: &str) -> LockHolder {
        LockHolder {
            id: uuid::Uuid::new_v4().to_string(),
            pid: std::process::id(),
            host: host_name(),
            user: user_name(),
            github_actor: github_actor(),
            command: command.to_string(),
            since: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| jiff::Timestamp::now())
                .to_string(),
        }
    }

    /// Who holds the lock, as every message about it says it: `pid 42 of user runner
    /// (GitHub actor octocat) on host ci-7 running `vpnform apply` since
    /// 2026-01-02T03:04:05Z`. What a holder did not record is left out.
    pub fn describe(&self) -> String {
        let user = match &self.user {
            Some(user) => format!(" of user {user}"),
            None => String::new(),
        };
        let actor = match &self.github_actor {
            Some(actor) => format!(" (GitHub actor {actor})"),
            None => String::new(),
        };
        format!(
            "pid {}{user}{actor} on host {} running `{}` since {}",
            self.pid, self.host, self.command, self.since
        )
    }
}

/// Who runs this process: `USER`, else `LOGNAME`.
pub(crate) fn user_name() -> Option<String> {
    env_value("USER").or_else(|| env_value("LOGNAME"))
}

/// The GitHub user a workflow run acts for: `GITHUB_ACTOR`, when set.
pub(crate) fn github_actor() -> Option<String> {
    env_value("GITHUB_ACTOR")
}

/// The environment variable `name`, if it is set to something.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// This machine's name: /etc/hostname, else `HOSTNAME`, else `unknown`.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}
