//! The server: accept loop, and one request from raw bytes to answer. Everything a
//! request touches lives in one [`Shared`] behind one lock, taken twice per request
//! (once to count the call and draw its faults, once to handle it) and never held
//! across an await, so the added latency of one call does not stall the others.
//!
//! Order of checks, as Alibaba's gateway does them: line lengths (on the socket), method
//! and path (only `GET` and `POST` on `/`), body size, parameters decode, envelope
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
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::actions::Action;
use super::audit::{AuditEntry, AuditFile};
use super::faults::{Buckets, Dice, Draw, Fault, Injection, take_injection};
use super::inner::{Call, Inner};
use super::live::Live;
use super::wire::{self, ApiError, Request};
use super::world::World;
use super::{SandboxConfig, lock};

/// The longest line served: a request line (with its query), a header, or a form body
/// without line breaks. A real call's query is a few kilobytes. A longer line gets an
/// Alibaba-shaped `InvalidParameter` from [`BoundedLines`]; hyper would answer a bare
/// 414 or 431 (and the `http` crate cannot even hold a URI over 64 KiB).
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;
/// The longest form body served.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Serves the sandbox on `listener` until `shutdown` resolves, then lets answers in
/// flight finish. Used by [`super::start`] (tests, `--sandbox`) and `sandbox serve`.
///
/// hyper is driven directly rather than through `axum::serve`, which sets no timer: a
/// client that sends half a request line and then nothing (slowloris) would hold its
/// connection forever. Here the request line and headers must arrive within the
/// configured read timeout (hyper's `header_read_timeout`, which also closes a
/// keep-alive connection left idle that long), and [`handle`] bounds the body.
pub(crate) async fn run(
    listener: tokio::net::TcpListener,
    shared: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};

    let read_timeout = lock(&shared.0).config.read_timeout;
    // Every path reaches `handle`, which answers anything but `/` in Alibaba's shape.
    let app = axum::Router::new().fallback(handle).with_state(shared);
    let (closing, closed) = tokio::sync::watch::channel(());
    // Dropping the set (an aborted server) aborts every connection with it.
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors and the like: let some connections end.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let mut closed = closed.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout);
            let io = TokioIo::new(BoundedLines::new(stream));
            let mut conn = std::pin::pin!(builder.serve_connection(io, service));
            // Errors are per-connection I/O errors (a client hanging up, a timeout).
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = closed.changed() => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    drop(closing);
    while connections.join_next().await.is_some() {}
}

/// Everything the requests share, behind one lock.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    pub(crate) fn new(config: SandboxConfig, world: World) -> std::io::Result<Shared> {
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

    pub(crate) fn audit(&self) -> Vec<AuditEntry> {
        lock(&self.0).audit.clone()
    }

    pub(crate) fn world(&self) -> World {
        let mut inner = lock(&self.0);
        inner.live.settle(Instant::now());
        inner.live.snapshot()
    }

    pub(crate) fn calls(&self) -> BTreeMap<String, u64> {
        lock(&self.0).calls.clone()
    }

    pub(crate) fn max_concurrent_updating(&self) -> usize {
        lock(&self.0).live.max_updating()
    }

    pub(crate) fn with_config(&self, f: impl FnOnce(&mut SandboxConfig)) {
        f(&mut lock(&self.0).config)
    }

    pub fn edit_world(&self, f: impl FnOnce(&mut World)) {
        let mut inner = lock(&self.0);
        inner.live.settle(Instant::now());
        f(inner.live.world_mut())
    }
}

