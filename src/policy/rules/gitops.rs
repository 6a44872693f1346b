//! REQ-T217 Continuous Deployment, REQ-T219 Environment Promotion and REQ-T244 Ephemeral
//! Environments: the Argo CD objects that deploy an environment (`rendered/gitops/`, which
//! `daactl validate` adds to each environment's objects).

use serde_json::Value;

use crate::gitops::RESOURCES_FINALIZER;
use crate::policy::manifest::Manifest;
use crate::policy::rule::{Check, Context, Rule, RuleMeta};

/// The Argo CD kinds; a set holding none of them was not given its GitOps objects.
const ARGO_CD_KINDS: &[&str] = &["Application", "AppProject", "ApplicationSet"];

/// Whether `manifest` is an Argo CD object (`argoproj.io`, not an Argo Rollouts kind).
pub fn is_argo_cd(manifest: &Manifest) -> bool {
    manifest.api_version.starts_with("argoproj.io/")
        && ARGO_CD_KINDS.contains(&manifest.kind.as_str())
}

/// The sources of an Application spec: `source`, or each of `sources`.
fn sources(spec: &Value) -> Vec<&Value> {
    match spec["sources"].as_array() {
        Some(items) => items.iter().collect(),
        None => spec.get("source").into_iter().collect(),
    }
}

/// Whether a source deploys `environment`: the last segment of its path is the
/// environment's name (`rendered/kustomize/overlays/<env>`, `rendered/<env>`).
fn deploys(source: &Value, environment: &str) -> bool {
    source["path"]
        .as_str()
        .and_then(|path| path.trim_end_matches('/').rsplit('/').next())
        == Some(environment)
}

/// ## What it does
/// Checks that an Argo CD `Application` deploys the environment (a source whose path ends
/// in the environment's name, like `rendered/kustomize/overlays/staging`), from a named
/// repository at a pinned revision (a branch or tag, not `HEAD`), and that it syncs the way
/// the environment's policy says: automatically with `prune: true` and `selfHeal: true`, or,
/// for an environment with `manual_sync = true` (production), without `automated` at all,
/// so that a person syncs: the approval gate of REQ-T219.
///
/// A set without any Argo CD object (manifests named on the command line) is not evaluated.
///
/// ## Why is this bad?
/// Without automated pruning, objects removed from Git keep running; without self-heal, a
/// `kubectl edit` drifts from Git until the next commit, and Git is no longer the single
/// source of truth. An automatically synced production, on the other hand, deploys every
/// merge without anyone approving it.
///
/// ## Example
/// ```yaml
/// # env: staging
/// apiVersion: argoproj.io/v1alpha1
/// kind: Application
/// metadata: {name: daa-staging, namespace: argocd}
/// spec:
///   source: {repoURL: https://github.com/daa-platform/daactl, targetRevision: HEAD, path: rendered/kustomize/overlays/staging}
///   syncPolicy: {automated: {prune: false}}
/// ```
///
/// Use instead:
/// ```yaml
///   source: {repoURL: https://github.com/daa-platform/daactl, targetRevision: main, path: rendered/kustomize/overlays/staging}
///   syncPolicy: {automated: {prune: true, selfHeal: true}}
/// ```
pub struct UnsyncedEnvironment;

static UNSYNCED_ENVIRONMENT: RuleMeta = RuleMeta {
    code: "G217-1",
    name: "gitops-application",
    requirement: "REQ-T217",
    summary: "An Argo CD Application deploys the environment from Git: automated prune and self-heal, or a manual sync gate where the policy asks for one",
    rationale: "REQ-T217 makes Git the single source of truth: an Argo CD Application per environment syncs the committed output at a pinned revision, prunes what was removed and reverts drift. REQ-T219 asks for a manual approval before production, which Argo CD gives by not syncing production automatically.",
    remediation: "Set `[gitops] sync` in the environment's spec (`\"automated\"`, or `\"manual\"` for production) and run `daactl render`; in a hand-written Application set `source.targetRevision` to a branch or tag and `syncPolicy.automated` to `{prune: true, selfHeal: true}`, or remove `automated` where the policy has `manual_sync = true`.",
    peers: &[],
};

