//! `daactl::oci` against a real registry: the CNCF Distribution registry 2.8 (Debian's
//! `docker-registry`, installed by scripts/install-tools.sh), served on 127.0.0.1 with a
//! config file and storage of each test's own.
//!
//! - push then pull returns the same bytes and digests, and the raw manifest has Flux's media
//!   types and the layers' titles;
//! - an existing tag is refused before anything is uploaded, and replaced with `force`;
//! - the same bundle always gives the same manifest digest;
//! - a missing tag, a layer corrupted in the registry's storage, a non-daactl artifact and an
//!   oversized layer are refused with their own errors;
//! - basic authentication (htpasswd) works with credentials and names the variables without;
//! - the bearer-token challenge is answered (against a scripted server: the Debian registry
//!   needs a JWT issuer for it).

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use daactl::oci::{
    self, Artifact, BUNDLE_MEDIA_TYPE, CONFIG_MEDIA_TYPE, Credentials, MANIFEST_MEDIA_TYPE,
    OciError, PROVENANCE_MEDIA_TYPE, PullOptions, PushOptions, Reference, SIGNATURE_MEDIA_TYPE,
};
use serde_json::Value;

mod common;

/// `daactl:correct horse`, hashed with bcrypt (cost 4) for the registry's htpasswd file.
const HTPASSWD: &str = "daactl:$2b$04$m/qovfqVug0lDXmcwCp.9OoPnUlE5FMZWI90MqJs8jy/O4/B6pCmW\n";

/// A registry serving on a free loopback port until dropped.
struct Registry {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Registry {
    /// Starts an anonymous registry, or returns `None` (after `common::tool`'s message, and
    /// only outside CI) when the program is not installed.
    fn start() -> Option<Registry> {
        Registry::start_with("")
    }

    /// Starts a registry that wants basic credentials (`daactl` / `correct horse`).
    fn start_with_htpasswd() -> Option<Registry> {
        Registry::start_with("auth:\n  htpasswd:\n    realm: daactl-test\n    path: HTPASSWD\n")
    }

    fn start_with(extra_config: &str) -> Option<Registry> {
        let program = common::tool("registry/docker-registry")?;
        // A port found free can be taken before the registry binds it: try a few.
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let port = free_port();
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, HTPASSWD).unwrap();
            let config = format!(
                "version: 0.1\n\
                 log:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: 127.0.0.1:{port}\n{}",
                dir.path().join("storage").display(),
                extra_config.replace("HTPASSWD", &htpasswd.display().to_string()),
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new(&program)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("docker-registry starts");
            let mut registry = Registry { child, dir, port };
            if registry.wait_until_ready() {
                return Some(registry);
            }
            last_log = std::fs::read_to_string(registry.dir.path().join("registry.log"))
                .unwrap_or_default();
        }
        panic!("docker-registry did not start; its last log:\n{last_log}");
    }

