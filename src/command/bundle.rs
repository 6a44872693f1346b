//! `daactl keygen`, `daactl bundle` and `daactl verify`.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use daactl::bundle::archive::Limits;
use daactl::bundle::keys::{PrivateKey, PublicKey};
use daactl::bundle::manifest::{InputDigest, Inputs, ValidationSummary};
use daactl::bundle::verify::{self, Rejection, Verified};
use daactl::bundle::{self, Description, PROVENANCE_SUFFIX, SIGNATURE_SUFFIX};
use daactl::policy::catalogue::{Policy, Severity};
use daactl::policy::engine::Settings;
use daactl::policy::format;
use daactl::policy::waiver::{self, Date};
use daactl::project::Project;
use daactl::render::Renderer;
use daactl::{parity, terraform};

use super::validate::{check_renders, project_waivers};
use super::{Outcome, Session, progress, template_set, write_stdout};
use crate::cli::{BundleArgs, KeygenArgs, VerifyArgs};

/// `daactl keygen`: a new key pair, the private key readable by its owner only.
pub fn keygen(session: &Session, args: &KeygenArgs) -> Result<Outcome> {
    // `--out release.key` means the pair `release`, not `release.key.key`.
    let stem = match args.out.extension().and_then(|e| e.to_str()) {
        Some("key" | "pub") => args.out.with_extension(""),
        _ => args.out.clone(),
    };
    let private = with_suffix(&stem, ".key");
    let public = with_suffix(&stem, ".pub");
    if !args.force {
        for path in [&private, &public] {
            if path.exists() {
                bail!(
                    "{}: error: already exists\n  hint: a key is never overwritten by accident; pass `--force` to replace it",
                    path.display()
                );
            }
        }
    }
    let passphrase = passphrase(&args.passphrase_env);
    let key = PrivateKey::generate()?;
    let private_pem = key.to_pem(passphrase.as_ref().map(|p| p.as_str()))?;
    let public_pem = key.public_key().to_pem()?;
    write_files(
        &[
            (&private, private_pem.as_bytes(), 0o600),
            (&public, public_pem.as_bytes(), 0o644),
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
            "wrote {} (private, mode 0600, {}) and {} (public)",
            private.display(),
            if passphrase.is_some() {
                format!("encrypted with the passphrase in ${}", args.passphrase_env)
            } else {
                format!("NOT encrypted: set ${} to encrypt it", args.passphrase_env)
            },
            public.display()
        ),
    );
    Ok(Outcome::Success)
}

