//! The observability artifacts against the real Prometheus and Alertmanager tools
//! (`promtool` 2.42, `amtool` 0.25 from Debian bookworm, installed by
//! scripts/install-tools.sh), for every environment of the repository:
//!
//! - `promtool check rules` on every PrometheusRule's `spec`: zero errors or warnings;
//! - `promtool test rules` with the unit tests of `tests/promtool/*.yaml` on production's
//!   rules; every alert of the catalogue has a firing and a not-firing case there;
//! - `promtool check rules` on every dashboard panel's `expr` (as recording rules);
//! - `promtool test rules` on the canaries' analysis query: the canary's own 5xx ratio, 0
//!   when it has no errors or no requests yet, blind to the stable pods;
//! - `amtool check-config` on every environment's Alertmanager configuration, and its
//!   routing read back (critical to PagerDuty only in production, no key value anywhere).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use daactl::observability::{alertmanager, alerts, dashboards};
use daactl::project::Project;
use daactl::render::Rendered;
use daactl::spec::model::Environment;
use serde_json::{Value, json};

mod common;

fn environments() -> Vec<Environment> {
    let repo = common::repo();
    Project::discover(Some(&repo), &repo)
        .unwrap()
        .load_specs(&[])
        .unwrap()
        .into_iter()
        .map(|spec| spec.environment)
        .collect()
}

fn objects<'a>(rendered: &'a Rendered, kind: &'a str) -> impl Iterator<Item = &'a Value> {
    rendered
        .resources
        .iter()
        .filter(move |r| r.kind == kind)
        .map(|r| &r.value)
}

/// Runs a tool and returns its combined output, failing the test on a non-zero exit.
fn run_ok(mut command: Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{text}");
    text
}

/// `promtool check rules FILE`: succeeds and reports neither a warning nor an error.
fn check_rules(promtool: &Path, file: &Path, what: &str) -> String {
    let mut command = Command::new(promtool);
    command.args(["check", "rules"]).arg(file);
    let text = run_ok(command, what);
    assert!(text.contains("SUCCESS"), "{what}:\n{text}");
    let lower = text.to_lowercase();
    assert!(
        !lower.contains("warning") && !lower.contains("error"),
        "{what}:\n{text}"
    );
    text
}

#[test]
fn promtool_accepts_every_environments_rules() {
    let Some(promtool) = common::tool("prom/promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for rendered in common::render_repo() {
        for rule in objects(&rendered, "PrometheusRule") {
            let name = rule["metadata"]["name"].as_str().unwrap();
            let file = dir
                .path()
                .join(format!("{}-{name}.yaml", rendered.environment));
            std::fs::write(&file, serde_json::to_string_pretty(&rule["spec"]).unwrap()).unwrap();
            let text = check_rules(
                &promtool,
                &file,
                &format!("{} PrometheusRule {name}", rendered.environment),
            );
            let rules: usize = rule["spec"]["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["rules"].as_array().unwrap().len())
                .sum();
            assert!(
                text.contains(&format!("SUCCESS: {rules} rules found")),
                "{text}"
            );
            checked += 1;
        }
    }
    // production and staging: services, postgres, backups; development without backups.
    assert_eq!(checked, 8);
}

#[test]
fn promtool_rejects_a_broken_rule() {
    // The check above can fail: promtool refuses bad PromQL and a bad `for`.
    let Some(promtool) = common::tool("prom/promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    let broken = json!({"groups": [{"name": "g", "rules": [
        {"alert": "Broken", "expr": "sum(rate(http_requests_total[5m]) >", "for": "30s"}
    ]}]});
    std::fs::write(&file, broken.to_string()).unwrap();
    let output = Command::new(promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[test]
fn promtool_unit_tests_pass_on_productions_rules() {
    let Some(promtool) = common::tool("prom/promtool") else {
        return;
    };
    let rendered = common::render_repo()
        .into_iter()
        .find(|r| r.environment == "production")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for rule in objects(&rendered, "PrometheusRule") {
        let name = rule["metadata"]["name"].as_str().unwrap();
        std::fs::write(
            dir.path().join(format!("{name}.yaml")),
            serde_json::to_string_pretty(&rule["spec"]).unwrap(),
        )
        .unwrap();
    }
    let tests_dir = common::repo().join("tests/promtool");
    let mut firing = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&tests_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    assert!(!files.is_empty());
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let test = &daactl::yaml::parse_stream(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))[0]
            .value;
        for case in test["tests"].as_array().unwrap() {
            for alert in case["alert_rule_test"].as_array().into_iter().flatten() {
                let name = alert["alertname"].as_str().unwrap().to_owned();
                let fires = alert["exp_alerts"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty());
                if fires {
                    firing.insert(name);
                } else {
                    quiet.insert(name);
                }
            }
        }
        let copy = dir.path().join(path.file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        let mut command = Command::new(&promtool);
        command.args(["test", "rules"]).arg(&copy);
        let output = run_ok(command, &format!("promtool test rules {}", path.display()));
        assert!(output.contains("SUCCESS"), "{output}");
    }
    let every: BTreeSet<String> = alerts::catalogue().iter().map(|a| a.name.clone()).collect();
    assert_eq!(firing, every, "alerts with a firing case");
    assert_eq!(quiet, every, "alerts with a not-firing case");
}