impl Rule for UnsyncedEnvironment {
    fn meta(&self) -> &RuleMeta {
        &UNSYNCED_ENVIRONMENT
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        if !cx.set.manifests.iter().any(is_argo_cd) {
            return;
        }
        let env = cx.env.name.as_str();
        let mut found = false;
        for (index, manifest) in cx.set.of_kind("Application") {
            if !is_argo_cd(manifest) {
                continue;
            }
            let spec = &manifest.value["spec"];
            let mine: Vec<(usize, &Value)> = sources(spec)
                .into_iter()
                .enumerate()
                .filter(|(_, source)| deploys(source, env))
                .collect();
            if mine.is_empty() {
                continue;
            }
            found = true;
            out.saw();
            let who = manifest.subject();
            for (i, source) in mine {
                let at = if spec.get("sources").is_some() {
                    format!("/spec/sources/{i}")
                } else {
                    "/spec/source".to_owned()
                };
                if source["repoURL"].as_str().is_none_or(str::is_empty) {
                    out.fail(
                        index,
                        format!("{at}/repoURL"),
                        format!("{who} names no repository"),
                    );
                }
                match source["targetRevision"].as_str() {
                    None | Some("" | "HEAD") => out.fail(
                        index,
                        format!("{at}/targetRevision"),
                        format!("{who} follows the repository's default `HEAD`; pin a branch or tag such as `main`"),
                    ),
                    Some(_) => {}
                }
            }
            let automated = &spec["syncPolicy"]["automated"];
            if cx.env.manual_sync {
                if !automated.is_null() {
                    out.fail(
                        index,
                        "/spec/syncPolicy/automated",
                        format!("{who} syncs environment `{env}` automatically; it needs a person to sync (the approval gate of REQ-T219)"),
                    );
                }
                continue;
            }
            if automated.is_null() {
                out.fail(
                    index,
                    "/spec/syncPolicy",
                    format!("{who} does not sync automatically; set `syncPolicy.automated` with `prune: true` and `selfHeal: true`"),
                );
                continue;
            }
            for field in ["prune", "selfHeal"] {
                if automated[field].as_bool() != Some(true) {
                    out.fail(
                        index,
                        format!("/spec/syncPolicy/automated/{field}"),
                        format!("{who} syncs automatically without `{field}: true`"),
                    );
                }
            }
        }
        if !found {
            out.saw();
            out.fail_environment(format!(
                "no Argo CD Application deploys environment `{env}` (a source path ending in `{env}`)"
            ));
        }
    }
}

/// ## What it does
/// Checks every `ApplicationSet` with a `pullRequest` generator: the generator names its
/// provider and filters by label (so only pull requests someone labelled get a preview);
/// each generated Application gets its own namespace (the template's destination namespace
/// holds `{{number}}`), syncs automatically with `prune: true`, and carries the finalizer
/// `resources-finalizer.argocd.argoproj.io`; and the ApplicationSet deletes the Applications
/// of closed pull requests with their resources (no `preserveResourcesOnDeletion: true`, no
/// `applicationsSync` of `create-only` or `create-update`).
///
/// In an environment whose policy has `previews = true` (development), an ApplicationSet
/// with a pull-request generator must exist. A set without any Argo CD object (manifests
/// named on the command line) is not evaluated.
///
/// ## Why is this bad?
/// A preview that outlives its pull request keeps pods, volumes and database clusters
/// running for nobody; one without a label filter deploys every pull request, forks'
/// included; previews sharing one namespace overwrite each other.
///
/// ## Example
/// ```yaml
/// spec:
///   generators: [{pullRequest: {github: {owner: daa-platform, repo: daactl}}}]
///   syncPolicy: {preserveResourcesOnDeletion: true}
/// ```
///
/// Use instead:
/// ```yaml
/// spec:
///   generators: [{pullRequest: {github: {owner: daa-platform, repo: daactl, labels: [preview]}}}]
///   template:
///     metadata: {finalizers: [resources-finalizer.argocd.argoproj.io]}
///     spec: {destination: {namespace: "pr-{{number}}"}, syncPolicy: {automated: {prune: true}}}
/// ```
pub struct LingeringPreview;

