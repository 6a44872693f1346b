//! Verifying a bundle: its signature, then its provenance, then its contents against its
//! manifest. Nothing is written; the verified files come back in memory.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::archive::{self, ArchiveError, Entry, Limits};
use super::keys::PublicKey;
use super::manifest::{MANIFEST_FILE, Manifest};
use super::provenance::{self, ProvenanceError};

/// The largest signature file read: a base64 DER P-256 signature is under 100 bytes.
pub const MAX_SIGNATURE_FILE: u64 = 4 * 1024;
/// The largest provenance file read: daactl's is a few kilobytes per hundred inputs.
pub const MAX_PROVENANCE_FILE: u64 = 4 * 1024 * 1024;
/// How much larger than its inflated limit a gzip file may be (stored blocks add a few bytes
/// per 64 KiB).
const GZIP_OVERHEAD: u64 = 1024 * 1024;

/// The most bytes of the bundle file worth reading under `limits`: anything longer inflates
/// past [`Limits::max_content`].
pub fn max_bundle_file(limits: &Limits) -> u64 {
    limits.max_content.saturating_add(GZIP_OVERHEAD)
}

/// A bundle that verified.
#[derive(Debug)]
pub struct Verified {
    /// Its SHA-256, hex.
    pub digest: String,
    /// The file name it was signed under (the provenance's subject).
    pub signed_name: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// The manifest as stored.
    pub manifest_bytes: Vec<u8>,
    /// Every file the manifest lists, in path order.
    pub files: Vec<Entry>,
}

/// Why a bundle is not trusted. Each is exit 1 of `daactl verify`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A file larger than anything daactl writes; reading stops there.
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// Which file.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A bundle of another environment than the one asked for.
    #[error("the bundle is of environment `{found}`, not `{expected}`")]
    Environment {
        /// The environment asked for.
        expected: String,
        /// The bundle's.
        found: String,
    },
    /// The signature file is not base64 of a DER signature.
    #[error("the signature file is not a base64 ECDSA signature")]
    SignatureFormat,
    /// The signature does not verify.
    #[error(
        "the signature does not match: the bundle was changed after signing, or was signed with another key"
    )]
    Signature,
    /// The provenance is missing a valid statement about this bundle.
    #[error("provenance: {0}")]
    Provenance(#[from] ProvenanceError),
    /// The archive is unsafe or damaged.
    #[error("archive: {0}")]
    Archive(#[from] ArchiveError),
    /// No readable manifest.
    #[error("{MANIFEST_FILE}: {0}")]
    Manifest(String),
    /// Files disagree with the manifest.
    #[error("the files disagree with {MANIFEST_FILE}:\n{}", .0.join("\n"))]
    Files(Vec<String>),
}

impl Verified {
    /// Refuses a bundle of another environment: a validly signed development bundle renamed
    /// `daa-production.tar.gz` is still not a production release.
    pub fn expect_environment(&self, environment: &str) -> Result<(), Rejection> {
        if self.manifest.environment == environment {
            Ok(())
        } else {
            Err(Rejection::Environment {
                expected: environment.to_owned(),
                found: self.manifest.environment.clone(),
            })
        }
    }
}

/// Refuses a bundle, signature or provenance larger than anything daactl writes.
pub fn check_sizes(
    bundle: &[u8],
    signature: &[u8],
    provenance: &[u8],
    limits: &Limits,
) -> Result<(), Rejection> {
    let too_large = |what, bytes: &[u8], limit: u64| {
        (bytes.len() as u64 > limit).then_some(Rejection::TooLarge { what, limit })
    };
    match too_large("the bundle", bundle, max_bundle_file(limits))
        .or_else(|| too_large("the signature", signature, MAX_SIGNATURE_FILE))
        .or_else(|| too_large("the provenance", provenance, MAX_PROVENANCE_FILE))
    {
        Some(rejection) => Err(rejection),
        None => Ok(()),
    }
}

/// Verifies a bundle's bytes with the contents of its signature and provenance files.
pub fn verify(
    bundle: &[u8],
    signature: impl AsRef<[u8]>,
    provenance: impl AsRef<[u8]>,
    key: &PublicKey,
    limits: &Limits,
) -> Result<Verified, Rejection> {
    let (signature, provenance) = (signature.as_ref(), provenance.as_ref());
    check_sizes(bundle, signature, provenance, limits)?;
    // Authenticate before parsing anything inside the archive.
    let signature = STANDARD
        .decode(signature.trim_ascii())
        .map_err(|_| Rejection::SignatureFormat)?;
    if !key.verifies(bundle, &signature) {
        return Err(Rejection::Signature);
    }
    let digest = super::sha256_hex(bundle);
    let mut entries = archive::read(bundle, limits)?;
    let position = entries
        .iter()
        .position(|e| e.path == MANIFEST_FILE)
        .ok_or_else(|| Rejection::Manifest("missing".to_owned()))?;
    let manifest_bytes = entries.remove(position).data;
    let manifest = Manifest::from_bytes(&manifest_bytes).map_err(Rejection::Manifest)?;
    let signed_name = provenance::check(provenance, key, &digest, &manifest)?;
    let files = check_files(entries, &manifest)?;
    Ok(Verified {
        digest,
        signed_name,
        manifest,
        manifest_bytes,
        files,
    })
}

/// Every entry must be listed with its size and digest, and every listed file present.
fn check_files(entries: Vec<Entry>, manifest: &Manifest) -> Result<Vec<Entry>, Rejection> {
    let mut listed: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &manifest.files {
        if listed
            .insert(&file.path, (&file.sha256, file.size))
            .is_some()
        {
            problems.push(format!("  {}: listed twice", file.path));
        }
    }
    let mut files = Vec::with_capacity(entries.len());
    for entry in entries {
        match listed.remove(entry.path.as_str()) {
            None => problems.push(format!("  {}: not in the manifest", entry.path)),
            Some((sha256, size)) => {
                if entry.data.len() as u64 != size || super::sha256_hex(&entry.data) != sha256 {
                    problems.push(format!(
                        "  {}: changed (the manifest says {size} bytes, sha256 {sha256})",
                        entry.path
                    ));
                } else {
                    files.push(entry);
                }
            }
        }
    }
    problems.extend(
        listed
            .keys()
            .map(|path| format!("  {path}: listed in the manifest but missing")),
    );
    if problems.is_empty() {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    } else {
        Err(Rejection::Files(problems))
    }
}
