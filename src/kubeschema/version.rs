//! Kubernetes versions as daactl names them: a minor version, `1.33`, also written `1.33.0`
//! or `v1.33.0`.

/// A Kubernetes `major.minor`, ordered.
pub(super) type Minor = (u32, u32);

/// Reads `1.33`, `1.33.0` or `v1.33.4` as `(1, 33)`; anything else is `None`.
pub(super) fn parse(version: &str) -> Option<Minor> {
    let version = version.strip_prefix('v').unwrap_or(version);
    let mut parts = version.split('.');
    let major = number(parts.next()?)?;
    let minor = number(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, None) => Some((major, minor)),
        (Some(patch), None) => number(patch).map(|_| (major, minor)),
        _ => None,
    }
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_minor_and_patch_versions() {
        assert_eq!(parse("1.33"), Some((1, 33)));
        assert_eq!(parse("1.33.0"), Some((1, 33)));
        assert_eq!(parse("v1.28.15"), Some((1, 28)));
        for bad in [
            "", "1", "1.", "1.33.", "1.33.0.1", "one.33", "1.33-rc", "1.+3", " 1.33",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
