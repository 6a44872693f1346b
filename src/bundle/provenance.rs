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

/// The most envelopes of a `.intoto.jsonl` file, and signatures of an envelope, that are
/// tried: a file made to cost minutes of signature checks is refused instead.
pub const MAX_ENVELOPES: usize = 16;

/// Checks a `.intoto.jsonl` file: some envelope signed by `key` holds exactly the SLSA
/// provenance Statement daactl makes for the bundle of SHA-256 `digest` with this manifest.
/// Returns the name the Statement gives the bundle (its name when it was signed).
pub fn check(
    bytes: &[u8],
    key: &PublicKey,
    digest: &str,
    manifest: &Manifest,
) -> Result<String, ProvenanceError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ProvenanceError::Envelope("the file is not UTF-8".to_owned()))?;
    let mut last = ProvenanceError::Envelope("the file is empty".to_owned());
    let lines = text.lines().filter(|l| !l.trim().is_empty());
    for (index, line) in lines.enumerate() {
        if index == MAX_ENVELOPES {
            return Err(ProvenanceError::Envelope(format!(
                "more than {MAX_ENVELOPES} envelopes"
            )));
        }
        match check_line(line, key, digest, manifest) {
            Ok(name) => return Ok(name),
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
) -> Result<String, ProvenanceError> {
    let envelope: Envelope =
        serde_json::from_str(line).map_err(|err| ProvenanceError::Envelope(err.to_string()))?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(ProvenanceError::PayloadType(envelope.payload_type));
    }
    if envelope.signatures.len() > MAX_ENVELOPES {
        return Err(ProvenanceError::Envelope(format!(
            "more than {MAX_ENVELOPES} signatures"
        )));
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
    let found: Value = serde_json::from_slice(&payload)
        .map_err(|err| ProvenanceError::Statement(err.to_string()))?;
    let field = |pointer: &str| found.pointer(pointer).and_then(Value::as_str);
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
    let subjects: Vec<&str> = found
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
    check_materials(&found, manifest)?;
    // The rest must be exactly what daactl states for this manifest: the environment, the
    // validation result, the commit and the version are claims too, not decoration.
    let name = field("/subject/0/name").unwrap_or_default().to_owned();
    let expected = statement(&name, digest, manifest);
    if let Some(pointer) = first_difference(&found, &expected, String::new()) {
        return Err(ProvenanceError::Statement(format!(
            "`{}` disagrees with the bundle's manifest",
            if pointer.is_empty() { "/" } else { &pointer }
        )));
    }
    Ok(name)
}

/// The resolved dependencies must be the manifest's inputs, in order.
fn check_materials(found: &Value, manifest: &Manifest) -> Result<(), ProvenanceError> {
    let materials: Vec<InputDigest> = found
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
    if materials == inputs {
        return Ok(());
    }
    let differing = inputs
        .iter()
        .filter(|i| !materials.contains(i))
        .chain(materials.iter().filter(|m| !inputs.contains(m)))
        .map(|i| i.path.as_str())
        .next()
        .unwrap_or("their order");
    Err(ProvenanceError::Materials(format!(
        "first difference: {differing}"
    )))
}

/// The JSON pointer of the first place `found` and `expected` differ, if they do.
fn first_difference(found: &Value, expected: &Value, at: String) -> Option<String> {
    match (found, expected) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .find_map(|key| match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => first_difference(x, y, format!("{at}/{key}")),
                    _ => Some(format!("{at}/{key}")),
                })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, format!("{at}/{i}"))),
        _ => (found != expected).then_some(at),
    }
}
