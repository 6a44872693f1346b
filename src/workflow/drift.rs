//! `drift.yml` of this configuration repository (REQ-T250): every day, `terraform plan
//! -detailed-exitcode` per cloud environment with read-only credentials; exit code 2 (the
//! plan has changes: the cloud drifted from the committed Terraform) opens an issue, or adds
//! to the open one.

use serde_json::{Value, json};

use super::model::{Concurrency, Job, Mapping, Step, Workflow, mapping, strings};
use super::{Plan, TERRAFORM_VERSION, pin};

/// 05:17 UTC: daily, and off the hour, when GitHub's scheduler is least loaded.
pub const CRON: &str = "17 5 * * *";

/// `-lock=false`: the read-only role cannot write the state lock, and a plan changes
/// nothing that a lock would protect.
const PLAN: &str = r#"terraform -chdir="$TERRAFORM_DIR" init -input=false -lockfile=readonly
set +e
terraform -chdir="$TERRAFORM_DIR" plan -detailed-exitcode -input=false -lock=false -no-color
code=$?
set -e
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
# 0: no changes; 2: drift, reported by the next job; anything else: the plan failed.
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
  exit "$code"
fi"#;

const REPORT: &str = r#"title="Terraform drift in $ENVIRONMENT"
body="\`terraform plan -detailed-exitcode\` found changes in \`$ENVIRONMENT\`: the cloud differs from the committed Terraform. Plan: $RUN_URL"
gh label create drift --force --color d93f0b --description "Infrastructure differs from the committed Terraform"
number="$(gh issue list --state open --label drift --json number,title \
  --jq "map(select(.title == \"$title\")) | .[0].number // empty")"
if [ -n "$number" ]; then
  gh issue comment "$number" --body "$body"
else
  gh issue create --title "$title" --label drift --body "$body"
fi"#;

/// The drift workflow for every cloud environment of the plan.
pub fn workflow(plan: &Plan) -> Workflow {
    let mut workflow = Workflow {
        name: "Terraform drift".to_owned(),
        on: mapping([
            ("schedule", json!([{"cron": CRON}])),
            ("workflow_dispatch", json!({})),
        ]),
        permissions: Mapping::new(),
        concurrency: Concurrency {
            group: "drift".to_owned(),
            cancel_in_progress: Value::Bool(false),
        },
        env: Mapping::new(),
        jobs: serde_json::Map::new(),
    };
    for env in &plan.cloud {
        let name = &env.name;
        let mut job = Job::new(
            &format!("Plan {name}"),
            // `id-token: write` only mints the OIDC token; the role it assumes is read-only.
            strings([("contents", "read"), ("id-token", "write")]),
            vec![
                Step::uses(
                    "Check out",
                    &pin::CHECKOUT,
                    mapping([("persist-credentials", json!(false))]),
                ),
                Step::uses(
                    "Read-only AWS credentials (OIDC)",
                    &pin::AWS_CREDENTIALS,
                    strings([
                        (
                            "role-to-assume",
                            &format!("${{{{ secrets.DRIFT_ROLE_ARN_{} }}}}", name.to_uppercase()),
                        ),
                        ("role-session-name", &format!("drift-{name}")),
                        ("aws-region", &env.region),
                    ]),
                ),
                Step::uses(
                    "Set up Terraform",
                    &pin::SETUP_TERRAFORM,
                    mapping([
                        ("terraform_version", json!(TERRAFORM_VERSION)),
                        // The wrapper would hide plan's exit code.
                        ("terraform_wrapper", json!(false)),
                    ]),
                ),
                Step::run(
                    "terraform plan -detailed-exitcode",
                    PLAN,
                    strings([("TERRAFORM_DIR", &format!("rendered/terraform/{name}"))]),
                )
                .id("plan"),
            ],
        );
        job.outputs = strings([("exit-code", "${{ steps.plan.outputs.exit-code }}")]);
        workflow.job(&format!("plan-{name}"), job);
        workflow.job(
            &format!("report-{name}"),
            Job::new(
                &format!("Report drift in {name}"),
                strings([("issues", "write")]),
                vec![Step::run(
                    "Open or update the drift issue",
                    REPORT,
                    strings([
                        ("GH_TOKEN", "${{ github.token }}"),
                        ("GH_REPO", "${{ github.repository }}"),
                        ("ENVIRONMENT", name),
                        (
                            "RUN_URL",
                            "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}",
                        ),
                    ]),
                )],
            )
            .needs(&[&format!("plan-{name}")])
            .when(&format!("needs.plan-{name}.outputs.exit-code == '2'")),
        );
    }
    workflow
}
