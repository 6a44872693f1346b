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

Exit codes:
  0  success; for `diff`, the committed output is current
  1  `diff` found drift between rendered/ and a fresh render
  2  error: bad spec, bad template, unknown environment, usage, I/O";

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
