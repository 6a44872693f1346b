//! Unit tests of bundles: keys, the archive's bytes and its defensive reader, provenance and
//! verification. The command-line round trip, openssl and reproducibility across folders are
//! in tests/bundle.rs.

use std::collections::BTreeMap;
use std::io::Read as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::archive::{self, ArchiveError, Limits};
use super::keys::{KeyError, PrivateKey, PublicKey};
use super::manifest::{InputDigest, Inputs, MANIFEST_FILE, Manifest, ValidationSummary};
use super::provenance::{self, ProvenanceError};
use super::verify::{Rejection, verify};
use super::{Description, build, sign};
use crate::testing::tar::{Raw, raw, raw_tar_gz};

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn files() -> BTreeMap<String, Vec<u8>> {
    [
        ("production/app/deployment-api.yaml", "kind: Deployment\n"),
        ("kustomize/base/kustomization.yaml", "resources: []\n"),
        ("terraform/production/main.tf.json", "{}\n"),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_owned(), t.as_bytes().to_vec()))
    .collect()
}

fn description() -> Description {
    Description {
        environment: "production".to_owned(),
        source_commit: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        inputs: Inputs {
            specs: vec![InputDigest::of(
                "environments/production.toml",
                b"[environment]\n",
            )],
            templates: vec![InputDigest::of(
                "templates/deployment.yaml.j2",
                b"kind: x\n",
            )],
            custom_templates: false,
            waivers: None,
        },
        validation: ValidationSummary {
            passed: true,
            fail_on: "high".to_owned(),
            objects: 1,
            findings: BTreeMap::new(),
            waived: 0,
            unknown: 0,
            requirements: BTreeMap::new(),
        },
        mtime: super::DEFAULT_EPOCH,
    }
}

/// A signed bundle of [`files`]: archive, signature text, provenance text, public key.
fn signed(key: &PrivateKey) -> (Vec<u8>, String, String, PublicKey) {
    let bundle = build(description(), &files()).unwrap();
    let signatures = sign(&bundle, "daa-production.tar.gz", key);
    (
        bundle.archive,
        signatures.signature,
        signatures.provenance,
        key.public_key(),
    )
}

#[test]
fn pae_is_the_dsse_specifications_encoding() {
    // The example of the DSSE protocol document.
    assert_eq!(
        provenance::pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    // Lengths count bytes, not characters.
    assert_eq!(
        provenance::pae("t", "é".as_bytes()),
        "DSSEv1 1 t 2 é".as_bytes()
    );
}

#[test]
fn keys_round_trip_through_pem_and_sign() {
    let key = PrivateKey::generate().unwrap();
    let plain = key.to_pem(None).unwrap();
    assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let again = PrivateKey::from_pem(&plain, None).unwrap();
    let public = PublicKey::from_pem(&key.public_key().to_pem().unwrap()).unwrap();
    let signature = again.sign(b"message");
    assert!(public.verifies(b"message", &signature));
    assert!(!public.verifies(b"messagf", &signature));
    assert!(!public.verifies(b"message", b"not DER"));
    // RFC 6979: the same key and message give the same signature.
    assert_eq!(signature, key.sign(b"message"));
    let other = PrivateKey::generate().unwrap().public_key();
    assert!(!other.verifies(b"message", &signature));
    assert_ne!(other.id(), public.id());
    assert_eq!(public.id().len(), 64);
}

#[test]
fn an_encrypted_key_needs_its_passphrase() {
    let key = PrivateKey::generate().unwrap();
    let encrypted = key.to_pem(Some("correct horse")).unwrap();
    assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    assert!(matches!(
        PrivateKey::from_pem(&encrypted, None),
        Err(KeyError::NeedsPassphrase)
    ));
    assert!(matches!(
        PrivateKey::from_pem(&encrypted, Some("wrong")),
        Err(KeyError::WrongPassphrase)
    ));
    let opened = PrivateKey::from_pem(&encrypted, Some("correct horse")).unwrap();
    assert!(key.public_key().verifies(b"m", &opened.sign(b"m")));
    assert!(matches!(
        PrivateKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            None
        ),
        Err(KeyError::NotPrivateKey)
    ));
    assert!(matches!(
        PublicKey::from_pem(&key.to_pem(None).unwrap()),
        Err(KeyError::NotPublicKey)
    ));
    // No key material in what Debug prints.
    assert_eq!(format!("{key:?}"), "PrivateKey(..)");
}

