//! Rules a spec must follow beyond its types: names Kubernetes accepts, references that
//! resolve, bounds that make sense. Every problem is reported, not only the first.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex_lite::Regex;

use super::key_path::KeyPath;
use super::model::{
    AlertReceiver, ClusterProvider, DeliveryStrategy, Environment, ResourceSet, Resources, Service,
};
use super::schedule::weekly_problem;
use super::{pattern, quantity};

/// The oldest Kubernetes minor version the requirements allow (REQ-T202).
pub const MIN_KUBERNETES_MINOR: u32 = 28;

/// The ports the `istio-proxy` sidecar listens on in every meshed pod (Istio's "Ports used
/// by Istio"); an application port among them would clash with it.
const ISTIO_PORTS: &[u16] = &[
    15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090,
];

/// A rule broken at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub path: KeyPath,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

struct Patterns {
    dns_label: Regex,
    kubernetes_version: Regex,
    quantity: Regex,
    image_tag: Regex,
    image_digest: Regex,
    env_name: Regex,
    duration: Regex,
    retention: Regex,
    label_value: Regex,
    sql_identifier: Regex,
    aws_account_id: Regex,
    ipv4_cidr: Regex,
    host_name: Regex,
    proto_duration: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let compile = |p: &str| Regex::new(p).expect("spec patterns are valid");
    Patterns {
        dns_label: compile(pattern::DNS_LABEL),
        kubernetes_version: compile(pattern::KUBERNETES_VERSION),
        quantity: compile(pattern::QUANTITY),
        image_tag: compile(pattern::IMAGE_TAG),
        image_digest: compile(pattern::IMAGE_DIGEST),
        env_name: compile(pattern::ENV_NAME),
        duration: compile(pattern::DURATION),
        retention: compile(pattern::RETENTION),
        label_value: compile(pattern::LABEL_VALUE),
        sql_identifier: compile(r"^[a-z_][a-z0-9_]{0,62}$"),
        aws_account_id: compile(pattern::AWS_ACCOUNT_ID),
        ipv4_cidr: compile(pattern::IPV4_CIDR),
        host_name: compile(pattern::HOST_NAME),
        proto_duration: compile(pattern::PROTO_DURATION),
    }
});

