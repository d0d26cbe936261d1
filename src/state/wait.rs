//! The one wait for a state lock, whatever the backend: the local lock file and the
//! postgres advisory lock both take it through [`wait_for`].

use std::path::Path;
use std::time::{Duration, Instant};

use super::error::StateError;
use super::holder::LockHolder;

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
