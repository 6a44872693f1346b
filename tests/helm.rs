//! The Helm chart against real Helm (REQ-T210): `helm lint --strict` is clean for every
//! environment's values, and `helm template` with an environment's values file renders
//! exactly daactl's objects for that environment, for the repository, the scaled project and
//! hand-made renders that probe types, quoting and presence.
//!
//! Helm runs with its cache, configuration and data folders, `HOME` and `KUBECONFIG` inside a
//! temporary folder and nothing else from the environment, so it never reads the user's
//! settings; `lint` and `template` never contact a cluster or the network.

mod common;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use daactl::helm::{self, HelmErrorKind};
use daactl::render::{Rendered, Resource};
use daactl::variance::Variance;

/// The Helm binary, run in isolation.
struct Helm {
    program: PathBuf,
    home: tempfile::TempDir,
}

/// A Helm run that failed: its arguments, exit status and both output streams.
#[derive(Debug)]
struct HelmFailure {
    args: Vec<String>,
    status: String,
    stdout: String,
    stderr: String,
}

impl fmt::Display for HelmFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "helm {} failed ({})\n--- stderr\n{}--- stdout\n{}",
            self.args.join(" "),
            self.status,
            self.stderr,
            self.stdout
        )
    }
}

impl Helm {
    /// Helm from the tools folder, or `None` (with a visible message) outside CI.
    fn find() -> Option<Helm> {
        Some(Helm {
            program: common::tool("kube/helm")?,
            home: tempfile::tempdir().unwrap(),
        })
    }

    /// Runs Helm; `Ok` holds stdout and stderr, `Err` everything about the failure.
    fn run(&self, args: &[&str]) -> Result<(String, String), HelmFailure> {
        let home = self.home.path();
        let output = Command::new(&self.program)
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .env("KUBECONFIG", home.join("no-kubeconfig"))
            .output()
            .expect("helm starts");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            Ok((stdout, stderr))
        } else {
            Err(HelmFailure {
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                status: output.status.to_string(),
                stdout,
                stderr,
            })
        }
    }

    /// `helm lint --strict`, asserting it passes with nothing to say but the icon hint.
    fn lint_clean(&self, chart: &Path, values: Option<&str>) {
        let chart_arg = chart.to_str().unwrap();
        let mut args = vec!["lint", "--strict", chart_arg];
        let values_path = values.map(|v| chart.join(v));
        if let Some(path) = &values_path {
            args.extend(["-f", path.to_str().unwrap()]);
        }
        let (stdout, stderr) = self
            .run(&args)
            .unwrap_or_else(|failure| panic!("{failure}"));
        let remarks: Vec<&str> = stdout
            .lines()
            .chain(stderr.lines())
            .filter(|line| line.starts_with('['))
            // A chart icon is a URL to an image; the DAA platform has none to point at.
            .filter(|line| *line != "[INFO] Chart.yaml: icon is recommended")
            .collect();
        assert!(
            remarks.is_empty() && stderr.trim().is_empty(),
            "helm lint --strict {chart_arg} with {values:?} is not clean:\n{stdout}{stderr}"
        );
        assert!(
            stdout.contains("1 chart(s) linted, 0 chart(s) failed"),
            "{stdout}"
        );
    }

    /// `helm template daa <chart> -f <chart>/values-<env>.yaml --namespace <namespace>`,
    /// parsed with PyYAML; `None` where PyYAML is missing outside CI.
    fn template(&self, chart: &Path, env: &str, namespace: &str) -> Option<Vec<Value>> {
        let values = chart.join(format!("values-{env}.yaml"));
        let (stdout, stderr) = self
            .run(&[
                "template",
                "daa",
                chart.to_str().unwrap(),
                "-f",
                values.to_str().unwrap(),
                "--namespace",
                namespace,
            ])
            .unwrap_or_else(|failure| panic!("{failure}"));
        assert!(
            stderr.trim().is_empty(),
            "helm template warned for {env}:\n{stderr}"
        );
        common::pyyaml(&stdout)
    }
}

