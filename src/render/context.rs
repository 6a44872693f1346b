//! What templates see: the spec plus the values derived from it (image references, label
//! sets, who calls whom, config checksums), computed once here so templates stay
//! declarative and the derivations are tested in Rust.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::project::RUNBOOK_URL_PREFIX;
use crate::spec::model::{
    Access, ClusterProvider, Environment, Namespace, SecretStoreKind, Service,
};

/// The port PostgreSQL listens on.
pub const POSTGRES_PORT: u16 = 5432;
/// The port Redis listens on.
pub const REDIS_PORT: u16 = 6379;
/// Prefix of the restore test's objects before the PostgreSQL cluster's name. A prefix, not
/// a suffix: `daa-postgres-restore-verify` would sort before `daa-postgres` in Helm's file
/// order but after it in daactl's name order.
pub const RESTORE_VERIFY_PREFIX: &str = "restore-verify";
/// Name of the Redis Deployment and Service.
pub const REDIS_NAME: &str = "redis";
/// The ServiceAccount of the Istio ingress gateway Terraform installs (release
/// `istio-ingressgateway` of the `gateway` chart), whose identity public services admit.
pub const INGRESS_GATEWAY_ACCOUNT: &str = "istio-ingressgateway";
/// Name of the environment's Istio `Gateway`.
pub const GATEWAY_NAME: &str = "daa";

/// The SPIFFE identity Istio gives the pods of ServiceAccount `account` in `namespace`, as
/// AuthorizationPolicy `principals` name it (trust domain `cluster.local`).
pub fn principal(namespace: &str, account: &str) -> String {
    format!("cluster.local/ns/{namespace}/sa/{account}")
}

/// The context of one environment: `env` in every template.
pub fn environment(env: &Environment) -> Value {
    let common = common_labels(env);
    let services: Vec<Value> = env
        .services
        .iter()
        .map(|(name, s)| service(env, name, s, &common))
        .collect();
    let clients = |uses: fn(&Service) -> bool| -> Vec<&str> {
        env.services
            .iter()
            .filter(|(_, s)| uses(s))
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let pg = &env.postgres;
    let pg_labels = labels(
        &common,
        &pg.name,
        &image_version(pg.tag.as_deref(), pg.digest.as_deref()),
        "database",
    );
    let redis = &env.redis;
    let redis_labels = labels(&common, REDIS_NAME, &redis.version, "cache");
    let multi_zone = env.cluster.zones.len() > 1;
    json!({
        "name": env.name,
        "description": env.description,
        "provider": match env.cluster.provider { ClusterProvider::Kind => "kind", ClusterProvider::Eks => "eks" },
        "kubernetes_version": env.cluster.kubernetes_version,
        "pod_security_version": format!("v{}", env.cluster.kubernetes_version),
        "zones": env.cluster.zones,
        // One zone cannot satisfy a hard zone spread, so single-zone clusters only prefer it.
        "zone_spread": if multi_zone { "DoNotSchedule" } else { "ScheduleAnyway" },
        "labels": common,
        "namespaces": {
            "app": namespace(env, "app", &env.namespaces.app),
            "data": namespace(env, "data", &env.namespaces.data),
        },
        "platform": env.platform,
        "mesh": {
            "proxy": env.mesh.proxy,
            "ingress_principal": principal(&env.platform.ingress_namespace, INGRESS_GATEWAY_ACCOUNT),
        },
        "ingress": env.ingress.as_ref().map(|ingress| json!({
            "spec": ingress,
            "host": ingress.host,
            "gateway": GATEWAY_NAME,
            "port": crate::terraform::values::GATEWAY_HTTP_PORT,
        })),
        "runbook_url_prefix": RUNBOOK_URL_PREFIX,
        "observability": crate::observability::context(env),
        "delivery": crate::delivery::context(env),
        "storage_class": env.storage_class,
        "secret_store": env.secret_store,
        // A cloud environment's ClusterSecretStore reads AWS Secrets Manager in its region
        // as the External Secrets controller, whose IRSA role the Terraform creates.
        "secret_store_backend": match (env.cluster.provider, &env.cluster.region, env.secret_store.kind) {
            (ClusterProvider::Eks, Some(region), SecretStoreKind::ClusterSecretStore) =>
                json!({"service": "SecretsManager", "region": region}),
            _ => Value::Null,
        },
        "services": services,
        "postgres": {
            "spec": pg,
            "name": pg.name,
            "port": POSTGRES_PORT,
            "image_ref": image_ref(&env.images.registry, &pg.image, pg.tag.as_deref(), pg.digest.as_deref()),
            "credentials_secret": format!("{}-app", pg.name),
            "clients": clients(|s| s.postgres),
            "labels": pg_labels,
            // CloudNativePG labels its pods and volumes itself; only labels it does not
            // set are passed down.
            "inherited_labels": {
                "app.kubernetes.io/part-of": common["app.kubernetes.io/part-of"],
                "environment": env.name,
            },
            "selector": {"cnpg.io/cluster": pg.name},
            "restore_verify": restore_verify(&common, &pg.name, &image_version(pg.tag.as_deref(), pg.digest.as_deref())),
        },
        "redis": {
            "spec": redis,
            "name": REDIS_NAME,
            "port": REDIS_PORT,
            "image_ref": image_ref(&env.images.registry, &redis.image, redis.tag.as_deref(), redis.digest.as_deref()),
            "password_secret": format!("{REDIS_NAME}-auth"),
            "clients": clients(|s| s.redis),
            "labels": redis_labels,
            "selector": selector(REDIS_NAME),
        },
    })
}

/// The weekly restore test of the PostgreSQL backups (REQ-T239): its name, labels and
/// selector. It runs the PostgreSQL image, so it carries that image's version.
fn restore_verify(common: &BTreeMap<String, String>, cluster: &str, version: &str) -> Value {
    let name = restore_verify_name(cluster);
    json!({
        "name": name,
        "labels": labels(common, &name, version, "backup-verification"),
        "selector": selector(&name),
    })
}

/// The name of the restore test's objects, its ServiceAccount among them, for PostgreSQL
/// cluster `cluster`; Terraform's IAM trust for that account names it too.
pub fn restore_verify_name(cluster: &str) -> String {
    format!("{RESTORE_VERIFY_PREFIX}-{cluster}")
}

/// The namespaces of an environment, in the order templates repeat over them.
pub fn namespaces(context: &Value) -> Vec<(&'static str, Value)> {
    ["app", "data"]
        .into_iter()
        .map(|role| (role, context["namespaces"][role].clone()))
        .collect()
}

fn common_labels(env: &Environment) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/part-of".to_owned(), "daa".to_owned()),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "daactl".to_owned(),
        ),
        ("environment".to_owned(), env.name.clone()),
    ])
}

