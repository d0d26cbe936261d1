//! Moving the state to the postgres backend: `vpnform init [--migrate-state]` creates
//! the schema and copies the local state in, through the same replace as `vpnform state
//! push FILE` ([`crate::state::ops::replace`]).

use std::path::Path;
use std::time::Duration;

use crate::state::postgres::Postgres;

/// What `init` did.
#[derive(Debug)]
pub struct Initialized {
    pub(crate) schema: String,
    /// `postgresql://user@host:port/db`, without the password.
    pub(crate) target: String,
    /// With `--migrate-state`: the local state copied in (or found there already).
    pub(crate) migrated: Option<Migrated>,
}

#[derive(Debug)]
pub(crate) struct Migrated {
    pub from: std::path::PathBuf,
    pub lineage: String,
    pub serial: u64,
    /// The same state was there already: nothing written.
    pub already: bool,
}

/// Why a state is not taken in.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MoveError {
    #[error(
        "{desired} names no backend: `vpnform init` creates the postgres schema the desired file \
names. Add `backend: {{ postgres: {{ schema: vpnform_prod }} }}` to {desired} (and set VPNFORM_PG_URL), \
then run it again"
    )]
    NoBackend { desired: String },

    #[error(
        "no local state at {path} to migrate: nothing was copied. Run `vpnform init` without \
--migrate-state to start with an empty state"
    )]
    NoLocalState { path: String },
}

/// Creates the postgres schema the desired file at `desired` names (idempotent) and,
/// with `migrate`, copies the local state of `state_dir` in under the lock: refused when
/// the schema holds another lineage, or a serial of the same lineage that is not older
/// (unless it is the very same state).
pub fn init(
    desired: &Path,
    state_dir: &Path,
    migrate: bool,
    command: &str,
    lock_timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&crate::state::LockHolder>),
) -> anyhow::Result<Initialized> {
    let Some(schema) = crate::config::backend(desired)? else {
        return Err(MoveError::NoBackend {
            desired: desired.display().to_string(),
        }
        .into());
    };
    let pg = Postgres::connect(&schema)?;
    pg.init()?;
    let mut done = Initialized {
        schema: schema.clone(),
        target: pg.target().to_string(),
        migrated: None,
    };
    if !migrate {
        return Ok(done);
    }
    let path = crate::state::state_path(state_dir);
    let Some(local) = crate::state::read(state_dir)? else {
        return Err(MoveError::NoLocalState {
            path: path.display().to_string(),
        }
        .into());
    };
    let written = crate::state::ops::replace(
        &pg,
        &local,
        &path.display().to_string(),
        crate::state::ops::Replace::NewerOrSame,
        crate::state::ops::Locking {
            command,
            timeout: lock_timeout,
            on_wait,
        },
    )?;
    let already = !written;
    done.migrated = Some(Migrated {
        from: path,
        lineage: local.lineage.clone(),
        serial: local.serial,
        already,
    });
    Ok(done)
}
