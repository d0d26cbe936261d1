//! What a run tells the user: the executor's events, one per step of an action. The
//! views (`crate::views`) render them as Terraform-like text lines on stderr or as
//! Terraform's machine-readable UI JSON lines on stdout.

use std::time::Duration;

use super::error::StepError;
use crate::Address;
use crate::plan::ActionKind;

#[derive(Debug, Clone)]
pub enum ActionEvent {
    /// An action starts (after its intent is journaled).
    Start {
        address: Address,
        action: ActionKind,
        id: String,
    },
    /// A delete waits for its VPN gateway: another action of this run holds it
    /// (`behind`, when known; one operation per gateway at a time), or the cloud answered
    /// that it is busy (`code`, e.g. `VpnGateway.Configuring`).
    Queued {
        address: Address,
        action: ActionKind,
        id: String,
        gateway: String,
        behind: Option<Address>,
        code: Option<String>,
    },
    /// Still waiting; `status` is the gateway's last known status.
    Progress {
        address: Address,
        action: ActionKind,
        id: String,
        elapsed: Duration,
        gateway: String,
        status: Option<String>,
    },
    Complete {
        address: Address,
        action: ActionKind,
        id: String,
        elapsed: Duration,
    },
    /// A delete found its server already gone and recorded it as deleted.
    AlreadyGone {
        address: Address,
        id: String,
        elapsed: Duration,
    },
    Errored {
        address: Address,
        action: ActionKind,
        id: String,
        elapsed: Duration,
        error: StepError,
    },
    /// What a run found and did about an address, beside its actions (a journaled
    /// create that took no effect, dropped).
    Note { address: Address, message: String },
    /// An action that waited for a failed one and was not run.
    Skipped {
        address: Address,
        action: ActionKind,
        because: Address,
    },
}

pub(crate) trait ActionReporter: Send + Sync {
    fn event(&self, event: &ActionEvent);
}
