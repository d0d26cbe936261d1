//! State files for tests: a small builder that renders a state exactly as vpnform writes
//! it, and [`read_state`] to read back what a run wrote.
//!
//! ```ignore
//! let text = state_file()
//!     .resource(ipsec_server("office", "iss-office", "vpn-a").named())
//!     .resource(ipsec_server("lab", "iss-lab", "vpn-b").depends_on(&["office"]))
//!     .render();
//! ```

use std::path::Path;

use vpnform::state::State;

use super::Workspace;

/// The lineage of the states tests record, unless one says otherwise.
pub const LINEAGE: &str = "0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b";

/// A state file to write: lineage [`LINEAGE`], serial 3, no resource, nothing pending
/// until told otherwise.
pub fn state_file() -> StateFile {
    StateFile {
        lineage: LINEAGE.into(),
        serial: 3,
        resources: Vec::new(),
        pending: String::new(),
    }
}

/// A recorded IPsec server `ipsec_server.NAME` with id `id` on `gateway` in cn-hangzhou,
/// no attribute recorded.
pub fn ipsec_server(name: &str, id: &str, gateway: &str) -> Resource {
    Resource {
        name: name.into(),
        id: id.into(),
        region: "cn-hangzhou".into(),
        gateway: gateway.into(),
        depends_on: Vec::new(),
        protect: false,
        psk_env: None,
        attributes: Vec::new(),
    }
}

#[derive(Debug, Clone)]
pub struct StateFile {
    lineage: String,
    serial: u64,
    resources: Vec<Resource>,
    /// The journal's entries as YAML list items; empty: `pending: []`.
    pending: String,
}

#[derive(Debug, Clone)]
pub struct Resource {
    name: String,
    id: String,
    region: String,
    gateway: String,
    /// Names (`office`), not addresses.
    depends_on: Vec<String>,
    protect: bool,
    psk_env: Option<String>,
    attributes: Vec<(String, String)>,
}

impl StateFile {
    pub fn lineage(mut self, lineage: &str) -> Self {
        self.lineage = lineage.into();
        self
    }

    pub fn serial(mut self, serial: u64) -> Self {
        self.serial = serial;
        self
    }

    pub fn resource(mut self, resource: Resource) -> Self {
        self.resources.push(resource);
        self
    }

    pub fn resources(self, resources: impl IntoIterator<Item = Resource>) -> Self {
        resources.into_iter().fold(self, Self::resource)
    }

    /// The journal: its entries as YAML list items (`- address: ...`), as vpnform writes
    /// them or not (the rendering puts them in vpnform's form).
    pub fn pending(mut self, entries: &str) -> Self {
        self.pending = entries.into();
        self
    }

    /// The state file's text, exactly as vpnform writes it (`vpnform::state::to_yaml`):
    /// its header, its key order, its quoting. Panics on a state vpnform would not read.
    pub fn render(&self) -> String {
        let mut text = format!(
            "version: 1\nlineage: {}\nserial: {}\n",
            self.lineage, self.serial
        );
        if self.resources.is_empty() {
            text.push_str("resources: {}\n");
        } else {
            text.push_str("resources:\n");
        }
        for r in &self.resources {
            text.push_str(&format!(
                "  ipsec_server.{}:\n    id: {}\n    region: {}\n    vpn_gateway: {}\n",
                r.name, r.id, r.region, r.gateway
            ));
            if !r.depends_on.is_empty() {
                text.push_str("    depends_on:\n");
                for name in &r.depends_on {
                    text.push_str(&format!("    - ipsec_server.{name}\n"));
                }
            }
            if r.protect {
                text.push_str("    protect: true\n");
            }
            if let Some(env) = &r.psk_env {
                text.push_str(&format!("    psk:\n      env: {env}\n"));
            }
            if !r.attributes.is_empty() {
                text.push_str("    attributes:\n");
                for (key, value) in &r.attributes {
                    // A JSON string is a YAML double-quoted scalar.
                    text.push_str(&format!("      {key}: {}\n", serde_json::json!(value)));
                }
            }
        }
        if self.pending.is_empty() {
            text.push_str("pending: []\n");
        } else {
            text.push_str("pending:\n");
            text.push_str(&self.pending);
            if !self.pending.ends_with('\n') {
                text.push('\n');
            }
        }
        let state = vpnform::state::parse(Path::new("test state"), &text)
            .unwrap_or_else(|e| panic!("the test state does not read: {e}\n{text}"));
        vpnform::state::to_yaml(&state).expect("the test state serializes")
    }
}

impl Resource {
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }

    /// Depends on these names' servers.
    pub fn depends_on<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.depends_on = names.iter().map(|n| n.as_ref().to_owned()).collect();
        self
    }

    pub fn protect(mut self) -> Self {
        self.protect = true;
        self
    }

    /// The PSK comes from the environment variable `var`.
    pub fn psk_env(mut self, var: &str) -> Self {
        self.psk_env = Some(var.into());
        self
    }

    pub fn attribute(mut self, key: &str, value: &str) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// Records the `name` attribute as the address's name.
    pub fn named(self) -> Self {
        let name = self.name.clone();
        self.attribute("name", &name)
    }
}

/// The state the runs in `ws` wrote (local backend, `state/`); panics if there is none.
pub fn read_state(ws: &Workspace) -> State {
    vpnform::state::read(&ws.path().join("state"))
        .expect("state reads")
        .expect("state exists")
}
