//! The command line as users meet it: exit codes, messages with `file:line:col` and a hint
//! for every class of bad input, drift detection, atomic writes and piping.

mod common;

use std::path::Path;

use common::{daactl, outcome};

/// A temporary project holding `tests/fixtures/minimal`, with `edit` applied to its spec.
fn minimal_project(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::repo().join("tests/fixtures/minimal"), dir.path());
    let spec = dir.path().join("environments/minimal.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = edit(text.clone());
    std::fs::write(&spec, edited).unwrap();
    dir
}

fn replace(from: &'static str, to: &'static str) -> impl FnOnce(String) -> String {
    move |text| {
        assert!(text.contains(from), "the fixture holds {from:?}");
        text.replacen(from, to, 1)
    }
}

/// Runs `args` in `dir` and returns stderr, asserting exit code 2 and an empty stdout.
fn fails_with_2(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = outcome(&daactl(dir, args));
    assert_eq!(code, 2, "exit code of {args:?}; stderr:\n{stderr}");
    assert!(stdout.is_empty(), "nothing on stdout on error: {stdout}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    stderr
}

#[test]
fn malformed_toml() {
    let dir = minimal_project(replace("port = 8080", "port = = 8080"));
    insta::assert_snapshot!(fails_with_2(dir.path(), &["render"]));
}

#[test]
fn unknown_key() {
    let dir = minimal_project(replace("port = 8080", "prot = 8080"));
    insta::assert_snapshot!(fails_with_2(dir.path(), &["render"]));
}

#[test]
fn wrong_type() {
    let dir = minimal_project(replace("instances = 1", "instances = \"one\""));
    insta::assert_snapshot!(fails_with_2(dir.path(), &["diff"]));
}

#[test]
fn missing_key() {
    let dir = minimal_project(replace("metrics_port = 9090\n", ""));
    insta::assert_snapshot!(fails_with_2(dir.path(), &["render"]));
}

#[test]
fn broken_rules_are_all_reported() {
    let dir = minimal_project(|text| {
        text.replacen("depends_on = []", "depends_on = [\"search\"]", 1)
            .replacen(
                "replicas = { min = 1, max = 2 }",
                "replicas = { min = 3, max = 2 }",
                1,
            )
            .replacen(
                "cpu = \"500m\", memory = \"256Mi\"",
                "cpu = \"lots\", memory = \"256Mi\"",
                1,
            )
            .replacen(
                "name = \"minimal\"\n\n[cluster]",
                "name = \"other\"\n\n[cluster]",
                1,
            )
    });
    insta::assert_snapshot!(fails_with_2(dir.path(), &["render"]));
}

#[test]
fn an_environment_may_not_take_the_name_of_a_shared_tree() {
    let dir = minimal_project(replace(
        "name = \"minimal\"\n\n[cluster]",
        "name = \"helm\"\n\n[cluster]",
    ));
    std::fs::rename(
        dir.path().join("environments/minimal.toml"),
        dir.path().join("environments/helm.toml"),
    )
    .unwrap();
    let stderr = fails_with_2(dir.path(), &["render"]);
    assert!(
        stderr.contains("environments/helm.toml:4:8: error: `name`: `helm` is reserved: rendered/helm holds what daactl builds beside the environments"),
        "{stderr}"
    );
}

#[test]
fn unknown_environment() {
    let dir = minimal_project(|t| t);
    insta::assert_snapshot!(fails_with_2(dir.path(), &["render", "--env", "prod"]));
}

#[test]
fn missing_template_folder() {
    let dir = minimal_project(|t| t);
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "no-such-folder"]
    ));
}

/// A temporary project whose `templates/` is the built-in set with `edit` applied to one
/// template.
fn with_template(file: &str, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = minimal_project(|t| t);
    common::copy_dir(
        &common::repo().join("templates"),
        &dir.path().join("templates"),
    );
    let path = dir.path().join("templates").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
    dir
}

#[test]
fn template_with_an_undefined_value_names_template_line_and_spec_key() {
    let dir = with_template(
        "service.yaml.j2",
        replace(
            "port: {{ service.metrics_port }}",
            "port: {{ service.metrics.port }}",
        ),
    );
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "templates"]
    ));
}

