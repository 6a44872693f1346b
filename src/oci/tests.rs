//! Unit tests of the manifest bytes, digests and file names; references and challenges are
//! tested next to their code, the registry conversation in `tests/oci.rs`.

use std::collections::BTreeMap;

use super::manifest::{build, layers, parse_bundle};
use super::*;

const BUNDLE_DIGEST: &str =
    "sha256:baf07bddfbcbc17d9f1d6b73de0508ebe9d549a6cb986f988cc1bf63941738fb";
const SIGNATURE_DIGEST: &str =
    "sha256:a7cde94580976949d37fcd96c1e864a18eb21251b340011e1fe983028c53e499";
const PROVENANCE_DIGEST: &str =
    "sha256:427ee81464c39bbcd976c2f4312dd4cf11c3f584732fb2cd85b794dc4454a40c";
const CONFIG_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn artifact() -> Artifact {
    Artifact {
        file_name: "daa-production-1.4.0.tar.gz".into(),
        bundle: b"BUNDLE-BYTES".to_vec(),
        signature: b"c2lnbmF0dXJl\n".to_vec(),
        provenance: b"{\"payloadType\":\"application/vnd.in-toto+json\"}\n".to_vec(),
        // Inserted out of order: the manifest sorts them.
        annotations: BTreeMap::from([
            (
                "org.opencontainers.image.source".into(),
                "https://github.com/acme/daa".into(),
            ),
            (
                "org.opencontainers.image.created".into(),
                "2025-01-01T00:00:00Z".into(),
            ),
            (
                "org.opencontainers.image.revision".into(),
                "main@sha1:0123abc".into(),
            ),
        ]),
    }
}

/// The exact manifest bytes; the digests were computed with Python's `hashlib`, not by
/// daactl.
#[test]
fn manifest_bytes_are_exact() {
    let (_, bytes) = build(&artifact()).unwrap();
    let expected = concat!(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
        r#""config":{"mediaType":"application/vnd.cncf.flux.config.v1+json","#,
        r#""digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"#,
        r#""layers":["#,
        r#"{"mediaType":"application/vnd.cncf.flux.content.v1.tar+gzip","#,
        r#""digest":"sha256:baf07bddfbcbc17d9f1d6b73de0508ebe9d549a6cb986f988cc1bf63941738fb","size":12,"#,
        r#""annotations":{"org.opencontainers.image.title":"daa-production-1.4.0.tar.gz"}},"#,
        r#"{"mediaType":"application/vnd.daactl.signature.v1+base64","#,
        r#""digest":"sha256:a7cde94580976949d37fcd96c1e864a18eb21251b340011e1fe983028c53e499","size":13,"#,
        r#""annotations":{"org.opencontainers.image.title":"daa-production-1.4.0.tar.gz.sig"}},"#,
        r#"{"mediaType":"application/vnd.daactl.provenance.v1.intoto+jsonl","#,
        r#""digest":"sha256:427ee81464c39bbcd976c2f4312dd4cf11c3f584732fb2cd85b794dc4454a40c","size":47,"#,
        r#""annotations":{"org.opencontainers.image.title":"daa-production-1.4.0.tar.gz.intoto.jsonl"}}],"#,
        r#""annotations":{"org.opencontainers.image.created":"2025-01-01T00:00:00Z","#,
        r#""org.opencontainers.image.revision":"main@sha1:0123abc","#,
        r#""org.opencontainers.image.source":"https://github.com/acme/daa"}}"#,
    );
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
}

#[test]
fn the_same_artifact_gives_the_same_manifest_digest() {
    let (_, first) = build(&artifact()).unwrap();
    let (_, second) = build(&artifact()).unwrap();
    assert_eq!(digest(&first), digest(&second));
    let mut changed = artifact();
    changed.bundle.push(b'!');
    let (_, third) = build(&changed).unwrap();
    assert_ne!(digest(&first), digest(&third));
}

#[test]
fn no_annotations_means_no_annotations_key() {
    let mut artifact = artifact();
    artifact.annotations.clear();
    let (manifest, bytes) = build(&artifact).unwrap();
    assert!(manifest.annotations.is_empty());
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with("}}]}"), "{text}");
}