/// The recommended `app.kubernetes.io/*` labels of one workload.
fn labels(
    common: &BTreeMap<String, String>,
    name: &str,
    version: &str,
    component: &str,
) -> BTreeMap<String, String> {
    let mut labels = common.clone();
    labels.insert("app.kubernetes.io/name".into(), name.into());
    labels.insert("app.kubernetes.io/instance".into(), name.into());
    labels.insert("app.kubernetes.io/version".into(), version.into());
    labels.insert("app.kubernetes.io/component".into(), component.into());
    labels
}

/// The immutable part of a workload's labels, used by selectors.
fn selector(name: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name", name.to_owned()),
        ("app.kubernetes.io/instance", name.to_owned()),
    ])
}

fn namespace(env: &Environment, role: &str, namespace: &Namespace) -> Value {
    let access_groups: Vec<Value> = env
        .access_groups
        .iter()
        .filter(|group| group.namespaces.iter().any(|r| r.as_str() == role))
        .map(|group| {
            let access = access_name(group.access);
            json!({"group": group.group, "access": access, "name": format!("daa-{access}-{}", slug(&group.group))})
        })
        .collect();
    json!({
        "role": role,
        // Only the services' namespace is in the mesh: CloudNativePG's instance manager,
        // its operator (outside the mesh) and its init jobs do not work behind a sidecar
        // (docs/decisions/0011-istio-mesh.md).
        "meshed": role == "app",
        "name": namespace.name,
        "quota": namespace.quota,
        "container_limits": namespace.container_limits,
        "access_groups": access_groups,
    })
}

/// `group` as a Kubernetes name fragment: lower case, `-` for anything else.
fn slug(group: &str) -> String {
    let mut slug = String::new();
    for c in group.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Read => "read",
        Access::Operate => "operate",
    }
}

