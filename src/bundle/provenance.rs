//! SLSA provenance of a bundle: an in-toto Statement in a DSSE envelope, signed with the
//! bundle's key, one envelope per line of `<bundle>.intoto.jsonl`.
//!
//! The Statement (in-toto v1) has the bundle as its subject and a SLSA v1 provenance
//! predicate whose `resolvedDependencies` (SLSA v1's name for v0.2's "materials") are the
//! specs and templates with their digests, plus the source commit. DSSE signs the
//! pre-authentication encoding `"DSSEv1" SP len(type) SP type SP len(body) SP body`, never the
//! bare JSON, so a signature over one payload type cannot be replayed as another.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::keys::{PrivateKey, PublicKey};
use super::manifest::{InputDigest, Manifest};

/// The DSSE payload type of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The in-toto Statement version.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The SLSA provenance predicate version.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// What kind of build made the bundle: where its steps are documented.
pub const BUILD_TYPE: &str = concat!(
    crate::repository_url!(),
    "/blob/main/docs/bundles.md#build-type-v1"
);

/// A DSSE envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// What the payload is.
    pub payload_type: String,
    /// The payload, base64.
    pub payload: String,
    /// Its signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// The signing key's id (SHA-256 of its DER public key).
    #[serde(default)]
    pub keyid: String,
    /// The ASN.1 DER signature of the PAE, base64.
    pub sig: String,
}

/// Why a provenance file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// Not one DSSE envelope of JSON per line.
    #[error("not a DSSE envelope: {0}")]
    Envelope(String),
    /// A payload type other than an in-toto Statement.
    #[error("payload type `{0}` is not `{PAYLOAD_TYPE}`")]
    PayloadType(String),
    /// No signature of the envelope verifies with the key.
    #[error("no signature of the envelope verifies with this public key")]
    Signature,
    /// The payload is not the expected Statement.
    #[error("the in-toto Statement is not as expected: {0}")]
    Statement(String),
    /// The Statement names another artifact.
    #[error("the provenance is about another artifact: subject sha256 {found}, bundle {expected}")]
    Subject {
        /// The subject digest(s) in the Statement.
        found: String,
        /// The bundle's digest.
        expected: String,
    },
    /// The materials disagree with the manifest's inputs.
    #[error("the provenance's materials disagree with the manifest's inputs: {0}")]
    Materials(String),
}

/// The pre-authentication encoding DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The in-toto Statement of a bundle named `name` with SHA-256 `digest`.
pub fn statement(name: &str, digest: &str, manifest: &Manifest) -> Value {
    let mut dependencies: Vec<Value> = manifest
        .inputs
        .all()
        .map(|input| json!({"name": input.path, "digest": {"sha256": input.sha256}}))
        .collect();
    if let Some(commit) = &manifest.source_commit {
        dependencies.push(json!({
            "uri": format!("git+{}", crate::project::REPOSITORY_URL),
            "digest": {"gitCommit": commit},
        }));
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "environment": manifest.environment,
                    "customTemplates": manifest.inputs.custom_templates,
                },
                "internalParameters": {
                    "validation": manifest.validation,
                },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {
                    "id": format!("{}/releases/tag/v{}", crate::project::REPOSITORY_URL, manifest.daactl_version),
                    "version": {"daactl": manifest.daactl_version},
                },
                "metadata": {},
            },
        },
    })
}

/// The statement signed into one line of `.intoto.jsonl` (with its line break).
pub fn envelope_line(statement: &Value, key: &PrivateKey) -> String {
    let payload = serde_json::to_vec(statement).expect("a statement serializes");
    let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
    let envelope = Envelope {
        payload_type: PAYLOAD_TYPE.to_owned(),
        payload: STANDARD.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: key.public_key().id(),
            sig: STANDARD.encode(sig),
        }],
    };
    serde_json::to_string(&envelope).expect("an envelope serializes") + "\n"
}

/// Checks a `.intoto.jsonl` text: some envelope signed by `key` holds a SLSA provenance
/// Statement about the bundle of SHA-256 `digest` whose materials are the manifest's inputs.
pub fn check(
    text: &str,
    key: &PublicKey,
    digest: &str,
    manifest: &Manifest,
) -> Result<(), ProvenanceError> {
    let mut last = ProvenanceError::Envelope("the file is empty".to_owned());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match check_line(line, key, digest, manifest) {
            Ok(()) => return Ok(()),
            Err(err) => last = err,
        }
    }
    Err(last)
}

fn check_line(
    line: &str,
    key: &PublicKey,
    digest: &str,
    manifest: &Manifest,
) -> Result<(), ProvenanceError> {
    let envelope: Envelope =
        serde_json::from_str(line).map_err(|err| ProvenanceError::Envelope(err.to_string()))?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(ProvenanceError::PayloadType(envelope.payload_type));
    }
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|_| ProvenanceError::Envelope("the payload is not base64".to_owned()))?;
    let message = pae(&envelope.payload_type, &payload);
    let signed = envelope.signatures.iter().any(|s| {
        STANDARD
            .decode(&s.sig)
            .is_ok_and(|sig| key.verifies(&message, &sig))
    });
    if !signed {
        return Err(ProvenanceError::Signature);
    }
    let statement: Value = serde_json::from_slice(&payload)
        .map_err(|err| ProvenanceError::Statement(err.to_string()))?;
    let field = |pointer: &str| statement.pointer(pointer).and_then(Value::as_str);
    if field("/_type") != Some(STATEMENT_TYPE) {
        return Err(ProvenanceError::Statement(format!(
            "`_type` is not `{STATEMENT_TYPE}`"
        )));
    }
    if field("/predicateType") != Some(PREDICATE_TYPE) {
        return Err(ProvenanceError::Statement(format!(
            "`predicateType` is not `{PREDICATE_TYPE}`"
        )));
    }
    let subjects: Vec<&str> = statement
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.pointer("/digest/sha256").and_then(Value::as_str))
        .collect();
    if !subjects.contains(&digest) {
        return Err(ProvenanceError::Subject {
            found: if subjects.is_empty() {
                "none".to_owned()
            } else {
                subjects.join(", ")
            },
            expected: digest.to_owned(),
        });
    }
    let materials: Vec<InputDigest> = statement
        .pointer("/predicate/buildDefinition/resolvedDependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some(InputDigest {
                path: d.get("name")?.as_str()?.to_owned(),
                sha256: d.pointer("/digest/sha256")?.as_str()?.to_owned(),
            })
        })
        .collect();
    let inputs: Vec<InputDigest> = manifest.inputs.all().cloned().collect();
    if materials != inputs {
        let differing = inputs
            .iter()
            .filter(|i| !materials.contains(i))
            .chain(materials.iter().filter(|m| !inputs.contains(m)))
            .map(|i| i.path.as_str())
            .next()
            .unwrap_or("their order");
        return Err(ProvenanceError::Materials(format!(
            "first difference: {differing}"
        )));
    }
    Ok(())
}
