//! Runs every registered rule over each environment's manifests, applies waivers, and
//! turns what the rules saw into findings and per-requirement results.

use std::collections::BTreeMap;

use super::catalogue::{EnvironmentPolicy, Policy, Severity, Status};
use super::manifest::{Manifest, ManifestSet};
use super::registry;
use super::report::{
    AppliedWaiver, EnvironmentReport, Finding, ObjectRef, Outcome, Report, RequirementResult,
    RuleResult, Unknown,
};
use super::rule::{Check, Context, RawFinding, RuleMeta};
use super::terraform::TerraformSource;
use super::waiver::{self, Date, Waiver, WaiverSource};
use crate::parity::EnvironmentParity;

/// One environment to validate.
pub struct Target<'a> {
    /// The objects.
    pub set: &'a ManifestSet,
    /// The environment's policy parameters.
    pub env: &'a EnvironmentPolicy,
    /// The Kubernetes minor version, e.g. `1.33`.
    pub kubernetes_version: &'a str,
    /// The environment's spec file, where findings about the environment as a whole point.
    pub spec_file: Option<&'a str>,
    /// How it compares with the reference environment (REQ-T245), when known.
    pub parity: Option<&'a EnvironmentParity>,
    /// Its Terraform, when it has one and it was rendered or given.
    pub terraform: Option<&'a TerraformSource>,
}

/// Settings of a validation run.
pub struct Settings<'a> {
    /// The policy.
    pub policy: &'a Policy,
    /// Waivers from the waiver file.
    pub file_waivers: &'a [Waiver],
    /// Ignore every waiver (`--no-waivers`).
    pub ignore_waivers: bool,
    /// The date expiry is judged against.
    pub today: Date,
}

/// Validates each target (in parallel) and checks the waiver file once for the whole run.
pub fn validate(targets: &[Target<'_>], settings: &Settings<'_>) -> Report {
    let codes = registry::codes();
    let file_waivers = if settings.ignore_waivers {
        Vec::new()
    } else {
        judge(settings.file_waivers, settings.today, &codes)
    };
    let results = crate::parallel::map(targets, |target| {
        validate_one(target, settings, &codes, &file_waivers)
    });
    let mut used = vec![false; file_waivers.len()];
    let mut environments = Vec::new();
    for (report, used_here) in results {
        for (slot, here) in used.iter_mut().zip(used_here) {
            *slot |= here;
        }
        environments.push(report);
    }
    let mut waiver_findings = Vec::new();
    for (judged, used) in file_waivers.into_iter().zip(used) {
        let WaiverSource::File { location } = &judged.waiver.source else {
            continue;
        };
        // A waiver of environments this run does not validate (`--env`) cannot be judged
        // unused by it.
        let environments = &judged.waiver.environments;
        let in_run =
            environments.is_empty() || targets.iter().any(|t| environments.contains(&t.env.name));
        for (code, message) in judged.own_findings(used || !in_run) {
            let meta = registry::meta(code).expect("waiver rules are registered");
            waiver_findings.push(Finding {
                code: meta.code,
                name: meta.name,
                requirement: meta.requirement,
                severity: severity(settings.policy, meta),
                environment: String::new(),
                object: None,
                pointer: String::new(),
                file: Some(location.file.clone()),
                line: location.line,
                column: location.col,
                message,
                remediation: meta.remediation,
                status: "fail",
                waiver: None,
            });
        }
    }
    Report {
        schema: super::report::REPORT_SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        environments,
        waiver_findings,
    }
}

/// The severity of a rule's findings: its requirement's priority; waiver rules are high.
pub fn severity(policy: &Policy, meta: &RuleMeta) -> Severity {
    policy
        .requirement(meta.requirement)
        .map_or(Severity::High, |r| r.priority)
}

/// A waiver and what is wrong with it, judged once per run: only a waiver without
/// problems applies to findings.
struct Judged<'w> {
    waiver: &'w Waiver,
    problems: Vec<(&'static str, String)>,
}

impl Judged<'_> {
    /// Whether it waives a finding of `code` about `object` in `environment`.
    fn applies(
        &self,
        code: &str,
        environment: &str,
        object: Option<(&str, Option<&str>, &str)>,
    ) -> bool {
        self.problems.is_empty() && self.waiver.matches(code, environment, object)
    }

    /// The findings about the waiver itself: its problems, or X003 when it is valid but
    /// matched nothing.
    fn own_findings(self, used: bool) -> Vec<(&'static str, String)> {
        let mut problems = self.problems;
        if !used && problems.is_empty() {
            problems.push((
                "X003",
                format!(
                    "waiver of `{}` matched no finding; remove it",
                    self.waiver.code
                ),
            ));
        }
        problems
    }
}