    /// Polls `GET /v2/` until it answers (200, or 401 with authentication on).
    fn wait_until_ready(&mut self) -> bool {
        let agent = agent();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if let Ok(response) = agent.get(format!("{}/v2/", self.base())).call()
                && matches!(response.status().as_u16(), 200 | 401)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn base(&self) -> String {
        format!("http://{}", self.host())
    }

    fn reference(&self, repository_and_target: &str) -> Reference {
        format!("oci://{}/{repository_and_target}", self.host())
            .parse()
            .unwrap()
    }

    /// Where the registry keeps a blob's bytes.
    fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Fetches a manifest as stored, with its `Docker-Content-Digest`.
    fn raw_manifest(&self, repository: &str, target: &str) -> (Vec<u8>, Option<String>) {
        let mut response = agent()
            .get(format!(
                "{}/v2/{repository}/manifests/{target}",
                self.base()
            ))
            .header("Accept", MANIFEST_MEDIA_TYPE)
            .call()
            .unwrap();
        assert_eq!(response.status(), 200);
        let digest = response
            .headers()
            .get("docker-content-digest")
            .map(|v| v.to_str().unwrap().to_owned());
        (response.body_mut().read_to_vec().unwrap(), digest)
    }

    /// The status of `HEAD /v2/<repository>/blobs/<digest>`.
    fn blob_status(&self, repository: &str, digest: &str) -> u16 {
        agent()
            .head(format!("{}/v2/{repository}/blobs/{digest}", self.base()))
            .call()
            .unwrap()
            .status()
            .as_u16()
    }

    /// Uploads a blob the plain way, for hand-made manifests.
    fn upload(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = oci::digest(bytes);
        let agent = agent();
        let response = agent
            .post(format!("{}/v2/{repository}/blobs/uploads/", self.base()))
            .send_empty()
            .unwrap();
        assert_eq!(response.status(), 202);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let separator = if location.contains('?') { '&' } else { '?' };
        let response = agent
            .put(format!("{location}{separator}digest={digest}"))
            .send(bytes)
            .unwrap();
        assert_eq!(response.status(), 201);
        digest
    }

    /// Puts a hand-made manifest by tag.
    fn put_manifest(&self, repository: &str, tag: &str, media_type: &str, manifest: &Value) {
        let response = agent()
            .put(format!("{}/v2/{repository}/manifests/{tag}", self.base()))
            .header("Content-Type", media_type)
            .send(serde_json::to_vec(manifest).unwrap())
            .unwrap();
        assert_eq!(response.status(), 201, "the registry takes the manifest");
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP client for looking at the registry behind daactl's back.
fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// A bundle: a small gzip'd tar (real gzip magic), a base64 signature and a DSSE line.
fn artifact(version: &str) -> Artifact {
    let mut bundle = vec![0x1f, 0x8b, 0x08, 0x00];
    bundle.extend(format!("daa production {version} ").repeat(100).bytes());
    Artifact {
        file_name: format!("daa-production-{version}.tar.gz"),
        bundle,
        signature: format!("MEUCIQD{version}signature==\n").into_bytes(),
        provenance: format!(
            "{{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"{version}\",\"signatures\":[]}}\n"
        )
        .into_bytes(),
        annotations: BTreeMap::from([
            (
                "org.opencontainers.image.created".into(),
                "2025-01-01T00:00:00Z".into(),
            ),
            (
                "org.opencontainers.image.revision".into(),
                format!("{version}@sha1:0123456789abcdef0123456789abcdef01234567"),
            ),
            (
                "org.opencontainers.image.source".into(),
                "https://github.com/acme/daa".into(),
            ),
        ]),
    }
}

#[test]
fn push_then_pull_round_trips_with_flux_media_types() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let reference = registry.reference("daa/production:1.4.0");
    let artifact = artifact("1.4.0");

    let pushed = oci::push(&reference, &artifact, &PushOptions::default()).unwrap();
    println!("pushed {reference}: {}", pushed.manifest_digest);
    assert_eq!(pushed.uploaded, 4, "config and three layers");
    assert_eq!(pushed.replaced, None);
    assert_eq!(pushed.layers.bundle, oci::digest(&artifact.bundle));
    assert_eq!(pushed.layers.signature, oci::digest(&artifact.signature));
    assert_eq!(pushed.layers.provenance, oci::digest(&artifact.provenance));

    let pulled = oci::pull(&reference, &PullOptions::default()).unwrap();
    println!("pulled {reference}: {}", pulled.manifest_digest);
    assert_eq!(pulled.manifest_digest, pushed.manifest_digest);
    assert_eq!(pulled.layers, pushed.layers);
    assert_eq!(pulled.file_name, "daa-production-1.4.0.tar.gz");
    assert_eq!(
        pulled.signature_file_name(),
        "daa-production-1.4.0.tar.gz.sig"
    );
    assert_eq!(
        pulled.provenance_file_name(),
        "daa-production-1.4.0.tar.gz.intoto.jsonl"
    );
    assert_eq!(pulled.bundle, artifact.bundle);
    assert_eq!(pulled.signature, artifact.signature);
    assert_eq!(pulled.provenance, artifact.provenance);
    assert_eq!(pulled.annotations, artifact.annotations);

    // The same by digest.
    let by_digest = registry.reference(&format!("daa/production@{}", pushed.manifest_digest));
    let pulled_by_digest = oci::pull(&by_digest, &PullOptions::default()).unwrap();
    assert_eq!(pulled_by_digest, pulled);

    // The manifest as the registry stores it: what Flux's OCIRepository reads.
    let (raw, header_digest) = registry.raw_manifest("daa/production", "1.4.0");
    assert_eq!(oci::digest(&raw), pushed.manifest_digest);
    assert_eq!(
        header_digest.as_deref(),
        Some(pushed.manifest_digest.as_str())
    );
    let manifest: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(manifest["mediaType"], MANIFEST_MEDIA_TYPE);
    assert_eq!(manifest["config"]["mediaType"], CONFIG_MEDIA_TYPE);
    assert_eq!(manifest["config"]["size"], 2);
    let layers = manifest["layers"].as_array().unwrap();
    let types: Vec<&str> = layers
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            BUNDLE_MEDIA_TYPE,
            SIGNATURE_MEDIA_TYPE,
            PROVENANCE_MEDIA_TYPE
        ],
        "the bundle is Flux's first layer"
    );
    let titles: Vec<&str> = layers
        .iter()
        .map(|l| {
            l["annotations"]["org.opencontainers.image.title"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        titles,
        [
            "daa-production-1.4.0.tar.gz",
            "daa-production-1.4.0.tar.gz.sig",
            "daa-production-1.4.0.tar.gz.intoto.jsonl"
        ]
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.source"],
        "https://github.com/acme/daa"
    );
    assert_eq!(layers[0]["size"], artifact.bundle.len());
    // The config blob is Flux's `{}`.
    let mut config = agent()
        .get(format!(
            "{}/v2/daa/production/blobs/{}",
            registry.base(),
            manifest["config"]["digest"].as_str().unwrap()
        ))
        .call()
        .unwrap();
    assert_eq!(config.body_mut().read_to_vec().unwrap(), b"{}");
}

#[test]
fn an_existing_tag_is_refused_before_uploading_and_replaced_with_force() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let reference = registry.reference("daa/production:1.4.0");
    let first = oci::push(&reference, &artifact("1.4.0"), &PushOptions::default()).unwrap();

    let second = artifact("1.4.1");
    let error = oci::push(&reference, &second, &PushOptions::default()).unwrap_err();
    match &error {
        OciError::TagExists {
            tag,
            repository,
            digest,
        } => {
            assert_eq!(tag, "1.4.0");
            assert_eq!(repository, &format!("{}/daa/production", registry.host()));
            assert_eq!(digest, &first.manifest_digest);
        }
        other => panic!("expected TagExists, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!(
            "tag 1.4.0 already exists in {}/daa/production ({})\n  hint: tags are never overwritten; pass `--force` to replace it, or push a new tag",
            registry.host(),
            first.manifest_digest
        )
    );
    assert_eq!(
        registry.blob_status("daa/production", &oci::digest(&second.bundle)),
        404,
        "nothing was uploaded"
    );
    let unchanged = oci::pull(&reference, &PullOptions::default()).unwrap();
    assert_eq!(unchanged.manifest_digest, first.manifest_digest);

    let force = PushOptions {
        force: true,
        ..PushOptions::default()
    };
    let replaced = oci::push(&reference, &second, &force).unwrap();
    assert_eq!(
        replaced.replaced.as_deref(),
        Some(first.manifest_digest.as_str())
    );
    assert_ne!(replaced.manifest_digest, first.manifest_digest);
    assert_eq!(replaced.uploaded, 3, "the config blob was there already");
    let pulled = oci::pull(&reference, &PullOptions::default()).unwrap();
    assert_eq!(pulled.manifest_digest, replaced.manifest_digest);
    assert_eq!(pulled.bundle, second.bundle);
    assert_eq!(pulled.file_name, "daa-production-1.4.1.tar.gz");
}

#[test]
fn the_same_bundle_gives_the_same_manifest_digest() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let artifact = artifact("2.0.0");
    let first = oci::push(
        &registry.reference("daa/staging:2.0.0"),
        &artifact,
        &PushOptions::default(),
    )
    .unwrap();
    let again = oci::push(
        &registry.reference("daa/staging:2.0.0"),
        &artifact,
        &PushOptions {
            force: true,
            ..PushOptions::default()
        },
    )
    .unwrap();
    let other_tag = oci::push(
        &registry.reference("daa/staging:latest"),
        &artifact,
        &PushOptions::default(),
    )
    .unwrap();
    let other_repository = oci::push(
        &registry.reference("daa/production:2.0.0"),
        &artifact,
        &PushOptions::default(),
    )
    .unwrap();
    assert_eq!(again.manifest_digest, first.manifest_digest);
    assert_eq!(other_tag.manifest_digest, first.manifest_digest);
    assert_eq!(other_repository.manifest_digest, first.manifest_digest);
    assert_eq!(
        again.replaced.as_deref(),
        Some(first.manifest_digest.as_str())
    );
    assert_eq!(again.uploaded, 0, "every blob was there already");
    assert_eq!(other_tag.uploaded, 0);
    assert_eq!(other_repository.uploaded, 4, "blobs belong to a repository");
}

