//! `oci://host[:port]/path/to/repo:tag` and `oci://host[:port]/path/to/repo@sha256:…`
//! references, validated with the grammar of the OCI distribution spec so that a bad name
//! fails here, with a message, rather than as a registry's 400.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::LazyLock;

use regex_lite::Regex;

use super::error::{ReferenceError, ReferenceErrorKind};

/// One repository path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` (distribution spec,
/// "Pulling manifests").
static COMPONENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$").expect("the component grammar compiles")
});

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$").expect("the tag grammar compiles")
});

/// The longest repository name registries accept (distribution's `NameTotalLengthMax`).
const NAME_MAX: usize = 255;

/// What a reference points at in its repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A tag such as `1.4.0`.
    Tag(String),
    /// A manifest digest, `sha256:` and 64 lowercase hex digits.
    Digest(String),
}

/// A parsed `oci://` reference.
///
/// ```
/// use daactl::oci::Reference;
///
/// let reference: Reference = "oci://127.0.0.1:5000/daa/production:1.4.0".parse().unwrap();
/// assert_eq!(reference.registry(), "127.0.0.1:5000");
/// assert_eq!(reference.repository(), "daa/production");
/// assert_eq!(reference.tag(), Some("1.4.0"));
/// assert!(reference.is_loopback());
/// assert_eq!(reference.to_string(), "oci://127.0.0.1:5000/daa/production:1.4.0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    host: String,
    repository: String,
    target: Target,
}

impl Reference {
    /// Parses `oci://host[:port]/path/to/repo:tag` or `…/repo@sha256:<64 hex>`.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        let fail = |kind| ReferenceError {
            input: input.to_owned(),
            kind,
        };
        let rest = input
            .strip_prefix("oci://")
            .ok_or_else(|| fail(ReferenceErrorKind::Scheme))?;
        let (registry, path) = rest
            .split_once('/')
            .filter(|(_, path)| !path.is_empty())
            .ok_or_else(|| fail(ReferenceErrorKind::NoRepository))?;
        let host = parse_registry(registry).map_err(fail)?;

        let (name, target) = match path.split_once('@') {
            Some((name, digest)) => {
                if name.contains(':') {
                    return Err(fail(ReferenceErrorKind::TagAndDigest));
                }
                if !is_digest(digest) {
                    return Err(fail(ReferenceErrorKind::Digest(digest.to_owned())));
                }
                (name, Target::Digest(digest.to_owned()))
            }
            None => match path.split_once(':') {
                Some((name, tag)) => {
                    if !TAG.is_match(tag) {
                        return Err(fail(ReferenceErrorKind::Tag(tag.to_owned())));
                    }
                    (name, Target::Tag(tag.to_owned()))
                }
                None => {
                    validate_name(path).map_err(fail)?;
                    return Err(fail(ReferenceErrorKind::NoTarget));
                }
            },
        };
        validate_name(name).map_err(fail)?;
        Ok(Reference {
            registry: registry.to_owned(),
            host,
            repository: name.to_owned(),
            target,
        })
    }

    /// `host[:port]` as written, brackets of an IPv6 address included.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path, such as `daa/production`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag or digest.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The tag, when the reference names one.
    pub fn tag(&self) -> Option<&str> {
        match &self.target {
            Target::Tag(tag) => Some(tag),
            Target::Digest(_) => None,
        }
    }

    /// The digest, when the reference names one.
    pub fn digest(&self) -> Option<&str> {
        match &self.target {
            Target::Tag(_) => None,
            Target::Digest(digest) => Some(digest),
        }
    }

    /// `host[:port]/repository`, as messages name a repository.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The tag or digest as it goes in a `/manifests/` URL.
    pub(crate) fn target_str(&self) -> &str {
        match &self.target {
            Target::Tag(s) | Target::Digest(s) => s,
        }
    }

    /// Whether the host is the local machine (`localhost`, `127.0.0.0/8`, `[::1]`), which
    /// daactl talks to over plain HTTP: a registry there is a developer's or a test's.
    pub fn is_loopback(&self) -> bool {
        if self.host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        match &self.target {
            Target::Tag(tag) => write!(f, ":{tag}"),
            Target::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

/// Whether `s` is `sha256:` and 64 lowercase hex digits, the only digests daactl makes and
/// accepts.
pub(crate) fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Checks `host[:port]` and returns the host.
fn parse_registry(registry: &str) -> Result<String, ReferenceErrorKind> {
    let bad_host = || ReferenceErrorKind::Host(registry.to_owned());
    let (host, port) = if let Some(inner) = registry.strip_prefix('[') {
        let (address, after) = inner.split_once(']').ok_or_else(bad_host)?;
        address.parse::<Ipv6Addr>().map_err(|_| bad_host())?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(bad_host)?),
        };
        (&registry[..address.len() + 2], port)
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        }
    };
    if !host.starts_with('[') && !is_host_name(host) {
        return Err(bad_host());
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !valid {
            return Err(ReferenceErrorKind::Port(port.to_owned()));
        }
    }
    Ok(host.to_owned())
}

