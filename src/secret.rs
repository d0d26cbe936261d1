//! A string that must never be printed: access key secrets, STS tokens, PSKs.
//!
//! `Debug` and `Display` print `***`; the only way to the value is [`Secret::expose`],
//! so every place that reads a secret is easy to find.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The clear-text value. Call it only where the value is used (signing, comparing).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Secret {
    /// The two keys of a dual-tunnel connection whose tunnels each have their own, held
    /// as one: a key never holds a control character ([`PskSource::read`] refuses one),
    /// so a line break keeps them apart. [`Secret::per_tunnel`] takes them apart again.
    pub fn tunnels(master: &Secret, slave: &Secret) -> Secret {
        Secret(format!("{}\n{}", master.0, slave.0))
    }

    /// The master's and the slave's key: the two of [`Secret::tunnels`], or this one key
    /// for both.
    pub fn per_tunnel(&self) -> (Secret, Secret) {
        match self.0.split_once('\n') {
            Some((master, slave)) => (Secret::new(master), Secret::new(slave)),
            None => (self.clone(), self.clone()),
        }
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Deserializes an optional string of an API answer straight into a [`Secret`]; an
/// empty one is none. The clear text never sits in a printable value.
pub(crate) fn optional<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    use serde::Deserialize as _;
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map(Secret::from))
}

/// Where an entry's pre-shared key comes from; never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PskSource {
    /// `{env: NAME}`: the environment variable NAME.
    Env(String),
    /// `{file: PATH}`: `written` as in the desired file, `path` resolved against the
    /// desired file's directory.
    File {
        written: String,
        path: std::path::PathBuf,
    },
    /// A dual-tunnel connection whose tunnels each name their own: `tunnels[].psk`.
    Tunnels {
        master: Box<PskSource>,
        slave: Box<PskSource>,
    },
}

impl std::fmt::Display for PskSource {
    /// `env OFFICE_PSK` or `file secrets/office.psk`, as plans show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PskSource::Env(name) => write!(f, "env {name}"),
            PskSource::File { written, .. } => write!(f, "file {written}"),
            PskSource::Tunnels { master, slave } => {
                write!(f, "{master} (master), {slave} (slave)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("canary-secret-123");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "canary-secret-123");
    }
}