/// `daactl bundle`: render and validate one environment, then write the bundle, its
/// signature and its provenance.
pub fn bundle(session: &Session, project: &Project, args: &BundleArgs) -> Result<Outcome> {
    let environment = &args.env;
    let key_text = read_text(&args.key, "the private key")?;
    let key = PrivateKey::from_pem(
        &key_text,
        passphrase(&args.passphrase_env)
            .as_ref()
            .map(|p| p.as_str()),
    )
    .with_context(|| {
        format!(
            "{}: cannot use the private key (an encrypted key takes its passphrase from ${})",
            args.key.display(),
            args.passphrase_env
        )
    })?;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => PathBuf::from(format!("daa-{environment}.tar.gz")),
    };
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .context("`--out` must name a file")?
        .to_owned();

    // Every environment renders: the Kustomize base and the chart's defaults come from all.
    let templates = template_set(&args.selection())?;
    let template_digests: Vec<InputDigest> = templates
        .templates
        .iter()
        .map(|t| InputDigest::of(format!("templates/{}", t.name), t.source.as_bytes()))
        .collect();
    let specs = project.load_specs(&[])?;
    let Some(index) = specs
        .iter()
        .position(|s| &s.environment.name == environment)
    else {
        project.load_specs(std::slice::from_ref(environment))?;
        bail!("error: no environment `{environment}`");
    };
    // The commit is asked of git while the rest runs.
    let git = SourceCommit::ask(&project.root);
    let renders = Renderer::new(templates)?.render_all(&specs)?;
    let waivers = project_waivers(project)?;
    let settings = Settings {
        policy: Policy::embedded(),
        file_waivers: &waivers,
        ignore_waivers: false,
        today: Date::today(),
    };
    // The shared trees (Kustomize, Helm) with the bundle's compression, and validation, are
    // independent: one thread each.
    let mtime = source_date_epoch()?;
    let (packed, report) = std::thread::scope(|scope| {
        let files = scope.spawn(|| -> Result<_> {
            let trees = daactl::shared::build(&specs, &renders)?;
            let files = bundle::contents::environment_files(
                environment,
                &renders[index].files(),
                &terraform::files(&specs[index]),
                &trees,
            );
            Ok(bundle::pack(&files, mtime)?)
        });
        // Validation, exactly as `daactl validate --env <env>` judges it.
        let report = (|| {
            let parity = parity::environment_views(&renders)?
                .into_iter()
                .nth(index)
                .filter(|_| renders.len() > 1);
            check_renders(
                std::slice::from_ref(&specs[index]),
                vec![renders[index].clone()],
                &[parity],
                &settings,
            )
        })();
        (daactl::parallel::join(files), report)
    });
    let (packed, report) = (packed?, report?);
    let validation = ValidationSummary::of(&report, Severity::High);
    if !validation.passed {
        let _ = std::io::stderr().write_all(format::human::render(&report).as_bytes());
        progress(
            session,
            &format!("bundle: refused, `{environment}` does not pass validation (nothing written)"),
        );
        return Ok(Outcome::Findings);
    }

    let inputs = Inputs {
        specs: specs
            .iter()
            .map(|s| InputDigest::of(s.file.clone(), s.source.as_bytes()))
            .collect(),
        templates: template_digests,
        custom_templates: args.templates.is_some(),
        waivers: waiver_digest(project)?,
    };
    let description = Description {
        environment: environment.clone(),
        source_commit: git.commit().or_else(|| {
            if project.root.join(".git").exists() {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: the project is a git checkout but its commit could not be read (see `git rev-parse HEAD`); the bundle records no source commit"
                );
            }
            None
        }),
        inputs,
        validation,
        mtime,
    };
    let built = bundle::finish(packed, description)?;
    let signatures = bundle::sign(&built, &name, &key);
    let signature_path = with_suffix(&out, SIGNATURE_SUFFIX);
    let provenance_path = with_suffix(&out, PROVENANCE_SUFFIX);
    write_files(
        &[
            (&out, &built.archive, 0o644),
            (&signature_path, signatures.signature.as_bytes(), 0o644),
            (&provenance_path, signatures.provenance.as_bytes(), 0o644),
        ],
        Existing::Replace,
    )?;
    progress(
        session,
        &format!(
            "{}: {} files of `{environment}`, {} bytes, sha256:{}\n{}: signature\n{}: provenance (in-toto SLSA v1, DSSE)",
            out.display(),
            built.manifest.files.len(),
            built.archive.len(),
            built.digest,
            signature_path.display(),
            provenance_path.display()
        ),
    );
    Ok(Outcome::Success)
}

/// `daactl verify`: exit 0 only if the signature, the provenance and every file hold.
pub fn verify(session: &Session, args: &VerifyArgs) -> Result<Outcome> {
    let key = PublicKey::from_pem(&read_text(&args.key, "the public key")?)
        .with_context(|| format!("{}: cannot use the public key", args.key.display()))?;
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| with_suffix(&args.bundle, SIGNATURE_SUFFIX));
    let provenance_path = args
        .provenance
        .clone()
        .unwrap_or_else(|| with_suffix(&args.bundle, PROVENANCE_SUFFIX));
    let limits = Limits {
        max_content: args.max_size * 1024 * 1024,
        ..Limits::default()
    };
    let files = SignedFiles::read(&args.bundle, &signature_path, &provenance_path, &limits)?;
    let verified = verify::verify(
        &files.bundle,
        &files.signature,
        &files.provenance,
        &key,
        &limits,
    )
    .and_then(|verified| expect_environment(verified, args.environment.as_deref()));
    let verified = match verified {
        Ok(verified) => verified,
        Err(rejection) => return rejected(&args.bundle, &rejection),
    };
    if let Some(dir) = &args.extract {
        extract(dir, &verified)?;
    }
    let manifest = &verified.manifest;
    let mut text = format!(
        "{}: verified\n  sha256:{}\n  environment {}: {} files, rendered by daactl {}{}\n  validation: {} at --fail-on {} ({} objects; {} waived)\n",
        args.bundle.display(),
        verified.digest,
        manifest.environment,
        manifest.files.len(),
        manifest.daactl_version,
        manifest
            .source_commit
            .as_ref()
            .map(|c| format!(" from commit {c}"))
            .unwrap_or_default(),
        if manifest.validation.passed {
            "passed"
        } else {
            "FAILED"
        },
        manifest.validation.fail_on,
        manifest.validation.objects,
        manifest.validation.waived,
    );
    let file_name = args.bundle.file_name().map(|n| n.to_string_lossy());
    if file_name.as_deref() != Some(verified.signed_name.as_str()) {
        text.push_str(&format!("  signed as `{}`\n", verified.signed_name));
    }
    if let Some(dir) = &args.extract {
        text.push_str(&format!(
            "  extracted {} files into {}\n",
            verified.files.len() + 1,
            dir.display()
        ));
    }
    if session.quiet {
        return Ok(Outcome::Success);
    }
    write_stdout(text.as_bytes())?;
    Ok(Outcome::Success)
}