impl Inner {
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
        let action = Action::parse(req.get("Action").unwrap_or_default())?;
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

/// The names of the secrets a caller sends: the STS token, a PSK (a server's `Psk`, a
/// tunnel's `TunnelOptionsSpecification.N.TunnelIkeConfig.Psk`, the `Psk` key of a
/// connection's `IkeConfig`), a customer gateway's BGP `AuthKey`; and the names of a
/// client certificate's material, which only an answer carries (DescribeSslVpnClientCert),
/// so that a client that sends it back, by mistake or in a test, is not logged either.
const SECRET_NAMES: [&str; 7] = [
    "SecurityToken",
    "Psk",
    "AuthKey",
    "CaCert",
    "ClientCert",
    "ClientKey",
    "ClientConfig",
];

/// A parameter's value as the call log shows it: `***` for a secret, and a JSON object
/// (`IkeConfig`, `BgpConfig`, ...) with its secret keys' values `***`. JSON that does
/// not parse but names a secret key is `***` whole: what it holds is unknown.
fn redacted(name: &str, value: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    if SECRET_NAMES.contains(&last) {
        return "***".to_owned();
    }
    let names_a_secret = || {
        let lower = value.to_ascii_lowercase();
        SECRET_NAMES
            .iter()
            .any(|secret| lower.contains(&secret.to_ascii_lowercase()))
    };
    if !value.trim_start().starts_with(['{', '[']) || !names_a_secret() {
        return value.to_owned();
    }
    match serde_json::from_str::<Value>(value) {
        Ok(mut json) => {
            redact_json(&mut json);
            json.to_string()
        }
        Err(_) => "***".to_owned(),
    }
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if SECRET_NAMES
                    .iter()
                    .any(|secret| key.eq_ignore_ascii_case(secret))
                {
                    *inner = Value::String("***".to_owned());
                } else {
                    redact_json(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// One answered call, as the logger sees it.
#[derive(Debug, Clone)]
pub struct CallLog {
    pub action: String,
    /// Every parameter but `Signature`, in the order sent; secrets (the STS token, PSKs,
    /// BGP keys, certificate material, inside JSON objects too) as `***`.
    pub params: Vec<(String, String)>,
    /// 0 when the connection was dropped without an answer.
    pub status: u16,
    /// The error code, if any.
    pub code: Option<String>,
    pub request_id: String,
}

/// `text` for a one-line log: backslashes, control characters (CR and LF above all)
/// and the Unicode line and bidi controls escaped as `\n`, `\u{202e}`, so a parameter
/// (signed or not) can neither start a forged log line nor reorder the one it is on.
pub(crate) fn escape_for_log(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.extend(c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for CallLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = if self.action.is_empty() {
            "(no Action)".to_owned()
        } else {
            escape_for_log(&self.action)
        };
        let outcome = match (self.status, &self.code) {
            (0, _) => "dropped".to_owned(),
            (s, Some(code)) => format!("{s} {code}"),
            (s, None) => format!("{s} OK"),
        };
        write!(f, "{action} -> {outcome} [{}]", self.request_id)?;
        for (k, v) in &self.params {
            write!(f, " {}={}", escape_for_log(k), escape_for_log(v))?;
        }
        Ok(())
    }
}

/// The method and the path: what is checked before any parameter is read. (Line
/// lengths are bounded on the socket, by [`BoundedLines`]; the body by [`read_body`].)
fn check_envelope(method: &Method, uri: &Uri) -> Result<(), ApiError> {
    if method != Method::GET && method != Method::POST {
        return Err(ApiError::new(
            405,
            "UnsupportedHTTPMethod",
            format!(
                "The HTTP method {method} is not supported: call the API with GET or POST on /."
            ),
        ));
    }
    if uri.path() != "/" {
        return Err(ApiError::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method: the API is served on / only.",
        ));
    }
    Ok(())
}

/// A connection as hyper reads it, with every line bounded by [`MAX_LINE_BYTES`]. A
/// longer line is answered here, in Alibaba's shape, and the connection ends: the read
/// fails, hyper lets go of the connection, and its drop drains what the client is still
/// sending (closing a socket with unread data would send a reset, which can destroy the
/// answer before the client reads it).
struct BoundedLines {
    stream: Option<tokio::net::TcpStream>,
    /// Bytes since the last line feed.
    line: usize,
    refused: bool,
}

impl BoundedLines {
    fn new(stream: tokio::net::TcpStream) -> Self {
        BoundedLines {
            stream: Some(stream),
            line: 0,
            refused: false,
        }
    }

    fn stream(&mut self) -> std::io::Result<&mut tokio::net::TcpStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| std::io::Error::other("connection closed"))
    }

    /// Writes the refusal: a small answer on a socket whose send buffer holds nothing
    /// else of this request, so a non-blocking write takes it whole.
    fn refuse(&mut self) -> std::io::Error {
        self.refused = true;
        let request_id = wire::new_request_id();
        let err = ApiError::new(
            400,
            "InvalidParameter",
            format!(
                "The request has a line (its query string, a header or a form body) longer than {MAX_LINE_BYTES} bytes."
            ),
        );
        let body = wire::error_body(&err, &request_id, "127.0.0.1").to_string();
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json;charset=utf-8\r\nx-acs-request-id: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        if let Ok(stream) = self.stream() {
            let mut bytes = answer.as_bytes();
            while !bytes.is_empty() {
                match stream.try_write(bytes) {
                    Ok(n) if n > 0 => bytes = &bytes[n..],
                    _ => break,
                }
            }
        }
        std::io::Error::new(std::io::ErrorKind::InvalidData, "request line too long")
    }
}

impl tokio::io::AsyncRead for BoundedLines {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.refused {
            return Poll::Ready(Err(std::io::Error::other("request refused")));
        }
        let before = buf.filled().len();
        let stream = self.stream()?;
        std::task::ready!(Pin::new(stream).poll_read(cx, buf))?;
        // A whole long line can arrive in one read: check each line, not the last.
        let mut line = self.line;
        let mut longest = 0;
        for b in &buf.filled()[before..] {
            line = if *b == b'\n' { 0 } else { line + 1 };
            longest = longest.max(line);
        }
        self.line = line;
        if longest > MAX_LINE_BYTES {
            return Poll::Ready(Err(self.refuse()));
        }
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for BoundedLines {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.refused {
            // The refusal was the answer; whatever hyper makes of the failed read (an
            // error answer of the handler's, mid-body) must not follow it.
            return Poll::Ready(Ok(data.len()));
        }
        Pin::new(self.stream()?).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(self.stream()?).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(self.stream()?).poll_shutdown(cx)
    }
}

impl Drop for BoundedLines {
    fn drop(&mut self) {
        let Some(mut stream) = self.stream.take().filter(|_| self.refused) else {
            return;
        };
        // Lingering close, as web servers do it: send FIN, then read and discard what
        // the client still sends, for a bounded time and size.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                let _ = stream.shutdown().await;
                let mut sink = [0u8; 16 * 1024];
                let mut left: usize = 16 * 1024 * 1024;
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while let Ok(n) = stream.read(&mut sink).await {
                        if n == 0 || left < n {
                            break;
                        }
                        left -= n;
                    }
                })
                .await;
            });
        }
    }
}