#[test]
fn dashboard_queries_parse_in_promtool() {
    let Some(promtool) = common::tool("prom/promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for rendered in common::render_repo() {
        let app = &rendered.namespaces[0].1;
        let mut rules = Vec::new();
        let mut maps = 0;
        for map in objects(&rendered, "ConfigMap")
            .filter(|m| m["metadata"]["labels"][dashboards::SIDECAR_LABEL.0] == "1")
        {
            maps += 1;
            for (_, text) in map["data"].as_object().unwrap() {
                let model: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
                assert!(model.get("dashboard").is_none(), "a bare model");
                for expr in dashboards::expressions(&model) {
                    // Grafana fills `$namespace`; promtool needs a value.
                    let expr = expr.replace("$namespace", app);
                    rules.push(
                        json!({"record": format!("dashboard:query:{}", rules.len()), "expr": expr}),
                    );
                }
            }
        }
        assert_eq!(maps, 3, "{}", rendered.environment);
        let file = dir
            .path()
            .join(format!("{}-dashboards.yaml", rendered.environment));
        let count = rules.len();
        std::fs::write(
            &file,
            json!({"groups": [{"name": "dashboards", "rules": rules}]}).to_string(),
        )
        .unwrap();
        let text = check_rules(&promtool, &file, "dashboard queries");
        assert!(text.contains(&format!("SUCCESS: {count} rules found")));
    }
}

#[test]
fn amtool_accepts_every_environments_alertmanager_config() {
    let Some(amtool) = common::tool("prom/amtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for env in environments() {
        let config = alertmanager::config(&env);
        let file = dir.path().join(format!("{}.yml", env.name));
        std::fs::write(&file, serde_json::to_string_pretty(&config).unwrap()).unwrap();
        let mut command = Command::new(&amtool);
        command.args(["check-config"]).arg(&file);
        let text = run_ok(command, &format!("amtool check-config ({})", env.name));
        assert!(text.contains("SUCCESS"), "{text}");
    }
}