#[test]
fn template_syntax_error() {
    let dir = with_template(
        "configmap.yaml.j2",
        replace("data: {{ service.config }}", "data: {{ service.config }"),
    );
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "templates"]
    ));
}

#[test]
fn template_importing_a_missing_template() {
    let dir = with_template(
        "deployment.yaml.j2",
        replace(
            "{% import \"_pod.j2\" as pod %}",
            "{% import \"_pods.j2\" as pod %}",
        ),
    );
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "templates"]
    ));
}

#[test]
fn template_output_a_yaml_1_1_reader_would_misread() {
    let dir = with_template(
        "service.yaml.j2",
        replace(
            "type: ClusterIP",
            "type: ClusterIP\n  publishNotReadyAddresses: yes",
        ),
    );
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "templates"]
    ));
}

#[test]
fn outside_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = fails_with_2(dir.path(), &["render"]);
    assert!(
        stderr.starts_with("no `environments/` folder in "),
        "{stderr}"
    );
    assert!(stderr.contains("hint: run daactl inside a daactl project, or pass `--project DIR`"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = minimal_project(|t| t);
    let stderr = fails_with_2(dir.path(), &["render", "--frobnicate"]);
    assert!(
        stderr.contains("unexpected argument '--frobnicate'"),
        "{stderr}"
    );
    let stderr = fails_with_2(
        dir.path(),
        &[
            "render", "--stdout", "--env", "minimal", "--env", "minimal2",
        ],
    );
    assert!(
        stderr.contains("`--stdout` prints one environment"),
        "{stderr}"
    );
}

#[test]
fn a_failed_render_writes_nothing() {
    let dir = minimal_project(|t| t);
    assert_eq!(outcome(&daactl(dir.path(), &["render"])).0, 0);
    let before = daactl::output::read_tree(&dir.path().join("rendered")).unwrap();
    let spec = dir.path().join("environments/minimal.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("max = 2 }", "max = 0 }")).unwrap();
    fails_with_2(dir.path(), &["render"]);
    assert_eq!(
        daactl::output::read_tree(&dir.path().join("rendered")).unwrap(),
        before
    );
}

#[test]
fn diff_is_clean_then_reports_each_kind_of_drift() {
    let dir = common::project_copy();
    let root = dir.path();
    let (code, stdout, stderr) = outcome(&daactl(root, &["diff"]));
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.starts_with("rendered/ is current: 3 environments, "),
        "{stderr}"
    );

    // Edit one committed file, delete another, add a stray one.
    let edited = root.join("rendered/production/production/service-daa-service.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text.replace("port: 80\n", "port: 8080\n")).unwrap();
    std::fs::remove_file(root.join("rendered/staging/staging/configmap-daa-service-config.yaml"))
        .unwrap();
    std::fs::write(
        root.join("rendered/development/development/extra.yaml"),
        "x: 1\n",
    )
    .unwrap();

    let (code, stdout, _) = outcome(&daactl(root, &["diff", "--color", "never"]));
    assert_eq!(code, 1);
    assert!(stdout.starts_with(
        "development: 0 changed, 0 added, 1 removed\nproduction: 1 changed, 0 added, 0 removed\nstaging: 0 changed, 1 added, 0 removed\n"
    ), "{stdout}");
    assert!(stdout.contains("--- rendered/production/production/service-daa-service.yaml (committed)\n+++ rendered/production/production/service-daa-service.yaml (rendered)\n"));
    assert!(
        stdout.contains("-      port: 8080\n+      port: 80\n"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "no colour with --color never");

    let (code, stdout, _) = outcome(&daactl(
        root,
        &["diff", "--env", "production", "--color", "always"],
    ));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("\x1b[31m-      port: 8080\x1b[0m"),
        "{stdout}"
    );

    let (code, stdout, _) = outcome(&daactl(root, &["diff", "-q"]));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "development: 0 changed, 0 added, 1 removed\nproduction: 1 changed, 0 added, 0 removed\nstaging: 0 changed, 1 added, 0 removed\nterraform/production: 0 changed, 0 added, 0 removed\nterraform/staging: 0 changed, 0 added, 0 removed\nkustomize: 0 changed, 0 added, 0 removed\nhelm: 0 changed, 0 added, 0 removed\nworkflows: 0 changed, 0 added, 0 removed\ngitops: 0 changed, 0 added, 0 removed\n",
        "quiet prints the summary only, the cloud environments' Terraform and the trees built from every environment included"
    );

    // The Kustomize tree and the chart drift like an environment.
    let values = root.join("rendered/helm/daa/values-staging.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    std::fs::write(&values, format!("{text}extra: 1\n")).unwrap();
    let (code, stdout, _) = outcome(&daactl(root, &["diff", "-q"]));
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with(
            "helm: 1 changed, 0 added, 0 removed\nworkflows: 0 changed, 0 added, 0 removed\ngitops: 0 changed, 0 added, 0 removed\n"
        ),
        "{stdout}"
    );

    // Rendering repairs all three, and only the selected environment when asked.
    assert_eq!(
        outcome(&daactl(root, &["render", "--env", "production"])).0,
        0
    );
    assert_eq!(
        outcome(&daactl(root, &["diff", "--env", "production"])).0,
        0
    );
    assert_eq!(outcome(&daactl(root, &["diff"])).0, 1);
    let (code, _, stderr) = outcome(&daactl(root, &["render"]));
    assert_eq!(code, 0);
    assert!(
        stderr.contains("rendered/development: 72 objects (0 written, 1 removed, 72 unchanged)"),
        "{stderr}"
    );
    assert_eq!(outcome(&daactl(root, &["diff"])).0, 0);
}