/// A DNS name or IPv4 address: dot-separated labels of letters, digits and inner dashes.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Checks a repository name against the spec's grammar, component by component.
fn validate_name(name: &str) -> Result<(), ReferenceErrorKind> {
    if let Some(component) = name.split('/').find(|c| !COMPONENT.is_match(c)) {
        return Err(ReferenceErrorKind::Component {
            component: component.to_owned(),
        });
    }
    if name.len() > NAME_MAX {
        return Err(ReferenceErrorKind::NameTooLong(name.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn parses_and_displays_good_references() {
        let cases = [
            (
                "oci://127.0.0.1:5000/daa/production:1.4.0",
                "127.0.0.1:5000",
                "daa/production",
                Target::Tag("1.4.0".into()),
                true,
            ),
            (
                "oci://ghcr.io/acme-corp/daa:v1",
                "ghcr.io",
                "acme-corp/daa",
                Target::Tag("v1".into()),
                false,
            ),
            (
                "oci://localhost/a/b/c:_x",
                "localhost",
                "a/b/c",
                Target::Tag("_x".into()),
                true,
            ),
            (
                "oci://[::1]:5000/daa:latest",
                "[::1]:5000",
                "daa",
                Target::Tag("latest".into()),
                true,
            ),
            (
                "oci://[2001:db8::1]/daa:1",
                "[2001:db8::1]",
                "daa",
                Target::Tag("1".into()),
                false,
            ),
            (
                "oci://registry.example.com:443/a.b/c__d/e---f/g_h:1.0-RC.1",
                "registry.example.com:443",
                "a.b/c__d/e---f/g_h",
                Target::Tag("1.0-RC.1".into()),
                false,
            ),
            (
                &format!("oci://127.0.0.1:5000/daa/production@{DIGEST}"),
                "127.0.0.1:5000",
                "daa/production",
                Target::Digest(DIGEST.into()),
                true,
            ),
        ];
        for (input, registry, repository, target, loopback) in cases {
            let reference = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(reference.registry(), registry, "{input}");
            assert_eq!(reference.repository(), repository, "{input}");
            assert_eq!(reference.target(), &target, "{input}");
            assert_eq!(reference.is_loopback(), loopback, "{input}");
            assert_eq!(reference.to_string(), input, "{input}");
        }
    }

    #[test]
    fn the_longest_tag_is_accepted() {
        let tag = "a".repeat(128);
        let reference = Reference::parse(&format!("oci://h/r:{tag}")).unwrap();
        assert_eq!(reference.tag(), Some(tag.as_str()));
    }

    #[test]
    fn rejects_bad_references_with_a_reason() {
        let long_tag = format!("oci://h/r:{}", "a".repeat(129));
        let long_name = format!("oci://h/{}:1", ["abcdefghij"; 26].join("/"));
        let cases: &[(&str, &str)] = &[
            ("ghcr.io/daa:1", "it must start with `oci://`"),
            ("https://ghcr.io/daa:1", "it must start with `oci://`"),
            ("oci://ghcr.io", "no repository after the registry host"),
            ("oci://ghcr.io/", "no repository after the registry host"),
            (
                "oci:///daa:1",
                "`` is not a registry host (a DNS name, an IPv4 address or `[IPv6]`)",
            ),
            (
                "oci://gh_cr.io/daa:1",
                "`gh_cr.io` is not a registry host (a DNS name, an IPv4 address or `[IPv6]`)",
            ),
            (
                "oci://[::1/daa:1",
                "`[::1` is not a registry host (a DNS name, an IPv4 address or `[IPv6]`)",
            ),
            (
                "oci://[zz]:1/daa:1",
                "`[zz]:1` is not a registry host (a DNS name, an IPv4 address or `[IPv6]`)",
            ),
            (
                "oci://host:99999/daa:1",
                "`99999` is not a port number from 1 to 65535",
            ),
            (
                "oci://host:/daa:1",
                "`` is not a port number from 1 to 65535",
            ),
            (
                "oci://host:0/daa:1",
                "`0` is not a port number from 1 to 65535",
            ),
            (
                "oci://ghcr.io/daa",
                "no tag or digest: add `:TAG` or `@sha256:DIGEST` after the repository",
            ),
            (
                "oci://ghcr.io/Acme/daa:1",
                "repository component `Acme` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator (uppercase letters are not allowed)",
            ),
            (
                "oci://ghcr.io/acme//daa:1",
                "repository component `` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator",
            ),
            (
                "oci://ghcr.io/a___b:1",
                "repository component `a___b` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator",
            ),
            (
                "oci://ghcr.io/-daa:1",
                "repository component `-daa` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator",
            ),
            (
                "oci://ghcr.io/daa/:1",
                "repository component `` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator",
            ),
            (
                "oci://ghcr.io/../daa:1",
                "repository component `..` is invalid: components are lowercase letters and digits, separated inside by `.`, `_`, `__` or dashes, and neither start nor end with a separator",
            ),
            (
                long_name.as_str(),
                "the repository name is 285 characters long; at most 255 are allowed",
            ),
            (
                "oci://ghcr.io/daa:",
                "tag `` is invalid: a tag is 1 to 128 letters, digits, `_`, `.` or `-`, and does not start with `.` or `-`",
            ),
            (
                "oci://ghcr.io/daa:-1",
                "tag `-1` is invalid: a tag is 1 to 128 letters, digits, `_`, `.` or `-`, and does not start with `.` or `-`",
            ),
            (
                "oci://ghcr.io/daa:1+build",
                "tag `1+build` is invalid: a tag is 1 to 128 letters, digits, `_`, `.` or `-`, and does not start with `.` or `-`",
            ),
            (
                long_tag.as_str(),
                &format!(
                    "tag `{}` is invalid: a tag is 1 to 128 letters, digits, `_`, `.` or `-`, and does not start with `.` or `-`",
                    "a".repeat(129)
                ),
            ),
            (
                "oci://ghcr.io/daa@sha256:abc",
                "digest `sha256:abc` is invalid: daactl accepts `sha256:` and 64 lowercase hex digits",
            ),
            (
                &format!("oci://ghcr.io/daa@{}", DIGEST.to_uppercase()),
                &format!(
                    "digest `{}` is invalid: daactl accepts `sha256:` and 64 lowercase hex digits",
                    DIGEST.to_uppercase()
                ),
            ),
            (
                &format!("oci://ghcr.io/daa:1@{DIGEST}"),
                "give a tag or a digest, not both",
            ),
        ];
        for (input, reason) in cases {
            let error = Reference::parse(input).expect_err(input);
            assert_eq!(error.input, *input);
            assert_eq!(error.kind.to_string(), *reason, "{input}");
            assert_eq!(
                error.to_string(),
                format!(
                    "invalid OCI reference `{input}`: {reason}\n  hint: write it like `oci://127.0.0.1:5000/daa/production:1.4.0` or `oci://ghcr.io/org/daa@sha256:<64 hex digits>`"
                )
            );
        }
    }

    #[test]
    fn digests_are_sha256_with_64_lowercase_hex_digits() {
        assert!(is_digest(DIGEST));
        assert!(!is_digest(&DIGEST[..70]));
        assert!(!is_digest(&DIGEST.replace("sha256", "sha512")));
        assert!(!is_digest(&DIGEST.replace('a', "A")));
        assert!(!is_digest("sha256:../../../etc/passwd"));
    }
}