#[test]
fn digests_are_sha256_in_lowercase_hex() {
    assert_eq!(digest(b"{}"), CONFIG_DIGEST);
    assert_eq!(digest(CONFIG_BLOB), CONFIG_DIGEST);
    assert_eq!(digest(b"BUNDLE-BYTES"), BUNDLE_DIGEST);
    assert_eq!(
        digest(b""),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn a_built_manifest_reads_back_as_a_bundle() {
    let (manifest, bytes) = build(&artifact()).unwrap();
    let read = parse_bundle(&bytes, None).unwrap();
    assert_eq!(read, manifest);
    let found = layers(&read).unwrap();
    assert_eq!(found.bundle.digest, BUNDLE_DIGEST);
    assert_eq!(found.signature.digest, SIGNATURE_DIGEST);
    assert_eq!(found.provenance.digest, PROVENANCE_DIGEST);
    assert_eq!(found.bundle.title(), Some("daa-production-1.4.0.tar.gz"));
}

/// Each way a manifest can fail to be a daactl bundle, with its reason.
#[test]
fn other_manifests_are_refused_with_a_reason() {
    let (_, bytes) = build(&artifact()).unwrap();
    let good: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut value = good.clone();
        f(&mut value);
        serde_json::to_vec(&value).unwrap()
    };
    let cases: Vec<(Vec<u8>, Option<&str>, String)> = vec![
        (
            b"[1, 2]".to_vec(),
            None,
            "the manifest is not a JSON object".into(),
        ),
        (
            b"{".to_vec(),
            None,
            "the manifest is not JSON (EOF while parsing an object at line 1 column 1)".into(),
        ),
        (
            edit(&|v| v["mediaType"] = "application/vnd.oci.image.index.v1+json".into()),
            None,
            "manifest media type `application/vnd.oci.image.index.v1+json`, expected `application/vnd.oci.image.manifest.v1+json`".into(),
        ),
        (
            edit(&|v| {
                v.as_object_mut().unwrap().remove("mediaType");
            }),
            Some("application/vnd.docker.distribution.manifest.v2+json"),
            "manifest media type `application/vnd.docker.distribution.manifest.v2+json`, expected `application/vnd.oci.image.manifest.v1+json`".into(),
        ),
        (
            edit(&|v| v["schemaVersion"] = 1.into()),
            None,
            "manifest schemaVersion 1, expected 2".into(),
        ),
        (
            edit(&|v| {
                v.as_object_mut().unwrap().remove("schemaVersion");
            }),
            None,
            "manifest schemaVersion missing, expected 2".into(),
        ),
        (
            edit(&|v| {
                v["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json".into()
            }),
            None,
            "config media type `application/vnd.oci.image.config.v1+json`, expected `application/vnd.cncf.flux.config.v1+json`".into(),
        ),
        (
            edit(&|v| v["layers"][1]["digest"] = "sha256:../../x".into()),
            None,
            "descriptor digest `sha256:../../x` is not `sha256:` and 64 lowercase hex digits".into(),
        ),
        (
            edit(&|v| {
                v["layers"].as_array_mut().unwrap().pop();
            }),
            None,
            "it has 2 layers [`application/vnd.cncf.flux.content.v1.tar+gzip`, `application/vnd.daactl.signature.v1+base64`]; a bundle has exactly one of each of `application/vnd.cncf.flux.content.v1.tar+gzip`, `application/vnd.daactl.signature.v1+base64`, `application/vnd.daactl.provenance.v1.intoto+jsonl`".into(),
        ),
        (
            edit(&|v| {
                let extra = v["layers"][1].clone();
                v["layers"].as_array_mut().unwrap().push(extra);
            }),
            None,
            "it has 4 layers [`application/vnd.cncf.flux.content.v1.tar+gzip`, `application/vnd.daactl.signature.v1+base64`, `application/vnd.daactl.provenance.v1.intoto+jsonl`, `application/vnd.daactl.signature.v1+base64`]; a bundle has exactly one of each of `application/vnd.cncf.flux.content.v1.tar+gzip`, `application/vnd.daactl.signature.v1+base64`, `application/vnd.daactl.provenance.v1.intoto+jsonl`".into(),
        ),
        (
            edit(&|v| v["layers"].as_array_mut().unwrap().swap(0, 2)),
            None,
            "the first layer is `application/vnd.daactl.provenance.v1.intoto+jsonl`, not the bundle (`application/vnd.cncf.flux.content.v1.tar+gzip`) that Flux deploys".into(),
        ),
        (
            edit(&|v| v["layers"][0]["size"] = (-1).into()),
            None,
            "the manifest does not follow the OCI image manifest (invalid value: integer `-1`, expected u64)".into(),
        ),
    ];
    for (bytes, content_type, reason) in cases {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(
            parse_bundle(&bytes, content_type).unwrap_err(),
            reason,
            "{text}"
        );
    }
}

#[test]
fn file_names_are_checked() {
    for good in ["daa-production-1.4.0.tar.gz", "a", "x.y", "bundle tar.gz"] {
        check_file_name(good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    let cases = [
        ("", "it is empty"),
        ("a/b.tar.gz", "it contains a path separator"),
        ("/etc/passwd", "it contains a path separator"),
        ("a\\b.tar.gz", "it contains a path separator"),
        ("..", "it contains `..`"),
        ("a..tar.gz", "it contains `..`"),
        ("a\0.tar.gz", "it contains a NUL character"),
        ("a\n.tar.gz", "it contains a control character"),
        (".hidden.tar.gz", "it starts with `.`"),
    ];
    for (bad, reason) in cases {
        match check_file_name(bad) {
            Err(OciError::FileName { reason: r, .. }) => assert_eq!(r, reason, "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let long = "a".repeat(256);
    assert!(check_file_name(&long).is_err());
    let error = check_file_name("a\n.tar.gz").unwrap_err().to_string();
    assert_eq!(
        error,
        "bundle file name `a\\n.tar.gz` is not allowed: it contains a control character\n  hint: use a plain file name such as `daa-production-1.4.0.tar.gz`"
    );
}

#[test]
fn pulled_file_names_fall_back_when_unsafe() {
    assert_eq!(safe_file_name(Some("daa-1.tar.gz")), "daa-1.tar.gz");
    for unsafe_title in [
        None,
        Some(""),
        Some("../daa.tar.gz"),
        Some("dir/daa.tar.gz"),
        Some("c:\\daa.tar.gz"),
        Some(".bashrc"),
        Some("a\0b"),
        Some("release.pub"),
        Some("daa.tar.gz.sig"),
    ] {
        assert_eq!(
            safe_file_name(unsafe_title),
            FALLBACK_FILE_NAME,
            "{unsafe_title:?}"
        );
    }
}

#[test]
fn a_push_with_an_unsafe_file_name_fails_before_any_request() {
    let mut artifact = artifact();
    artifact.file_name = "../escape.tar.gz".into();
    // Port 9 (discard) on loopback: the push must fail on the name, not try to connect.
    let reference: Reference = "oci://127.0.0.1:9/daa:1".parse().unwrap();
    let error = push(&reference, &artifact, &PushOptions::default()).unwrap_err();
    assert!(matches!(error, OciError::FileName { .. }), "{error:?}");
}

#[test]
fn a_push_to_a_digest_is_refused() {
    let reference: Reference = format!("oci://127.0.0.1:9/daa@{CONFIG_DIGEST}")
        .parse()
        .unwrap();
    let error = push(&reference, &artifact(), &PushOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot push to `oci://127.0.0.1:9/daa@{CONFIG_DIGEST}`: it names a digest, and a push writes a tag\n  hint: push to a tag, such as `oci://127.0.0.1:5000/daa/production:1.4.0`"
        )
    );
}

#[test]
fn error_messages_name_the_registry_request_and_status() {
    let error = OciError::Http {
        registry: "ghcr.io".into(),
        request: "PUT /v2/acme/daa/manifests/1.4.0".into(),
        status: 401,
        message: "authentication required (UNAUTHORIZED)".into(),
    };
    assert_eq!(
        error.to_string(),
        "registry ghcr.io: PUT /v2/acme/daa/manifests/1.4.0: HTTP 401 Unauthorized: authentication required (UNAUTHORIZED)\n  hint: the registry wants credentials; set `DAACTL_REGISTRY_USERNAME` and `DAACTL_REGISTRY_PASSWORD` (a token with read access to pull, write access to push)"
    );
    let error = OciError::Http {
        registry: "127.0.0.1:5000".into(),
        request: "HEAD /v2/daa/blobs/sha256:00".into(),
        status: 418,
        message: String::new(),
    };
    assert_eq!(
        error.to_string(),
        "registry 127.0.0.1:5000: HEAD /v2/daa/blobs/sha256:00: HTTP 418 I'm a teapot"
    );
    let error = OciError::TagExists {
        tag: "1.4.0".into(),
        repository: "127.0.0.1:5000/daa/production".into(),
        digest: CONFIG_DIGEST.into(),
    };
    assert_eq!(
        error.to_string(),
        format!(
            "tag 1.4.0 already exists in 127.0.0.1:5000/daa/production ({CONFIG_DIGEST})\n  hint: tags are never overwritten; pass `--force` to replace it, or push a new tag"
        )
    );
}

#[test]
fn credentials_come_from_both_variables_or_neither() {
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(Credentials::from_values(None, None).unwrap(), None);
    assert_eq!(Credentials::from_values(some(""), some("")).unwrap(), None);
    assert_eq!(
        Credentials::from_values(some("alice"), some("s3cret")).unwrap(),
        Some(Credentials::new("alice", "s3cret"))
    );
    let error = Credentials::from_values(some("alice"), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`DAACTL_REGISTRY_USERNAME` is set but `DAACTL_REGISTRY_PASSWORD` is not\n  hint: set both for basic authentication, or neither for anonymous access"
    );
    let error = Credentials::from_values(None, some("s3cret")).unwrap_err();
    assert!(
        matches!(
            error,
            OciError::Credentials {
                set: PASSWORD_VAR,
                missing: USERNAME_VAR
            }
        ),
        "{error:?}"
    );
}