#[test]
fn stdout_is_one_stream_in_install_order() {
    let dir = common::project_copy();
    let (code, stdout, stderr) = outcome(&daactl(
        dir.path(),
        &["render", "--env", "production", "--stdout"],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "nothing but data: {stderr}");
    let rendered = common::render_repo()
        .into_iter()
        .find(|r| r.environment == "production")
        .unwrap();
    assert_eq!(stdout, rendered.stream());
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::process::{Command, Stdio};
    let dir = common::project_copy();
    let mut child = Command::new(env!("CARGO_BIN_EXE_daactl"))
        .args(["render", "--env", "production", "--stdout"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before daactl writes
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn project_is_found_from_a_subfolder_or_given() {
    let dir = common::project_copy();
    let sub = dir.path().join("rendered/production");
    assert_eq!(outcome(&daactl(&sub, &["diff", "-q"])).0, 0);
    let elsewhere = tempfile::tempdir().unwrap();
    let project = dir.path().to_str().unwrap();
    assert_eq!(
        outcome(&daactl(
            elsewhere.path(),
            &["--project", project, "diff", "-q"]
        ))
        .0,
        0
    );
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = outcome(&daactl(dir.path(), &["--help"]));
    assert_eq!(code, 0);
    for needle in [
        "Examples:",
        "daactl render --env production --stdout",
        "Exit codes:",
        "1  `diff` found drift",
    ] {
        assert!(
            stdout.contains(needle),
            "--help lacks {needle:?}:\n{stdout}"
        );
    }
    let (code, stdout, _) = outcome(&daactl(dir.path(), &["diff", "--help"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Exit codes: 0 current, 1 drift"),
        "{stdout}"
    );
}

#[test]
fn completions_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, stdout, _) = outcome(&daactl(dir.path(), &["completions", shell]));
        assert_eq!(code, 0, "{shell}");
        assert!(
            stdout.contains("render") && stdout.contains("diff"),
            "{shell}"
        );
    }
}

#[test]
fn adding_a_service_is_one_table() {
    let dir = minimal_project(|text| {
        text.replacen("depends_on = []", "depends_on = [\"search\"]", 1)
            + r#"
[services.search]
image = "search"
tag = "2.0.0"
version = "2.0.0"
port = 7700
metrics_port = 9100
replicas = { min = 1, max = 3 }
redis = true
resources.requests = { cpu = "100m", memory = "128Mi", ephemeral_storage = "64Mi" }
resources.limits = { cpu = "200m", memory = "256Mi", ephemeral_storage = "256Mi" }
"#
    });
    let (code, stdout, stderr) = outcome(&daactl(
        dir.path(),
        &["render", "--env", "minimal", "--stdout"],
    ));
    assert_eq!(code, 0, "{stderr}");
    let objects = daactl::yaml::parse_stream(&stdout).unwrap();
    let named = |kind: &str, name: &str| {
        objects
            .iter()
            .find(|d| d.value["kind"] == kind && d.value["metadata"]["name"] == name)
            .map(|d| &d.value)
            .unwrap_or_else(|| panic!("{kind} {name} is rendered"))
    };
    for kind in [
        "ServiceAccount",
        "Service",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ] {
        named(kind, "search");
    }
    named("ConfigMap", "search-config");
    // The caller may reach it, and it may reach Redis.
    let policy = named("NetworkPolicy", "search");
    assert_eq!(
        policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["api"])
    );
    let redis = named("NetworkPolicy", "redis");
    assert_eq!(
        redis["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["search"])
    );
    assert_eq!(
        named("HorizontalPodAutoscaler", "search")["spec"]["maxReplicas"],
        3
    );
    // In the mesh: its caller's identity is admitted, and it gets its own load balancing
    // and a plain-text metrics port.
    assert_eq!(
        named("AuthorizationPolicy", "search")["spec"]["rules"][0]["from"][0]["source"]["principals"],
        serde_json::json!(["cluster.local/ns/minimal/sa/api"])
    );
    assert_eq!(
        named("DestinationRule", "search")["spec"]["host"],
        "search.minimal.svc.cluster.local"
    );
    assert_eq!(
        named("PeerAuthentication", "search-metrics")["spec"]["portLevelMtls"]["9100"]["mode"],
        "PERMISSIVE"
    );
}

#[test]
fn template_rendered_once_names_the_environment() {
    let dir = with_template(
        "postgres.yaml.j2",
        replace(
            "instances: {{ pg.spec.instances }}",
            "instances: {{ pg.spec.replicas }}",
        ),
    );
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "templates"]
    ));
}