/// Writes the chart's files into `<dir>/daa/` and returns that folder.
fn write_chart(files: &std::collections::BTreeMap<String, String>, dir: &Path) -> PathBuf {
    let chart = dir.join(helm::CHART_NAME);
    for (path, text) in files {
        let target = chart.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    chart
}

/// `kind namespace/name` of each object, in order.
fn identities(objects: impl IntoIterator<Item = Value>) -> Vec<String> {
    objects
        .into_iter()
        .filter(|o| !o.is_null())
        .map(|o| {
            let text = |p: &str| {
                o.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            format!(
                "{} {}/{}",
                text("/kind"),
                text("/metadata/namespace"),
                text("/metadata/name")
            )
        })
        .collect()
}

/// Writes the chart of `renders` with production's (or the first environment's) values as
/// the defaults, lints it with `values.yaml` alone and with each environment's file, and
/// checks that Helm renders each environment's objects; with `same_order`, in daactl's order.
fn check_chart(helm: &Helm, renders: &[Rendered], same_order: bool) {
    let variance = Variance::of(renders);
    let allow = daactl::parity::AllowList::embedded().unwrap();
    let reference = if variance.index(&allow.reference).is_some() {
        allow.reference.as_str()
    } else {
        &variance.environments[0]
    };
    let files = helm::chart(&variance, reference).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let chart = write_chart(&files, dir.path());
    helm.lint_clean(&chart, None);
    for render in renders {
        let env = &render.environment;
        helm.lint_clean(&chart, Some(&format!("values-{env}.yaml")));
        let Some(documents) = helm.template(&chart, env, env) else {
            return;
        };
        common::equivalence::assert_same_objects("helm template", render, &documents);
        if same_order {
            assert_eq!(
                identities(documents),
                identities(render.resources.iter().map(|r| r.value.clone())),
                "helm template prints {env}'s objects in daactl's order"
            );
        }
    }
}

#[test]
fn the_repository_chart_lints_clean_and_renders_every_environment_exactly() {
    let Some(helm) = Helm::find() else { return };
    check_chart(&helm, &common::render_repo(), true);
}

#[test]
fn the_committed_chart_renders_what_daactl_renders() {
    // What the README promises, on the committed files: `helm lint --strict` is clean and
    // `helm template daa rendered/helm/daa -f rendered/helm/daa/values-<env>.yaml
    // --namespace <env>` equals `daactl render --env <env> --stdout`, in the same order.
    let Some(helm) = Helm::find() else { return };
    let chart = common::repo().join("rendered/helm").join(helm::CHART_NAME);
    helm.lint_clean(&chart, None);
    for render in common::render_repo() {
        let env = render.environment.as_str();
        helm.lint_clean(&chart, Some(&format!("values-{env}.yaml")));
        let (code, stdout, stderr) = common::outcome(&common::daactl(
            &common::repo(),
            &["render", "--env", env, "--stdout"],
        ));
        assert_eq!(code, 0, "{stderr}");
        let (Some(templated), Some(printed)) =
            (helm.template(&chart, env, env), common::pyyaml(&stdout))
        else {
            return;
        };
        assert_eq!(identities(templated.clone()), identities(printed.clone()));
        let printed = Rendered {
            environment: env.to_owned(),
            namespaces: render.namespaces.clone(),
            resources: render
                .resources
                .iter()
                .zip(printed)
                .map(|(r, value)| Resource { value, ..r.clone() })
                .collect(),
        };
        common::equivalence::assert_same_objects("helm template", &printed, &templated);
    }
}

#[test]
fn the_scaled_project_chart_lints_clean_and_renders_every_environment_exactly() {
    let Some(helm) = Helm::find() else { return };
    let project = common::scaled_project(30);
    check_chart(&helm, &common::render_project(project.path()), true);
}

#[test]
fn values_files_hold_only_what_differs() {
    let variance = Variance::of(&common::render_repo());
    let files = helm::chart(&variance, "production").unwrap();
    let production = &files["values-production.yaml"];
    assert!(
        production.ends_with("\n{}\n"),
        "production is values.yaml itself:\n{production}"
    );
    let development = &files["values-development.yaml"];
    for expected in [
        "environment: development\n",
        "  app: development\n  data: development-data\n",
        // A value development lacks is deleted, not set to something.
        "                minDomains: null\n",
    ] {
        assert!(
            development.contains(expected),
            "values-development.yaml lacks {expected:?}"
        );
    }
    // What every environment shares is in the templates, not in the values.
    assert!(!files["values.yaml"].contains("revisionHistoryLimit"));
}

// Hand-made renders: two or three environments whose objects differ in one way each.

fn object(kind: &str, env: &str, name: &str, body: Value) -> Resource {
    let mut value = json!({
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": env, "labels": {"environment": env}},
    });
    if let (Value::Object(value), Value::Object(body)) = (&mut value, body) {
        value.extend(body);
    }
    Resource::from_object("t.yaml.j2", value).expect("the object has an identity")
}

fn render(env: &str, resources: Vec<Resource>) -> Rendered {
    daactl::testing::render(env, resources)
}

fn config(env: &str, data: Value) -> Resource {
    object("ConfigMap", env, "settings", json!({"data": data}))
}

/// Strings that YAML, JSON or Go templates treat specially.
const AWKWARD: &[&str] = &[
    "{{ .Values.x }}",
    "{{",
    "}}",
    "{{- end }}",
    "a: b",
    "# not a comment",
    "a #b",
    "it's",
    "say \"hi\"",
    "<tag>&amp;",
    "line one\nline two",
    "line\n",
    "*alias",
    "&anchor",
    "!tag",
    "80",
    "on",
    "null",
    "~",
    "",
    " lead",
    "trail ",
    "- x",
    "---",
    "\\",
    "tab\there",
    "nul\0",
    "ls\u{2028}ps",
    "é漢🙂",
    "$(VAR)",
    "%YAML",
    "`tick`",
    "1e3",
    "0777",
];

#[test]
fn awkward_strings_pass_through_helm_unchanged_whether_shared_or_differing() {
    let Some(helm) = Helm::find() else { return };
    let data = |env: &str| {
        let mut data = serde_json::Map::new();
        for (i, text) in AWKWARD.iter().enumerate() {
            data.insert(format!("shared-{i}"), json!(text));
            // Differing: each environment appends its own name.
            data.insert(format!("differs-{i}"), json!(format!("{text}{env}")));
            data.insert((*text).to_owned(), json!(env));
        }
        config(env, Value::Object(data))
    };
    check_chart(
        &helm,
        &[
            render("dev", vec![data("dev")]),
            render("production", vec![data("production")]),
        ],
        false,
    );
}

#[test]
fn a_value_differing_only_in_type_keeps_each_type() {
    let Some(helm) = Helm::find() else { return };
    let service = |env: &str, port: Value, flag: Value| {
        object(
            "Service",
            env,
            "web",
            json!({"spec": {"ports": [{"name": "http", "port": port, "targetPort": "http"}], "publishNotReadyAddresses": flag, "weight": 0.5}}),
        )
    };
    check_chart(
        &helm,
        &[
            render("dev", vec![service("dev", json!("80"), json!("true"))]),
            render(
                "production",
                vec![service("production", json!(80), json!(true))],
            ),
            render(
                "staging",
                vec![service("staging", json!(8080), json!(false))],
            ),
        ],
        false,
    );
}

#[test]
fn a_key_only_one_environment_has_is_written_there_even_when_false_zero_or_empty() {
    let Some(helm) = Helm::find() else { return };
    check_chart(
        &helm,
        &[
            render(
                "dev",
                vec![config(
                    "dev",
                    json!({"always": "x", "no": false, "zero": 0, "empty": ""}),
                )],
            ),
            render(
                "production",
                vec![config("production", json!({"always": "x"}))],
            ),
            render(
                "staging",
                vec![config("staging", json!({"always": "x", "zero": 0.25}))],
            ),
        ],
        false,
    );
}

#[test]
fn an_object_only_one_environment_renders_is_behind_a_flag() {
    let Some(helm) = Helm::find() else { return };
    let budget = |env: &str| {
        object(
            "PodDisruptionBudget",
            env,
            "api",
            json!({"spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api", "env": env}}}}),
        )
    };
    let renders = [
        render("dev", vec![config("dev", json!({"a": "1"}))]),
        render(
            "production",
            vec![
                config("production", json!({"a": "1"})),
                budget("production"),
            ],
        ),
        render("staging", vec![config("staging", json!({"a": "1"}))]),
    ];
    check_chart(&helm, &renders, false);
    // And the other way round: the defaults' environment lacks it.
    let renders = [
        render("dev", vec![config("dev", json!({"a": "1"})), budget("dev")]),
        render("production", vec![config("production", json!({"a": "1"}))]),
    ];
    check_chart(&helm, &renders, false);
}

