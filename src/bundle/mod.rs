//! Signed, byte-reproducible release bundles of one environment (ADR 0016, docs/bundles.md).
//!
//! A bundle is a gzip'd tar of one environment's rendered artifacts, laid out as under
//! `rendered/` (`<env>/`, `kustomize/base/`, `kustomize/overlays/<env>/`, `helm/daa/` with
//! that environment's values file, `terraform/<env>/`) in path order, then
//! [`manifest::MANIFEST_FILE`] as the last entry (it holds the validation result, so the files
//! can be compressed while validation runs).
//! Beside it go `<bundle>.sig` (base64 DER ECDSA P-256 over the bundle's SHA-256, as cosign's
//! key-based `sign-blob` writes) and `<bundle>.intoto.jsonl` (SLSA provenance in a DSSE
//! envelope signed with the same key).
//!
//! - [`contents`]: which rendered files an environment's bundle holds;
//! - [`archive`]: the deterministic tar.gz, and its defensive reader;
//! - [`manifest`]: the table of contents;
//! - [`keys`]: key generation, PEM, signing;
//! - [`provenance`]: the in-toto Statement and its DSSE envelope;
//! - [`verify`]: signature, provenance and contents checked together.

pub mod archive;
pub mod contents;
pub mod keys;
pub mod manifest;
pub mod provenance;
pub mod verify;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use archive::ArchiveError;
use keys::PrivateKey;
use manifest::{FileDigest, Inputs, MANIFEST_FILE, MANIFEST_SCHEMA, Manifest, ValidationSummary};

/// The signature file's suffix, after the bundle's name.
pub const SIGNATURE_SUFFIX: &str = ".sig";
/// The provenance file's suffix, after the bundle's name.
pub const PROVENANCE_SUFFIX: &str = ".intoto.jsonl";

/// The modification time of every entry when `SOURCE_DATE_EPOCH` is not set: 1980-01-01,
/// the earliest time every archive format (zip included) can hold.
pub const DEFAULT_EPOCH: u64 = 315_532_800;

/// What a bundle is made of, apart from its files.
#[derive(Debug, Clone)]
pub struct Description {
    /// The environment.
    pub environment: String,
    /// The project's git commit, if any.
    pub source_commit: Option<String>,
    /// What the files were rendered from.
    pub inputs: Inputs,
    /// How validation went.
    pub validation: ValidationSummary,
    /// Every entry's modification time.
    pub mtime: u64,
}

/// A built, unsigned bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The `.tar.gz` bytes.
    pub archive: Vec<u8>,
    /// Its SHA-256, hex.
    pub digest: String,
    /// Its manifest.
    pub manifest: Manifest,
}

/// The two files that sign a bundle.
#[derive(Debug, Clone)]
pub struct Signatures {
    /// `<bundle>.sig`: base64 of the DER signature, no line break (as cosign writes it).
    pub signature: String,
    /// `<bundle>.intoto.jsonl`: one DSSE envelope and a line break.
    pub provenance: String,
}

/// A bundle's files, archived and compressed, waiting for the manifest that ends it.
pub struct Packed {
    writer: archive::Writer,
    files: Vec<FileDigest>,
}

/// Archives `files` (bundle path to bytes) in path order, every entry with the modification
/// time `mtime`. This is most of a bundle's cost, and needs no validation result, so a caller
/// can run it while validating.
pub fn pack(files: &BTreeMap<String, Vec<u8>>, mtime: u64) -> Result<Packed, ArchiveError> {
    let mut writer = archive::Writer::new(mtime);
    let mut digests = Vec::with_capacity(files.len());
    for (path, data) in files {
        writer.append(path, data)?;
        digests.push(FileDigest {
            path: path.clone(),
            sha256: sha256_hex(data),
            size: data.len() as u64,
        });
    }
    Ok(Packed {
        writer,
        files: digests,
    })
}

/// Ends a packed bundle with its manifest, the last entry. `description.mtime` must be the
/// time `files` were packed with.
pub fn finish(packed: Packed, description: Description) -> Result<Bundle, ArchiveError> {
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.to_owned(),
        environment: description.environment,
        daactl_version: env!("CARGO_PKG_VERSION").to_owned(),
        source_commit: description.source_commit,
        inputs: description.inputs,
        validation: description.validation,
        files: packed.files,
    };
    let mut writer = packed.writer;
    writer.append(MANIFEST_FILE, &manifest.to_bytes())?;
    let archive = writer.finish()?;
    Ok(Bundle {
        digest: sha256_hex(&archive),
        archive,
        manifest,
    })
}

/// Builds a bundle of `files` (bundle path to bytes): [`pack`] then [`finish`].
pub fn build(
    description: Description,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Bundle, ArchiveError> {
    finish(pack(files, description.mtime)?, description)
}

/// Signs a bundle that will be named `name` (the provenance's subject).
pub fn sign(bundle: &Bundle, name: &str, key: &PrivateKey) -> Signatures {
    let statement = provenance::statement(name, &bundle.digest, &bundle.manifest);
    Signatures {
        signature: STANDARD.encode(key.sign(&bundle.archive)),
        provenance: provenance::envelope_line(&statement, key),
    }
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