#[test]
fn two_templates_rendering_the_same_object() {
    let dir = with_template("serviceaccount.yaml.j2", |text| text);
    std::fs::copy(
        dir.path().join("templates/serviceaccount.yaml.j2"),
        dir.path().join("templates/serviceaccount-copy.yaml.j2"),
    )
    .unwrap();
    insta::assert_snapshot!(fails_with_2(
        dir.path(),
        &["render", "--templates", "templates"]
    ));
}

#[test]
fn an_eks_environment_needs_a_cloud_section_and_a_kind_one_may_not_have_it() {
    let dir = minimal_project(replace(
        "provider = \"kind\"",
        "provider = \"eks\"\nregion = \"us-east-1\"",
    ));
    let stderr = fails_with_2(dir.path(), &["render"]);
    assert!(
        stderr.contains("environments/minimal.toml:")
            && stderr.contains("an `eks` cluster needs a `[cloud]` section"),
        "{stderr}"
    );

    let dir = minimal_project(|text| {
        text + "\n[cloud]\naccount_id = \"1234\"\ndr_region = \"us-west-2\"\nstate_bucket = \"s\"\nlog_bucket = \"l\"\nvpc_cidr = \"10.0.0.0/16\"\napi_allowed_cidrs = [\"0.0.0.0/0\"]\ndomain = \"x.example\"\n\n[cloud.node_group]\ninstance_types = [\"m6i.large\"]\nmin_size = 1\ndesired_size = 1\nmax_size = 2\n"
    });
    let stderr = fails_with_2(dir.path(), &["render"]);
    let line = |needle: &str| {
        stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{stderr}"))
            .to_owned()
    };
    let refused = line("has no cloud account");
    assert!(
        refused.starts_with("environments/minimal.toml:") && refused.contains("`cloud`"),
        "{stderr}"
    );
}