#[test]
fn pulling_a_missing_tag_or_repository_says_so() {
    let Some(registry) = Registry::start() else {
        return;
    };
    oci::push(
        &registry.reference("daa/production:1.4.0"),
        &artifact("1.4.0"),
        &PushOptions::default(),
    )
    .unwrap();
    let error = oci::pull(
        &registry.reference("daa/production:9.9.9"),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, OciError::NotFound { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "tag 9.9.9 not found in {}/daa/production (the registry says: manifest unknown (MANIFEST_UNKNOWN))\n  hint: check the repository and the tag; `daactl push` prints the reference it wrote",
            registry.host()
        )
    );
    let error = oci::pull(
        &registry.reference("daa/nothing-here:1.4.0"),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "tag 1.4.0 not found in {}/daa/nothing-here",
            registry.host()
        )),
        "{error}"
    );
}

#[test]
fn a_layer_corrupted_in_storage_is_refused() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let reference = registry.reference("daa/production:1.4.0");
    let artifact = artifact("1.4.0");
    let pushed = oci::push(&reference, &artifact, &PushOptions::default()).unwrap();

    // Same length, one byte flipped: only the digest tells.
    let path = registry.blob_path(&pushed.layers.signature);
    let mut corrupt = std::fs::read(&path).unwrap();
    assert_eq!(corrupt, artifact.signature);
    corrupt[0] ^= 0x20;
    std::fs::write(&path, &corrupt).unwrap();
    let error = oci::pull(&reference, &PullOptions::default()).unwrap_err();
    match &error {
        OciError::DigestMismatch {
            what,
            expected,
            actual,
            expected_size,
            actual_size,
        } => {
            assert_eq!(what, "layer daa-production-1.4.0.tar.gz.sig");
            assert_eq!(expected, &pushed.layers.signature);
            assert_eq!(actual, &oci::digest(&corrupt));
            assert_eq!(*expected_size, artifact.signature.len() as u64);
            assert_eq!(*actual_size, artifact.signature.len() as u64);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    assert!(
        error.to_string().ends_with(
            "\n  hint: the registry's copy is corrupt or was changed; push the bundle again"
        ),
        "{error}"
    );

    // Replaced by longer content: the size tells too.
    std::fs::write(&path, &corrupt).unwrap();
    let path = registry.blob_path(&pushed.layers.bundle);
    let mut longer = artifact.bundle.clone();
    longer.extend_from_slice(b"trailing bytes");
    std::fs::write(&path, &longer).unwrap();
    std::fs::write(
        registry.blob_path(&pushed.layers.signature),
        &artifact.signature,
    )
    .unwrap();
    let error = oci::pull(&reference, &PullOptions::default()).unwrap_err();
    match &error {
        OciError::DigestMismatch {
            expected,
            actual,
            actual_size,
            ..
        } => {
            assert_eq!(expected, &pushed.layers.bundle);
            assert_eq!(actual, &oci::digest(&longer));
            assert_eq!(*actual_size, longer.len() as u64);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
}

#[test]
fn a_layer_larger_than_the_limit_is_refused_before_downloading() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let reference = registry.reference("daa/production:1.4.0");
    let artifact = artifact("1.4.0");
    oci::push(&reference, &artifact, &PushOptions::default()).unwrap();
    // Remove the bundle's bytes: a download would fail otherwise than TooLarge.
    let digest = oci::digest(&artifact.bundle);
    std::fs::remove_file(registry.blob_path(&digest)).unwrap();
    let options = PullOptions {
        max_blob_size: 100,
        ..PullOptions::default()
    };
    let error = oci::pull(&reference, &options).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "layer daa-production-1.4.0.tar.gz ({digest}) is {} bytes, more than the limit of 100 bytes\n  hint: bundles are small; check that the reference names a daactl bundle",
            artifact.bundle.len()
        )
    );
}

