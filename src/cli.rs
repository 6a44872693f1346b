//! Command-line arguments (clap derive only; no logic).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  daactl render                          Render every environment into rendered/
  daactl render --env production --stdout | kubectl apply --dry-run=client -f -
  daactl diff                            Exit 1 and show a diff if rendered/ is stale
  daactl diff --env staging --color never
  daactl schema > schemas/environment.schema.json
  daactl validate                        Check every environment against the REQ-T policy
  daactl validate --env production --format sarif > daactl.sarif
  daactl explain REQ-T206                What a requirement asks and which rules enforce it
  daactl keygen --out release            A signing key pair: release.key and release.pub
  daactl bundle --env production --key release.key --out daa-production-1.4.0.tar.gz
  daactl verify daa-production-1.4.0.tar.gz --key release.pub

Exit codes:
  0  success; for `diff`, the committed output is current; for `validate`, no failing finding
  1  `diff` found drift; `validate` found a finding at or above `--fail-on`; `bundle` refused
     an environment that fails validation; `verify` rejected a bundle
  2  error: bad spec, bad template, bad manifest, unknown environment, usage, I/O";

/// Render the DAA platform's Kubernetes manifests from environment specs, and keep the
/// committed output honest.
///
/// daactl reads `environments/*.toml`, renders the templates in `templates/` (built into
/// this binary; override with `--templates`) into canonical, injection-safe YAML, and
/// writes one file per object to `rendered/<env>/`. `diff` renders in memory and compares
/// with what is committed, for CI.
#[derive(Debug, Parser)]
#[command(name = "daactl", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// Project folder [default: the nearest folder upward holding `environments/`]
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// When to colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print only data and errors, no progress or summaries
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Colour choice; `auto` colours a terminal unless `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render environments into rendered/<env>/, or one to standard output
    #[command(after_help = "\
With every environment selected (the default), also writes what is built from all of them
together: rendered/kustomize/ (base/ and overlays/<env>/, for `kubectl apply -k`) and
rendered/helm/daa/ (a chart with values-<env>.yaml). Each builds exactly the objects of
rendered/<env>/.

Examples:
  daactl render                               every environment, into rendered/
  daactl render --env staging --env production
  daactl render --env production --stdout     one stream, in install order
  daactl render --templates ./my-templates    use templates other than the built-in ones")]
    Render(RenderArgs),

    /// Compare rendered/ with a fresh render; exit 1 on drift
    #[command(after_help = "\
Examples:
  daactl diff                      every environment
  daactl diff --env production     one environment
  daactl diff -q                   only the exit code and errors

Exit codes: 0 current, 1 drift (summary and unified diffs on stdout), 2 error.")]
    Diff(DiffArgs),

    /// Check manifests against the Kubernetes schema and the REQ-T policy
    #[command(after_help = "\
Without PATHS, every selected environment is rendered fresh in memory and checked; findings
point at the committed files under rendered/. With PATHS (YAML files or folders), those
manifests are checked with the policy parameters of the one `--env` given.

Waivers: an annotation `skip.daactl.dev/<CODE>: \"<reason>\"` on an object, or an entry of
daactl-waivers.toml at the project root. Reason-less, expired and unused waivers are findings.

Examples:
  daactl validate                                  every environment, human output
  daactl validate --env production --format sarif > daactl.sarif
  daactl validate --format github                  annotations on a pull request
  daactl validate --env staging some/dir other.yaml
  daactl validate --fail-on critical --format junit > validate.xml

Exit codes: 0 no unwaived finding at or above --fail-on, 1 there is one, 2 error.")]
    Validate(ValidateArgs),

    /// List how environments differ; exit 1 if beyond scale and data (REQ-T245)
    #[command(after_help = "\
