//! What every backend's lock shares: who holds it ([`LockHolder`], written by the holder
//! for the message a second run prints) and the wait for it ([`wait_for`]), so that the
//! file lock and the postgres advisory lock wait, and refuse, in one way.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::StateError;

/// Who holds a lock, as written in the lock file or the postgres `lock_holder` row (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// A UUID naming this acquisition; `vpnform force-unlock LOCK_ID` checks it.
    pub id: String,
    pub pid: u32,
    pub host: String,
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
            command: command.to_string(),
            since: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| jiff::Timestamp::now())
                .to_string(),
        }
    }

    /// Who holds the lock, as every message about it says it: `pid 42 on host ci-7
    /// running `vpnform apply` since 2026-01-02T03:04:05Z`.
    pub fn describe(&self) -> String {
        format!(
            "pid {} on host {} running `{}` since {}",
            self.pid, self.host, self.command, self.since
        )
    }
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

/// The one wait for a state lock, whatever the backend: tries `attempt` until it takes
/// the lock (`Some`), fails, or `timeout` has passed; then the error names the lock
/// (`place`: the lock file, or `the lock of postgres schema NAME`) and its holder as
/// `holder` reads it. `on_wait` is called once, with the holder, when waiting starts.
/// The pause between attempts doubles from 50 ms up to a second.
pub(crate) fn wait_for<T>(
    place: &Path,
    timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&LockHolder>),
    mut attempt: impl FnMut() -> Result<Option<T>, StateError>,
    mut holder: impl FnMut() -> Option<LockHolder>,
) -> Result<T, StateError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    let mut told = false;
    loop {
        if let Some(taken) = attempt()? {
            return Ok(taken);
        }
        let holder = holder();
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(StateError::Locked {
                path: place.to_path_buf(),
                holder: holder.map(Box::new),
                waited: timeout,
            });
        }
        if !told {
            on_wait(holder.as_ref());
            told = true;
        }
        std::thread::sleep(pause.min(timeout - waited));
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_timeout_refuses_at_once_naming_the_place_and_the_holder() {
        let holder = LockHolder::new("vpnform apply");
        let mut waited = 0;
        let err = wait_for::<()>(
            Path::new("the lock of postgres schema s"),
            Duration::ZERO,
            &mut |_| waited += 1,
            || Ok(None),
            || Some(holder.clone()),
        )
        .unwrap_err();
        assert_eq!(waited, 0, "a zero timeout never waits");
        let StateError::Locked {
            path, holder: h, ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(path, Path::new("the lock of postgres schema s"));
        assert_eq!(h.as_deref(), Some(&holder));
    }

    #[test]
    fn waiting_says_so_once_and_takes_the_lock_when_it_is_free() {
        let mut tries = 0;
        let mut told = Vec::new();
        let got = wait_for(
            Path::new("l"),
            Duration::from_secs(60),
            &mut |h| told.push(h.map(|h| h.command.clone())),
            || {
                tries += 1;
                Ok((tries == 3).then_some("taken"))
            },
            || Some(LockHolder::new("other")),
        )
        .unwrap();
        assert_eq!(got, "taken");
        assert_eq!(told, [Some("other".to_string())]);
    }
}