/// `verified`, unless `environment` names another than the bundle's.
pub(super) fn expect_environment(
    verified: Verified,
    environment: Option<&str>,
) -> Result<Verified, Rejection> {
    match environment {
        Some(environment) => verified.expect_environment(environment).map(|()| verified),
        None => Ok(verified),
    }
}

pub(super) fn rejected(bundle: &Path, rejection: &Rejection) -> Result<Outcome> {
    let _ = writeln!(
        std::io::stderr(),
        "{}: REJECTED: {rejection}",
        bundle.display()
    );
    Ok(Outcome::Rejected)
}

/// Writes the verified files into `dir`, which must not exist or be empty: first into a
/// sibling temporary folder, then renamed into place, so `dir` is complete or absent.
fn extract(dir: &Path, verified: &Verified) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("{}: cannot read the folder", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "{}: error: the folder is not empty\n  hint: `--extract` writes into a new or empty folder",
                dir.display()
            );
        }
    }
    let parent = folder_of(dir);
    let staging = tempfile::Builder::new()
        .prefix(".daactl-extract-")
        .tempdir_in(parent)
        .with_context(|| format!("{}: cannot create a temporary folder", parent.display()))?;
    let files = std::iter::once((
        bundle::manifest::MANIFEST_FILE,
        verified.manifest_bytes.as_slice(),
    ))
    .chain(
        verified
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.data.as_slice())),
    );
    for (path, data) in files {
        // Paths were checked when read: relative, no `.` or `..` components.
        let target = staging.path().join(path);
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("writing {path}: cannot create its folder"))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&target)
            .and_then(|mut file| file.write_all(data))
            .with_context(|| format!("writing {path}"))?;
    }
    if dir.exists() {
        std::fs::remove_dir(dir).with_context(|| format!("{}: cannot replace", dir.display()))?;
    }
    std::fs::rename(staging.path(), dir)
        .with_context(|| format!("{}: cannot create", dir.display()))?;
    // Renamed away: nothing is left for the guard to delete.
    let _ = staging.keep();
    Ok(())
}

/// The passphrase in the environment variable `name`, if set and not empty.
fn passphrase(name: &str) -> Option<zeroize::Zeroizing<String>> {
    std::env::var(name)
        .ok()
        .filter(|p| !p.is_empty())
        .map(zeroize::Zeroizing::new)
}

pub(super) fn read_text(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read {what}", path.display()))
}

/// The first `limit + 1` bytes of `path` at most: enough for verification to refuse a file
/// that is too large without holding all of it.
pub(super) fn read_at_most(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    Ok(bytes)
}

/// A bundle and its signature and provenance files, read within the sizes verification
/// accepts.
pub(super) struct SignedFiles {
    pub(super) bundle: Vec<u8>,
    pub(super) signature: Vec<u8>,
    pub(super) provenance: Vec<u8>,
}

impl SignedFiles {
    pub(super) fn read(
        bundle: &Path,
        signature: &Path,
        provenance: &Path,
        limits: &Limits,
    ) -> Result<SignedFiles> {
        Ok(SignedFiles {
            bundle: read_at_most(bundle, "the bundle", verify::max_bundle_file(limits))?,
            signature: read_at_most(signature, "the signature", verify::MAX_SIGNATURE_FILE)?,
            provenance: read_at_most(provenance, "the provenance", verify::MAX_PROVENANCE_FILE)?,
        })
    }
}

