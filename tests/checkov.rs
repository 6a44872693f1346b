//! An independent policy scanner agrees with daactl: checkov (kubernetes framework, offline),
//! run on each environment's whole rendered folder, fails only checks that a documented skip
//! in `schemas/checkov-skips.toml` covers, every skip still matches a finding, and the run
//! parsed every file and passed checks, so the test cannot pass vacuously. A tampered copy
//! shows checkov really fails. `scripts/install-tools.sh` installs checkov; a missing tool
//! fails under CI and is skipped, loudly, elsewhere. `docs/checkov.md` explains the skips.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

/// The documented skips, relative to the repository.
const SKIPS: &str = "schemas/checkov-skips.toml";

/// Kinds checkov has resource checks for: each rendered object of these kinds must get a
/// verdict, which proves checkov read its file.
const CHECKED_KINDS: &[&str] = &[
    "ConfigMap",
    "Deployment",
    "Role",
    "RoleBinding",
    "Service",
    "ServiceAccount",
];

/// The graph check that pairs pods with NetworkPolicies; it only sees the policies of the
/// scanned set, which is why whole environment folders are scanned.
const NETWORK_POLICY_CHECK: &str = "CKV2_K8S_6";

/// A run takes seconds; a hung one (waiting on a network it must not use) fails instead.
const TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipList {
    skip: Vec<Skip>,
}

/// A documented skip: a check id, where it applies, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Skip {
    check: String,
    /// Empty means every environment.
    #[serde(default)]
    environments: Vec<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    reason: String,
}

impl Skip {
    fn applies_to(&self, environment: &str) -> bool {
        self.environments.is_empty() || self.environments.iter().any(|e| e == environment)
    }

    fn covers(&self, environment: &str, finding: &Finding) -> bool {
        let (kind, namespace, name) = finding.resource_parts();
        let matches = |selector: &Option<String>, value: &str| {
            selector.as_deref().is_none_or(|wanted| wanted == value)
        };
        self.check == finding.check
            && self.applies_to(environment)
            && matches(&self.kind, kind)
            && matches(&self.namespace, namespace)
            && matches(&self.name, name)
    }

    fn describe(&self) -> String {
        let mut text = self.check.clone();
        if !self.environments.is_empty() {
            text += &format!(" in {}", self.environments.join(", "));
        }
        for (key, value) in [
            ("kind", &self.kind),
            ("namespace", &self.namespace),
            ("name", &self.name),
        ] {
            if let Some(value) = value {
                text += &format!(" {key}={value}");
            }
        }
        text
    }
}

fn skips() -> Vec<Skip> {
    let path = common::repo().join(SKIPS);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{SKIPS}: {e}"));
    toml::from_str::<SkipList>(&text)
        .unwrap_or_else(|e| panic!("{SKIPS}: {e}"))
        .skip
}

/// One check's verdict on one resource, as checkov reports it.
#[derive(Debug, Clone)]
struct Finding {
    check: String,
    title: String,
    /// `<kind>.<namespace>.<name>`; pods that checkov derives from a Deployment for its graph
    /// checks carry their labels after the name.
    resource: String,
    /// Relative to the scanned folder, as `Resource::file_name` names it.
    file: String,
    line: u64,
}

impl Finding {
    fn resource_parts(&self) -> (&str, &str, &str) {
        let mut parts = self.resource.splitn(3, '.');
        let mut next = || parts.next().unwrap_or("");
        (next(), next(), next())
    }

    fn describe(&self, environment: &str) -> String {
        format!(
            "{} {} on {} (rendered/{environment}/{}:{})",
            self.check, self.title, self.resource, self.file, self.line
        )
    }

    fn from_json(value: &Value) -> Finding {
        let text = |key: &str| {
            value[key]
                .as_str()
                .unwrap_or_else(|| panic!("checkov result without `{key}`: {value}"))
                .to_owned()
        };
        Finding {
            check: text("check_id"),
            title: text("check_name"),
            resource: text("resource"),
            file: text("file_path").trim_start_matches('/').to_owned(),
            line: value["file_line_range"][0].as_u64().unwrap_or(0),
        }
    }
}

/// What checkov said about one folder.
#[derive(Debug, Default)]
struct Scan {
    passed: Vec<Finding>,
    failed: Vec<Finding>,
    /// Checks that checkov itself skipped, through an inline `checkov.io/skip` annotation:
    /// the skip list is the one place for skips, so there must be none.
    skipped: Vec<Finding>,
    parsing_errors: Vec<String>,
    version: String,
    elapsed: Duration,
}

