//! `daactl push` and `daactl pull`: bundles to and from an OCI registry (docs/oci.md).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

use daactl::bundle::archive::{self, Limits};
use daactl::bundle::keys::PublicKey;
use daactl::bundle::manifest::{MANIFEST_FILE, Manifest};
use daactl::bundle::verify;
use daactl::bundle::{PROVENANCE_SUFFIX, SIGNATURE_SUFFIX};
use daactl::oci::{self, Artifact, Credentials, PullOptions, PushOptions, Reference};
use daactl::project::REPOSITORY_URL;

use super::bundle::{
    Existing, SignedFiles, expect_environment, read_text, rejected, with_suffix, write_files,
};
use super::{Outcome, Session, progress, write_stdout};
use crate::cli::{PullArgs, PushArgs};

/// `daactl push`.
pub fn push(session: &Session, args: &PushArgs) -> Result<Outcome> {
    let reference = parse(&args.reference)?;
    let limits = Limits::default();
    let SignedFiles {
        bundle,
        signature,
        provenance,
    } = SignedFiles::read(
        &args.bundle,
        &with_suffix(&args.bundle, SIGNATURE_SUFFIX),
        &with_suffix(&args.bundle, PROVENANCE_SUFFIX),
        &limits,
    )?;
    // Never push a file cut short at its reading limit, verified or not.
    if let Err(rejection) = verify::check_sizes(&bundle, &signature, &provenance, &limits) {
        return rejected(&args.bundle, &rejection);
    }
    if let Some(key) = &args.key {
        let key = public_key(key)?;
        let verified = verify::verify(&bundle, &signature, &provenance, &key, &limits)
            .and_then(|verified| expect_environment(verified, args.environment.as_deref()));
        if let Err(rejection) = verified {
            return rejected(&args.bundle, &rejection);
        }
    }
    let manifest = bundle_manifest(&bundle)
        .with_context(|| format!("{}: not a daactl bundle", args.bundle.display()))?;
    let file_name = args
        .bundle
        .file_name()
        .and_then(|n| n.to_str())
        .context("the bundle's path has no file name")?
        .to_owned();
    let artifact = Artifact {
        file_name,
        bundle,
        signature,
        provenance,
        annotations: annotations(&manifest),
    };
    let options = PushOptions {
        force: args.force,
        plain_http: args.plain_http,
        credentials: Credentials::from_env()?,
        ..PushOptions::default()
    };
    let pushed = oci::push(&reference, &artifact, &options)?;
    if let Some(old) = &pushed.replaced {
        progress(session, &format!("replaced {reference} (was {old})"));
    }
    progress(
        session,
        &format!(
            "pushed {} ({} of 4 blobs uploaded)",
            args.bundle.display(),
            pushed.uploaded
        ),
    );
    write_stdout(format!("{reference}@{}\n", pushed.manifest_digest).as_bytes())?;
    Ok(Outcome::Success)
}

/// `daactl pull`.
pub fn pull(session: &Session, args: &PullArgs) -> Result<Outcome> {
    let reference = parse(&args.reference)?;
    let key = args.key.as_deref().map(public_key).transpose()?;
    let options = PullOptions {
        plain_http: args.plain_http,
        credentials: Credentials::from_env()?,
        ..PullOptions::default()
    };
    let mut pulled = oci::pull(&reference, &options)?;
    if let Some(key) = &key {
        let verified = verify::verify(
            &pulled.bundle,
            &pulled.signature,
            &pulled.provenance,
            key,
            &Limits::default(),
        )
        .and_then(|verified| expect_environment(verified, args.environment.as_deref()));
        match verified {
            // A verified bundle is written under the name it was signed as, whatever title
            // the registry gave it.
            Ok(verified) => pulled.file_name = oci::safe_file_name(Some(&verified.signed_name)),
            Err(rejection) => return rejected(Path::new(&pulled.file_name), &rejection),
        }
    }
    let bundle_path = args.out.join(&pulled.file_name);
    let signature_path = args.out.join(pulled.signature_file_name());
    let provenance_path = args.out.join(pulled.provenance_file_name());
    if !args.force {
        for path in [&bundle_path, &signature_path, &provenance_path] {
            if path.exists() {
                bail!(
                    "{}: error: already exists\n  hint: pass `--force` to replace it, or pull into another `--out` folder",
                    path.display()
                );
            }
        }
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create the folder", args.out.display()))?;
    write_files(
        &[
            (&bundle_path, &pulled.bundle, 0o644),
            (&signature_path, &pulled.signature, 0o644),
            (&provenance_path, &pulled.provenance, 0o644),
        ],
        if args.force {
            Existing::Replace
        } else {
            Existing::Keep
        },
    )?;
    progress(
        session,
        &format!(
            "pulled {reference}@{} into {}{}",
            pulled.manifest_digest,
            bundle_path.display(),
            if key.is_some() {
                " (verified)"
            } else {
                " (not verified: pass --key, or run `daactl verify`)"
            }
        ),
    );
    write_stdout(format!("{}\n", bundle_path.display()).as_bytes())?;
    Ok(Outcome::Success)
}

fn parse(text: &str) -> Result<Reference> {
    text.parse::<Reference>()
        .map_err(|err| anyhow::anyhow!("error: {err}"))
}

fn public_key(path: &Path) -> Result<PublicKey> {
    PublicKey::from_pem(&read_text(path, "the public key")?)
        .with_context(|| format!("{}: cannot use the public key", path.display()))
}

/// The manifest of a bundle, read with the reader's limits and checks.
fn bundle_manifest(bundle: &[u8]) -> Result<Manifest> {
    let entries = archive::read(bundle, &Limits::default())?;
    let entry = entries
        .iter()
        .find(|e| e.path == MANIFEST_FILE)
        .with_context(|| format!("no {MANIFEST_FILE}"))?;
    Manifest::from_bytes(&entry.data).map_err(|err| anyhow::anyhow!("{MANIFEST_FILE}: {err}"))
}

/// The manifest annotations Flux and registries show: where the bundle came from.
fn annotations(manifest: &Manifest) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::from([
        (
            "org.opencontainers.image.source".to_owned(),
            REPOSITORY_URL.to_owned(),
        ),
        (
            "dev.daactl.environment".to_owned(),
            manifest.environment.clone(),
        ),
        (
            "dev.daactl.version".to_owned(),
            manifest.daactl_version.clone(),
        ),
    ]);
    if let Some(commit) = &manifest.source_commit {
        // Flux's revision format for a commit without a branch name.
        annotations.insert(
            "org.opencontainers.image.revision".to_owned(),
            format!("sha1:{commit}"),
        );
    }
    annotations
}
