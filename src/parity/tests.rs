use serde_json::json;

use super::allow::Pattern;
use super::judge::replace_words;
use super::*;
use crate::render::{Rendered, Resource};
use crate::testing::render;
use crate::variance::Segment;

fn deployment(env: &str, read_only: bool, cpu: &str) -> Resource {
    Resource {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some(env.into()),
        name: "web".into(),
        template: "deployment.yaml.j2".into(),
        value: json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": env, "labels": {"environment": env}},
            "spec": {"template": {"spec": {"containers": [{
                "name": "web",
                "env": [{"name": "DB", "value": format!("db.{env}-data.svc")}],
                "resources": {"limits": {"cpu": cpu}},
                "securityContext": {"readOnlyRootFilesystem": read_only},
            }]}}},
        }),
    }
}

fn parity(renders: &[Rendered]) -> Parity {
    Parity::of(&Variance::of(renders), &AllowList::embedded().unwrap())
}

fn verdicts(parity: &Parity) -> Vec<(String, &'static str)> {
    parity
        .objects
        .iter()
        .flat_map(|o| &o.differences)
        .map(|d| {
            let label = match &d.verdict {
                Verdict::Allowed { category, .. } => category.as_str(),
                Verdict::Violation => "violation",
            };
            (d.named.clone(), label)
        })
        .collect()
}

#[test]
fn names_scale_and_security_are_told_apart() {
    let renders = [
        render("production", vec![deployment("production", true, "1")]),
        render(
            "development",
            vec![deployment("development", false, "250m")],
        ),
    ];
    let parity = parity(&renders);
    assert_eq!(
        verdicts(&parity),
        [
            ("metadata.namespace".to_owned(), "naming"),
            ("metadata.labels.environment".to_owned(), "naming"),
            (
                "spec.template.spec.containers[web].env[DB].value".to_owned(),
                "naming"
            ),
            (
                "spec.template.spec.containers[web].resources.limits.cpu".to_owned(),
                "scale"
            ),
            (
                "spec.template.spec.containers[web].securityContext.readOnlyRootFilesystem"
                    .to_owned(),
                "violation"
            ),
        ]
    );
    assert_eq!(parity.violations(), 1);
    assert_eq!(parity.environments[parity.reference], "production");
    assert!(
        parity.violations_in(0).is_empty(),
        "the reference has none of its own"
    );
    let seen = parity.violations_in(1);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].difference.unwrap().path.pointer(),
        "/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem"
    );
}

#[test]
fn an_object_in_some_environments_needs_an_adapter() {
    let backup = |env: &str| Resource {
        api_version: "postgresql.cnpg.io/v1".into(),
        kind: "ScheduledBackup".into(),
        namespace: Some(format!("{env}-data")),
        name: "daily".into(),
        template: "t".into(),
        value: json!({"kind": "ScheduledBackup"}),
    };
    let mut odd = deployment("production", true, "1");
    odd.name = "extra".into();
    let parity = parity(&[
        render("production", vec![backup("production"), odd]),
        render("development", vec![]),
    ]);
    let presence: Vec<(String, bool)> = parity
        .objects
        .iter()
        .map(|o| (o.key.display(), o.presence.as_ref().unwrap().is_violation()))
        .collect();
    assert_eq!(
        presence,
        [
            ("ScheduledBackup <data>/daily".to_owned(), false),
            ("Deployment <app>/extra".to_owned(), true),
        ]
    );
    let seen = parity.violations_in(1);
    assert_eq!(seen.len(), 1);
    assert!(seen[0].difference.is_none());
}

#[test]
fn a_lifted_difference_is_judged_leaf_by_leaf() {
    // Every key of `hard` differs, so the variance model holds one difference at `spec`;
    // parity judges each quota entry, and an unlisted key under it is a violation.
    let quota = |env: &str, cpu: &str, extra: Option<&str>| {
        let mut spec = json!({"hard": {"requests.cpu": cpu}});
        if let Some(extra) = extra {
            spec["scopeSelector"] = json!({"matchExpressions": [{"operator": extra}]});
        }
        Resource {
            api_version: "v1".into(),
            kind: "ResourceQuota".into(),
            namespace: Some(env.into()),
            name: "quota".into(),
            template: "t".into(),
            value: json!({"kind": "ResourceQuota", "spec": spec}),
        }
    };
    let parity = parity(&[
        render("production", vec![quota("production", "8", None)]),
        render(
            "development",
            vec![quota("development", "2", Some("Exists"))],
        ),
    ]);
    assert_eq!(
        verdicts(&parity),
        [
            ("spec.hard.\"requests.cpu\"".to_owned(), "scale"),
            ("spec.scopeSelector".to_owned(), "violation"),
        ]
    );
}

#[test]
fn names_are_replaced_only_as_whole_words() {
    let names = vec![
        ("production-data".to_owned(), "<data namespace>".to_owned()),
        ("production".to_owned(), "<environment>".to_owned()),
    ];
    assert_eq!(
        replace_words(
            "pg.production-data.svc production/db productions xproduction",
            &names
        ),
        "pg.<data namespace>.svc <environment>/db productions xproduction"
    );
}

