//! `plan`: read the state (sharing its lock) and the desired file, diff them (online:
//! against the cloud too, with DryRun prechecks), report the plan, save it if asked.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{Cloud, Event, Loaded, PlanShown, Reporter, empty_state, refused};
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{self, Plan, PlanOptions};

/// What to plan.
pub struct PlanRequest {
    /// The desired-state file.
    pub desired: PathBuf,
    /// The directory of the recorded state and its lock.
    pub state_dir: PathBuf,
    /// Plan from the files alone: no refresh, no prechecks, `cloud` unused.
    pub offline: bool,
    /// Fail if the plan deletes more than this many servers.
    pub max_deletes: Option<usize>,
    /// `--target`: only these addresses' actions and those they wait for; empty: all.
    pub targets: std::collections::BTreeSet<crate::Address>,
    /// How long to wait for a writer's lock on the state.
    pub lock_timeout: Duration,
    /// Save the plan here for `apply FILE`.
    pub out: Option<PathBuf>,
    /// `--refresh-only`: list the forgets and the changes made outside vpnform, plan
    /// nothing that changes the cloud. Needs the cloud (not `offline`).
    pub refresh_only: bool,
    /// `--read-only`: read calls only, no DryRun; the prechecks are deferred to apply.
    /// Needs the cloud (not `offline`).
    pub read_only: bool,
    /// `--replace ADDRESS`: replace these recorded servers even where nothing forces it.
    pub replace: std::collections::BTreeSet<crate::Address>,
    /// `--destroy`: plan the delete of every recorded resource (`protect` still holds).
    pub destroy: bool,
    pub cloud: Cloud,
}

/// `--refresh-only` with `--offline`: there is nothing to refresh.
pub const REFRESH_ONLY_OFFLINE: &str = "--refresh-only cannot be used with --offline: a \
refresh-only plan records what the cloud answers now, and --offline does not read the cloud, \
so there is nothing to refresh. Drop --offline to refresh from the cloud, or drop \
--refresh-only to plan from the files alone";

/// `--destroy` with `--refresh-only`: one changes nothing in the cloud, the other
/// deletes everything.
pub const DESTROY_REFRESH_ONLY: &str = "--destroy cannot be used with --refresh-only: a \
refresh-only plan changes nothing in the cloud, and a destroy plan deletes every recorded \
resource. Drop one of them";

/// `--read-only` with `--offline`: an offline plan reads nothing and prechecks nothing.
pub const READ_ONLY_OFFLINE: &str = "--read-only cannot be used with --offline: --offline \
already sends no call at all, and a read-only plan reads the cloud with read calls only. Drop \
--offline to plan against the cloud with a read-only key";

