//! Terraform's single-dash flag spellings (`-auto-approve`, `-out=FILE`, `-json`) before
//! clap sees the command line.
//!
//! Terraform (Go's `flag` package) spells long flags with one dash; clap reads `-json` as
//! the short flags `-j -s -o -n`, and its error then suggests `-- -j`, which would pass
//! the word on as a plan file. So a single-dash word whose name is one of vpnform's long
//! flags becomes `--name` here, and any other single-dash word that is not a valid
//! cluster of short flags is refused with its own "unknown flag" error.
//!
//! The flag names come from the clap definitions themselves: a flag added later (for
//! example `--target`) gets its single-dash spelling with no change here.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// A single-dash word that is neither a long flag nor short flags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flag `{word}`{}", suggestion.as_ref().map(|s| format!("\n  = help: did you mean `{s}`?")).unwrap_or_default())]
pub struct UnknownFlag {
    pub word: String,
    /// The closest known flag, in the spelling the user chose (one dash or two).
    pub suggestion: Option<String>,
}

/// The flags of a command tree: long and short names, each with whether it takes a value.
struct Flags {
    longs: BTreeMap<String, bool>,
    shorts: BTreeMap<char, bool>,
}

impl Flags {
    fn of(command: &clap::Command) -> Flags {
        let mut command = command.clone();
        // Builds the generated `--help` and `--version` and copies global flags down.
        command.build();
        let mut flags = Flags {
            longs: BTreeMap::new(),
            shorts: BTreeMap::new(),
        };
        flags.add(&command);
        flags
    }

    fn add(&mut self, command: &clap::Command) {
        for arg in command.get_arguments() {
            let takes_value = arg.get_action().takes_values();
            for long in arg.get_long_and_visible_aliases().into_iter().flatten() {
                self.longs.insert(long.to_owned(), takes_value);
            }
            for short in arg.get_short_and_visible_aliases().into_iter().flatten() {
                self.shorts.insert(short, takes_value);
            }
        }
        for sub in command.get_subcommands() {
            self.add(sub);
        }
    }
}

/// Rewrites Terraform's single-dash spellings of `command`'s long flags to two dashes:
/// `-auto-approve`, `-out=FILE`, `-out FILE`, `-lock-timeout=5m`. Words that are values
/// of a flag, and everything after `--`, are left as they are.
pub fn terraform_spellings(
    command: &clap::Command,
    args: Vec<OsString>,
) -> Result<Vec<OsString>, UnknownFlag> {
    let flags = Flags::of(command);
    let mut out = Vec::with_capacity(args.len());
    let mut words = args.into_iter();
    // The program name.
    out.extend(words.next());
    let mut value_next = false;
    while let Some(word) = words.next() {
        if std::mem::take(&mut value_next) {
            out.push(word);
            continue;
        }
        // Flags are ASCII; a word that is not UTF-8 is a value.
        let Some(text) = word.to_str() else {
            out.push(word);
            continue;
        };
        if text == "--" {
            out.push(word);
            out.extend(words.by_ref());
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = split_value(long);
            value_next = !inline && flags.longs.get(name) == Some(&true);
            out.push(word);
            continue;
        }
        let Some(rest) = text.strip_prefix('-') else {
            out.push(word);
            continue;
        };
        if rest.is_empty() {
            // `-`: a value (standard input, by convention).
            out.push(word);
            continue;
        }
        let (name, inline) = split_value(rest);
        if name.chars().count() > 1
            && let Some(takes_value) = flags.longs.get(name)
        {
            value_next = !inline && *takes_value;
            out.push(format!("-{text}").into());
            continue;
        }
        match short_cluster(&flags, rest) {
            Some(needs_value) => {
                value_next = needs_value;
                out.push(word);
            }
            None => {
                return Err(UnknownFlag {
                    word: text.to_owned(),
                    suggestion: crate::suggest::closest(
                        name,
                        flags.longs.keys().map(String::as_str),
                    )
                    .map(|s| format!("-{s}")),
                });
            }
        }
    }
    Ok(out)
}

