//! REQ-T239 Backup Verification: the backups of every CloudNativePG `Cluster` are restored
//! weekly by a CronJob, and alerts say when that restore test fails or stops succeeding.
//!
//! Whether a restore actually works is run-time evidence (the Job's outcome, which the
//! alerts watch); statically, the rule checks that the test exists, fires weekly, cannot pile
//! up or run forever, and is watched.

use serde_json::Value;

use super::common::cnpg_clusters;
use crate::policy::manifest::Manifest;
use crate::policy::rule::{Check, Context, Rule, RuleMeta};
use crate::policy::workload::pod_templates;
use crate::spec::schedule::weekly_problem;

/// ## What it does
/// Where the environment requires backups, checks that the object store of every
/// CloudNativePG `Cluster` is read by a CronJob in its namespace (a container's command,
/// arguments or environment names the Cluster's `destinationPath`) that fires once a week,
/// is not suspended, sets `concurrencyPolicy: Forbid`, `startingDeadlineSeconds`, and on its
/// Jobs `backoffLimit`, `activeDeadlineSeconds` and `ttlSecondsAfterFinished`; and that a
/// PrometheusRule alerts, with a `severity` label and a `runbook_url` annotation, on the
/// CronJob's failed Jobs (`kube_job_status_failed`) and on its last success growing old
/// (`kube_cronjob_status_last_successful_time`).
///
/// ## Why is this bad?
/// A backup nobody restores is a hope, not a backup: broken WAL archiving, a wrong
/// encryption key or a corrupt base backup only show when a restore is needed. Without
/// `Forbid`, slow restores pile up on each other; without deadlines a hung restore holds
/// its scratch volume forever and a missed run starts at any time; and a test whose failure
/// nobody hears about verifies nothing.
///
/// ## Example
/// A Cluster backed up to `s3://daa-production-backups/postgres` and no CronJob that reads
/// that path, or one scheduled `0 4 * * *` (daily) with `concurrencyPolicy: Allow`.
///
/// Use instead:
/// A CronJob scheduled `0 4 * * 0` with `concurrencyPolicy: Forbid`,
/// `startingDeadlineSeconds: 3600`, and Jobs with `backoffLimit: 1`,
/// `activeDeadlineSeconds: 14400`, `ttlSecondsAfterFinished: 432000` whose container is
/// given `BACKUP_DESTINATION=s3://daa-production-backups/postgres`, plus PrometheusRule
/// alerts on `kube_job_status_failed` and `kube_cronjob_status_last_successful_time` for it.
pub struct UnverifiedBackups;

static UNVERIFIED_BACKUPS: RuleMeta = RuleMeta {
    code: "K239-1",
    name: "backup-restore-verification",
    requirement: "REQ-T239",
    summary: "Database backups are restored by a weekly CronJob with deadlines, and alerts watch it",
    rationale: "REQ-T239 asks for weekly restore tests with integrity checks. The rule finds the CronJob that reads each Cluster's object store, checks it fires exactly once a week (five-field schedule with one weekday, or `@weekly`), cannot overlap (`Forbid`), starts late at most `startingDeadlineSeconds`, retries a bounded number of times, is stopped after `activeDeadlineSeconds` and is cleaned up (`ttlSecondsAfterFinished`), and that PrometheusRule alerts with a severity and a runbook watch its failures and its last success (REQ-T239: older than 8 days). That the restore and the integrity checks succeed is run-time evidence, which those alerts report. Development (`backups = false`) is not checked.",
    remediation: "Render a CronJob in the Cluster's namespace that restores from its `destinationPath` (pass it in the container's environment), with `schedule: \"0 4 * * 0\"`, `concurrencyPolicy: Forbid`, `startingDeadlineSeconds`, and `backoffLimit`, `activeDeadlineSeconds`, `ttlSecondsAfterFinished` on `jobTemplate.spec`; and a PrometheusRule with alerts on `kube_job_status_failed` (joined to `kube_job_owner` for the CronJob) and `time() - kube_cronjob_status_last_successful_time > 8 * 86400`, each with `labels.severity` and `annotations.runbook_url`.",
    peers: &[
        "kube-score cronjob-has-deadline",
        "kube-linter job-ttl-seconds-after-finished",
        "Datree CRONJOB_MISSING_STARTINGDEADLINESECOND_KEY",
        "Datree CRONJOB_MISSING_CONCURRENCYPOLICY_KEY",
    ],
};

