//! The image manifest of a bundle: built byte for byte the same from the same bundle, and
//! read back strictly enough that anything but a daactl bundle is refused before a blob is
//! downloaded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::error::{OciError, shown};
use super::reference::is_digest;
use super::{
    Artifact, BUNDLE_MEDIA_TYPE, CONFIG_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, PROVENANCE_MEDIA_TYPE,
    SIGNATURE_MEDIA_TYPE, TITLE_ANNOTATION,
};

/// The config blob: an empty JSON object, as Flux's `flux push artifact` writes it.
pub const CONFIG_BLOB: &[u8] = b"{}";

/// The file name a pulled bundle gets when its title annotation is missing or unusable.
pub const FALLBACK_FILE_NAME: &str = "bundle.tar.gz";

/// `sha256:` and the hex SHA-256 of `bytes`, the form OCI digests take.
///
/// ```
/// assert_eq!(
///     daactl::oci::digest(b"{}"),
///     "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/// );
/// ```
pub fn digest(bytes: &[u8]) -> String {
    hex_digest(&Sha256::digest(bytes))
}

/// `sha256:` and the lowercase hex of a SHA-256 hash.
pub(crate) fn hex_digest(hash: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(7 + 2 * hash.len());
    out.push_str("sha256:");
    for byte in hash {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

/// An OCI content descriptor. Field order is the serialization order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The blob's media type.
    pub media_type: String,
    /// `sha256:…` of the blob.
    pub digest: String,
    /// The blob's length in bytes.
    pub size: u64,
    /// Annotations; daactl sets `org.opencontainers.image.title` on layers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The descriptor of `bytes`.
    fn of(media_type: &str, bytes: &[u8], title: Option<String>) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: digest(bytes),
            size: bytes.len() as u64,
            annotations: title
                .map(|t| BTreeMap::from([(TITLE_ANNOTATION.to_owned(), t)]))
                .unwrap_or_default(),
        }
    }

    /// The title annotation, if any.
    pub fn title(&self) -> Option<&str> {
        self.annotations.get(TITLE_ANNOTATION).map(String::as_str)
    }
}

/// An OCI image manifest (schema version 2). Unknown fields are ignored on reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// `application/vnd.oci.image.manifest.v1+json`; optional on reading, as the spec allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, the bundle first.
    pub layers: Vec<Descriptor>,
    /// The caller's annotations (source, revision, created).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The manifest of `artifact`: compact JSON with fixed key order (schemaVersion, mediaType,
/// config, layers, annotations; descriptors mediaType, digest, size, annotations; maps
/// sorted), so the same artifact always gives the same digest.
pub fn build(artifact: &Artifact) -> Result<(Manifest, Vec<u8>), OciError> {
    check_file_name(&artifact.file_name)?;
    let name = &artifact.file_name;
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        config: Descriptor::of(CONFIG_MEDIA_TYPE, CONFIG_BLOB, None),
        layers: vec![
            Descriptor::of(BUNDLE_MEDIA_TYPE, &artifact.bundle, Some(name.clone())),
            Descriptor::of(
                SIGNATURE_MEDIA_TYPE,
                &artifact.signature,
                Some(format!("{name}.sig")),
            ),
            Descriptor::of(
                PROVENANCE_MEDIA_TYPE,
                &artifact.provenance,
                Some(format!("{name}.intoto.jsonl")),
            ),
        ],
        annotations: artifact.annotations.clone(),
    };
    // Strings, integers and string maps always serialize.
    let bytes = serde_json::to_vec(&manifest).expect("a manifest serializes");
    Ok((manifest, bytes))
}

/// The three layers of a daactl bundle, as found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers<'m> {
    /// The `tar.gz` bundle (the first layer).
    pub bundle: &'m Descriptor,
    /// The base64 signature.
    pub signature: &'m Descriptor,
    /// The in-toto DSSE envelope.
    pub provenance: &'m Descriptor,
}