#[test]
fn the_archive_is_deterministic_and_canonical() {
    let entries: Vec<(&str, &[u8])> = vec![("a/b.yaml", b"x: 1\n"), ("c.json", b"{}\n")];
    let first = archive::write(&entries, 1_700_000_000).unwrap();
    assert_eq!(first, archive::write(&entries, 1_700_000_000).unwrap());
    assert_ne!(first, archive::write(&entries, 1_700_000_001).unwrap());
    // gzip header: deflate, no flags (no name), mtime 0, no level flag (level 4), OS unknown.
    assert_eq!(&first[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    let tar = gunzip(&first);
    let mut reader = tar::Archive::new(tar.as_slice());
    for entry in reader.entries().unwrap() {
        let entry = entry.unwrap();
        let header = entry.header();
        assert_eq!(header.mode().unwrap(), 0o644);
        assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
        assert_eq!(header.mtime().unwrap(), 1_700_000_000);
        assert_eq!(header.username().unwrap(), Some(""));
        assert!(header.as_ustar().is_some());
    }
    let read = archive::read(&first, &Limits::default()).unwrap();
    let paths: Vec<_> = read.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["a/b.yaml", "c.json"]);
    assert_eq!(read[0].data, b"x: 1\n");
    assert!(matches!(
        archive::write(&[("../x", b"")], 0),
        Err(ArchiveError::UnsafePath { .. })
    ));
}

#[test]
fn the_reader_refuses_hostile_archives() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dot-dot",
            raw_tar_gz(&[raw("../escape.yaml", b"x")]),
            "`..` component",
        ),
        (
            "nested dot-dot",
            raw_tar_gz(&[raw("a/../../escape", b"x")]),
            "`..` component",
        ),
        (
            "absolute",
            raw_tar_gz(&[raw("/etc/cron.d/x", b"x")]),
            "absolute",
        ),
        ("dot", raw_tar_gz(&[raw("./a", b"x")]), "`.` component"),
        (
            "empty component",
            raw_tar_gz(&[raw("a//b", b"x")]),
            "empty component",
        ),
        (
            "backslash",
            raw_tar_gz(&[raw("a\\..\\b", b"x")]),
            "backslash",
        ),
        ("drive", raw_tar_gz(&[raw("C:evil", b"x")]), "drive letter"),
        (
            "symlink",
            raw_tar_gz(&[Raw {
                name: b"link",
                kind: b'2',
                data: b"",
                link: b"/etc/passwd",
            }]),
            "symbolic link",
        ),
        (
            "hard link",
            raw_tar_gz(&[
                raw("a", b"x"),
                Raw {
                    name: b"b",
                    kind: b'1',
                    data: b"",
                    link: b"a",
                },
            ]),
            "hard link",
        ),
        (
            "folder",
            raw_tar_gz(&[Raw {
                name: b"dir/",
                kind: b'5',
                data: b"",
                link: b"",
            }]),
            "folder",
        ),
        (
            "duplicate",
            raw_tar_gz(&[raw("a", b"1"), raw("a", b"2")]),
            "more than once",
        ),
        (
            "a file that is another's folder",
            raw_tar_gz(&[raw("a", b"1"), raw("a/b", b"2")]),
            "`a/b` has an unsafe path: its folder is also a file",
        ),
        ("not gzip", b"plain text".to_vec(), "not a gzip'd tar"),
    ];
    for (name, bytes, expected) in cases {
        let error = archive::read(&bytes, &Limits::default())
            .expect_err(name)
            .to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }
    let truncated = {
        let whole = raw_tar_gz(&[raw("a", &[7; 4096])]);
        whole[..whole.len() / 2].to_vec()
    };
    assert!(archive::read(&truncated, &Limits::default()).is_err());
}

fn gzip(tar: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(tar).unwrap();
    encoder.finish().unwrap()
}