#[test]
fn a_non_daactl_artifact_is_refused() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let repository = "other/image";
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"not a daactl bundle";
    let config_digest = registry.upload(repository, config);
    let layer_digest = registry.upload(repository, layer);
    let image = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer_digest,
            "size": layer.len(),
        }],
    });
    registry.put_manifest(repository, "1.0", MANIFEST_MEDIA_TYPE, &image);
    let reference = registry.reference("other/image:1.0");
    let error = oci::pull(&reference, &PullOptions::default()).unwrap_err();
    assert!(matches!(error, OciError::NotDaactl { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "{reference} is not a daactl bundle: config media type `application/vnd.oci.image.config.v1+json`, expected `application/vnd.cncf.flux.config.v1+json`\n  hint: pull a reference that `daactl push` wrote"
        )
    );

    // A Flux artifact of someone else's: Flux's config, one content layer.
    let flux_config = registry.upload(repository, b"{}");
    let flux = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": flux_config, "size": 2},
        "layers": [{"mediaType": BUNDLE_MEDIA_TYPE, "digest": layer_digest, "size": layer.len()}],
    });
    registry.put_manifest(repository, "flux", MANIFEST_MEDIA_TYPE, &flux);
    let error = oci::pull(
        &registry.reference("other/image:flux"),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains(
            "is not a daactl bundle: it has 1 layers [`application/vnd.cncf.flux.content.v1.tar+gzip`]"
        ),
        "{error}"
    );

    // An index (a multi-platform image) at a tag.
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [],
    });
    registry.put_manifest(
        repository,
        "index",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    let error = oci::pull(
        &registry.reference("other/image:index"),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains(
            "is not a daactl bundle: manifest media type `application/vnd.oci.image.index.v1+json`"
        ),
        "{error}"
    );
}

