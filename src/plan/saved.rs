//! Saved plan files (`plan --out FILE`, `show FILE`, `apply FILE`): the plan as JSON
//! with the facts apply checks before running it (state lineage and serial, the desired
//! file's SHA-256). [`load`] refuses a file whose plan hash does not verify.
//!
//! No secret is in a saved plan: actions carry ids, regions, gateways and the recorded
//! attributes, and the state never holds a PSK.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{Action, PendingNote, Plan};
use super::plan_hash;

/// The format of saved plan files this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A saved plan file. Field order is the order written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub format_version: u32,
    pub vpnform_version: String,
    pub lineage: String,
    pub serial: u64,
    pub desired_sha256: String,
    /// The desired file as the user named it, for messages.
    pub desired_path: PathBuf,
    pub plan_hash: String,
    pub actions: Vec<Action>,
    /// `--target` the plan was made with (hashed); empty: not targeted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<crate::Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingNote>,
    /// Whether the plan was made with `--offline` (no refresh, no prechecks).
    #[serde(default)]
    pub offline: bool,
    /// `--refresh-only`: the plan records forgets and changes made outside vpnform, and
    /// changes nothing in the cloud (hashed; absent when not set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_only: bool,
    /// `--read-only`: made with read calls only; apply runs the deferred prechecks with
    /// its own key before the first mutation (hashed; absent when not set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// `--destroy`: deletes every recorded resource (hashed; absent when not set).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub destroy: bool,
    /// The changes made outside vpnform that the plan showed. For `show` only: apply
    /// records what the cloud answers when it runs, never these values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<super::model::Drift>,
    /// RFC 3339 UTC.
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// Unreadable, not a regular file, over the size limit; a link or a directory where
    /// the plan is to be written.
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error(
        "{} is not a vpnform saved plan (line {line}, column {column}): {message}",
        path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{} is saved plan format {found}; this vpnform (version {}) reads format {FORMAT_VERSION}: \
         make the plan again with this version",
        path.display(),
        env!("CARGO_PKG_VERSION")
    )]
    FormatVersion { path: PathBuf, found: u32 },
    #[error(
        "the saved plan {} has been tampered with: it records plan hash {recorded}, but its \
         actions hash to {computed}; make a new plan with `vpnform plan --out`",
        path.display()
    )]
    Tampered {
        path: PathBuf,
        recorded: String,
        computed: String,
    },
    #[error(
        "the saved plan {} has been tampered with: {address} has ClientToken {recorded}, but \
         the plan hash gives {computed}; make a new plan with `vpnform plan --out`",
        path.display()
    )]
    TamperedToken {
        path: PathBuf,
        address: crate::Address,
        recorded: String,
        computed: String,
    },
}

impl SavedPlan {
    /// The saved form of `plan`.
    pub fn new(plan: &Plan, desired_path: &Path, offline: bool, created_at: String) -> Self {
        SavedPlan {
            format_version: FORMAT_VERSION,
            vpnform_version: env!("CARGO_PKG_VERSION").into(),
            lineage: plan.lineage.clone(),
            serial: plan.serial,
            desired_sha256: plan.desired_sha256.clone(),
            desired_path: desired_path.to_path_buf(),
            plan_hash: plan.hash.clone(),
            actions: plan.actions.clone(),
            targets: plan.targets.clone(),
            pending: plan.pending.clone(),
            offline,
            refresh_only: plan.refresh_only,
            read_only: plan.read_only,
            destroy: plan.destroy,
            drift: plan.drift.clone(),
            created_at,
        }
    }

    /// The plan it holds.
    pub fn plan(&self) -> Plan {
        Plan {
            lineage: self.lineage.clone(),
            serial: self.serial,
            desired_sha256: self.desired_sha256.clone(),
            desired_path: self.desired_path.to_string_lossy().into_owned(),
            actions: self.actions.clone(),
            unmanaged: Default::default(),
            unmanaged_kinds: Default::default(),
            targets: self.targets.clone(),
            hash: self.plan_hash.clone(),
            pending: self.pending.clone(),
            drift: self.drift.clone(),
            refresh_only: self.refresh_only,
            read_only: self.read_only,
            destroy: self.destroy,
            warnings: Vec::new(),
        }
    }
}

/// Writes `saved` to `path` atomically (temp file, fsync, rename): a crash leaves the old
/// file or the new one, never half of one. A link at `path` is refused; a new file is
/// 0600 (see [`crate::files::write_atomic`]).
pub fn save(path: &Path, saved: &SavedPlan) -> Result<(), SavedPlanError> {
    let mut text = serde_json::to_string_pretty(saved).expect("a saved plan serializes");
    text.push('\n');
    Ok(crate::files::write_atomic(
        path,
        crate::files::SAVED_PLAN.what,
        text.as_bytes(),
    )?)
}

/// Checks before planning that `path` can take a saved plan (no link, no directory), so
/// that a refused `--out` costs no cloud calls.
pub fn check_target(path: &Path) -> Result<(), SavedPlanError> {
    crate::files::check_write_target(path, crate::files::SAVED_PLAN.what)?;
    Ok(())
}

/// Reads a saved plan (a regular file of at most [`crate::files::SAVED_PLAN`]'s limit)
/// and verifies it: the format version, the plan hash recomputed from its lineage,
/// serial and actions, and every action's ClientToken.
pub fn load(path: &Path) -> Result<SavedPlan, SavedPlanError> {
    let text = crate::files::read(path, crate::files::SAVED_PLAN)?;
    let parse_error = |err: serde_json::Error| SavedPlanError::Parse {
        path: path.to_path_buf(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    };
    // The version first, so that a future format is "too new", not "malformed".
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_json::from_slice(&text).map_err(parse_error)?;
    if version.format_version != FORMAT_VERSION {
        return Err(SavedPlanError::FormatVersion {
            path: path.to_path_buf(),
            found: version.format_version,
        });
    }
    let saved: SavedPlan = serde_json::from_slice(&text).map_err(parse_error)?;
    verify(path, &saved)?;
    Ok(saved)
}

fn verify(path: &Path, saved: &SavedPlan) -> Result<(), SavedPlanError> {
    let computed = plan_hash(&saved.plan());
    if computed != saved.plan_hash {
        return Err(SavedPlanError::Tampered {
            path: path.to_path_buf(),
            recorded: saved.plan_hash.clone(),
            computed,
        });
    }
    for action in &saved.actions {
        let (expected, delete_half) = super::hash::action_tokens(&saved.lineage, &computed, action);
        let recorded_half = action.replaced.as_ref().map(|old| old.client_token.clone());
        if recorded_half.is_some() && recorded_half != delete_half {
            return Err(SavedPlanError::TamperedToken {
                path: path.to_path_buf(),
                address: action.address.clone(),
                recorded: recorded_half.unwrap_or_default(),
                computed: delete_half.unwrap_or_default(),
            });
        }
        if expected != action.client_token {
            return Err(SavedPlanError::TamperedToken {
                path: path.to_path_buf(),
                address: action.address.clone(),
                recorded: action.client_token.clone(),
                computed: expected,
            });
        }
    }
    Ok(())
}