/// Checks `env`, read from a file named `file_stem.toml`.
pub fn validate(env: &Environment, file_stem: &str) -> Vec<Problem> {
    let mut check = Checker::default();
    let root = KeyPath::root();
    let p = &*PATTERNS;

    if env.name != file_stem {
        check.fail(
            root.key("name"),
            format!(
                "the name `{}` differs from the file name `{file_stem}.toml`",
                env.name
            ),
            Some(format!("rename the file or set `name = \"{file_stem}\"`")),
        );
    }
    check.pattern(&root.key("name"), &env.name, &p.dns_label, "a DNS label");
    if crate::project::RESERVED_NAMES.contains(&env.name.as_str()) {
        check.fail(
            root.key("name"),
            format!(
                "`{}` is reserved: rendered/{} holds what daactl builds beside the environments",
                env.name, env.name
            ),
            Some("choose another name for the environment (and its file)".to_owned()),
        );
    }

    let cluster = root.key("cluster");
    let version = &env.cluster.kubernetes_version;
    if check.pattern(
        &cluster.key("kubernetes_version"),
        version,
        &p.kubernetes_version,
        "a minor version such as `1.33`",
    ) {
        let minor: u32 = version[2..].parse().unwrap_or(0);
        if minor < MIN_KUBERNETES_MINOR {
            check.fail(
                cluster.key("kubernetes_version"),
                format!("Kubernetes {version} is older than 1.{MIN_KUBERNETES_MINOR}, the oldest REQ-T202 allows"),
                None,
            );
        }
    }
    if env.cluster.zones.is_empty() {
        check.fail(
            cluster.key("zones"),
            "at least one zone is needed".into(),
            None,
        );
    }
    check.unique(&cluster.key("zones"), &env.cluster.zones);
    if env.cluster.provider == ClusterProvider::Eks && env.cluster.region.is_none() {
        check.fail(
            cluster.key("region"),
            "an `eks` cluster needs a region".into(),
            Some("add `region = \"us-east-1\"` (or the cluster's region) to `[cluster]`".into()),
        );
    }

    cloud(&mut check, env, &root);

    let namespaces = root.key("namespaces");
    for (role, namespace) in env.namespaces.by_role() {
        let at = namespaces.key(role);
        check.pattern(
            &at.key("name"),
            &namespace.name,
            &p.dns_label,
            "a DNS label",
        );
        let quota = at.key("quota");
        check.resource_set(&quota.key("requests"), &namespace.quota.requests);
        check.resource_set(&quota.key("limits"), &namespace.quota.limits);
        check.not_above(
            &quota,
            "requests",
            &namespace.quota.requests,
            "limits",
            &namespace.quota.limits,
        );
        check.quantity(&quota.key("storage"), &namespace.quota.storage);
        let limits = at.key("container_limits");
        let l = &namespace.container_limits;
        check.resource_set(&limits.key("default_request"), &l.default_request);
        check.resource_set(&limits.key("default_limit"), &l.default_limit);
        check.resource_set(&limits.key("max"), &l.max);
        check.not_above(
            &limits,
            "default_request",
            &l.default_request,
            "default_limit",
            &l.default_limit,
        );
        check.not_above(&limits, "default_limit", &l.default_limit, "max", &l.max);
    }
    if env.namespaces.app.name == env.namespaces.data.name {
        check.fail(
            namespaces.key("data").key("name"),
            "the data namespace must differ from the app namespace".into(),
            None,
        );
    }
    validate_observability(&mut check, &root, env);
    delivery(&mut check, env, &root);
    let platform = root.key("platform");
    check.pattern(
        &platform.key("monitoring_namespace"),
        &env.platform.monitoring_namespace,
        &p.dns_label,
        "a DNS label",
    );
    check.pattern(
        &platform.key("postgres_operator_namespace"),
        &env.platform.postgres_operator_namespace,
        &p.dns_label,
        "a DNS label",
    );
    check.pattern(
        &platform.key("istio_namespace"),
        &env.platform.istio_namespace,
        &p.dns_label,
        "a DNS label",
    );
    check.mesh(env, &root);

    check.pattern(
        &root.key("storage_class").key("name"),
        &env.storage_class.name,
        &p.dns_label,
        "a DNS label",
    );
    check.pattern(
        &root.key("secret_store").key("refresh_interval"),
        &env.secret_store.refresh_interval,
        &p.duration,
        "a duration such as `1h`",
    );

    if env.services.is_empty() {
        check.fail(
            root.key("services"),
            "at least one service is needed".into(),
            None,
        );
    }
    for (name, service) in &env.services {
        check.service(env, &root.key("services").key(name), name, service);
    }

    let postgres = root.key("postgres");
    let pg = &env.postgres;
    check.pattern(&postgres.key("name"), &pg.name, &p.dns_label, "a DNS label");
    if pg.instances == 0 {
        check.fail(
            postgres.key("instances"),
            "at least one instance is needed".into(),
            None,
        );
    }
    check.image(&postgres, pg.tag.as_deref(), pg.digest.as_deref());
    match &pg.tag {
        None => check.fail(
            postgres.key("tag"),
            "PostgreSQL needs an image tag".into(),
            Some(
                "CloudNativePG reads the major version from the tag; give `tag` with the `digest`"
                    .into(),
            ),
        ),
        Some(tag) => check.label_value(&postgres.key("tag"), tag),
    }
    for key in pg.parameters.keys().filter(|key| is_managed_parameter(key)) {
        check.fail(
            postgres.key("parameters").key(key),
            format!("CloudNativePG manages `{key}` and refuses clusters that set it"),
            Some(if key == "shared_preload_libraries" {
                "list extensions in `postgres.shared_preload_libraries` instead".into()
            } else {
                "remove it; see CloudNativePG's list of fixed parameters".into()
            }),
        );
    }
    check.pattern(
        &postgres.key("database"),
        &pg.database,
        &p.sql_identifier,
        "a lower-case SQL identifier",
    );
    check.pattern(
        &postgres.key("owner"),
        &pg.owner,
        &p.sql_identifier,
        "a lower-case SQL identifier",
    );
    check.quantity(&postgres.key("storage_size"), &pg.storage_size);
    check.quantity(&postgres.key("wal_storage_size"), &pg.wal_storage_size);
    check.resources(&postgres.key("resources"), &pg.resources);
    if let Some(backup) = &pg.backup {
        let at = postgres.key("backup");
        check.pattern(
            &at.key("retention"),
            &backup.retention,
            &p.retention,
            "a retention such as `30d`",
        );
        if backup.schedule.split_whitespace().count() != 6 {
            check.fail(
                at.key("schedule"),
                format!("`{}` is not a six-field cron schedule", backup.schedule),
                Some(
                    "CloudNativePG schedules start with seconds: `0 0 2 * * *` is 02:00 daily"
                        .into(),
                ),
            );
        }
        if env.cluster.provider == ClusterProvider::Eks && backup.role_arn.is_none() {
            check.fail(
                at.clone(),
                "backups on `eks` need `role_arn`, the IAM role the instances write with".into(),
                Some("add `role_arn = \"arn:aws:iam::<account>:role/<name>\"`".into()),
            );
        }
        let verify = at.key("verify");
        if let Some(problem) = weekly_problem(&backup.verify.schedule) {
            check.fail(
                verify.key("schedule"),
                format!("`{}` {problem}", backup.verify.schedule),
                Some("restore tests run weekly: `0 4 * * 0` is Sundays at 04:00".into()),
            );
        }
        if env.cluster.provider == ClusterProvider::Eks && backup.verify.role_arn.is_none() {
            check.fail(
                verify.clone(),
                "restore tests on `eks` need `role_arn`, the IAM role that reads the backups"
                    .into(),
                Some("add `role_arn = \"arn:aws:iam::<account>:role/<name>\"`".into()),
            );
        }
        if backup.verify.deadline_seconds == 0 {
            check.fail(
                verify.key("deadline_seconds"),
                "a restore test needs time to run: `deadline_seconds` is 0".into(),
                None,
            );
        }
        check.resources(&verify.key("resources"), &backup.verify.resources);
        if !["s3://", "gs://", "https://"]
            .iter()
            .any(|s| backup.destination.starts_with(s))
        {
            check.fail(
                at.key("destination"),
                format!("`{}` is not an object store path", backup.destination),
                Some(
                    "use `s3://bucket/path`, `gs://bucket/path` or an Azure `https://` URL".into(),
                ),
            );
        }
    }
    if env.services.values().any(|s| s.postgres) && pg.instances == 0 {
        check.fail(
            postgres.key("instances"),
            "services use PostgreSQL but it has no instance".into(),
            None,
        );
    }

    let redis = root.key("redis");
    check.image(
        &redis,
        env.redis.tag.as_deref(),
        env.redis.digest.as_deref(),
    );
    check.label_value(&redis.key("version"), &env.redis.version);
    check.resources(&redis.key("resources"), &env.redis.resources);

    for (i, group) in env.access_groups.iter().enumerate() {
        let at = root.key("access_groups").index(i);
        if !group.group.chars().any(|c| c.is_ascii_alphanumeric()) {
            check.fail(
                at.key("group"),
                format!(
                    "the group name {:?} has no letter or digit to name its RoleBinding by",
                    group.group
                ),
                None,
            );
        }
        if group.namespaces.is_empty() {
            check.fail(
                at.key("namespaces"),
                "name at least one namespace role".into(),
                Some("`namespaces = [\"app\"]`".into()),
            );
        }
        check.unique(&at.key("namespaces"), &group.namespaces);
    }
    check.problems
}

