//! `daactl render`.

use anyhow::{Context as _, Result, bail};

use daactl::project::{Project, RENDERED_DIR, TERRAFORM_DIR};
use daactl::{output, parallel, terraform};

use super::{Outcome, Session, load_and_render, progress, shared_trees, write_stdout};
use crate::cli::RenderArgs;

/// Renders the selection; writes `rendered/<env>/` or, with `--stdout`, one stream.
pub fn run(session: &Session, project: &Project, args: &RenderArgs) -> Result<Outcome> {
    if args.stdout && args.selection.environments.len() != 1 {
        let known = project.environment_names()?;
        if known.len() != 1 || args.selection.environments.len() > 1 {
            bail!(
                "error: `--stdout` prints one environment\n  hint: choose it with `--env`, one of: {}",
                known.join(", ")
            );
        }
    }
    // Everything renders in memory first: one bad environment means nothing is written.
    let (specs, rendered) = load_and_render(project, &args.selection)?;
    if args.stdout {
        write_stdout(rendered[0].stream().as_bytes())?;
        return Ok(Outcome::Success);
    }
    let shared = shared_trees(project, &specs, &rendered)?;
    // Each selected environment's Terraform, also in memory before anything is written.
    let terraform: Vec<_> = specs.iter().map(terraform::files).collect();
    let dir = project.rendered_dir();
    // Environments are written independently (each swapped in atomically), in parallel.
    let summaries = parallel::map(&rendered, |environment| {
        output::write_environment(&dir, &environment.environment, &environment.files())
            .with_context(|| format!("writing {RENDERED_DIR}/{}", environment.environment))
    });
    for (environment, summary) in rendered.iter().zip(summaries) {
        let summary = summary?;
        progress(
            session,
            &format!(
                "{RENDERED_DIR}/{}: {} objects ({} written, {} removed, {} unchanged)",
                environment.environment,
                environment.resources.len(),
                summary.written,
                summary.removed,
                summary.unchanged
            ),
        );
    }
    // rendered/terraform/<env>/ belongs to its environment, so `--env X` writes X's.
    let terraform_dir = dir.join(TERRAFORM_DIR);
    for (environment, files) in rendered.iter().zip(&terraform) {
        let name = &environment.environment;
        let shown = format!("{RENDERED_DIR}/{TERRAFORM_DIR}/{name}");
        if files.is_empty() {
            // A local environment has no Terraform: remove what an earlier spec left.
            let stale = terraform_dir.join(name);
            if stale.is_dir() {
                std::fs::remove_dir_all(&stale).with_context(|| format!("removing {shown}"))?;
                progress(session, &format!("{shown}: removed (no cloud)"));
            }
            continue;
        }
        let summary = output::write_environment(&terraform_dir, name, files)
            .with_context(|| format!("writing {shown}"))?;
        progress(
            session,
            &format!(
                "{shown}: {} files ({} written, {} removed, {} unchanged)",
                files.len(),
                summary.written,
                summary.removed,
                summary.unchanged
            ),
        );
    }
    match shared {
        Some(trees) => {
            for tree in trees {
                let summary = output::write_environment(&dir, tree.name, &tree.files)
                    .with_context(|| format!("writing {RENDERED_DIR}/{}", tree.name))?;
                progress(
                    session,
                    &format!(
                        "{RENDERED_DIR}/{}: {} files ({} written, {} removed, {} unchanged)",
                        tree.name,
                        tree.files.len(),
                        summary.written,
                        summary.removed,
                        summary.unchanged
                    ),
                );
            }
        }
        None => progress(
            session,
            &format!(
                "{RENDERED_DIR}/kustomize, {RENDERED_DIR}/helm and {RENDERED_DIR}/gitops are built from every environment together: not written for a selection"
            ),
        ),
    }
    Ok(Outcome::Success)
}