#[test]
fn amtool_rejects_a_route_to_an_unknown_receiver() {
    let Some(amtool) = common::tool("prom/amtool") else {
        return;
    };
    let env = &environments()[0];
    let mut config = alertmanager::config(env);
    config["route"]["routes"][0]["receiver"] = json!("nobody");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yml");
    std::fs::write(&file, config.to_string()).unwrap();
    let output = Command::new(amtool)
        .args(["check-config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
}

/// The receivers alerts of `severity` reach, as `amtool config routes test` prints them.
fn routes_to(amtool: &Path, file: &Path, severity: &str) -> String {
    let mut command = Command::new(amtool);
    command
        .args(["config", "routes", "test", "--config.file"])
        .arg(file)
        .arg(format!("severity={severity}"));
    // amtool adds a line warning that --config.file overrides --alertmanager.url.
    let text = run_ok(command, "amtool config routes test");
    text.lines().next().unwrap_or_default().trim().to_owned()
}

#[test]
fn alerts_route_by_severity_per_environment() {
    let Some(amtool) = common::tool("prom/amtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for env in environments() {
        let config = alertmanager::config(&env);
        let file = dir.path().join(format!("{}.yml", env.name));
        std::fs::write(&file, config.to_string()).unwrap();
        let expected = match env.name.as_str() {
            "production" => ["pagerduty-critical", "chat-warning"],
            "staging" => ["chat-critical", "chat-warning"],
            _ => ["null", "null"],
        };
        assert_eq!(
            routes_to(&amtool, &file, "critical"),
            expected[0],
            "{}",
            env.name
        );
        assert_eq!(
            routes_to(&amtool, &file, "warning"),
            expected[1],
            "{}",
            env.name
        );
        assert_eq!(routes_to(&amtool, &file, "info"), "null", "{}", env.name);
        assert_eq!(
            alertmanager::group_wait_seconds(&config, "critical"),
            Some(alertmanager::CRITICAL_GROUP_WAIT_SECONDS)
        );
        // Keys are read from mounted Secret files, never written into the configuration.
        let text = config.to_string();
        assert!(!text.contains("\"routing_key\""), "{text}");
        assert!(!text.contains("\"api_url\""), "{text}");
        for (secret, key, _) in alertmanager::secrets(&env) {
            assert!(
                text.contains(&format!("/etc/alertmanager/secrets/{secret}/{key}")),
                "{text}"
            );
        }
        let external = alertmanager::external_secrets(&env);
        assert_eq!(external.len(), alertmanager::secrets(&env).len());
    }
}

/// Review finding 7: the SLO panels averaged over `[30d]` while Prometheus kept 15 days.
/// Every range a dashboard query reads lies within the retention Terraform deploys.
#[test]
fn prometheus_keeps_every_range_the_dashboards_read() {
    let mut longest = 0;
    for (_, model) in dashboards::dashboards() {
        for expr in dashboards::expressions(&model) {
            for part in expr.split('[').skip(1) {
                let range = part.split(']').next().unwrap();
                let range = range.split(':').next().unwrap();
                longest = longest.max(alerts::duration_seconds(range).unwrap());
            }
        }
    }
    assert_eq!(
        longest,
        u64::from(dashboards::SLO_WINDOW_DAYS) * 86_400,
        "the SLO window is the longest range"
    );
    let mut checked = 0;
    for env in environments() {
        let Some(document) = daactl::terraform::document(&env) else {
            continue;
        };
        let text = document["resource"]["helm_release"]["kube_prometheus_stack"]["values"][0]
            .as_str()
            .unwrap();
        let values: Value = serde_json::from_str(text).unwrap();
        let retention = values["prometheus"]["prometheusSpec"]["retention"]
            .as_str()
            .unwrap();
        assert!(
            alerts::duration_seconds(retention).unwrap() > longest,
            "{}: retention {retention} does not cover the SLO window",
            env.name
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn the_canary_analysis_reads_only_the_canarys_error_ratio_in_promtool() {
    let Some(promtool) = common::tool("prom/promtool") else {
        return;
    };
    // Production's AnalysisTemplates carry exactly this query (committed output checks).
    let production = common::render_repo()
        .into_iter()
        .find(|r| r.environment == "production")
        .unwrap();
    let queries: Vec<&str> = objects(&production, "AnalysisTemplate")
        .map(|t| {
            t["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(queries.len(), 3);
    let query = daactl::delivery::error_ratio_query("production", "daa-service");
    assert!(queries.contains(&query.as_str()), "{queries:?}");
    // Argo Rollouts fills the argument with the canary's pod template hash.
    let for_hash = |hash: &str| {
        format!(
            "round({}, 0.001)",
            query.replace(
                &format!("{{{{args.{}}}}}", daactl::delivery::CANARY_HASH_ARG),
                hash
            )
        )
    };
    let series = |pod: &str, status: &str, per_minute: u32| {
        json!({
            "series": format!(
                "http_requests_total{{namespace=\"production\", service=\"daa-service\", pod=\"{pod}\", status=\"{status}\"}}"
            ),
            "values": format!("0+{per_minute}x10"),
        })
    };
    let case = |hash: &str, value: f64| json!({"expr": for_hash(hash), "eval_time": "5m", "exp_samples": [{"labels": "{}", "value": value}]});
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("none.yaml"), "groups: []\n").unwrap();
    let tests = json!({
        "rule_files": ["none.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                // Canary `c1`: a quarter of its answers are 5xx.
                series("daa-service-c1-aaaaa", "200", 75),
                series("daa-service-c1-aaaaa", "503", 25),
                // The stable pods fail badly: not the canary's concern.
                series("daa-service-s1-bbbbb", "500", 100),
                // Canary `c2`: healthy, no 5xx series at all.
                series("daa-service-c2-ccccc", "200", 60),
            ],
            "promql_expr_test": [
                case("c1", 0.25),
                case("c2", 0.0),
                // Canary `c3` has served nothing yet: nothing to judge, not an error.
                case("c3", 0.0),
            ],
        }],
    });
    let file = dir.path().join("canary-test.yaml");
    std::fs::write(&file, tests.to_string()).unwrap();
    let mut command = Command::new(&promtool);
    command.args(["test", "rules"]).arg(&file);
    let text = run_ok(command, "promtool test rules (canary analysis)");
    assert!(text.contains("SUCCESS"), "{text}");
}
