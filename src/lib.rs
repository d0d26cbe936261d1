//! vpnform: a declarative reconciler for Alibaba Cloud VPN gateway resources.
//!
//! The data's path is the layout:
//!
//! ```text
//! vpnform.yaml --config--> Desired (validated model) --+
//!                                                     +--plan--> Plan --apply--> cloud
//! state/vpnform.state.yaml --state--> State ----------+                  |
//!                                        ^-------------------------------+ (each confirmed result)
//! ```
//!
//! - [`config`] reads the desired-state YAML once (a `Source`: its bytes' SHA-256 and
//!   raw types that keep locations) and validates it into [`config::Desired`].
//! - [`state`] reads and writes the recorded state (atomic writes, the lock file, the
//!   `pending` intent journal).
//! - [`plan`] diffs desired against recorded (and, online, against the cloud), builds the
//!   dependency graph, computes the plan hash and ClientTokens, renders and saves plans.
//! - [`apply`] executes a plan: one configuring operation per VPN gateway at a time.
//! - [`kinds`] holds what vpnform knows of each kind of resource (today the IPsec
//!   server): its name, desired key, id prefix, attributes, API calls and which take
//!   DryRun, and the typed calls themselves; nothing else spells a kind or its actions.
//! - [`cloud`] is the Alibaba VPC API client: signing, credentials, endpoints, errors,
//!   retries and rate limits, one generic call for any action.
//! - [`sandbox`] is the local emulator of that API that tests and rehearsals talk to.
//! - [`ops`] are the operations (`ops::plan::run`, `ops::apply::run`): one per command,
//!   a request struct in, events out to a reporter; tests and benches call them too.
//! - [`views`] render those events: text ([`views::Human`]) or JSON lines ([`views::Json`]).
//! - [`cli`] holds the clap commands; each builds its request, picks a view and calls one
//!   operation.
//! - `files` holds the bounded reads and link-refusing writes of the files vpnform owns
//!   (state, backup, saved plans), under `state` and `plan`.
//! - [`ui`] is the one output channel: plan text to stdout, progress and logs to stderr.
//!
//! Below them all, one home per concept every layer shares: `address` (a resource
//! address and the kind's spelling), `id` (the `iss-`/`vpn-` id grammar), `ipsec` (the
//! IPsec vocabulary: algorithms, lifetimes, CIDR rules, for the desired file and the
//! sandbox alike), [`regions`]
//! (the region table and each region's endpoint), `duration` (durations as
//! flags take them and as messages print them), `suggest` ("did you mean"), [`yaml`]
//! (the YAML parser's limits, excerpts and line numbering, for the desired file and the
//! state file alike), `pg_schema` (the schema names the postgres backend accepts) and
//! [`secret`] (values that never print, and where they come from).

// One output channel (crate::ui): nothing else prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![warn(unreachable_pub)]

pub(crate) mod address;
pub mod apply;
pub mod cli;
pub mod cloud;
pub mod config;
pub(crate) mod duration;
pub(crate) mod files;
pub(crate) mod id;
pub(crate) mod ipsec;
pub mod kinds;
pub mod ops;
pub(crate) mod pg_schema;
pub mod plan;
pub mod regions;
pub mod sandbox;
pub mod secret;
pub mod state;
pub(crate) mod suggest;
pub mod ui;
pub(crate) mod views;
pub mod yaml;

pub use address::Address;
