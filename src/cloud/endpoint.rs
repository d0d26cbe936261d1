//! Where requests go: the VPC endpoint of a region as the official SDK picks it, or the
//! user's `--endpoint`. HTTPS everywhere; plain HTTP only to this machine (the sandbox).

use std::net::IpAddr;

use reqwest::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("region `{region}` is not a valid region id (expected something like cn-hangzhou)")]
    InvalidRegion { region: String },
    #[error("--endpoint `{endpoint}` is not a valid URL: {reason}")]
    InvalidUrl { endpoint: String, reason: String },
    #[error(
        "--endpoint `{endpoint}` uses plain http to a host that is not this machine; \
         use https:// (http:// is accepted only for 127.0.0.0/8, ::1 and localhost)"
    )]
    PlainHttpNotLoopback { endpoint: String },
    #[error("--endpoint `{endpoint}`: scheme `{scheme}` is not supported (use https://)")]
    UnsupportedScheme { endpoint: String, scheme: String },
    #[error(
        "--endpoint `{endpoint}` has a path, query or credentials; the VPC API is served on `/` \
         (give only scheme, host and port)"
    )]
    NotRoot { endpoint: String },
}

/// The URL (always with path `/`) to send `region`'s requests to. `override_` is
/// `--endpoint`; a bare host name there means `https://host/`.
pub(crate) fn endpoint_for(region: &str, override_: Option<&str>) -> Result<Url, EndpointError> {
    if let Some(endpoint) = override_ {
        return parse_override(endpoint);
    }
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(EndpointError::InvalidRegion {
            region: region.to_owned(),
        });
    }
    let host = crate::regions::vpc_host(region);
    Ok(Url::parse(&format!("https://{host}/")).expect("a region id makes a valid host"))
}

/// `endpoint` as it may be shown: a password in it (`https://user:SECRET@host`) becomes
/// `***`. Every error below echoes the endpoint, and a pasted URL may carry one.
fn redact(endpoint: &str) -> String {
    let authority_start = endpoint.find("://").map_or(0, |i| i + 3);
    let rest = &endpoint[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return endpoint.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return endpoint.to_owned();
    };
    format!(
        "{}{}:***{}",
        &endpoint[..authority_start],
        &userinfo[..colon],
        &endpoint[authority_start + at..]
    )
}

fn parse_override(raw: &str) -> Result<Url, EndpointError> {
    let shown = redact(raw);
    let endpoint = shown.as_str();
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| EndpointError::InvalidUrl {
        endpoint: endpoint.to_owned(),
        reason: e.to_string(),
    })?;
    if url.host().is_none() {
        return Err(EndpointError::InvalidUrl {
            endpoint: endpoint.to_owned(),
            reason: "no host".to_owned(),
        });
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(EndpointError::NotRoot {
            endpoint: endpoint.to_owned(),
        });
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(EndpointError::PlainHttpNotLoopback {
            endpoint: endpoint.to_owned(),
        }),
        other => Err(EndpointError::UnsupportedScheme {
            endpoint: endpoint.to_owned(),
            scheme: other.to_owned(),
        }),
    }
}

/// 127.0.0.0/8, ::1 and `localhost`: the only hosts plain HTTP may go to, and the ones
/// no proxy is used for.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_and_regional_endpoints() {
        let host = |r: &str| endpoint_for(r, None).unwrap().to_string();
        assert_eq!(host("cn-hangzhou"), "https://vpc.aliyuncs.com/");
        assert_eq!(host("cn-shanghai"), "https://vpc.aliyuncs.com/");
        assert_eq!(host("ap-southeast-1"), "https://vpc.aliyuncs.com/");
        assert_eq!(host("us-east-1"), "https://vpc.aliyuncs.com/");
        assert_eq!(
            host("eu-central-1"),
            "https://vpc.eu-central-1.aliyuncs.com/"
        );
        assert_eq!(
            host("cn-zhangjiakou"),
            "https://vpc.cn-zhangjiakou.aliyuncs.com/"
        );
        assert_eq!(
            endpoint_for("cn-hangzhou.evil.com/x", None),
            Err(EndpointError::InvalidRegion {
                region: "cn-hangzhou.evil.com/x".into()
            })
        );
        assert!(endpoint_for("", None).is_err());
    }

    /// Regression: `--endpoint https://user:SECRET@host/` was refused with the password
    /// in the message.
    #[test]
    fn an_endpoint_password_is_never_echoed() {
        let err = endpoint_for("cn-hangzhou", Some("https://user:s3cr3t@host/"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--endpoint `https://user:***@host/` has a path, query or credentials; the VPC API is \
             served on `/` (give only scheme, host and port)"
        );
        let err = endpoint_for("cn-hangzhou", Some("u:p@ss@host:99999"))
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("p@ss") && err.contains("u:***@host:99999"),
            "{err}"
        );
        assert_eq!(redact("https://host/a@b:c"), "https://host/a@b:c");
    }

    #[test]
    fn override_rules() {
        let ok = |e: &str| endpoint_for("cn-hangzhou", Some(e)).map(|u| u.to_string());
        assert_eq!(
            ok("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(ok("http://127.1.2.3:1/").unwrap(), "http://127.1.2.3:1/");
        assert_eq!(ok("http://[::1]:9").unwrap(), "http://[::1]:9/");
        assert_eq!(ok("http://LOCALHOST:9").unwrap(), "http://localhost:9/");
        assert_eq!(
            ok("vpc-vpc.cn-hangzhou.aliyuncs.com").unwrap(),
            "https://vpc-vpc.cn-hangzhou.aliyuncs.com/"
        );
        assert_eq!(
            ok("https://10.0.0.1:8443").unwrap(),
            "https://10.0.0.1:8443/"
        );
        assert_eq!(
            ok("http://10.0.0.1:8080"),
            Err(EndpointError::PlainHttpNotLoopback {
                endpoint: "http://10.0.0.1:8080".into()
            })
        );
        assert!(matches!(
            ok("http://localhost.evil.com"),
            Err(EndpointError::PlainHttpNotLoopback { .. })
        ));
        assert!(matches!(
            ok("http://128.0.0.1"),
            Err(EndpointError::PlainHttpNotLoopback { .. })
        ));
        assert!(matches!(
            ok("ftp://127.0.0.1"),
            Err(EndpointError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            ok("https://host/api"),
            Err(EndpointError::NotRoot { .. })
        ));
        assert!(matches!(
            ok("https://u:p@host/"),
            Err(EndpointError::NotRoot { .. })
        ));
        assert!(matches!(
            ok("https://"),
            Err(EndpointError::InvalidUrl { .. })
        ));
    }
}
