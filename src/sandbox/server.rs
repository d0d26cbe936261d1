//! The server: accept loop, and one request from raw bytes to answer. Everything a
//! request touches lives in one [`Shared`] behind one lock, taken twice per request
//! (once to count the call and draw its faults, once to handle it) and never held
//! across an await, so the added latency of one call does not stall the others.
//!
//! Order of checks, as Alibaba's gateway does them: parameters decode, envelope
//! (`MissingParameter`), access key, timestamp format, signature, timestamp skew, nonce,
//! version, action, policy, rate limit, injected failures, then the action itself.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::actions::Action;
use super::audit::{AuditEntry, AuditFile};
use super::faults::{Buckets, Dice, Draw, Fault, Injection, take_injection};
use super::wire::{self, ApiError, Request};
use super::world::{Live, World};
use super::{SandboxConfig, lock};

/// Serves the sandbox on `listener` until `shutdown` resolves, then lets answers in
/// flight finish. Used by [`super::start`] (tests, `--sandbox`) and `sandbox serve`.
pub async fn run(
    listener: tokio::net::TcpListener,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Every path answers: RPC style signs `/` whatever the path, like Alibaba's gateway.
    let app = axum::Router::new().fallback(handle).with_state(shared);
    // Errors here are per-connection I/O errors (a client hanging up); nothing to do.
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
}

/// Everything the requests share, behind one lock.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Inner>>);

/// The state behind the lock. Actions get `&mut Inner`.
pub struct Inner {
    pub config: SandboxConfig,
    pub live: Live,
    pub dice: Dice,
    buckets: Buckets,
    /// Nonce -> when it was first seen.
    nonces: HashMap<String, Instant>,
    /// ClientToken -> the request's fingerprint and the first answer.
    pub tokens: HashMap<String, (String, Value)>,
    audit: Vec<AuditEntry>,
    audit_file: Option<AuditFile>,
    calls: BTreeMap<String, u64>,
    /// Maps the monotonic clock to wall time for the audit log.
    epoch: (Instant, jiff::Timestamp),
}

impl Shared {
    pub fn new(config: SandboxConfig, world: World) -> std::io::Result<Shared> {
        let audit_file = match &config.audit_path {
            Some(path) => Some(AuditFile::open(path)?),
            None => None,
        };
        Ok(Shared(Arc::new(Mutex::new(Inner {
            dice: Dice::new(config.seed),
            config,
            live: Live::new(world),
            buckets: Buckets::default(),
            nonces: HashMap::new(),
            tokens: HashMap::new(),
            audit: Vec::new(),
            audit_file,
            calls: BTreeMap::new(),
            epoch: (Instant::now(), jiff::Timestamp::now()),
        }))))
    }

    pub fn audit(&self) -> Vec<AuditEntry> {
        lock(&self.0).audit.clone()
    }

    pub fn world(&self) -> World {
        let mut inner = lock(&self.0);
        inner.live.settle(Instant::now());
        inner.live.snapshot()
    }

    pub fn calls(&self) -> BTreeMap<String, u64> {
        lock(&self.0).calls.clone()
    }

    pub fn max_concurrent_updating(&self) -> usize {
        lock(&self.0).live.max_updating()
    }

    pub fn with_config(&self, f: impl FnOnce(&mut SandboxConfig)) {
        f(&mut lock(&self.0).config)
    }

    pub fn edit_world(&self, f: impl FnOnce(&mut World)) {
        let mut inner = lock(&self.0);
        inner.live.settle(Instant::now());
        f(inner.live.world_mut())
    }
}

