//! How YAML readers resolve plain (unquoted) scalars, and so which strings may be written
//! without quotes.
//!
//! Readers disagree. YAML 1.2's core schema (what daactl parses with) reads `on` as a string;
//! YAML 1.1 readers (PyYAML, go-yaml v2 inside kubectl and Helm) read it as `true`, and read
//! `0777` as 511 where YAML 1.2 reads 777. A plain scalar is only safe when every reader
//! agrees, so the emitter quotes every string that any of them would read as something else,
//! and the template parser rejects every plain scalar they would read differently.

use std::sync::LazyLock;

use regex_lite::Regex;

/// What a plain scalar means to a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// `null`, `~` or nothing.
    Null,
    /// A boolean.
    Bool,
    /// An integer.
    Int,
    /// A floating-point number.
    Float,
    /// Anything YAML 1.1 types beyond JSON's: timestamps, `<<` merge keys, `=` values.
    Other,
    /// A string.
    Str,
}

struct Resolvers {
    core_int: Regex,
    core_float: Regex,
    legacy_int: Regex,
    legacy_float: Regex,
    legacy_other: Regex,
    portable_int: Regex,
    portable_float: Regex,
}

static RESOLVERS: LazyLock<Resolvers> = LazyLock::new(|| {
    let compile = |p: &str| Regex::new(p).expect("resolver patterns are valid");
    Resolvers {
        // YAML 1.2.2, 10.3.2 "Tag Resolution" of the core schema. Its null and boolean words
        // are matched in the functions below; every one of them starts like a word except
        // `~` and the empty string.
        core_int: compile(r"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        core_float: compile(
            r"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$",
        ),
        // YAML 1.1 type repository (yaml.org/type), plus go-yaml v2's float reading.
        legacy_int: compile(
            r"^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
        ),
        legacy_float: compile(
            r"^([-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)$",
        ),
        legacy_other: compile(r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+|$).*|<<|=)$"),
        portable_int: compile(r"^-?(0|[1-9][0-9]*)$"),
        portable_float: compile(r"^-?(0|[1-9][0-9]*)\.[0-9]+(e[-+][0-9]+)?$"),
    }
});