/// The folder `path` is in: `.` for a bare file name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `path` with `suffix` appended to its file name.
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether [`write_files`] may replace files that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Existing {
    /// Replace them (`--force`, or outputs that are rebuilt on purpose).
    Replace,
    /// Fail instead, even when a file appears after the caller looked.
    Keep,
}

/// Writes each file through a temporary sibling created with its mode, then moves them all into
/// place: a failure while writing leaves no file changed and no temporary behind.
pub(super) fn write_files(files: &[(&PathBuf, &[u8], u32)], existing: Existing) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    for (path, ..) in files {
        if path.is_dir() {
            bail!("{}: error: is a folder", path.display());
        }
    }
    let mut staged = Vec::with_capacity(files.len());
    for (path, data, mode) in files {
        let folder = folder_of(path);
        // A temporary file of our own (random name, created exclusively, deleted when dropped).
        let temporary = tempfile::Builder::new()
            .prefix(".daactl-")
            .permissions(std::fs::Permissions::from_mode(*mode))
            .tempfile_in(folder)
            .and_then(|mut file| file.write_all(data).map(|()| file))
            .with_context(|| format!("{}: cannot write", path.display()))?;
        staged.push((temporary, *path));
    }
    let mut placed: Vec<&PathBuf> = Vec::with_capacity(staged.len());
    for (temporary, path) in staged {
        let moved = match existing {
            Existing::Replace => temporary.persist(path),
            Existing::Keep => temporary.persist_noclobber(path),
        };
        if let Err(err) = moved {
            // New files only: what was placed is removed again, so the set is all or none.
            // (Replaced files cannot be brought back; a rename in one folder rarely fails.)
            if existing == Existing::Keep {
                for path in placed {
                    let _ = std::fs::remove_file(path);
                }
            }
            return Err(err.error).with_context(|| format!("{}: cannot write", path.display()));
        }
        placed.push(path);
    }
    Ok(())
}

/// The digest of the project's waiver file, if it has one.
fn waiver_digest(project: &Project) -> Result<Option<InputDigest>> {
    let path = project.root.join(waiver::WAIVER_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", waiver::WAIVER_FILE))?;
    Ok(Some(InputDigest::of(waiver::WAIVER_FILE, &bytes)))
}

/// The variables that point git at a repository, its objects or its index: those of
/// `git rev-parse --local-env-vars` that are not configuration.
const REPOSITORY_VARIABLES: [&str; 12] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_GRAFT_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
];

/// `git rev-parse HEAD` of the project, started before rendering and read after.
struct SourceCommit(Option<std::process::Child>);

impl SourceCommit {
    /// Starts git in `root`; no git, no child.
    fn ask(root: &Path) -> SourceCommit {
        let mut git = std::process::Command::new("git");
        // The project decides the repository: a `GIT_DIR` or `GIT_WORK_TREE` inherited from a
        // hook or a script would name another one's commit. Configuration variables stay
        // (CI sets `safe.directory` through `GIT_CONFIG_*`).
        for name in REPOSITORY_VARIABLES {
            git.env_remove(name);
        }
        let child = git
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "--verify", "--quiet", "HEAD"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok();
        SourceCommit(child)
    }

    /// The commit, when `root` is in a git checkout with one.
    fn commit(self) -> Option<String> {
        let output = self.0?.wait_with_output().ok()?;
        let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
        (output.status.success()
            && commit.len() >= 40
            && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(commit)
    }
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org), or [`bundle::DEFAULT_EPOCH`].
fn source_date_epoch() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) if !text.is_empty() => {
            let seconds: u64 = text.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH=`{text}` is not a number of seconds since 1970")
            })?;
            // A ustar header holds 11 octal digits; beyond them tar writers switch to
            // non-standard encodings.
            if seconds >= 8u64.pow(11) {
                bail!(
                    "SOURCE_DATE_EPOCH=`{text}` is 2242-03-16 or later, beyond what a ustar header can hold"
                );
            }
            Ok(seconds)
        }
        _ => Ok(bundle::DEFAULT_EPOCH),
    }
}
