//! Seeding a sandbox from a vpnform state: the conversion from the recorded IPsec
//! servers (and every other recorded kind, routes included) to the emulator's
//! [`World`], for `vpnform sandbox --from-state`, rehearsals and tests. It sits above the state and the emulator (which knows only worlds), as a
//! fact of the kind: how its recorded attributes read as the sandbox's fields.

use crate::sandbox::{IpsecServer, World};
use crate::state::State;

/// The world a recorded state implies: every recorded server exists (with its
/// recorded attributes), on an `active`, `Normal` gateway in the recorded region.
/// Servers named only in the `pending` journal exist too, so a rehearsal can resolve
/// them. Every other recorded kind exists as recorded, routes included.
pub fn from_state(state: &State) -> World {
    let mut world = World::default();
    // Seeded once every customer gateway is, as they name one.
    let mut connections = Vec::new();
    // Seeded once every server is, as they name one.
    let mut certs = Vec::new();
    // Seeded once every connection is: a route's next hop is one.
    let mut routes = Vec::new();
    for (address, resource) in &state.resources {
        match address.kind() {
            crate::address::Kind::CustomerGateway => {
                add_customer_gateway(
                    &mut world,
                    &resource.id,
                    &resource.region,
                    &resource.attributes,
                );
                continue;
            }
            crate::address::Kind::VpnConnection => {
                connections.push(resource);
                continue;
            }
            crate::address::Kind::VpnGateway => {
                let gateway = world.add_gateway(&resource.id, &resource.region);
                gateway.name = resource.attributes.get("name").cloned();
                continue;
            }
            crate::address::Kind::SslVpnServer => {
                add_ssl_vpn_server(&mut world, &resource.id, resource);
                continue;
            }
            crate::address::Kind::SslVpnClientCert => {
                certs.push(resource);
                continue;
            }
            crate::address::Kind::VpnRoute | crate::address::Kind::VpnPolicyRoute => {
                routes.push(resource);
                continue;
            }
            crate::address::Kind::IpsecServer => {}
        }
        world.add_gateway(&resource.vpn_gateway, &resource.region);
        let a = &resource.attributes;
        let mut server = IpsecServer::new(&resource.vpn_gateway);
        server.name = a.get("name").cloned();
        server.local_subnet = a.get("local_subnet").cloned();
        server.client_ip_pool = a.get("client_ip_pool").cloned();
        server.internet_ip = a.get("internet_ip").cloned();
        server.creation_time = a.get("creation_time").cloned();
        if let Some(effect) = a.get("effect_immediately") {
            server.effect_immediately = effect == "true";
        }
        let ike = &mut server.ike_config;
        for (field, slot) in [
            ("ike_config.ike_version", &mut ike.ike_version),
            ("ike_config.ike_mode", &mut ike.ike_mode),
            ("ike_config.ike_enc_alg", &mut ike.ike_enc_alg),
            ("ike_config.ike_auth_alg", &mut ike.ike_auth_alg),
            ("ike_config.ike_pfs", &mut ike.ike_pfs),
            ("ike_config.local_id", &mut ike.local_id),
            ("ike_config.remote_id", &mut ike.remote_id),
        ] {
            if let Some(value) = a.get(field) {
                *slot = value.clone();
            }
        }
        if let Some(seconds) = a
            .get("ike_config.ike_lifetime")
            .and_then(|v| v.parse().ok())
        {
            ike.ike_lifetime = seconds;
        }
        let ipsec = &mut server.ipsec_config;
        for (field, slot) in [
            ("ipsec_config.ipsec_enc_alg", &mut ipsec.ipsec_enc_alg),
            ("ipsec_config.ipsec_auth_alg", &mut ipsec.ipsec_auth_alg),
            ("ipsec_config.ipsec_pfs", &mut ipsec.ipsec_pfs),
        ] {
            if let Some(value) = a.get(field) {
                *slot = value.clone();
            }
        }
        if let Some(seconds) = a
            .get("ipsec_config.ipsec_lifetime")
            .and_then(|v| v.parse().ok())
        {
            ipsec.ipsec_lifetime = seconds;
        }
        if let Some(enabled) = a.get("psk_enabled") {
            server.psk_enabled = enabled != "false";
        }
        world.ipsec_servers.insert(resource.id.clone(), server);
    }
    for resource in connections {
        add_connection(&mut world, &resource.id, resource);
    }
    for resource in certs {
        add_client_cert(&mut world, &resource.id, resource);
    }
    for resource in routes {
        add_route(&mut world, resource);
    }
    for op in &state.pending {
        if op.vpn_gateway.is_empty() || op.address.kind() != crate::address::Kind::IpsecServer {
            // A kind without a lane: its record (if any) seeded it above.
            continue;
        }
        world.add_gateway(&op.vpn_gateway, &op.region);
        // A create not yet answered names no server: the rehearsal re-sends it.
        if let Some(id) = &op.id {
            world
                .ipsec_servers
                .entry(id.clone())
                .or_insert_with(|| IpsecServer::new(&op.vpn_gateway));
        }
    }
    world
}

