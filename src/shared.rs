//! What daactl builds from every environment together and commits beside them:
//! `rendered/kustomize/` (a base and one overlay per environment) and `rendered/helm/` (one
//! chart with a values file per environment), both written from one
//! [`Variance`](crate::variance::Variance) so they cannot disagree, and `rendered/workflows/`
//! (the CI/CD and drift workflows, written from the specs by [`crate::workflow`]).

use std::collections::BTreeMap;

use crate::helm::{self, HelmError};
use crate::kustomize::{self, KustomizeError};
use crate::parity::{AllowList, AllowListError};
use crate::render::Rendered;
use crate::spec::Spec;
use crate::variance::Variance;
use crate::workflow::{self, WorkflowError};

/// One tree under `rendered/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// Its folder under `rendered/`, one of [`crate::project::SHARED_TREES`].
    pub name: &'static str,
    /// Its files, keyed by `/`-separated path relative to the folder.
    pub files: BTreeMap<String, String>,
}

/// Why a shared tree could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SharedTreeError {
    /// The Kustomize tree.
    #[error("rendered/kustomize")]
    Kustomize(#[from] KustomizeError),
    /// The Helm chart.
    #[error("rendered/helm")]
    Helm(#[from] HelmError),
    /// The allow-list naming the reference environment.
    #[error("schemas/parity.toml")]
    AllowList(#[from] AllowListError),
    /// The workflows.
    #[error("rendered/workflows")]
    Workflow(#[from] WorkflowError),
}

/// Builds every shared tree from the specs and renders of every environment.
pub fn build(specs: &[Spec], renders: &[Rendered]) -> Result<Vec<Tree>, SharedTreeError> {
    // In environment-name order, whatever order the renders were selected in, so the trees'
    // bytes depend only on the environments.
    let mut ordered: Vec<&Rendered> = renders.iter().collect();
    ordered.sort_by(|a, b| a.environment.cmp(&b.environment));
    let variance = Variance::of(ordered);
    // The chart's defaults are the environment parity compares the others with
    // (schemas/parity.toml: production), or the first one in a project without it.
    let allow = AllowList::embedded()?;
    let reference = if variance.index(&allow.reference).is_some() {
        allow.reference.as_str()
    } else {
        &variance.environments[0]
    };
    // The three trees are independent; each takes milliseconds, so they are built at once.
    let environments: Vec<_> = specs.iter().map(|s| &s.environment).collect();
    let (kustomize, chart, workflows) = std::thread::scope(|scope| {
        let kustomize = scope.spawn(|| kustomize::files(&variance));
        let workflows = scope.spawn(|| workflow::files(&environments));
        let chart = helm::chart(&variance, reference);
        (
            crate::parallel::join(kustomize),
            chart,
            crate::parallel::join(workflows),
        )
    });
    let chart = chart?
        .into_iter()
        .map(|(path, text)| (format!("{}/{path}", helm::CHART_NAME), text))
        .collect();
    Ok(vec![
        Tree {
            name: "kustomize",
            files: kustomize?,
        },
        Tree {
            name: "helm",
            files: chart,
        },
        Tree {
            name: "workflows",
            files: workflows?,
        },
    ])
}
