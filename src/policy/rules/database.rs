//! REQ-T234 Database Replication, REQ-T235 Database Backups and REQ-T236 Point-in-Time
//! Recovery, on the CloudNativePG `Cluster` (postgresql.cnpg.io/v1) that runs PostgreSQL
//! in-cluster, and its `ScheduledBackup`s.
//!
//! An environment without a `Cluster` shows nothing about its database: these rules then
//! count nothing, and the requirements are `unknown`, never `pass`.

use super::common::cnpg_clusters;
use crate::policy::manifest::Manifest;
use crate::policy::rule::{Check, Context, Rule, RuleMeta};

/// ## What it does
/// Checks that every CloudNativePG `Cluster` runs at least the environment's
/// `database_instances` (one primary plus streaming replicas): `spec.instances`.
///
/// ## Why is this bad?
/// With fewer instances there is no replica to fail over to, or fewer than the read
/// capacity production is sized for (1 primary and 3 replicas).
pub struct TooFewDatabaseInstances;

static TOO_FEW_DATABASE_INSTANCES: RuleMeta = RuleMeta {
    code: "K234-1",
    name: "database-replicas",
    requirement: "REQ-T234",
    summary: "PostgreSQL clusters run at least the environment's `database_instances`",
    rationale: "REQ-T234 asks for one primary and three read replicas in production (staging 1+1, development a single instance): CloudNativePG runs `spec.instances` pods, one primary and the rest streaming replicas it can promote. Replication lag under 5 seconds is a run-time property (an alert, not a manifest field), so it is not checked here.",
    remediation: "Set the Cluster's `spec.instances` to the environment's `database_instances` (`instances` in the environment's `[postgres]` table).",
    peers: &["CKV_AWS_157"],
};

impl Rule for TooFewDatabaseInstances {
    fn meta(&self) -> &RuleMeta {
        &TOO_FEW_DATABASE_INSTANCES
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, cluster) in cnpg_clusters(cx.set) {
            out.saw();
            let instances = cluster.value["spec"]["instances"].as_u64();
            let count = instances.unwrap_or(1);
            if count < cx.env.database_instances {
                out.fail(
                    index,
                    if instances.is_some() {
                        "/spec/instances"
                    } else {
                        "/spec"
                    },
                    format!(
                        "{} runs {count} {}, fewer than the {} environment `{}` requires",
                        cluster.subject(),
                        if count == 1 { "instance" } else { "instances" },
                        cx.env.database_instances,
                        cx.env.name
                    ),
                );
            }
        }
    }
}

/// ## What it does
/// Where the environment requires backups (`backups = true`), checks that every
/// CloudNativePG `Cluster` has `spec.backup.barmanObjectStore` with a `destinationPath` and
/// credentials, a `retentionPolicy` of at least 30 days, an `archive_timeout` (if set) of at
/// most one hour, and a `ScheduledBackup` in its namespace whose schedule fires every day.
///
/// ## Why is this bad?
/// Without an object store nothing leaves the cluster's volumes; without a daily base backup
/// a restore replays days of WAL or is impossible; a shorter retention loses the 30 days the
/// requirement keeps; a long `archive_timeout` lets hours of writes sit unarchived on a quiet
/// database.
pub struct MissingDatabaseBackup;

static MISSING_DATABASE_BACKUP: RuleMeta = RuleMeta {
    code: "K235-1",
    name: "database-backups",
    requirement: "REQ-T235",
    summary: "PostgreSQL clusters back up daily to object storage, archive WAL at least hourly, and keep 30 days",
    rationale: "REQ-T235 asks for daily full and hourly incremental backups kept 30 days. With CloudNativePG that is a `ScheduledBackup` firing every day (6-field cron, seconds first), continuous WAL archiving to `barmanObjectStore` with `archive_timeout` of at most 1h (CloudNativePG's default is 5min), and `retentionPolicy` of at least `30d`. Development (`backups = false`) is not checked and its result is `unknown`, not `pass`.",
    remediation: "Set `spec.backup: {retentionPolicy: \"30d\", barmanObjectStore: {destinationPath: s3://..., s3Credentials: {inheritFromIAMRole: true}}}` on the Cluster and render a `ScheduledBackup` with `schedule: \"0 0 2 * * *\"` and `cluster.name` set to it.",
    peers: &["CKV_AWS_133", "CKV2_AWS_8"],
};