/// Parameters CloudNativePG sets itself; its admission webhook refuses clusters that set
/// them (`Can't set fixed configuration parameter`).
const MANAGED_PARAMETERS: &[&str] = &[
    "allow_system_table_mods",
    "archive_cleanup_command",
    "archive_command",
    "archive_mode",
    "bonjour",
    "bonjour_name",
    "cluster_name",
    "config_file",
    "data_directory",
    "data_sync_retry",
    "event_source",
    "external_pid_file",
    "full_page_writes",
    "hba_file",
    "hot_standby",
    "ident_file",
    "jit_provider",
    "listen_addresses",
    "log_destination",
    "log_directory",
    "log_file_mode",
    "log_filename",
    "log_rotation_age",
    "log_rotation_size",
    "log_truncate_on_rotation",
    "logging_collector",
    "port",
    "primary_conninfo",
    "primary_slot_name",
    "promote_trigger_file",
    "recovery_end_command",
    "recovery_min_apply_delay",
    "recovery_target",
    "recovery_target_action",
    "recovery_target_inclusive",
    "recovery_target_lsn",
    "recovery_target_name",
    "recovery_target_time",
    "recovery_target_timeline",
    "recovery_target_xid",
    "restart_after_crash",
    "restore_command",
    "shared_preload_libraries",
    "stats_temp_directory",
    "synchronous_standby_names",
    "syslog_facility",
    "syslog_ident",
    "syslog_sequence_numbers",
    "syslog_split_messages",
    "unix_socket_directories",
    "unix_socket_group",
    "unix_socket_permissions",
    "wal_level",
    "wal_log_hints",
];

