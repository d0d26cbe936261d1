//! The wire: decoding an RPC request's parameters from the raw query and form body,
//! verifying its v1 signature over exactly those bytes, and answering in Alibaba's JSON
//! (or XML) shape, errors included.

use std::collections::BTreeMap;
use std::time::Duration;

use percent_encoding::percent_decode;
use serde_json::{Value, json};

use crate::cloud::sign;

/// The VPC API version the sandbox speaks.
pub(crate) const VERSION: &str = "2016-04-28";

/// How far a request's `Timestamp` may be from the server's clock.
pub(crate) const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// An error answer: HTTP status, Alibaba code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub code: String,
    pub message: String,
    /// Sent as `x-acs-retry-after` (milliseconds) on throttling.
    pub(crate) retry_after: Option<Duration>,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// A common (signing) parameter is missing: `MissingParameter`.
    pub(crate) fn missing_common(name: &str) -> Self {
        ApiError::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// An action parameter is missing: `Missing{Name}`, as the VPC API names them.
    pub(crate) fn missing(name: &str) -> Self {
        ApiError::new(
            400,
            &format!("Missing{name}"),
            format!("{name} is mandatory for this action."),
        )
    }

    pub(crate) fn invalid(name: &str, why: &str) -> Self {
        ApiError::new(
            400,
            "InvalidParameter",
            format!("The specified parameter \"{name}\" is not valid: {why}"),
        )
    }

    pub(crate) fn forbidden() -> Self {
        ApiError::new(
            403,
            "Forbidden",
            "User not authorized to operate on the specified resource.",
        )
    }

    pub(crate) fn throttled(retry_after: Duration) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            )
        }
    }

    pub(crate) fn internal() -> Self {
        ApiError::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    pub(crate) fn unavailable() -> Self {
        ApiError::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }
}

/// A decoded request: every parameter from the query and the form body.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `GET` or `POST`: the first word of the string to sign.
    pub(crate) method: String,
    /// Every pair as sent, decoded, query first then body.
    pub(crate) pairs: Vec<(String, String)>,
    /// The first value of each name.
    pub(crate) params: BTreeMap<String, String>,
}

impl Request {
    /// Decodes the raw query and (for a form content type) the body. Names and values
    /// are percent-decoded (`+` is a space, as in forms); bytes that are not UTF-8 cannot
    /// have been signed and are `InvalidParameter`.
    pub(crate) fn parse(
        method: &str,
        query: Option<&str>,
        form_body: Option<&[u8]>,
    ) -> Result<Request, ApiError> {
        let mut pairs = Vec::new();
        decode_pairs(query.unwrap_or("").as_bytes(), &mut pairs)?;
        if let Some(body) = form_body {
            decode_pairs(body, &mut pairs)?;
        }
        let mut params = BTreeMap::new();
        for (k, v) in &pairs {
            params.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(Request {
            method: method.to_ascii_uppercase(),
            pairs,
            params,
        })
    }

    /// A parameter's value; an empty value counts as absent, as Alibaba treats it.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An action parameter that must be there (`Missing{Name}` otherwise).
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }

