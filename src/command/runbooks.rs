//! `daactl runbooks`: writes `docs/runbooks/` from the alert catalogue, or checks it.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};

use daactl::observability::alerts::RUNBOOKS_DIR;
use daactl::observability::runbooks;
use daactl::project::Project;

use super::{Outcome, Session};

/// What differs between the folder and the generated runbooks, by file name.
fn differences(
    existing: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, text) in wanted {
        match existing.get(name) {
            None => out.push(format!("{RUNBOOKS_DIR}/{name}: missing")),
            Some(have) if have != text => out.push(format!("{RUNBOOKS_DIR}/{name}: stale")),
            Some(_) => {}
        }
    }
    for name in existing.keys().filter(|n| !wanted.contains_key(*n)) {
        out.push(format!(
            "{RUNBOOKS_DIR}/{name}: no alert of schemas/alerts.toml has this runbook"
        ));
    }
    out
}

pub fn run(session: &Session, project: &Project, check: bool) -> Result<Outcome> {
    let dir = project.root.join(RUNBOOKS_DIR);
    let mut existing = BTreeMap::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {RUNBOOKS_DIR}"))? {
            let path = entry
                .with_context(|| format!("reading {RUNBOOKS_DIR}"))?
                .path();
            if path.extension().is_some_and(|e| e == "md") {
                let name = path
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {RUNBOOKS_DIR}/{name}"))?;
                existing.insert(name, text);
            }
        }
    }
    let wanted = runbooks::files();
    let differences = differences(&existing, &wanted);
    if check {
        for line in &differences {
            eprintln!("{line}");
        }
        if differences.is_empty() {
            return Ok(Outcome::Success);
        }
        eprintln!("\n  hint: run `daactl runbooks` and commit docs/runbooks/");
        return Ok(Outcome::Drift);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {RUNBOOKS_DIR}"))?;
    for name in existing.keys().filter(|n| !wanted.contains_key(*n)) {
        std::fs::remove_file(dir.join(name))
            .with_context(|| format!("removing {RUNBOOKS_DIR}/{name}"))?;
    }
    for (name, text) in &wanted {
        if existing.get(name) != Some(text) {
            std::fs::write(dir.join(name), text)
                .with_context(|| format!("writing {RUNBOOKS_DIR}/{name}"))?;
        }
    }
    if !session.quiet {
        eprintln!(
            "{RUNBOOKS_DIR}: {} runbooks, {} files changed",
            wanted.len() - 1,
            differences.len()
        );
    }
    Ok(Outcome::Success)
}
