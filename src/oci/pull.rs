//! `pull`: fetch the manifest, refuse anything but a daactl bundle, then download the three
//! layers within their announced sizes and check every byte against its digest.

use std::io::Read as _;

use sha2::{Digest as _, Sha256};
use ureq::http::Method;

use super::client::{Connection, Payload, Session, header};
use super::error::{OciError, shown};
use super::manifest::{self, Descriptor};
use super::{ACCEPT_MANIFESTS, LayerDigests, MAX_MANIFEST_SIZE, PullOptions, Pulled, Reference};

/// Pulls the bundle at `reference` (a tag or a digest).
///
/// The manifest must be an OCI image manifest with Flux's config media type and exactly
/// the three daactl layers, the bundle first ([`OciError::NotDaactl`] otherwise). A layer
/// whose descriptor is larger than `options.max_blob_size` is refused before downloading
/// ([`OciError::TooLarge`]); each layer must match its descriptor's size and digest, and a
/// manifest pulled by digest must match that digest ([`OciError::DigestMismatch`]).
pub fn pull(reference: &Reference, options: &PullOptions) -> Result<Pulled, OciError> {
    let mut session = Session::new(
        reference,
        Connection {
            plain_http: options.plain_http,
            credentials: options.credentials.as_ref(),
            timeout: options.timeout,
            actions: "pull",
        },
    );

    let url = session.url(&format!("manifests/{}", reference.target_str()));
    let request = session.describe(&Method::GET, &url);
    let mut response = session.send(Method::GET, &url, Some(ACCEPT_MANIFESTS), Payload::None)?;
    match response.status().as_u16() {
        200 => {}
        404 => {
            let detail = super::client::error_messages(&mut response);
            return Err(OciError::NotFound {
                target: match reference.target() {
                    super::Target::Tag(tag) => format!("tag {tag}"),
                    super::Target::Digest(digest) => format!("digest {digest}"),
                },
                repository: reference.name(),
                detail: if detail.is_empty() {
                    String::new()
                } else {
                    format!(" (the registry says: {detail})")
                },
            });
        }
        _ => return Err(session.status_error(&request, &mut response)),
    }
    let content_type = header(response.headers(), "content-type").map(str::to_owned);
    let announced = header(response.headers(), "docker-content-digest").map(shown);
    let bytes = read_capped(&mut response, MAX_MANIFEST_SIZE)
        .map_err(|e| e.into_error(&session, &request))?;
    let manifest_digest = manifest::digest(&bytes);
    for expected in [reference.digest().map(str::to_owned), announced]
        .into_iter()
        .flatten()
    {
        if expected != manifest_digest {
            return Err(OciError::DigestMismatch {
                what: format!("the manifest of {reference}"),
                expected,
                actual: manifest_digest,
                expected_size: bytes.len() as u64,
                actual_size: bytes.len() as u64,
            });
        }
    }

    let manifest = manifest::parse_bundle(&bytes, content_type.as_deref()).map_err(|reason| {
        OciError::NotDaactl {
            reference: reference.to_string(),
            reason,
        }
    })?;
    let layers = manifest::layers(&manifest).map_err(|reason| OciError::NotDaactl {
        reference: reference.to_string(),
        reason,
    })?;
    let file_name = manifest::safe_file_name(layers.bundle.title());
    let parts = [
        (layers.bundle, file_name.clone()),
        (layers.signature, format!("{file_name}.sig")),
        (layers.provenance, format!("{file_name}.intoto.jsonl")),
    ];
    // Every size is checked before the first download.
    for (descriptor, name) in &parts {
        if descriptor.size > options.max_blob_size {
            return Err(OciError::TooLarge {
                what: format!("layer {name} ({})", descriptor.digest),
                size: descriptor.size,
                limit: options.max_blob_size,
            });
        }
    }
    let [bundle, signature, provenance] = &parts;
    let cap = options.max_blob_size;
    let bundle = fetch_blob(&mut session, bundle.0, &bundle.1, cap)?;
    let signature = fetch_blob(&mut session, signature.0, &signature.1, cap)?;
    let provenance = fetch_blob(&mut session, provenance.0, &provenance.1, cap)?;

    Ok(Pulled {
        manifest_digest,
        file_name,
        bundle,
        signature,
        provenance,
        layers: LayerDigests {
            bundle: layers.bundle.digest.clone(),
            signature: layers.signature.digest.clone(),
            provenance: layers.provenance.digest.clone(),
        },
        annotations: manifest.annotations.clone(),
    })
}