Every object and field that differs between environments is listed with each environment's
value and judged: allowed (scale, data, release, derived, platform, or naming: only the
environment's own namespace names differ), or a VIOLATION. The allow-list, with a reason for
each entry, is schemas/parity.toml; the environment it names as reference (production) is the
one the others are compared with.

Without PATHS, the selected environments (default all) are rendered fresh. With PATHS, each is
a folder of one environment's manifests, named after it (like rendered/staging).

Examples:
  daactl parity                                   every environment
  daactl parity --violations                      only what is not allowed
  daactl parity --env staging --env production --format json
  daactl parity rendered/staging rendered/production

Exit codes: 0 only allowed differences, 1 a violation, 2 error.")]
    Parity(ParityArgs),

    /// List every rule and every requirement with its status
    #[command(after_help = "\
Examples:
  daactl rules                      rules, then the 50 requirements and how each is shown
  daactl rules --format json        for scripts
  daactl rules --format markdown > docs/rules.md")]
    Rules {
        /// Output format
        #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
        format: RulesFormat,
    },

    /// Explain a rule or a requirement: what, why, how to fix, examples
    #[command(after_help = "\
Examples:
  daactl explain K206-2
  daactl explain REQ-T206")]
    Explain {
        /// A rule code (`K206-2`) or a requirement (`REQ-T206`)
        id: String,
    },

    /// Print the JSON Schema of environment specs, or their reference
    #[command(after_help = "\
Spec files point editors at it with a first line `#:schema ../schemas/environment.schema.json`.
Regenerate the committed copies with:
  daactl schema > schemas/environment.schema.json
  daactl schema --markdown > docs/spec.md")]
    Schema {
        /// Print the reference of every key as Markdown (docs/spec.md) instead
        #[arg(long)]
        markdown: bool,
    },

    /// Write the runbooks of every alert into docs/runbooks/, or check they are current
    #[command(after_help = "\
The alerts and their runbook text live in schemas/alerts.toml; every alert's runbook_url
links to its file here (REQ-T240).

Examples:
  daactl runbooks                   write docs/runbooks/<Alert>.md and README.md
  daactl runbooks --check           exit 1 if a runbook is stale, missing or has no alert")]
    Runbooks {
        /// Write nothing; exit 1 if docs/runbooks/ differs from what would be written
        #[arg(long)]
        check: bool,
    },

    /// Create a signing key pair for bundles: PREFIX.key (mode 0600) and PREFIX.pub
    #[command(after_help = "\
The key is ECDSA P-256, the private key PKCS#8 PEM and the public key SPKI PEM: what openssl
and cosign read. The private key is encrypted (PBES2: scrypt, AES-256-CBC) when the variable
named by --passphrase-env is set and not empty; it is never printed.

Examples:
  daactl keygen --out release                       release.key and release.pub
  DAACTL_KEY_PASSPHRASE=... daactl keygen --out release
  openssl pkey -in release.key -noout               openssl reads it (add -passin env:VAR if encrypted)")]
    Keygen(KeygenArgs),

    /// Render, validate and sign one environment as a reproducible release bundle
    #[command(after_help = "\
Writes BUNDLE (a gzip'd tar of the environment's files as under rendered/: <env>/,
kustomize/base/, kustomize/overlays/<env>/, helm/daa/ with values-<env>.yaml, terraform/<env>/,
and manifest.json with every file's SHA-256), BUNDLE.sig (base64 DER ECDSA P-256 over
SHA-256, as cosign's sign-blob writes it) and BUNDLE.intoto.jsonl (SLSA v1 provenance in a
DSSE envelope). Every environment is rendered fresh; the bundle is refused (exit 1, findings
on stderr) if its environment fails validation at --fail-on high.

The same inputs give the same bytes: entries are sorted, owned by 0:0 with mode 0644 and the
modification time SOURCE_DATE_EPOCH (default 1980-01-01), and gzip runs with fixed settings.

Examples:
  daactl bundle --env production --key release.key --out daa-production-1.4.0.tar.gz
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) daactl bundle --env staging --key release.key
  openssl dgst -sha256 -verify release.pub -signature <(base64 -d BUNDLE.sig) BUNDLE")]
    Bundle(BundleArgs),

    /// Verify a bundle's signature, provenance and every file; optionally extract it
    #[command(after_help = "\
Checks, in order: the signature (BUNDLE.sig) over the bundle's bytes; the provenance
(BUNDLE.intoto.jsonl), signed with the same key, about this bundle's digest, with the
manifest's inputs as its materials; the archive (only regular files at safe relative paths,
no duplicates, no more than --max-size inflated); and every file against manifest.json (no
file missing, extra or changed). Nothing is written unless everything holds; --extract then
writes the files into a new or empty folder.

