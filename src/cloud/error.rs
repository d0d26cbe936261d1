//! API errors: decoding Alibaba's JSON and XML error bodies into one [`ApiError`],
//! classifying codes into the retry classes of [`ErrorClass`], and the text a user sees.
//! The client builds every error through here; apply and plan only read `class`.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// A decoded error answer (or a transport failure) with its class. `Display` is the
/// text a user sees (below).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// 0 for transport failures (timeout, connection refused, ...).
    pub http_status: u16,
    pub code: String,
    pub message: String,
    pub(crate) request_id: Option<String>,
    pub(crate) host_id: Option<String>,
    pub(crate) recommend: Option<String>,
    pub class: ErrorClass,
    /// The API action that failed (`DeleteIpsecServer`); empty if unknown. Forbidden
    /// errors name the RAM action `vpc:<action>` from it.
    pub(crate) action: String,
    /// vpnform's own diagnosis, shown after the server's fields (which secret or which
    /// parameter a `SignatureDoesNotMatch` points at, a clock to check, ...).
    pub(crate) hint: Option<String>,
    /// How many attempts the client made before giving this error back (0: none sent).
    pub(crate) attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// `DryRunOperation`: the precheck passed.
    DryRunPassed,
    /// The gateway is busy (`VpnGateway.Configuring`, `TaskConflict`, ...): wait for it to
    /// be `active`, then retry.
    Contention,
    /// `Throttling*`: slow down and retry.
    Throttling,
    /// 5xx, timeouts, connection errors: back off and retry.
    Transient,
    /// `*.NotFound`.
    NotFound,
    /// Everything else: fail the action.
    Terminal,
}

impl ApiError {
    /// An error with its class derived from the HTTP status and code.
    pub(crate) fn new(
        http_status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        ApiError {
            http_status,
            class: classify(http_status, &code),
            code,
            message: message.into(),
            request_id: None,
            host_id: None,
            recommend: None,
            action: String::new(),
            hint: None,
            attempts: 0,
        }
    }

    /// The RAM action a policy must allow for this call, e.g. `vpc:DeleteIpsecServer`.
    pub fn ram_action(&self) -> Option<String> {
        (!self.action.is_empty()).then(|| format!("vpc:{}", self.action))
    }

    /// Since mid-2026 the official SDKs treat ANY error answer (4xx or 5xx) carrying a
    /// positive `x-acs-retry-after` as throttling, whatever its code (API.md); a passed
    /// dry run stays a pass.
    pub(crate) fn with_retry_after(mut self, server_wait: Option<Duration>) -> Self {
        if server_wait.is_some_and(|w| !w.is_zero())
            && self.http_status >= 400
            && self.class != ErrorClass::DryRunPassed
        {
            self.class = ErrorClass::Throttling;
        }
        self
    }

    /// The class of this answer to `action`, where an action's documented codes say
    /// more than the code alone: DeleteVpnGateway documents 400 `InternalError`, which
    /// is the server's failure, so transient (API.md), where another 4xx is final.
    pub(crate) fn in_action(mut self, action: &str) -> Self {
        if self.class == ErrorClass::Terminal
            && action == "DeleteVpnGateway"
            && self.code == "InternalError"
        {
            self.class = ErrorClass::Transient;
        }
        self.action = action.to_owned();
        self
    }

    /// `IncorrectStatus` or `IncorrectStatus.*`: the resource is not in a state for this
    /// call; read it again before retrying (it may be gone).
    pub(crate) fn is_incorrect_status(&self) -> bool {
        self.code == "IncorrectStatus" || self.code.starts_with("IncorrectStatus.")
    }

    /// `Forbidden*` (and Alibaba's misspelt `Forbbiden*`): a RAM policy denied the call.
    pub(crate) fn is_forbidden(&self) -> bool {
        self.code.starts_with("Forbidden") || self.code.starts_with("Forbbiden")
    }
}

impl std::error::Error for ApiError {}