/// A customer gateway as recorded (`ip_address`, `asn`, `name`, `description`); one
/// recorded without an address gets a documentation address of its own (192.0.2.0/24 and
/// on), as a region holds one customer gateway per address.
pub fn add_customer_gateway(
    world: &mut World,
    id: &str,
    region: &str,
    attributes: &std::collections::BTreeMap<String, String>,
) {
    if world.customer_gateways.contains_key(id) {
        return;
    }
    let ip = attributes.get("ip_address").cloned().unwrap_or_else(|| {
        let taken = world.customer_gateways.len();
        format!("192.0.{}.{}", 2 + taken / 250, 1 + taken % 250)
    });
    let gateway = world.add_customer_gateway(id, region, &ip);
    gateway.name = attributes.get("name").cloned();
    gateway.description = attributes.get("description").cloned();
    gateway.asn = attributes.get("asn").and_then(|n| n.parse().ok());
}

/// An IPsec connection as recorded, on an `active` gateway, with its customer gateway
/// (one of a documentation address when the state does not record it).
pub fn add_connection(world: &mut World, id: &str, resource: &crate::state::Resource) {
    if world.vpn_connections.contains_key(id) {
        return;
    }
    if !world.vpn_gateways.contains_key(&resource.vpn_gateway) {
        world.add_gateway(&resource.vpn_gateway, &resource.region);
    }
    let a = &resource.attributes;
    let named: Vec<(&str, String)> = a
        .iter()
        .filter_map(|(k, v)| {
            let role = k
                .strip_prefix("tunnels.")?
                .strip_suffix(".customer_gateway")?;
            Some((role, v.clone()))
        })
        .collect();
    let single = a.get("customer_gateway").cloned();
    for customer_gateway in single.iter().chain(named.iter().map(|(_, id)| id)) {
        if !world.customer_gateways.contains_key(customer_gateway) {
            add_customer_gateway(
                world,
                customer_gateway,
                &resource.region,
                &Default::default(),
            );
        }
    }
    let connection = world.add_connection(
        id,
        &resource.vpn_gateway,
        single.as_deref().unwrap_or_default(),
    );
    if single.is_none() {
        connection.customer_gateway = None;
        connection.tunnels = named
            .iter()
            .map(|(role, id)| crate::sandbox::Tunnel::new(id, role))
            .collect();
    }
    connection.name = a.get("name").cloned();
    if let Some(subnets) = a.get("local_subnet") {
        connection.local_subnet = subnets.clone();
    }
    if let Some(subnets) = a.get("remote_subnet") {
        connection.remote_subnet = subnets.clone();
    }
    connection.effect_immediately = a.get("effect_immediately").is_some_and(|e| e == "true");
}

