//! The GitHub Actions workflows around the deployment (REQ-T211..T220, T250), written to
//! `rendered/workflows/` by `daactl render` and compared by `daactl diff`.
//!
//! Each DAA service repository gets `ci.yml` (lint, quality gate, unit/integration/e2e
//! tests with an 80 % coverage gate, image build by full commit SHA, Trivy scan of the pushed
//! digest, size gate, then promotion of that digest by pull request on this configuration
//! repository: staging, its verification, then production behind the protected `production`
//! environment) and `release.yml` (SemVer tags, changelog by git-cliff, GitHub release by
//! `gh`). This repository gets `drift.yml`: a daily `terraform plan -detailed-exitcode` per
//! cloud environment with read-only OIDC credentials, opening or updating an issue on drift.
//!
//! The workflows are built from the environment specs (service names, images, registry,
//! database images for service containers, regions) as typed values ([`model`]) with
//! actions from one pin table ([`pin`]), and emitted by daactl's YAML emitter; only the
//! `# vX.Y.Z` comments after pinned `uses:` values are added to the emitted text.
//! [`check`] holds the structural predicates the requirements ask of them. Why one set per
//! service and why promotion is a pull request: `docs/decisions/0014-service-workflows.md`.

pub mod check;
mod drift;
pub mod model;
pub mod pin;
mod service;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::render::context::image_ref;
use crate::spec::model::{ClusterProvider, Environment};
use crate::yaml;

/// The configuration repository (this one): promotions open pull requests here.
pub const CONFIG_REPOSITORY: &str = "daa-platform/daactl";
/// The registry whose credentials a workflow's own `GITHUB_TOKEN` carries.
pub const GITHUB_REGISTRY: &str = "ghcr.io";
/// The environments a digest is promoted through, in order; the last is gated by the
/// protected GitHub environment of the same name.
pub const PROMOTION: [&str; 2] = ["staging", "production"];
/// The minimum line, statement, function and branch coverage (REQ-T213).
pub const COVERAGE_MINIMUM: u32 = 80;
/// The git-cliff release the changelog action installs (it would take the newest otherwise).
pub const GIT_CLIFF_VERSION: &str = "v2.8.0";
/// The Terraform release the drift workflow plans with.
pub const TERRAFORM_VERSION: &str = "1.9.8";
/// The largest image, in bytes (REQ-T201: under 500 MB).
pub const IMAGE_SIZE_LIMIT_BYTES: u64 = 500_000_000;

/// Why the workflows could not be built from the specs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The promotion environments push to different registries, so a digest pushed once
    /// could not be promoted through both.
    #[error(
        "environments/{environment}.toml: error: `images.registry` is `{registry}`, but `{first}` uses `{first_registry}`\n  hint: promotion copies one digest through {PROMOTION:?}; give them the same registry"
    )]
    RegistryDiffers {
        /// The environment that differs.
        environment: String,
        /// Its registry.
        registry: String,
        /// The first promotion environment.
        first: String,
        /// Its registry.
        first_registry: String,
    },
    /// The registry is not GitHub's, whose credentials the workflow token carries.
    #[error(
        "environments/{environment}.toml: error: `images.registry` `{registry}` is not on `{GITHUB_REGISTRY}`\n  hint: the generated workflows push with the repository's own token, which only `{GITHUB_REGISTRY}` accepts"
    )]
    UnsupportedRegistry {
        /// The environment.
        environment: String,
        /// Its registry.
        registry: String,
    },
    /// A service of one promotion environment is missing from another.
    #[error(
        "environments/{environment}.toml: error: service `{service}` is missing, but `{other}` has it\n  hint: a service is promoted through {PROMOTION:?}, so each of them declares it"
    )]
    ServiceMissing {
        /// The environment without it.
        environment: String,
        /// The service.
        service: String,
        /// The environment with it.
        other: String,
    },
    /// A service's image differs between promotion environments.
    #[error(
        "environments/{environment}.toml: error: `services.{service}.image` differs from `{other}`\n  hint: promotion copies a digest of one image repository"
    )]
    ImageDiffers {
        /// The environment.
        environment: String,
        /// The service.
        service: String,
        /// The other environment.
        other: String,
    },
}

/// One service repository's workflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePlan {
    /// The service's key under `services.` in the specs, and its repository's name.
    pub name: String,
    /// The image repository, `registry/image`.
    pub image: String,
}

/// One cloud environment whose Terraform the drift workflow plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEnvironment {
    /// The environment's name.
    pub name: String,
    /// Its AWS region.
    pub region: String,
}

/// What the workflows are built from, read off the specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The services promoted through [`PROMOTION`]; empty when the project lacks one of
    /// those environments.
    pub services: Vec<ServicePlan>,
    /// The registry host images are pushed to.
    pub registry_host: String,
    /// The PostgreSQL image of the last promotion environment, for the tests' service
    /// containers (by digest: what the tests ran against is what production runs).
    pub postgres_image: String,
    /// The Redis image, likewise.
    pub redis_image: String,
    /// The cloud (EKS) environments, by name.
    pub cloud: Vec<CloudEnvironment>,
}

