//! Command handlers: the edge where typed errors become `anyhow` with context.

mod bundle;
mod diff;
mod parity;
mod registry;
mod render;
mod runbooks;
mod validate;

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use clap::CommandFactory as _;

use daactl::project::Project;
use daactl::render::{Rendered, Renderer, TemplateSet};

use crate::cli::{Cli, ColorChoice, Command, Selection};

/// How a command ended, when it did not fail.
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the committed output differs from a fresh render.
    Drift,
    /// Exit 1: validation found a failing finding.
    Findings,
    /// Exit 1: a bundle did not verify.
    Rejected,
}

/// Settings every command shares.
pub struct Session {
    /// Suppress progress and summaries.
    pub quiet: bool,
    /// Colour standard output.
    pub color: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let session = Session {
        quiet: cli.quiet,
        color,
    };
    match cli.command {
        Command::Render(args) => {
            let project = open(cli.project.as_deref())?;
            render::run(&session, &project, &args)
        }
        Command::Diff(args) => {
            let project = open(cli.project.as_deref())?;
            diff::run(&session, &project, &args.selection)
        }
        Command::Validate(args) => {
            // Manifests named on the command line need no project; a render does.
            let project = if args.paths.is_empty() {
                Some(open(cli.project.as_deref())?)
            } else {
                open(cli.project.as_deref()).ok()
            };
            validate::run(&session, project.as_ref(), &args)
        }
        Command::Parity(args) => {
            let project = if args.paths.is_empty() {
                Some(open(cli.project.as_deref())?)
            } else {
                open(cli.project.as_deref()).ok()
            };
            parity::run(project.as_ref(), &args)
        }
        Command::Rules { format } => validate::rules(format),
        Command::Explain { id } => validate::explain(&id),
        Command::Schema { markdown } => {
            let schema = daactl::spec::json_schema();
            let text = if markdown {
                daactl::spec::reference::markdown(&schema)
            } else {
                serde_json::to_string_pretty(&schema).context("serializing the schema")? + "\n"
            };
            write_stdout(text.as_bytes())?;
            Ok(Outcome::Success)
        }
        Command::Runbooks { check } => {
            let project = open(cli.project.as_deref())?;
            runbooks::run(&session, &project, check)
        }
        Command::Keygen(args) => bundle::keygen(&session, &args),
        Command::Bundle(args) => {
            let project = open(cli.project.as_deref())?;
            bundle::bundle(&session, &project, &args)
        }
        Command::Verify(args) => bundle::verify(&session, &args),
        Command::Push(args) => registry::push(&session, &args),
        Command::Pull(args) => registry::pull(&session, &args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "daactl", &mut script);
            write_stdout(&script)?;
            Ok(Outcome::Success)
        }
    }
}

fn open(explicit: Option<&Path>) -> Result<Project> {
    let cwd = std::env::current_dir().context("reading the current folder")?;
    Ok(Project::discover(explicit, &cwd)?)
}

/// The trees built from every environment together, when the selection is every
/// environment of the project; `None` when it is fewer (the trees would be partial).
/// `specs` and `rendered` are in the same order.
pub fn shared_trees(
    project: &Project,
    specs: &[daactl::spec::Spec],
    rendered: &[Rendered],
) -> Result<Option<Vec<daactl::shared::Tree>>> {
    let known = project.environment_names()?;
    let every = known
        .iter()
        .all(|name| rendered.iter().any(|r| &r.environment == name));
    if !every {
        return Ok(None);
    }
    let mut trees = daactl::shared::build(specs, rendered)?;
    let environments: Vec<_> = specs
        .iter()
        .map(|spec| &spec.environment)
        .zip(rendered)
        .collect();
    trees.push(daactl::gitops::tree(&environments));
    Ok(Some(trees))
}

/// Loads the selected specs and renders them, all in memory.
pub fn render_selection(project: &Project, selection: &Selection) -> Result<Vec<Rendered>> {
    Ok(load_and_render(project, selection)?.1)
}

/// Loads the selected specs and renders them; returns both, in the same order.
pub fn load_and_render(
    project: &Project,
    selection: &Selection,
) -> Result<(Vec<daactl::spec::Spec>, Vec<Rendered>)> {
    let templates = template_set(selection)?;
    let renderer = Renderer::new(templates)?;
    let specs = project.load_specs(&selection.environments)?;
    let rendered = renderer.render_all(&specs)?;
    Ok((specs, rendered))
}

/// The selection's templates: those of `--templates DIR`, or the built-in ones.
pub fn template_set(selection: &Selection) -> Result<TemplateSet> {
    Ok(match &selection.templates {
        Some(dir) => {
            if !dir.is_dir() {
                bail!(
                    "{}: error: no such template folder\n  hint: `--templates` takes a folder of `*.j2` files",
                    dir.display()
                );
            }
            TemplateSet::from_dir(dir, &dir.display().to_string())?
        }
        None => TemplateSet::embedded()?,
    })
}

/// Writes data to standard output; a closed pipe surfaces as an `io::Error`.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes a progress line to standard error unless `--quiet`.
pub fn progress(session: &Session, line: &str) {
    if !session.quiet {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}
