//! The sandbox fixture: the emulator served in-process on 127.0.0.1:0, every call it
//! answered kept for the test to read, with the instant it was answered. Built here
//! only, for every black-box test.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use vpnform::sandbox::{self, AuditEntry, CallLog, Sandbox, SandboxConfig, World};

/// A call the sandbox answered, and when.
#[derive(Clone)]
pub struct Seen {
    pub at: jiff::Timestamp,
    pub call: CallLog,
}

/// Every call the sandbox answered, in order.
#[derive(Clone, Default)]
pub struct Wire(Arc<Mutex<Vec<Seen>>>);

impl Wire {
    pub fn calls(&self) -> Vec<CallLog> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.call.clone())
            .collect()
    }

    /// Every call with the instant it was answered.
    pub fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// Real (not DryRun) calls of `action`.
    pub fn sent(&self, action: &str) -> Vec<CallLog> {
        self.calls()
            .into_iter()
            .filter(|c| c.action == action && param(c, "DryRun") != Some("true"))
            .collect()
    }

    /// How many answers carried `code`.
    pub fn answers_with(&self, code: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.call.code.as_deref() == Some(code))
            .count()
    }
}

/// A parameter of a logged call.
pub fn param<'a>(call: &'a CallLog, name: &str) -> Option<&'a str> {
    call.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Starts the sandbox on the current runtime, logging every call into the returned
/// [`Wire`] (and to `config.logger`, if any).
pub async fn serve(mut config: SandboxConfig, world: World) -> (Sandbox, Wire) {
    let wire = Wire::default();
    let log = wire.0.clone();
    let also = config.logger.take();
    config.logger = Some(Arc::new(move |call: &CallLog| {
        log.lock().unwrap().push(Seen {
            at: jiff::Timestamp::now(),
            call: call.clone(),
        });
        if let Some(also) = &also {
            also(call);
        }
    }));
    let sandbox = sandbox::start(config, world).await.expect("sandbox starts");
    (sandbox, wire)
}

/// A sandbox configuring gateways in exactly `configure`.
pub fn configuring(configure: Duration) -> SandboxConfig {
    SandboxConfig {
        configure_time: (configure, configure),
        ..SandboxConfig::default()
    }
}

/// The world a state file records (the test's own text, so it parses).
pub fn world_of(state_text: &str) -> World {
    let state = vpnform::state::parse(std::path::Path::new("state.yaml"), state_text)
        .expect("test state parses");
    vpnform::kinds::ipsec_server::seed::from_state(&state)
}

/// The sandbox served by a runtime of its own, so that a test thread can run the real
/// binary against it with blocking calls. Shut down on drop.
pub struct Cloud {
    runtime: tokio::runtime::Runtime,
    sandbox: Option<Sandbox>,
    pub wire: Wire,
}

impl Cloud {
    pub fn start(config: SandboxConfig, world: World) -> Cloud {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (sandbox, wire) = runtime.block_on(serve(config, world));
        Cloud {
            runtime,
            sandbox: Some(sandbox),
            wire,
        }
    }

    /// A sandbox whose world is what the state file records.
    pub fn for_state(state_text: &str, configure: Duration) -> Cloud {
        Cloud::start(configuring(configure), world_of(state_text))
    }

    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().unwrap()
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub fn url(&self) -> String {
        self.sandbox().url()
    }

    /// The environment a run of the binary needs to reach this sandbox.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("VPNFORM_ENDPOINT", self.url()),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                sandbox::DEFAULT_ACCESS_KEY_ID.to_owned(),
            ),
            (
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                sandbox::DEFAULT_ACCESS_KEY_SECRET.to_owned(),
            ),
        ]
    }

    /// Changes server `id` as the console would: no API call, no audit entry.
    pub fn console(&self, id: &str, change: impl FnOnce(&mut vpnform::sandbox::IpsecServer)) {
        self.sandbox().shared().edit_world(|w| {
            change(w.ipsec_servers.get_mut(id).expect("the server exists"));
        });
    }

    /// Every delete that took effect so far, from the audit log.
    pub fn deletes(&self) -> Vec<AuditEntry> {
        self.effects("DeleteIpsecServer")
    }

    /// Every real (not DryRun) DeleteIpsecServer call answered so far.
    pub fn sent_deletes(&self) -> Vec<CallLog> {
        self.wire.sent("DeleteIpsecServer")
    }

    /// Every effect of `action` so far, from the audit log.
    pub fn effects(&self, action: &str) -> Vec<AuditEntry> {
        self.sandbox()
            .audit()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.shutdown());
        }
    }
}
