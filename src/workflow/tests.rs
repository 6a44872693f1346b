//! The generated workflows pass every predicate; each predicate fails on a workflow that
//! breaks it, starting with the requirements' example.

use serde_json::{Value, json};

use super::check::{self, Kind};
use super::*;

fn repo_files() -> BTreeMap<String, String> {
    let specs = crate::testing::repository_specs();
    files(&specs.iter().map(|s| &s.environment).collect::<Vec<_>>()).expect("the workflows build")
}

fn parse(text: &str) -> Value {
    let mut documents = yaml::parse_stream(text).expect("a workflow parses strictly");
    assert_eq!(documents.len(), 1);
    documents.remove(0).value
}

fn kind_of(path: &str) -> Kind {
    match path.rsplit('/').next() {
        Some("ci.yml") => Kind::ServiceCi,
        Some("release.yml") => Kind::Release,
        Some("drift.yml") => Kind::Drift,
        other => panic!("unexpected workflow {other:?}"),
    }
}

#[test]
fn the_repository_gets_each_services_workflows_and_the_drift_workflow() {
    let names: Vec<String> = repo_files().into_keys().collect();
    assert_eq!(
        names,
        [
            "daa-service/ci.yml",
            "daa-service/release.yml",
            "daactl/drift.yml",
            "knowledge-service/ci.yml",
            "knowledge-service/release.yml",
            "pattern-service/ci.yml",
            "pattern-service/release.yml",
        ]
    );
}

#[test]
fn every_generated_workflow_passes_every_predicate() {
    for (path, text) in repo_files() {
        let findings = check::check(kind_of(&path), &parse(&text), &["production", "staging"]);
        assert!(findings.is_empty(), "{path}: {findings:#?}");
    }
}

#[test]
fn every_uses_carries_its_release_as_a_comment_and_nothing_else_is_added() {
    for (path, text) in repo_files() {
        let mut pinned = 0;
        for line in text.lines().filter(|l| l.contains("uses: ")) {
            let (reference, version) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
                .and_then(|rest| rest.split_once(COMMENT))
                .unwrap_or_else(|| panic!("{path}: `{line}` has no version comment"));
            assert_eq!(
                pin::by_reference(reference).map(|p| p.version),
                Some(version)
            );
            pinned += 1;
        }
        assert!(pinned > 0, "{path} uses no action");
        // Each line is the emitter's line, at most with a comment after it.
        let emitted = format!("---\n{}", yaml::emit(&parse(&text)));
        assert_eq!(text.lines().count(), emitted.lines().count(), "{path}");
        for (line, bare) in text.lines().zip(emitted.lines()) {
            assert!(
                line == bare
                    || line
                        .strip_prefix(bare)
                        .is_some_and(|c| c.starts_with(COMMENT)),
                "{path}: `{line}` is not `{bare}` with a comment"
            );
        }
        assert_eq!(text.lines().count(), emitted.lines().count(), "{path}");
    }
}

#[test]
fn every_permission_beyond_reading_contents_says_what_it_is_for() {
    for (path, text) in repo_files() {
        for line in text.lines() {
            let content = line.trim_start();
            for scope in [
                "packages:",
                "security-events:",
                "id-token:",
                "issues:",
                "contents: write",
            ] {
                if content.starts_with(scope) {
                    assert!(content.contains(COMMENT), "{path}: `{line}` has no purpose");
                }
            }
        }
    }
}

#[test]
fn the_services_test_against_the_production_database_images() {
    let files = repo_files();
    let ci = parse(&files["daa-service/ci.yml"]);
    let services = &ci["jobs"]["integration"]["services"];
    let production = crate::testing::repository_specs()
        .into_iter()
        .find(|s| s.environment.name == "production")
        .unwrap();
    let digest = production.environment.postgres.digest.unwrap();
    assert!(
        services["postgres"]["image"]
            .as_str()
            .unwrap()
            .ends_with(&format!("@{digest}"))
    );
    assert!(
        services["redis"]["image"]
            .as_str()
            .unwrap()
            .contains("@sha256:")
    );
}

