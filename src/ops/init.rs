//! Moving the state between backends: `vpnform init [--migrate-state]` (create the
//! postgres schema, copy the local state in) and `vpnform state push FILE` (replace the
//! recorded state with a state file, same lineage and a higher serial unless forced).

use std::path::Path;
use std::time::Duration;

use crate::state::postgres::Postgres;
use crate::state::{Backend, State};

/// What `init` did.
#[derive(Debug)]
pub struct Initialized {
    pub schema: String,
    /// `postgresql://user@host:port/db`, without the password.
    pub target: String,
    /// With `--migrate-state`: the local state copied in (or found there already).
    pub migrated: Option<Migrated>,
}

#[derive(Debug)]
pub struct Migrated {
    pub from: std::path::PathBuf,
    pub lineage: String,
    pub serial: u64,
    /// The same state was there already: nothing written.
    pub already: bool,
}

/// Why a state is not taken in.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
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

    #[error(
        "refusing to replace the state in {to}: it holds lineage {there}, and {from} is lineage \
{here}, another state. Nothing was written. Check that the backend names the right schema{force}"
    )]
    OtherLineage {
        to: String,
        from: String,
        there: String,
        here: String,
        force: &'static str,
    },

    #[error(
        "refusing to replace the state in {to}: it is at serial {there}, and {from} is at serial \
{here} of the same lineage, not newer. Nothing was written. `vpnform state pull` shows what is \
there{force}"
    )]
    NotNewer {
        to: String,
        from: String,
        there: u64,
        here: u64,
        force: &'static str,
    },
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
    let _lock = pg.lock(command, lock_timeout, on_wait)?;
    let there = pg.read()?;
    let already = there.as_ref() == Some(&local);
    if !already {
        check_newer(
            there.as_ref(),
            &local,
            &pg.name(),
            &path.display().to_string(),
            "",
        )?;
        pg.write(&local)?;
    }
    done.migrated = Some(Migrated {
        from: path,
        lineage: local.lineage.clone(),
        serial: local.serial,
        already,
    });
    Ok(done)
}

/// Refuses `incoming` in place of `there` unless it is the same lineage at a higher serial.
fn check_newer(
    there: Option<&State>,
    incoming: &State,
    to: &str,
    from: &str,
    force: &'static str,
) -> Result<(), MoveError> {
    let Some(there) = there else {
        return Ok(());
    };
    if there.lineage != incoming.lineage {
        return Err(MoveError::OtherLineage {
            to: to.into(),
            from: from.into(),
            there: there.lineage.clone(),
            here: incoming.lineage.clone(),
            force,
        });
    }
    if incoming.serial <= there.serial {
        return Err(MoveError::NotNewer {
            to: to.into(),
            from: from.into(),
            there: there.serial,
            here: incoming.serial,
            force,
        });
    }
    Ok(())
}

/// `vpnform state push FILE`: replaces the state in `backend` with the state file at
/// `file` (validated as every state file is), under the lock. Without `force` the file
/// must be the same lineage at a higher serial. Returns the state pushed.
pub fn push(
    backend: &dyn Backend,
    file: &Path,
    force: bool,
    command: &str,
    lock_timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&crate::state::LockHolder>),
) -> anyhow::Result<State> {
    let (incoming, _) = crate::state::read_file(file)?;
    let _lock = backend.lock(command, lock_timeout, on_wait)?;
    let there = backend.read()?;
    if !force {
        check_newer(
            there.as_ref(),
            &incoming,
            &backend.name(),
            &file.display().to_string(),
            ", or pass --force to replace it anyway",
        )?;
    }
    backend.check_writable(&incoming)?;
    backend.write(&incoming)?;
    Ok(incoming)
}

/// `vpnform state rm` on a backend other than the local file (which keeps its own
/// operation and backup file, [`crate::state::ops::remove`]): forgets `addresses` (all
/// recorded, none pending, else nothing changes) in one write under the lock.
pub fn remove(
    backend: &dyn Backend,
    addresses: &[String],
    command: &str,
    lock_timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&crate::state::LockHolder>),
) -> anyhow::Result<Vec<crate::Address>> {
    let _lock = backend.lock(command, lock_timeout, on_wait)?;
    let before = existing(backend)?;
    let missing: Vec<String> = addresses
        .iter()
        .filter(|a| !before.resources.contains_key(a.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(crate::state::ops::unknown_in(backend.name().into(), &before, missing).into());
    }
    let mut wanted: Vec<crate::Address> = Vec::new();
    for a in addresses {
        let (recorded, _) = before
            .resources
            .get_key_value(a.as_str())
            .expect("checked above");
        if !wanted.contains(recorded) {
            wanted.push(recorded.clone());
        }
    }
    if let Some(p) = before.pending.iter().find(|p| wanted.contains(&p.address)) {
        return Err(crate::state::StateError::Pending {
            address: p.address.clone(),
            action: p.action.clone(),
            client_token: p.client_token.clone(),
            started_at: p.started_at.clone(),
        }
        .into());
    }
    let mut after = before.clone();
    for a in &wanted {
        after.resources.remove(a);
    }
    edited(backend, after)?;
    Ok(wanted)
}

/// `vpnform state unprotect` on a backend other than the local file: `Ok(false)` when
/// the resource was not protected (nothing written).
pub fn unprotect(
    backend: &dyn Backend,
    address: &str,
    command: &str,
    lock_timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&crate::state::LockHolder>),
) -> anyhow::Result<bool> {
    let _lock = backend.lock(command, lock_timeout, on_wait)?;
    let before = existing(backend)?;
    let Some(resource) = before.resources.get(address) else {
        return Err(crate::state::ops::unknown_in(
            backend.name().into(),
            &before,
            vec![address.to_string()],
        )
        .into());
    };
    if !resource.protect {
        return Ok(false);
    }
    let mut after = before.clone();
    if let Some(r) = after.resources.get_mut(address) {
        r.protect = false;
    }
    edited(backend, after)?;
    Ok(true)
}

fn existing(backend: &dyn Backend) -> anyhow::Result<State> {
    backend.read()?.ok_or_else(|| {
        anyhow::anyhow!(
            "no state in {}: vpnform manages no resources there yet",
            backend.name()
        )
    })
}

/// Writes a state edited by hand: the next serial, and no saved plan may resume over it.
fn edited(backend: &dyn Backend, mut state: State) -> anyhow::Result<()> {
    backend.check_writable(&state)?;
    state.applying = None;
    state.serial += 1;
    backend.write(&state)?;
    Ok(())
}