static LINGERING_PREVIEW: RuleMeta = RuleMeta {
    code: "G244-1",
    name: "preview-cleanup",
    requirement: "REQ-T244",
    summary: "Pull-request previews are labelled, isolated per pull request, and deleted with their resources when the pull request closes",
    rationale: "REQ-T244 asks for an ephemeral environment per pull request, deleted after merge. Argo CD's pull-request generator drops a closed pull request, and the ApplicationSet deletes its Application; only the resources finalizer makes that delete what the Application created, and only a per-pull-request namespace keeps previews apart.",
    remediation: "Let daactl write the ApplicationSet (`[gitops] previews = true` in the source environment's spec); by hand: filter the generator by label, put `{{number}}` in the destination namespace, add the finalizer `resources-finalizer.argocd.argoproj.io` to the template, sync with `prune: true`, and drop `preserveResourcesOnDeletion`.",
    peers: &[],
};

impl Rule for LingeringPreview {
    fn meta(&self) -> &RuleMeta {
        &LINGERING_PREVIEW
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        if !cx.set.manifests.iter().any(is_argo_cd) {
            return;
        }
        let mut found = false;
        for (index, manifest) in cx.set.of_kind("ApplicationSet") {
            if !is_argo_cd(manifest) {
                continue;
            }
            let spec = &manifest.value["spec"];
            let generators: Vec<(usize, &Value)> = spec["generators"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, g)| g.get("pullRequest").map(|pr| (i, pr)))
                .collect();
            if generators.is_empty() {
                continue;
            }
            found = true;
            out.saw();
            let who = manifest.subject();
            for (i, generator) in generators {
                let at = format!("/spec/generators/{i}/pullRequest");
                let provider = [
                    "github",
                    "gitlab",
                    "gitea",
                    "bitbucketServer",
                    "bitbucket",
                    "azuredevops",
                ]
                .into_iter()
                .find_map(|p| generator.get(p).map(|v| (p, v)));
                match provider {
                    None => out.fail(
                        index,
                        at,
                        format!("{who}'s pull-request generator names no provider"),
                    ),
                    Some((name, provider)) => {
                        let labelled = provider["labels"].as_array().is_some_and(|l| !l.is_empty())
                            || generator["filters"]
                                .as_array()
                                .is_some_and(|f| !f.is_empty());
                        if !labelled {
                            out.fail(
                                index,
                                format!("{at}/{name}"),
                                format!("{who} previews every pull request; filter by a label such as `preview`"),
                            );
                        }
                    }
                }
            }
            let policy = &spec["syncPolicy"];
            if policy["preserveResourcesOnDeletion"].as_bool() == Some(true) {
                out.fail(
                    index,
                    "/spec/syncPolicy/preserveResourcesOnDeletion",
                    format!("{who} keeps a closed pull request's resources"),
                );
            }
            if let Some(mode @ ("create-only" | "create-update")) =
                policy["applicationsSync"].as_str()
            {
                out.fail(
                    index,
                    "/spec/syncPolicy/applicationsSync",
                    format!("{who} never deletes the Application of a closed pull request (`applicationsSync: {mode}`)"),
                );
            }
            let template = &spec["template"];
            let finalizers = template["metadata"]["finalizers"].as_array();
            if !finalizers
                .is_some_and(|f| f.iter().any(|v| v.as_str() == Some(RESOURCES_FINALIZER)))
            {
                out.fail(
                    index,
                    "/spec/template/metadata",
                    format!("{who}'s Applications lack the finalizer `{RESOURCES_FINALIZER}`: deleting one leaves its resources running"),
                );
            }
            let namespace = template["spec"]["destination"]["namespace"]
                .as_str()
                .unwrap_or("");
            if !(namespace.contains("{{number}}") || namespace.contains("{{.number}}")) {
                out.fail(
                    index,
                    "/spec/template/spec/destination",
                    format!("{who} does not give each pull request its own namespace; use `pr-{{{{number}}}}`"),
                );
            }
            if template["spec"]["syncPolicy"]["automated"]["prune"].as_bool() != Some(true) {
                out.fail(
                    index,
                    "/spec/template/spec/syncPolicy",
                    format!("{who}'s previews do not sync automatically with `prune: true`"),
                );
            }
        }
        if cx.env.previews && !found {
            out.saw();
            out.fail_environment(format!(
                "environment `{}` is the source of pull-request previews, but no ApplicationSet has a pull-request generator",
                cx.env.name
            ));
        }
    }
}
