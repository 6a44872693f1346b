//! `daactl keygen`, `bundle` and `verify` end to end: the round trip to `rendered/`, openssl
//! as an independent verifier, tampering, hostile archives, byte reproducibility, refusal of
//! a failing environment, and errors.

mod common;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use daactl::testing::tar::{Raw, raw, raw_tar_gz};

use common::{copy_dir, outcome, repo};

const BUNDLE: &str = "daa-production-1.4.0.tar.gz";

/// Runs daactl in `cwd` on the repository's project, with the given extra environment.
fn daactl_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_daactl"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("DAACTL_KEY_PASSPHRASE")
        .env_remove("SOURCE_DATE_EPOCH");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("daactl runs")
}

fn daactl(cwd: &Path, args: &[&str]) -> Output {
    daactl_env(cwd, args, &[])
}

/// openssl from the PATH; missing fails under CI and skips elsewhere.
fn openssl() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("openssl"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(std::env::var("CI").is_err(), "openssl is not installed");
        eprintln!("SKIPPED: openssl is not installed");
    }
    found
}

/// A folder with a key pair `release.key`/`release.pub` and a signed production bundle of
/// the repository.
fn signed_bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = outcome(&daactl(dir.path(), &["keygen", "--out", "release"]));
    assert_eq!(code, 0, "{err}");
    bundle_into(dir.path(), "production", BUNDLE);
    dir
}

/// Runs `daactl bundle` of the repository's project in `dir`, signing with `key` (a file in
/// `dir`), with extra environment variables.
fn run_bundle(
    dir: &Path,
    env: &str,
    key: &str,
    out: &str,
    vars: &[(&str, &str)],
) -> (i32, String, String) {
    let project = repo();
    let args = [
        "--project",
        project.to_str().unwrap(),
        "bundle",
        "--env",
        env,
        "--key",
        key,
        "--out",
        out,
    ];
    outcome(&daactl_env(dir, &args, vars))
}

fn bundle_into(dir: &Path, env: &str, name: &str) {
    let (code, _, err) = run_bundle(dir, env, "release.key", name, &[]);
    assert_eq!(code, 0, "{err}");
}

/// Every file under `dir`, keyed by `/`-separated relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(relative.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// What `rendered/` holds for one environment, at the paths a bundle uses.
fn rendered_slice(env: &str) -> BTreeMap<String, Vec<u8>> {
    let rendered = repo().join("rendered");
    let mut expected = BTreeMap::new();
    for (from, prefix) in [
        (env.to_owned(), env.to_owned()),
        (format!("terraform/{env}"), format!("terraform/{env}")),
        ("kustomize/base".to_owned(), "kustomize/base".to_owned()),
        (
            format!("kustomize/overlays/{env}"),
            format!("kustomize/overlays/{env}"),
        ),
        ("helm".to_owned(), "helm".to_owned()),
    ] {
        for (path, bytes) in tree(&rendered.join(&from)) {
            expected.insert(format!("{prefix}/{path}"), bytes);
        }
    }
    expected.retain(|path, _| {
        !path.starts_with("helm/daa/values-") || path == &format!("helm/daa/values-{env}.yaml")
    });
    expected
}

#[test]
fn a_bundle_verifies_and_extracts_to_exactly_the_rendered_files() {
    let dir = signed_bundle();
    for env in ["development", "staging", "production"] {
        let name = format!("daa-{env}.tar.gz");
        bundle_into(dir.path(), env, &name);
        let extracted = dir.path().join(format!("x-{env}"));
        let (code, out, err) = outcome(&daactl(
            dir.path(),
            &[
                "verify",
                &name,
                "--key",
                "release.pub",
                "--extract",
                extracted.to_str().unwrap(),
            ],
        ));
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(&format!("{name}: verified")), "{out}");
        let mut files = tree(&extracted);
        let manifest: serde_json::Value =
            serde_json::from_slice(&files.remove("manifest.json").expect("manifest.json")).unwrap();
        assert_eq!(manifest["environment"], env);
        assert_eq!(manifest["validation"]["passed"], true);
        let listed = manifest["files"].as_array().unwrap().len();
        assert_eq!(listed, files.len());
        let expected = rendered_slice(env);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{env}: the bundle's files are rendered/'s slice of the environment"
        );
        assert!(files == expected, "{env}: a file differs from rendered/");
        // Development has no cloud, so no Terraform; the others do.
        let terraform = files.keys().any(|p| p.starts_with("terraform/"));
        assert_eq!(terraform, env != "development", "{env}");
    }
}

