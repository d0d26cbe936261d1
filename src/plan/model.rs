//! What a plan is: the contract between `plan`, saved plan files and `apply`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Address;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Desired without an id, not in state: `CreateIpsecServer`, then record the new id.
    Create,
    /// In state, not desired: delete the server in the cloud, then forget it.
    Delete,
    /// Desired with an id, not in state: verify it exists, then record it (no mutation).
    Adopt,
    /// In state, gone from the cloud at refresh: drop it from the state (no call).
    Forget,
    /// In both, but a managed attribute differs from the cloud (online) or the recorded
    /// attributes (offline): `UpdateIpsecServer` with the changed fields only. Or the
    /// desired `protect` or `depends_on` differs from the recorded one: record the
    /// desired values (no call). Without it a `protect: true` added to the desired file
    /// would never reach the state, where deletion is decided.
    Update,
    /// Desired without an id, recorded on another gateway or region: create the new
    /// server there, then delete the old one (create before destroy), two calls with
    /// their own tokens. Counted as one to add and one to destroy.
    Replace,
}

impl ActionKind {
    /// Whether the action writes a server that the desired file names (creates,
    /// replaces, updates, adopts): `depends_on` orders these as Terraform creates.
    pub fn writes(self) -> bool {
        matches!(
            self,
            ActionKind::Create | ActionKind::Replace | ActionKind::Update | ActionKind::Adopt
        )
    }
}

/// The result of the `DryRun=true` call of one create, update or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Precheck {
    /// `DryRunOperation`: every check passed.
    Passed { request_id: String },
    /// A transient failure (the gateway is configuring): a warning, not an error.
    Warning {
        code: String,
        message: String,
        request_id: String,
    },
    /// A terminal failure (Forbidden, invalid parameter): the plan fails.
    Failed {
        code: String,
        message: String,
        request_id: String,
    },
    /// `--offline`: not prechecked.
    Skipped,
    /// `--read-only`: not prechecked by the plan; apply runs the precheck with its own
    /// key before its first mutation.
    Deferred,
    /// A create that names a resource this plan creates first (a connection's customer
    /// gateway by address): the cloud cannot be asked about it before that one exists.
    AfterCreate,
    /// The kind's API has no DryRun for this call (it would act on one): vpnform's own
    /// checks of the desired file and the plan are all there is.
    ModelOnly,
    /// A create (or a replace's create half) on a gateway whose server the plan deletes
    /// first (`--replace` where the server is, or a swap): not prechecked, since the
    /// gateway still holds that server.
    AfterDelete,
}

/// One change to one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub address: Address,
    /// Resource kind, `ipsec_server`.
    pub resource_kind: String,
    pub action: ActionKind,
    pub id: String,
    pub region: String,
    pub vpn_gateway: String,
    pub depends_on: Vec<Address>,
    /// `vpnform-` + 32 hex digits of SHA-256(`plan_hash:address:action`).
    pub client_token: String,
    pub precheck: Precheck,
    /// Why this action exists, for the rendered plan (`removed from desired state`).
    pub reason: String,
    /// Adopt: the desired entry's `protect`, recorded with it. Not hashed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    /// The server's attributes (name, subnets, ...), shown in the plan: recorded ones,
    /// or for a create the managed values it is created with (hashed for a create).
    /// Never the PSK.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Update: what changes, field by field (the managed ones' new values are hashed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The entry's PSK source and whether this action sets it: never the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psk: Option<PskNote>,
    /// Replace: the old server (its id is `id`; `vpn_gateway` and `region` are the new
    /// server's) and the delete half's token and precheck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Replaced>,
    /// The journal entry of an interrupted run that this action resolves. While an
    /// address has one, its action is that entry's resolution and nothing else: the
    /// operation is re-sent as it was journaled (its `sent` values, its token), and any
    /// other change the desired file asks of the address waits for the next plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes: Option<Resumes>,
    /// A create at an address the state records: the recorded server (this id) is gone
    /// from the cloud, and the desired entry is there, so it is created again, as
    /// Terraform does. Hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recreates: Option<String>,
    /// A state-only update that renames the recorded `moved_from` to this address (the
    /// desired file's `moved`). Hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
}

/// A `pending` entry as the action that resolves it carries it (hashed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumes {
    /// The journaled operation: `create`, `update` or `delete`.
    pub action: String,
    /// The token it was sent with; every re-send uses it.
    pub client_token: String,
    /// The plan that journaled it.
    pub plan_hash: String,
    /// A replace's old server (`deposed` in the state): its delete drops only that.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deposed: bool,
}

/// Where the server a replace deletes is, and the delete half's token and precheck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replaced {
    pub vpn_gateway: String,
    pub region: String,
    /// `vpnform-` + 32 hex digits of SHA-256(`plan_hash:address:delete`); the create
    /// half carries the action's `client_token`, from `plan_hash:address:create`.
    pub client_token: String,
    pub precheck: Precheck,
    /// Destroy the old one before creating the new one: a customer gateway (one per IP
    /// address and region), or a connection whose new tunnels would meet the old one's
    /// (one connection per gateway and customer gateway) or that its gateway has no room
    /// to hold beside (DESIGN, planner rule 7). An IPsec server's order follows from
    /// where it goes (`Action::replaces_in_place`). Hashed when set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub destroy_first: bool,
    /// The ids the old resource references (a connection's customer gateways): their
    /// deletes in the plan wait for this replace's delete half (rule 5). Hashed when
    /// there are any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// A managed PSK as a plan carries it: where apply reads it, and whether the action