impl Rule for MissingDatabaseBackup {
    fn meta(&self) -> &RuleMeta {
        &MISSING_DATABASE_BACKUP
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, cluster) in clusters_needing_backups(cx, out) {
            let who = cluster.subject();
            let backup = &cluster.value["spec"]["backup"];
            let store = &backup["barmanObjectStore"];
            if !store.is_object() {
                out.fail(
                    index,
                    if backup.is_object() {
                        "/spec/backup"
                    } else {
                        "/spec"
                    },
                    format!("{who} has no `backup.barmanObjectStore`, so nothing is backed up"),
                );
                continue;
            }
            let store_pointer = "/spec/backup/barmanObjectStore";
            if store["destinationPath"].as_str().is_none_or(str::is_empty) {
                out.fail(
                    index,
                    store_pointer,
                    format!("{who} has no `barmanObjectStore.destinationPath`"),
                );
            }
            if !["s3Credentials", "azureCredentials", "googleCredentials"]
                .iter()
                .any(|key| store[key].is_object())
            {
                out.fail(
                    index,
                    store_pointer,
                    format!(
                        "{who} gives its object store no `s3Credentials`, `azureCredentials` or `googleCredentials`"
                    ),
                );
            }
            match backup.get("retentionPolicy") {
                None => out.fail(
                    index,
                    "/spec/backup",
                    format!("{who} sets no `backup.retentionPolicy`; 30 days (`30d`) are required"),
                ),
                Some(value) => match value.as_str().and_then(retention_days) {
                    None => out.fail(
                        index,
                        "/spec/backup/retentionPolicy",
                        format!("`retentionPolicy` of {who} is not `<N>d`, `<N>w` or `<N>m`"),
                    ),
                    Some(days) if days < 30 => out.fail(
                        index,
                        "/spec/backup/retentionPolicy",
                        format!(
                            "{who} keeps backups {days} days (`{}`), fewer than 30",
                            value.as_str().unwrap_or_default()
                        ),
                    ),
                    Some(_) => {}
                },
            }
            let timeout = &cluster.value["spec"]["postgresql"]["parameters"]["archive_timeout"];
            if let Some(text) = timeout
                .as_str()
                .map(str::to_owned)
                .or_else(|| timeout.as_u64().map(|n| n.to_string()))
            {
                let pointer = "/spec/postgresql/parameters/archive_timeout";
                match postgres_seconds(&text) {
                    Some(seconds) if (1..=3600).contains(&seconds) => {}
                    Some(0) => out.fail(
                        index,
                        pointer,
                        format!(
                            "{who} sets `archive_timeout: {text}`, which disables time-based WAL archiving"
                        ),
                    ),
                    Some(_) => out.fail(
                        index,
                        pointer,
                        format!(
                            "{who} sets `archive_timeout: {text}`, longer than the hour incremental backups allow"
                        ),
                    ),
                    None => out.fail(
                        index,
                        pointer,
                        format!("{who} sets `archive_timeout: {text}`, which is not a PostgreSQL time"),
                    ),
                }
            }
            scheduled_backups(cx, index, cluster, out);
        }
    }
}

