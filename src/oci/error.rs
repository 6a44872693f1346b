//! Why a push or a pull failed: what the user gave, what the registry answered, or what the
//! downloaded bytes turned out to be. Each message names the registry and the request where
//! there is one, and ends with a hint line where there is something to do about it.

use std::fmt;

/// An `oci://` reference that does not parse, with the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid OCI reference `{input}`: {kind}\n  hint: write it like `oci://127.0.0.1:5000/daa/production:1.4.0` or `oci://ghcr.io/org/daa@sha256:<64 hex digits>`"
)]
pub struct ReferenceError {
    /// The reference, as given.
    pub input: String,
    /// What is wrong with it.
    pub kind: ReferenceErrorKind,
}

/// What is wrong with an `oci://` reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceErrorKind {
    /// It does not start with `oci://`.
    #[error("it must start with `oci://`")]
    Scheme,
    /// No `/` separates the registry from the repository.
    #[error("no repository after the registry host")]
    NoRepository,
    /// The host part is empty or not a host name, IPv4 address or bracketed IPv6 address.
    #[error("`{0}` is not a registry host (a DNS name, an IPv4 address or `[IPv6]`)")]
    Host(String),
    /// The port is not a number from 1 to 65535.
    #[error("`{0}` is not a port number from 1 to 65535")]
    Port(String),
    /// A path component breaks the distribution spec's grammar.
    #[error(
        "repository component `{component}` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator{uppercase}",
        uppercase = if .component.chars().any(|c| c.is_ascii_uppercase()) { " (uppercase letters are not allowed)" } else { "" }
    )]
    Component {
        /// The offending component (the text between two `/`).
        component: String,
    },
    /// The repository name is longer than registries accept.
    #[error("the repository name is {0} characters long; at most 255 are allowed")]
    NameTooLong(usize),
    /// Neither a tag nor a digest follows the repository.
    #[error("no tag or digest: add `:TAG` or `@sha256:DIGEST` after the repository")]
    NoTarget,
    /// Both a tag and a digest are given.
    #[error("give a tag or a digest, not both")]
    TagAndDigest,
    /// The tag breaks `[a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}`.
    #[error(
        "tag `{0}` is invalid: a tag is 1 to 128 letters, digits, `_`, `.` or `-`, and does not start with `.` or `-`"
    )]
    Tag(String),
    /// The digest is not `sha256:` and 64 lowercase hex digits.
    #[error("digest `{0}` is invalid: daactl accepts `sha256:` and 64 lowercase hex digits")]
    Digest(String),
}