impl Plan {
    /// Reads the plan off every environment of the project.
    pub fn of(environments: &[&Environment]) -> Result<Plan, WorkflowError> {
        let mut cloud: Vec<CloudEnvironment> = environments
            .iter()
            .filter(|e| e.cluster.provider == ClusterProvider::Eks)
            .map(|e| CloudEnvironment {
                name: e.name.clone(),
                region: e.cluster.region.clone().unwrap_or_default(),
            })
            .collect();
        cloud.sort_by(|a, b| a.name.cmp(&b.name));
        let chain: Vec<&Environment> = PROMOTION
            .iter()
            .filter_map(|name| environments.iter().find(|e| e.name == *name).copied())
            .collect();
        let Some(last) = chain.last().filter(|_| chain.len() == PROMOTION.len()) else {
            return Ok(Plan {
                services: Vec::new(),
                registry_host: String::new(),
                postgres_image: String::new(),
                redis_image: String::new(),
                cloud,
            });
        };
        let first = chain[0];
        for env in &chain {
            if env.images.registry != first.images.registry {
                return Err(WorkflowError::RegistryDiffers {
                    environment: env.name.clone(),
                    registry: env.images.registry.clone(),
                    first: first.name.clone(),
                    first_registry: first.images.registry.clone(),
                });
            }
        }
        let registry_host = first
            .images
            .registry
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        if registry_host != GITHUB_REGISTRY {
            return Err(WorkflowError::UnsupportedRegistry {
                environment: first.name.clone(),
                registry: first.images.registry.clone(),
            });
        }
        for env in &chain {
            for other in &chain {
                for (name, service) in &other.services {
                    match env.services.get(name) {
                        None => {
                            return Err(WorkflowError::ServiceMissing {
                                environment: env.name.clone(),
                                service: name.clone(),
                                other: other.name.clone(),
                            });
                        }
                        Some(mine) if mine.image != service.image => {
                            return Err(WorkflowError::ImageDiffers {
                                environment: env.name.clone(),
                                service: name.clone(),
                                other: other.name.clone(),
                            });
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        let services = last
            .services
            .iter()
            .map(|(name, service)| ServicePlan {
                name: name.clone(),
                image: image_ref(&last.images.registry, &service.image, None, None),
            })
            .collect();
        Ok(Plan {
            services,
            registry_host,
            postgres_image: image_ref(
                &last.images.registry,
                &last.postgres.image,
                last.postgres.tag.as_deref(),
                last.postgres.digest.as_deref(),
            ),
            redis_image: image_ref(
                &last.images.registry,
                &last.redis.image,
                last.redis.tag.as_deref(),
                last.redis.digest.as_deref(),
            ),
            cloud,
        })
    }
}

/// Every workflow file, keyed by its path under `rendered/workflows/`:
/// `<service>/ci.yml`, `<service>/release.yml` and `daactl/drift.yml`.
pub fn files(environments: &[&Environment]) -> Result<BTreeMap<String, String>, WorkflowError> {
    let plan = Plan::of(environments)?;
    let mut files = BTreeMap::new();
    for service in &plan.services {
        files.insert(
            format!("{}/ci.yml", service.name),
            to_yaml(&service::ci(&plan, service)),
        );
        files.insert(
            format!("{}/release.yml", service.name),
            to_yaml(&service::release()),
        );
    }
    if !plan.cloud.is_empty() {
        files.insert(
            "daactl/drift.yml".to_owned(),
            to_yaml(&drift::workflow(&plan)),
        );
    }
    Ok(files)
}

/// Emits a workflow canonically, then writes two kinds of comment: each pinned action's
/// release after its `uses:` value, and what each granted permission is for (`contents:
/// read` excepted, as zizmor's `undocumented-permissions` does). Comments are the only text
/// added: the document's value is exactly the workflow's (a test parses every file back).
pub fn to_yaml(workflow: &model::Workflow) -> String {
    let value = serde_json::to_value(workflow).expect("a workflow serializes");
    let text = yaml::emit(&value);
    // A document start, as every YAML file daactl writes has (yamllint `document-start`).
    let mut out = String::with_capacity(text.len() + 1024);
    out.push_str("---\n");
    // The indentation of the `permissions:` key whose entries the lines are, if any.
    let mut permissions: Option<usize> = None;
    for line in text.lines() {
        out.push_str(line);
        let indent = line.len() - line.trim_start().len();
        let content = line.trim_start().trim_start_matches("- ");
        if permissions.is_some_and(|key| indent <= key) {
            permissions = None;
        }
        if let Some(pin) = content.strip_prefix("uses: ").and_then(pin::by_reference) {
            out.push_str(COMMENT);
            out.push_str(pin.version);
        } else if permissions.is_some() {
            if let Some(purpose) = content
                .split_once(": ")
                .and_then(|(scope, level)| permission_purpose(scope, level))
            {
                out.push_str(COMMENT);
                out.push_str(purpose);
            }
        } else if content == "permissions:" {
            permissions = Some(indent);
        }
        out.push('\n');
    }
    out
}

/// What starts a comment after a value: two spaces, as yamllint's `comments` rule wants.
pub const COMMENT: &str = "  # ";

/// Why a job holds a permission, written beside it.
fn permission_purpose(scope: &str, level: &str) -> Option<&'static str> {
    Some(match (scope, level) {
        ("contents", "write") => "create the GitHub release",
        ("packages", "write") => "push the image",
        ("packages", "read") => "pull the pushed image to scan and measure it",
        ("security-events", "write") => "upload the scan's SARIF to code scanning",
        ("id-token", "write") => "mint the OIDC token the read-only AWS role trusts",
        ("issues", "write") => "open or update the drift issue",
        _ => return None,
    })
}
