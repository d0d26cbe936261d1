//! The client proper: builds, signs and sends each request, decodes the answers into
//! typed values, and retries what may be retried (throttling, transient failures) with
//! the same ClientToken and a fresh nonce and timestamp every attempt.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::answers::{DescribeVpnGatewaysPage, RawGateway, RequestIdOnly};
use super::endpoint::{EndpointError, endpoint_for, is_loopback};
use super::error::{
    ApiError, ErrorClass, decode_error, diagnose_signature, split_server_string_to_sign,
};
use super::retry::{RateLimiter, ThrottleWarning, backoff, retry_after, retry_after_acs};
use super::sign;
use super::types::{ClientOptions, Credentials, VpnGateway};

const API_VERSION: &str = "2016-04-28";
/// ListIpsecServers' largest page.
pub(crate) const LIST_PAGE: usize = 20;
/// DescribeVpnGateways' largest page.
pub(crate) const DESCRIBE_PAGE: usize = 50;
/// A listing that has not ended after this many pages is a server bug, not a big account.
pub(crate) const MAX_PAGES: usize = 10_000;
/// The most bytes one API answer may have. The largest real one, a page of 50 gateways
/// or 20 servers, is tens of kilobytes; a body a hundred times that is not the VPC API,
/// and reading it whole would let a hostile endpoint take the machine's memory.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("could not set up the HTTPS client: {0}")]
    Http(String),
}

type NowFn = dyn Fn() -> jiff::Timestamp + Send + Sync;
type NonceFn = dyn Fn() -> String + Send + Sync;
type RandomFn = dyn Fn() -> f64 + Send + Sync;
type WarnFn = dyn Fn(&ThrottleWarning) + Send + Sync;

/// Builds a [`Client`]; tests use it to inject the clock, the nonce and the jitter.
pub struct ClientBuilder {
    credentials: Credentials,
    options: ClientOptions,
    now: Arc<NowFn>,
    nonce: Arc<NonceFn>,
    random: Arc<RandomFn>,
    warn: Arc<WarnFn>,
}

impl ClientBuilder {
    /// Where the one warning about an action's persistent throttling goes (the CLI
    /// prints it on stderr); by default a `tracing` warning.
    pub(crate) fn on_throttle_warning(
        mut self,
        warn: impl Fn(&ThrottleWarning) + Send + Sync + 'static,
    ) -> Self {
        self.warn = Arc::new(warn);
        self
    }

    /// The clock the `Timestamp` parameter is read from.
    pub fn clock(mut self, now: impl Fn() -> jiff::Timestamp + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The `SignatureNonce` of each attempt. It must differ on every call of the function.
    pub fn nonce(mut self, nonce: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.nonce = Arc::new(nonce);
        self
    }

    /// The jitter source, a number in `[0, 1)`.
    pub fn random(mut self, random: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    pub fn build(self) -> Result<Client, CloudError> {
        let endpoint = match &self.options.endpoint {
            Some(e) => Some(endpoint_for("", Some(e))?),
            None => None,
        };
        // reqwest is built with rustls but no crypto provider, so that the ring one is
        // chosen here and no C crypto library (OpenSSL, aws-lc) is linked. Installing
        // twice is harmless: the first provider stays.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut http = reqwest::Client::builder()
            .tls_backend_rustls()
            .user_agent(concat!("vpnform/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.options.request_timeout.min(Duration::from_secs(10)))
            // A request carries its signature and any STS token: it goes to the endpoint
            // and nowhere else. A 3xx is an error naming the endpoint (see `send`).
            .redirect(reqwest::redirect::Policy::none());
        if endpoint.as_ref().is_some_and(is_loopback) {
            // The sandbox on this machine: a corporate HTTPS_PROXY must not see it.
            http = http.no_proxy();
        } else {
            http = http.https_only(true);
        }
        let http = http
            .build()
            .map_err(|e| CloudError::Http(error_chain(&e)))?;
        let limiter = RateLimiter::new(self.options.requests_per_second);
        // Library callers are not bounded by `--parallelism`'s parser: above MAX_PERMITS
        // `Semaphore::new` panics.
        let in_flight = Semaphore::new(self.options.max_in_flight.clamp(1, Semaphore::MAX_PERMITS));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                credentials: self.credentials,
                options: self.options,
                now: self.now,
                nonce: self.nonce,
                random: self.random,
                warn: self.warn,
                limiter,
                in_flight,
                stats: Mutex::new(ClientStats::default()),
            }),
        })
    }
}

