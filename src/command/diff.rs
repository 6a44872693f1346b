//! `daactl diff`.

use anyhow::{Context as _, Result};

use daactl::diff::{colorize, compare};
use daactl::project::{Project, RENDERED_DIR, TERRAFORM_DIR};
use daactl::{output, parallel, terraform};

use super::{Outcome, Session, load_and_render, progress, shared_trees, write_stdout};
use crate::cli::Selection;

/// Compares `rendered/<env>/` with a fresh render of each selected environment, and, when
/// every environment is selected, the trees built from all of them.
pub fn run(session: &Session, project: &Project, selection: &Selection) -> Result<Outcome> {
    let (specs, rendered) = load_and_render(project, selection)?;
    let dir = project.rendered_dir();
    // Reading, emitting and comparing are independent per environment: one thread each.
    let mut diffs = parallel::map(&rendered, |environment| {
        let name = &environment.environment;
        let committed = output::read_tree(&dir.join(name))
            .with_context(|| format!("reading {RENDERED_DIR}/{name}"))?;
        Ok(compare(
            name,
            &format!("{RENDERED_DIR}/{name}"),
            &committed,
            &environment.files(),
        ))
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    // Each cloud environment's Terraform; a local environment's folder must not exist.
    for spec in &specs {
        let name = &spec.environment.name;
        let shown = format!("{RENDERED_DIR}/{TERRAFORM_DIR}/{name}");
        let committed = output::read_tree(&dir.join(TERRAFORM_DIR).join(name))
            .with_context(|| format!("reading {shown}"))?;
        let files = terraform::files(spec);
        if committed.is_empty() && files.is_empty() {
            continue;
        }
        diffs.push(compare(
            &format!("{TERRAFORM_DIR}/{name}"),
            &shown,
            &committed,
            &files,
        ));
    }
    let trees = shared_trees(project, &specs, &rendered)?.unwrap_or_default();
    let tree_names: Vec<String> = trees
        .iter()
        .map(|t| format!("{RENDERED_DIR}/{}", t.name))
        .collect();
    for tree in trees {
        let name = tree.name;
        let committed = output::read_tree(&dir.join(name))
            .with_context(|| format!("reading {RENDERED_DIR}/{name}"))?;
        diffs.push(compare(
            name,
            &format!("{RENDERED_DIR}/{name}"),
            &committed,
            &tree.files,
        ));
    }
    let drift = diffs.iter().any(|d| !d.is_clean());
    if !drift {
        let objects: usize = rendered.iter().map(|r| r.resources.len()).sum();
        progress(
            session,
            &format!(
                "{RENDERED_DIR}/ is current: {} environments, {objects} objects{}",
                rendered.len(),
                if tree_names.is_empty() {
                    String::new()
                } else {
                    format!("; {}", tree_names.join(", "))
                }
            ),
        );
        return Ok(Outcome::Success);
    }
    let mut report = String::new();
    for diff in &diffs {
        report.push_str(&diff.summary());
        report.push('\n');
    }
    if !session.quiet {
        for diff in &diffs {
            for patch in &diff.patches {
                report.push('\n');
                report.push_str(&if session.color {
                    colorize(patch)
                } else {
                    patch.clone()
                });
            }
        }
    }
    write_stdout(report.as_bytes())?;
    progress(
        session,
        "\nhint: run `daactl render` and commit rendered/, or revert the edit",
    );
    Ok(Outcome::Drift)
}
