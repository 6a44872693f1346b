//! The real tools: `kubernetes-validate --strict` (Kubernetes' own OpenAPI schemas) accepts
//! every built-in object of every environment, for the oldest Kubernetes the requirements
//! allow and for the version the clusters run; `yamllint --strict` finds nothing in the
//! rendered YAML. `scripts/install-tools.sh` installs them; a missing tool fails under CI
//! and is skipped, loudly, elsewhere.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// Custom resources, which kubernetes-validate has no schema for; `daactl validate` checks
/// them against their operators' schemas (Istio's strictly, from the vendored CRD schemas).
const CUSTOM_KINDS: &[&str] = &[
    "Cluster",
    "ScheduledBackup",
    "ExternalSecret",
    "ClusterSecretStore",
    "AuthorizationPolicy",
    "DestinationRule",
    "Gateway",
    "PeerAuthentication",
    "VirtualService",
    "PrometheusRule",
    "ServiceMonitor",
    "PodMonitor",
    "Rollout",
    "AnalysisTemplate",
];

fn kubernetes_validate() -> Option<PathBuf> {
    common::tool("venv/bin/kubernetes-validate")
}

fn run(tool: &PathBuf, version: &str, files: &[PathBuf]) -> (bool, String) {
    let output = Command::new(tool)
        .args(["--strict", "--kubernetes-version", version])
        .args(files)
        .output()
        .expect("kubernetes-validate runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn kubernetes_validate_strict_accepts_every_built_in_object() {
    let Some(tool) = kubernetes_validate() else {
        return;
    };
    for environment in common::render_repo() {
        let root = common::repo()
            .join("rendered")
            .join(&environment.environment);
        let files: Vec<PathBuf> = environment
            .resources
            .iter()
            .map(|r| root.join(r.file_name()))
            .collect();
        for version in ["1.28.0", "1.33.0"] {
            let (ok, report) = run(&tool, version, &files);
            assert!(
                ok,
                "{}: kubernetes-validate {version} failed:\n{report}",
                environment.environment
            );
            for resource in &environment.resources {
                let file = root.join(resource.file_name());
                let line = report
                    .lines()
                    .find(|line| line.contains(&*file.to_string_lossy()))
                    .unwrap_or_else(|| panic!("no verdict on {}", file.display()));
                if CUSTOM_KINDS.contains(&resource.kind.as_str()) {
                    assert!(line.contains("Couldn't find schema"), "{line}");
                } else {
                    assert!(
                        line.starts_with("INFO") && line.contains("passed"),
                        "{version}: {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn kubernetes_validate_strict_rejects_an_unknown_field() {
    let Some(tool) = kubernetes_validate() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let service = common::repo().join("rendered/production/production/service-daa-service.yaml");
    let text = std::fs::read_to_string(service)
        .unwrap()
        .replace("type: ClusterIP", "type: ClusterIP\n  clusterIPs_: []");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, text).unwrap();
    let (ok, report) = run(&tool, "1.33.0", &[bad]);
    assert!(
        !ok,
        "an unknown field must fail strict validation:\n{report}"
    );
}

fn yamllint(paths: &[&std::path::Path]) -> Option<(bool, String)> {
    let tool = common::tool("venv/bin/yamllint")?;
    let output = Command::new(tool)
        .arg("--strict")
        .arg("--config-file")
        .arg(common::repo().join(".yamllint.yaml"))
        .args(["--format", "parsable"])
        .args(paths)
        .output()
        .expect("yamllint runs");
    Some((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

#[test]
fn yamllint_strict_finds_nothing_in_the_rendered_yaml() {
    let rendered = common::repo().join("rendered");
    let Some((ok, report)) = yamllint(&[&rendered]) else {
        return;
    };
    assert!(ok && report.is_empty(), "yamllint:\n{report}");
}

#[test]
fn yamllint_strict_rejects_untidy_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let untidy = dir.path().join("untidy.yaml");
    std::fs::write(&untidy, "---\nkey: value \nlist:\n- a\n").unwrap();
    let Some((ok, report)) = yamllint(&[&untidy]) else {
        return;
    };
    assert!(
        !ok,
        "yamllint must refuse trailing spaces and unindented sequences:\n{report}"
    );
}