/// The VPC API client. Cloning is cheap and shares connections, limits and stats, so
/// apply's tasks all run on one client.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `--endpoint`, validated once; `None`: the region's endpoint.
    endpoint: Option<Url>,
    credentials: Credentials,
    options: ClientOptions,
    now: Arc<NowFn>,
    nonce: Arc<NonceFn>,
    random: Arc<RandomFn>,
    warn: Arc<WarnFn>,
    limiter: RateLimiter,
    in_flight: Semaphore,
    stats: Mutex<ClientStats>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.as_ref().map(Url::as_str))
            .field("credentials", &self.inner.credentials)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// What the client did, for benchmarks, tests and `-v` summaries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientStats {
    /// Calls per action (one call = all of its attempts; a paged listing is one call
    /// per page).
    pub calls: BTreeMap<String, u64>,
    /// HTTP attempts per action, first tries and retries.
    pub attempts: BTreeMap<String, u64>,
    /// Retries the client made, by the class of the error that caused them.
    pub retries: BTreeMap<ErrorClass, u64>,
    /// Time slept before those retries, by class.
    pub waited: BTreeMap<ErrorClass, Duration>,
    /// Errors handed back to callers, by class.
    pub(crate) errors: BTreeMap<ErrorClass, u64>,
    /// The current client-side rate limit per action, requests per second.
    pub rates: BTreeMap<String, f64>,
}

/// A successful answer: its body and RequestId.
pub(crate) struct Answer {
    body: Vec<u8>,
    pub(crate) request_id: Option<String>,
}

impl Client {
    pub fn new(credentials: Credentials, options: ClientOptions) -> Result<Client, CloudError> {
        Client::builder(credentials, options).build()
    }

    /// A builder with the real clock, UUID nonces and random jitter.
    pub fn builder(credentials: Credentials, options: ClientOptions) -> ClientBuilder {
        ClientBuilder {
            credentials,
            options,
            now: Arc::new(jiff::Timestamp::now),
            nonce: Arc::new(|| uuid::Uuid::new_v4().to_string()),
            random: Arc::new(rand::random::<f64>),
            warn: Arc::new(|w: &ThrottleWarning| tracing::warn!("{w}")),
        }
    }

    /// Where the credentials came from (`environment (...)`, a file and profile).
    pub fn credentials_source(&self) -> &str {
        &self.inner.credentials.source
    }

    /// The rate `action` is sent at now, requests a second (progress lines).
    pub(crate) fn rate(&self, action: &str) -> Option<f64> {
        self.inner.limiter.rates().get(action).copied()
    }

    /// The endpoint the learned rates belong to: `--endpoint` without any query or user
    /// (no secret), or `regional` for the regions' own endpoints.
    pub fn endpoint_key(&self) -> String {
        match &self.inner.endpoint {
            Some(url) => {
                let mut url = url.clone();
                url.set_query(None);
                url.set_fragment(None);
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.to_string()
            }
            None => "regional".to_owned(),
        }
    }

    /// Starts `action` from a rate an earlier run learned (see
    /// [`super::retry::RateLimiter::start_from`]); the rate it starts at, if taken.
    pub fn start_from(&self, action: &str, learned: super::LearnedRate) -> Option<f64> {
        self.inner.limiter.start_from(action, learned)
    }

    /// What each action's lane learned this run, for the next run's start.
    pub fn learned_rates(&self) -> BTreeMap<String, super::LearnedRate> {
        self.inner.limiter.learned()
    }