/// `name=value` -> (`name`, true); `name` -> (`name`, false).
fn split_value(word: &str) -> (&str, bool) {
    match word.split_once('=') {
        Some((name, _)) => (name, true),
        None => (word, false),
    }
}

/// Whether `rest` (a word after its `-`) reads as short flags as clap reads them: flags
/// without values (`-vv`), possibly ending in one that takes a value, written attached
/// (`-Cdir`, `-C=dir`) or as the next word (`-C dir`). `Some(true)`: the next word is
/// that value.
fn short_cluster(flags: &Flags, rest: &str) -> Option<bool> {
    for (i, c) in rest.char_indices() {
        match flags.shorts.get(&c)? {
            false => continue,
            true => return Some(i + c.len_utf8() == rest.len()),
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn rewrite(line: &str) -> Result<Vec<String>, UnknownFlag> {
        let args = line.split(' ').map(OsString::from).collect();
        terraform_spellings(&super::super::Cli::command(), args).map(|words| {
            words
                .into_iter()
                .map(|w| w.into_string().unwrap())
                .collect()
        })
    }

    fn ok(line: &str) -> String {
        rewrite(line).unwrap().join(" ")
    }

    #[test]
    fn single_dash_long_flags_get_two_dashes() {
        assert_eq!(
            ok("vpnform apply -auto-approve -no-color -json"),
            "vpnform apply --auto-approve --no-color --json"
        );
        assert_eq!(
            ok("vpnform plan -detailed-exitcode -out=release.plan"),
            "vpnform plan --detailed-exitcode --out=release.plan"
        );
        assert_eq!(
            ok("vpnform plan -lock-timeout=5m -parallelism=4 -max-deletes=3"),
            "vpnform plan --lock-timeout=5m --parallelism=4 --max-deletes=3"
        );
    }

    #[test]
    fn a_separate_value_is_left_as_written() {
        // `-out -json` saves the plan to a file named `-json`, as `--out -json` does.
        assert_eq!(
            ok("vpnform plan -out -json -json"),
            "vpnform plan --out -json --json"
        );
        assert_eq!(
            ok("vpnform plan --desired -odd.yaml -offline"),
            "vpnform plan --desired -odd.yaml --offline"
        );
        assert_eq!(ok("vpnform -C -json plan"), "vpnform -C -json plan");
    }

    #[test]
    fn short_flags_and_two_dash_flags_are_unchanged() {
        for line in [
            "vpnform -vv plan",
            "vpnform -q -Cdir plan --json",
            "vpnform -C=dir -v plan",
            "vpnform -h",
            "vpnform -V",
            "vpnform show - --json",
        ] {
            assert_eq!(ok(line), line);
        }
    }

    #[test]
    fn everything_after_a_double_dash_is_a_value() {
        assert_eq!(
            ok("vpnform apply -- -auto-approve"),
            "vpnform apply -- -auto-approve"
        );
    }

    #[test]
    fn an_unknown_single_dash_word_is_an_unknown_flag_with_a_suggestion() {
        assert_eq!(
            rewrite("vpnform apply -auto-aprove"),
            Err(UnknownFlag {
                word: "-auto-aprove".into(),
                suggestion: Some("-auto-approve".into()),
            })
        );
        assert_eq!(
            rewrite("vpnform plan -xyzzy").unwrap_err().to_string(),
            "unknown flag `-xyzzy`"
        );
    }

    #[test]
    fn terraform_target_spellings_become_the_target_flag() {
        assert_eq!(
            ok("vpnform plan -target=ipsec_server.a -target ipsec_server.b"),
            "vpnform plan --target=ipsec_server.a --target ipsec_server.b"
        );
        assert_eq!(
            ok("vpnform apply -target=ipsec_server.a -auto-approve"),
            "vpnform apply --target=ipsec_server.a --auto-approve"
        );
    }
}