/// Regression (issue 6 review): a signed archive must not hold bytes that daactl's reader skips
/// but `tar`, `gzip -d` or Go's reader (Flux) would read.
#[test]
fn the_reader_refuses_what_other_tools_would_read_differently() {
    let good = archive::write(&[("a", b"x"), ("b", b"y")], 0).unwrap();
    let tar = gunzip(&good);
    let evil = raw_tar_gz(&[raw("evil.yaml", b"x")]);
    let mut padding = tar.clone();
    padding[512 + 1] = b'y';
    let mut mode = tar.clone();
    mode[100..108].copy_from_slice(b"0000755\0");
    mode[148..156].copy_from_slice(b"        ");
    let sum: u32 = mode[..512].iter().map(|&b| u32::from(b)).sum();
    mode[148..156].copy_from_slice(format!("{sum:07o}\0").as_bytes());
    let renamed = {
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append_pax_extensions([("path", b"evil.yaml".as_slice())])
            .unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_path("a").unwrap();
        header.set_size(1);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder.append(&header, b"x".as_slice()).unwrap();
        builder.into_inner().unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a second gzip member",
            [good.as_slice(), &evil].concat(),
            "canonical form: the end of the archive",
        ),
        (
            "bytes after the gzip stream",
            [good.as_slice(), b"trailing"].concat(),
            "not a gzip'd tar",
        ),
        (
            "an entry after the end blocks",
            gzip(&[tar.as_slice(), &gunzip(&evil)].concat()),
            "canonical form: the end of the archive",
        ),
        (
            "no end blocks",
            gzip(&tar[..tar.len() - 1024]),
            "canonical form: the end of the archive",
        ),
        (
            "non-zero padding",
            gzip(&padding),
            "canonical form: the data or padding of `a`",
        ),
        (
            "another mode",
            gzip(&mode),
            "canonical form: the header of `a`",
        ),
        (
            "an extended header that renames a file",
            gzip(&renamed),
            "canonical form: the header of `evil.yaml`",
        ),
        (
            "a contiguous file",
            raw_tar_gz(&[Raw {
                name: b"a",
                kind: b'7',
                data: b"x",
                link: b"",
            }]),
            "special entry",
        ),
    ];
    assert!(archive::read(&good, &Limits::default()).is_ok());
    for (name, bytes, expected) in cases {
        let error = archive::read(&bytes, &Limits::default())
            .expect_err(name)
            .to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }
}

#[test]
fn the_reader_stops_at_its_limits() {
    // 8 MiB of zeros compress to a few kilobytes: a small decompression bomb.
    static ZEROS: [u8; 8 << 20] = [0; 8 << 20];
    let bomb = raw_tar_gz(&[raw("big", &ZEROS)]);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let small = Limits {
        max_content: 1 << 20,
        max_entries: 10,
    };
    assert_eq!(
        archive::read(&bomb, &small),
        Err(ArchiveError::TooLarge { limit: 1 << 20 })
    );
    let read = archive::read(&bomb, &Limits::default());
    assert!(read.is_ok(), "{read:?}");
    let many: Vec<Raw<'_>> = (0..11)
        .map(|i| Raw {
            name: Box::leak(format!("f{i}").into_bytes().into_boxed_slice()),
            kind: b'0',
            data: b"",
            link: b"",
        })
        .collect();
    assert_eq!(
        archive::read(&raw_tar_gz(&many), &small),
        Err(ArchiveError::TooManyEntries { limit: 10 })
    );
}