impl Inner {
    /// Wall time of a monotonic instant, RFC 3339 UTC with milliseconds.
    pub fn wall(&self, at: Instant) -> String {
        let (base, wall) = self.epoch;
        let since = jiff::SignedDuration::try_from(at.saturating_duration_since(base))
            .unwrap_or(jiff::SignedDuration::ZERO);
        let t = wall.checked_add(since).unwrap_or(wall);
        t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Records an effect in memory and, if asked, in the audit file.
    pub fn record(&mut self, entry: AuditEntry) {
        if let Some(file) = &mut self.audit_file {
            // The in-memory log stays the truth for tests; a full disk must not turn an
            // applied effect into an error answer, which would invite a second effect.
            let _ = file.append(&entry);
        }
        self.audit.push(entry);
    }

    /// Envelope, credentials, signature, freshness, nonce, version.
    fn authenticate(&mut self, req: &Request) -> Result<(), ApiError> {
        for name in [
            "Action",
            "Version",
            "AccessKeyId",
            "Signature",
            "SignatureNonce",
            "Timestamp",
        ] {
            if req.get(name).is_none() {
                return Err(ApiError::missing_common(name));
            }
        }
        if req.get("SignatureMethod").is_some_and(|m| m != "HMAC-SHA1") {
            return Err(ApiError::invalid(
                "SignatureMethod",
                "only HMAC-SHA1 is supported.",
            ));
        }
        if req.get("SignatureVersion").is_some_and(|v| v != "1.0") {
            return Err(ApiError::invalid(
                "SignatureVersion",
                "only 1.0 is supported.",
            ));
        }
        if req.get("AccessKeyId") != Some(self.config.access_key_id.as_str()) {
            return Err(ApiError::new(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            ));
        }
        let stamp = req.get("Timestamp").unwrap_or_default();
        let time: jiff::Timestamp = stamp.parse().map_err(|_| {
            ApiError::new(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?;
        req.verify_signature(self.config.access_key_secret.expose())?;
        if self.config.check_timestamp {
            let skew = jiff::Timestamp::now().duration_since(time).unsigned_abs();
            if skew > wire::MAX_SKEW {
                return Err(ApiError::new(
                    400,
                    "InvalidTimeStamp.Expired",
                    format!(
                        "Specified time stamp or date value is expired. Request time {stamp} is more than 15 minutes from server time."
                    ),
                ));
            }
        }
        let nonce = req.get("SignatureNonce").unwrap_or_default();
        let now = Instant::now();
        if self.nonces.contains_key(nonce) {
            return Err(ApiError::new(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ));
        }
        if self.nonces.len() > 100_000 {
            // A nonce older than twice the skew window cannot come back with a valid
            // timestamp, so forgetting it keeps memory bounded without reopening replay.
            self.nonces
                .retain(|_, seen| now.duration_since(*seen) < 2 * wire::MAX_SKEW);
        }
        self.nonces.insert(nonce.to_owned(), now);
        if req.get("Version") != Some(wire::VERSION) {
            return Err(ApiError::new(
                400,
                "InvalidVersion",
                format!(
                    "Specified parameter Version is not valid: this API speaks {}.",
                    wire::VERSION
                ),
            ));
        }
        Ok(())
    }

    /// Everything after the first lock: checks, faults, the action.
    fn process(&mut self, req: &Request, draw: Draw, request_id: &str) -> Result<Value, Handled> {
        self.authenticate(req)?;
        let action = Action::parse(req.get("Action").unwrap_or_default());
        if let Action::Unknown(name) = &action {
            return Err(ApiError::new(
                404,
                "InvalidAction.NotFound",
                format!("Specified api {name} is not found, please check your url and method."),
            )
            .into());
        }
        if self.config.policy.deny_actions.contains(action.name()) {
            return Err(ApiError::forbidden().into());
        }
        let now = Instant::now();
        if let Some(limits) = &self.config.rate_limits
            && let Err(wait) = self.buckets.take(limits, action.name(), now)
        {
            return Err(ApiError::throttled(wait).into());
        }
        let injected = take_injection(&mut self.config.injections, action.name());
        if let Some(j) = injected.as_ref().filter(|j| !j.after_effect) {
            return Err(injected_error(j).into());
        }
        match draw.fault {
            Some(Fault::InternalError) => return Err(ApiError::internal().into()),
            Some(Fault::Unavailable) => return Err(ApiError::unavailable().into()),
            Some(Fault::Throttle) => {
                return Err(ApiError::throttled(Duration::from_millis(200)).into());
            }
            _ => {}
        }
        self.live.settle(now);
        let call = Call {
            request_id: request_id.to_owned(),
            now,
        };
        let answer = action.execute(req, self, &call)?;
        if let Some(j) = &injected {
            return Err(injected_error(j).into());
        }
        match draw.fault {
            Some(f) if f.after_effect() && f == Fault::LostDrop => Err(Handled::Drop),
            Some(f) if f.after_effect() => Err(ApiError::internal().into()),
            _ => Ok(answer),
        }
    }
}

fn injected_error(j: &Injection) -> ApiError {
    ApiError {
        retry_after: j.retry_after,
        ..ApiError::new(
            j.status,
            &j.code,
            format!("{} (injected by the sandbox).", j.code),
        )
    }
}

/// What an action knows about the call besides its parameters.
#[derive(Debug, Clone)]
pub struct Call {
    pub request_id: String,
    /// The instant the action runs: every time comparison in it uses this one.
    pub now: Instant,
}

/// A request that did not end in a success answer.
enum Handled {
    Error(ApiError),
    /// Drop the connection without an answer (after the effect).
    Drop,
}

impl From<ApiError> for Handled {
    fn from(e: ApiError) -> Self {
        Handled::Error(e)
    }
}

/// One answered call, as the logger sees it.
#[derive(Debug, Clone)]
pub struct CallLog {
    pub action: String,
    /// Every parameter but `Signature`, in the order sent; `SecurityToken` as `***`.
    pub params: Vec<(String, String)>,
    /// 0 when the connection was dropped without an answer.
    pub status: u16,
    /// The error code, if any.
    pub code: Option<String>,
    pub request_id: String,
}

impl fmt::Display for CallLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = if self.action.is_empty() {
            "(no Action)"
        } else {
            &self.action
        };
        let outcome = match (self.status, &self.code) {
            (0, _) => "dropped".to_owned(),
            (s, Some(code)) => format!("{s} {code}"),
            (s, None) => format!("{s} OK"),
        };
        write!(f, "{action} -> {outcome} [{}]", self.request_id)?;
        for (k, v) in &self.params {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = wire::new_request_id();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("vpc.aliyuncs.com")
        .to_owned();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let parsed = Request::parse(method.as_str(), uri.query(), is_form.then_some(&body[..]));
    let action = parsed
        .as_ref()
        .ok()
        .and_then(|r| r.get("Action"))
        .unwrap_or_default()
        .to_owned();
    let (delay, draw) = {
        let mut inner = lock(&shared.0);
        *inner.calls.entry(action.clone()).or_default() += 1;
        let faults = inner.config.faults.clone();
        let draw = inner.dice.draw(&faults);
        (inner.config.latency + draw.latency, draw)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (result, logger) = {
        let mut inner = lock(&shared.0);
        let result = match &parsed {
            Ok(req) => inner.process(req, draw, &request_id),
            Err(e) => Err(Handled::Error(e.clone())),
        };
        (result, inner.config.logger.clone())
    };
    let xml = parsed.as_ref().is_ok_and(|r| r.wants_xml());
    let (status, code) = match &result {
        Ok(_) => (200, None),
        Err(Handled::Error(e)) => (e.status, Some(e.code.clone())),
        Err(Handled::Drop) => (0, None),
    };
    if let Some(logger) = logger {
        let params = parsed
            .as_ref()
            .map(|r| {
                r.pairs
                    .iter()
                    .filter(|(k, _)| k != "Signature")
                    .map(|(k, v)| {
                        let v = if k == "SecurityToken" { "***" } else { v };
                        (k.clone(), v.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        logger(&CallLog {
            action: action.clone(),
            params,
            status,
            code,
            request_id: request_id.clone(),
        });
    }
    match result {
        Ok(value) => answer(200, xml, &format!("{action}Response"), &value, &request_id),
        Err(Handled::Error(e)) => {
            let mut response = answer(
                e.status,
                xml,
                "Error",
                &wire::error_body(&e, &request_id, &host),
                &request_id,
            );
            if let Some(wait) = e.retry_after {
                response.headers_mut().insert(
                    "x-acs-retry-after",
                    HeaderValue::from(wait.as_millis().max(1) as u64),
                );
            }
            response
        }
        Err(Handled::Drop) => Response::new(Body::new(LostAnswer)),
    }
}

fn answer(status: u16, xml: bool, root: &str, value: &Value, request_id: &str) -> Response {
    let (content_type, text) = if xml {
        ("text/xml;charset=utf-8", wire::to_xml(root, value))
    } else {
        ("application/json;charset=utf-8", value.to_string())
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", id);
    }
    response
}

/// A body that fails before its first byte: hyper then closes the connection without
/// flushing the head, so the client sees the connection drop with no answer at all.
struct LostAnswer;

impl http_body::Body for LostAnswer {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox fault: answer lost after the effect",
        ))))
    }
}