/// The `[cloud]` section: required for `eks` (its Terraform is generated from it), refused
/// for `kind` (a local cluster has no cloud account), and consistent with `[cluster]`.
fn cloud(check: &mut Checker, env: &Environment, root: &KeyPath) {
    let p = &*PATTERNS;
    let at = root.key("cloud");
    let cloud = match (env.cluster.provider, &env.cloud) {
        (ClusterProvider::Eks, None) => {
            check.fail(
                root.clone(),
                "an `eks` cluster needs a `[cloud]` section, from which its Terraform is written"
                    .into(),
                Some("add `[cloud]` with `account_id`, `dr_region`, `state_bucket`, `log_bucket`, `vpc_cidr`, `api_allowed_cidrs`, `domain` and `[cloud.node_group]`".into()),
            );
            return;
        }
        (ClusterProvider::Kind, Some(_)) => {
            check.fail(
                at,
                "a `kind` cluster runs locally and has no cloud account".into(),
                Some("remove `[cloud]`, or set `cluster.provider = \"eks\"`".into()),
            );
            return;
        }
        (_, None) => return,
        (_, Some(cloud)) => cloud,
    };
    check.pattern(
        &at.key("account_id"),
        &cloud.account_id,
        &p.aws_account_id,
        "an AWS account id (twelve digits)",
    );
    if env.cluster.region.as_deref() == Some(cloud.dr_region.as_str()) {
        check.fail(
            at.key("dr_region"),
            format!(
                "the disaster-recovery region `{}` is the cluster's own region",
                cloud.dr_region
            ),
            Some("choose another region, such as `us-west-2`".into()),
        );
    }
    check.pattern(
        &at.key("vpc_cidr"),
        &cloud.vpc_cidr,
        &p.ipv4_cidr,
        "an IPv4 network such as `10.0.0.0/16`",
    );
    if cloud.api_allowed_cidrs.is_empty() {
        check.fail(
            at.key("api_allowed_cidrs"),
            "no network may reach the Kubernetes API".into(),
            Some("list the operators' networks, such as `[\"203.0.113.0/24\"]`".into()),
        );
    }
    for cidr in &cloud.api_allowed_cidrs {
        let path = at.key("api_allowed_cidrs");
        if check.pattern(&path, cidr, &p.ipv4_cidr, "an IPv4 network") && cidr.ends_with("/0") {
            check.fail(
                path,
                format!("`{cidr}` opens the Kubernetes API to the whole internet (REQ-T243)"),
                Some("list only the operators' networks".into()),
            );
        }
    }
    let group = &cloud.node_group;
    let sizes = at.key("node_group");
    if group.instance_types.is_empty() {
        check.fail(
            sizes.key("instance_types"),
            "a node group needs an instance type".into(),
            None,
        );
    }
    if !(group.min_size <= group.desired_size && group.desired_size <= group.max_size) {
        check.fail(
            sizes.key("desired_size"),
            format!(
                "sizes must satisfy min_size <= desired_size <= max_size, not {} <= {} <= {}",
                group.min_size, group.desired_size, group.max_size
            ),
            None,
        );
    }
    let zones = env.cluster.zones.len() as u32;
    if group.min_size < zones {
        check.fail(
            sizes.key("min_size"),
            format!(
                "{} nodes cannot cover the cluster's {zones} zones (REQ-T231)",
                group.min_size
            ),
            Some(format!("set `min_size = {zones}` or more")),
        );
    }
    // Terraform creates both backup roles under the name the ARN ends with, so each must be
    // a plain role of this account.
    if let Some(backup) = &env.postgres.backup {
        let at = root.key("postgres").key("backup");
        let roles = [
            (at.key("role_arn"), backup.role_arn.as_deref()),
            (
                at.key("verify").key("role_arn"),
                backup.verify.role_arn.as_deref(),
            ),
        ];
        let prefix = format!("arn:aws:iam::{}:role/", cloud.account_id);
        for (at, arn) in roles {
            if let Some(arn) = arn
                && arn
                    .strip_prefix(&prefix)
                    .is_none_or(|name| name.is_empty() || name.contains('/'))
            {
                check.fail(
                    at,
                    format!(
                        "`{arn}` is not a role of account `{}`, where Terraform creates it",
                        cloud.account_id
                    ),
                    Some(format!("use `{prefix}<name>`")),
                );
            }
        }
    }
}