fn judge<'w>(waivers: &'w [Waiver], today: Date, codes: &[&str]) -> Vec<Judged<'w>> {
    waivers
        .iter()
        .map(|waiver| Judged {
            waiver,
            problems: waiver.problems(today, codes),
        })
        .collect()
}

fn validate_one(
    target: &Target<'_>,
    settings: &Settings<'_>,
    codes: &[&str],
    file_waivers: &[Judged<'_>],
) -> (EnvironmentReport, Vec<bool>) {
    let cx = Context {
        set: target.set,
        env: target.env,
        kubernetes_version: target.kubernetes_version,
        parity: target.parity,
        terraform: target.terraform,
    };
    let environment = target.env.name.as_str();
    let written_on_objects = if settings.ignore_waivers {
        Vec::new()
    } else {
        waiver::from_annotations(target.set)
    };
    let annotation_waivers = judge(&written_on_objects, settings.today, codes);
    let mut annotation_used = vec![false; annotation_waivers.len()];
    let mut file_used = vec![false; file_waivers.len()];
    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    let mut evaluated: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rule_results = Vec::new();

    for rule in registry::RULES {
        let meta = rule.meta();
        let mut check = Check::default();
        rule.check(&cx, &mut check);
        *evaluated.entry(meta.requirement).or_default() += check.evaluated;
        rule_results.push(RuleResult {
            code: meta.code,
            evaluated: check.evaluated,
        });
        for (index, reason) in check.unknown {
            let manifest = &target.set.manifests[index];
            unknown.push(Unknown {
                code: meta.code,
                object: object_ref(manifest),
                file: manifest.file.path.clone(),
                reason,
            });
        }
        for raw in check.findings {
            let object = raw.manifest.map(|i| &target.set.manifests[i]);
            // A Terraform block is waived like an object: its type as the kind, its name.
            let block = raw.terraform.as_deref().map(block_coordinates);
            let coordinates = object
                .map(|m| (m.kind.as_str(), m.namespace.as_deref(), m.name.as_str()))
                .or(block.map(|(kind, name)| (kind, None, name)));
            let mut applied = None;
            if let Some(i) = annotation_waivers
                .iter()
                .position(|w| w.applies(meta.code, environment, coordinates))
            {
                annotation_used[i] = true;
                applied = Some(applied_waiver(annotation_waivers[i].waiver));
            } else if let Some(i) = file_waivers
                .iter()
                .position(|w| w.applies(meta.code, environment, coordinates))
            {
                file_used[i] = true;
                applied = Some(applied_waiver(file_waivers[i].waiver));
            }
            findings.push(finding(
                settings.policy,
                meta,
                (environment, target.spec_file),
                Located::of(object, target.terraform),
                raw,
                applied,
            ));
        }
    }

    // Waivers written on objects are checked per environment, where the object is.
    for (judged, used) in annotation_waivers.into_iter().zip(annotation_used) {
        let WaiverSource::Annotation { manifest } = judged.waiver.source else {
            continue;
        };
        let code_waived = judged.waiver.code.clone();
        let problems = judged.own_findings(used);
        let object = &target.set.manifests[manifest];
        let pointer = format!(
            "/metadata/annotations/{}",
            format!("{}{code_waived}", waiver::ANNOTATION_PREFIX).replace('/', "~1")
        );
        for (code, message) in problems {
            let meta = registry::meta(code).expect("waiver rules are registered");
            let raw = RawFinding {
                manifest: Some(manifest),
                terraform: None,
                pointer: pointer.clone(),
                message,
            };
            findings.push(finding(
                settings.policy,
                meta,
                (environment, target.spec_file),
                Located::of(Some(object), None),
                raw,
                None,
            ));
        }
    }

    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.code, &b.message))
    });
    findings.dedup();
    unknown.sort_by(|a, b| (&a.file, a.code).cmp(&(&b.file, b.code)));

    let requirements = settings
        .policy
        .requirements
        .iter()
        .map(|requirement| {
            let id = requirement.id.as_str();
            let count = evaluated.get(id).copied().unwrap_or(0);
            let mine = findings.iter().filter(|f| f.requirement == id);
            let outcome = match requirement.status {
                Status::Generated => Outcome::Generated,
                Status::Attested => Outcome::Attested,
                Status::OutOfScope => Outcome::OutOfScope,
                Status::Planned => Outcome::Planned,
                Status::Enforced => {
                    let (mut failed, mut waived) = (false, false);
                    for f in mine {
                        if f.is_waived() {
                            waived = true;
                        } else {
                            failed = true;
                        }
                    }
                    let rules = registry::RULES
                        .iter()
                        .filter(|r| r.meta().requirement == id)
                        .map(|r| r.meta().code)
                        .collect::<Vec<_>>();
                    let unknown_here = unknown.iter().any(|u| rules.contains(&u.code));
                    if failed {
                        Outcome::Fail
                    } else if waived {
                        Outcome::Waived
                    } else if count == 0 || unknown_here {
                        Outcome::Unknown
                    } else {
                        Outcome::Pass
                    }
                }
            };
            RequirementResult {
                id: id.to_owned(),
                outcome,
                evaluated: count,
            }
        })
        .collect();

    let report = EnvironmentReport {
        name: environment.to_owned(),
        kubernetes_version: target.kubernetes_version.to_owned(),
        objects: target.set.manifests.len(),
        findings,
        unknown,
        requirements,
        rules: rule_results,
    };
    (report, file_used)
}

