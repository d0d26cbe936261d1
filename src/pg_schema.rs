//! The PostgreSQL schema names vpnform accepts for the postgres backend: a plain
//! lower-case identifier, never one PostgreSQL keeps for itself (`public`,
//! `information_schema`, `pg_*`, a reserved key word). One home for the desired file's
//! validation and the backend's own check.

/// A lower-case SQL identifier of at most 63 bytes (PostgreSQL's NAMEDATALEN - 1), so it
/// is never quoted differently by two tools. A schema name vpnform accepts is one, and
/// not one PostgreSQL keeps for itself ([`reserved_schema`]).
pub(crate) fn schema_syntax(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 63
}

/// Why a schema name is PostgreSQL's, not vpnform's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReservedSchema {
    /// `public`, `information_schema`, `pg_*`: schemas the server itself has or makes.
    System,
    /// A reserved key word, which is not an identifier unless quoted.
    KeyWord,
}

/// The key words PostgreSQL's documentation (appendix "SQL Key Words") marks reserved
/// in PostgreSQL, including those that "can be function or type": neither is a schema
/// name unquoted. Sorted, for the binary search.
const RESERVED_KEY_WORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Whether `name` (lower case) is a schema PostgreSQL keeps for itself.
pub(crate) fn reserved_schema(name: &str) -> Option<ReservedSchema> {
    if name == "public" || name == "information_schema" || name.starts_with("pg_") {
        Some(ReservedSchema::System)
    } else if RESERVED_KEY_WORDS.binary_search(&name).is_ok() {
        Some(ReservedSchema::KeyWord)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_lower_case_identifiers() {
        let valid_schema = |name: &str| schema_syntax(name) && reserved_schema(name).is_none();
        for good in ["vpnform_prod", "_x", "a1"] {
            assert!(valid_schema(good), "{good}");
        }
        for bad in ["", "Prod", "1a", "a-b", "pg_x", "a\"b", &"a".repeat(64)] {
            assert!(!valid_schema(bad), "{bad}");
        }
        for system in ["public", "information_schema", "pg_catalog", "pg_x"] {
            assert_eq!(reserved_schema(system), Some(ReservedSchema::System));
        }
        for word in ["select", "user", "table", "all", "with", "verbose"] {
            assert_eq!(reserved_schema(word), Some(ReservedSchema::KeyWord));
        }
        assert!(RESERVED_KEY_WORDS.is_sorted());
    }
}
