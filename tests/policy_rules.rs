//! Every policy rule against its fixtures, driven by the registry (Polaris/Ruff style).
//!
//! Layout: `tests/fixtures/policy/<CODE>/{pass,fail}/<case>.yaml`, or `<case>/` holding
//! several YAML files and optionally a `daactl-waivers.toml`. A first line `# env: <name>`
//! picks the environment's policy parameters (default `production`). A `<case>/` holding a
//! `main.tf.json` gives the environment that Terraform document (the `T` rules read it); its
//! YAML files are then optional, and a top-level `"//": "env: <name>"` picks the environment. A case folder holding
//! only folders compares environments: each folder is one, named after it, and the case is
//! validated with their parity (rule E245-1). A `pass` case yields
//! no finding of its rule; a `fail` case yields at least one unwaived finding, and the
//! findings of each rule's fail cases are snapshotted.

use std::path::{Path, PathBuf};

use daactl::parity;
use daactl::policy::catalogue::Policy;
use daactl::policy::engine::{self, Settings, Target};
use daactl::policy::manifest::ManifestSet;
use daactl::policy::registry;
use daactl::policy::report::Report;
use daactl::policy::terraform::TerraformSource;
use daactl::policy::waiver::{self, Date, Waiver};

mod common;

/// The date fixture waivers are judged against, so expiry cases never change meaning.
const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 27,
};

fn fixtures() -> PathBuf {
    common::repo().join("tests/fixtures/policy")
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    cases.sort();
    cases
}

/// The environment folders of a case that compares environments (rule E245-1): a case
/// folder whose entries are folders, each named after its environment.
fn environment_folders(case: &Path) -> Vec<PathBuf> {
    if !case.is_dir() {
        return Vec::new();
    }
    let entries = cases(case);
    if entries.iter().all(|e| e.is_dir()) {
        entries
    } else {
        Vec::new()
    }
}

/// Validates a case of several environments together, with their parity.
fn run_environments(folders: &[PathBuf]) -> Report {
    let base = fixtures();
    let named: Vec<(String, ManifestSet)> = folders
        .iter()
        .map(|folder| {
            let name = folder.file_name().unwrap().to_string_lossy().into_owned();
            let set = ManifestSet::load(std::slice::from_ref(folder), &base)
                .unwrap_or_else(|err| panic!("{}: {err}", folder.display()));
            (name, set)
        })
        .collect();
    let renders: Vec<_> = named
        .iter()
        .map(|(name, set)| parity::as_render(name, set))
        .collect();
    let views = parity::environment_views(&renders).unwrap();
    let policy = Policy::embedded();
    let targets: Vec<Target<'_>> = named
        .iter()
        .zip(&views)
        .map(|((name, set), view)| Target {
            set,
            env: policy.environment(name).unwrap(),
            kubernetes_version: "1.33",
            spec_file: None,
            parity: Some(view),
            terraform: None,
        })
        .collect();
    engine::validate(
        &targets,
        &Settings {
            policy,
            file_waivers: &[],
            ignore_waivers: false,
            today: TODAY,
        },
    )
}

