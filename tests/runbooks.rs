//! Runbooks (REQ-T240), both ways: every alert of every environment's rendered
//! PrometheusRules has its runbook file in `docs/runbooks/`, every runbook file there has an
//! alert, every `runbook_url` is that file's address on the main branch, and the committed
//! files are exactly what `daactl runbooks` writes (so a stale runbook fails here).

use std::collections::{BTreeMap, BTreeSet};

use daactl::observability::alerts::{self, RUNBOOKS_DIR};
use daactl::observability::runbooks::{self, INDEX, SECTIONS};
use daactl::project::main_branch_url;

mod common;

fn committed() -> BTreeMap<String, String> {
    let dir = common::repo().join(RUNBOOKS_DIR);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect()
}

#[test]
fn committed_runbooks_are_current() {
    let committed = committed();
    let wanted = runbooks::files();
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        wanted.keys().collect::<Vec<_>>(),
        "run `daactl runbooks`"
    );
    for (name, text) in &wanted {
        assert_eq!(
            &committed[name], text,
            "{name} is stale: run `daactl runbooks`"
        );
    }
}

#[test]
fn every_rendered_alert_has_its_runbook_and_every_runbook_an_alert() {
    let committed = committed();
    let mut alerted = BTreeSet::new();
    for rendered in common::render_repo() {
        for rule in rendered
            .resources
            .iter()
            .filter(|r| r.kind == "PrometheusRule")
        {
            for group in rule.value["spec"]["groups"].as_array().unwrap() {
                for rule in group["rules"].as_array().unwrap() {
                    let Some(name) = rule["alert"].as_str() else {
                        continue;
                    };
                    let file = format!("{name}.md");
                    let text = committed
                        .get(&file)
                        .unwrap_or_else(|| panic!("{name}: no {RUNBOOKS_DIR}/{file}"));
                    for section in SECTIONS {
                        assert!(
                            text.contains(&format!("\n## {section}\n")),
                            "{file}: {section}"
                        );
                    }
                    assert_eq!(
                        rule["annotations"]["runbook_url"].as_str(),
                        Some(main_branch_url(&format!("{RUNBOOKS_DIR}/{file}")).as_str())
                    );
                    assert!(committed[INDEX].contains(&format!("]({file})")));
                    alerted.insert(file);
                }
            }
        }
    }
    let runbook_files: BTreeSet<String> =
        committed.keys().filter(|n| *n != INDEX).cloned().collect();
    assert_eq!(
        alerted, runbook_files,
        "runbooks without an alert, or alerts without one"
    );
    assert_eq!(alerted.len(), alerts::catalogue().len());
}

#[test]
fn runbooks_check_fails_on_a_stale_or_orphaned_runbook() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("environments"),
        &dir.path().join("environments"),
    );
    common::copy_dir(
        &common::repo().join(RUNBOOKS_DIR),
        &dir.path().join(RUNBOOKS_DIR),
    );
    let (code, _, _) = common::outcome(&common::daactl(dir.path(), &["runbooks", "--check"]));
    assert_eq!(code, 0);
    let orphan = dir.path().join(RUNBOOKS_DIR).join("Gone.md");
    std::fs::write(&orphan, "# Gone\n").unwrap();
    let stale = dir.path().join(RUNBOOKS_DIR).join("PostgresBackupStale.md");
    std::fs::write(&stale, "# edited by hand\n").unwrap();
    let (code, _, stderr) = common::outcome(&common::daactl(dir.path(), &["runbooks", "--check"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("Gone.md: no alert"), "{stderr}");
    assert!(stderr.contains("PostgresBackupStale.md: stale"), "{stderr}");
    let (code, _, stderr) = common::outcome(&common::daactl(dir.path(), &["runbooks"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!orphan.exists());
    let (code, _, _) = common::outcome(&common::daactl(dir.path(), &["runbooks", "--check"]));
    assert_eq!(code, 0);
}
