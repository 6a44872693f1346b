//! `daactl parity`.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use daactl::parity::{self, AllowList, Parity, report};
use daactl::policy::manifest::ManifestSet;
use daactl::render::Rendered;
use daactl::variance::Variance;

use super::{Outcome, Project, render_selection, write_stdout};
use crate::cli::{ParityArgs, ParityFormat};

/// Compares the selected environments' fresh renders, or the folders in `args.paths`.
pub fn run(project: Option<&Project>, args: &ParityArgs) -> Result<Outcome> {
    let renders = if args.paths.is_empty() {
        let project = project
            .context("no project to render; pass one folder of manifests per environment or run inside a daactl project")?;
        render_selection(project, &args.selection)?
    } else {
        if !args.selection.environments.is_empty() {
            bail!(
                "error: `--env` selects environments to render; with PATHS each folder is one environment\n  hint: drop `--env`, or drop the PATHS"
            );
        }
        let cwd = std::env::current_dir().context("reading the current folder")?;
        let renders: Vec<Rendered> = args
            .paths
            .iter()
            .map(|path| load_folder(path, &cwd))
            .collect::<Result<_>>()?;
        for (index, render) in renders.iter().enumerate() {
            if renders[..index]
                .iter()
                .any(|r| r.environment == render.environment)
            {
                bail!(
                    "{}: error: two folders are named `{}`; each folder is one environment, named after it\n  hint: copy one of them to a folder named after its environment",
                    args.paths[index].display(),
                    render.environment
                );
            }
        }
        renders
    };
    if renders.len() < 2 {
        bail!(
            "error: parity compares environments; {} given\n  hint: select at least two with `--env`, or pass two folders",
            renders.len()
        );
    }
    let allow = AllowList::embedded()?;
    let parity = Parity::of(&Variance::of(&renders), &allow);
    let text = match args.format {
        ParityFormat::Human => report::human(&parity, args.violations),
        ParityFormat::Json => {
            serde_json::to_string_pretty(&report::json(&parity))
                .context("serializing the report")?
                + "\n"
        }
    };
    write_stdout(text.as_bytes())?;
    Ok(if parity.violations() > 0 {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

/// One environment's manifests from a folder named after it.
fn load_folder(path: &Path, cwd: &Path) -> Result<Rendered> {
    if !path.is_dir() {
        bail!(
            "{}: error: not a folder\n  hint: pass one folder of manifests per environment, such as rendered/staging",
            path.display()
        );
    }
    let environment = path
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .with_context(|| format!("{}: no folder name to call the environment", path.display()))?;
    let set = ManifestSet::load(&[path.to_path_buf()], cwd)?;
    Ok(parity::as_render(&environment, &set))
}