    pub fn stats(&self) -> ClientStats {
        let mut stats = self.inner.stats.lock().expect("stats lock").clone();
        stats.rates = self.inner.limiter.rates();
        stats
    }

    /// `DescribeVpnGateway`. An unknown gateway is `Err` with class
    /// [`ErrorClass::NotFound`] (`InvalidVpnGatewayInstanceId.NotFound`).
    pub async fn describe_vpn_gateway(
        &self,
        region: &str,
        id: &str,
    ) -> Result<VpnGateway, ApiError> {
        const ACTION: &str = "DescribeVpnGateway";
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("VpnGatewayId".to_owned(), id.to_owned()),
        ];
        let answer = self.call(ACTION, region, params).await?;
        let gw: RawGateway = decode_body(ACTION, &answer)?;
        Ok(gw.into_gateway(region))
    }

    /// `DescribeVpnGateways`: every gateway of the region, 50 a page, sorted by id.
    pub async fn describe_vpn_gateways(&self, region: &str) -> Result<Vec<VpnGateway>, ApiError> {
        self.describe_vpn_gateways_with_status(region, None).await
    }

    /// `DescribeVpnGateways` filtered by `Status` (`updating`, ...) when given: the
    /// gateways of the region in that status, 50 a page, sorted by id. Apply's poll asks
    /// for the `updating` ones, a page or two however many gateways the region has.
    pub(crate) async fn describe_vpn_gateways_with_status(
        &self,
        region: &str,
        status: Option<&str>,
    ) -> Result<Vec<VpnGateway>, ApiError> {
        const ACTION: &str = "DescribeVpnGateways";
        let mut params = vec![("RegionId".to_owned(), region.to_owned())];
        if let Some(status) = status {
            params.push(("Status".to_owned(), status.to_owned()));
        }
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribeVpnGatewaysPage = decode_body(ACTION, answer)?;
                let gateways = page.vpn_gateways.vpn_gateway;
                Ok((
                    gateways
                        .into_iter()
                        .map(|g| g.into_gateway(region))
                        .collect(),
                    page.total_count,
                ))
            })
            .await?;
        out.sort_by(|a: &VpnGateway, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    /// A `Describe*` listing with `PageNumber` and `PageSize`: every page of `params`'
    /// answer, in order, until a page is empty or the answers reach the `TotalCount`
    /// `decode` reads (an answer without one ends at its first short page).
    pub(crate) async fn describe_pages<T>(
        &self,
        action: &'static str,
        region: &str,
        params: Vec<(String, String)>,
        page_size: usize,
        decode: impl Fn(&Answer) -> Result<(Vec<T>, Option<u64>), ApiError>,
    ) -> Result<Vec<T>, ApiError> {
        let mut out: Vec<T> = Vec::new();
        for page_number in 1..=MAX_PAGES {
            let mut params = params.clone();
            params.push(("PageNumber".to_owned(), page_number.to_string()));
            params.push(("PageSize".to_owned(), page_size.to_string()));
            let answer = self.call(action, region, params).await?;
            let (items, total) = decode(&answer)?;
            let got = items.len();
            out.extend(items);
            let done = match total {
                Some(total) => out.len() as u64 >= total,
                None => got < page_size,
            };
            if got == 0 || done {
                return Ok(out);
            }
        }
        Err(ApiError {
            action: action.to_owned(),
            ..ApiError::new(
                0,
                "vpnform.TooManyPages",
                "the listing did not end after 10000 pages",
            )
        })
    }

    /// One call: attempts until success, a class the caller must handle, the attempt
    /// bound of the class, or the call deadline.
    pub(crate) async fn call(
        &self,
        action: &'static str,
        region: &str,
        params: Vec<(String, String)>,
    ) -> Result<Answer, ApiError> {
        let inner = &*self.inner;
        let policy = &inner.options.retry;
        self.count(|s| *s.calls.entry(action.to_owned()).or_default() += 1);
        let url = match &inner.endpoint {
            Some(u) => u.clone(),
            None => endpoint_for(region, None).map_err(|e| {
                let mut err = ApiError::new(0, "InvalidRegionId", e.to_string());
                err.action = action.to_owned();
                err
            })?,
        };
        let deadline = Instant::now() + inner.options.call_deadline;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let sent = inner.limiter.acquire(action).await;
            let result = {
                let _permit = inner
                    .in_flight
                    .acquire()
                    .await
                    .expect("semaphore is never closed");
                self.count(|s| *s.attempts.entry(action.to_owned()).or_default() += 1);
                let remaining = deadline.saturating_duration_since(Instant::now());
                self.attempt(
                    action,
                    &url,
                    &params,
                    inner.options.request_timeout.min(remaining),
                )
                .await
            };
            let (err, server_wait) = match result {
                Ok(answer) => {
                    inner.limiter.succeeded(action);
                    tracing::debug!(
                        action,
                        attempt,
                        status = 200u16,
                        code = "",
                        request_id = answer.request_id.as_deref().unwrap_or(""),
                        "VPC API call succeeded"
                    );
                    return Ok(answer);
                }
                Err(e) => e,
            };
            // A 4xx answer other than throttling is the cloud taking the request within
            // its limit: for a plan's DryRun prechecks (`DryRunOperation`) it is the only
            // answer, and a lane that counted successes alone stayed at its start rate.
            if (400..500).contains(&err.http_status) && err.class != ErrorClass::Throttling {
                inner.limiter.succeeded(action);
            }
            let mut err = err.in_action(action);
            err.attempts = attempt;
            if err.code == "InvalidRegionId.NotFound" {
                err.hint = Some(format!(
                    "the region `{region}` does not exist at this endpoint: check the \
                     `region` in the desired file (or the state) against the account's regions"
                ));
            }
            tracing::debug!(
                action,
                attempt,
                status = err.http_status,
                code = err.code.as_str(),
                request_id = err.request_id.as_deref().unwrap_or(""),
                class = ?err.class,
                "VPC API call failed"
            );
            let wait = match err.class {
                ErrorClass::Throttling if attempt < policy.throttling_max_attempts => {
                    let server_wait = server_wait.map(|w| w.min(policy.max_retry_after));
                    if let Some(warning) = inner.limiter.throttled(action, sent, server_wait) {
                        (inner.warn)(&warning);
                    }
                    let ours = backoff(
                        policy.throttling_base,
                        policy.max_backoff,
                        attempt,
                        (inner.random)(),
                    );
                    ours.max(server_wait.unwrap_or_default())
                }
                ErrorClass::Transient if attempt < policy.transient_max_attempts => {
                    let ours = backoff(
                        policy.transient_base,
                        policy.max_backoff,
                        attempt,
                        (inner.random)(),
                    );
                    // A 503 may name a wait too; the longer of the two wins.
                    ours.max(server_wait.unwrap_or_default().min(policy.max_retry_after))
                }
                _ => return Err(self.give_up(err)),
            };
            if Instant::now() + wait >= deadline {
                err.hint = Some(format!(
                    "gave up: another retry would pass the call deadline of {}s",
                    inner.options.call_deadline.as_secs()
                ));
                return Err(self.give_up(err));
            }
            self.count(|s| {
                *s.retries.entry(err.class).or_default() += 1;
                *s.waited.entry(err.class).or_default() += wait;
            });
            tracing::debug!(
                action,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    fn give_up(&self, err: ApiError) -> ApiError {
        self.count(|s| *s.errors.entry(err.class).or_default() += 1);
        err
    }

    fn count(&self, f: impl FnOnce(&mut ClientStats)) {
        f(&mut self.inner.stats.lock().expect("stats lock"));
    }

    /// One HTTP exchange with a fresh nonce and timestamp. On error, also the server's
    /// requested wait, if it named one.
    async fn attempt(
        &self,
        action: &str,
        url: &Url,
        params: &[(String, String)],
        timeout: Duration,
    ) -> Result<Answer, (ApiError, Option<Duration>)> {
        let inner = &*self.inner;
        let creds = &inner.credentials;
        let nonce = (inner.nonce)();
        let timestamp = (inner.now)().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut all: Vec<(&str, &str)> = vec![
            ("Action", action),
            ("Version", API_VERSION),
            ("Format", "JSON"),
            ("AccessKeyId", &creds.access_key_id),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &timestamp),
        ];
        if let Some(token) = &creds.security_token {
            all.push(("SecurityToken", token.expose()));
        }
        all.extend(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        // The query sent is byte for byte the canonical query that was signed: no URL
        // encoder gets a chance to re-encode it differently.
        let query = sign::canonical_query(all);
        let string_to_sign = sign::string_to_sign("POST", &query);
        let signature = sign::signature(creds.access_key_secret.expose(), &string_to_sign);
        let mut full = url.clone();
        full.set_query(Some(&format!(
            "{query}&Signature={}",
            sign::percent_encode(&signature)
        )));

        let sent = inner.http.post(full).timeout(timeout).send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Err((transport_error(e, timeout, url), None)),
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Err((redirected(status, url), None));
        }
        let headers = response.headers().clone();
        let header_request_id = headers
            .get("x-acs-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match read_bounded(response, url).await {
            Ok(b) => b,
            Err(Bounded::Transport(e)) => return Err((transport_error(e, timeout, url), None)),
            Err(Bounded::TooLarge(err)) => return Err((*err, None)),
        };
        if (200..300).contains(&status) {
            let request_id = serde_json::from_slice::<RequestIdOnly>(&body)
                .ok()
                .and_then(|r| r.request_id)
                .or(header_request_id);
            return Ok(Answer { body, request_id });
        }
        let mut err = decode_error(status, &body);
        if err.request_id.is_none() {
            err.request_id = header_request_id;
        }
        // The server's string to sign holds the whole request (STS token included): keep
        // it out of the message, and use it to say what is wrong.
        let (shown, theirs) = split_server_string_to_sign(&err.message);
        err.message = shown;
        match (err.code.as_str(), theirs) {
            ("SignatureDoesNotMatch", Some(theirs)) => {
                err.hint = Some(diagnose_signature(&string_to_sign, &theirs, &creds.source));
            }
            ("SignatureDoesNotMatch", None) => {
                err.hint = Some(format!(
                    "check the AccessKey secret (credentials from {})",
                    creds.source
                ));
            }
            ("InvalidTimeStamp.Expired", _) => {
                err.hint = Some(format!(
                    "this machine's clock said {timestamp}; Alibaba accepts 15 minutes of skew"
                ));
            }
            ("InvalidAccessKeyId.NotFound" | "InvalidAccessKeyId.Inactive", _) => {
                err.hint = Some(format!(
                    "AccessKey ID {} (from {}) is unknown or disabled",
                    creds.access_key_id, creds.source
                ));
            }
            _ => {}
        }
        // Only Alibaba's own header reclassifies; a proxy's standard `Retry-After` on
        // some other failure still sets the wait, not the class.
        let acs_wait = retry_after_acs(&headers);
        Err((err.with_retry_after(acs_wait), retry_after(&headers)))
    }
}

/// The ClientToken parameter of a mutation: the caller's, or one made up for this call
/// so that the client's own retries are still one operation.
pub(crate) fn client_token(
    action: &str,
    token: Option<&str>,
) -> Result<(String, String), ApiError> {
    let token = match token {
        Some(t) => t.to_owned(),
        None => format!("vpnform-{}", uuid::Uuid::new_v4().simple()),
    };
    if token.is_empty() || token.len() > 64 || !token.is_ascii() {
        let mut err = ApiError::new(
            0,
            "InvalidClientToken.Malformed",
            "a ClientToken is 1 to 64 ASCII characters",
        );
        err.action = action.to_owned();
        return Err(err);
    }
    Ok(("ClientToken".to_owned(), token))
}

/// A 3xx answer: never followed, an error that names the endpoint (without its query,
/// which holds the signature and any STS token).
fn redirected(status: u16, url: &Url) -> ApiError {
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    let mut err = ApiError::new(
        status,
        "vpnform.Redirected",
        format!(
            "the endpoint {endpoint} answered with a redirect; vpnform follows \
             no redirect, since a request carries its signature: check that the endpoint is \
             the VPC API (`--endpoint`, VPNFORM_ENDPOINT)"
        ),
    );
    // Another attempt would be sent the same way.
    err.class = ErrorClass::Terminal;
    err
}

/// Why an answer's body could not be read.
enum Bounded {
    Transport(reqwest::Error),
    TooLarge(Box<ApiError>),
}

/// The body, read chunk by chunk and given up as soon as it passes
/// [`MAX_ANSWER_BYTES`] (or says in `Content-Length` that it will).
async fn read_bounded(mut response: reqwest::Response, url: &Url) -> Result<Vec<u8>, Bounded> {
    let status = response.status().as_u16();
    let too_large = || {
        let mut err = ApiError::new(
            status,
            "vpnform.AnswerTooLarge",
            format!(
                "the answer from {url} is larger than {} MiB, the most vpnform reads from the VPC API; \
                 check that the endpoint is the VPC API",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ),
        );
        // Another attempt would read the same flood.
        err.class = ErrorClass::Terminal;
        Bounded::TooLarge(Box::new(err))
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Bounded::Transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `endpoint` is the URL without its query: the query holds the signature and any STS
/// token, so only the endpoint is named, which tells a wrong `--endpoint` at a glance.
fn transport_error(e: reqwest::Error, timeout: Duration, endpoint: &Url) -> ApiError {
    // The URL holds the signature and any STS token: never let it into a message.
    let e = e.without_url();
    let mut endpoint = endpoint.clone();
    endpoint.set_query(None);
    let _ = endpoint.set_username("");
    let _ = endpoint.set_password(None);
    if e.is_timeout() {
        ApiError::new(
            0,
            "Timeout",
            format!(
                "no answer from {endpoint} within {:.1}s",
                timeout.as_secs_f64()
            ),
        )
    } else if e.is_connect() {
        ApiError::new(
            0,
            "ConnectionFailed",
            format!("cannot connect to {endpoint}: {}", error_chain(&e)),
        )
    } else {
        ApiError::new(
            0,
            "RequestFailed",
            format!("request to {endpoint} failed: {}", error_chain(&e)),
        )
    }
}

/// An error and its sources on one line, for transport failures.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(crate) fn decode_body<T: DeserializeOwned>(
    action: &str,
    answer: &Answer,
) -> Result<T, ApiError> {
    serde_json::from_slice(&answer.body)
        .map_err(|e| invalid_answer(action, answer, &format!("the answer did not decode: {e}")))
}

pub(crate) fn invalid_answer(action: &str, answer: &Answer, message: &str) -> ApiError {
    let mut err = ApiError::new(200, "vpnform.InvalidResponse", message);
    err.action = action.to_owned();
    err.request_id = answer.request_id.clone();
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_page_decodes() {
        let body = br#"{"TotalCount":2,"PageNumber":1,"PageSize":50,"VpnGateways":{"VpnGateway":[{"VpnGatewayId":"vpn-1","Status":"active","BusinessStatus":"Normal","RegionId":"cn-shanghai"},{"VpnGatewayId":"vpn-2","Status":"updating","BusinessStatus":"FinancialLocked"}]}}"#;
        let page: DescribeVpnGatewaysPage = serde_json::from_slice(body).unwrap();
        assert_eq!(page.total_count, Some(2));
        let gws: Vec<_> = page
            .vpn_gateways
            .vpn_gateway
            .into_iter()
            .map(|g| g.into_gateway("cn-hangzhou"))
            .collect();
        assert_eq!(gws[0].region, "cn-shanghai");
        assert_eq!(gws[1].region, "cn-hangzhou");
        assert_eq!(gws[1].status, "updating");
        assert_eq!(gws[1].business_status, "FinancialLocked");
    }
}
