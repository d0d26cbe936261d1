//! Why an action failed: the executor's one error type. Each variant holds what went
//! wrong as data (the API error with its code and RequestId, the journal's error, how
//! many reads did not confirm), so the human view prints it as a sentence and the JSON
//! view can add the API error's `code` and `request_id` as fields.

use std::time::Duration;

use super::journal::JournalError;
use super::watch::WaitError;
use crate::cloud::ApiError;

/// The advice an error ends with when the action's intent stays journaled.
const KEPT: &str =
    "the intent stays in `pending`; run `vpnform apply` again to resolve it from the cloud";

#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// The cloud refused the call (code, message, RequestId, Recommend), or the client
    /// gave up retrying it.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The cloud refused the call as `IncorrectStatus.*`, and a read found the server
    /// gone: nothing is left to change.
    #[error(
        "{id} is gone from the cloud (ListIpsecServers no longer lists it): {error}; \
         the next plan forgets it"
    )]
    Gone { id: String, error: Box<ApiError> },
    /// A route's create refused as a duplicate: the gateway holds its tuple already,
    /// and no address records it (a plan made without reading the cloud plans a
    /// create). Nothing was created.
    #[error(
        "{error}\n  {gateway} holds this route already, and no address of the state records \
         it: nothing was created. Run `vpnform plan`: it reads the cloud and adopts the route"
    )]
    RouteExists {
        gateway: String,
        error: Box<ApiError>,
    },
    /// The cloud answered that the gateway was busy more often than an action waits.
    #[error("gateway {gateway} stayed busy through {waits} waits: {error}")]
    Busy {
        gateway: String,
        waits: u32,
        error: Box<ApiError>,
    },
    /// An operation vpnform does not make on this kind (a VPN gateway's create or
    /// delete): the planner refuses it, so only a forged plan gets here. Nothing sent.
    #[error("vpnform does not {operation} VPN gateways: nothing was sent")]
    NotPlanned { operation: &'static str },
    /// A reference by address whose resource has no id in this run: its create did not
    /// complete. Nothing was sent.
    #[error(
        "{reference} has no id: its create did not complete, so this action was not sent; \
         run `vpnform apply` again once it is created"
    )]
    Unresolved { reference: String },
    /// A read that was to confirm the action failed.
    #[error("cannot confirm the {action}: {error}")]
    Unreadable {
        action: &'static str,
        error: Box<ApiError>,
    },
    /// The intent could not be journaled, so nothing was sent.
    #[error("not sent: {0}")]
    NotSent(JournalError),
    /// An adopted server could not be recorded, so its update was not sent.
    #[error("not adopted: {0}")]
    NotAdopted(JournalError),
    /// A state-only action could not be recorded.
    #[error("{0}")]
    NotRecordedOnly(JournalError),
    /// The cloud holds the change, the state does not: `id` (when known) is `change`d.
    #[error("{}{change} in the cloud, but {error}", id.as_ref().map(|id| format!("{id} is ")).unwrap_or_default())]
    NotRecorded {
        id: Option<String>,
        change: &'static str,
        error: JournalError,
    },
    /// The key an action sends was not read at the start of the run.
    #[error(
        "not sent: the pre-shared key from {from} was not read at the start of this run; \
         check `psk` in the desired file"
    )]
    MissingSecret { from: crate::state::PskRecord },
    /// The call was accepted, but `reads` reads of the gateway active again did not show
    /// its effect on `id`.
    #[error(
        "{call} was accepted but {id} {unmet} after {reads} reads of gateway {gateway} active again"
    )]
    Unconfirmed {
        call: &'static str,
        id: String,
        unmet: Unmet,
        reads: u32,
        gateway: String,
    },
    /// Waiting for the gateway to be active again failed.
    #[error("{0}")]
    Wait(Box<WaitError>),
    /// The gateway did not become active in time.
    #[error("gateway {gateway} did not return to active within {}", crate::duration::human(*within))]
    WaitTimeout { gateway: String, within: Duration },
    /// The plan's replace carries no old server.
    #[error("the plan's replace of {id} names no old server; make a new plan")]
    NoOldServer { id: String },
    /// A replace's create half failed: the old server was left as it was.
    #[error(
        "{error}\n  the old server {old} on {gateway} is still recorded, and nothing was sent to it"
    )]
    ReplaceCreate {
        error: Box<StepError>,
        old: String,
        gateway: String,
    },
    /// A replace's delete half was not sent: the run was interrupted in between.
    #[error(
        "{new} is created and recorded, and the old server {old} is deposed with its \
         delete journaled, not sent: the run was interrupted"
    )]
    ReplaceInterrupted { new: String, old: String },
    /// A replace where the server is: the old server is deleted, and the run was
    /// interrupted before the new one was created.
    #[error(
        "{old} is deleted and dropped from the state; the new server was not created: the run \
         was interrupted. Run `vpnform apply` again: the plan creates it"
    )]
    ReplacedInPlaceInterrupted { old: String },
    /// A replace where the server is: the old server is deleted, the create failed.
    #[error("{old} is deleted and dropped from the state; creating the new server failed: {error}")]
    ReplacedInPlaceCreate { old: String, error: Box<StepError> },
    /// A replace's delete half failed after its create half was recorded.
    #[error("{new} is created and recorded; the delete of the old server {old} failed: {error}")]
    ReplaceDelete {
        new: String,
        old: String,
        error: Box<StepError>,
    },
    /// A journaled create no longer desired, whose parameters the journal does not hold.
    #[error(
        "a create journaled on {gateway} by an interrupted run, no longer desired, may have \
         made {server}, but the journal does not hold what it sent, so it cannot be re-sent \
         to learn which; check {server} and remove the entry from `pending` by hand"
    )]
    OrphanUnsendable { gateway: String, server: String },
    /// A journaled create no longer desired, re-sent and refused as another request.
    #[error(
        "the create journaled on {gateway} by an interrupted run was sent with other \
         parameters than the journal holds, so whether {server} is its server is unknown: \
         {error}; check {server} and remove the entry from `pending` by hand"
    )]
    OrphanMismatch {
        gateway: String,
        server: String,
        error: Box<ApiError>,
    },
    /// The outcome is unknown or unrecorded: the intent stays journaled, for the next
    /// run to resolve.
    #[error("{0}; {KEPT}")]
    Kept(Box<StepError>),
}