#[test]
fn promotion_environments_with_different_registries_are_refused() {
    let mut specs = crate::testing::repository_specs();
    let staging = specs
        .iter_mut()
        .find(|s| s.environment.name == "production")
        .unwrap();
    staging.environment.images.registry = "ghcr.io/elsewhere".into();
    let err = files(&specs.iter().map(|s| &s.environment).collect::<Vec<_>>()).unwrap_err();
    assert!(
        matches!(err, WorkflowError::RegistryDiffers { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("environments/production.toml: error:"),
        "{err}"
    );
}

#[test]
fn a_project_without_staging_and_production_gets_only_the_drift_workflow() {
    let specs = crate::testing::repository_specs();
    let production: Vec<&crate::spec::model::Environment> = specs
        .iter()
        .map(|s| &s.environment)
        .filter(|e| e.name == "production")
        .collect();
    let names: Vec<String> = files(&production).unwrap().into_keys().collect();
    assert_eq!(names, ["daactl/drift.yml"]);
}

/// The CI/CD example of the requirements document, as it parses.
fn seed() -> Value {
    json!({
        "name": "CI/CD Pipeline",
        "on": {
            "push": {"branches": ["main", "develop"]},
            "pull_request": {"branches": ["main", "develop"]},
        },
        "env": {"REGISTRY": "ghcr.io", "IMAGE_NAME": "${{ github.repository }}"},
        "jobs": {
            "test": {"runs-on": "ubuntu-latest", "steps": [
                {"uses": "actions/checkout@v4"},
                {"run": "npm ci"},
                {"run": "npm run lint"},
                {"run": "npm run test:unit"},
                {"run": "npm run test:integration"},
                {"run": "npm run test:coverage"},
                {"uses": "codecov/codecov-action@v3"},
            ]},
            "security": {"runs-on": "ubuntu-latest", "steps": [
                {"uses": "actions/checkout@v4"},
                {"uses": "aquasecurity/trivy-action@master", "with": {
                    "scan-type": "fs", "scan-ref": ".", "format": "sarif", "output": "trivy-results.sarif"}},
            ]},
            "build": {"needs": ["test", "security"], "runs-on": "ubuntu-latest",
                "permissions": {"contents": "read", "packages": "write"}, "steps": [
                {"uses": "actions/checkout@v4"},
                {"id": "meta", "uses": "docker/metadata-action@v5"},
                {"uses": "docker/build-push-action@v5", "with": {
                    "context": ".", "push": true, "tags": "${{ steps.meta.outputs.tags }}"}},
                {"uses": "aquasecurity/trivy-action@master", "with": {
                    "image-ref": "${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}:${{ steps.meta.outputs.version }}",
                    "format": "sarif", "output": "trivy-image-results.sarif"}},
            ]},
            "deploy-staging": {"needs": "build", "if": "github.ref == 'refs/heads/develop'",
                "runs-on": "ubuntu-latest", "environment": "staging", "steps": [
                {"uses": "actions/checkout@v4"},
                {"run": "cd k8s/overlays/staging\nkustomize edit set image daa-service=${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}:${{ github.sha }}"},
            ]},
            "deploy-production": {"needs": "build", "if": "github.ref == 'refs/heads/main'",
                "runs-on": "ubuntu-latest", "environment": "production", "steps": [
                {"uses": "actions/checkout@v4"},
                {"uses": "actions/create-release@v1", "with": {"tag_name": "${{ github.ref }}"}},
            ]},
        },
    })
}

fn codes(findings: &[check::Finding]) -> std::collections::BTreeSet<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn the_requirements_example_fails_the_predicates_policy_map_finding_5_names() {
    let findings = check::check(Kind::ServiceCi, &seed(), &[]);
    let codes = codes(&findings);
    for code in [
        "C211-1", "C212-1", "C212-2", "C212-3", "C212-4", "C212-5", "C213-1", "C213-2", "C214-1",
        "C215-1", "C216-1", "C219-1",
    ] {
        assert!(codes.contains(code), "{code} missing from {findings:#?}");
    }
    assert!(findings.iter().any(|f| f.message.contains("develop")));
    let release = check::semver_release_with_changelog(&seed());
    assert!(
        release.iter().any(|f| f.message.contains("archived")),
        "{release:#?}"
    );
}

/// The generated `ci.yml` of daa-service with one change.
fn ci_with(change: impl FnOnce(&mut Value)) -> Value {
    let mut ci = parse(&repo_files()["daa-service/ci.yml"]);
    change(&mut ci);
    ci
}

fn step_mut<'a>(workflow: &'a mut Value, job: &str, name_prefix: &str) -> &'a mut Value {
    workflow["jobs"][job]["steps"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["name"].as_str().unwrap().starts_with(name_prefix))
        .unwrap_or_else(|| panic!("no step `{name_prefix}` in `{job}`"))
}

/// One change that breaks a generated workflow.
type Change = Box<dyn FnOnce(&mut Value)>;