fn checkov() -> Option<PathBuf> {
    common::tool("venv/bin/checkov")
}

/// Runs checkov on `folder`: kubernetes framework, JSON, offline (`BC_SKIP_MAPPING` skips the
/// platform's metadata, `CKV_SKIP_PACKAGE_UPDATE_CHECK` the version check), in an empty
/// environment and an empty home and working folder, so no API key, `CKV_*` setting or
/// `.checkov.yaml` of the machine changes what it checks. By default checkov finds nothing
/// at all below a folder whose name starts with `.` (a checkout in `~/.cache/...`, or a
/// `tempfile` folder), hence `CKV_IGNORE_HIDDEN_DIRECTORIES=false`.
fn scan(tool: &Path, folder: &Path) -> Scan {
    let home = tempfile::tempdir().unwrap();
    let stdout = home.path().join("report.json");
    let stderr = home.path().join("stderr.txt");
    let started = Instant::now();
    let mut child = Command::new(tool)
        .arg("--directory")
        .arg(folder)
        .args(["--framework", "kubernetes", "--output", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "TRUE")
        .env("CKV_IGNORE_HIDDEN_DIRECTORIES", "false")
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .expect("checkov starts");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "checkov ran over {TIMEOUT:?} on {}; is it trying the network?",
                folder.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = started.elapsed();
    let stderr = std::fs::read_to_string(&stderr).unwrap_or_default();
    // 0: nothing failed; 1: some check failed. Anything else is a crash or a usage error.
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "checkov on {} exited with {status}:\n{stderr}",
        folder.display()
    );
    let text = std::fs::read_to_string(&stdout).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "checkov's output on {} is not JSON ({e}):\n{}\n{stderr}",
            folder.display(),
            text.chars().take(2000).collect::<String>()
        )
    });
    // One framework gives one report; several would give a list.
    let report = match &json {
        Value::Array(reports) => reports
            .iter()
            .find(|r| r["check_type"] == "kubernetes")
            .cloned()
            .unwrap_or(Value::Null),
        report => report.clone(),
    };
    assert!(
        report["check_type"] == "kubernetes",
        "checkov on {} reported no kubernetes scan (found no manifests?):\n{}",
        folder.display(),
        text.chars().take(2000).collect::<String>()
    );
    let results = &report["results"];
    let findings = |key: &str| -> Vec<Finding> {
        results[key]
            .as_array()
            .map(|list| list.iter().map(Finding::from_json).collect())
            .unwrap_or_default()
    };
    Scan {
        passed: findings("passed_checks"),
        failed: findings("failed_checks"),
        skipped: findings("skipped_checks"),
        parsing_errors: results["parsing_errors"]
            .as_array()
            .map(|list| list.iter().map(|v| v.to_string()).collect())
            .unwrap_or_default(),
        version: report["summary"]["checkov_version"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
        elapsed,
    }
}

/// Everything wrong with a set of scans, judged against the skip list.
#[derive(Debug, Default)]
struct Verdict {
    /// (a) failed checks that no skip covers, with their environment.
    uncovered: Vec<(String, Finding)>,
    /// (b) skips that matched nothing in an environment they apply to.
    stale: Vec<String>,
    /// (c) parse errors, scans that passed nothing, inline skips.
    broken: Vec<String>,
}

impl Verdict {
    fn is_clean(&self) -> bool {
        self.uncovered.is_empty() && self.stale.is_empty() && self.broken.is_empty()
    }

    fn report(&self) -> String {
        let mut text = String::new();
        // Sorted by environment and check, not in the order checkov found them.
        let uncovered: BTreeSet<String> = self
            .uncovered
            .iter()
            .map(|(environment, finding)| {
                format!("{environment}: {}", finding.describe(environment))
            })
            .collect();
        let uncovered: Vec<String> = uncovered.into_iter().collect();
        for (title, lines) in [
            (
                "failed checks that no skip in schemas/checkov-skips.toml covers \
                 (fix the template, or add a skip with its reason)",
                &uncovered,
            ),
            (
                "stale skips in schemas/checkov-skips.toml (remove or narrow them)",
                &self.stale,
            ),
            ("unusable scans", &self.broken),
        ] {
            if !lines.is_empty() {
                text += &format!("{title}:\n");
                for line in lines {
                    text += &format!("  {line}\n");
                }
            }
        }
        text
    }
}

