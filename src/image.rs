//! Container image references, split as Kustomize's `images` transformer splits them. The
//! Kustomize overlays and the parity judgement (a release may change a tag or digest, never
//! the repository) both read them.

/// An image reference split as Kustomize splits it: `repository[:tag][@sha256:digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    /// `ghcr.io/org/api`.
    pub repository: &'a str,
    /// `1.4.0`.
    pub tag: Option<&'a str>,
    /// `sha256:...`.
    pub digest: Option<&'a str>,
}

/// The characters Kustomize accepts in a tag and after `sha256:` (`api/image/image.go`).
pub fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-')
}

/// Splits `image` when the transformer can rebuild it: a repository without regular
/// expression syntax other than `.` (Kustomize matches entries as a regular expression), an
/// optional tag and an optional `sha256` digest.
pub fn parse(image: &str) -> Option<Reference<'_>> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => {
            let hex = digest.strip_prefix("sha256:")?;
            if hex.is_empty() || !hex.chars().all(is_tag_char) {
                return None;
            }
            (rest, Some(digest))
        }
        None => (image, None),
    };
    let name_start = rest.rfind('/').map_or(0, |slash| slash + 1);
    let (repository, tag) = match rest[name_start..].rfind(':') {
        Some(colon) => {
            let (repository, tag) = rest.split_at(name_start + colon);
            let tag = &tag[1..];
            if tag.is_empty() || !tag.chars().all(is_tag_char) {
                return None;
            }
            (repository, Some(tag))
        }
        None => (rest, None),
    };
    let plain = |c: char| !"\\+*?()|[]{}^$".contains(c) && !c.is_whitespace();
    (!repository.is_empty() && repository.chars().all(plain)).then_some(Reference {
        repository,
        tag,
        digest,
    })
}