Examples:
  daactl verify daa-production-1.4.0.tar.gz --key release.pub
  daactl verify daa-production-1.4.0.tar.gz --key release.pub --extract ./release
  kubectl kustomize ./release/kustomize/overlays/production

Exit codes: 0 verified, 1 rejected (tampered, wrong key, unsafe archive), 2 error (unreadable
file, bad key file, usage).")]
    Verify(VerifyArgs),

    /// Push a bundle, its signature and provenance to an OCI registry as a Flux artifact
    #[command(after_help = "\
The artifact is an OCI image manifest with Flux's config media type and the bundle as its first
layer (application/vnd.cncf.flux.content.v1.tar+gzip), so Flux's OCIRepository deploys it; the
signature and provenance are further layers (docs/oci.md). The manifest digest is printed: pin
deployments to REPOSITORY@DIGEST. An existing tag is never replaced without --force.

Loopback registries (127.0.0.1, localhost, [::1]) are spoken to over plain HTTP, others over
HTTPS unless --plain-http. Credentials come from DAACTL_REGISTRY_USERNAME and
DAACTL_REGISTRY_PASSWORD (basic, or for a token from the registry's Bearer challenge).

Examples:
  daactl push daa-production-1.4.0.tar.gz oci://127.0.0.1:5000/daa/production:1.4.0
  daactl push daa-production-1.4.0.tar.gz oci://ghcr.io/acme/daa/production:1.4.0 --key release.pub
  daactl push daa-production-1.4.0.tar.gz oci://127.0.0.1:5000/daa/production:latest --force

Exit codes: 0 pushed, 1 the bundle did not verify (--key), 2 error (tag exists, registry, I/O).")]
    Push(PushArgs),

    /// Pull a bundle, its signature and provenance from an OCI registry
    #[command(after_help = "\
Every blob is checked against its digest. With --key the bundle is verified before anything is
written; the three files are written into --out under the bundle's own name, never replacing a
file unless --force.

Examples:
  daactl pull oci://127.0.0.1:5000/daa/production:1.4.0 --key release.pub
  daactl pull oci://127.0.0.1:5000/daa/production@sha256:0123... --out ./release
  daactl verify ./release/daa-production-1.4.0.tar.gz --key release.pub --extract ./release/files

Exit codes: 0 pulled, 1 the bundle did not verify (--key), 2 error (not found, registry, I/O).")]
    Pull(PullArgs),

    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  daactl completions bash > ~/.local/share/bash-completion/completions/daactl
  daactl completions zsh > \"${fpath[1]}/_daactl\"")]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// Which environments and templates to use.
#[derive(Debug, Args)]
pub struct Selection {
    /// Environment to use; repeat for several [default: all]
    #[arg(long = "env", value_name = "NAME")]
    pub environments: Vec<String>,

    /// Render with the templates in DIR instead of the built-in ones
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// Print one environment's objects as one YAML stream instead of writing files
    #[arg(long)]
    pub stdout: bool,
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub selection: Selection,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Grouped by environment and object, with hints.
    Human,
    /// The versioned JSON report (`daactl.report/v1`).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML for CI test reports.
    Junit,
    /// GitHub Actions annotations.
    Github,
    /// The compliance matrix of docs/requirements.md.
    Markdown,
}

/// The lowest severity that fails `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only critical findings fail.
    Critical,
    /// High and critical findings fail.
    High,
    /// Medium and above fail.
    Medium,
    /// Every finding fails.
    Low,
    /// Nothing fails (report only).
    None,
}

/// Output formats of `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// Tables for a terminal.
    Human,
    /// Every rule and requirement as JSON.
    Json,
    /// The rule reference of docs/rules.md.
    Markdown,
}

/// Output formats of `parity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParityFormat {
    /// Objects with their differing fields, one line each.
    Human,
    /// The versioned JSON report (`daactl.parity/v1`).
    Json,
}