fn judge(skips: &[Skip], scans: &[(String, Scan)]) -> Verdict {
    let mut verdict = Verdict::default();
    let mut used = BTreeSet::new();
    for (environment, scan) in scans {
        for error in &scan.parsing_errors {
            verdict
                .broken
                .push(format!("{environment}: checkov could not parse {error}"));
        }
        if scan.passed.is_empty() {
            verdict
                .broken
                .push(format!("{environment}: checkov passed no check"));
        }
        for finding in &scan.skipped {
            verdict.broken.push(format!(
                "{environment}: skipped inside the manifest, not in the skip list: {}",
                finding.describe(environment)
            ));
        }
        for finding in &scan.failed {
            let covering: Vec<usize> = (0..skips.len())
                .filter(|&i| skips[i].covers(environment, finding))
                .collect();
            if covering.is_empty() {
                verdict
                    .uncovered
                    .push((environment.clone(), finding.clone()));
            }
            used.extend(covering.into_iter().map(|i| (i, environment.as_str())));
        }
    }
    for (i, skip) in skips.iter().enumerate() {
        for (environment, _) in scans {
            if skip.applies_to(environment) && !used.contains(&(i, environment.as_str())) {
                verdict.stale.push(format!(
                    "{environment}: `{}` matched no failed check",
                    skip.describe()
                ));
            }
        }
    }
    verdict
}