/// Whether `text` starts like a word. Numbers, timestamps, `.inf`, `<<` and `=` never do,
/// so a word is a string unless it is one of the boolean or null words. This and
/// [`all_digits`] keep the regular expressions off the common path.
fn word_like(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '/')
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` starts with a digit yet cannot be a number or a timestamp to any reader,
/// like `250m` or `512Mi`: every numeric form uses only digits, `.`, `_`, `:`, signs,
/// exponents and the letters of `0x`, `0o` and `0b` prefixes and hex digits, and a
/// timestamp starts with `YYYY-`.
fn digit_led_word(text: &str) -> bool {
    let bytes = text.as_bytes();
    let timestamp_like =
        bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-';
    bytes.first().is_some_and(u8::is_ascii_digit)
        && !bytes.iter().all(numeric_byte)
        && !timestamp_like
}

/// A byte that some YAML reader's number syntax uses.
fn numeric_byte(b: &u8) -> bool {
    b.is_ascii_hexdigit()
        || matches!(
            b,
            b'.' | b'_' | b':' | b'+' | b'-' | b'x' | b'X' | b'o' | b'O'
        )
}

/// Whether `text` is shaped like a number to some reader even if no pattern above matches:
/// go-yaml v2 (kubectl, Helm) drops `_` and accepts upper-case `0X`, `0O`, `0B` before
/// parsing, so `0_9` and `0X1F` are numbers there. Such strings are always quoted.
fn number_shaped(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'))
        && bytes.iter().all(numeric_byte)
}

/// What YAML 1.2's core schema makes of the plain scalar `text`.
pub fn resolve_core(text: &str) -> Resolved {
    let r = &*RESOLVERS;
    if word_like(text) {
        match text {
            "null" | "Null" | "NULL" => Resolved::Null,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => Resolved::Bool,
            _ => Resolved::Str,
        }
    } else if all_digits(text) {
        Resolved::Int
    } else if digit_led_word(text) {
        Resolved::Str
    } else if matches!(text, "~" | "") {
        Resolved::Null
    } else if r.core_int.is_match(text) {
        Resolved::Int
    } else if r.core_float.is_match(text) {
        Resolved::Float
    } else {
        Resolved::Str
    }
}

/// What YAML 1.1 readers (PyYAML, go-yaml v2) make of the plain scalar `text`.
pub fn resolve_legacy(text: &str) -> Resolved {
    let r = &*RESOLVERS;
    if word_like(text) {
        match text {
            "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true"
            | "True" | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off"
            | "Off" | "OFF" => Resolved::Bool,
            "null" | "Null" | "NULL" => Resolved::Null,
            _ => Resolved::Str,
        }
    } else if all_digits(text) {
        // `0777` is octal to YAML 1.1; `089` is no octal, and go-yaml reads it as a float.
        let octal_or_plain =
            !text.starts_with('0') || text.len() == 1 || text.bytes().all(|b| b <= b'7');
        if octal_or_plain {
            Resolved::Int
        } else {
            Resolved::Float
        }
    } else if digit_led_word(text) {
        Resolved::Str
    } else if matches!(text, "~" | "") {
        Resolved::Null
    } else if r.legacy_int.is_match(text) {
        Resolved::Int
    } else if r.legacy_float.is_match(text) {
        Resolved::Float
    } else if r.legacy_other.is_match(text) {
        Resolved::Other
    } else {
        Resolved::Str
    }
}

/// Whether every reader takes the plain scalar `text` to mean the same value; if not, a
/// template must quote it.
pub fn is_unambiguous_plain(text: &str) -> bool {
    let r = &*RESOLVERS;
    match resolve_core(text) {
        Resolved::Str => resolve_legacy(text) == Resolved::Str && !number_shaped(text),
        Resolved::Null => matches!(text, "null" | "~" | ""),
        Resolved::Bool => matches!(text, "true" | "false"),
        Resolved::Int => r.portable_int.is_match(text),
        Resolved::Float => r.portable_float.is_match(text),
        Resolved::Other => false,
    }
}

/// Whether the string `text` may be written without quotes: it is made only of characters
/// that are never YAML syntax here, and every reader resolves it to this same string.
pub fn is_plain_safe_string(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let body_ok =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ':' | '@' | '+');
    (first.is_ascii_alphanumeric() || matches!(first, '_' | '/' | '.'))
        && chars.all(body_ok)
        && !text.ends_with(':')
        && !number_shaped(text)
        && resolve_core(text) == Resolved::Str
        && resolve_legacy(text) == Resolved::Str
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_and_octals_are_not_plain_safe() {
        for text in [
            "on",
            "off",
            "yes",
            "no",
            "y",
            "N",
            "true",
            "null",
            "~",
            "0777",
            "1_000",
            "1:30",
            "0_9",
            "1_0e5",
            "1e1_0",
            "0X1F",
            "0B101",
            "0O17",
            "1abc",
            "0x1F",
            "0b101",
            "0o17",
            "1e3",
            ".inf",
            "2026-11-27",
            "<<",
            "=",
            "1.4.0",
            "-1",
            "",
            "a:",
            "-x",
            "a b",
            "a#b",
            "{x}",
            "'q'",
        ] {
            assert!(!is_plain_safe_string(text), "{text:?} must be quoted");
        }
    }

    #[test]
    fn ordinary_kubernetes_values_stay_plain() {
        for text in [
            "daa-service",
            "250m",
            "512Mi",
            "app.kubernetes.io/name",
            "IfNotPresent",
            "ghcr.io/daa-platform/daa-service:1.4.0",
            "/health/live",
            "RuntimeDefault",
            "v1.33",
            "sha256:abc",
            "http://x.y/z",
        ] {
            assert!(is_plain_safe_string(text), "{text:?} should stay plain");
        }
    }

    #[test]
    fn plain_scalars_readers_disagree_on_are_ambiguous() {
        for text in [
            "on", "yes", "0777", "1e3", "1_000", "True", "NULL", "0o17", "+1", "1.", "12:30",
        ] {
            assert!(!is_unambiguous_plain(text), "{text:?}");
        }
        for text in [
            "true", "false", "null", "0", "80", "-3", "0.5", "web", "250m",
        ] {
            assert!(is_unambiguous_plain(text), "{text:?}");
        }
    }
}