/// The `[delivery]` section: a canary has its `[delivery.canary]` table, a rolling update
/// none, and only clusters with the Argo Rollouts controller (Terraform installs it on `eks`)
/// run canaries: elsewhere the Deployment, scaled to 0 for the Rollout, would run no pods.
fn delivery(check: &mut Checker, env: &Environment, root: &KeyPath) {
    let at = root.key("delivery");
    let delivery = &env.delivery;
    let canary = match (delivery.strategy, &delivery.canary) {
        (DeliveryStrategy::Rolling, None) => return,
        (DeliveryStrategy::Rolling, Some(_)) => {
            check.fail(
                at.key("canary"),
                "`[delivery.canary]` is set but `strategy` is `rolling`".into(),
                Some("remove `[delivery.canary]`, or set `strategy = \"canary\"`".into()),
            );
            return;
        }
        (DeliveryStrategy::Canary, None) => {
            check.fail(
                at.key("strategy"),
                "a canary needs `[delivery.canary]` with its steps and analysis".into(),
                Some(
                    "add `canary = { weights = [20, 50], pause = \"5m\", max_error_ratio = 0.01 }`"
                        .into(),
                ),
            );
            return;
        }
        (DeliveryStrategy::Canary, Some(canary)) => canary,
    };
    if env.cluster.provider != ClusterProvider::Eks {
        check.fail(
            at.key("strategy"),
            "a canary needs the Argo Rollouts controller, which only `eks` clusters get (from Terraform)".into(),
            Some("use `strategy = \"rolling\"`: without the controller the Deployment, scaled to 0 for the Rollout, runs no pods".into()),
        );
    }
    let canary_at = at.key("canary");
    if canary.weights.is_empty() {
        check.fail(
            canary_at.key("weights"),
            "a canary needs at least one step below 100%".into(),
            Some("`weights = [20, 50]`".into()),
        );
    }
    for (i, weight) in canary.weights.iter().enumerate() {
        if !(1..=99).contains(weight) {
            check.fail(
                canary_at.key("weights").index(i),
                format!("the weight `{weight}` is not between 1 and 99 percent"),
                Some("the release gets 100% after the last step anyway".into()),
            );
        } else if i > 0 && *weight <= canary.weights[i - 1] {
            check.fail(
                canary_at.key("weights").index(i),
                format!(
                    "the weight `{weight}` does not grow from the step before (`{}`)",
                    canary.weights[i - 1]
                ),
                None,
            );
        }
    }
    for (key, value) in [("pause", &canary.pause), ("interval", &canary.interval)] {
        check.pattern(
            &canary_at.key(key),
            value,
            &PATTERNS.duration,
            "a duration such as `5m`",
        );
    }
    let ratio = canary.max_error_ratio;
    if !(ratio > 0.0 && ratio < 1.0) {
        check.fail(
            canary_at.key("max_error_ratio"),
            format!("the error ratio `{ratio}` is not between 0 and 1"),
            Some("set a fraction such as `0.01` (1% of requests answered with 5xx)".into()),
        );
    }
}