/// Makes the plan `request` asks for and reports it. Writes nothing but `request.out`:
/// a read-only checkout can plan. The reporter is shared with the client (its
/// throttling warnings), hence the `Arc`.
pub async fn run(request: &PlanRequest, reporter: Arc<dyn Reporter>) -> anyhow::Result<Plan> {
    reporter.event(&Event::Begin);
    if request.refresh_only && request.offline {
        anyhow::bail!(REFRESH_ONLY_OFFLINE);
    }
    if request.read_only && request.offline {
        anyhow::bail!(READ_ONLY_OFFLINE);
    }
    if request.destroy && request.refresh_only {
        anyhow::bail!(DESTROY_REFRESH_ONLY);
    }
    if !request.offline {
        request.cloud.check_endpoint()?;
    }
    if let Some(out) = &request.out {
        saved::check_target(out)?;
    }
    let loaded = load(request, &*reporter)?;
    let scope = PlanOptions {
        max_deletes: request.max_deletes,
        refresh: None,
        targets: request.targets.clone(),
        replace: request.replace.clone(),
        destroy: request.destroy,
    };
    let plan = if request.offline {
        plan::build(&loaded.desired, &loaded.state, &scope)?
    } else {
        // Read now, before any call: a missing source stops the plan here. The keys
        // are compared with the cloud's once the refresh reads them (issue #12). A
        // refresh-only plan neither compares nor sends one.
        if !request.refresh_only {
            crate::config::psk::read_all(&loaded.desired)?;
        }
        let connection = super::connect::connect(
            &request.cloud,
            &loaded.state,
            Some(&loaded.desired),
            &reporter,
        )
        .await?;
        // Started from the rates earlier runs learned; a plan writes nothing, so what it
        // learns is not kept (an apply keeps what its own plan and mutations learned).
        if !request.cloud.is_rehearsal() {
            super::rates::start(&*loaded.backend, &connection.client);
        }
        let plan = super::plan_online(
            &loaded.desired,
            &loaded.state,
            &connection.client,
            &scope,
            match (request.refresh_only, request.read_only) {
                (true, _) => crate::plan::online::Mode::RefreshOnly,
                (false, true) => crate::plan::online::Mode::ReadOnly,
                (false, false) => crate::plan::online::Mode::Full,
            },
            &*reporter,
        )
        .await;
        connection.close().await;
        plan?
    };
    let plan = if request.destroy {
        plan::destroying(plan)
    } else {
        plan
    };
    let rehearsal = !request.offline && request.cloud.is_rehearsal();
    let graph = plan.graph()?;
    if plan.records_anything() {
        // A plan whose apply could not record anything is refused now, not mid-apply.
        crate::state::next_serial(&loaded.place, loaded.state.serial)?;
    }
    if !plan.targets.is_empty() {
        reporter.event(&Event::Warning(super::TARGETING_WARNING));
    }
    reporter.event(&Event::Planned(PlanShown {
        plan: &plan,
        graph: &graph,
        state: &loaded.state,
        state_exists: loaded.state_exists,
        state_path: &loaded.place,
        offline: request.offline,
    }));
    for warning in &plan.warnings {
        reporter.event(&Event::Warning(warning));
    }
    if rehearsal {
        reporter.event(&Event::PlannedAgainstSandbox);
    }
    if let Some(refused) = refused(&plan, "; apply would fail there") {
        return Err(refused.into());
    }
    if let Some(out) = &request.out {
        if rehearsal {
            anyhow::bail!(
                "a plan made against the sandbox (--sandbox) cannot be saved: its prechecks \
                 say nothing about the cloud; plan without --sandbox to save one"
            );
        }
        let saved = SavedPlan::new(
            &plan,
            &request.desired,
            request.offline,
            crate::ui::timestamp(),
        );
        saved::save(out, &saved)?;
        reporter.event(&Event::PlanSaved { path: out });
    }
    Ok(plan)
}

/// Reads the desired file once (its `backend` says where the state is), then the state
/// (sharing the lock while reading, so a running apply is waited for, as Terraform does),
/// then validates the desired file against the state.
fn load(request: &PlanRequest, reporter: &dyn Reporter) -> anyhow::Result<Loaded> {
    let source = crate::config::Source::read(&request.desired)?;
    let backend = super::open_backend(&source, &request.state_dir)?;
    let recorded = {
        let _lock = backend.lock_shared(request.lock_timeout, &mut |holder| {
            reporter.event(&Event::LockWait {
                holder,
                timeout: request.lock_timeout,
            })
        })?;
        backend.read()?
    };
    let state_exists = recorded.is_some();
    // The state file's path, or `postgres schema NAME`.
    let place = super::state_label(&*backend);
    let state = recorded.unwrap_or_else(|| {
        reporter.event(&Event::NoState { path: &place });
        empty_state()
    });
    let mut desired = super::desired_for(&source, &*backend, &state)?;
    if request.destroy {
        // Validated as written, then planned as if it had no entry.
        desired = desired.emptied();
    }
    Ok(Loaded {
        state,
        state_exists,
        desired,
        place,
        backend,
    })
}