/// sends it (a create always does; an update when the key differs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PskNote {
    pub source: crate::state::PskRecord,
    pub changed: bool,
}

impl Action {
    /// A replace that stays where the server is (`--replace` of a server whose gateway
    /// and region did not change): one IPsec server per gateway, so the old one is
    /// destroyed before the new one is created, each half with a plain delete and create
    /// token (the address records nothing between them).
    ///
    /// Every other kind is replaced destroy first where the plan says so
    /// ([`Replaced::destroy_first`]: customer gateways always, connections whose new
    /// one could not stand beside the old one), create first otherwise.
    pub fn replaces_in_place(&self) -> bool {
        self.action == ActionKind::Replace
            && self.replaced.as_ref().is_some_and(|old| {
                old.destroy_first
                    || (self.address.kind() == crate::address::Kind::IpsecServer
                        && old.vpn_gateway == self.vpn_gateway
                        && old.region == self.region)
            })
    }

    /// The changes `UpdateIpsecServer` makes (managed attributes and the PSK), as
    /// opposed to `protect` and `depends_on`, which only the state holds.
    pub fn cloud_changes(&self) -> impl Iterator<Item = &FieldChange> {
        self.changes
            .iter()
            .filter(|c| !matches!(c.field.as_str(), "protect" | "depends_on"))
    }

    /// Whether the action calls the cloud (a create, a delete, or an update of a
    /// managed attribute or the PSK).
    pub fn mutates_cloud(&self) -> bool {
        if self.resumes.is_some() && self.action != ActionKind::Forget {
            // A journaled operation is re-sent with its token.
            return true;
        }
        match self.action {
            ActionKind::Create | ActionKind::Delete | ActionKind::Replace => true,
            // An adopt whose managed attributes differ is followed by their update.
            ActionKind::Update | ActionKind::Adopt => {
                self.cloud_changes().next().is_some()
                    || self.psk.as_ref().is_some_and(|p| p.changed)
            }
            ActionKind::Forget => false,
        }
    }
}

/// One field of a recorded resource that an update changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A whole plan, as shown, hashed, saved and applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub lineage: String,
    pub serial: u64,
    /// SHA-256 of the desired file the plan was made from.
    pub desired_sha256: String,
    /// The desired file as the plan read it (the path given, else the default):
    /// hashed, so that a saved plan runs only against that file.
    pub desired_path: String,
    /// Sorted by address.
    pub actions: Vec<Action>,
    /// `--target`: the plan holds only these addresses' actions and those they wait
    /// for. Empty: not targeted. Sorted; hashed when not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Address>,
    /// Online: how many servers, per refreshed region, no address records (neither the
    /// state nor a desired `id`): the hint at `vpnform import`. Shown, not hashed, not
    /// saved.
    #[serde(skip)]
    pub unmanaged: BTreeMap<String, usize>,
    /// Online: how many resources of each other kind the workspace has (`customer_gateway`,
    /// ...) the refreshed regions hold that no address records nor the plan adopts.
    /// Shown, not hashed, not saved.
    #[serde(skip)]
    pub unmanaged_kinds: BTreeMap<String, usize>,
    /// SHA-256 over the canonical JSON of `{lineage, serial, actions}` (see
    /// docs/plan-and-apply.md, "Plan hash and ClientTokens").
    pub hash: String,
    /// Operations journaled in the state by an interrupted apply; apply resolves them
    /// (with their original tokens) before anything else. Shown, not hashed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingNote>,
    /// Online: recorded servers whose attributes the cloud answers otherwise than the
    /// state records them (see [`super::drift::changed_outside`]). Shown, not hashed:
    /// apply records what the cloud answers when it runs, never these values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
    /// `--refresh-only`: forgets and [`Plan::drift`] only, nothing changes in the
    /// cloud. Hashed when set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub refresh_only: bool,
    /// `--read-only`: made with read calls only; its prechecks are deferred to apply.
    /// Hashed when set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// `--destroy`: every recorded resource deleted, whatever the desired file says.
    /// Hashed when set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub destroy: bool,
    /// What the user should know that does not stop the plan (a desired `id` that
    /// differs from the recorded one). Shown, not hashed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A `pending` entry of the state, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingNote {
    pub address: Address,
    pub action: String,
    /// Absent for a create not yet answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub client_token: String,
    pub plan_hash: String,
}

/// A recorded server whose attributes the cloud answers otherwise than the state records
/// them: changed outside vpnform (shown), or never recorded (a state written before
/// attributes were recorded: recorded silently). Never the PSK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub address: Address,
    pub id: String,
    /// What changed outside vpnform, recorded value -> the cloud's, in attribute order;
    /// empty when the only difference is values the state never held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The attributes to record: the recorded ones with every value the cloud answered
    /// when the plan was made, which an apply that made this plan records. Not saved:
    /// `apply FILE` reads the cloud again and records its answer.
    #[serde(skip)]
    pub attributes: BTreeMap<String, String>,
}