/// An SSL-VPN server as recorded, on an `active` gateway.
pub fn add_ssl_vpn_server(world: &mut World, id: &str, resource: &crate::state::Resource) {
    if world.ssl_vpn_servers.contains_key(id) {
        return;
    }
    if !world.vpn_gateways.contains_key(&resource.vpn_gateway) {
        world.add_gateway(&resource.vpn_gateway, &resource.region);
    }
    let a = &resource.attributes;
    let text = |k: &str, default: &str| a.get(k).cloned().unwrap_or_else(|| default.to_owned());
    let server = world.add_ssl_server(
        id,
        &resource.vpn_gateway,
        &text("client_ip_pool", "192.168.0.0/16"),
        &text("local_subnet", "10.0.0.0/8"),
    );
    server.name = a.get("name").cloned();
    if let Some(proto) = a.get("proto") {
        server.proto = proto.clone();
    }
    if let Some(port) = a.get("port").and_then(|p| p.parse().ok()) {
        server.port = port;
    }
    if let Some(cipher) = a.get("cipher") {
        server.cipher = cipher.clone();
    }
    server.compress = a.get("compress").is_some_and(|c| c == "true");
}

/// A destination or policy-based route as recorded (its tuple, weight, priority and
/// publishing), on an `active` gateway, through its next hop: a connection on that
/// gateway, one of a customer gateway of its own when the state does not record it.
/// A record without a tuple, or whose next hop the state puts on another gateway, or a
/// tuple seeded already (a hand-edited state), is left out: the world holds only routes
/// the cloud could.
pub fn add_route(world: &mut World, resource: &crate::state::Resource) {
    let a = &resource.attributes;
    let (Some(dest), Some(hop)) = (a.get("route_dest"), a.get("next_hop")) else {
        return;
    };
    let gateway = resource.vpn_gateway.as_str();
    if !world.vpn_gateways.contains_key(gateway) {
        world.add_gateway(gateway, &resource.region);
    }
    if !world.vpn_connections.contains_key(hop) {
        let mut bare = resource.clone();
        bare.attributes = [(
            "customer_gateway".to_owned(),
            format!("cgw-{}", hop.trim_start_matches("vco-")),
        )]
        .into();
        add_connection(world, hop, &bare);
    }
    if world.vpn_connections[hop].vpn_gateway != gateway {
        return;
    }
    let weight = a.get("weight").and_then(|w| w.parse().ok()).unwrap_or(0);
    let publish_vpc = a.get("publish_vpc").is_some_and(|p| p == "true");
    let create_time = a.get("create_time").and_then(|t| t.parse().ok());
    match a.get("route_source") {
        Some(source) => {
            let taken = world.vpn_policy_routes.iter().any(|r| {
                r.vpn_gateway == gateway
                    && r.route_source == *source
                    && r.route_dest == *dest
                    && r.next_hop == *hop
            });
            if taken {
                return;
            }
            let route = world.add_policy_route(gateway, source, dest, hop);
            route.weight = weight;
            route.publish_vpc = publish_vpc;
            route.create_time = create_time;
            if let Some(priority) = a.get("priority").and_then(|p| p.parse().ok()) {
                route.priority = priority;
            }
        }
        None => {
            let taken = world
                .vpn_routes
                .iter()
                .any(|r| r.vpn_gateway == gateway && r.route_dest == *dest && r.next_hop == *hop);
            if taken {
                return;
            }
            let route = world.add_route(gateway, dest, hop);
            route.weight = weight;
            route.publish_vpc = publish_vpc;
            route.create_time = create_time;
        }
    }
}

