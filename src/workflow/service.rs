//! The two workflows of a DAA service repository: `ci.yml` (test, build, scan, promote)
//! and `release.yml` (SemVer tags).

use serde_json::{Value, json};

use super::model::{Concurrency, Job, Mapping, Step, Workflow, mapping, strings};
use super::pin;
use super::{
    CONFIG_REPOSITORY, COVERAGE_MINIMUM, IMAGE_SIZE_LIMIT_BYTES, PROMOTION, Plan, ServicePlan,
};

/// Runs on pushes to `main` only (not on pull requests, whose builds test but never push).
const ON_MAIN: &str = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
/// The Node.js major the services run on (REQ-T201: Node.js 18 Alpine base images).
const NODE_VERSION: &str = "18";
/// The pushed image by digest, as later jobs refer to it.
const IMAGE_BY_DIGEST: &str = "${{ env.IMAGE }}@${{ needs.build.outputs.digest }}";

fn read_contents() -> Mapping {
    strings([("contents", "read")])
}

fn checkout(with: Mapping) -> Step {
    let mut inputs = with;
    // The token stays out of `.git/config`, where any later step (and an uploaded
    // workspace) could read it.
    inputs.insert("persist-credentials".to_owned(), Value::Bool(false));
    Step::uses("Check out", &pin::CHECKOUT, inputs)
}

/// Checkout, Node.js and `npm ci`: how every job that runs the service's code starts.
fn node_steps() -> Vec<Step> {
    vec![
        checkout(Mapping::new()),
        Step::uses(
            "Set up Node.js",
            &pin::SETUP_NODE,
            strings([("node-version", "${{ env.NODE_VERSION }}")]),
        ),
        Step::run("Install dependencies", "npm ci", Mapping::new()),
    ]
}

/// PostgreSQL and Redis as service containers, the images production runs, by digest.
fn data_services(plan: &Plan) -> Mapping {
    mapping([
        (
            "postgres",
            json!({
                "image": plan.postgres_image,
                "env": {"POSTGRES_DB": "daa", "POSTGRES_HOST_AUTH_METHOD": "trust"},
                "ports": ["5432:5432"],
                "options": "--health-cmd pg_isready --health-interval 5s --health-timeout 5s --health-retries 20",
            }),
        ),
        (
            "redis",
            json!({
                "image": plan.redis_image,
                "ports": ["6379:6379"],
                "options": "--health-cmd \"redis-cli ping\" --health-interval 5s --health-timeout 5s --health-retries 20",
            }),
        ),
    ])
}

fn data_env() -> Mapping {
    strings([
        ("PGHOST", "localhost"),
        ("PGPORT", "5432"),
        ("PGUSER", "postgres"),
        ("PGDATABASE", "daa"),
        ("REDIS_HOST", "localhost"),
        ("REDIS_PORT", "6379"),
    ])
}

const COVERAGE_GATE: &str = r#"node <<'JS'
const fs = require('fs');
const minimum = Number(process.env.COVERAGE_MINIMUM);
const file = 'coverage/coverage-summary.json';
if (!fs.existsSync(file)) {
  console.error(`::error::${file} is missing: test:unit must write istanbul's json-summary report`);
  process.exit(1);
}
const total = JSON.parse(fs.readFileSync(file, 'utf8')).total;
const metrics = ['lines', 'statements', 'functions', 'branches'];
for (const metric of metrics) console.log(`${metric}: ${total[metric].pct}% (minimum ${minimum}%)`);
const low = metrics.filter((metric) => !(total[metric].pct >= minimum));
if (low.length > 0) {
  console.error(`::error::coverage below ${minimum}% for ${low.join(', ')}`);
  process.exit(1);
}
JS"#;

const RECORD_DIGEST: &str = r#"echo "Pushed \`${IMAGE}@${DIGEST}\`" >> "$GITHUB_STEP_SUMMARY""#;

const SIZE_GATE: &str = r#"docker pull --quiet "$IMAGE_REF"
size="$(docker image inspect --format '{{.Size}}' "$IMAGE_REF")"
echo "$IMAGE_REF: $size bytes (limit $IMAGE_SIZE_LIMIT_BYTES)"
if [ "$size" -ge "$IMAGE_SIZE_LIMIT_BYTES" ]; then
  echo "::error::$IMAGE_REF is $size bytes, not under $IMAGE_SIZE_LIMIT_BYTES (REQ-T201)"
  exit 1