#[test]
fn a_list_differing_in_length_is_one_value() {
    let Some(helm) = Helm::find() else { return };
    let pod = |env: &str, args: Value, containers: usize| {
        let containers: Vec<Value> = (0..containers)
            .map(|i| json!({"name": format!("c-{i}"), "image": "busybox", "args": args}))
            .collect();
        object("Pod", env, "p", json!({"spec": {"containers": containers}}))
    };
    check_chart(
        &helm,
        &[
            render("dev", vec![pod("dev", json!(["a"]), 1)]),
            render("production", vec![pod("production", json!(["a", "b"]), 2)]),
            render("staging", vec![pod("staging", json!([]), 1)]),
        ],
        false,
    );
}

#[test]
fn values_helm_would_change_are_refused_with_the_place() {
    let variance = |dev: Value, prod: Value| {
        Variance::of(&[
            render("dev", vec![config("dev", json!({"v": dev, "k": "same"}))]),
            render(
                "production",
                vec![config("production", json!({"v": prod, "k": "same"}))],
            ),
        ])
    };
    for (dev, prod) in [
        (json!(1.0), json!(2.0)),
        (json!(9_007_199_254_740_993_u64), json!(1)),
        (json!(null), json!("x")),
        (json!("del\u{7f}"), json!("x")),
        (json!("\u{feff}bom"), json!("x")),
    ] {
        let error = helm::chart(&variance(dev.clone(), prod), "production")
            .expect_err(&format!("{dev} is refused"));
        assert!(
            matches!(&error.kind, HelmErrorKind::Unrepresentable { path, .. } if path == "data.v"),
            "{error}"
        );
        assert_eq!(error.object.as_deref(), Some("ConfigMap <app>/settings"));
    }
    // The same values, equal in every environment, are written as they are.
    assert!(helm::chart(&variance(json!(1.0), json!(1.0)), "production").is_ok());
}