#[test]
fn basic_authentication_uses_the_credentials() {
    let Some(registry) = Registry::start_with_htpasswd() else {
        return;
    };
    let reference = registry.reference("daa/production:1.4.0");
    let artifact = artifact("1.4.0");

    let error = oci::push(&reference, &artifact, &PushOptions::default()).unwrap_err();
    assert!(
        matches!(error, OciError::Http { status: 401, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "registry {}: HEAD /v2/daa/production/manifests/1.4.0: HTTP 401 Unauthorized",
            registry.host()
        )),
        "{message}"
    );
    assert!(
        message.contains("set `DAACTL_REGISTRY_USERNAME` and `DAACTL_REGISTRY_PASSWORD`"),
        "{message}"
    );

    let wrong = PushOptions {
        credentials: Some(Credentials::new("daactl", "wrong horse")),
        ..PushOptions::default()
    };
    let error = oci::push(&reference, &artifact, &wrong).unwrap_err();
    assert!(
        matches!(error, OciError::Http { status: 401, .. }),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("wrong horse"));

    let credentials = Some(Credentials::new("daactl", "correct horse"));
    let pushed = oci::push(
        &reference,
        &artifact,
        &PushOptions {
            credentials: credentials.clone(),
            ..PushOptions::default()
        },
    )
    .unwrap();
    let pulled = oci::pull(
        &reference,
        &PullOptions {
            credentials,
            ..PullOptions::default()
        },
    )
    .unwrap();
    assert_eq!(pulled.manifest_digest, pushed.manifest_digest);
    assert_eq!(pulled.bundle, artifact.bundle);
}

/// What the scripted bearer-token server saw.
#[derive(Debug, Default)]
struct Seen {
    token_requests: Vec<(String, Option<String>)>,
    registry_authorizations: Vec<Option<String>>,
}

/// A scripted registry with a token service on one port, as ghcr.io and Docker Hub behave:
/// `/v2/…` answers 401 with a `Bearer` challenge unless given `Bearer TOKEN`, then 404
/// `MANIFEST_UNKNOWN`; `/token` hands out TOKEN. Serves until the test process ends.
fn bearer_server() -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            serve_one(stream, port, &log);
        }
    });
    (port, seen)
}