/// Checks that some `ScheduledBackup` backs up `cluster` at least daily; reports each one
/// that does not when none does.
fn scheduled_backups(cx: &Context<'_>, index: usize, cluster: &Manifest, out: &mut Check) {
    let schedules: Vec<(usize, &Manifest)> = cx
        .set
        .of_kind("ScheduledBackup")
        .filter(|(_, s)| {
            s.api_version.starts_with("postgresql.cnpg.io/")
                && s.namespace == cluster.namespace
                && s.value["spec"]["cluster"]["name"].as_str() == Some(cluster.name.as_str())
        })
        .collect();
    if schedules.is_empty() {
        out.fail(
            index,
            "/spec/backup",
            format!(
                "no ScheduledBackup in namespace `{}` backs up {}",
                cluster.namespace.as_deref().unwrap_or("default"),
                cluster.subject()
            ),
        );
        return;
    }
    let problems: Vec<(usize, &'static str, String)> = schedules
        .iter()
        .filter_map(|(i, s)| {
            let spec = &s.value["spec"];
            if spec["suspend"].as_bool() == Some(true) {
                return Some((*i, "/spec/suspend", format!("{} is suspended", s.subject())));
            }
            let schedule = spec["schedule"].as_str().unwrap_or_default();
            daily_problem(schedule).map(|problem| {
                (
                    *i,
                    "/spec/schedule",
                    format!("schedule `{schedule}` of {} {problem}", s.subject()),
                )
            })
        })
        .collect();
    if problems.len() == schedules.len() {
        for (i, pointer, message) in problems {
            out.fail(i, pointer, message);
        }
    }
}

/// Why a CloudNativePG schedule (robfig/cron with a seconds field, or a descriptor) does not
/// fire every day, or `None` when it does.
fn daily_problem(schedule: &str) -> Option<String> {
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if let Some(descriptor) = fields.first().filter(|f| f.starts_with('@')) {
        return match (*descriptor, fields.get(1)) {
            ("@hourly" | "@daily" | "@midnight", None) => None,
            ("@every", Some(duration))
                if go_duration_seconds(duration).is_some_and(|s| s > 0 && s <= 86_400) =>
            {
                None
            }
            _ => Some("does not fire every day".to_owned()),
        };
    }
    match fields.len() {
        6 => {
            let every = |field: &str| matches!(field, "*" | "?" | "*/1");
            (!(every(fields[3]) && every(fields[4]) && every(fields[5])))
                .then(|| "does not fire every day".to_owned())
        }
        5 => Some(
            "has 5 fields, but CloudNativePG schedules have 6, starting with seconds".to_owned(),
        ),
        _ => Some("is not a 6-field cron schedule".to_owned()),
    }
}

/// Seconds of a Go duration such as `1h`, `30m`, `1h30m`, `90s`.
fn go_duration_seconds(text: &str) -> Option<u64> {
    let mut total = 0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600,
            's' => 1,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            'm' => 60,
            _ => return None,
        };
        total += n * unit;
    }
    number.is_empty().then_some(total)
}

/// Days of a CloudNativePG retention policy: `<N>d`, `<N>w` or `<N>m` (months of 30 days).
fn retention_days(policy: &str) -> Option<u64> {
    let unit = policy.chars().last()?;
    let n: u64 = policy.strip_suffix(unit)?.parse().ok().filter(|n| *n > 0)?;
    match unit {
        'd' => Some(n),
        'w' => Some(n * 7),
        'm' => Some(n * 30),
        _ => None,
    }
}

/// Whole seconds of a PostgreSQL time setting whose default unit is seconds (`300`, `5min`,
/// `1h`, `60000ms`).
fn postgres_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let n: u64 = text[..split].parse().ok()?;
    let factor_ms: u64 = match text[split..].trim() {
        "" | "s" => 1000,
        "ms" => 1,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some((n * factor_ms).div_ceil(1000))
}

/// ## What it does
/// Where the environment requires backups, checks that every CloudNativePG `Cluster`
/// archives WAL to an object store (`backup.barmanObjectStore` with a `destinationPath`;
/// CloudNativePG archives WAL whenever one is configured) and keeps at least 7 days of it
/// (`retentionPolicy` of `7d`, `1w` or more; without one nothing is deleted).
///
/// ## Why is this bad?
/// Point-in-time recovery replays archived WAL on top of a base backup: without archiving,
/// only the moment of a base backup can be restored, and a retention under 7 days shortens
/// the window the requirement promises.
pub struct NoPointInTimeRecovery;