#[test]
fn patterns_read_keys_quotes_and_items() {
    let pattern = Pattern::parse("spec.containers[web].env[].\"a.b\"").unwrap();
    let path = |name: Option<&str>| {
        vec![
            (Segment::Key("spec".into()), None),
            (Segment::Key("containers".into()), None),
            (Segment::Index(0), name.map(str::to_owned)),
            (Segment::Key("env".into()), None),
            (Segment::Index(4), None),
            (Segment::Key("a.b".into()), None),
            (Segment::Key("deeper".into()), None),
        ]
    };
    assert!(
        pattern.covers(&path(Some("web"))),
        "covers what is under it"
    );
    assert!(!pattern.covers(&path(Some("api"))));
    assert!(!pattern.covers(&path(None)));
    assert!(Pattern::parse("spec.*[2]").unwrap().covers(&[
        (Segment::Key("spec".into()), None),
        (Segment::Key("anything".into()), None),
        (Segment::Index(2), None),
    ]));
    for bad in ["", "a..b", "a.", "a[", "\"a", "\"a\"b"] {
        assert!(Pattern::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn the_committed_allow_list_reads() {
    let allow = AllowList::embedded().unwrap();
    assert_eq!(allow.reference, "production");
    assert!(
        allow
            .allow
            .iter()
            .all(|a| !a.reason.is_empty() && !a.paths.is_empty())
    );
}

fn config_map(env: &str, data: serde_json::Value) -> Resource {
    Resource {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: Some(env.into()),
        name: "settings".into(),
        template: "t".into(),
        value: json!({"kind": "ConfigMap", "data": data}),
    }
}

#[test]
fn each_environment_is_judged_against_the_reference_on_its_own() {
    // Staging differs from production only by its namespace name; development points
    // somewhere else entirely. Only development has a violation.
    let renders = [
        render(
            "production",
            vec![config_map(
                "production",
                json!({"DB": "db.production-data.svc"}),
            )],
        ),
        render(
            "staging",
            vec![config_map("staging", json!({"DB": "db.staging-data.svc"}))],
        ),
        render(
            "development",
            vec![config_map("development", json!({"DB": "sqlite.local"}))],
        ),
    ];
    let variance = Variance::of(&renders);
    let parity = Parity::of(&variance, &AllowList::embedded().unwrap());
    assert_eq!(parity.violations(), 1);
    assert!(
        parity.environment(&variance, 1).violations.is_empty(),
        "staging"
    );
    let development = parity.environment(&variance, 2);
    assert_eq!(development.violations.len(), 1);
    assert_eq!(development.violations[0].pointer, "/data/DB");
}

#[test]
fn a_whole_value_that_is_the_environment_name_is_naming_only_under_naming_keys() {
    let data = |env: &str| json!({"NODE_ENV": env, "MODE": env, "HOST": format!("api.{env}.svc")});
    let parity = parity(&[
        render(
            "production",
            vec![config_map("production", data("production"))],
        ),
        render(
            "development",
            vec![config_map("development", data("development"))],
        ),
    ]);
    assert_eq!(
        verdicts(&parity),
        [
            ("data.NODE_ENV".to_owned(), "data"),
            ("data.MODE".to_owned(), "violation"),
            ("data.HOST".to_owned(), "naming"),
        ]
    );
}

#[test]
fn a_release_changes_an_images_tag_or_digest_never_its_repository() {
    let mut other = deployment("development", true, "1");
    other.value["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("docker.io/someone/debug-shell:latest");
    let mut newer = deployment("staging", true, "1");
    newer.value["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("ghcr.io/daa/web:1.5.0");
    let mut current = deployment("production", true, "1");
    current.value["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("ghcr.io/daa/web:1.4.0@sha256:0123");
    let renders = [
        render("production", vec![current]),
        render("staging", vec![newer]),
        render("development", vec![other]),
    ];
    let variance = Variance::of(&renders);
    let parity = Parity::of(&variance, &AllowList::embedded().unwrap());
    assert!(parity.environment(&variance, 1).violations.is_empty());
    let development = parity.environment(&variance, 2);
    assert_eq!(development.violations.len(), 1, "{development:?}");
    assert!(development.violations[0].pointer.ends_with("/image"));
}

#[test]
fn a_platform_allowance_holds_only_for_the_environments_it_names() {
    let class = |env: &str, provisioner: &str| Resource {
        api_version: "storage.k8s.io/v1".into(),
        kind: "StorageClass".into(),
        namespace: None,
        name: "ssd".into(),
        template: "t".into(),
        value: json!({"kind": "StorageClass", "metadata": {"name": "ssd", "labels": {"environment": env}}, "provisioner": provisioner}),
    };
    let renders = [
        render("production", vec![class("production", "ebs.csi.aws.com")]),
        render("staging", vec![class("staging", "rancher.io/local-path")]),
        render(
            "development",
            vec![class("development", "rancher.io/local-path")],
        ),
    ];
    let variance = Variance::of(&renders);
    let parity = Parity::of(&variance, &AllowList::embedded().unwrap());
    assert!(
        parity.environment(&variance, 2).violations.is_empty(),
        "development may"
    );
    let staging = parity.environment(&variance, 1);
    assert_eq!(staging.violations.len(), 1, "staging may not: {staging:?}");
    assert_eq!(staging.violations[0].pointer, "/provisioner");
}