    /// `true`/`false` (any case); absent is `false`.
    pub(crate) fn bool(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ApiError::invalid(name, "expected true or false.")),
        }
    }

    /// An integer in `min..=max`; absent is `default`.
    pub(crate) fn int(
        &self,
        name: &str,
        min: u64,
        max: u64,
        default: u64,
    ) -> Result<u64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(
                    name,
                    &format!("expected an integer from {min} to {max}."),
                )),
            },
        }
    }

    /// A list parameter: `Name.1`, `Name.2`, ... Its numbers must run from 1 without a
    /// gap (API.md): `Name.2` without `Name.1` is `InvalidParameter`, never a list that
    /// stops short, which would drop the filter and answer every resource.
    pub(crate) fn list(&self, name: &str) -> Result<Vec<&str>, ApiError> {
        let prefix = format!("{name}.");
        let mut items: Vec<(usize, &str)> = Vec::new();
        for (key, value) in &self.params {
            let Some(suffix) = key.strip_prefix(&prefix) else {
                continue;
            };
            let n = suffix
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1 && suffix.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ApiError::invalid(key, &format!("write {name}.1, {name}.2, ... from 1."))
                })?;
            if !value.is_empty() {
                items.push((n, value.as_str()));
            }
        }
        items.sort_unstable();
        if let Some(gap) = (1..).zip(&items).find(|(i, (n, _))| i != n) {
            return Err(ApiError::invalid(
                name,
                &format!(
                    "the items are numbered {name}.1, {name}.2, ... without a gap, and {name}.{} is missing.",
                    gap.0
                ),
            ));
        }
        Ok(items.into_iter().map(|(_, v)| v).collect())
    }

    /// `ClientToken`: at most 64 ASCII characters.
    pub(crate) fn client_token(&self) -> Result<Option<&str>, ApiError> {
        match self.get("ClientToken") {
            Some(t) if t.len() > 64 || !t.is_ascii() => Err(ApiError::invalid(
                "ClientToken",
                "at most 64 ASCII characters.",
            )),
            other => Ok(other),
        }
    }

    /// The parameters an action acts on: everything but the signing envelope. Two
    /// requests with the same ClientToken must agree on these.
    pub(crate) fn fingerprint(&self) -> String {
        const ENVELOPE: [&str; 9] = [
            "AccessKeyId",
            "Format",
            "Signature",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "Timestamp",
            "SecurityToken",
            "Version",
        ];
        self.params
            .iter()
            .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Whether the answer should be XML (`Format=XML`); JSON otherwise.
    pub(crate) fn wants_xml(&self) -> bool {
        self.get("Format")
            .is_some_and(|f| f.eq_ignore_ascii_case("XML"))
    }

    /// Checks the signature: the string to sign is rebuilt from the decoded pairs,
    /// exactly as the client must have built it.
    pub(crate) fn verify_signature(&self, secret: &str) -> Result<(), ApiError> {
        let given = self
            .get("Signature")
            .ok_or_else(|| ApiError::missing_common("Signature"))?;
        let query = sign::canonical_query(self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let string_to_sign = sign::string_to_sign(&self.method, &query);
        let expected = sign::signature(secret, &string_to_sign);
        if given == expected {
            Ok(())
        } else {
            Err(ApiError::new(
                400,
                "SignatureDoesNotMatch",
                format!(
                    "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
                ),
            ))
        }
    }
}

fn decode_pairs(raw: &[u8], out: &mut Vec<(String, String)>) -> Result<(), ApiError> {
    for part in raw.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match part.iter().position(|b| *b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        out.push((decode(k)?, decode(v)?));
    }
    Ok(())
}

fn decode(raw: &[u8]) -> Result<String, ApiError> {
    // `percent_decode` keeps a `%` without two hex digits as is, so `%ZZ` would reach
    // the signature check and come back as a misleading SignatureDoesNotMatch: no
    // client signs a value it could not have encoded.
    for (i, b) in raw.iter().enumerate() {
        if *b == b'%'
            && !raw
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            let end = (i + 3).min(raw.len());
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                format!(
                    "A parameter has a malformed percent-encoding `{}`: `%` must be followed by two hex digits.",
                    String::from_utf8_lossy(&raw[i..end])
                ),
            ));
        }
    }
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_decode(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            ApiError::new(
                400,
                "InvalidParameter",
                "A parameter name or value is not UTF-8 after percent-decoding.",
            )
        })
}

/// An error answer's body: `{"RequestId","HostId","Code","Message","Recommend"}`.
pub(crate) fn error_body(err: &ApiError, request_id: &str, host: &str) -> Value {
    json!({
        "RequestId": request_id,
        "HostId": host,
        "Code": err.code,
        "Message": err.message,
        "Recommend": format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Vpc&requestId={}",
            err.code, request_id
        ),
    })
}

/// Renders a JSON answer as XML: the root is `<{root}>`, objects nest, an array repeats
/// its key's element once per item.
pub(crate) fn to_xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    element(root, value, &mut out);
    out
}

fn element(name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            for item in items {
                element(name, item, out);
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                element(k, v, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A RequestId in Alibaba's form: an upper-case UUID.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_in_a_form_body_is_a_space_and_percent_escapes_decode() {
        let r = Request::parse("POST", Some("A=1"), Some(b"B=x+y&C=%2A%20")).unwrap();
        assert_eq!(r.get("B"), Some("x y"));
        assert_eq!(r.get("C"), Some("* "));
        assert_eq!(r.pairs.len(), 3);
    }

    #[test]
    fn xml_repeats_array_elements() {
        let v = json!({"RequestId": "R", "Items": [{"Id": "a&b"}, {"Id": "c"}]});
        assert_eq!(
            to_xml("XResponse", &v),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XResponse><Items><Id>a&amp;b</Id></Items><Items><Id>c</Id></Items><RequestId>R</RequestId></XResponse>"
        );
    }
}
