//! `daactl parity` as users run it: the repository's environments, fixture pairs, formats and
//! exit codes.

mod common;

use common::{daactl, outcome, repo};

const FIXTURES: &str = "tests/fixtures/policy/E245-1";

fn parity(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["parity"];
    all.extend_from_slice(args);
    outcome(&daactl(&repo(), &all))
}

#[test]
fn the_repositorys_environments_differ_only_in_scale_and_data() {
    let (code, stdout, stderr) = parity(&["--format", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["schema"], "daactl.parity/v1");
    assert_eq!(report["reference"], "production");
    assert_eq!(report["summary"]["violations"], 0);
    let differences: Vec<&serde_json::Value> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["differences"].as_array().unwrap())
        .collect();
    assert!(
        differences.iter().all(|d| d["verdict"] == "allowed"),
        "every listed difference is allowed"
    );
    // The environments do differ, and each category of the allow-list is used.
    for category in ["scale", "data", "release", "derived", "platform", "naming"] {
        assert!(
            report["summary"]["allowed"][category].as_u64().unwrap_or(0) > 0,
            "no `{category}` difference in {}",
            report["summary"]
        );
    }
    // Each difference names its object, path and every environment's value.
    let limit = differences
        .iter()
        .find(|d| {
            d["path"] == "spec.template.spec.containers[daa-service].resources.limits.cpu"
                || d["path"] == "spec.template.spec.containers[daa-service].resources"
        })
        .expect("daa-service's CPU limit differs between development and production");
    assert_eq!(limit["category"], "scale");
    assert_eq!(
        limit["values"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["development", "production", "staging"]
    );
}

#[test]
fn a_pair_differing_only_in_allowed_paths_exits_0() {
    let (code, stdout, stderr) = parity(&[
        &format!("{FIXTURES}/pass/scale-and-data/production"),
        &format!("{FIXTURES}/pass/scale-and-data/development"),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("scale      spec.template.spec.containers[web].resources.limits.cpu  production \"500m\" · development \"100m\""), "{stdout}");
    assert!(
        stdout.ends_with(
            "11 allowed differences (data 1, naming 7, release 1, scale 2), 0 violations\n"
        ),
        "{stdout}"
    );
}

#[test]
fn a_pair_differing_in_a_security_field_exits_1_naming_the_path() {
    let dir = format!("{FIXTURES}/fail/security-field");
    let (code, stdout, stderr) = parity(&[
        "--violations",
        &format!("{dir}/production"),
        &format!("{dir}/development"),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, json, _) = parity(&[
        "--format",
        "json",
        &format!("{dir}/production"),
        &format!("{dir}/development"),
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let violations: Vec<(&str, &str)> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["differences"].as_array().unwrap())
        .filter(|d| d["verdict"] == "violation")
        .map(|d| (d["path"].as_str().unwrap(), d["pointer"].as_str().unwrap()))
        .collect();
    assert_eq!(
        violations,
        [(
            "spec.template.spec.containers[web].securityContext.readOnlyRootFilesystem",
            "/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem"
        )]
    );
}

#[test]
fn validate_reports_the_violation_on_the_object_and_line() {
    // The rule of `daactl validate` is the same judgement: see the E245-1 fixtures and their
    // snapshot. Here: a whole project whose development shares process namespaces.
    let project = common::project_copy();
    std::fs::copy(
        repo().join("daactl-waivers.toml"),
        project.path().join("daactl-waivers.toml"),
    )
    .unwrap();
    let templates = project.path().join("templates");
    common::copy_dir(&repo().join("templates"), &templates);
    let deployment = templates.join("deployment.yaml.j2");
    let text = std::fs::read_to_string(&deployment).unwrap();
    let line = "      enableServiceLinks: false\n";
    assert!(text.contains(line), "the template's pod spec has changed");
    let relaxed = text.replacen(
        line,
        &format!("{line}      shareProcessNamespace: {{{{ env.name == \"development\" }}}}\n"),
        1,
    );
    std::fs::write(&deployment, relaxed).unwrap();
    let validate = |env: &str| {
        outcome(&daactl(
            project.path(),
            &[
                "validate",
                "--today",
                "2026-11-27",
                "--templates",
                "templates",
                "--env",
                env,
            ],
        ))
    };
    let (code, stdout, stderr) = validate("development");
    assert_eq!(code, 1, "{stdout}{stderr}");
    // One finding per service, each at the field's line in the development file.
    let located = regex_lite::Regex::new(
        r"rendered/development/development/deployment-([a-z-]+)\.yaml:(\d+):(\d+): error\[E245-1\] high: `spec\.template\.spec\.shareProcessNamespace` of `Deployment <app>/([a-z-]+)` is `true` here but `false` in production",
    )
    .unwrap();
    let found: Vec<(String, String)> = located
        .captures_iter(&stdout)
        .map(|c| (c[1].to_owned(), c[4].to_owned()))
        .collect();
    assert_eq!(
        found.len(),
        3,
        "one E245-1 finding per service, located:\n{stdout}"
    );
    assert!(found.iter().all(|(file, object)| file == object));
    // Only development differs from production; staging has no finding.
    let (code, stdout, stderr) = validate("staging");
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn refuses_what_it_cannot_compare() {
    let (code, _, stderr) = parity(&["--env", "production"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("parity compares environments; 1 given"),
        "{stderr}"
    );
    let (code, _, stderr) = parity(&[
        "--env",
        "staging",
        "rendered/staging",
        "rendered/production",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("with PATHS each folder is one environment"),
        "{stderr}"
    );
    let (code, _, stderr) = parity(&["README.md", "rendered/production"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("README.md: error: not a folder"),
        "{stderr}"
    );
}

#[test]
fn committed_folders_compare_like_fresh_renders() {
    let (code, folders, stderr) = parity(&[
        "--format",
        "json",
        "rendered/production",
        "rendered/staging",
    ]);
    assert_eq!(code, 0, "{folders}{stderr}");
    let (_, fresh, _) = parity(&[
        "--format",
        "json",
        "--env",
        "production",
        "--env",
        "staging",
    ]);
    // Folders list objects in file order, renders in install order: compare as sets.
    let report = |text: &str| {
        let mut report: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut objects: Vec<String> = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.to_string())
            .collect();
        objects.sort();
        report["objects"] = serde_json::json!(objects);
        report.as_object_mut().unwrap().remove("version");
        report
    };
    let (folders, fresh) = (report(&folders), report(&fresh));
    assert!(
        folders == fresh,
        "the committed folders and fresh renders differ in objects, paths, values or verdicts"
    );
}

#[test]
fn two_folders_of_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("elsewhere/staging");
    common::copy_dir(&repo().join("rendered/staging"), &copy);
    let (code, _, stderr) = parity(&["rendered/staging", copy.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("two folders are named `staging`"),
        "{stderr}"
    );
}