/// What a confirmation read did not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// A deleted server is still listed.
    StillListed,
    /// A created or updated server does not hold the values sent.
    ValuesNotListed,
}

impl std::fmt::Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unmet::StillListed => "is still listed",
            Unmet::ValuesNotListed => "does not list the values sent",
        })
    }
}

impl StepError {
    /// The cloud's refusal or failure of a call.
    pub(crate) fn api(error: ApiError) -> StepError {
        StepError::Api(Box::new(error))
    }

    /// The same error, with the advice that its intent stays journaled.
    pub(crate) fn kept(self) -> StepError {
        StepError::Kept(Box::new(self))
    }

    /// Whether the failed action had added its new server before it failed: a replace
    /// whose delete half failed or was not sent.
    pub(crate) fn added_a_server(&self) -> bool {
        match self {
            StepError::Kept(inner) => inner.added_a_server(),
            StepError::ReplaceDelete { .. } | StepError::ReplaceInterrupted { .. } => true,
            _ => false,
        }
    }

    /// Whether the failed action had deleted its old server before it failed: a replace
    /// where the server is, whose create half failed or was not sent.
    pub(crate) fn removed_a_server(&self) -> bool {
        match self {
            StepError::Kept(inner) => inner.removed_a_server(),
            StepError::ReplacedInPlaceCreate { .. }
            | StepError::ReplacedInPlaceInterrupted { .. } => true,
            _ => false,
        }
    }

    /// The API error this failure comes from, if it is one.
    pub(crate) fn api_error(&self) -> Option<&ApiError> {
        match self {
            StepError::Api(error)
            | StepError::RouteExists { error, .. }
            | StepError::Gone { error, .. }
            | StepError::Busy { error, .. }
            | StepError::Unreadable { error, .. }
            | StepError::OrphanMismatch { error, .. } => Some(error),
            StepError::Wait(wait) => match &**wait {
                WaitError::Api { error, .. } => Some(error),
                _ => None,
            },
            StepError::Kept(inner)
            | StepError::ReplaceCreate { error: inner, .. }
            | StepError::ReplaceDelete { error: inner, .. }
            | StepError::ReplacedInPlaceCreate { error: inner, .. } => inner.api_error(),
            _ => None,
        }
    }

    /// The API error's code (`Forbidden`), if the failure is one.
    pub(crate) fn code(&self) -> Option<&str> {
        self.api_error().map(|e| e.code.as_str())
    }

    /// The RequestId of the failed call, if the failure is an API error that has one.
    pub(crate) fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.request_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden() -> ApiError {
        let mut e = ApiError::new(403, "Forbidden", "User not authorized.");
        e.request_id = Some("R-1".into());
        e.action = crate::kinds::ipsec_server::KIND.calls.delete.into();
        e
    }

    #[test]
    fn an_api_error_reads_as_the_cloud_s_and_gives_its_code_and_request_id() {
        let error = StepError::api(forbidden());
        assert_eq!(error.to_string(), forbidden().to_string());
        assert_eq!(
            (error.code(), error.request_id()),
            (Some("Forbidden"), Some("R-1"))
        );
    }

    #[test]
    fn kept_advice_follows_the_cause_and_keeps_its_code() {
        let error = StepError::Wait(Box::new(WaitError::GatewayGone {
            region: "cn-hangzhou".into(),
            gateway: "vpn-1".into(),
        }))
        .kept();
        assert_eq!(
            error.to_string(),
            "VPN gateway vpn-1 in cn-hangzhou no longer exists; the intent stays in \
             `pending`; run `vpnform apply` again to resolve it from the cloud"
        );
        assert_eq!(error.code(), None);
        let busy = StepError::Busy {
            gateway: "vpn-1".into(),
            waits: 3,
            error: Box::new(forbidden()),
        }
        .kept();
        assert_eq!(busy.request_id(), Some("R-1"));
    }

    #[test]
    fn an_unrecorded_change_names_its_id_when_known() {
        let error = |id: Option<&str>, change| StepError::NotRecorded {
            id: id.map(str::to_owned),
            change,
            error: JournalError::Stopped,
        };
        assert_eq!(
            error(Some("iss-1"), "created").to_string(),
            "iss-1 is created in the cloud, but the state writer stopped"
        );
        assert_eq!(
            error(None, "deleted").to_string(),
            "deleted in the cloud, but the state writer stopped"
        );
    }
}