/// Arguments of `parity`.
#[derive(Debug, Args)]
pub struct ParityArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// Folders of manifests, one per environment, to compare instead of fresh renders
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ParityFormat::Human)]
    pub format: ParityFormat,

    /// List only violations (allowed differences are still counted)
    #[arg(long)]
    pub violations: bool,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// YAML files or folders to check instead of a fresh render (needs one `--env`)
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ValidateFormat::Human)]
    pub format: ValidateFormat,

    /// Lowest severity of an unwaived finding that makes the exit code 1
    #[arg(long, value_enum, default_value_t = FailOn::High, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// Also exit 1 when an object could not be evaluated (for example, no schema for its kind)
    #[arg(long)]
    pub deny_unknown: bool,

    /// Ignore every waiver and show all findings as failing
    #[arg(long)]
    pub no_waivers: bool,

    /// Waiver file [default: daactl-waivers.toml in the project, if present, when no PATHS are given]
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// Kubernetes version to check PATHS against [default: the environment spec's]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Judge waiver expiry as of this date instead of today (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
}

/// The environment variable holding a private key's passphrase, unless `--passphrase-env`.
pub const PASSPHRASE_ENV: &str = "DAACTL_KEY_PASSPHRASE";

/// Arguments of `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Path prefix of the key pair: writes PREFIX.key and PREFIX.pub (a trailing `.key` or
    /// `.pub` is dropped first)
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,

    /// Environment variable whose value encrypts the private key (unset or empty: not encrypted)
    #[arg(long, value_name = "VAR", default_value = PASSPHRASE_ENV)]
    pub passphrase_env: String,

    /// Replace existing key files
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The environment to bundle
    #[arg(long, value_name = "NAME")]
    pub env: String,

    /// The private key (PEM) that signs the bundle
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,

    /// The bundle to write; BUNDLE.sig and BUNDLE.intoto.jsonl go beside it [default: daa-<env>.tar.gz]
    #[arg(long, value_name = "BUNDLE")]
    pub out: Option<PathBuf>,

    /// Environment variable holding the private key's passphrase, if it is encrypted
    #[arg(long, value_name = "VAR", default_value = PASSPHRASE_ENV)]
    pub passphrase_env: String,

    /// Render with the templates in DIR instead of the built-in ones
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

impl BundleArgs {
    /// The templates chosen, as a selection of every environment.
    pub fn selection(&self) -> Selection {
        Selection {
            environments: Vec::new(),
            templates: self.templates.clone(),
        }
    }
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle (`.tar.gz`)
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,

    /// The public key (PEM) it must be signed with
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,

    /// The signature [default: BUNDLE.sig]
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,

    /// The provenance [default: BUNDLE.intoto.jsonl]
    #[arg(long, value_name = "FILE")]
    pub provenance: Option<PathBuf>,

    /// Also require the bundle to be of this environment
    #[arg(long = "env", value_name = "ENV")]
    pub environment: Option<String>,

    /// After verifying, write the files into DIR (new or empty)
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,

    /// The most the archive may inflate to, in MiB (a larger one is refused as a bomb)
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_size: u64,
}

/// Arguments of `push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The bundle; BUNDLE.sig and BUNDLE.intoto.jsonl are pushed with it
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,

    /// Where to: oci://HOST[:PORT]/REPOSITORY:TAG
    #[arg(value_name = "REFERENCE")]
    pub reference: String,

    /// Verify the bundle with this public key before pushing
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// With --key, also require the bundle to be of this environment
    #[arg(long = "env", value_name = "ENV", requires = "key")]
    pub environment: Option<String>,

    /// Replace the tag if it already exists
    #[arg(long)]
    pub force: bool,

    /// Speak plain HTTP to a registry that is not on loopback
    #[arg(long)]
    pub plain_http: bool,
}

/// Arguments of `pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// What to pull: oci://HOST[:PORT]/REPOSITORY:TAG or oci://HOST[:PORT]/REPOSITORY@sha256:DIGEST
    #[arg(value_name = "REFERENCE")]
    pub reference: String,

    /// The folder to write the three files into
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Verify the bundle with this public key before writing anything
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// With --key, also require the bundle to be of this environment
    #[arg(long = "env", value_name = "ENV", requires = "key")]
    pub environment: Option<String>,

    /// Replace files of the same names
    #[arg(long)]
    pub force: bool,

    /// Speak plain HTTP to a registry that is not on loopback
    #[arg(long)]
    pub plain_http: bool,
}