/// Reads manifest bytes and checks that they describe a daactl bundle: schema version 2,
/// the OCI manifest media type, the Flux config media type, and exactly one layer of each
/// daactl media type with the bundle first (Flux's `OCIRepository` takes the first layer).
/// `content_type` is the response's `Content-Type`, used when the JSON has no `mediaType`.
/// The error's `reason` says which expectation failed.
pub fn parse_bundle(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the manifest is not JSON ({e})"))?;
    let Some(object) = value.as_object() else {
        return Err("the manifest is not a JSON object".to_owned());
    };
    let media_type = match object.get("mediaType") {
        Some(serde_json::Value::String(media_type)) => Some(media_type.clone()),
        Some(other) => Some(other.to_string()),
        None => content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_owned()),
    };
    if let Some(media_type) = &media_type
        && media_type != MANIFEST_MEDIA_TYPE
    {
        return Err(format!(
            "manifest media type `{}`, expected `{MANIFEST_MEDIA_TYPE}`",
            shown(media_type)
        ));
    }
    match object.get("schemaVersion") {
        Some(version) if version == 2 => {}
        Some(version) => return Err(format!("manifest schemaVersion {version}, expected 2")),
        None => return Err("manifest schemaVersion missing, expected 2".to_owned()),
    }
    let manifest: Manifest = serde_json::from_value(value)
        .map_err(|e| format!("the manifest does not follow the OCI image manifest ({e})"))?;
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(format!(
            "config media type `{}`, expected `{CONFIG_MEDIA_TYPE}`",
            shown(&manifest.config.media_type)
        ));
    }
    for descriptor in std::iter::once(&manifest.config).chain(&manifest.layers) {
        if !is_digest(&descriptor.digest) {
            return Err(format!(
                "descriptor digest `{}` is not `sha256:` and 64 lowercase hex digits",
                shown(&descriptor.digest)
            ));
        }
    }
    layers(&manifest)?;
    Ok(manifest)
}

/// Finds the three daactl layers of a manifest: exactly three, one of each daactl media
/// type, the bundle first.
pub fn layers(manifest: &Manifest) -> Result<Layers<'_>, String> {
    let expected = [
        BUNDLE_MEDIA_TYPE,
        SIGNATURE_MEDIA_TYPE,
        PROVENANCE_MEDIA_TYPE,
    ];
    let one = |media_type: &str| {
        let mut found = manifest
            .layers
            .iter()
            .filter(|l| l.media_type == media_type);
        match (found.next(), found.next()) {
            (Some(layer), None) => Some(layer),
            _ => None,
        }
    };
    let (Some(bundle), Some(signature), Some(provenance), 3) = (
        one(BUNDLE_MEDIA_TYPE),
        one(SIGNATURE_MEDIA_TYPE),
        one(PROVENANCE_MEDIA_TYPE),
        manifest.layers.len(),
    ) else {
        let types: Vec<String> = manifest
            .layers
            .iter()
            .map(|l| format!("`{}`", shown(&l.media_type)))
            .collect();
        return Err(format!(
            "it has {} layers [{}]; a bundle has exactly one of each of `{}`",
            manifest.layers.len(),
            types.join(", "),
            expected.join("`, `")
        ));
    };
    if !std::ptr::eq(bundle, &manifest.layers[0]) {
        return Err(format!(
            "the first layer is `{}`, not the bundle (`{BUNDLE_MEDIA_TYPE}`) that Flux deploys",
            shown(&manifest.layers[0].media_type)
        ));
    }
    Ok(Layers {
        bundle,
        signature,
        provenance,
    })
}

/// Checks a bundle file name for use as a layer title and as a file the caller writes:
/// no path separators, no `..`, no NUL or other control characters, no leading `.`, not
/// empty, at most 255 bytes.
pub fn check_file_name(name: &str) -> Result<(), OciError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.contains('/') || name.contains('\\') {
        Some("it contains a path separator")
    } else if name.contains("..") {
        Some("it contains `..`")
    } else if name.contains('\0') {
        Some("it contains a NUL character")
    } else if name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else if name.starts_with('.') {
        Some("it starts with `.`")
    } else if name.len() > 255 {
        Some("it is longer than 255 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(OciError::FileName {
            name: shown(name),
            reason,
        }),
        None => Ok(()),
    }
}

/// The file name to give a pulled bundle: its title annotation when that is a safe plain
/// file name ending in `.tar.gz`, else [`FALLBACK_FILE_NAME`]. The suffix keeps a registry
/// from choosing a name such as `release.pub` or `authorized_keys` for the file it sends.
pub fn safe_file_name(title: Option<&str>) -> String {
    title
        .filter(|t| t.ends_with(".tar.gz") && check_file_name(t).is_ok())
        .unwrap_or(FALLBACK_FILE_NAME)
        .to_owned()
}
