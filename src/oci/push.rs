//! `push`: refuse an existing tag unless forced, upload the blobs the registry lacks
//! (monolithic POST-then-PUT uploads), then put the manifest by tag.

use ureq::http::Method;

use super::client::{Connection, Payload, Session, header, read_limited};
use super::error::OciError;
use super::manifest::{self, CONFIG_BLOB};
use super::{ACCEPT_MANIFESTS, Artifact, LayerDigests, MANIFEST_MEDIA_TYPE, PushOptions, Pushed};
use super::{MAX_MANIFEST_SIZE, Reference};

/// Pushes `artifact` to `reference`'s tag.
///
/// Before uploading anything it checks the tag: if it exists and `options.force` is not set,
/// it fails with [`OciError::TagExists`]. It then uploads each blob the registry does not
/// have, puts the manifest by tag, and checks the registry's `Docker-Content-Digest`
/// against the digest computed locally.
pub fn push(
    reference: &Reference,
    artifact: &Artifact,
    options: &PushOptions,
) -> Result<Pushed, OciError> {
    let Some(tag) = reference.tag() else {
        return Err(OciError::PushNeedsTag {
            reference: reference.to_string(),
        });
    };
    let (manifest, manifest_bytes) = manifest::build(artifact)?;
    let manifest_digest = manifest::digest(&manifest_bytes);
    let mut session = Session::new(
        reference,
        Connection {
            plain_http: options.plain_http,
            credentials: options.credentials.as_ref(),
            timeout: options.timeout,
            actions: "pull,push",
        },
    );

    let replaced = existing_manifest(&mut session)?;
    if let (Some(digest), false) = (&replaced, options.force) {
        return Err(OciError::TagExists {
            tag: tag.to_owned(),
            repository: reference.name(),
            digest: digest.clone(),
        });
    }

    let blobs = [
        (&manifest.config.digest, CONFIG_BLOB),
        (&manifest.layers[0].digest, artifact.bundle.as_slice()),
        (&manifest.layers[1].digest, artifact.signature.as_slice()),
        (&manifest.layers[2].digest, artifact.provenance.as_slice()),
    ];
    let mut uploaded = 0;
    for (i, (digest, bytes)) in blobs.iter().enumerate() {
        // Two equal files are one blob.
        if blobs[..i].iter().any(|(d, _)| d == digest) {
            continue;
        }
        if upload_blob(&mut session, digest, bytes)? {
            uploaded += 1;
        }
    }

    put_manifest(&mut session, tag, &manifest_bytes, &manifest_digest)?;
    Ok(Pushed {
        manifest_digest,
        layers: LayerDigests {
            bundle: manifest.layers[0].digest.clone(),
            signature: manifest.layers[1].digest.clone(),
            provenance: manifest.layers[2].digest.clone(),
        },
        uploaded,
        replaced,
    })
}

/// The digest of the manifest the reference's tag points at, or `None` when there is none.
fn existing_manifest(session: &mut Session<'_>) -> Result<Option<String>, OciError> {
    let url = session.url(&format!("manifests/{}", session.reference().target_str()));
    let request = session.describe(&Method::HEAD, &url);
    let mut response = session.send(Method::HEAD, &url, Some(ACCEPT_MANIFESTS), Payload::None)?;
    match response.status().as_u16() {
        200 => {}
        404 => return Ok(None),
        _ => return Err(session.status_error(&request, &mut response)),
    }
    if let Some(digest) = header(response.headers(), "docker-content-digest")
        && super::reference::is_digest(digest)
    {
        return Ok(Some(digest.to_owned()));
    }
    // The header is optional in the spec: hash the manifest itself.
    let request = session.describe(&Method::GET, &url);
    let mut response = session.send(Method::GET, &url, Some(ACCEPT_MANIFESTS), Payload::None)?;
    if response.status() != 200 {
        return Err(session.status_error(&request, &mut response));
    }
    let bytes = read_limited(&mut response, MAX_MANIFEST_SIZE)
        .map_err(|e| session.protocol(&request, format!("reading the manifest: {e}")))?;
    Ok(Some(manifest::digest(&bytes)))
}

/// Uploads one blob unless the registry has it; returns whether it uploaded.
fn upload_blob(session: &mut Session<'_>, digest: &str, bytes: &[u8]) -> Result<bool, OciError> {
    let url = session.url(&format!("blobs/{digest}"));
    let request = session.describe(&Method::HEAD, &url);
    let mut response = session.send(Method::HEAD, &url, None, Payload::None)?;
    match response.status().as_u16() {
        200 => return Ok(false),
        404 => {}
        _ => return Err(session.status_error(&request, &mut response)),
    }

    let url = session.url("blobs/uploads/");
    let request = session.describe(&Method::POST, &url);
    let mut response = session.send(
        Method::POST,
        &url,
        None,
        Payload::Bytes(&[], "application/octet-stream"),
    )?;
    if response.status() != 202 {
        return Err(session.status_error(&request, &mut response));
    }
    let location = header(response.headers(), "location")
        .filter(|l| !l.is_empty())
        .ok_or_else(|| session.protocol(&request, "the 202 answer has no `Location` header"))?;
    let mut url = session.resolve(location);
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str("digest=");
    url.push_str(&digest.replace(':', "%3A"));

    let request = session.describe(&Method::PUT, &url);
    let mut response = session.send(
        Method::PUT,
        &url,
        None,
        Payload::Bytes(bytes, "application/octet-stream"),
    )?;
    if response.status() != 201 {
        return Err(session.status_error(&request, &mut response));
    }
    check_digest_header(&response, "blob", digest, bytes.len())?;
    Ok(true)
}

/// Puts the manifest by tag.
fn put_manifest(
    session: &mut Session<'_>,
    tag: &str,
    bytes: &[u8],
    digest: &str,
) -> Result<(), OciError> {
    let url = session.url(&format!("manifests/{tag}"));
    let request = session.describe(&Method::PUT, &url);
    let mut response = session.send(
        Method::PUT,
        &url,
        None,
        Payload::Bytes(bytes, MANIFEST_MEDIA_TYPE),
    )?;
    if response.status() != 201 {
        return Err(session.status_error(&request, &mut response));
    }
    check_digest_header(&response, "manifest", digest, bytes.len())
}

/// Compares the registry's `Docker-Content-Digest`, when it sends one, with ours.
fn check_digest_header(
    response: &ureq::http::Response<ureq::Body>,
    what: &str,
    digest: &str,
    size: usize,
) -> Result<(), OciError> {
    match header(response.headers(), "docker-content-digest") {
        Some(theirs) if theirs != digest => Err(OciError::DigestMismatch {
            what: format!("the pushed {what}, as the registry stored it,"),
            expected: digest.to_owned(),
            actual: super::error::shown(theirs),
            expected_size: size as u64,
            actual_size: size as u64,
        }),
        _ => Ok(()),
    }
}