/// The body, at most [`MAX_BODY_BYTES`], within the read timeout.
async fn read_body(body: Body, timeout: Duration) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(ApiError::new(
            413,
            "InvalidParameter",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes, or was cut off."),
        )),
        Err(_) => Err(ApiError::new(
            408,
            "RequestTimeout",
            format!(
                "The request body did not arrive within {}s.",
                timeout.as_secs_f64()
            ),
        )),
    }
}

async fn handle(State(shared): State<Shared>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
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
    let read_timeout = lock(&shared.0).config.read_timeout;
    let parsed = match check_envelope(&method, &uri) {
        Err(e) => Err(e),
        Ok(()) if is_form => match read_body(body, read_timeout).await {
            Ok(body) => Request::parse(method.as_str(), uri.query(), Some(&body[..])),
            Err(e) => Err(e),
        },
        Ok(()) => Request::parse(method.as_str(), uri.query(), None),
    };
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
    // A repeated ClientToken is answered with the first answer, RequestId included
    // ("any subsequent retries return the result from the original successful
    // request"): the header and the log name the answer's RequestId too.
    let request_id = match &result {
        Ok(value) => value["RequestId"]
            .as_str()
            .map_or(request_id, str::to_owned),
        Err(_) => request_id,
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
                    .map(|(k, v)| (k.clone(), redacted(k, v)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_logged_as_stars_inside_json_too() {
        assert_eq!(redacted("Psk", "hunter2"), "***");
        assert_eq!(redacted("AuthKey", "bgp-key"), "***");
        assert_eq!(
            redacted("TunnelOptionsSpecification.2.TunnelIkeConfig.Psk", "k"),
            "***"
        );
        assert_eq!(
            redacted("IkeConfig", r#"{"IkeVersion":"ikev2","Psk":"hunter2"}"#),
            r#"{"IkeVersion":"ikev2","Psk":"***"}"#
        );
        assert_eq!(redacted("IkeConfig", r#"{"psk": "hunter2""#), "***");
        // Nothing secret: as sent.
        assert_eq!(
            redacted("IkeConfig", r#"{"IkeVersion": "ikev2"}"#),
            r#"{"IkeVersion": "ikev2"}"#
        );
        assert_eq!(redacted("Name", "psk-rotation"), "psk-rotation");
        // Certificate material, and names that only look like it.
        assert_eq!(redacted("ClientKey", "-----BEGIN PRIVATE KEY-----"), "***");
        assert_eq!(
            redacted("Material", r#"{"ClientConfig":"client","CaCert":"pem"}"#),
            r#"{"CaCert":"***","ClientConfig":"***"}"#
        );
        assert_eq!(redacted("SslVpnClientCertId", "vsc-a"), "vsc-a");
    }
}