#[test]
fn a_signed_bundle_verifies_with_its_files() {
    let key = PrivateKey::generate().unwrap();
    let (archive, signature, provenance, public) = signed(&key);
    let verified = verify(
        &archive,
        &signature,
        &provenance,
        &public,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(verified.manifest.environment, "production");
    let got: BTreeMap<String, Vec<u8>> = verified
        .files
        .into_iter()
        .map(|e| (e.path, e.data))
        .collect();
    assert_eq!(got, files());
    // The manifest lists every file with its size and digest; the archive holds it last.
    let manifest = Manifest::from_bytes(&verified.manifest_bytes).unwrap();
    assert_eq!(manifest.files.len(), 3);
    assert_eq!(manifest.files[0].path, "kustomize/base/kustomization.yaml");
    assert_eq!(manifest.files[0].size, 14);
    let entries = archive::read(&archive, &Limits::default()).unwrap();
    assert_eq!(entries.last().unwrap().path, MANIFEST_FILE);
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert!(paths[..3].is_sorted(), "{paths:?}");
}

#[test]
fn verification_rejects_each_kind_of_tampering() {
    let key = PrivateKey::generate().unwrap();
    let (archive, signature, provenance, public) = signed(&key);
    let limits = Limits::default();
    // Any change to the bundle's bytes breaks the signature.
    let mut flipped = archive.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 1;
    assert_eq!(
        verify(&flipped, &signature, &provenance, &public, &limits).unwrap_err(),
        Rejection::Signature
    );
    // Another key.
    let other = PrivateKey::generate().unwrap().public_key();
    assert_eq!(
        verify(&archive, &signature, &provenance, &other, &limits).unwrap_err(),
        Rejection::Signature
    );
    // A signature that is not base64 DER.
    assert_eq!(
        verify(&archive, "!!", &provenance, &public, &limits).unwrap_err(),
        Rejection::SignatureFormat
    );
    // The provenance of another bundle, validly signed.
    let mut changed = files();
    changed.insert("extra.yaml".to_owned(), b"x\n".to_vec());
    let other_bundle = build(description(), &changed).unwrap();
    let other_provenance = sign(&other_bundle, "other.tar.gz", &key).provenance;
    assert!(matches!(
        verify(&archive, &signature, &other_provenance, &public, &limits).unwrap_err(),
        Rejection::Provenance(ProvenanceError::Subject { .. })
    ));
    // The provenance signed by another key, or damaged.
    let stranger = sign(
        &build(description(), &files()).unwrap(),
        "daa-production.tar.gz",
        &PrivateKey::generate().unwrap(),
    );
    assert_eq!(
        verify(&archive, &signature, &stranger.provenance, &public, &limits).unwrap_err(),
        Rejection::Provenance(ProvenanceError::Signature)
    );
    let damaged = provenance.replacen("\"payload\":\"", "\"payload\":\"A", 1);
    assert!(matches!(
        verify(&archive, &signature, &damaged, &public, &limits).unwrap_err(),
        Rejection::Provenance(_)
    ));
    assert!(matches!(
        verify(&archive, &signature, "", &public, &limits).unwrap_err(),
        Rejection::Provenance(ProvenanceError::Envelope(_))
    ));
}

/// Someone holding the key re-signs a changed archive: the manifest still catches what the
/// change did to the files, and the provenance what it did to the inputs.
#[test]
fn a_resigned_archive_must_still_match_its_manifest() {
    let key = PrivateKey::generate().unwrap();
    let public = key.public_key();
    let limits = Limits::default();
    let bundle = build(description(), &files()).unwrap();
    let manifest = bundle.manifest.to_bytes();
    let resign = |entries: &[(&str, &[u8])]| {
        let archive = archive::write(entries, 0).unwrap();
        let digest = super::sha256_hex(&archive);
        let statement = provenance::statement("x.tar.gz", &digest, &bundle.manifest);
        (
            STANDARD.encode(key.sign(&archive)),
            provenance::envelope_line(&statement, &key),
            archive,
        )
    };
    type Entries<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: Vec<(&str, Entries<'_>, &str)> = vec![
        (
            "changed content",
            vec![
                (MANIFEST_FILE, &manifest),
                ("kustomize/base/kustomization.yaml", b"resources: [x]\n"),
                ("production/app/deployment-api.yaml", b"kind: Deployment\n"),
                ("terraform/production/main.tf.json", b"{}\n"),
            ],
            "kustomize/base/kustomization.yaml: changed",
        ),
        (
            "extra file",
            vec![
                (MANIFEST_FILE, &manifest),
                ("evil.yaml", b"x"),
                ("kustomize/base/kustomization.yaml", b"resources: []\n"),
                ("production/app/deployment-api.yaml", b"kind: Deployment\n"),
                ("terraform/production/main.tf.json", b"{}\n"),
            ],
            "evil.yaml: not in the manifest",
        ),
        (
            "missing file",
            vec![
                (MANIFEST_FILE, &manifest),
                ("kustomize/base/kustomization.yaml", b"resources: []\n"),
                ("production/app/deployment-api.yaml", b"kind: Deployment\n"),
            ],
            "terraform/production/main.tf.json: listed in the manifest but missing",
        ),
        (
            "no manifest",
            vec![("kustomize/base/kustomization.yaml", b"resources: []\n")],
            "manifest.json: missing",
        ),
    ];
    for (name, entries, expected) in cases {
        let (signature, provenance, archive) = resign(&entries);
        let error = verify(&archive, &signature, &provenance, &public, &limits)
            .expect_err(name)
            .to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }
    // A manifest whose inputs were changed no longer matches the provenance's materials.
    let mut forged = bundle.manifest.clone();
    forged.inputs.specs[0].sha256 = "0".repeat(64);
    let forged_bytes = forged.to_bytes();
    let archive = archive::write(&[(MANIFEST_FILE, &forged_bytes)], 0).unwrap();
    let digest = super::sha256_hex(&archive);
    let statement = provenance::statement("x.tar.gz", &digest, &bundle.manifest);
    let error = verify(
        &archive,
        STANDARD.encode(key.sign(&archive)),
        provenance::envelope_line(&statement, &key),
        &public,
        &limits,
    )
    .unwrap_err();
    assert!(
        matches!(error, Rejection::Provenance(ProvenanceError::Materials(_))),
        "{error}"
    );
}

/// Regression (issue 6 review): every claim of the provenance is checked, not only its subject
/// and materials; a key holder cannot restate the environment, the validation result or the
/// commit of a bundle.
#[test]
fn the_provenance_must_state_exactly_what_the_manifest_says() {
    let key = PrivateKey::generate().unwrap();
    let (archive, signature, _, public) = signed(&key);
    let limits = Limits::default();
    let digest = super::sha256_hex(&archive);
    let manifest = build(description(), &files()).unwrap().manifest;
    let restated = |pointer: &str, value: serde_json::Value| {
        let mut statement = provenance::statement("daa-production.tar.gz", &digest, &manifest);
        *statement.pointer_mut(pointer).expect(pointer) = value;
        provenance::envelope_line(&statement, &key)
    };
    let cases = [
        (
            "/predicate/buildDefinition/externalParameters/environment",
            serde_json::json!("staging"),
        ),
        (
            "/predicate/buildDefinition/internalParameters/validation/passed",
            serde_json::json!(false),
        ),
        (
            "/predicate/buildDefinition/resolvedDependencies/2/digest/gitCommit",
            serde_json::json!("f".repeat(40)),
        ),
        (
            "/predicate/runDetails/builder/version/daactl",
            serde_json::json!("9.9.9"),
        ),
        (
            "/predicate/runDetails/metadata",
            serde_json::json!({"x": 1}),
        ),
    ];
    for (pointer, value) in cases {
        let error = verify(
            &archive,
            &signature,
            restated(pointer, value),
            &public,
            &limits,
        )
        .expect_err(pointer);
        let shown = error.to_string();
        assert!(
            matches!(error, Rejection::Provenance(ProvenanceError::Statement(_))),
            "{pointer}: {shown}"
        );
        assert!(
            shown.contains("disagrees with the bundle's manifest"),
            "{shown}"
        );
    }
    // The subject's name is free (a bundle may be renamed), and reported.
    let renamed = provenance::envelope_line(
        &provenance::statement("daa-production-1.4.0.tar.gz", &digest, &manifest),
        &key,
    );
    let verified = verify(&archive, &signature, renamed, &public, &limits).unwrap();
    assert_eq!(verified.signed_name, "daa-production-1.4.0.tar.gz");
    assert_eq!(verified.expect_environment("production"), Ok(()));
    assert_eq!(
        verified
            .expect_environment("staging")
            .unwrap_err()
            .to_string(),
        "the bundle is of environment `production`, not `staging`"
    );
}

/// Regression (issue 6 review): signature and provenance files are bounded and need not be
/// text; whatever they hold is a rejection (exit 1), never an error or a long computation.
#[test]
fn oversize_or_binary_signature_files_are_rejections() {
    let key = PrivateKey::generate().unwrap();
    let (archive, signature, provenance, public) = signed(&key);
    let limits = Limits::default();
    let huge_signature = vec![b'A'; 5000];
    assert_eq!(
        verify(&archive, &huge_signature, &provenance, &public, &limits).unwrap_err(),
        Rejection::TooLarge {
            what: "the signature",
            limit: super::verify::MAX_SIGNATURE_FILE
        }
    );
    let huge_provenance = vec![b'\n'; (super::verify::MAX_PROVENANCE_FILE + 1) as usize];
    assert!(matches!(
        verify(&archive, &signature, &huge_provenance, &public, &limits).unwrap_err(),
        Rejection::TooLarge {
            what: "the provenance",
            ..
        }
    ));
    assert_eq!(
        verify(&archive, [0xff, 0xfe, 0x00], &provenance, &public, &limits).unwrap_err(),
        Rejection::SignatureFormat
    );
    assert_eq!(
        verify(&archive, &signature, [0xff, 0xfe], &public, &limits).unwrap_err(),
        Rejection::Provenance(ProvenanceError::Envelope(
            "the file is not UTF-8".to_owned()
        ))
    );
    // Envelopes signed by someone else, many times over: refused after a few, not all tried.
    let stranger = sign(
        &build(description(), &files()).unwrap(),
        "daa-production.tar.gz",
        &PrivateKey::generate().unwrap(),
    );
    let many = stranger.provenance.repeat(provenance::MAX_ENVELOPES + 1) + &provenance;
    assert_eq!(
        verify(&archive, &signature, &many, &public, &limits).unwrap_err(),
        Rejection::Provenance(ProvenanceError::Envelope(format!(
            "more than {} envelopes",
            provenance::MAX_ENVELOPES
        )))
    );
}

/// The compressor is part of the bundle's bytes: daactl asks flate2 for its pure-Rust backend
/// (miniz_oxide) only, but cargo features add up, so a dependency that enabled a zlib backend
/// would switch it; this digest is what notices. If a dependency update changes these bytes,
/// bundles of the same inputs stop repeating across daactl versions: change the digest only
/// on purpose, and say so in the release notes.
#[test]
fn the_compressed_bytes_are_pinned() {
    let text = "kind: Deployment\nmetadata:\n  name: daa-service\n".repeat(50);
    let archive = archive::write(
        &[("a/deployment.yaml", text.as_bytes()), ("b.json", b"{}\n")],
        super::DEFAULT_EPOCH,
    )
    .unwrap();
    assert_eq!(
        super::sha256_hex(&archive),
        "1be1ab7a253e7cdb9b76065f037b28ac28031dac8f603a86823bbd345f8d478c"
    );
}

/// What the writer makes, the reader accepts, at the edges of the ustar format; and what the
/// reader refuses, the writer refuses to make (issue 6 review).
#[test]
fn the_writer_and_the_reader_agree_at_the_edges() {
    let name_100 = "n".repeat(100);
    let prefixed = format!("{}/{}", "p".repeat(150), "n".repeat(100));
    type Files<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: Vec<(&str, Files<'_>, u64)> = vec![
        ("no entries", vec![], 0),
        ("a 100-byte name", vec![(name_100.as_str(), b"x")], 0),
        (
            "a path in the prefix field",
            vec![(prefixed.as_str(), b"x")],
            0,
        ),
        ("the last ustar time", vec![("a", b"x")], 8u64.pow(11) - 1),
        ("an empty file", vec![("a", b"")], 0),
        ("a full block", vec![("a", &[7; 512])], 0),
    ];
    for (name, entries, mtime) in cases {
        let bytes = archive::write(&entries, mtime).expect(name);
        let read = archive::read(&bytes, &Limits::default()).expect(name);
        let read: Vec<(&str, &[u8])> = read
            .iter()
            .map(|e| (e.path.as_str(), e.data.as_slice()))
            .collect();
        assert_eq!(read, entries, "{name}");
    }
    let too_long = format!("{}/{}", "p".repeat(160), "n".repeat(100));
    let refused: Vec<(&str, Files<'_>, &str)> = vec![
        (
            "a duplicate",
            vec![("a", b"1"), ("a", b"2")],
            "more than once",
        ),
        (
            "a file that is another's folder",
            vec![("a", b"1"), ("a/b", b"2")],
            "its folder is also a file",
        ),
        (
            "a path too long",
            vec![(too_long.as_str(), b"x")],
            "too long",
        ),
    ];
    for (name, entries, expected) in refused {
        let error = archive::write(&entries, 0).expect_err(name).to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }
    // A file named like the manifest cannot be packed beside it.
    let mut files = files();
    files.insert(MANIFEST_FILE.to_owned(), b"{}".to_vec());
    assert_eq!(
        build(description(), &files).unwrap_err(),
        ArchiveError::Duplicate(MANIFEST_FILE.to_owned())
    );
}

/// `verify` compares a provenance with the Statement this daactl makes for the manifest, so
/// this shape is a compatibility promise: if this snapshot changes, bundles signed by earlier
/// versions stop verifying. Change it only with a new `buildType` that `verify` accepts
/// alongside v1 (issue 6 review).
#[test]
fn the_provenance_statement_v1_is_stable() {
    let bundle = build(description(), &files()).unwrap();
    let statement =
        provenance::statement("daa-production.tar.gz", &"0".repeat(64), &bundle.manifest);
    let text = serde_json::to_string_pretty(&statement)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!("provenance_statement_v1", text);
}