#[test]
fn a_helm_failure_is_reported_with_helms_own_message() {
    let Some(helm) = Helm::find() else { return };
    let variance = Variance::of(&[
        render("dev", vec![config("dev", json!({"a": "1"}))]),
        render("production", vec![config("production", json!({"a": "2"}))]),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let chart = write_chart(&helm::chart(&variance, "production").unwrap(), dir.path());
    std::fs::write(
        chart.join("templates/broken.yaml"),
        "x: {{ .Values.missing.key }}\n",
    )
    .unwrap();
    let failure = helm
        .run(&["template", "daa", chart.to_str().unwrap()])
        .expect_err("a template reading into a missing map fails");
    let report = failure.to_string();
    assert!(
        failure
            .stderr
            .contains("nil pointer evaluating interface {}.key"),
        "{report}"
    );
    assert!(report.contains(&failure.stderr), "{report}");
    assert!(report.contains("templates/broken.yaml"), "{report}");
}

#[test]
fn the_values_schema_refuses_a_string_where_a_number_belongs() {
    let Some(helm) = Helm::find() else { return };
    let variance = Variance::of(&common::render_repo());
    let dir = tempfile::tempdir().unwrap();
    let chart = write_chart(&helm::chart(&variance, "production").unwrap(), dir.path());
    let bad = dir.path().join("bad.yaml");
    // `helm lint --strict` of the chart with `values`, which must fail.
    let lint_refuses = |values: &str| {
        std::fs::write(&bad, values).unwrap();
        helm.run(&[
            "lint",
            "--strict",
            chart.to_str().unwrap(),
            "-f",
            bad.to_str().unwrap(),
        ])
        .expect_err("the schema refuses these values")
    };
    let failure = lint_refuses(
        "app:\n  horizontalPodAutoscaler:\n    daaService:\n      spec:\n        minReplicas: \"3\"\n",
    );
    assert!(
        failure
            .stdout
            .contains("at '/app/horizontalPodAutoscaler/daaService/spec/minReplicas': got string, want integer"),
        "{failure}"
    );
    // A key no environment has is refused too.
    let failure = lint_refuses("app:\n  deployment:\n    daaService:\n      replicas: 3\n");
    assert!(
        failure
            .stdout
            .contains("additional properties 'replicas' not allowed"),
        "{failure}"
    );
}
