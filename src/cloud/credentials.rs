//! Finding the access key, in the order the Alibaba tools use: environment variables
//! (Alibaba's, then Terraform's), the aliyun CLI's `~/.aliyun/config.json`, the SDK's
//! `~/.alibabacloud/credentials` ini file. Environment and home are injected so tests
//! run against a temp dir; secrets go straight into [`Secret`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::types::Credentials;
use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CredentialsError {
    #[error("no Alibaba Cloud credentials found; looked at:\n{}\n\
             Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`.",
             looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    NotFound { looked: Vec<String> },
    #[error("{set} is set but {missing} is not; set both or neither")]
    IncompleteEnvironment { set: String, missing: String },
    #[error("{}: {message}", path.display())]
    Malformed { path: PathBuf, message: String },
    /// A problem at a place in the file: `path:line:column: message`.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Located {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{} is larger than {limit} bytes, the most a credentials file may hold; is it the right file?", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}: profile `{profile}` uses mode `{mode}`, which vpnform does not support (use AK or StsToken)", path.display())]
    UnsupportedMode {
        path: PathBuf,
        profile: String,
        mode: String,
    },
    #[error("{}: profile `{profile}` lacks {missing}", path.display())]
    IncompleteProfile {
        path: PathBuf,
        profile: String,
        missing: String,
    },
    #[error("profile `{profile}` ({origin}) was not found; looked at:\n{}",
            looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    ProfileNotFound {
        profile: String,
        /// `--profile`, `ALIBABA_CLOUD_PROFILE`.
        origin: String,
        looked: Vec<String>,
    },
    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The most bytes a credentials file may hold. Real ones are a few kilobytes; the
/// bound keeps `~/.aliyun/config.json -> /dev/zero` from reading until out of memory.
pub(crate) const MAX_CREDENTIALS_FILE: u64 = 1024 * 1024;

/// The credentials to sign with. `profile` is `--profile` as typed on the command line
/// (never `ALIBABA_CLOUD_PROFILE`, which this function reads from `env` itself).
///
/// Order: an explicit `--profile` goes straight to that profile (config.json, then the
/// ini file) and never falls back to other credentials: a user who names the production
/// profile must not silently get the environment's keys. Otherwise: the environment
/// (`ALIBABA_CLOUD_*`, then Terraform's `ALICLOUD_*`), then `~/.aliyun/config.json`
/// (profile `ALIBABA_CLOUD_PROFILE`, else its `current`), then the ini file
/// (`ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.alibabacloud/credentials`; section
/// `ALIBABA_CLOUD_PROFILE`, else `default`).
pub(crate) fn resolve_credentials(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    home: &Path,
) -> Result<Credentials, CredentialsError> {
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    let mut looked = Vec::new();

    let named = match profile {
        Some(p) => Some((p.to_owned(), "--profile")),
        None => env("ALIBABA_CLOUD_PROFILE").map(|p| (p, "ALIBABA_CLOUD_PROFILE")),
    };

    if profile.is_none() {
        for (id_var, secret_var, token_var) in [
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                "ALIBABA_CLOUD_SECURITY_TOKEN",
            ),
            (
                "ALICLOUD_ACCESS_KEY",
                "ALICLOUD_SECRET_KEY",
                "ALICLOUD_SECURITY_TOKEN",
            ),
        ] {
            match (env(id_var), env(secret_var)) {
                (Some(id), Some(secret)) => {
                    return Ok(Credentials {
                        access_key_id: id,
                        access_key_secret: Secret::new(secret),
                        security_token: env(token_var).map(Secret::new),
                        source: format!("environment ({id_var})"),
                    });
                }
                (Some(_), None) => {
                    return Err(CredentialsError::IncompleteEnvironment {
                        set: id_var.into(),
                        missing: secret_var.into(),
                    });
                }
                (None, Some(_)) => {
                    return Err(CredentialsError::IncompleteEnvironment {
                        set: secret_var.into(),
                        missing: id_var.into(),
                    });
                }
                (None, None) => looked.push(format!("environment: {id_var}/{secret_var} not set")),
            }
        }
    }

    let cli_config = home.join(".aliyun").join("config.json");
    let named_ref = named.as_ref().map(|(p, origin)| (p.as_str(), *origin));
    if let Some(found) = from_cli_config(&cli_config, named_ref, &mut looked)? {
        return Ok(found);
    }

    let ini_paths = match env("ALIBABA_CLOUD_CREDENTIALS_FILE") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![home.join(".alibabacloud").join("credentials")],
    };
    for path in &ini_paths {
        if let Some(found) = from_ini(path, named_ref, &mut looked)? {
            return Ok(found);
        }
    }

    match named {
        Some((profile, origin)) => Err(CredentialsError::ProfileNotFound {
            profile,
            origin: origin.to_owned(),
            looked,
        }),
        None => Err(CredentialsError::NotFound { looked }),
    }
}

#[derive(Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: String,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize)]
struct CliProfile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    access_key_id: String,
    #[serde(default, deserialize_with = "secret")]
    access_key_secret: Secret,
    #[serde(default, deserialize_with = "secret")]
    sts_token: Secret,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// The file's text, `None` if it does not exist. At most [`MAX_CREDENTIALS_FILE`] bytes
/// are read; text that is not UTF-8 is an error at the line and column of the first bad
/// byte.
fn read_optional(path: &Path) -> Result<Option<String>, CredentialsError> {
    use std::io::Read as _;
    let io = |source| CredentialsError::Io {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io(source)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CREDENTIALS_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_CREDENTIALS_FILE {
        return Err(CredentialsError::TooLarge {
            path: path.to_owned(),
            limit: MAX_CREDENTIALS_FILE,
        });
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let before = &bytes[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            // Characters, not bytes, before the bad byte on its line: what an editor shows.
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            Err(CredentialsError::Located {
                path: path.to_owned(),
                line,
                column,
                message: format!(
                    "not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
                    bytes[at]
                ),
            })
        }
    }
}

/// Where the name of the profile in use came from, for messages: `(--profile)`.
fn origin_note(named: Option<(&str, &str)>) -> String {
    named.map_or_else(String::new, |(_, origin)| format!(" ({origin})"))
}

/// The line and column of the `n`th (0-based) `"name": "<name>"` in a config.json, for
/// pointing at a duplicate profile. `None` if the text is laid out some other way.
fn locate_profile_name(text: &str, name: &str, n: usize) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(name).ok()?;
    let mut found = 0;
    let mut from = 0;
    while let Some(i) = text[from..].find("\"name\"") {
        let at = from + i;
        from = at + 6;
        let rest = text[from..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        if rest.trim_start().starts_with(&quoted) {
            if found == n {
                let line = text[..at].matches('\n').count() + 1;
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                return Some((line, text[line_start..at].chars().count() + 1));
            }
            found += 1;
        }
    }
    None
}

fn from_cli_config(
    path: &Path,
    named: Option<(&str, &str)>,
    looked: &mut Vec<String>,
) -> Result<Option<Credentials>, CredentialsError> {
    let Some(text) = read_optional(path)? else {
        looked.push(format!("{}: no such file", path.display()));
        return Ok(None);
    };
    let config: CliConfig =
        serde_json::from_str(&text).map_err(|e| CredentialsError::Malformed {
            path: path.to_owned(),
            message: format!("line {}, column {}: {e}", e.line(), e.column()),
        })?;
    // Two profiles of one name: the aliyun CLI takes the first, an editor's user may mean
    // the second. Refusing is the only reading that cannot pick the wrong account.
    for (i, p) in config.profiles.iter().enumerate() {
        if let Some(j) = config.profiles[..i].iter().position(|q| q.name == p.name) {
            return Err(
                match (
                    locate_profile_name(&text, &p.name, 1),
                    locate_profile_name(&text, &p.name, 0),
                ) {
                    (Some((line, column)), Some((first, _))) => CredentialsError::Located {
                        path: path.to_owned(),
                        line,
                        column,
                        message: format!(
                            "a second profile named `{}` (the first is at line {first}); rename or remove one",
                            p.name
                        ),
                    },
                    _ => CredentialsError::Malformed {
                        path: path.to_owned(),
                        message: format!(
                            "profiles {j} and {i} (counting from 0) are both named `{}`; rename or remove one",
                            p.name
                        ),
                    },
                },
            );
        }
    }
    let wanted = match named {
        Some((p, _)) => p.to_owned(),
        None if !config.current.is_empty() => config.current.clone(),
        None => "default".to_owned(),
    };
    let Some(p) = config.profiles.into_iter().find(|p| p.name == wanted) else {
        looked.push(format!("{}: no profile `{wanted}`", path.display()));
        return Ok(None);
    };
    let mode = if p.mode.is_empty() {
        "AK"
    } else {
        p.mode.as_str()
    };
    let token = match mode {
        "AK" => None,
        "StsToken" => Some(p.sts_token),
        other => {
            return Err(CredentialsError::UnsupportedMode {
                path: path.to_owned(),
                profile: wanted,
                mode: other.to_owned(),
            });
        }
    };
    let missing = [
        ("access_key_id", p.access_key_id.is_empty()),
        ("access_key_secret", p.access_key_secret.expose().is_empty()),
        (
            "sts_token",
            token.as_ref().is_some_and(|t| t.expose().is_empty()),
        ),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect::<Vec<_>>();
    if !missing.is_empty() {
        // `aliyun configure` leaves an empty `default` profile behind; when nobody asked
        // for this profile by name, that is "not configured", not an error.
        if named.is_none() && missing.len() >= 2 {
            looked.push(format!(
                "{}: profile `{wanted}` has no access key",
                path.display()
            ));
            return Ok(None);
        }
        return Err(CredentialsError::IncompleteProfile {
            path: path.to_owned(),
            profile: wanted,
            missing: missing.join(" and "),
        });
    }
    Ok(Some(Credentials {
        access_key_id: p.access_key_id,
        access_key_secret: p.access_key_secret,
        security_token: token,
        source: format!(
            "{} profile `{wanted}`{}",
            path.display(),
            origin_note(named)
        ),
    }))
}

/// A `key = value` line of the ini file, where it was.
struct IniField {
    key: String,
    value: String,
    line: usize,
    column: usize,
}

/// The value of an ini line: a quoted value up to its closing quote, else up to an
/// inline comment (`;` or `#` after a space, as the SDKs' ini readers take it), trimmed.
/// Without this, `access_key_secret = abc ; rotated` signs with the comment.
fn ini_value(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix('"')
        && let Some(end) = rest.find('"')
    {
        return rest[..end].to_owned();
    }
    let mut end = raw.len();
    let bytes = raw.as_bytes();
    for i in 1..bytes.len() {
        if (bytes[i] == b';' || bytes[i] == b'#') && bytes[i - 1].is_ascii_whitespace() {
            end = i;
            break;
        }
    }
    raw[..end].trim().to_owned()
}

fn from_ini(
    path: &Path,
    named: Option<(&str, &str)>,
    looked: &mut Vec<String>,
) -> Result<Option<Credentials>, CredentialsError> {
    let section = named.map_or("default", |(p, _)| p);
    let Some(text) = read_optional(path)? else {
        looked.push(format!("{}: no such file", path.display()));
        return Ok(None);
    };
    let located = |line: usize, column: usize, message: String| CredentialsError::Located {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    // Section name -> the line it starts on; the fields of every section, so that a
    // duplicate anywhere is refused, not only in the section in use.
    let mut sections: Vec<(String, usize)> = Vec::new();
    let mut fields: Vec<(usize, IniField)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let column = raw.len() - raw.trim_start().len() + 1;
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            if let Some((_, first)) = sections.iter().find(|(s, _)| s == name) {
                // Readers differ (last wins, first wins, merged): refuse rather than
                // guess which account was meant.
                return Err(located(
                    n + 1,
                    column,
                    format!(
                        "section [{name}] appears twice (first at line {first}); merge them or remove one"
                    ),
                ));
            }
            sections.push((name.to_owned(), n + 1));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(CredentialsError::Malformed {
                path: path.to_owned(),
                message: format!("line {}: expected `key = value` or `[section]`", n + 1),
            });
        };
        let Some(current) = sections.len().checked_sub(1) else {
            continue;
        };
        let key = k.trim().to_owned();
        if let Some((_, first)) = fields.iter().find(|(s, f)| *s == current && f.key == key) {
            return Err(located(
                n + 1,
                column,
                format!(
                    "`{key}` is set twice in section [{}] (first at line {}); remove one",
                    sections[current].0, first.line
                ),
            ));
        }
        fields.push((
            current,
            IniField {
                key,
                value: ini_value(v),
                line: n + 1,
                column,
            },
        ));
    }
    let Some(wanted) = sections.iter().position(|(s, _)| s == section) else {
        looked.push(format!("{}: no section [{section}]", path.display()));
        return Ok(None);
    };
    let field = |k: &str| {
        fields
            .iter()
            .find(|(s, f)| *s == wanted && f.key == k && !f.value.is_empty())
            .map(|(_, f)| f)
    };
    let get = |k: &str| field(k).map(|f| f.value.clone());
    if get("enable").is_some_and(|v| v.eq_ignore_ascii_case("false")) {
        looked.push(format!(
            "{}: section [{section}] has enable = false",
            path.display()
        ));
        return Ok(None);
    }
    if let Some(kind) = field("type").filter(|f| f.value != "access_key") {
        return Err(located(
            kind.line,
            kind.column,
            format!(
                "section [{section}]{} has `type = {}`, a credential type vpnform does not support; \
                 use `type = access_key` with access_key_id and access_key_secret",
                origin_note(named),
                kind.value
            ),
        ));
    }
    match (get("access_key_id"), get("access_key_secret")) {
        (Some(id), Some(secret)) => Ok(Some(Credentials {
            access_key_id: id,
            access_key_secret: Secret::new(secret),
            security_token: None,
            source: format!("{} [{section}]{}", path.display(), origin_note(named)),
        })),
        (id, _) => Err(CredentialsError::IncompleteProfile {
            path: path.to_owned(),
            profile: section.to_owned(),
            missing: if id.is_none() {
                "access_key_id".to_owned()
            } else {
                "access_key_secret".to_owned()
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn write(home: &Path, rel: &str, text: &str) {
        let p = home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    const CLI_CONFIG: &str = r#"{
      "current": "default",
      "profiles": [
        {"name": "default", "mode": "AK", "access_key_id": "LTAIdefault", "access_key_secret": "sec-default", "region_id": "cn-hangzhou"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "sec-sts", "sts_token": "tok-sts"},
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "x", "access_key_secret": "y"}
      ]
    }"#;

    #[test]
    fn alibaba_environment_wins() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".aliyun/config.json", CLI_CONFIG);
        let env = env_of(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "tok-env"),
            ("ALICLOUD_ACCESS_KEY", "LTAItf"),
            ("ALICLOUD_SECRET_KEY", "sec-tf"),
        ]);
        let c = resolve_credentials(None, &env, home.path()).unwrap();
        assert_eq!(c.access_key_id, "LTAIenv");
        assert_eq!(c.access_key_secret.expose(), "sec-env");
        assert_eq!(c.security_token.unwrap().expose(), "tok-env");
        assert_eq!(c.source, "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)");
    }

    #[test]
    fn terraform_environment() {
        let home = tempfile::tempdir().unwrap();
        let env = env_of(&[
            ("ALICLOUD_ACCESS_KEY", "LTAItf"),
            ("ALICLOUD_SECRET_KEY", "sec-tf"),
            ("ALICLOUD_SECURITY_TOKEN", "tok-tf"),
        ]);
        let c = resolve_credentials(None, &env, home.path()).unwrap();
        assert_eq!(c.access_key_id, "LTAItf");
        assert_eq!(c.security_token.unwrap().expose(), "tok-tf");
        assert_eq!(c.source, "environment (ALICLOUD_ACCESS_KEY)");
    }

    #[test]
    fn half_set_environment_is_an_error() {
        let home = tempfile::tempdir().unwrap();
        let env = env_of(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")]);
        let err = resolve_credentials(None, &env, home.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ALIBABA_CLOUD_ACCESS_KEY_ID is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is not; set both or neither"
        );
    }

    #[test]
    fn cli_config_current_env_profile_and_flag() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".aliyun/config.json", CLI_CONFIG);
        let c = resolve_credentials(None, &env_of(&[]), home.path()).unwrap();
        assert_eq!(c.access_key_id, "LTAIdefault");
        assert!(c.security_token.is_none());
        assert_eq!(
            c.source,
            format!(
                "{} profile `default`",
                home.path().join(".aliyun/config.json").display()
            )
        );

        let env = env_of(&[("ALIBABA_CLOUD_PROFILE", "sts")]);
        let c = resolve_credentials(None, &env, home.path()).unwrap();
        assert_eq!(c.access_key_id, "STS.id");
        assert_eq!(c.security_token.unwrap().expose(), "tok-sts");

        // --profile beats ALIBABA_CLOUD_PROFILE, and beats keys in the environment.
        let env = env_of(&[
            ("ALIBABA_CLOUD_PROFILE", "sts"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env"),
        ]);
        let c = resolve_credentials(Some("default"), &env, home.path()).unwrap();
        assert_eq!(c.access_key_id, "LTAIdefault");

        let err = resolve_credentials(Some("role"), &env, home.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: profile `role` uses mode `RamRoleArn`, which vpnform does not support (use AK or StsToken)",
                home.path().join(".aliyun/config.json").display()
            )
        );
    }

    #[test]
    fn ini_file_default_path_and_override() {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".alibabacloud/credentials",
            "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = sec-ini\n\n[other]\ntype = access_key\naccess_key_id = LTAIother\naccess_key_secret = sec-other\n",
        );
        let c = resolve_credentials(None, &env_of(&[]), home.path()).unwrap();
        assert_eq!(c.access_key_id, "LTAIini");
        assert_eq!(
            c.source,
            format!(
                "{} [default]",
                home.path().join(".alibabacloud/credentials").display()
            )
        );
        let c = resolve_credentials(Some("other"), &env_of(&[]), home.path()).unwrap();
        assert_eq!(c.access_key_id, "LTAIother");

        let alt = home.path().join("elsewhere.ini");
        std::fs::write(&alt, "[default]\ntype = ecs_ram_role\nrole_name = r\n").unwrap();
        let alt_s = alt.display().to_string();
        let env = env_of(&[("ALIBABA_CLOUD_CREDENTIALS_FILE", &alt_s)]);
        let err = resolve_credentials(None, &env, home.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{alt_s}:2:1: section [default] has `type = ecs_ram_role`, a credential type vpnform does not support; \
                 use `type = access_key` with access_key_id and access_key_secret"
            )
        );
    }

    #[test]
    fn none_found_lists_every_place() {
        let home = tempfile::tempdir().unwrap();
        let err = resolve_credentials(None, &env_of(&[]), home.path()).unwrap_err();
        let h = home.path().display();
        assert_eq!(
            err.to_string(),
            format!(
                "no Alibaba Cloud credentials found; looked at:\n\
                 \x20 - environment: ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET not set\n\
                 \x20 - environment: ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY not set\n\
                 \x20 - {h}/.aliyun/config.json: no such file\n\
                 \x20 - {h}/.alibabacloud/credentials: no such file\n\
                 Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`."
            )
        );
    }

    #[test]
    fn named_profile_not_found() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".aliyun/config.json", CLI_CONFIG);
        let err = resolve_credentials(Some("prod"), &env_of(&[]), home.path()).unwrap_err();
        let h = home.path().display();
        assert_eq!(
            err.to_string(),
            format!(
                "profile `prod` (--profile) was not found; looked at:\n\
                 \x20 - {h}/.aliyun/config.json: no profile `prod`\n\
                 \x20 - {h}/.alibabacloud/credentials: no such file"
            )
        );
    }

    #[test]
    fn malformed_config_json_names_line() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".aliyun/config.json", "{\n  \"current\": ,\n}");
        let err = resolve_credentials(None, &env_of(&[]), home.path()).unwrap_err();
        assert!(
            err.to_string().contains("config.json: line 2, column 14"),
            "{err}"
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".aliyun/config.json", CLI_CONFIG);
        let c = resolve_credentials(Some("sts"), &env_of(&[]), home.path()).unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("sec-sts") && !debug.contains("tok-sts"),
            "{debug}"
        );
        assert!(debug.contains("STS.id"));
    }
}