/// The checks of every environment's committed output: only documented skips fail, every
/// skip is used, and checkov gave a verdict on every object it has checks for.
#[test]
fn checkov_fails_only_on_documented_skips() {
    let Some(tool) = checkov() else {
        return;
    };
    let environments = common::render_repo();
    let scans: Vec<(String, Scan)> = std::thread::scope(|threads| {
        let runs: Vec<_> = environments
            .iter()
            .map(|rendered| {
                let tool = &tool;
                let folder = common::repo().join("rendered").join(&rendered.environment);
                threads.spawn(move || (rendered.environment.clone(), scan(tool, &folder)))
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    for (environment, scan) in &scans {
        eprintln!(
            "checkov {} on rendered/{environment}: {} passed, {} failed, {:.1} s",
            scan.version,
            scan.passed.len(),
            scan.failed.len(),
            scan.elapsed.as_secs_f64()
        );
    }

    let mut verdict = judge(&skips(), &scans);
    for (rendered, (environment, scan)) in environments.iter().zip(&scans) {
        let judged: Vec<&Finding> = scan.passed.iter().chain(&scan.failed).collect();
        let resources: BTreeSet<&str> = judged.iter().map(|f| f.resource.as_str()).collect();
        for resource in &rendered.resources {
            let id = format!(
                "{}.{}.{}",
                resource.kind,
                resource.namespace.as_deref().unwrap_or("default"),
                resource.name
            );
            if CHECKED_KINDS.contains(&resource.kind.as_str()) && !resources.contains(&*id) {
                verdict.broken.push(format!(
                    "{environment}: checkov gave no verdict on {id} ({})",
                    resource.file_name()
                ));
            }
            if resource.kind == "Deployment"
                && !judged
                    .iter()
                    .any(|f| f.check == NETWORK_POLICY_CHECK && f.file == resource.file_name())
            {
                verdict.broken.push(format!(
                    "{environment}: the graph check {NETWORK_POLICY_CHECK} did not judge {id}"
                ));
            }
        }
    }
    assert!(verdict.is_clean(), "checkov:\n{}", verdict.report());
}

/// A copy of production with a privileged container and no NetworkPolicies: checkov fails
/// exactly the container check and the graph check, and no skip hides either.
#[test]
fn checkov_fails_a_privileged_container_and_pods_without_network_policies() {
    let Some(tool) = checkov() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("production");
    common::copy_dir(&common::repo().join("rendered/production"), &folder);
    let deployment = folder.join("production/deployment-daa-service.yaml");
    let text = std::fs::read_to_string(&deployment).unwrap();
    assert!(text.contains("privileged: false"));
    std::fs::write(
        &deployment,
        text.replace("privileged: false", "privileged: true"),
    )
    .unwrap();
    let mut deployments = Vec::new();
    for namespace in std::fs::read_dir(&folder).unwrap() {
        for file in std::fs::read_dir(namespace.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("networkpolicy-") {
                std::fs::remove_file(&path).unwrap();
            } else if name.starts_with("deployment-") {
                deployments.push(path.strip_prefix(&folder).unwrap().display().to_string());
            }
        }
    }
    assert!(!deployments.is_empty());

    let scan = scan(&tool, &folder);
    let verdict = judge(&skips(), &[("production".to_owned(), scan)]);
    assert!(
        verdict.stale.is_empty() && verdict.broken.is_empty(),
        "{}",
        verdict.report()
    );
    let uncovered: BTreeSet<(&str, &str)> = verdict
        .uncovered
        .iter()
        .map(|(_, finding)| (finding.check.as_str(), finding.file.as_str()))
        .collect();
    let mut expected = BTreeSet::from([("CKV_K8S_16", "production/deployment-daa-service.yaml")]);
    expected.extend(
        deployments
            .iter()
            .map(|file| (NETWORK_POLICY_CHECK, file.as_str())),
    );
    assert_eq!(uncovered, expected, "{}", verdict.report());
}

fn finding(check: &str, resource: &str) -> Finding {
    Finding {
        check: check.to_owned(),
        title: "a check".to_owned(),
        resource: resource.to_owned(),
        file: "x.yaml".to_owned(),
        line: 1,
    }
}

fn skip(toml: &str) -> Skip {
    toml::from_str(&format!("{toml}\nreason = \"a reason\"")).unwrap()
}

/// The matching itself, without checkov: a skip covers a finding by check, environment and
/// selector, and one that covers nothing in an environment it applies to is stale.
#[test]
fn skips_match_by_check_environment_and_resource() {
    let skips = [
        skip("check = \"CKV_K8S_35\"\nkind = \"Deployment\""),
        skip(
            "check = \"CKV_K8S_43\"\nenvironments = [\"dev\"]\nnamespace = \"dev-data\"\nname = \"redis\"",
        ),
    ];
    let scan = |failed: Vec<Finding>| Scan {
        passed: vec![finding("CKV_K8S_16", "Deployment.x.y")],
        failed,
        ..Scan::default()
    };
    let verdict = judge(
        &skips,
        &[
            (
                "dev".to_owned(),
                scan(vec![
                    finding("CKV_K8S_35", "Deployment.dev.api"),
                    finding("CKV_K8S_43", "Deployment.dev-data.redis"),
                    finding("CKV_K8S_43", "Deployment.dev.api"),
                    finding("CKV_K8S_35", "CronJob.dev.job"),
                ]),
            ),
            (
                "prod".to_owned(),
                scan(vec![finding("CKV_K8S_43", "Deployment.prod-data.redis")]),
            ),
        ],
    );
    let uncovered: Vec<(&str, &str, &str)> = verdict
        .uncovered
        .iter()
        .map(|(environment, f)| (environment.as_str(), f.check.as_str(), f.resource.as_str()))
        .collect();
    assert_eq!(
        uncovered,
        [
            ("dev", "CKV_K8S_43", "Deployment.dev.api"),
            ("dev", "CKV_K8S_35", "CronJob.dev.job"),
            ("prod", "CKV_K8S_43", "Deployment.prod-data.redis"),
        ]
    );
    assert_eq!(
        verdict.stale,
        ["prod: `CKV_K8S_35 kind=Deployment` matched no failed check"]
    );
    assert!(verdict.broken.is_empty(), "{}", verdict.report());

    let empty = judge(&[], &[("dev".to_owned(), Scan::default())]);
    assert_eq!(empty.broken, ["dev: checkov passed no check"]);
}

/// Every skip names a Kubernetes check and known environments, gives a real reason, and is
/// listed once.
#[test]
fn skip_list_is_well_formed() {
    let environments: BTreeSet<String> = common::render_repo()
        .into_iter()
        .map(|rendered| rendered.environment)
        .collect();
    let mut seen = BTreeSet::new();
    for skip in skips() {
        let what = skip.describe();
        let number = skip
            .check
            .strip_prefix("CKV_K8S_")
            .or_else(|| skip.check.strip_prefix("CKV2_K8S_"));
        assert!(
            number.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
            "{SKIPS}: `{what}` is not a checkov Kubernetes check id"
        );
        for environment in &skip.environments {
            assert!(
                environments.contains(environment),
                "{SKIPS}: `{what}` names the unknown environment `{environment}`"
            );
        }
        assert!(
            skip.reason.trim().len() >= 40,
            "{SKIPS}: `{what}` needs a reason that says why"
        );
        assert!(
            seen.insert(what.clone()),
            "{SKIPS}: `{what}` is listed twice"
        );
    }
}
