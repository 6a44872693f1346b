//! Pushes signed release bundles to an OCI registry and pulls them back, as OCI artifacts
//! that Flux's `OCIRepository` can deploy.
//!
//! A bundle is three files: `NAME.tar.gz` (the release), `NAME.tar.gz.sig` (its base64
//! signature) and `NAME.tar.gz.intoto.jsonl` (its in-toto DSSE provenance envelope). This
//! module moves their bytes; reading, signing and verifying them is the `bundle` code's job,
//! and writing pulled files is the caller's.
//!
//! # The artifact
//!
//! It follows the conventions of Flux's `flux push artifact`, so an `OCIRepository` pointed
//! at the tag fetches the bundle with no extra settings:
//!
//! | part | media type | content |
//! |---|---|---|
//! | manifest | [`MANIFEST_MEDIA_TYPE`] (`schemaVersion` 2) | the three layers below, the caller's annotations |
//! | config | [`CONFIG_MEDIA_TYPE`] | `{}` |
//! | layer 1 | [`BUNDLE_MEDIA_TYPE`] | `NAME.tar.gz` |
//! | layer 2 | [`SIGNATURE_MEDIA_TYPE`] | `NAME.tar.gz.sig` |
//! | layer 3 | [`PROVENANCE_MEDIA_TYPE`] | `NAME.tar.gz.intoto.jsonl` |
//!
//! - The config media type is Flux's: Flux writes it and tools that list Flux artifacts
//!   recognise it. The content `{}` is what Flux writes too.
//! - The bundle is the first layer with Flux's content media type, because `OCIRepository`
//!   extracts the first layer unless its `layerSelector` names another media type (and a
//!   `layerSelector.mediaType` of [`BUNDLE_MEDIA_TYPE`] picks it explicitly).
//! - The signature and the provenance get daactl's own media types: they are not Flux
//!   content, and nothing but daactl should take them for a tarball. `+base64` and
//!   `.intoto+jsonl` say how their bytes read.
//! - Every layer carries `org.opencontainers.image.title` = its file name, as ORAS and Flux
//!   use it; `pull` names the bundle after it.
//! - The manifest carries only the caller's annotations; Flux shows
//!   `org.opencontainers.image.source`, `.revision` and `.created` as the artifact's origin.
//!
//! The manifest JSON is byte-deterministic (fixed key order, sorted maps, no clock), so the
//! same bundle and annotations always give the same manifest digest.
//!
//! # Transport
//!
//! Plain HTTP for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) and when the caller
//! asks ([`PushOptions::plain_http`]); HTTPS otherwise. Anonymous by default; with
//! [`Credentials`] (from `DAACTL_REGISTRY_USERNAME` / `DAACTL_REGISTRY_PASSWORD` through
//! [`Credentials::from_env`]) basic authentication, and for registries that answer with a
//! `Bearer` challenge (ghcr.io, Docker Hub) a token fetched from the challenge's realm.
//! Every phase of every request has a timeout.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use daactl::oci::{self, Artifact, Credentials, PullOptions, PushOptions, Reference};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let reference: Reference = "oci://127.0.0.1:5000/daa/production:1.4.0".parse()?;
//! let artifact = Artifact {
//!     file_name: "daa-production-1.4.0.tar.gz".into(),
//!     bundle: std::fs::read("daa-production-1.4.0.tar.gz")?,
//!     signature: std::fs::read("daa-production-1.4.0.tar.gz.sig")?,
//!     provenance: std::fs::read("daa-production-1.4.0.tar.gz.intoto.jsonl")?,
//!     annotations: BTreeMap::from([(
//!         "org.opencontainers.image.revision".into(),
//!         "main@sha1:0123abc".into(),
//!     )]),
//! };
//! let options = PushOptions { credentials: Credentials::from_env()?, ..PushOptions::default() };
//! let pushed = oci::push(&reference, &artifact, &options)?;
//! println!("{}", pushed.manifest_digest);
//!
//! let pulled = oci::pull(&reference, &PullOptions::default())?;
//! assert_eq!(pulled.bundle, artifact.bundle);
//! # Ok(())
//! # }
//! ```

mod client;
mod error;
mod manifest;
mod pull;
mod push;
mod reference;

use std::collections::BTreeMap;
use std::time::Duration;

pub use client::{Credentials, PASSWORD_VAR, USERNAME_VAR};
pub use error::{OciError, ReferenceError, ReferenceErrorKind};
pub use manifest::{
    CONFIG_BLOB, Descriptor, FALLBACK_FILE_NAME, Manifest, check_file_name, digest, safe_file_name,
};
pub use pull::pull;
pub use push::push;
pub use reference::{Reference, Target};