fi"#;

/// Replaces the one `digest = ...` line of `[services.<name>]` and proves with Python's own
/// TOML reader that exactly that value changed.
const SET_DIGEST: &str = r#"python3 - <<'PY'
import os, re, tomllib
path, service, digest = os.environ["SPEC"], os.environ["SERVICE"], os.environ["DIGEST"]
if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
    raise SystemExit(f"not an image digest: {digest!r}")
with open(path, encoding="utf-8") as f:
    before = f.read()
lines = before.split("\n")
header = f"[services.{service}]"
start = lines.index(header)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
hits = [i for i in range(start + 1, end) if re.match(r"digest\s*=", lines[i])]
if len(hits) != 1:
    raise SystemExit(f"{path}: {header} needs one `digest = ...` line, found {len(hits)}")
lines[hits[0]] = f'digest = "{digest}"'
after = "\n".join(lines)
old, new = tomllib.loads(before), tomllib.loads(after)
old["services"][service]["digest"] = digest
if old != new:
    raise SystemExit(f"{path}: the edit changed more than services.{service}.digest")
with open(path, "w", encoding="utf-8") as f:
    f.write(after)
PY"#;

const RENDER: &str = "cargo run --locked --release --quiet -- render
cargo run --locked --release --quiet -- diff
cargo run --locked --release --quiet -- validate
cargo run --locked --release --quiet -- parity --violations";

const OPEN_PULL_REQUEST: &str = r#"if git diff --quiet; then
  echo "$TARGET already runs $DIGEST"
  echo "url=" >> "$GITHUB_OUTPUT"
  exit 0