/// An SSL-VPN client certificate as recorded, with its server (a default one on the
/// certificate's gateway when the state does not record it).
pub fn add_client_cert(world: &mut World, id: &str, resource: &crate::state::Resource) {
    let Some(server) = resource.attributes.get("ssl_vpn_server") else {
        return;
    };
    if world.ssl_vpn_client_certs.contains_key(id) {
        return;
    }
    if !world.ssl_vpn_servers.contains_key(server) {
        let mut bare = resource.clone();
        bare.attributes.clear();
        add_ssl_vpn_server(world, server, &bare);
    }
    let cert = world.add_client_cert(id, server);
    cert.name = resource.attributes.get("name").cloned();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Gateway;

    #[test]
    fn from_state_makes_every_recorded_server_exist_on_an_active_gateway() {
        let text = "version: 1\nlineage: l\nserial: 3\nresources:\n  ipsec_server.office:\n    id: iss-office\n    region: cn-shanghai\n    vpn_gateway: vpn-office\n    attributes: { name: office, local_subnet: 10.0.0.0/24 }\npending: []\n";
        let state: crate::state::State = serde_saphyr::from_str(text).unwrap();
        let world = from_state(&state);
        world.check().unwrap();
        assert_eq!(
            world.vpn_gateways["vpn-office"],
            Gateway::new("cn-shanghai")
        );
        let server = &world.ipsec_servers["iss-office"];
        assert_eq!(server.name.as_deref(), Some("office"));
        assert_eq!(server.local_subnet.as_deref(), Some("10.0.0.0/24"));
        assert_eq!(server.vpn_gateway, "vpn-office");
    }

    #[test]
    fn from_state_seeds_recorded_routes_through_their_connections() {
        let text = "version: 1\nlineage: l\nserial: 3\nresources:\n  vpn_connection.branch:\n    id: vco-branch\n    region: cn-hangzhou\n    vpn_gateway: vpn-hz\n    attributes: {customer_gateway: cgw-branch}\n  vpn_route.to_branch:\n    id: vre-aaaaaaaaaaaaaaaaaaaaaaaa\n    region: cn-hangzhou\n    vpn_gateway: vpn-hz\n    attributes: {route_dest: 192.168.0.0/24, next_hop: vco-branch, weight: '100', publish_vpc: 'true'}\n  vpn_policy_route.office:\n    id: vpr-aaaaaaaaaaaaaaaaaaaaaaaa\n    region: cn-hangzhou\n    vpn_gateway: vpn-hz\n    attributes: {route_source: 10.0.0.0/16, route_dest: 192.168.1.0/24, next_hop: vco-other, priority: '20'}\npending: []\n";
        let state: crate::state::State = serde_saphyr::from_str(text).unwrap();
        let world = from_state(&state);
        world.check().unwrap();
        assert_eq!(world.vpn_routes.len(), 1);
        let route = &world.vpn_routes[0];
        assert_eq!(
            (route.route_dest.as_str(), route.next_hop.as_str()),
            ("192.168.0.0/24", "vco-branch")
        );
        assert_eq!((route.weight, route.publish_vpc), (100, true));
        // Its next hop unrecorded: a connection of its own on the route's gateway.
        let policy = &world.vpn_policy_routes[0];
        assert_eq!((policy.priority, policy.weight), (20, 0));
        assert_eq!(world.vpn_connections["vco-other"].vpn_gateway, "vpn-hz");
    }

    #[test]
    fn from_state_seeds_every_recorded_attribute_and_no_server_for_a_create() {
        let text = "version: 1\nlineage: l\nserial: 3\nresources:\n  ipsec_server.office:\n    id: iss-office\n    region: cn-shanghai\n    vpn_gateway: vpn-office\n    psk: {env: OFFICE_PSK}\n    attributes: {client_ip_pool: 10.8.0.0/16, effect_immediately: 'true', ike_config.ike_version: ikev1, ike_config.ike_lifetime: '3600', ike_config.remote_id: office, ipsec_config.ipsec_pfs: disabled, ipsec_config.ipsec_lifetime: '600'}\npending:\n- {address: ipsec_server.new, action: create, region: cn-shanghai, vpn_gateway: vpn-new, client_token: t, plan_hash: h, started_at: x}\n";
        let state: crate::state::State = serde_saphyr::from_str(text).unwrap();
        let world = from_state(&state);
        let server = &world.ipsec_servers["iss-office"];
        assert_eq!(server.client_ip_pool.as_deref(), Some("10.8.0.0/16"));
        assert!(server.effect_immediately);
        assert_eq!(server.ike_config.ike_version, "ikev1");
        assert_eq!(server.ike_config.ike_lifetime, 3600);
        assert_eq!(server.ike_config.remote_id, "office");
        assert_eq!(server.ipsec_config.ipsec_pfs, "disabled");
        assert_eq!(server.ipsec_config.ipsec_lifetime, 600);
        // The pending create's gateway exists; the server it may have made does not.
        assert!(world.vpn_gateways.contains_key("vpn-new"));
        assert_eq!(world.ipsec_servers.len(), 1);
    }
}