#[test]
fn each_predicate_fails_on_one_broken_detail_of_the_generated_workflow() {
    let cases: Vec<(&str, Change)> = vec![
        (
            "C211-1",
            Box::new(|w| w["on"]["push"]["branches"] = json!(["main", "develop"])),
        ),
        (
            "C212-1",
            Box::new(|w| {
                step_mut(w, "build", "Set up Buildx")["uses"] =
                    json!("docker/setup-buildx-action@v3")
            }),
        ),
        (
            "C212-2",
            Box::new(|w| w["permissions"] = json!("write-all")),
        ),
        (
            "C212-2",
            Box::new(|w| w["jobs"]["unit"]["permissions"] = json!({"actions": "write"})),
        ),
        (
            "C212-3",
            Box::new(|w| step_mut(w, "unit", "Check out")["with"] = json!({})),
        ),
        (
            "C212-4",
            Box::new(|w| {
                step_mut(w, "unit", "Install")["run"] =
                    json!("echo ${{ github.event.head_commit.message }}")
            }),
        ),
        (
            "C212-5",
            Box::new(|w| {
                w.as_object_mut().unwrap().remove("concurrency");
            }),
        ),
        (
            "C212-6",
            Box::new(|w| {
                w["on"].as_object_mut().unwrap().remove("pull_request");
            }),
        ),
        (
            "C213-1",
            Box::new(|w| {
                w["jobs"].as_object_mut().unwrap().remove("e2e");
            }),
        ),
        (
            "C213-1",
            Box::new(|w| w["jobs"]["e2e"]["if"] = json!("github.event_name == 'push'")),
        ),
        (
            "C213-2",
            Box::new(|w| {
                step_mut(w, "unit", "Coverage gate")["env"]["COVERAGE_MINIMUM"] = json!("70")
            }),
        ),
        (
            "C213-2",
            Box::new(|w| step_mut(w, "unit", "Coverage gate")["continue-on-error"] = json!(true)),
        ),
        (
            "C214-1",
            Box::new(|w| {
                step_mut(w, "quality", "SonarQube")["with"]["args"] = json!("-Dsonar.projectKey=x")
            }),
        ),
        (
            "C214-1",
            Box::new(|w| step_mut(w, "quality", "Prettier")["run"] = json!("true")),
        ),
        (
            "C215-1",
            Box::new(|w| step_mut(w, "scan", "Trivy")["with"]["exit-code"] = json!("0")),
        ),
        (
            "C215-1",
            Box::new(|w| step_mut(w, "scan", "Trivy")["with"]["severity"] = json!("HIGH")),
        ),
        (
            "C215-1",
            Box::new(|w| step_mut(w, "scan", "Upload")["if"] = json!("success()")),
        ),
        (
            "C215-1",
            Box::new(|w| w["jobs"]["promote-staging"]["needs"] = json!(["build"])),
        ),
        (
            "C216-1",
            Box::new(|w| {
                step_mut(w, "build", "Build and push")["with"]["tags"] =
                    json!("${{ env.IMAGE }}:latest")
            }),
        ),
        (
            "C216-1",
            Box::new(|w| {
                w["jobs"]["build"]
                    .as_object_mut()
                    .unwrap()
                    .remove("outputs");
            }),
        ),
        (
            "C217-1",
            Box::new(|w| {
                step_mut(w, "unit", "Install")["run"] = json!("helm upgrade --install daa ./chart")
            }),
        ),
        (
            "C219-1",
            Box::new(|w| {
                w["jobs"]["promote-production"]
                    .as_object_mut()
                    .unwrap()
                    .remove("environment");
            }),
        ),
        (
            "C219-1",
            Box::new(|w| w["jobs"]["promote-production"]["needs"] = json!(["build", "scan"])),
        ),
    ];
    for (code, change) in cases {
        let broken = ci_with(change);
        let findings = check::check(Kind::ServiceCi, &broken, &[]);
        assert!(
            codes(&findings).contains(code),
            "{code} did not fire: {findings:#?}"
        );
    }
}

#[test]
fn the_release_and_drift_predicates_fail_on_broken_workflows() {
    let files = repo_files();
    let mut release = parse(&files["daa-service/release.yml"]);
    release["on"]["push"] = json!({"branches": ["main"], "tags": ["v*.*.*"]});
    release["jobs"]["release"]["steps"][0]["run"] = json!("echo no validation");
    let findings = check::check(Kind::Release, &release, &[]);
    assert_eq!(
        findings.iter().filter(|f| f.code == "C220-1").count(),
        2,
        "{findings:#?}"
    );

    let drift = parse(&files["daactl/drift.yml"]);
    assert!(check::check(Kind::Drift, &drift, &["staging", "production"]).is_empty());
    let findings = check::check(Kind::Drift, &drift, &["staging", "production", "qa"]);
    assert!(
        findings
            .iter()
            .any(|f| f.message.contains("rendered/terraform/qa")),
        "{findings:#?}"
    );
    let mut weekly = drift.clone();
    weekly["on"]["schedule"] = json!([{"cron": "17 5 * * 1"}]);
    assert!(codes(&check::daily_drift_plan(&weekly)).contains("C250-1"));
    let mut writer = drift.clone();
    writer["jobs"]["plan-staging"]["permissions"]["contents"] = json!("write");
    assert!(codes(&check::daily_drift_plan(&writer)).contains("C250-1"));
    let mut unreported = drift;
    unreported["jobs"]
        .as_object_mut()
        .unwrap()
        .remove("report-production");
    assert!(codes(&check::daily_drift_plan(&unreported)).contains("C250-1"));
}

#[test]
fn the_workflows_do_not_depend_on_the_order_of_the_environments() {
    let specs = crate::testing::repository_specs();
    let mut environments: Vec<_> = specs.iter().map(|s| &s.environment).collect();
    let forward = files(&environments).unwrap();
    environments.reverse();
    assert_eq!(forward, files(&environments).unwrap());
}