fi
branch="promote/$SERVICE/$TARGET/${DIGEST#sha256:}"
git config user.name "daa-promotion[bot]"
git config user.email "daa-promotion[bot]@users.noreply.github.com"
git switch --create "$branch"
git add environments rendered
git commit --message "Promote $SERVICE to $TARGET: $DIGEST" --message "Built and scanned by $SOURCE_REPOSITORY@$SOURCE_SHA."
git push "https://x-access-token:$GH_TOKEN@github.com/$CONFIG_REPOSITORY.git" "HEAD:refs/heads/$branch"
url="$(gh pr create --repo "$CONFIG_REPOSITORY" --base main --head "$branch" \
  --title "Promote $SERVICE to $TARGET" \
  --body "Sets \`services.$SERVICE.digest\` in \`environments/$TARGET.toml\` to \`$DIGEST\`, built from $SOURCE_REPOSITORY@$SOURCE_SHA and scanned by Trivy.")"
if [ "$AUTO_MERGE" = true ]; then
  gh pr merge --repo "$CONFIG_REPOSITORY" --auto --squash "$url"
fi
echo "url=$url" >> "$GITHUB_OUTPUT""#;

const WAIT_FOR_SYNC: &str = r#"if [ -n "$PR_URL" ]; then
  until [ "$(gh pr view "$PR_URL" --json state --jq .state)" = MERGED ]; do
    if [ "$(gh pr view "$PR_URL" --json state --jq .state)" = CLOSED ]; then
      echo "::error::$PR_URL was closed without merging"
      exit 1
    fi
    sleep 30
  done
fi
until curl --fail --silent --show-error --header "Authorization: Bearer $ARGOCD_TOKEN" \
    "https://$ARGOCD_SERVER/api/v1/applications/$APPLICATION" \
  | jq --exit-status --arg digest "$DIGEST" \
    '.status.sync.status == "Synced" and .status.health.status == "Healthy" and any(.status.summary.images[]?; endswith("@" + $digest))'; do
  sleep 30
done"#;

/// The job that opens the pull request promoting the built digest to `target`.
fn promote(service: &ServicePlan, target: &str, auto_merge: bool) -> Job {
    let spec = format!("environments/{target}.toml");
    let mut job = Job::new(
        &format!("Promote to {target}"),
        // The pull request is opened with the promotion app's token, not the workflow's.
        Mapping::new(),
        vec![
            Step::uses(
                "Get a token for the configuration repository",
                &pin::APP_TOKEN,
                strings([
                    ("app-id", "${{ secrets.DAA_PROMOTION_APP_ID }}"),
                    (
                        "private-key",
                        "${{ secrets.DAA_PROMOTION_APP_PRIVATE_KEY }}",
                    ),
                    (
                        "owner",
                        CONFIG_REPOSITORY.split('/').next().unwrap_or_default(),
                    ),
                    (
                        "repositories",
                        CONFIG_REPOSITORY.split('/').nth(1).unwrap_or_default(),
                    ),
                    // Only what the promotion does: push a branch, open (and, for staging,
                    // auto-merge) a pull request; not the app's whole installation.
                    ("permission-contents", "write"),
                    ("permission-pull-requests", "write"),
                ]),
            )
            .id("token"),
            checkout(strings([
                ("repository", CONFIG_REPOSITORY),
                ("token", "${{ steps.token.outputs.token }}"),
            ])),
            Step::run(
                &format!("Set services.{}.digest in {spec}", service.name),
                SET_DIGEST,
                strings([
                    ("SPEC", &spec),
                    ("DIGEST", "${{ needs.build.outputs.digest }}"),
                ]),
            ),
            Step::run(
                "Render and validate the configuration",
                RENDER,
                Mapping::new(),
            ),
            Step::run(
                "Open the promotion pull request",
                OPEN_PULL_REQUEST,
                strings([
                    ("GH_TOKEN", "${{ steps.token.outputs.token }}"),
                    ("CONFIG_REPOSITORY", CONFIG_REPOSITORY),
                    ("TARGET", target),
                    ("DIGEST", "${{ needs.build.outputs.digest }}"),
                    ("SOURCE_REPOSITORY", "${{ github.repository }}"),
                    ("SOURCE_SHA", "${{ github.sha }}"),
                    ("AUTO_MERGE", if auto_merge { "true" } else { "false" }),
                ]),
            )
            .id("pr"),
        ],
    )
    .when(ON_MAIN);
    job.outputs = strings([("url", "${{ steps.pr.outputs.url }}")]);
    job
}

/// `ci.yml` of one service repository.
pub fn ci(plan: &Plan, service: &ServicePlan) -> Workflow {
    let [staging, production] = PROMOTION;
    let mut workflow = Workflow {
        name: format!("CI/CD ({})", service.name),
        on: mapping([
            ("push", json!({"branches": ["main"]})),
            ("pull_request", json!({"branches": ["main"]})),
        ]),
        permissions: Mapping::new(),
        concurrency: Concurrency {
            group: "ci-${{ github.ref }}".to_owned(),
            // A newer push to a pull request makes its running checks moot; on `main` every
            // commit's promotion runs to the end.
            cancel_in_progress: Value::String(
                "${{ github.event_name == 'pull_request' }}".to_owned(),
            ),
        },
        env: strings([
            ("SERVICE", &service.name),
            ("IMAGE", &service.image),
            ("NODE_VERSION", NODE_VERSION),
        ]),
        jobs: serde_json::Map::new(),
    };

    let mut quality = node_steps();
    quality[0] = checkout(mapping([("fetch-depth", json!(0))]));
    quality.extend([
        Step::run("ESLint", "npx --no-install eslint --max-warnings 0 .", Mapping::new()),
        Step::run("Prettier", "npx --no-install prettier --check .", Mapping::new()),
        Step::run("Type check", "npm run typecheck", Mapping::new()),
        Step::uses(
            "SonarQube scan and quality gate",
            &pin::SONARQUBE_SCAN,
            strings([(
                "args",
                &format!(
                    "-Dsonar.projectKey={} -Dsonar.qualitygate.wait=true -Dsonar.qualitygate.timeout=600",
                    service.name
                ),
            )]),
        )
        .env(strings([
            ("SONAR_TOKEN", "${{ secrets.SONAR_TOKEN }}"),
            ("SONAR_HOST_URL", "${{ secrets.SONAR_HOST_URL }}"),
        ])),
    ]);
    workflow.job(
        "quality",
        Job::new("Lint and quality gate", read_contents(), quality),
    );

    let mut unit = node_steps();
    unit.extend([
        Step::run(
            "Unit tests with coverage",
            "npm run test:unit",
            Mapping::new(),
        ),
        Step::run(
            &format!("Coverage gate ({COVERAGE_MINIMUM} %)"),
            COVERAGE_GATE,
            strings([("COVERAGE_MINIMUM", &COVERAGE_MINIMUM.to_string())]),
        ),
    ]);
    workflow.job("unit", Job::new("Unit tests", read_contents(), unit));

    let mut integration = node_steps();
    integration.push(Step::run(
        "Integration tests",
        "npm run test:integration",
        Mapping::new(),
    ));
    let mut job = Job::new("Integration tests", read_contents(), integration);
    job.services = data_services(plan);
    job.env = data_env();
    workflow.job("integration", job);

    let mut e2e = node_steps();
    e2e.extend([
        Step::run("Build", "npm run build --if-present", Mapping::new()),
        Step::run("End-to-end tests", "npm run test:e2e", Mapping::new()),
    ]);
    let mut job = Job::new("End-to-end tests", read_contents(), e2e);
    job.services = data_services(plan);
    job.env = data_env();
    workflow.job("e2e", job);

    let mut build = Job::new(
        "Build and push the image",
        strings([("contents", "read"), ("packages", "write")]),
        vec![
            checkout(Mapping::new()),
            Step::uses("Set up Buildx", &pin::SETUP_BUILDX, Mapping::new()),
            registry_login(plan),
            Step::uses(
                "Build and push, tagged with the full commit SHA",
                &pin::BUILD_PUSH,
                mapping([
                    ("context", json!(".")),
                    ("push", json!(true)),
                    ("tags", json!("${{ env.IMAGE }}:${{ github.sha }}")),
                    (
                        "labels",
                        json!("org.opencontainers.image.revision=${{ github.sha }}"),
                    ),
                ]),
            )
            .id("build"),
            Step::run(
                "Record the digest",
                RECORD_DIGEST,
                strings([("DIGEST", "${{ steps.build.outputs.digest }}")]),
            ),
        ],
    )
    .needs(&["quality", "unit", "integration", "e2e"])
    .when(ON_MAIN);
    build.outputs = strings([("digest", "${{ steps.build.outputs.digest }}")]);
    workflow.job("build", build);

    workflow.job(
        "scan",
        Job::new(
            "Scan the pushed image",
            strings([
                ("contents", "read"),
                ("packages", "read"),
                ("security-events", "write"),
            ]),
            vec![
                checkout(Mapping::new()),
                registry_login(plan),
                Step::uses(
                    "Trivy (fails on CRITICAL)",
                    &pin::TRIVY,
                    strings([
                        ("image-ref", IMAGE_BY_DIGEST),
                        ("severity", "CRITICAL"),
                        ("exit-code", "1"),
                        ("ignore-unfixed", "false"),
                        ("format", "sarif"),
                        ("output", "trivy-image.sarif"),
                        // Otherwise the SARIF report forces every severity and the exit
                        // code would fire on any finding.
                        ("limit-severities-for-sarif", "true"),
                    ]),
                ),
                Step::uses(
                    "Upload the scan to code scanning",
                    &pin::UPLOAD_SARIF,
                    strings([
                        ("sarif_file", "trivy-image.sarif"),
                        ("category", "trivy-image"),
                    ]),
                )
                .when("${{ !cancelled() }}"),
                Step::run(
                    "Image size gate (REQ-T201)",
                    SIZE_GATE,
                    strings([
                        ("IMAGE_REF", IMAGE_BY_DIGEST),
                        (
                            "IMAGE_SIZE_LIMIT_BYTES",
                            &IMAGE_SIZE_LIMIT_BYTES.to_string(),
                        ),
                    ]),
                ),
            ],
        )
        .needs(&["build"])
        .when(ON_MAIN),
    );

    workflow.job(
        &format!("promote-{staging}"),
        promote(service, staging, true).needs(&["build", "scan"]),
    );

    let mut smoke = node_steps();
    smoke.insert(
        0,
        Step::run(
            &format!("Wait until Argo CD runs the digest in {staging}"),
            WAIT_FOR_SYNC,
            strings([
                ("GH_TOKEN", "${{ github.token }}"),
                (
                    "PR_URL",
                    &format!("${{{{ needs.promote-{staging}.outputs.url }}}}"),
                ),
                ("ARGOCD_SERVER", "${{ secrets.ARGOCD_SERVER }}"),
                ("ARGOCD_TOKEN", "${{ secrets.ARGOCD_READONLY_TOKEN }}"),
                ("APPLICATION", &format!("daa-{staging}")),
                ("DIGEST", "${{ needs.build.outputs.digest }}"),
            ]),
        ),
    );
    smoke.push(
        Step::run(
            &format!("Smoke tests against {staging}"),
            "npm run test:smoke",
            Mapping::new(),
        )
        .env(strings([(
            "BASE_URL",
            &format!("${{{{ secrets.{}_BASE_URL }}}}", staging.to_uppercase()),
        )])),
    );
    let mut verify = Job::new(&format!("Verify {staging}"), read_contents(), smoke)
        .needs(&["build", &format!("promote-{staging}")])
        .when(ON_MAIN);
    verify.timeout_minutes = 60;
    workflow.job(&format!("verify-{staging}"), verify);

    let mut production_job = promote(service, production, false).needs(&[
        "build",
        "scan",
        &format!("promote-{staging}"),
        &format!("verify-{staging}"),
    ]);
    // The protected environment: its required reviewers approve before this job starts.
    production_job.environment = Some(production.to_owned());
    workflow.job(&format!("promote-{production}"), production_job);
    workflow
}

fn registry_login(plan: &Plan) -> Step {
    Step::uses(
        "Log in to the registry",
        &pin::DOCKER_LOGIN,
        strings([
            ("registry", &plan.registry_host),
            ("username", "${{ github.actor }}"),
            ("password", "${{ secrets.GITHUB_TOKEN }}"),
        ]),
    )
}

/// SemVer 2.0.0 with a `v`: the expression semver.org gives, in bash's ERE dialect.
const VALIDATE_TAG: &str = r#"semver='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+([0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*))?$'
if ! [[ "$TAG" =~ $semver ]]; then
  echo "::error::tag \`$TAG\` is not a SemVer version vMAJOR.MINOR.PATCH"
  exit 1
fi"#;

const CREATE_RELEASE: &str = r#"prerelease=()
if [[ "$TAG" == *-* ]]; then
  prerelease=(--prerelease)
fi
gh release create "$TAG" --verify-tag --title "$TAG" --notes-file RELEASE_NOTES.md "${prerelease[@]}""#;

/// `release.yml`: the same for every service repository.
pub fn release() -> Workflow {
    let mut workflow = Workflow {
        name: "Release".to_owned(),
        on: mapping([("push", json!({"tags": ["v*.*.*"]}))]),
        permissions: Mapping::new(),
        concurrency: Concurrency {
            group: "release-${{ github.ref }}".to_owned(),
            cancel_in_progress: Value::Bool(false),
        },
        env: Mapping::new(),
        jobs: serde_json::Map::new(),
    };
    workflow.job(
        "release",
        Job::new(
            "GitHub release with changelog",
            strings([("contents", "write")]),
            vec![
                Step::run(
                    "Validate the tag as SemVer",
                    VALIDATE_TAG,
                    strings([("TAG", "${{ github.ref_name }}")]),
                ),
                // The whole history, so the changelog sees every commit since the last tag.
                checkout(mapping([("fetch-depth", json!(0))])),
                Step::uses(
                    "Changelog since the previous tag (git-cliff)",
                    &pin::GIT_CLIFF,
                    strings([
                        ("version", super::GIT_CLIFF_VERSION),
                        ("args", "--latest --strip header"),
                    ]),
                )
                .env(strings([("OUTPUT", "RELEASE_NOTES.md")])),
                Step::run(
                    "Create the GitHub release",
                    CREATE_RELEASE,
                    strings([
                        ("GH_TOKEN", "${{ github.token }}"),
                        ("GH_REPO", "${{ github.repository }}"),
                        ("TAG", "${{ github.ref_name }}"),
                    ]),
                ),
            ],
        ),
    );
    workflow
}