fn service(
    env: &Environment,
    name: &str,
    service: &Service,
    common: &BTreeMap<String, String>,
) -> Value {
    let labels = labels(common, name, &service.version, "service");
    let mut pod_labels = labels.clone();
    // Istio reads `app` and `version` for its telemetry.
    pod_labels.insert("app".into(), name.into());
    pod_labels.insert("version".into(), service.version.clone());
    let dependencies: Vec<Value> = service
        .depends_on
        .iter()
        .filter_map(|dep| {
            env.services
                .get(dep)
                .map(|d| json!({"name": dep, "port": d.port}))
        })
        .collect();
    let dependents: Vec<&str> = env
        .services
        .iter()
        .filter(|(_, s)| s.depends_on.iter().any(|d| d == name))
        .map(|(n, _)| n.as_str())
        .collect();
    let app = &env.namespaces.app.name;
    // Every dependent runs as the ServiceAccount named after it.
    let caller_principals: Vec<String> = dependents.iter().map(|d| principal(app, d)).collect();
    let mut depends_on = service.depends_on.clone();
    depends_on.sort();
    let config = config(env, name, service);
    json!({
        "name": name,
        "description": service.description,
        "public": service.public,
        "image_ref": image_ref(&env.images.registry, &service.image, service.tag.as_deref(), service.digest.as_deref()),
        "version": service.version,
        "port": service.port,
        "metrics_port": service.metrics_port,
        "replicas": service.replicas,
        "autoscaling": service.autoscaling,
        "resources": service.resources,
        "config_checksum": checksum(&config),
        "config": config,
        "config_name": format!("{name}-config"),
        "secrets": service.secrets,
        "secret_name": format!("{name}-secrets"),
        "dependencies": dependencies,
        "dependents": dependents,
        "depends_on": depends_on.join(","),
        "caller_principals": caller_principals,
        "host": format!("{name}.{app}.svc.cluster.local"),
        "postgres": service.postgres,
        "redis": service.redis,
        "labels": labels,
        "pod_labels": pod_labels,
        "selector": selector(name),
    })
}

/// A service's configuration: where its dependencies, PostgreSQL and Redis are, its
/// OpenTelemetry settings and JSON logs (REQ-T225, T226), then the spec's `config`, which
/// wins over the derived values (REQ-T209: nothing hard-coded).
fn config(env: &Environment, name: &str, service: &Service) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    let app = &env.namespaces.app.name;
    let data = &env.namespaces.data.name;
    for dependency in &service.depends_on {
        let key = format!("{}_URL", dependency.to_ascii_uppercase().replace('-', "_"));
        config.insert(key, format!("http://{dependency}.{app}.svc"));
    }
    if service.postgres {
        config.insert(
            "PGHOST".into(),
            format!("{}-rw.{data}.svc", env.postgres.name),
        );
        config.insert("PGPORT".into(), POSTGRES_PORT.to_string());
        config.insert("PGDATABASE".into(), env.postgres.database.clone());
    }
    if service.redis {
        config.insert("REDIS_HOST".into(), format!("{REDIS_NAME}.{data}.svc"));
        config.insert("REDIS_PORT".into(), REDIS_PORT.to_string());
    }
    config.extend(crate::observability::service_settings(
        env,
        name,
        &service.version,
    ));
    config.extend(service.config.clone());
    config
}

/// `registry/name:tag`, `registry/name@digest` or `registry/name:tag@digest`; names holding
/// `/` are full repositories.
pub fn image_ref(registry: &str, image: &str, tag: Option<&str>, digest: Option<&str>) -> String {
    let repository = if image.contains('/') {
        image.to_owned()
    } else {
        format!("{}/{image}", registry.trim_end_matches('/'))
    };
    match (tag, digest) {
        (Some(tag), Some(digest)) => format!("{repository}:{tag}@{digest}"),
        (None, Some(digest)) => format!("{repository}@{digest}"),
        (Some(tag), None) => format!("{repository}:{tag}"),
        (None, None) => repository,
    }
}

fn image_version(tag: Option<&str>, digest: Option<&str>) -> String {
    match (tag, digest) {
        (Some(tag), _) => tag.to_owned(),
        (None, Some(digest)) => digest
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect(),
        (None, None) => String::new(),
    }
}

/// A SHA-256 of the configuration, put on the pod template so a config change rolls pods.
fn checksum(config: &BTreeMap<String, String>) -> String {
    let canonical = serde_json::to_vec(config).expect("string maps serialize");
    Sha256::digest(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(
            image_ref("ghcr.io/daa/", "api", Some("1.0"), None),
            "ghcr.io/daa/api:1.0"
        );
        assert_eq!(
            image_ref("ghcr.io/daa", "docker.io/library/redis", Some("7"), None),
            "docker.io/library/redis:7"
        );
        assert_eq!(
            image_ref("r", "api", None, Some("sha256:ab")),
            "r/api@sha256:ab"
        );
    }

    #[test]
    fn group_names_become_name_fragments() {
        assert_eq!(slug("DAA On-Call"), "daa-on-call");
        assert_eq!(slug("oidc:daa/devs"), "oidc-daa-devs");
    }

    #[test]
    fn tag_and_digest_together() {
        assert_eq!(
            image_ref("r", "api", Some("1"), Some("sha256:ab")),
            "r/api:1@sha256:ab"
        );
    }

    #[test]
    fn checksum_follows_config() {
        let a = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let b = BTreeMap::from([("A".to_owned(), "2".to_owned())]);
        assert_eq!(checksum(&a).len(), 64);
        assert_ne!(checksum(&a), checksum(&b));
    }
}