/// The OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The config blob's media type: Flux's.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.flux.config.v1+json";
/// The bundle layer's media type: Flux's content tarball, which `OCIRepository` extracts.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.cncf.flux.content.v1.tar+gzip";
/// The signature layer's media type: the base64 text of `NAME.tar.gz.sig`.
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.daactl.signature.v1+base64";
/// The provenance layer's media type: the in-toto DSSE envelope line of
/// `NAME.tar.gz.intoto.jsonl`.
pub const PROVENANCE_MEDIA_TYPE: &str = "application/vnd.daactl.provenance.v1.intoto+jsonl";
/// The layer annotation that holds a layer's file name.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// The largest blob [`pull`] downloads by default: bundles are far smaller, and a larger
/// descriptor means the reference names something else.
pub const MAX_BLOB_SIZE: u64 = 256 * 1024 * 1024;
/// The largest manifest [`pull`] reads (the limit of the CNCF Distribution registry).
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
/// The default limit for each phase of a request and each read or write of a body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A bundle to push: the three files' bytes, the bundle's file name (the signature and
/// provenance are titled `NAME.sig` and `NAME.intoto.jsonl` after it) and the manifest
/// annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// `NAME.tar.gz`: a plain file name ([`check_file_name`]).
    pub file_name: String,
    /// The `tar.gz` bundle.
    pub bundle: Vec<u8>,
    /// The base64 signature text.
    pub signature: Vec<u8>,
    /// The in-toto DSSE envelope line.
    pub provenance: Vec<u8>,
    /// Manifest annotations, such as `org.opencontainers.image.source`, `.revision` and
    /// `.created` (which Flux reads). Nothing is added to them.
    pub annotations: BTreeMap<String, String>,
}

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Replace the tag if it exists; without it an existing tag is [`OciError::TagExists`].
    pub force: bool,
    /// Use plain HTTP even for a host that is not loopback.
    pub plain_http: bool,
    /// Basic credentials, also used to fetch bearer tokens; `None` is anonymous.
    pub credentials: Option<Credentials>,
    /// The limit for each phase of a request and each read or write of a body.
    pub timeout: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            force: false,
            plain_http: false,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// How to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Use plain HTTP even for a host that is not loopback.
    pub plain_http: bool,
    /// Basic credentials, also used to fetch bearer tokens; `None` is anonymous.
    pub credentials: Option<Credentials>,
    /// The limit for each phase of a request and each read or write of a body.
    pub timeout: Duration,
    /// Layers whose descriptor announces more bytes are refused before downloading.
    pub max_blob_size: u64,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            plain_http: false,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
            max_blob_size: MAX_BLOB_SIZE,
        }
    }
}

/// The digests of a bundle's three layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDigests {
    /// `sha256:…` of `NAME.tar.gz`.
    pub bundle: String,
    /// `sha256:…` of `NAME.tar.gz.sig`.
    pub signature: String,
    /// `sha256:…` of `NAME.tar.gz.intoto.jsonl`.
    pub provenance: String,
}

/// What a push wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `sha256:…` of the manifest: pin deployments to `REPO@DIGEST`.
    pub manifest_digest: String,
    /// The layers' digests.
    pub layers: LayerDigests,
    /// How many blobs were uploaded; the others were in the registry already.
    pub uploaded: usize,
    /// The digest the tag pointed at before a forced push replaced it.
    pub replaced: Option<String>,
}

/// A pulled bundle, every byte checked against its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// `sha256:…` of the manifest.
    pub manifest_digest: String,
    /// The bundle's file name: the layer title when it is a plain file name, else
    /// [`FALLBACK_FILE_NAME`].
    pub file_name: String,
    /// The `tar.gz` bundle.
    pub bundle: Vec<u8>,
    /// The base64 signature text.
    pub signature: Vec<u8>,
    /// The in-toto DSSE envelope line.
    pub provenance: Vec<u8>,
    /// The layers' digests.
    pub layers: LayerDigests,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Pulled {
    /// `NAME.tar.gz.sig`, the file name to write the signature to.
    pub fn signature_file_name(&self) -> String {
        format!("{}.sig", self.file_name)
    }

    /// `NAME.tar.gz.intoto.jsonl`, the file name to write the provenance to.
    pub fn provenance_file_name(&self) -> String {
        format!("{}.intoto.jsonl", self.file_name)
    }
}

/// The manifest media types a registry may hold at a tag, for `Accept`: the OCI manifest
/// first, the others so a registry answers with what is there (and daactl can say what it
/// is) rather than a 404.
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

#[cfg(test)]
mod tests;