impl ErrorClass {
    /// The class's name in logs, JSON output and stats: `throttling`, `not-found`...
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorClass::DryRunPassed => "dry-run-passed",
            ErrorClass::Contention => "contention",
            ErrorClass::Throttling => "throttling",
            ErrorClass::Transient => "transient",
            ErrorClass::NotFound => "not-found",
            ErrorClass::Terminal => "terminal",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ApiError {
    /// ```text
    /// DeleteIpsecServer failed: Forbidden (HTTP 403): User not authorized to operate on the specified resource.
    ///   RequestId: 7A3F...
    ///   Recommend: https://api.aliyun.com/troubleshoot?...
    ///   hint: the RAM policy of this access key must allow `vpc:DeleteIpsecServer`
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = if self.action.is_empty() {
            "API call"
        } else {
            self.action.as_str()
        };
        // What the server said stays on its line: a `\n` in a Message must not print
        // what reads as a line of vpnform's own.
        use crate::ui::one_line;
        let (code, message) = (one_line(&self.code), one_line(&self.message));
        if self.http_status == 0 {
            write!(f, "{action} failed: {code}: {message}")?;
        } else {
            write!(
                f,
                "{action} failed: {code} (HTTP {}): {message}",
                self.http_status
            )?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, "\n  RequestId: {}", one_line(id))?;
        }
        if let Some(host) = &self.host_id {
            write!(f, "\n  HostId: {}", one_line(host))?;
        }
        if let Some(link) = &self.recommend {
            write!(f, "\n  Recommend: {}", one_line(link))?;
        }
        if let Some(ram) = self.ram_action().filter(|_| self.is_forbidden()) {
            write!(
                f,
                "\n  hint: the RAM policy of this access key must allow `{ram}` on this resource"
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Which retry class an answer belongs to. Codes decide first; the HTTP status only
/// for codes nobody listed (5xx and transport failures are transient). An answer that
/// carries `x-acs-retry-after` is throttling whatever its code: see
/// [`ApiError::with_retry_after`].
pub(crate) fn classify(http_status: u16, code: &str) -> ErrorClass {
    if code == "DryRunOperation" {
        return ErrorClass::DryRunPassed;
    }
    // The busy answers of the VPN family (API.md): the gateway, its appliance or a task
    // on it is busy; wait for the gateway, then send again. `IncorrectStatus.*` is busy
    // too, but apply first reads the resource again: it may simply be gone.
    if matches!(
        code,
        "VpnGateway.Configuring"
            | "Appliance.Configuring"
            | "VpnTask.CONFLICT"
            | "VpnConnection.Configuring"
            | "VpnRouteEntry.Configuring"
            | "TaskConflict"
            | "OperationConflict"
            // A transit-router attachment holds the gateway (API.md): busy, not final.
            | "Operation.Blocking"
            | "IncorrectStatus"
    ) || code.ends_with(".Configuring")
        || code.starts_with("IncorrectStatus.")
    {
        return ErrorClass::Contention;
    }
    // `ServiceUnavailable` (503) is the gateway shedding load: the SDKs and the Terraform
    // provider slow down for it as for `Throttling*`, not merely retry.
    if code.starts_with("Throttling")
        || matches!(code, "Rejected.Throttling" | "ServiceUnavailable")
        || http_status == 429
    {
        return ErrorClass::Throttling;
    }
    // These end in `.NotFound` but say nothing about a resource: an unknown access key,
    // action or region must fail loudly, never read as "the server is already gone"
    // (API.md: `InvalidRegionId.NotFound` is a plain failure).
    if matches!(
        code,
        "InvalidAccessKeyId.NotFound" | "InvalidAction.NotFound" | "InvalidRegionId.NotFound"
    ) {
        return ErrorClass::Terminal;
    }
    if code.ends_with(".NotFound") {
        return ErrorClass::NotFound;
    }
    let terminal_prefix = ["Forbidden", "Forbbiden", "Invalid", "Missing"]
        .iter()
        .any(|p| code.starts_with(p));
    if terminal_prefix
        || matches!(
            code,
            "IdempotentParameterMismatch"
                | "SignatureDoesNotMatch"
                | "IncompleteSignature"
                | "SignatureNonceUsed"
        )
    {
        return ErrorClass::Terminal;
    }
    if http_status == 0 || http_status >= 500 {
        return ErrorClass::Transient;
    }
    ErrorClass::Terminal
}

/// The fields Alibaba puts in an error body, whatever the format.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    host_id: Option<String>,
    #[serde(default)]
    recommend: Option<String>,
}

/// Decodes an error answer (JSON or XML, whatever the `Format` asked for) into an
/// [`ApiError`]. A body that is neither still gives an error with the status and a
/// short excerpt, so a proxy's HTML page does not hide the failure.
pub(crate) fn decode_error(http_status: u16, body: &[u8]) -> ApiError {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    let fields = if trimmed.starts_with('{') {
        serde_json::from_str::<ErrorBody>(trimmed).ok()
    } else if trimmed.starts_with('<') {
        decode_xml(trimmed)
    } else {
        None
    };
    match fields {
        Some(b) if b.code.as_deref().is_some_and(|c| !c.is_empty()) => {
            let mut err = ApiError::new(
                http_status,
                b.code.unwrap_or_default(),
                b.message.unwrap_or_default(),
            );
            err.request_id = b.request_id.filter(|s| !s.is_empty());
            err.host_id = b.host_id.filter(|s| !s.is_empty());
            err.recommend = b.recommend.filter(|s| !s.is_empty());
            err
        }
        _ => {
            let excerpt: String = text.chars().take(200).collect();
            let excerpt = excerpt.split_whitespace().collect::<Vec<_>>().join(" ");
            let message = if excerpt.is_empty() {
                "the answer had no body".to_owned()
            } else {
                format!("the answer was not an Alibaba error body: {excerpt}")
            };
            ApiError::new(http_status, format!("HTTP{http_status}"), message)
        }
    }
}

/// `<Error><Code>..</Code>...</Error>` (or the same fields at the top level). No XML
/// crate: the error shape is flat and this is the only XML vpnform reads.
fn decode_xml(text: &str) -> Option<ErrorBody> {
    let body = ErrorBody {
        code: xml_field(text, "Code"),
        message: xml_field(text, "Message"),
        request_id: xml_field(text, "RequestId"),
        host_id: xml_field(text, "HostId"),
        recommend: xml_field(text, "Recommend"),
    };
    body.code.is_some().then_some(body)
}

fn xml_field(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    let raw = text[start..start + len].trim();
    let raw = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
        .map(str::to_owned)
        .unwrap_or_else(|| xml_unescape(raw));
    Some(raw)
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The marker Alibaba puts before its own string to sign in a `SignatureDoesNotMatch`.
const SERVER_STRING_TO_SIGN: &str = "server string to sign is:";

/// Splits a `SignatureDoesNotMatch` message into the part to show and the server's
/// string to sign. The latter is not shown: it holds the whole request, STS token
/// included.
pub(crate) fn split_server_string_to_sign(message: &str) -> (String, Option<String>) {
    match message.find(SERVER_STRING_TO_SIGN) {
        Some(at) => {
            let shown = message[..at].trim_end().to_owned();
            let theirs = message[at + SERVER_STRING_TO_SIGN.len()..].trim();
            (shown, Some(theirs.to_owned()))
        }
        None => (message.to_owned(), None),
    }
}

/// Compares the server's string to sign with ours and says which side is wrong: equal
/// strings mean the secret is wrong; different ones name the first parameter that
/// differs (without its value, which may be a token).
pub(crate) fn diagnose_signature(ours: &str, theirs: &str, credentials_source: &str) -> String {
    if ours == theirs {
        return format!(
            "the server built the same string to sign as vpnform, so the AccessKey secret \
             does not belong to this AccessKey ID (credentials from {credentials_source})"
        );
    }
    let decode = |s: &str| -> Vec<(String, String)> {
        let query = s.splitn(3, '&').nth(2).unwrap_or_default();
        let query = percent_decode(query);
        query
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), v.to_owned())
            })
            .collect()
    };
    let (a, b) = (decode(ours), decode(theirs));
    let method = |s: &str| s.split('&').next().unwrap_or_default().to_owned();
    let differing = if method(ours) != method(theirs) {
        Some(format!(
            "the HTTP method ({} sent, {} seen)",
            method(ours),
            method(theirs)
        ))
    } else {
        let names_a: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
        let names_b: Vec<&str> = b.iter().map(|(k, _)| k.as_str()).collect();
        a.iter()
            .zip(b.iter())
            .find(|(x, y)| x != y)
            .map(|(x, y)| {
                if x.0 == y.0 {
                    format!("the value of parameter `{}`", x.0)
                } else {
                    format!("parameter `{}` (the server saw `{}` there)", x.0, y.0)
                }
            })
            .or_else(|| {
                (names_a.len() != names_b.len()).then(|| {
                    format!(
                        "the parameter list ({} sent, {} seen)",
                        names_a.len(),
                        names_b.len()
                    )
                })
            })
    };
    format!(
        "the server's string to sign differs from vpnform's in {}: the request was changed on \
         the way (a proxy?) or built wrongly, the secret may well be right",
        differing.unwrap_or_else(|| "its encoding".to_owned())
    )
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_design() {
        use ErrorClass::*;
        let cases = [
            (400, "DryRunOperation", DryRunPassed),
            (400, "VpnGateway.Configuring", Contention),
            (400, "TaskConflict", Contention),
            (400, "OperationConflict", Contention),
            (400, "VpnGateway.Something.Configuring", Contention),
            (400, "IncorrectStatus.VpnGateway", Contention),
            (400, "Throttling", Throttling),
            (400, "Throttling.User", Throttling),
            (400, "Throttling.Api", Throttling),
            (400, "Rejected.Throttling", Throttling),
            (503, "ServiceUnavailable", Throttling),
            (429, "TooManyRequests", Throttling),
            (400, "Appliance.Configuring", Contention),
            (400, "VpnTask.CONFLICT", Contention),
            (400, "VpnConnection.Configuring", Contention),
            (400, "VpnRouteEntry.Configuring", Contention),
            (400, "IncorrectStatus", Contention),
            (400, "Operation.Blocking", Contention),
            (404, "InvalidRegionId.NotFound", Terminal),
            (500, "InternalError", Transient),
            (500, "UnknownError", Transient),
            (0, "Timeout", Transient),
            (404, "InvalidVpnGatewayInstanceId.NotFound", NotFound),
            (404, "InvalidAccessKeyId.NotFound", Terminal),
            (404, "InvalidAction.NotFound", Terminal),
            (403, "Forbidden", Terminal),
            (403, "Forbidden.RAM", Terminal),
            (403, "Forbbiden.SubUser", Terminal),
            (400, "InvalidParameter", Terminal),
            (400, "InvalidTimeStamp.Expired", Terminal),
            (400, "MissingParameter", Terminal),
            (400, "IdempotentParameterMismatch", Terminal),
            (400, "SignatureDoesNotMatch", Terminal),
            (400, "IncompleteSignature", Terminal),
            (400, "SignatureNonceUsed", Terminal),
            (400, "VpnGateway.FinancialLocked", Terminal),
            (400, "SomethingNobodyListed", Terminal),
            (502, "SomethingNobodyListed", Transient),
            // A 5xx with a terminal code stays terminal: the code is the server's word.
            (500, "InvalidParameter", Terminal),
        ];
        for (status, code, class) in cases {
            assert_eq!(classify(status, code), class, "{status} {code}");
        }
    }

    /// Regression: 400 `InternalError` on DeleteVpnGateway was final; the API documents
    /// it there, and it is the server's failure: retried. On other actions a 400 stays
    /// what its code says.
    #[test]
    fn internal_error_on_delete_vpn_gateway_is_transient() {
        let class = |status, code, action| ApiError::new(status, code, "m").in_action(action).class;
        assert_eq!(
            class(400, "InternalError", "DeleteVpnGateway"),
            ErrorClass::Transient
        );
        assert_eq!(
            class(500, "InternalError", "DeleteVpnGateway"),
            ErrorClass::Transient
        );
        assert_eq!(
            class(400, "InternalError", "DeleteIpsecServer"),
            ErrorClass::Terminal
        );
        assert_eq!(
            class(400, "InvalidParameter", "DeleteVpnGateway"),
            ErrorClass::Terminal
        );
        // A throttled answer stays throttling.
        let err = ApiError::new(400, "InternalError", "m")
            .with_retry_after(Some(Duration::from_millis(5)))
            .in_action("DeleteVpnGateway");
        assert_eq!(err.class, ErrorClass::Throttling);
        assert_eq!(err.action, "DeleteVpnGateway");
    }

    #[test]
    fn any_error_answer_with_a_positive_retry_after_is_throttling() {
        let wait = Some(Duration::from_millis(300));
        for (status, code) in [
            (400, "InvalidParameter"),
            (403, "Forbidden"),
            (500, "InternalError"),
            (400, "VpnGateway.Configuring"),
            (404, "InvalidVpnGatewayInstanceId.NotFound"),
        ] {
            let err = ApiError::new(status, code, "m").with_retry_after(wait);
            assert_eq!(err.class, ErrorClass::Throttling, "{status} {code}");
        }
        // No header, a zero one, a passed dry run: the code decides.
        let err = ApiError::new(403, "Forbidden", "m").with_retry_after(None);
        assert_eq!(err.class, ErrorClass::Terminal);
        let err = ApiError::new(403, "Forbidden", "m").with_retry_after(Some(Duration::ZERO));
        assert_eq!(err.class, ErrorClass::Terminal);
        let err = ApiError::new(400, "DryRunOperation", "m").with_retry_after(wait);
        assert_eq!(err.class, ErrorClass::DryRunPassed);
    }

    #[test]
    fn decodes_json_error_body() {
        let body = br#"{"RequestId":"R-1","HostId":"vpc.aliyuncs.com","Code":"Forbidden","Message":"User not authorized to operate on the specified resource.","Recommend":"https://api.aliyun.com/troubleshoot?q=Forbidden","AccessDeniedDetail":{"x":1}}"#;
        let err = decode_error(403, body);
        assert_eq!(err.code, "Forbidden");
        assert_eq!(err.class, ErrorClass::Terminal);
        assert_eq!(err.request_id.as_deref(), Some("R-1"));
        assert_eq!(err.host_id.as_deref(), Some("vpc.aliyuncs.com"));
        assert_eq!(
            err.recommend.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=Forbidden")
        );
    }

    #[test]
    fn decodes_xml_error_body() {
        let body = br#"<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>R-2</RequestId><HostId>vpc.aliyuncs.com</HostId><Code>Throttling.User</Code><Message>Request was denied due to user flow control &amp; more.</Message><Recommend><![CDATA[https://api.aliyun.com/troubleshoot?q=Throttling.User&product=Vpc]]></Recommend></Error>"#;
        let err = decode_error(400, body);
        assert_eq!(err.code, "Throttling.User");
        assert_eq!(err.class, ErrorClass::Throttling);
        assert_eq!(
            err.message,
            "Request was denied due to user flow control & more."
        );
        assert_eq!(err.request_id.as_deref(), Some("R-2"));
        assert_eq!(
            err.recommend.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=Throttling.User&product=Vpc")
        );
    }

    #[test]
    fn non_alibaba_body_keeps_status_and_excerpt() {
        let err = decode_error(502, b"<html>\n<body>Bad   Gateway</body></html>");
        assert_eq!(err.code, "HTTP502");
        assert_eq!(err.class, ErrorClass::Transient);
        assert_eq!(
            err.message,
            "the answer was not an Alibaba error body: <html> <body>Bad Gateway</body></html>"
        );
        let err = decode_error(503, b"");
        assert_eq!(err.message, "the answer had no body");
    }

    #[test]
    fn forbidden_display_names_ram_action() {
        let mut err = decode_error(
            403,
            br#"{"RequestId":"R-3","Code":"Forbidden","Message":"User not authorized.","Recommend":"https://example.test/r"}"#,
        );
        // Any action: the client is generic over them.
        err.action = "DeleteVpnRouteEntry".into();
        err.attempts = 1;
        assert_eq!(
            err.to_string(),
            "DeleteVpnRouteEntry failed: Forbidden (HTTP 403): User not authorized.\n  \
             RequestId: R-3\n  Recommend: https://example.test/r\n  \
             hint: the RAM policy of this access key must allow `vpc:DeleteVpnRouteEntry` on this resource"
        );
    }

    #[test]
    fn transport_display_has_no_status() {
        let mut err = ApiError::new(0, "Timeout", "no answer within 10s");
        err.action = "ListIpsecServers".into();
        err.attempts = 5;
        assert_eq!(
            err.to_string(),
            "ListIpsecServers failed: Timeout: no answer within 10s (after 5 attempts)"
        );
    }

    #[test]
    fn signature_diagnosis_tells_secret_from_request() {
        let ours = crate::cloud::sign::string_to_sign("POST", "AccessKeyId=a&Action=X&Foo=1");
        assert!(diagnose_signature(&ours, &ours, "environment").contains("secret"));
        let theirs = crate::cloud::sign::string_to_sign("POST", "AccessKeyId=a&Action=X&Foo=2");
        assert_eq!(
            diagnose_signature(&ours, &theirs, "environment"),
            "the server's string to sign differs from vpnform's in the value of parameter `Foo`: \
             the request was changed on the way (a proxy?) or built wrongly, the secret may well be right"
        );
        let theirs = crate::cloud::sign::string_to_sign("GET", "AccessKeyId=a&Action=X&Foo=1");
        assert!(
            diagnose_signature(&ours, &theirs, "env").contains("HTTP method (POST sent, GET seen)")
        );
    }

    #[test]
    fn server_string_to_sign_is_split_off() {
        let (shown, theirs) = split_server_string_to_sign(
            "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&A%3D1",
        );
        assert_eq!(
            shown,
            "Specified signature is not matched with our calculation."
        );
        assert_eq!(theirs.as_deref(), Some("POST&%2F&A%3D1"));
    }
}