static NO_POINT_IN_TIME_RECOVERY: RuleMeta = RuleMeta {
    code: "K236-1",
    name: "point-in-time-recovery",
    requirement: "REQ-T236",
    summary: "PostgreSQL clusters archive WAL to object storage and keep at least 7 days of it",
    rationale: "REQ-T236 asks for 7 days of point-in-time recovery: CloudNativePG archives every WAL segment to `barmanObjectStore` (the `wal` section only tunes compression and parallelism) and deletes base backups and WAL older than `retentionPolicy`. A missing `retentionPolicy` deletes nothing, so the window only grows (`K235-1` still asks for the 30-day policy). Development (`backups = false`) is not checked.",
    remediation: "Configure `spec.backup.barmanObjectStore` with a `destinationPath` and set `spec.backup.retentionPolicy` to at least `7d` (`30d` for REQ-T235).",
    peers: &["CKV_AWS_133"],
};

impl Rule for NoPointInTimeRecovery {
    fn meta(&self) -> &RuleMeta {
        &NO_POINT_IN_TIME_RECOVERY
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        for (index, cluster) in clusters_needing_backups(cx, out) {
            let who = cluster.subject();
            let backup = &cluster.value["spec"]["backup"];
            let store = &backup["barmanObjectStore"];
            if store["destinationPath"].as_str().is_none_or(str::is_empty) {
                let pointer = if store.is_object() {
                    "/spec/backup/barmanObjectStore"
                } else if backup.is_object() {
                    "/spec/backup"
                } else {
                    "/spec"
                };
                out.fail(
                    index,
                    pointer,
                    format!(
                        "{who} archives no WAL: it has no `backup.barmanObjectStore.destinationPath`"
                    ),
                );
                continue;
            }
            let Some(value) = backup.get("retentionPolicy") else {
                continue;
            };
            let policy = value.as_str().unwrap_or_default();
            match retention_days(policy) {
                Some(days) if days >= 7 => {}
                Some(days) => out.fail(
                    index,
                    "/spec/backup/retentionPolicy",
                    format!(
                        "{who} keeps WAL {days} days (`{policy}`), fewer than the 7 of point-in-time recovery"
                    ),
                ),
                None => out.fail(
                    index,
                    "/spec/backup/retentionPolicy",
                    format!("`retentionPolicy` of {who} is not `<N>d`, `<N>w` or `<N>m`"),
                ),
            }
        }
    }
}

/// The CloudNativePG Clusters of an environment whose policy requires backups, each counted
/// as evaluated; none where backups are not required (development), so the result there is
/// `unknown`, never `pass`.
fn clusters_needing_backups<'a>(cx: &Context<'a>, out: &mut Check) -> Vec<(usize, &'a Manifest)> {
    if !cx.env.backups {
        return Vec::new();
    }
    let clusters: Vec<_> = cnpg_clusters(cx.set).collect();
    out.evaluated += clusters.len();
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_fire_daily_or_say_why_not() {
        assert_eq!(daily_problem("0 0 2 * * *"), None);
        assert_eq!(daily_problem("0 30 */6 * * ?"), None);
        assert_eq!(daily_problem("@daily"), None);
        assert_eq!(daily_problem("@every 12h"), None);
        assert!(daily_problem("@weekly").is_some());
        assert!(daily_problem("@every 48h").is_some());
        assert!(daily_problem("0 0 2 * * 0").is_some());
        assert!(daily_problem("0 0 2 1 * *").is_some());
        assert!(daily_problem("0 2 * * *").unwrap().contains("5 fields"));
    }

    #[test]
    fn retention_and_archive_timeout_parse() {
        assert_eq!(retention_days("30d"), Some(30));
        assert_eq!(retention_days("2w"), Some(14));
        assert_eq!(retention_days("1m"), Some(30));
        assert_eq!(retention_days("0d"), None);
        assert_eq!(retention_days("30 days"), None);
        assert_eq!(postgres_seconds("5min"), Some(300));
        assert_eq!(postgres_seconds("300"), Some(300));
        assert_eq!(postgres_seconds("2h"), Some(7200));
        assert_eq!(postgres_seconds("60000ms"), Some(60));
        assert_eq!(postgres_seconds("0"), Some(0));
        assert_eq!(postgres_seconds("soon"), None);
        assert_eq!(go_duration_seconds("1h30m"), Some(5400));
        assert_eq!(go_duration_seconds("1x"), None);
    }
}