#[test]
fn render_writes_each_cloud_environments_terraform_also_for_one_environment() {
    let dir = common::project_copy();
    let terraform = dir.path().join("rendered/terraform");
    std::fs::remove_dir_all(&terraform).unwrap();
    let (code, _, stderr) = outcome(&daactl(dir.path(), &["render", "--env", "staging"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(terraform.join("staging/main.tf.json").is_file());
    assert!(!terraform.join("production").exists());
    // The missing production Terraform is drift.
    let (code, stdout, _) = outcome(&daactl(dir.path(), &["diff", "-q"]));
    assert_eq!(code, 1);
    assert!(stdout.contains("terraform/production"), "{stdout}");
    // A local environment's folder is removed by the next render.
    std::fs::create_dir_all(terraform.join("development")).unwrap();
    std::fs::write(terraform.join("development/main.tf.json"), "{}\n").unwrap();
    let (code, _, stderr) = outcome(&daactl(dir.path(), &["render"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!terraform.join("development").exists());
    assert!(terraform.join("production/main.tf.json").is_file());
}

#[test]
fn delivery_settings_are_checked_with_their_location() {
    // A canary needs the Argo Rollouts controller, which a kind cluster does not have, and
    // weights that grow below 100%, and a ratio.
    let dir = minimal_project(replace(
        "[delivery]\nstrategy = \"rolling\"\n",
        "[delivery]\nstrategy = \"canary\"\ncanary = { weights = [50, 20, 100], pause = \"5 minutes\", max_error_ratio = 1.5 }\n",
    ));
    let stderr = fails_with_2(dir.path(), &["render"]);
    for expected in [
        "environments/minimal.toml:86:12: error: `delivery.strategy`: a canary needs the Argo Rollouts controller, which only `eks` clusters get (from Terraform)",
        "error: `delivery.canary.weights[1]`: the weight `20` does not grow from the step before (`50`)",
        "error: `delivery.canary.weights[2]`: the weight `100` is not between 1 and 99 percent",
        "error: `delivery.canary.pause`: \"5 minutes\" is not a duration such as `5m`",
        "error: `delivery.canary.max_error_ratio`: the error ratio `1.5` is not between 0 and 1",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    // A canary without its table, and a table without a canary.
    let dir = minimal_project(replace(
        "[delivery]\nstrategy = \"rolling\"\n",
        "[delivery]\nstrategy = \"canary\"\n",
    ));
    let stderr = fails_with_2(dir.path(), &["render"]);
    assert!(
        stderr.contains("error: `delivery.strategy`: a canary needs `[delivery.canary]` with its steps and analysis"),
        "{stderr}"
    );
    let dir = minimal_project(replace(
        "[delivery]\nstrategy = \"rolling\"\n",
        "[delivery]\nstrategy = \"rolling\"\ncanary = { weights = [20], pause = \"5m\", max_error_ratio = 0.01 }\n",
    ));
    let stderr = fails_with_2(dir.path(), &["render"]);
    assert!(
        stderr.contains(
            "error: `delivery.canary`: `[delivery.canary]` is set but `strategy` is `rolling`"
        ),
        "{stderr}"
    );
}

#[test]
fn mesh_settings_are_checked_with_their_location() {
    // A public service is served through the ingress gateway, which needs a host.
    let dir = minimal_project(replace(
        "depends_on = []\n",
        "depends_on = []\npublic = true\n",
    ));
    let stderr = fails_with_2(dir.path(), &["render"]);
    assert!(
        stderr.contains("environments/minimal.toml:55:10: error: `services.api.public`: `api` is public, but the spec has no `[ingress]` host to serve it on"),
        "{stderr}"
    );
    // Istio's own ports, a host that is not one, and an attempt longer than its request.
    let dir = minimal_project(|text| {
        text.replacen("metrics_port = 9090\n", "metrics_port = 15020\n", 1)
            + "\n[ingress]\nhost = \"API.example.com\"\ntimeout = \"5s\"\nper_try_timeout = \"10s\"\n"
    });
    let stderr = fails_with_2(dir.path(), &["render"]);
    for expected in [
        "error: `services.api.metrics_port`: port 15020 is taken by the Istio sidecar in every meshed pod",
        "error: `ingress.host`: \"API.example.com\" is not a host name",
        "error: `ingress.per_try_timeout`: one attempt (`10s`) may take longer than the whole request (`5s`)",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}
