//! The third-party Helm charts Terraform installs on every cloud cluster, pinned exactly.
//!
//! This table is the one place a chart version is written: staging and production are built
//! from it alike, so the platform under the DAA services cannot drift apart between them
//! (REQ-T245), and a chart upgrade is one reviewed line here. Istio's four charts share one
//! version ([`ISTIO_VERSION`]) because istiod, the CNI node agent and the gateways must match.

/// The Istio release of the `base`, `istiod`, `cni` and `gateway` charts (REQ-T203 asks for
/// 1.20 or later).
pub const ISTIO_VERSION: &str = "1.24.2";

/// The External Secrets API every rendered ExternalSecret uses (templates and
/// [`crate::observability::alertmanager::external_secrets`]) and the typed bindings
/// (`kcr_external_secrets_io`, feature `v1`) check.
pub const EXTERNAL_SECRETS_API: &str = "external-secrets.io/v1";

/// The External Secrets chart. `external-secrets.io/v1` is served from 0.16 (alongside
/// v1beta1) and is the only version from 0.17; an older pin installs CRDs that refuse every
/// rendered ExternalSecret. A test keeps the pin at 0.17 or later.
pub const EXTERNAL_SECRETS_VERSION: &str = "0.19.2";

/// The CloudNativePG chart: 0.23.0 runs operator 1.25.0. The typed bindings
/// (`kcr_postgresql_cnpg_io`) are generated from newer CRDs, which only add fields; the
/// rendered Cluster uses none of them (in-tree `barmanObjectStore`, which later operators
/// deprecate for the Barman Cloud plugin), so 1.25 serves every field it sets.
pub const CLOUDNATIVE_PG_VERSION: &str = "0.23.0";

/// Where Istio's charts are published.
const ISTIO_REPOSITORY: &str = "https://istio-release.storage.googleapis.com/charts";

/// One pinned chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chart {
    /// The `helm_release` block name (a Terraform identifier).
    pub block: &'static str,
    /// The Helm release name.
    pub release: &'static str,
    /// The chart name in its repository.
    pub chart: &'static str,
    /// The chart repository URL.
    pub repository: &'static str,
    /// The exact chart version: never a range.
    pub version: &'static str,
}

/// Every chart, in install order.
pub const CHARTS: &[Chart] = &[
    Chart {
        block: "istio_base",
        release: "istio-base",
        chart: "base",
        repository: ISTIO_REPOSITORY,
        version: ISTIO_VERSION,
    },
    Chart {
        block: "istio_cni",
        release: "istio-cni",
        chart: "cni",
        repository: ISTIO_REPOSITORY,
        version: ISTIO_VERSION,
    },
    Chart {
        block: "istiod",
        release: "istiod",
        chart: "istiod",
        repository: ISTIO_REPOSITORY,
        version: ISTIO_VERSION,
    },
    Chart {
        block: "istio_ingressgateway",
        release: "istio-ingressgateway",
        chart: "gateway",
        repository: ISTIO_REPOSITORY,
        version: ISTIO_VERSION,
    },
    Chart {
        block: "cert_manager",
        release: "cert-manager",
        chart: "cert-manager",
        repository: "https://charts.jetstack.io",
        version: "v1.16.2",
    },
    Chart {
        block: "external_secrets",
        release: "external-secrets",
        chart: "external-secrets",
        repository: "https://charts.external-secrets.io",
        version: EXTERNAL_SECRETS_VERSION,
    },
    Chart {
        block: "cloudnative_pg",
        release: "cloudnative-pg",
        chart: "cloudnative-pg",
        repository: "https://cloudnative-pg.github.io/charts",
        version: CLOUDNATIVE_PG_VERSION,
    },
    Chart {
        block: "metrics_server",
        release: "metrics-server",
        chart: "metrics-server",
        repository: "https://kubernetes-sigs.github.io/metrics-server/",
        version: "3.12.2",
    },
    Chart {
        block: "kube_prometheus_stack",
        release: "kube-prometheus-stack",
        chart: "kube-prometheus-stack",
        repository: "https://prometheus-community.github.io/helm-charts",
        version: "67.9.0",
    },
    Chart {
        block: "loki",
        release: "loki",
        chart: "loki",
        repository: "https://grafana.github.io/helm-charts",
        version: "6.24.0",
    },
    Chart {
        block: "promtail",
        release: "promtail",
        chart: "promtail",
        repository: "https://grafana.github.io/helm-charts",
        version: "6.16.6",
    },
    Chart {
        block: "jaeger",
        release: crate::observability::JAEGER_RELEASE,
        chart: "jaeger",
        repository: "https://jaegertracing.github.io/helm-charts",
        version: "3.3.1",
    },
    Chart {
        block: "argo_cd",
        release: "argo-cd",
        chart: "argo-cd",
        repository: "https://argoproj.github.io/argo-helm",
        version: "6.7.18",
    },
    Chart {
        block: "argo_rollouts",
        release: "argo-rollouts",
        chart: "argo-rollouts",
        repository: "https://argoproj.github.io/argo-helm",
        version: "2.35.3",
    },
];

/// The chart installed as the `helm_release` named `block`.
pub fn chart(block: &str) -> &'static Chart {
    CHARTS
        .iter()
        .find(|c| c.block == block)
        .unwrap_or_else(|| panic!("no chart `{block}` in CHARTS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review finding 3: the pin was 0.12.1, whose CRDs do not serve `external-secrets.io/v1`.
    #[test]
    fn the_external_secrets_chart_serves_the_api_the_renders_use() {
        assert_eq!(EXTERNAL_SECRETS_API, "external-secrets.io/v1");
        let version: Vec<u32> = chart("external_secrets")
            .version
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert!(
            version >= vec![0, 17, 0],
            "external-secrets {version:?} predates the v1-only API"
        );
    }

    #[test]
    fn every_chart_is_pinned_to_one_exact_version_and_named_once() {
        let mut blocks: Vec<&str> = CHARTS.iter().map(|c| c.block).collect();
        blocks.sort_unstable();
        blocks.dedup();
        assert_eq!(blocks.len(), CHARTS.len());
        for chart in CHARTS {
            let version = chart.version.trim_start_matches('v');
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|p| p.parse::<u32>().is_ok()),
                "{}: `{}` is not an exact version",
                chart.block,
                chart.version
            );
        }
    }
}