fn object_ref(manifest: &Manifest) -> ObjectRef {
    ObjectRef {
        api_version: manifest.api_version.clone(),
        kind: manifest.kind.clone(),
        namespace: manifest.namespace.clone(),
        name: manifest.name.clone(),
    }
}

fn applied_waiver(waiver: &Waiver) -> AppliedWaiver {
    let (source, location) = match &waiver.source {
        WaiverSource::Annotation { .. } => ("annotation", None),
        WaiverSource::File { location } => ("file", Some(location.to_string())),
    };
    AppliedWaiver {
        reason: waiver.reason.clone(),
        source,
        location,
        owner: waiver.owner.clone(),
        expires: waiver.expires.map(|d| d.to_string()),
    }
}

/// `(type, name)` of a Terraform block address; `terraform` for the document itself.
fn block_coordinates(address: &str) -> (&str, &str) {
    address.split_once('.').unwrap_or((address, address))
}

/// What a finding's location is read from.
struct Located<'a> {
    object: Option<&'a Manifest>,
    terraform: Option<&'a TerraformSource>,
}

impl<'a> Located<'a> {
    fn of(object: Option<&'a Manifest>, terraform: Option<&'a TerraformSource>) -> Self {
        Self { object, terraform }
    }
}

fn finding(
    policy: &Policy,
    meta: &'static RuleMeta,
    (environment, spec_file): (&str, Option<&str>),
    located: Located<'_>,
    raw: RawFinding,
    waiver: Option<AppliedWaiver>,
) -> Finding {
    let object = located.object;
    let terraform = raw.terraform.as_deref().zip(located.terraform);
    let (file, line, column) = match (object, terraform) {
        (Some(manifest), _) => {
            let (line, column) = manifest.locate(&raw.pointer);
            (Some(manifest.file.path.clone()), line, column)
        }
        (None, Some((_, document))) => {
            let (line, column) = document.locate(&raw.pointer);
            (Some(document.path.clone()), line, column)
        }
        (None, None) => (spec_file.map(str::to_owned), 0, 0),
    };
    let block = terraform.map(|(address, _)| {
        let (kind, name) = block_coordinates(address);
        ObjectRef {
            api_version: "terraform".to_owned(),
            kind: kind.to_owned(),
            namespace: None,
            name: name.to_owned(),
        }
    });
    Finding {
        code: meta.code,
        name: meta.name,
        requirement: meta.requirement,
        severity: severity(policy, meta),
        environment: environment.to_owned(),
        object: object.map(object_ref).or(block),
        pointer: raw.pointer,
        file,
        line,
        column,
        message: raw.message,
        remediation: meta.remediation,
        status: if waiver.is_some() { "waived" } else { "fail" },
        waiver,
    }
}
