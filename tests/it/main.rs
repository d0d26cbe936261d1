//! Black-box tests: one integration-test crate (one link) with a module per area.
//! Tests write a workspace into a temp dir, run the real binary (and, where the cloud is
//! involved, a sandbox on 127.0.0.1:0) and assert on stdout, stderr, exit code and files.

mod support;

mod apply;
mod attributes;
mod badinput;
mod ci_examples;
mod cli;
mod cloud;
mod config;
mod conformance;
mod customer_gateway;
mod docs;
mod drift;
mod family_calls;
mod graph;
mod hostile;
mod import;
mod import_family;
mod import_routes_ssl;
mod layers;
mod lifecycle;
mod lifecycle_edits;
mod lifecycle_wire;
mod perf;
mod plan;
mod postgres;
mod rates;
mod read_only;
mod rehearsal;
mod reliability;
mod replace;
mod sandbox;
mod sandbox_family;
mod sandbox_family2;
mod ssl_vpn_client_cert;
mod ssl_vpn_server;
mod state;
mod target;
mod trust;
mod trust_family;
mod ux;
mod views;
mod vpn_connection;
mod vpn_gateway;
mod vpn_policy_route;
mod vpn_route;