fn serve_one(stream: TcpStream, port: u16, seen: &Mutex<Seen>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut authorization = None;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        match name.to_ascii_lowercase().as_str() {
            "authorization" => authorization = Some(value.trim().to_owned()),
            "content-length" => length = value.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let (status, headers, body) = if target.starts_with("/token") {
        seen.lock()
            .unwrap()
            .token_requests
            .push((target, authorization));
        ("200 OK", String::new(), r#"{"token":"t0k3n"}"#.to_owned())
    } else {
        seen.lock()
            .unwrap()
            .registry_authorizations
            .push(authorization.clone());
        if authorization.as_deref() == Some("Bearer t0k3n") {
            (
                "404 Not Found",
                String::new(),
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                    .to_owned(),
            )
        } else {
            (
                "401 Unauthorized",
                format!(
                    "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"scripted\",scope=\"repository:daa/production:pull\"\r\n"
                ),
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                    .to_owned(),
            )
        }
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn a_bearer_challenge_is_answered_with_a_token() {
    let (port, seen) = bearer_server();
    let reference: Reference = format!("oci://127.0.0.1:{port}/daa/production:1.4.0")
        .parse()
        .unwrap();
    let options = PullOptions {
        credentials: Some(Credentials::new("daactl", "correct horse")),
        ..PullOptions::default()
    };
    let error = oci::pull(&reference, &options).unwrap_err();
    // The retried request got past authentication to the registry's own answer.
    assert!(matches!(error, OciError::NotFound { .. }), "{error:?}");
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.registry_authorizations,
        [None, Some("Bearer t0k3n".to_owned())]
    );
    assert_eq!(seen.token_requests.len(), 1);
    let (target, authorization) = &seen.token_requests[0];
    assert!(target.starts_with("/token?"), "{target}");
    assert!(
        target.contains("scope=repository%3Adaa%2Fproduction%3Apull"),
        "{target}"
    );
    assert!(target.contains("service=scripted"), "{target}");
    assert_eq!(
        authorization.as_deref(),
        Some("Basic ZGFhY3RsOmNvcnJlY3QgaG9yc2U="),
        "the token request carries the basic credentials"
    );
    assert!(!error.to_string().contains("t0k3n"));
}

#[test]
fn an_unreachable_registry_is_a_transport_error() {
    // A port just released: nothing listens there.
    let port = free_port();
    let reference: Reference = format!("oci://127.0.0.1:{port}/daa:1").parse().unwrap();
    let error = oci::pull(&reference, &PullOptions::default()).unwrap_err();
    assert!(matches!(error, OciError::Transport { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!(
            "registry 127.0.0.1:{port}: GET /v2/daa/manifests/1: "
        )),
        "{error}"
    );
}

/// Regression (issue 6 review): files are read up to their limit, and one longer than that is
/// refused before any request, never pushed cut short.
#[test]
fn push_refuses_an_oversize_signature_before_any_request() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::write(dir.join("b.tar.gz"), b"not checked").unwrap();
    std::fs::write(dir.join("b.tar.gz.sig"), vec![b'A'; 5000]).unwrap();
    std::fs::write(dir.join("b.tar.gz.intoto.jsonl"), b"").unwrap();
    let target = format!("oci://127.0.0.1:{}/daa:1", free_port());
    let (code, _, err) = common::outcome(&common::daactl(dir, &["push", "b.tar.gz", &target]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("REJECTED: the signature is larger than 4096 bytes"),
        "{err}"
    );
}

/// The commands a release engineer runs: `daactl bundle`, `push`, `pull --key`, `verify`.
#[test]
fn the_cli_pushes_pulls_and_verifies_a_signed_bundle() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let run = |args: &[&str]| common::outcome(&common::daactl(dir, args));
    let project = common::repo();
    let name = "daa-production-1.4.0.tar.gz";
    assert_eq!(run(&["keygen", "--out", "release"]).0, 0);
    assert_eq!(run(&["keygen", "--out", "other"]).0, 0);
    let (code, _, err) = run(&[
        "--project",
        project.to_str().unwrap(),
        "bundle",
        "--env",
        "production",
        "--key",
        "release.key",
        "--out",
        name,
    ]);
    assert_eq!(code, 0, "{err}");
    let target = format!("oci://{}/daa/production:1.4.0", registry.host());
    let (code, out, err) = run(&["push", name, &target, "--key", "release.pub"]);
    assert_eq!(code, 0, "{err}");
    // stdout is the pushed reference with the manifest's digest, and nothing else.
    let (raw, header_digest) = registry.raw_manifest("daa/production", "1.4.0");
    let digest = oci::digest(&raw);
    assert_eq!(out, format!("{target}@{digest}\n"));
    assert_eq!(header_digest.as_deref(), Some(digest.as_str()));
    let manifest: Value = serde_json::from_slice(&raw).unwrap();
    let bundle = std::fs::read(dir.join(name)).unwrap();
    assert_eq!(manifest["layers"][0]["digest"], oci::digest(&bundle));
    assert_eq!(manifest["layers"][0]["mediaType"], BUNDLE_MEDIA_TYPE);
    assert_eq!(
        manifest["annotations"]["dev.daactl.environment"],
        "production"
    );
    // The tag is not replaced without --force, and is with it.
    let (code, _, err) = run(&["push", name, &target]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    let (code, again, err) = run(&["push", name, &target, "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, out, "the same bundle gives the same digest");
    // Pull with the wrong key: rejected, nothing written. With the right one: the same files.
    let (code, _, err) = run(&["pull", &target, "--out", "wrong", "--key", "other.pub"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("REJECTED"), "{err}");
    assert!(!dir.join("wrong").exists());
    // A production bundle where staging is expected: rejected both ways, nothing written.
    let (code, _, err) = run(&[
        "pull",
        &target,
        "--out",
        "wrong",
        "--key",
        "release.pub",
        "--env",
        "staging",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("of environment `production`, not `staging`"),
        "{err}"
    );
    assert!(!dir.join("wrong").exists());
    let staging = format!("oci://{}/daa/staging:1.4.0", registry.host());
    let (code, _, err) = run(&[
        "push",
        name,
        &staging,
        "--key",
        "release.pub",
        "--env",
        "staging",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not `staging`"), "{err}");
    let (code, out, err) = run(&[
        "pull",
        &target,
        "--out",
        "pulled",
        "--key",
        "release.pub",
        "--env",
        "production",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("pulled/{name}"));
    for suffix in ["", ".sig", ".intoto.jsonl"] {
        assert_eq!(
            std::fs::read(dir.join("pulled").join(format!("{name}{suffix}"))).unwrap(),
            std::fs::read(dir.join(format!("{name}{suffix}"))).unwrap(),
            "{name}{suffix}"
        );
    }
    let pulled = format!("pulled/{name}");
    let (code, out, err) = run(&["verify", &pulled, "--key", "release.pub"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("verified"), "{out}");
    // Pulling again does not replace the files unless --force; by digest works too.
    assert_eq!(run(&["pull", &target, "--out", "pulled"]).0, 2);
    let by_digest = format!("oci://{}/daa/production@{digest}", registry.host());
    let (code, _, err) = run(&["pull", &by_digest, "--out", "pulled", "--force"]);
    assert_eq!(code, 0, "{err}");
}

/// The README's release commands, run as written (the registry's address swapped for the
/// test's), in a copy of the project: the example a release engineer copies cannot drift.
#[test]
fn the_readme_release_example_runs_as_written() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let block = readme
        .split("```")
        .find(|block| block.contains("daactl keygen --out release"))
        .expect("the README shows the release commands");
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    common::copy_dir(
        &common::repo().join("environments"),
        &project.join("environments"),
    );
    std::fs::copy(
        common::repo().join("daactl-waivers.toml"),
        project.join("daactl-waivers.toml"),
    )
    .unwrap();
    let binaries = std::path::Path::new(env!("CARGO_BIN_EXE_daactl"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        binaries.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let commands: Vec<String> = block
        .lines()
        .map(|line| line.split(" #").next().unwrap().trim())
        .filter(|line| !line.is_empty())
        .map(|line| line.replace("127.0.0.1:5000", &registry.host()))
        .collect();
    assert!(commands.len() >= 6, "{commands:?}");
    for command in &commands {
        let output = Command::new("bash")
            .args(["-c", command])
            .current_dir(project)
            .env("PATH", &path)
            .env_remove("DAACTL_KEY_PASSPHRASE")
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "{command}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(project.join("release/manifest.json").is_file());
    assert_eq!(
        std::fs::read(project.join("pulled/daa-production-1.4.0.tar.gz")).unwrap(),
        std::fs::read(project.join("daa-production-1.4.0.tar.gz")).unwrap()
    );
}