/// Why a push or a pull failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// The `oci://` reference does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A push was asked for a digest reference; pushes need a tag to write.
    #[error(
        "cannot push to `{reference}`: it names a digest, and a push writes a tag\n  hint: push to a tag, such as `oci://127.0.0.1:5000/daa/production:1.4.0`"
    )]
    PushNeedsTag {
        /// The reference, as written.
        reference: String,
    },
    /// The bundle's file name cannot be used as a layer title or a file to write.
    #[error(
        "bundle file name `{name}` is not allowed: {reason}\n  hint: use a plain file name such as `daa-production-1.4.0.tar.gz`"
    )]
    FileName {
        /// The name (with control characters escaped).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Only one of the two credential environment variables is set.
    #[error(
        "`{set}` is set but `{missing}` is not\n  hint: set both for basic authentication, or neither for anonymous access"
    )]
    Credentials {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is missing.
        missing: &'static str,
    },
    /// The tag exists and the push did not ask to replace it.
    #[error(
        "tag {tag} already exists in {repository} ({digest})\n  hint: tags are never overwritten; pass `--force` to replace it, or push a new tag"
    )]
    TagExists {
        /// The tag.
        tag: String,
        /// `host[:port]/repository`.
        repository: String,
        /// The digest of the manifest the tag points at.
        digest: String,
    },
    /// The tag or digest (or the whole repository) is not in the registry.
    #[error(
        "{target} not found in {repository}{detail}\n  hint: check the repository and the tag; `daactl push` prints the reference it wrote"
    )]
    NotFound {
        /// `tag 1.4.0` or `digest sha256:…`.
        target: String,
        /// `host[:port]/repository`.
        repository: String,
        /// The registry's own words, as `: …`, or empty.
        detail: String,
    },
    /// The registry answered with an unexpected HTTP status.
    #[error("{}", http_message(.registry, .request, *.status, .message))]
    Http {
        /// `host[:port]`.
        registry: String,
        /// `GET /v2/…` (never with credentials or tokens).
        request: String,
        /// The HTTP status code.
        status: u16,
        /// The registry's `errors[].message` (and codes), or empty.
        message: String,
    },
    /// The request did not get an HTTP answer: DNS, connection, TLS, timeout.
    #[error("registry {registry}: {request}: {message}{}", transport_hint(.message))]
    Transport {
        /// `host[:port]`.
        registry: String,
        /// `GET /v2/…`.
        request: String,
        /// What went wrong.
        message: String,
    },
    /// The registry's answer is not what the distribution spec says it should be.
    #[error("registry {registry}: {request}: unexpected answer: {reason}")]
    Protocol {
        /// `host[:port]`.
        registry: String,
        /// `GET /v2/…`.
        request: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// Downloaded or stored bytes do not hash to the digest that names them.
    #[error(
        "{what} does not match its digest: expected {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes)\n  hint: the registry's copy is corrupt or was changed; push the bundle again"
    )]
    DigestMismatch {
        /// `manifest`, `layer daa.tar.gz`, …
        what: String,
        /// The digest the content should have.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
        /// The size the content should have.
        expected_size: u64,
        /// The size of the bytes received.
        actual_size: u64,
    },
    /// The manifest is valid JSON but not a daactl bundle.
    #[error(
        "{reference} is not a daactl bundle: {reason}\n  hint: pull a reference that `daactl push` wrote"
    )]
    NotDaactl {
        /// The reference, as written.
        reference: String,
        /// Which expectation failed.
        reason: String,
    },
    /// A manifest or blob is larger than daactl will download.
    #[error(
        "{what} is {size} bytes, more than the limit of {limit} bytes\n  hint: bundles are small; check that the reference names a daactl bundle"
    )]
    TooLarge {
        /// `manifest`, `layer daa.tar.gz`, …
        what: String,
        /// Its size (as announced, or at least this much as read).
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// The message of [`OciError::Http`], with a hint for the statuses that have one.
fn http_message(registry: &str, request: &str, status: u16, message: &str) -> String {
    let reason = ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut text = format!("registry {registry}: {request}: HTTP {status} {reason}");
    let text_len = text.trim_end().len();
    text.truncate(text_len);
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(message);
    }
    let hint = match status {
        401 => Some(
            "the registry wants credentials; set `DAACTL_REGISTRY_USERNAME` and `DAACTL_REGISTRY_PASSWORD` (a token with read access to pull, write access to push)",
        ),
        403 => Some(
            "the credentials lack access to this repository; check `DAACTL_REGISTRY_USERNAME` and the token's scopes",
        ),
        429 => Some("the registry limits the request rate; wait and try again"),
        500..=599 => Some("the registry failed; try again later"),
        _ => None,
    };
    if let Some(hint) = hint {
        text.push_str("\n  hint: ");
        text.push_str(hint);
    }
    text
}

/// A hint for transport failures that have a usual cause.
fn transport_hint(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("timeout") || lower.contains("timed out") {
        "\n  hint: the registry did not answer in time; check the host and try again"
    } else if lower.contains("refused") {
        "\n  hint: nothing listens there; check the host and port"
    } else if lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake")
    {
        "\n  hint: HTTPS failed; a registry that only speaks plain HTTP needs `--plain-http`"
    } else {
        ""
    }
}

/// A file name made safe to show: control characters escaped.
pub(crate) fn shown(name: &str) -> String {
    struct Escaped<'a>(&'a str);
    impl fmt::Display for Escaped<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for c in self.0.chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            Ok(())
        }
    }
    Escaped(name).to_string()
}