impl Rule for UnverifiedBackups {
    fn meta(&self) -> &RuleMeta {
        &UNVERIFIED_BACKUPS
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        if !cx.env.backups {
            return;
        }
        for (index, cluster) in cnpg_clusters(cx.set) {
            out.saw();
            let who = cluster.subject();
            let Some(destination) =
                cluster.value["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
                    .as_str()
                    .filter(|d| !d.is_empty())
            else {
                out.fail(
                    index,
                    "/spec",
                    format!("{who} has no object store, so no restore test can read its backups"),
                );
                continue;
            };
            let tests: Vec<(usize, &Manifest)> = cx
                .set
                .of_kind("CronJob")
                .filter(|(job_index, job)| {
                    job.api_version == "batch/v1"
                        && job.namespace == cluster.namespace
                        && reads(cx, *job_index, destination)
                })
                .collect();
            if tests.is_empty() {
                out.fail(
                    index,
                    "/spec/backup/barmanObjectStore/destinationPath",
                    format!(
                        "no CronJob in namespace `{}` restores the backups of {who} (`{destination}`)",
                        cluster.namespace.as_deref().unwrap_or("default")
                    ),
                );
                continue;
            }
            let problems: Vec<Vec<(String, String)>> =
                tests.iter().map(|(_, job)| problems(cx, job)).collect();
            if problems.iter().all(|p| !p.is_empty()) {
                for ((job_index, _), found) in tests.iter().zip(problems) {
                    for (pointer, message) in found {
                        out.fail(*job_index, pointer, message);
                    }
                }
            }
        }
    }
}

/// Whether a container of the CronJob's pods names `destination` in its command, arguments
/// or environment: the restore test reads that object store.
fn reads(cx: &Context<'_>, job: usize, destination: &str) -> bool {
    let mentions = |value: &Value| {
        value.as_array().into_iter().flatten().any(|item| {
            item.as_str() == Some(destination) || item["value"].as_str() == Some(destination)
        })
    };
    pod_templates(cx.set)
        .iter()
        .filter(|pod| pod.index == job)
        .flat_map(|pod| pod.containers())
        .any(|c| {
            mentions(&c.value["command"]) || mentions(&c.value["args"]) || mentions(&c.value["env"])
        })
}

/// What keeps `job` from being the weekly, bounded, watched restore test, as (pointer,
/// message) pairs.
fn problems(cx: &Context<'_>, job: &Manifest) -> Vec<(String, String)> {
    let who = job.subject();
    let spec = &job.value["spec"];
    let jobs = &spec["jobTemplate"]["spec"];
    let mut found = Vec::new();
    let mut problem = |pointer: &str, message: String| found.push((pointer.to_owned(), message));
    if spec["suspend"].as_bool() == Some(true) {
        problem("/spec/suspend", format!("{who} is suspended"));
    }
    let schedule = spec["schedule"].as_str().unwrap_or_default();
    if let Some(why) = weekly_problem(schedule) {
        problem(
            "/spec/schedule",
            format!("schedule `{schedule}` of {who} {why}"),
        );
    }
    if spec["concurrencyPolicy"].as_str() != Some("Forbid") {
        problem(
            "/spec",
            format!("{who} does not set `concurrencyPolicy: Forbid`, so restores can overlap"),
        );
    }
    for (value, pointer, field, why) in [
        (
            &spec["startingDeadlineSeconds"],
            "/spec",
            "startingDeadlineSeconds",
            "a missed run may start at any time",
        ),
        (
            &jobs["backoffLimit"],
            "/spec/jobTemplate/spec",
            "backoffLimit",
            "a failing restore is retried six times",
        ),
        (
            &jobs["activeDeadlineSeconds"],
            "/spec/jobTemplate/spec",
            "activeDeadlineSeconds",
            "a hung restore runs forever",
        ),
        (
            &jobs["ttlSecondsAfterFinished"],
            "/spec/jobTemplate/spec",
            "ttlSecondsAfterFinished",
            "finished Jobs are never cleaned up",
        ),
    ] {
        let positive = value.as_u64().is_some_and(|n| n > 0);
        // A backoff limit of 0 is a bound too: no retry at all.
        if !(positive || (field == "backoffLimit" && value.as_u64() == Some(0))) {
            problem(pointer, format!("{who} sets no valid `{field}`: {why}"));
        }
    }
    for (metric, what) in [
        ("kube_job_status_failed", "its failed Jobs"),
        (
            "kube_cronjob_status_last_successful_time",
            "how long ago it last succeeded",
        ),
    ] {
        if !watched(cx, &job.name, metric) {
            problem(
                "/metadata/name",
                format!(
                    "no PrometheusRule alert with a `severity` label and a `runbook_url` watches {what} (`{metric}` for `{}`)",
                    job.name
                ),
            );
        }
    }
    found
}

/// Whether some PrometheusRule of the set has an alert on `metric` that names the CronJob
/// (`"<name>"` in its expression), with a `severity` label and a `runbook_url` annotation.
fn watched(cx: &Context<'_>, name: &str, metric: &str) -> bool {
    let quoted = format!("\"{name}\"");
    cx.set
        .of_kind("PrometheusRule")
        .filter(|(_, rule)| rule.api_version.starts_with("monitoring.coreos.com/"))
        .flat_map(|(_, rule)| {
            rule.value["spec"]["groups"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .flat_map(|group| group["rules"].as_array().into_iter().flatten())
        .any(|rule| {
            let expr = rule["expr"].as_str().unwrap_or_default();
            rule["alert"].as_str().is_some()
                && expr.contains(metric)
                && expr.contains(&quoted)
                && rule["labels"]["severity"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
                && rule["annotations"]["runbook_url"]
                    .as_str()
                    .is_some_and(|u| !u.is_empty())
        })
}
