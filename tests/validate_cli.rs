//! `daactl validate`, `rules` and `explain` as users run them: exit codes, formats, and the
//! output accepted by the tools that consume it.

use std::process::Command;

mod common;

use common::{daactl, outcome, repo};

const FAILING: &str = "tests/fixtures/policy/K206-4/fail";
const EXAMPLE: &str = "tests/fixtures/requirements-example";

fn validate(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["validate", "--today", "2026-11-27"];
    all.extend_from_slice(args);
    outcome(&daactl(&repo(), &all))
}

/// A waiver scoped to other environments is not "unused" in a run of one environment:
/// development alone validates clean although every waiver of daactl-waivers.toml names
/// production and staging.
#[test]
fn each_environment_alone_validates_with_no_failing_finding() {
    for env in ["development", "staging", "production"] {
        let (code, stdout, stderr) = validate(&["--env", env, "-q"]);
        assert_eq!(code, 0, "{env}: {stdout}{stderr}");
    }
}

#[test]
fn the_repositorys_own_environments_validate_with_no_failing_finding() {
    let (code, stdout, stderr) = validate(&["--format", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let environments: Vec<&str> = report["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(environments, ["development", "production", "staging"]);
    let failing: Vec<&serde_json::Value> = report["environments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["findings"].as_array().unwrap())
        .chain(report["waiver_findings"].as_array().unwrap())
        .filter(|f| f["status"] != "waived")
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
}

#[test]
fn findings_exit_1_and_errors_exit_2() {
    let (code, stdout, _) = validate(&["--env", "production", FAILING]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error[K206-4]"), "{stdout}");
    // High findings under a threshold above them pass.
    let high_only = "tests/fixtures/validate/high-only.yaml";
    let (code, stdout, _) = validate(&["--env", "development", high_only]);
    assert_eq!(code, 1, "{stdout}");
    assert!(!stdout.contains(" critical: "), "{stdout}");
    let (code, _, _) = validate(&["--env", "development", "--fail-on", "critical", high_only]);
    assert_eq!(code, 0);
    let (code, _, _) = validate(&["--env", "production", "--fail-on", "none", FAILING]);
    assert_eq!(code, 0);

    let (code, _, stderr) = outcome(&daactl(&repo(), &["validate", "--today", "soon"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("not a date"), "{stderr}");
    for (args, needle) in [
        (vec![FAILING], "exactly one `--env`"),
        (
            vec!["--env", "nowhere", FAILING],
            "no policy parameters for environment `nowhere`",
        ),
        (
            vec!["--env", "production", "no/such/file.yaml"],
            "no/such/file.yaml: error: cannot read",
        ),
        (vec!["--format", "xml"], "invalid value 'xml'"),
    ] {
        let (code, _, stderr) = validate(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_manifest_is_an_error_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: on\n",
            "bad.yaml:6:6: error: the plain scalar `on`",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\n",
            "bad.yaml:1:1: error: no `metadata.name`",
        ),
    ] {
        std::fs::write(dir.path().join("bad.yaml"), text).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_daactl"))
            .args(["validate", "--env", "production"])
            .args(["--kubernetes-version", "1.33", "bad.yaml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let (code, _, stderr) = outcome(&output);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
    }
}

#[test]
fn the_requirements_example_yields_the_predicted_findings() {
    let (code, stdout, _) = validate(&["--env", "production", "--no-waivers", EXAMPLE]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("requirements_example_human", stdout);
    let (_, json, _) = validate(&["--env", "production", "--format", "json", EXAMPLE]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["schema"], "daactl.report/v1");
    let mut codes: Vec<&str> = report["environments"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    // What the policy map predicts for the seed: no seccomp profile and UID < 10000 (K206-2),
    // a mounted token (K206-5), a tag instead of a digest (K216-1), `spec.replicas` under an
    // HPA (K233-1), no zone spread (K231-1), no PodDisruptionBudget (K218-4), no per-pod
    // NetworkPolicy (K207-2), no ephemeral-storage requests and limits (K205-1).
    for expected in [
        "K205-1", "K206-2", "K206-5", "K207-2", "K216-1", "K218-4", "K231-1", "K233-1",
    ] {
        assert!(codes.contains(&expected), "{codes:?}");
    }
}

#[test]
fn waived_findings_are_reported_as_waived_in_every_format() {
    let case = "tests/fixtures/policy/X003/pass/used";
    let waivers = "tests/fixtures/policy/X003/pass/used/daactl-waivers.toml";
    let args = ["--env", "production", "--waivers", waivers, case];
    let (_, human, _) = validate(&args);
    assert!(human.contains("waived[K206-5]"), "{human}");
    assert!(human.contains("reason: lease renewal"), "{human}");
    // The waiver is what keeps K206-5 from failing: without waivers it fails.
    let (_, unwaived, _) = validate(&["--env", "production", "--no-waivers", case]);
    assert!(unwaived.contains("error[K206-5]"), "{unwaived}");
    assert!(!human.contains("error[K206-5]"), "{human}");
    let with_format = |format: &str| {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        validate(&all).1
    };
    let json: serde_json::Value = serde_json::from_str(&with_format("json")).unwrap();
    let finding = json["environments"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "K206-5")
        .unwrap()
        .clone();
    assert_eq!(finding["status"], "waived");
    assert_eq!(finding["waiver"]["owner"], "@platform");
    let sarif: serde_json::Value = serde_json::from_str(&with_format("sarif")).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "K206-5")
        .unwrap()
        .clone();
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "lease renewal needs the Kubernetes API"
    );
    let junit = with_format("junit");
    assert!(
        junit.contains("<skipped message=\"waived: lease renewal"),
        "{junit}"
    );
    let github = with_format("github");
    let waived = github.lines().find(|l| l.contains("title=K206-5")).unwrap();
    assert!(
        waived.starts_with("::notice ")
            && waived.contains("(high%2C waived)")
            && waived.contains("waived: lease renewal"),
        "waived findings are notices with their reason: {waived}"
    );
}

#[test]
fn github_annotations_carry_file_line_and_title() {
    let (_, stdout, _) = validate(&["--env", "production", "--format", "github", FAILING]);
    let first = stdout.lines().find(|l| l.contains("title=K206-4")).unwrap();
    assert!(
        first.starts_with(
            "::error file=tests/fixtures/policy/K206-4/fail/writable-privileged.yaml,line="
        ),
        "{first}"
    );
    assert!(
        first.contains("title=K206-4 container-security-context (high)::"),
        "{first}"
    );
}

#[test]
fn junit_is_well_formed_xml() {
    let (_, xml, _) = validate(&["--env", "production", "--format", "junit", EXAMPLE]);
    let (_, json, _) = validate(&["--env", "production", "--format", "json", EXAMPLE]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = report["environments"][0]["findings"]
        .as_array()
        .unwrap()
        .len();
    assert!(findings > 0);
    let Some(python) = common::tool("venv/bin/python3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, &xml).unwrap();
    let output = Command::new(python)
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
             print(r.tag, r.get('tests'), r.get('failures'), len(r.findall('.//failure')))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let (code, stdout, stderr) = outcome(&output);
    assert_eq!(code, 0, "{stderr}");
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let [tag, tests, failures, failure_elements] = fields[..] else {
        panic!("{stdout}");
    };
    assert_eq!(tag, "testsuites");
    // Every finding is one failing test case, counted in the header too; rules that found
    // nothing are passing (or skipped) cases besides.
    assert_eq!(failures, findings.to_string(), "{stdout}");
    assert_eq!(failure_elements, findings.to_string(), "{stdout}");
    assert!(tests.parse::<usize>().unwrap() > findings, "{stdout}");
}

/// SARIF is checked twice: against the SARIF 2.1.0 JSON Schema that ships with Microsoft's
/// SARIF multitool, and by the multitool's own validator, which must report no error or
/// warning (its notes ask for things an offline CLI cannot give, such as reachable URLs).
#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let Some(multitool) =
        common::tool("node/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
    else {
        return;
    };
    let schema_path = multitool.parent().unwrap().join("sarif-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("own", vec!["--format", "sarif"]),
        (
            "example",
            vec!["--env", "production", "--format", "sarif", EXAMPLE],
        ),
        (
            "waived",
            vec![
                "--env",
                "production",
                "--format",
                "sarif",
                "--waivers",
                "tests/fixtures/policy/X003/pass/used/daactl-waivers.toml",
                "tests/fixtures/policy/X003/pass/used",
            ],
        ),
    ] {
        let (_, sarif, stderr) = validate(&args);
        let log: serde_json::Value =
            serde_json::from_str(&sarif).unwrap_or_else(|e| panic!("{name}: {e}: {stderr}"));
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let input = dir.path().join(format!("{name}.sarif"));
        let checked = dir.path().join(format!("{name}.validation.sarif"));
        std::fs::write(&input, &sarif).unwrap();
        let output = Command::new(&multitool)
            .arg("validate")
            .arg(&input)
            .arg("--output")
            .arg(&checked)
            .args(["--level", "Error;Warning", "--kind", "Fail"])
            .output()
            .unwrap();
        let (code, stdout, stderr) = outcome(&output);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&checked).unwrap()).unwrap();
        let problems = &results["runs"][0]["results"];
        assert_eq!(
            problems.as_array().map_or(0, Vec::len),
            0,
            "{name}: {problems:#}"
        );
    }
    // Both checks can fail: a log with a bad level and an unknown property breaks the schema,
    // and a Windows path breaks the multitool's URI rule.
    let bad: serde_json::Value = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } }, "bogus": 1,
                   "results": [{ "message": { "text": "x" }, "level": "fatal" }] }]
    });
    assert!(!validator.is_valid(&bad));
    let windows = dir.path().join("windows.sarif");
    std::fs::write(&windows, r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"A","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"C:\\bad\\path"}}}]}]}]}"#).unwrap();
    let checked = dir.path().join("windows.validation.sarif");
    Command::new(&multitool)
        .arg("validate")
        .arg(&windows)
        .arg("--output")
        .arg(&checked)
        .args(["--level", "Error;Warning", "--kind", "Fail"])
        .output()
        .unwrap();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checked).unwrap()).unwrap();
    assert!(!results["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn rules_and_explain_print_from_the_registry() {
    let (code, stdout, _) = outcome(&daactl(&repo(), &["rules"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("K206-2"), "{stdout}");
    assert!(stdout.contains("REQ-T250"), "{stdout}");
    assert!(stdout.contains("50 requirements"), "{stdout}");
    let (code, stdout, _) = outcome(&daactl(&repo(), &["rules", "--format", "json"]));
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rules["requirements"].as_array().unwrap().len(), 50);
    let (code, stdout, _) = outcome(&daactl(&repo(), &["explain", "REQ-T206"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("K206-1"), "{stdout}");
    let (code, stdout, _) = outcome(&daactl(&repo(), &["explain", "k206-2"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Fails:") && stdout.contains("Passes:"),
        "{stdout}"
    );
    let (code, _, stderr) = outcome(&daactl(&repo(), &["explain", "K999-9"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no rule or requirement `K999-9`"),
        "{stderr}"
    );
}