fn is_managed_parameter(key: &str) -> bool {
    MANAGED_PARAMETERS.contains(&key) || key.starts_with("ssl")
}

/// Sampling is a ratio, and every severity routed somewhere has that receiver's secret.
fn validate_observability(check: &mut Checker, root: &KeyPath, env: &Environment) {
    let at = root.key("observability");
    let ratio = env.observability.trace_sampling_ratio;
    if !(0.0..=1.0).contains(&ratio) {
        check.fail(
            at.key("trace_sampling_ratio"),
            format!("the trace sampling ratio `{ratio}` is not between 0 and 1"),
            Some("set a fraction such as `0.1` (10% of traces) or `1` (all)".into()),
        );
    }
    let alerting = &env.observability.alerting;
    let at = at.key("alerting");
    for (severity, receiver) in [
        ("critical", alerting.critical),
        ("warning", alerting.warning),
    ] {
        let (missing, key) = match receiver {
            AlertReceiver::Pagerduty => (
                alerting.pagerduty_routing_key.is_none(),
                "pagerduty_routing_key",
            ),
            AlertReceiver::Chat => (alerting.chat_webhook.is_none(), "chat_webhook"),
            AlertReceiver::None => (false, ""),
        };
        if missing {
            check.fail(
                at.key(severity),
                format!(
                    "`{severity}` alerts go to `{}`, but `{key}` is not set",
                    receiver.as_str()
                ),
                Some(format!(
                    "set `{key} = {{ remote_key = \"...\", property = \"...\" }}` in `[observability.alerting]`"
                )),
            );
        }
    }
    if alerting.chat_webhook.is_some() && alerting.chat_channel.is_none() {
        check.fail(
            at.key("chat_webhook"),
            "a chat webhook is set without `chat_channel`".into(),
            Some("set `chat_channel = \"#daa-alerts\"`".into()),
        );
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: KeyPath, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            path,
            message,
            hint,
        });
    }

    fn pattern(&mut self, path: &KeyPath, value: &str, pattern: &Regex, what: &str) -> bool {
        let ok = pattern.is_match(value);
        if !ok {
            self.fail(
                path.clone(),
                format!("{value:?} is not {what}"),
                Some(format!("it must match `{}`", pattern.as_str())),
            );
        }
        ok
    }

    fn quantity(&mut self, path: &KeyPath, value: &str) -> bool {
        self.pattern(path, value, &PATTERNS.quantity, "a Kubernetes quantity")
    }

    fn resource_set(&mut self, path: &KeyPath, set: &ResourceSet) {
        self.quantity(&path.key("cpu"), &set.cpu);
        self.quantity(&path.key("memory"), &set.memory);
        self.quantity(&path.key("ephemeral_storage"), &set.ephemeral_storage);
    }

    fn resources(&mut self, path: &KeyPath, resources: &Resources) {
        self.resource_set(&path.key("requests"), &resources.requests);
        self.resource_set(&path.key("limits"), &resources.limits);
        self.not_above(
            path,
            "requests",
            &resources.requests,
            "limits",
            &resources.limits,
        );
    }

    /// Each quantity of `low` must be at most the same quantity of `high`.
    fn not_above(
        &mut self,
        path: &KeyPath,
        low_name: &str,
        low: &ResourceSet,
        high_name: &str,
        high: &ResourceSet,
    ) {
        let pairs = [
            ("cpu", &low.cpu, &high.cpu),
            ("memory", &low.memory, &high.memory),
            (
                "ephemeral_storage",
                &low.ephemeral_storage,
                &high.ephemeral_storage,
            ),
        ];
        for (resource, l, h) in pairs {
            if let (Some(lv), Some(hv)) = (quantity::parse(l), quantity::parse(h))
                && lv > hv
            {
                self.fail(
                    path.key(low_name).key(resource),
                    format!("{low_name} {resource} `{l}` is above {high_name} `{h}`"),
                    None,
                );
            }
        }
    }

    fn unique<T: Ord + std::fmt::Debug>(&mut self, path: &KeyPath, items: &[T]) {
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            if !seen.insert(item) {
                self.fail(path.index(i), format!("{item:?} is listed twice"), None);
            }
        }
    }

    fn image(&mut self, path: &KeyPath, tag: Option<&str>, digest: Option<&str>) {
        if tag.is_none() && digest.is_none() {
            self.fail(
                path.clone(),
                "give a `tag`, a `digest` or both".into(),
                Some("pin by `digest = \"sha256:…\"` in staging and production (REQ-T216)".into()),
            );
        }
        if let Some(tag) = tag {
            self.pattern(&path.key("tag"), tag, &PATTERNS.image_tag, "an image tag");
        }
        if let Some(digest) = digest {
            self.pattern(
                &path.key("digest"),
                digest,
                &PATTERNS.image_digest,
                "a sha256 image digest",
            );
        }
    }

    fn label_value(&mut self, path: &KeyPath, value: &str) {
        self.pattern(
            path,
            value,
            &PATTERNS.label_value,
            "a Kubernetes label value (63 characters: letters, digits, `-`, `_`, `.`)",
        );
    }

    /// The mesh's sidecar sizes and the public entry point (REQ-T203, REQ-T232).
    fn mesh(&mut self, env: &Environment, root: &KeyPath) {
        let p = &*PATTERNS;
        let proxy = root.key("mesh").key("proxy");
        let (requests, limits) = (&env.mesh.proxy.requests, &env.mesh.proxy.limits);
        for (kind, set) in [("requests", requests), ("limits", limits)] {
            self.quantity(&proxy.key(kind).key("cpu"), &set.cpu);
            self.quantity(&proxy.key(kind).key("memory"), &set.memory);
        }
        for (resource, low, high) in [
            ("cpu", &requests.cpu, &limits.cpu),
            ("memory", &requests.memory, &limits.memory),
        ] {
            if let (Some(l), Some(h)) = (quantity::parse(low), quantity::parse(high))
                && l > h
            {
                self.fail(
                    proxy.key("requests").key(resource),
                    format!("requests {resource} `{low}` is above limits `{high}`"),
                    None,
                );
            }
        }
        let Some(ingress) = &env.ingress else {
            // Public services are reached only through the gateway, which needs a host.
            if let Some((name, _)) = env.services.iter().find(|(_, s)| s.public) {
                self.fail(
                    root.key("services").key(name).key("public"),
                    format!("`{name}` is public, but the spec has no `[ingress]` host to serve it on"),
                    Some("add `[ingress]` with `host = \"api.example.com\"`, or set `public = false`".into()),
                );
            }
            return;
        };
        let at = root.key("ingress");
        self.pattern(&at.key("host"), &ingress.host, &p.host_name, "a host name");
        for (key, value) in [
            ("timeout", &ingress.timeout),
            ("per_try_timeout", &ingress.per_try_timeout),
        ] {
            self.pattern(
                &at.key(key),
                value,
                &p.proto_duration,
                "a duration in seconds such as `15s`",
            );
        }
        let seconds = |d: &str| d.trim_end_matches('s').parse::<f64>().ok();
        if let (Some(total), Some(each)) =
            (seconds(&ingress.timeout), seconds(&ingress.per_try_timeout))
            && each > total
        {
            self.fail(
                at.key("per_try_timeout"),
                format!(
                    "one attempt (`{}`) may take longer than the whole request (`{}`)",
                    ingress.per_try_timeout, ingress.timeout
                ),
                None,
            );
        }
    }

    fn service(&mut self, env: &Environment, at: &KeyPath, name: &str, service: &Service) {
        let p = &*PATTERNS;
        if !p.dns_label.is_match(name) {
            self.fail(
                at.clone(),
                format!("the service name {name:?} is not a DNS label"),
                Some("use lower-case letters, digits and `-`, starting with a letter".into()),
            );
        }
        self.image(at, service.tag.as_deref(), service.digest.as_deref());
        self.label_value(&at.key("version"), &service.version);
        if service.port == 0 {
            self.fail(at.key("port"), "port 0 is not a port".into(), None);
        }
        if service.metrics_port == 0 {
            self.fail(at.key("metrics_port"), "port 0 is not a port".into(), None);
        }
        for (key, port) in [
            ("port", service.port),
            ("metrics_port", service.metrics_port),
        ] {
            if ISTIO_PORTS.contains(&port) {
                self.fail(
                    at.key(key),
                    format!("port {port} is taken by the Istio sidecar in every meshed pod"),
                    Some("Istio reserves 15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053 and 15090".into()),
                );
            }
        }
        if service.port == service.metrics_port {
            self.fail(
                at.key("metrics_port"),
                "the metrics port must differ from `port`".into(),
                None,
            );
        }
        let replicas = at.key("replicas");
        if service.replicas.min == 0 {
            self.fail(
                replicas.key("min"),
                "at least one replica is needed".into(),
                None,
            );
        }
        if service.replicas.min > service.replicas.max {
            self.fail(
                replicas.key("max"),
                format!(
                    "max {} is below min {}",
                    service.replicas.max, service.replicas.min
                ),
                None,
            );
        }
        let autoscaling = at.key("autoscaling");
        for (key, value) in [
            ("cpu_utilization", service.autoscaling.cpu_utilization),
            ("memory_utilization", service.autoscaling.memory_utilization),
        ] {
            if value == 0 {
                self.fail(
                    autoscaling.key(key),
                    "a target of 0% never scales down".into(),
                    None,
                );
            }
        }
        self.resources(&at.key("resources"), &service.resources);
        for (i, dependency) in service.depends_on.iter().enumerate() {
            let path = at.key("depends_on").index(i);
            if dependency == name {
                self.fail(path, format!("`{name}` depends on itself"), None);
            } else if !env.services.contains_key(dependency) {
                let known: Vec<_> = env.services.keys().map(|k| format!("`{k}`")).collect();
                self.fail(
                    path,
                    format!("unknown service `{dependency}`"),
                    Some(format!("known services: {}", known.join(", "))),
                );
            }
        }
        self.unique(&at.key("depends_on"), &service.depends_on);
        let mut env_names = BTreeSet::new();
        for key in service.config.keys() {
            let path = at.key("config").key(key);
            self.pattern(&path, key, &p.env_name, "an environment variable name");
            env_names.insert(key.as_str());
        }
        for (i, secret) in service.secrets.iter().enumerate() {
            let path = at.key("secrets").index(i);
            self.pattern(
                &path.key("env"),
                &secret.env,
                &p.env_name,
                "an environment variable name",
            );
            if !env_names.insert(secret.env.as_str()) {
                self.fail(
                    path.key("env"),
                    format!(
                        "`{}` is set twice (in `config` or another secret)",
                        secret.env
                    ),
                    None,
                );
            }
            if secret.remote_key.trim().is_empty() {
                self.fail(
                    path.key("remote_key"),
                    "the remote key is empty".into(),
                    None,
                );
            }
        }
    }
}