/// Validates one fixture case as its environment, or as its environments when it holds one
/// folder per environment.
fn run_case(case: &Path) -> Report {
    let folders = environment_folders(case);
    if !folders.is_empty() {
        return run_environments(&folders);
    }
    let base = fixtures();
    let (files, waivers): (Vec<PathBuf>, Vec<Waiver>) = if case.is_dir() {
        let waiver_file = case.join(waiver::WAIVER_FILE);
        let waivers = if waiver_file.exists() {
            waiver::read_file(&waiver_file, "daactl-waivers.toml").unwrap()
        } else {
            Vec::new()
        };
        (vec![case.to_path_buf()], waivers)
    } else {
        (vec![case.to_path_buf()], Vec::new())
    };
    let terraform_file = case.join(daactl::terraform::FILE_NAME);
    let terraform = terraform_file.is_file().then(|| {
        let shown = terraform_file
            .strip_prefix(common::repo())
            .unwrap()
            .display()
            .to_string();
        let text = std::fs::read_to_string(&terraform_file).unwrap();
        TerraformSource::read(shown, text)
            .unwrap_or_else(|err| panic!("{}: {err}", terraform_file.display()))
    });
    let has_yaml = !case.is_dir()
        || cases(case)
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    let set = if has_yaml {
        ManifestSet::load(&files, &base).unwrap_or_else(|err| panic!("{}: {err}", case.display()))
    } else {
        assert!(terraform.is_some(), "{} holds no fixture", case.display());
        ManifestSet::default()
    };
    let env_line = match (set.manifests.first(), &terraform) {
        (Some(manifest), _) => manifest.text().lines().next().map(str::to_owned),
        (None, Some(document)) => document.value["//"].as_str().map(str::to_owned),
        (None, None) => None,
    };
    let env_name = env_line
        .as_deref()
        .and_then(|line| {
            line.strip_prefix("# env: ")
                .or_else(|| line.strip_prefix("env: "))
        })
        .unwrap_or("production")
        .trim();
    let policy = Policy::embedded();
    let env = policy.environment(env_name).unwrap();
    engine::validate(
        &[Target {
            set: &set,
            env,
            kubernetes_version: "1.33",
            spec_file: None,
            parity: None,
            terraform: terraform.as_ref(),
        }],
        &Settings {
            policy,
            file_waivers: &waivers,
            ignore_waivers: false,
            today: TODAY,
        },
    )
}

#[test]
fn every_rule_passes_and_fails_its_fixtures() {
    let mut problems = Vec::new();
    for code in registry::codes() {
        let dir = fixtures().join(code);
        let pass = cases(&dir.join("pass"));
        let fail = cases(&dir.join("fail"));
        if pass.is_empty() || fail.is_empty() {
            problems.push(format!(
                "{code}: needs at least one case in {}/pass and one in {}/fail",
                dir.display(),
                dir.display()
            ));
            continue;
        }
        for case in &pass {
            let report = run_case(case);
            let hits: Vec<String> = report
                .findings()
                .filter(|f| f.code == code)
                .map(|f| format!("{}: {}", f.location(), f.message))
                .collect();
            if !hits.is_empty() {
                problems.push(format!(
                    "{code}: pass case {} has findings:\n    {}",
                    case.display(),
                    hits.join("\n    ")
                ));
            }
        }
        let mut snapshot = String::new();
        for case in &fail {
            let report = run_case(case);
            let hits: Vec<String> = report
                .findings()
                .filter(|f| f.code == code && !f.is_waived())
                .map(|f| format!("{}: {} {}", f.location(), f.severity.as_str(), f.message))
                .collect();
            if hits.is_empty() {
                problems.push(format!(
                    "{code}: fail case {} has no unwaived finding of {code}",
                    case.display()
                ));
            }
            let name = case.strip_prefix(fixtures()).unwrap().display().to_string();
            snapshot.push_str(&format!("{name}\n  {}\n", hits.join("\n  ")));
        }
        insta::with_settings!({ snapshot_suffix => code, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("policy_fail", snapshot);
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_fixture_folder_belongs_to_a_registered_rule() {
    let codes = registry::codes();
    for dir in cases(&fixtures()) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            codes.contains(&name.as_str()),
            "tests/fixtures/policy/{name} is not a registered rule code"
        );
    }
}

/// Review finding 10: G217-1 and G244-1 return early when a set holds no Argo CD object.
/// By the engine's convention a rule that evaluated nothing has not shown its requirement
/// holds: they count nothing, and REQ-T217 and REQ-T244 read `unknown`, never `pass`.
#[test]
fn gitops_rules_without_argo_cd_objects_are_unknown_not_pass() {
    use daactl::policy::report::Outcome;
    // Manifests of an environment without any Argo CD object.
    let case = fixtures().join("K203-3/pass/declared-callers.yaml");
    let report = run_case(&case);
    let env = &report.environments[0];
    for code in ["G217-1", "G244-1"] {
        let rule = env.rules.iter().find(|r| r.code == code).unwrap();
        assert_eq!(rule.evaluated, 0, "{code}");
        assert!(report.findings().all(|f| f.code != code), "{code}");
    }
    for id in ["REQ-T217", "REQ-T244"] {
        let requirement = env.requirements.iter().find(|r| r.id == id).unwrap();
        assert_eq!(requirement.outcome, Outcome::Unknown, "{id}");
    }
}
