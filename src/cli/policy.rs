//! `vpnform policy`: the minimal RAM policy (JSON) for the kinds and regions of the
//! desired file: read actions for `plan --read-only`, plus the mutations and their DryRun
//! prechecks for `apply`. No cloud, no state, no writes.

use std::collections::BTreeSet;

use super::{Context, exit};
use crate::config::Source;
use crate::kinds::{self, Kind};

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Args {
    /// The policy of a plan job (`vpnform plan --read-only`): read actions only.
    #[arg(long)]
    pub plan: bool,

    /// The policy of an apply job: the reads, and the creates, updates and deletes
    /// (their DryRun prechecks need the same actions).
    #[arg(long)]
    pub apply: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let source = Source::read(&ctx.desired)?;
    // Validated as a plan would read it; the recorded addresses do not change the kinds
    // or regions it names.
    let desired = source.load(&BTreeSet::new())?;
    let regions = desired.regions();
    if regions.is_empty() {
        anyhow::bail!(
            "{} names no region (no entry, no `defaults.region`): a policy is scoped to the \
             regions vpnform works in; add `defaults: {{region: REGION}}`",
            ctx.desired.display()
        );
    }
    // The kinds the file writes entries of; with none, every kind (a plan that deletes
    // what the state records still lists and deletes them).
    let named: Vec<&Kind> = kinds::ALL
        .iter()
        .copied()
        .filter(|kind| {
            desired
                .servers
                .keys()
                .any(|address| address.kind().as_str() == kind.name)
        })
        .collect();
    let kinds = if named.is_empty() {
        kinds::ALL.to_vec()
    } else {
        named
    };
    let document = policy(&kinds, &regions, args.apply);
    ctx.ui.out(&format!("{}\n", document));
    Ok(exit::OK)
}

/// The RAM policy document: one statement allowing `actions` on every VPC resource of
/// `regions` (`acs:vpc:REGION:*:*`).
fn policy(kinds: &[&Kind], regions: &BTreeSet<String>, apply: bool) -> String {
    let mut actions: BTreeSet<&str> = kinds.iter().map(|k| k.calls.list).collect();
    // A plan that deletes a VPN gateway lists what is on it (planner rule 4).
    if kinds
        .iter()
        .any(|k| k.name == kinds::vpn_gateway::KIND.name)
    {
        actions.insert(kinds::ipsec_server::KIND.calls.list);
        actions.insert(kinds::vpn_connection::KIND.calls.list);
        actions.insert(kinds::ssl_vpn_server::KIND.calls.list);
        actions.insert(kinds::vpn_route::KIND.calls.list);
        actions.insert(kinds::vpn_policy_route::KIND.calls.list);
    }
    // A plan that deletes an SSL-VPN server lists its certificates (rule 6: the cloud
    // deletes them with it).
    if kinds.iter().any(|k| {
        k.name == kinds::ssl_vpn_server::KIND.name || k.name == kinds::vpn_gateway::KIND.name
    }) {
        actions.insert(kinds::ssl_vpn_client_cert::KIND.calls.list);
    }
    if apply {
        for kind in kinds {
            actions.insert(kind.calls.create);
            actions.insert(kind.calls.delete);
            actions.extend(kind.calls.modify);
        }
        // Apply reads a new certificate once, for the fingerprint the state keeps.
        let certs = &kinds::ssl_vpn_client_cert::KIND;
        if kinds.iter().any(|k| k.name == certs.name) {
            actions.insert(kinds::ssl_vpn_client_cert::DESCRIBE_ONE);
        }
        // Apply waits for a gateway after each mutation on its lane.
        if kinds.iter().any(|k| k.lane != kinds::Lane::None) {
            actions.extend(kinds::GATEWAY_READS);
        }
    }
    // In the order RAM's console and documents write them.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Document {
        version: &'static str,
        statement: [Statement; 1],
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement {
        effect: &'static str,
        action: Vec<String>,
        resource: Vec<String>,
    }
    let document = Document {
        version: "1",
        statement: [Statement {
            effect: "Allow",
            action: actions.iter().map(|a| format!("vpc:{a}")).collect(),
            resource: regions.iter().map(|r| format!("acs:vpc:{r}:*:*")).collect(),
        }],
    };
    serde_json::to_string_pretty(&document).expect("plain structs serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_kind_without_a_lane_needs_no_gateway_reads() {
        let regions: BTreeSet<String> = ["cn-hangzhou".to_owned()].into();
        let kinds = [&crate::kinds::customer_gateway::KIND];
        let apply: Value = serde_json::from_str(&policy(&kinds, &regions, true)).unwrap();
        assert_eq!(
            apply["Statement"][0]["Action"],
            json!([
                "vpc:CreateCustomerGateway",
                "vpc:DeleteCustomerGateway",
                "vpc:DescribeCustomerGateways",
                "vpc:ModifyCustomerGatewayAttribute"
            ])
        );
    }

    #[test]
    fn a_plan_with_ssl_vpn_servers_lists_their_certificates() {
        let regions: BTreeSet<String> = ["cn-hangzhou".to_owned()].into();
        let kinds = [&crate::kinds::ssl_vpn_server::KIND];
        let plan: Value = serde_json::from_str(&policy(&kinds, &regions, false)).unwrap();
        assert_eq!(
            plan["Statement"][0]["Action"],
            json!(["vpc:DescribeSslVpnClientCerts", "vpc:DescribeSslVpnServers"])
        );
    }

    #[test]
    fn a_plan_may_only_list_and_an_apply_may_change_what_it_lists() {
        let regions: BTreeSet<String> = ["cn-hangzhou".to_owned()].into();
        let kinds = [&crate::kinds::ipsec_server::KIND];
        let plan: Value = serde_json::from_str(&policy(&kinds, &regions, false)).unwrap();
        assert_eq!(
            plan["Statement"][0]["Action"],
            json!(["vpc:ListIpsecServers"])
        );
        let apply: Value = serde_json::from_str(&policy(&kinds, &regions, true)).unwrap();
        let actions = apply["Statement"][0]["Action"].as_array().unwrap();
        for action in actions {
            let action = action.as_str().unwrap().trim_start_matches("vpc:");
            assert!(
                action.starts_with("List")
                    || action.starts_with("Describe")
                    || kinds.iter().any(|k| k.has_dry_run(action)
                        || k.calls.create == action
                        || k.calls.delete == action
                        || k.calls.modify.contains(&action)),
                "{action}"
            );
        }
    }
}