#[test]
fn the_extracted_overlay_and_chart_build_with_the_real_tools() {
    let (Some(kubectl), Some(helm)) = (common::tool("kube/kubectl"), common::tool("kube/helm"))
    else {
        return;
    };
    let dir = signed_bundle();
    let extracted = dir.path().join("release");
    let (code, _, err) = outcome(&daactl(
        dir.path(),
        &[
            "verify",
            BUNDLE,
            "--key",
            "release.pub",
            "--extract",
            "release",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    let build = |root: &Path| {
        stdout_of(
            Command::new(&kubectl)
                .arg("kustomize")
                .arg(root.join("kustomize/overlays/production")),
        )
    };
    assert_eq!(build(&extracted), build(&repo().join("rendered")));
    let template = |root: &Path| {
        let chart = root.join("helm/daa");
        stdout_of(
            Command::new(&helm)
                .args(["template", "daa"])
                .arg(&chart)
                .arg("-f")
                .arg(chart.join("values-production.yaml"))
                .args(["--namespace", "production"]),
        )
    };
    assert_eq!(template(&extracted), template(&repo().join("rendered")));
}

/// The standard output of a command that must succeed.
fn stdout_of(command: &mut Command) -> Vec<u8> {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn openssl_verifies_the_signature_and_reads_the_keys() {
    let Some(openssl) = openssl() else { return };
    let dir = signed_bundle();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = Command::new(&openssl);
        command.args(args).current_dir(dir.path());
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    let der = STANDARD
        .decode(std::fs::read_to_string(dir.path().join(format!("{BUNDLE}.sig"))).unwrap())
        .unwrap();
    std::fs::write(dir.path().join("sig.der"), der).unwrap();
    let verified = run(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "release.pub",
            "-signature",
            "sig.der",
            BUNDLE,
        ],
        &[],
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&verified.stdout).trim(),
        "Verified OK"
    );
    // Another key's public half does not verify it.
    daactl(dir.path(), &["keygen", "--out", "other"]);
    let wrong = run(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "other.pub",
            "-signature",
            "sig.der",
            BUNDLE,
        ],
        &[],
    );
    assert!(!wrong.status.success());
    // openssl reads the private key, and derives the same public key.
    let public = run(&["pkey", "-in", "release.key", "-pubout"], &[]);
    assert_eq!(
        public.stdout,
        std::fs::read(dir.path().join("release.pub")).unwrap()
    );
    // An encrypted key: openssl opens it with the passphrase, and daactl signs with it.
    let env = [("DAACTL_KEY_PASSPHRASE", "correct horse battery")];
    let (code, _, err) = outcome(&daactl_env(
        dir.path(),
        &["keygen", "--out", "sealed"],
        &env,
    ));
    assert_eq!(code, 0, "{err}");
    let key = std::fs::read_to_string(dir.path().join("sealed.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let opened = run(
        &[
            "pkey",
            "-in",
            "sealed.key",
            "-passin",
            "env:DAACTL_KEY_PASSPHRASE",
            "-pubout",
        ],
        &env,
    );
    assert_eq!(
        opened.stdout,
        std::fs::read(dir.path().join("sealed.pub")).unwrap()
    );
    // A signature openssl makes is one daactl accepts: the scheme is the same.
    let signed = run(
        &[
            "dgst",
            "-sha256",
            "-sign",
            "release.key",
            "-out",
            "openssl.der",
            BUNDLE,
        ],
        &[],
    );
    assert!(signed.status.success());
    let text = STANDARD.encode(std::fs::read(dir.path().join("openssl.der")).unwrap());
    std::fs::write(dir.path().join("openssl.sig"), text).unwrap();
    let (code, _, err) = outcome(&daactl(
        dir.path(),
        &[
            "verify",
            BUNDLE,
            "--key",
            "release.pub",
            "--signature",
            "openssl.sig",
        ],
    ));
    assert_eq!(code, 0, "{err}");
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Runs `daactl verify` on `bundle` with `signature` and `provenance` written beside it.
fn verify_with(
    dir: &Path,
    bundle: &[u8],
    signature: impl AsRef<[u8]>,
    provenance: impl AsRef<[u8]>,
    key: &str,
) -> (i32, String) {
    let name = "candidate.tar.gz";
    std::fs::write(dir.join(name), bundle).unwrap();
    std::fs::write(dir.join(format!("{name}.sig")), signature).unwrap();
    std::fs::write(dir.join(format!("{name}.intoto.jsonl")), provenance).unwrap();
    let (code, _, err) = outcome(&daactl(dir, &["verify", name, "--key", key]));
    (code, err)
}

#[test]
fn tampering_with_any_region_or_using_another_key_is_rejected() {
    let dir = signed_bundle();
    let path = dir.path();
    let bundle = std::fs::read(path.join(BUNDLE)).unwrap();
    let signature = std::fs::read_to_string(path.join(format!("{BUNDLE}.sig"))).unwrap();
    let provenance = std::fs::read_to_string(path.join(format!("{BUNDLE}.intoto.jsonl"))).unwrap();
    assert_eq!(
        verify_with(path, &bundle, &signature, &provenance, "release.pub").0,
        0
    );

    // Regions of the inflated tar: the first entry's header, a file's content, and the
    // content of manifest.json (the last entry).
    let tar = gunzip(&bundle);
    let entries = tar_layout(&tar);
    let (_, first_header, first_data) = &entries[0];
    let (last_path, _, manifest_data) = entries.last().unwrap();
    assert_eq!(last_path, "manifest.json");
    let regions = [
        ("a tar header", first_header + 3),
        ("the manifest", manifest_data + 40),
        ("a file's content", first_data + 5),
    ];
    for (region, offset) in regions {
        let mut changed = tar.clone();
        changed[offset] ^= 0x01;
        let (code, err) = verify_with(
            path,
            &gzip(&changed),
            &signature,
            &provenance,
            "release.pub",
        );
        assert_eq!(code, 1, "{region}: {err}");
        assert!(
            err.contains("REJECTED: the signature does not match"),
            "{region}: {err}"
        );
    }
    // One byte of the signature (kept valid base64), and of the provenance's payload.
    let mut sig = signature.clone().into_bytes();
    sig[20] = if sig[20] == b'A' { b'B' } else { b'A' };
    let (code, err) = verify_with(
        path,
        &bundle,
        std::str::from_utf8(&sig).unwrap(),
        &provenance,
        "release.pub",
    );
    assert_eq!(code, 1, "{err}");
    let at = provenance.find("\"payload\":\"").unwrap() + 40;
    let mut envelope = provenance.clone().into_bytes();
    envelope[at] = if envelope[at] == b'A' { b'B' } else { b'A' };
    let (code, err) = verify_with(
        path,
        &bundle,
        &signature,
        std::str::from_utf8(&envelope).unwrap(),
        "release.pub",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("REJECTED: provenance"), "{err}");
    // Another public key.
    daactl(path, &["keygen", "--out", "other"]);
    let (code, err) = verify_with(path, &bundle, &signature, &provenance, "other.pub");
    assert_eq!(code, 1, "{err}");
    // Binary or oversize signature files are rejections too, not read errors.
    let cases = [
        (vec![0xff, 0xfe], "not a base64 ECDSA signature"),
        (
            vec![b'A'; 1 << 20],
            "the signature is larger than 4096 bytes",
        ),
    ];
    for (signature, expected) in cases {
        let (code, err) = verify_with(path, &bundle, signature, &provenance, "release.pub");
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(expected), "{err}");
    }
    // A valid bundle of another environment than the one asked for.
    let (code, _, err) = outcome(&daactl(
        path,
        &["verify", BUNDLE, "--key", "release.pub", "--env", "staging"],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("REJECTED: the bundle is of environment `production`, not `staging`"),
        "{err}"
    );
    let (code, out, err) = outcome(&daactl(
        path,
        &[
            "verify",
            BUNDLE,
            "--key",
            "release.pub",
            "--env",
            "production",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("signed as"), "{out}");
    // A renamed bundle verifies, and says what it was signed as.
    std::fs::write(path.join("candidate.tar.gz"), &bundle).unwrap();
    let (code, out, err) = outcome(&daactl(
        path,
        &[
            "verify",
            "candidate.tar.gz",
            "--key",
            "release.pub",
            "--signature",
            &format!("{BUNDLE}.sig"),
            "--provenance",
            &format!("{BUNDLE}.intoto.jsonl"),
        ],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("signed as `{BUNDLE}`")), "{out}");
}

/// Each entry of a ustar archive: its path, the offset of its header and of its content.
fn tar_layout(tar: &[u8]) -> Vec<(String, usize, usize)> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at] != 0 {
        let header = &tar[at..at + 512];
        let name = String::from_utf8_lossy(&header[..100])
            .trim_end_matches('\0')
            .to_owned();
        let prefix = String::from_utf8_lossy(&header[345..500])
            .trim_end_matches('\0')
            .to_owned();
        let size = usize::from_str_radix(
            std::str::from_utf8(&header[124..135])
                .unwrap()
                .trim_matches('\0'),
            8,
        )
        .unwrap();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        entries.push((path, at, at + 512));
        at += 512 + size.div_ceil(512) * 512;
    }
    entries
}

/// Signs `bytes` as cosign's sign-blob does, with openssl (an independent signer).
fn openssl_signature(openssl: &Path, dir: &Path, bytes: &[u8]) -> String {
    std::fs::write(dir.join("blob"), bytes).unwrap();
    let output = Command::new(openssl)
        .args(["dgst", "-sha256", "-sign", "release.key", "blob"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success());
    std::fs::remove_file(dir.join("blob")).unwrap();
    STANDARD.encode(output.stdout)
}

#[test]
fn hostile_archives_are_rejected_and_nothing_is_written() {
    let Some(openssl) = openssl() else { return };
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let (code, _, err) = outcome(&daactl(&work, &["keygen", "--out", "release"]));
    assert_eq!(code, 0, "{err}");
    let absolute = root.path().join("absolute-target");
    let absolute_name = absolute.to_str().unwrap().to_owned();
    let bomb_content = vec![0u8; 100 << 20];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dot-dot",
            raw_tar_gz(&[raw("../escaped.yaml", b"x")]),
            "`..` component",
        ),
        (
            "deep dot-dot",
            raw_tar_gz(&[raw("production/../../escaped.yaml", b"x")]),
            "`..` component",
        ),
        (
            "absolute",
            raw_tar_gz(&[raw(&absolute_name, b"x")]),
            "absolute",
        ),
        (
            "symlink",
            raw_tar_gz(&[Raw {
                name: b"production",
                kind: b'2',
                data: b"",
                link: b"..",
            }]),
            "symbolic link",
        ),
        (
            "hard link",
            raw_tar_gz(&[
                raw("manifest.json", b"{}"),
                Raw {
                    name: b"escaped.yaml",
                    kind: b'1',
                    data: b"",
                    link: b"/etc/passwd",
                },
            ]),
            "hard link",
        ),
        (
            "duplicate",
            raw_tar_gz(&[raw("a.yaml", b"1"), raw("a.yaml", b"2")]),
            "more than once",
        ),
        (
            "decompression bomb",
            raw_tar_gz(&[raw("big.yaml", &bomb_content)]),
            "decompression bomb",
        ),
    ];
    let mut cases: Vec<(&str, Vec<u8>, &str, String)> = cases
        .into_iter()
        .map(|(name, archive, expected)| (name, archive, expected, String::new()))
        .collect();
    let (archive, provenance) = with_an_entry_outside_the_manifest(&work);
    cases.push((
        "outside the manifest",
        archive,
        "production/zz-evil.yaml: not in the manifest",
        provenance,
    ));
    let before = tree(root.path());
    for (name, archive, expected, provenance) in cases {
        let signature = openssl_signature(&openssl, &work, &archive);
        std::fs::write(work.join("hostile.tar.gz"), &archive).unwrap();
        std::fs::write(work.join("hostile.tar.gz.sig"), &signature).unwrap();
        std::fs::write(work.join("hostile.tar.gz.intoto.jsonl"), provenance).unwrap();
        let (code, _, err) = outcome(&daactl(
            &work,
            &[
                "verify",
                "hostile.tar.gz",
                "--key",
                "release.pub",
                "--extract",
                "out",
            ],
        ));
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains(expected), "{name}: {err}");
        for file in [
            "hostile.tar.gz",
            "hostile.tar.gz.sig",
            "hostile.tar.gz.intoto.jsonl",
        ] {
            std::fs::remove_file(work.join(file)).unwrap();
        }
        assert_eq!(tree(root.path()), before, "{name}: something was written");
        assert!(!absolute.exists() && !root.path().join("escaped.yaml").exists());
    }
}

/// A real production bundle with one more file that its manifest does not list, in canonical
/// form, and a provenance for it signed with `dir/release.key`: everything holds but the
/// manifest check, so that check is what must refuse it.
fn with_an_entry_outside_the_manifest(dir: &Path) -> (Vec<u8>, String) {
    use daactl::bundle::{archive, keys::PrivateKey, manifest::Manifest, provenance};
    bundle_into(dir, "production", "real.tar.gz");
    let limits = archive::Limits::default();
    let mut entries = archive::read(&std::fs::read(dir.join("real.tar.gz")).unwrap(), &limits)
        .expect("a real bundle reads");
    let manifest = entries.pop().expect("manifest.json is last");
    entries.push(archive::Entry {
        path: "production/zz-evil.yaml".to_owned(),
        data: b"kind: Pod\n".to_vec(),
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries.push(manifest);
    let pairs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|e| (e.path.as_str(), e.data.as_slice()))
        .collect();
    let bundle = archive::write(&pairs, daactl::bundle::DEFAULT_EPOCH).unwrap();
    let key = std::fs::read_to_string(dir.join("release.key")).unwrap();
    let key = PrivateKey::from_pem(&key, None).unwrap();
    let manifest = Manifest::from_bytes(&entries.last().unwrap().data).unwrap();
    let digest = daactl::bundle::sha256_hex(&bundle);
    let statement = provenance::statement("hostile.tar.gz", &digest, &manifest);
    (bundle, provenance::envelope_line(&statement, &key))
}

/// Copies the project's inputs (not its git history) into a new folder named `name`.
fn project_inputs(parent: &Path, name: &str) -> PathBuf {
    let root = parent.join(name);
    copy_dir(&repo().join("environments"), &root.join("environments"));
    std::fs::copy(
        repo().join("daactl-waivers.toml"),
        root.join("daactl-waivers.toml"),
    )
    .unwrap();
    root
}

#[test]
fn bundles_are_byte_reproducible_across_folders_time_zones_locales_and_umasks() {
    let parent = tempfile::tempdir().unwrap();
    let keys = parent.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    daactl(&keys, &["keygen", "--out", "release"]);
    let key = keys.join("release.key");
    let build = |folder: &str, tz: &str, locale: &str, umask: &str, epoch: Option<&str>| {
        let root = project_inputs(parent.path(), folder);
        let script = format!(
            "umask {umask} && exec \"$0\" --project \"$1\" bundle --env production --key \"$2\" --out {BUNDLE}"
        );
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_daactl"))
            .arg(&root)
            .arg(&key)
            .current_dir(&root)
            .env("TZ", tz)
            .env("LC_ALL", locale)
            .env_remove("SOURCE_DATE_EPOCH");
        if let Some(epoch) = epoch {
            command.env("SOURCE_DATE_EPOCH", epoch);
        }
        let (code, _, err) = outcome(&command.output().unwrap());
        assert_eq!(code, 0, "{err}");
        [
            BUNDLE.to_owned(),
            format!("{BUNDLE}.sig"),
            format!("{BUNDLE}.intoto.jsonl"),
        ]
        .map(|file| std::fs::read(root.join(file)).unwrap())
    };
    let first = build("one", "UTC", "C", "022", None);
    let second = build(
        "a-much-longer/folder two",
        "Pacific/Chatham",
        "de_DE.UTF-8",
        "077",
        None,
    );
    assert!(
        first == second,
        "the bundle, signature or provenance differs"
    );
    // SOURCE_DATE_EPOCH is an input: it sets every entry's time, and so the bytes.
    let dated = build("three", "UTC", "C", "022", Some("1700000000"));
    assert_ne!(first[0], dated[0]);
    let tar = gunzip(&dated[0]);
    let mut archive = tar::Archive::new(tar.as_slice());
    for entry in archive.entries().unwrap() {
        assert_eq!(entry.unwrap().header().mtime().unwrap(), 1_700_000_000);
    }
    // No folder name of the build appears anywhere in the bundle.
    let inflated = String::from_utf8_lossy(&gunzip(&first[0])).into_owned();
    assert!(
        !inflated.contains("a-much-longer") && !inflated.contains(parent.path().to_str().unwrap())
    );
}

#[test]
fn a_bundle_from_a_git_checkout_records_its_commit() {
    let git = Command::new("git")
        .args(["rev-parse", "--verify", "HEAD"])
        .current_dir(repo())
        .output();
    let Some(commit) = git
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned())
    else {
        eprintln!("SKIPPED: the repository is not a git checkout");
        return;
    };
    let dir = signed_bundle();
    let entries = daactl::bundle::archive::read(
        &std::fs::read(dir.path().join(BUNDLE)).unwrap(),
        &daactl::bundle::archive::Limits::default(),
    )
    .unwrap();
    let manifest = entries.iter().find(|e| e.path == "manifest.json").unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.data).unwrap();
    assert_eq!(manifest["source_commit"], commit.as_str());
    let provenance =
        std::fs::read_to_string(dir.path().join(format!("{BUNDLE}.intoto.jsonl"))).unwrap();
    let envelope: serde_json::Value = serde_json::from_str(&provenance).unwrap();
    let statement: serde_json::Value = serde_json::from_slice(
        &STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(statement["subject"][0]["name"], BUNDLE);
    let dependencies = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    assert!(
        dependencies
            .iter()
            .any(|d| d["digest"]["gitCommit"] == commit.as_str())
    );
    assert!(
        dependencies
            .iter()
            .any(|d| d["name"] == "environments/production.toml")
    );
    // Regression (issue 6 review): git variables inherited from a hook or a script do not
    // redirect git to another repository; the same bundle comes out.
    let elsewhere = tempfile::tempdir().unwrap();
    let elsewhere = elsewhere.path().to_str().unwrap();
    let vars = [("GIT_DIR", elsewhere), ("GIT_WORK_TREE", elsewhere)];
    let (code, _, err) = run_bundle(
        dir.path(),
        "production",
        "release.key",
        "again.tar.gz",
        &vars,
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(
        std::fs::read(dir.path().join("again.tar.gz")).unwrap()
            == std::fs::read(dir.path().join(BUNDLE)).unwrap()
    );
}

#[test]
fn an_environment_that_fails_validation_is_not_bundled() {
    let parent = tempfile::tempdir().unwrap();
    let root = project_inputs(parent.path(), "project");
    let spec = root.join("environments/production.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    // daa-service at one replica: fewer than production's three zones need (K231-2).
    assert!(text.contains("replicas = { min = 3, max = 10 }"));
    std::fs::write(
        &spec,
        text.replacen(
            "replicas = { min = 3, max = 10 }",
            "replicas = { min = 1, max = 10 }",
            1,
        ),
    )
    .unwrap();
    daactl(&root, &["keygen", "--out", "release"]);
    let before = tree(&root);
    let (code, _, err) = outcome(&daactl(
        &root,
        &[
            "bundle",
            "--env",
            "production",
            "--key",
            "release.key",
            "--out",
            BUNDLE,
        ],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("K231-2") && err.contains("nothing written"),
        "{err}"
    );
    assert_eq!(tree(&root), before);
}

#[test]
fn bad_inputs_are_errors_with_exit_code_2() {
    let dir = signed_bundle();
    let path = dir.path();
    let project = repo();
    let project = project.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--project",
                project,
                "bundle",
                "--env",
                "production",
                "--key",
                "missing.key",
            ],
            "missing.key: cannot read the private key",
        ),
        (
            vec![
                "--project",
                project,
                "bundle",
                "--env",
                "qa",
                "--key",
                "release.key",
            ],
            "qa",
        ),
        (
            vec![
                "--project",
                project,
                "bundle",
                "--env",
                "production",
                "--key",
                "release.pub",
            ],
            "not an ECDSA P-256 private key",
        ),
        (
            vec!["verify", BUNDLE, "--key", "release.key"],
            "not an ECDSA P-256 public key",
        ),
        (
            vec!["verify", "missing.tar.gz", "--key", "release.pub"],
            "missing.tar.gz: cannot read the bundle",
        ),
        (
            vec![
                "verify",
                BUNDLE,
                "--key",
                "release.pub",
                "--signature",
                "nope.sig",
            ],
            "nope.sig: cannot read the signature",
        ),
        (
            vec!["keygen", "--out", "release"],
            "release.key: error: already exists",
        ),
    ];
    for (args, expected) in cases {
        let (code, _, err) = outcome(&daactl(path, &args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // An encrypted key without its passphrase.
    let env = [("DAACTL_KEY_PASSPHRASE", "pw")];
    daactl_env(path, &["keygen", "--out", "sealed"], &env);
    let (code, _, err) = run_bundle(path, "production", "sealed.key", "s.tar.gz", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("encrypted and no passphrase"), "{err}");
    assert!(!path.join("s.tar.gz").exists());
    // A time a ustar header cannot hold, or no time at all.
    for (epoch, expected) in [
        ("8589934592", "beyond what a ustar header can hold"),
        ("yesterday", "not a number of seconds"),
    ] {
        let vars = [("SOURCE_DATE_EPOCH", epoch)];
        let (code, _, err) = run_bundle(path, "production", "release.key", "s.tar.gz", &vars);
        assert_eq!(code, 2, "{epoch}: {err}");
        assert!(err.contains(expected), "{epoch}: {err}");
        assert!(!path.join("s.tar.gz").exists());
    }
    // --extract into a folder that is not empty writes nothing.
    std::fs::create_dir(path.join("full")).unwrap();
    std::fs::write(path.join("full/keep"), "x").unwrap();
    let extract_into = |dir: &str| {
        outcome(&daactl(
            path,
            &["verify", BUNDLE, "--key", "release.pub", "--extract", dir],
        ))
    };
    let (code, _, err) = extract_into("full");
    assert_eq!(code, 2, "{err}");
    assert_eq!(tree(&path.join("full")).len(), 1);
    // Regression (issue 6 review): when the final rename fails (here the target is a
    // dangling symbolic link), the staged copy is removed too, not left beside it.
    std::os::unix::fs::symlink("nowhere", path.join("dangling")).unwrap();
    let before = std::fs::read_dir(path).unwrap().count();
    let (code, _, err) = extract_into("dangling");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dangling: cannot create"), "{err}");
    assert_eq!(
        std::fs::read_dir(path).unwrap().count(),
        before,
        "a staged folder was left"
    );
    // `--out NAME.key` names the pair NAME, and no temporary file is left behind.
    let (code, _, err) = outcome(&daactl(path, &["keygen", "--out", "second.key"]));
    assert_eq!(code, 0, "{err}");
    assert!(path.join("second.key").is_file() && path.join("second.pub").is_file());
    assert!(!path.join("second.key.key").exists());
    let leftovers: Vec<_> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".daactl-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The private key is readable by its owner only.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path.join("release.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