/// Downloads one blob and checks its size and digest. Reading stops past `cap` bytes.
fn fetch_blob(
    session: &mut Session<'_>,
    descriptor: &Descriptor,
    name: &str,
    cap: u64,
) -> Result<Vec<u8>, OciError> {
    let url = session.url(&format!("blobs/{}", descriptor.digest));
    let request = session.describe(&Method::GET, &url);
    let mut response = session.send(Method::GET, &url, None, Payload::None)?;
    if response.status() != 200 {
        return Err(session.status_error(&request, &mut response));
    }
    let what = format!("layer {name}");
    let (bytes, actual_size, actual) =
        read_hashed(&mut response, descriptor.size, cap).map_err(|e| match e {
            CappedError::TooLarge(size) => OciError::TooLarge {
                what: format!("{what} ({}) as served", descriptor.digest),
                size,
                limit: cap,
            },
            CappedError::Io(e) => session.protocol(&request, format!("reading {what}: {e}")),
        })?;
    if actual_size != descriptor.size || actual != descriptor.digest {
        return Err(OciError::DigestMismatch {
            what,
            expected: descriptor.digest.clone(),
            actual,
            expected_size: descriptor.size,
            actual_size,
        });
    }
    Ok(bytes)
}

/// Reads a blob, keeping its first `keep` bytes but hashing and counting all of it, so a
/// longer body is reported with its true size and digest without being held in memory; a
/// body longer than `cap` is [`CappedError::TooLarge`].
fn read_hashed(
    response: &mut ureq::http::Response<ureq::Body>,
    keep: u64,
    cap: u64,
) -> Result<(Vec<u8>, u64, String), CappedError> {
    let mut reader = response.body_mut().with_config().reader();
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(keep.min(16 * 1024 * 1024));
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = reader.read(&mut buffer).map_err(CappedError::Io)?;
        if n == 0 {
            break;
        }
        let chunk = &buffer[..n];
        hasher.update(chunk);
        total += n as u64;
        if total > cap {
            return Err(CappedError::TooLarge(total));
        }
        let room = keep.saturating_sub(bytes.len()).min(n);
        bytes.extend_from_slice(&chunk[..room]);
    }
    Ok((bytes, total, manifest::hex_digest(&hasher.finalize())))
}

/// Why a capped read stopped.
enum CappedError {
    /// The body is longer than the cap; this many bytes were read.
    TooLarge(u64),
    /// The connection failed.
    Io(std::io::Error),
}

impl CappedError {
    /// The error to report for `request`.
    fn into_error(self, session: &Session<'_>, request: &str) -> OciError {
        match self {
            CappedError::TooLarge(size) => OciError::TooLarge {
                what: "the manifest".to_owned(),
                size,
                limit: MAX_MANIFEST_SIZE,
            },
            CappedError::Io(e) => session.protocol(request, format!("reading the body: {e}")),
        }
    }
}

/// Reads the manifest body, of at most `limit` bytes.
fn read_capped(
    response: &mut ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<Vec<u8>, CappedError> {
    if let Some(length) = response.body().content_length()
        && length > limit
    {
        return Err(CappedError::TooLarge(length));
    }
    let mut bytes = Vec::new();
    response
        .body_mut()
        .with_config()
        .reader()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(CappedError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(CappedError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}
