//! The third-party actions the generated workflows use, each pinned to the full commit SHA of
//! one release.
//!
//! A tag such as `@v4` can be moved to other code by whoever controls the action's repository
//! (the tj-actions/changed-files compromise of March 2025 did exactly that); a 40-hex commit
//! SHA cannot. The release each SHA belongs to is kept beside it and written as a `# v4.2.2`
//! comment after every `uses:`, so a reader and Dependabot/Renovate see the version. The SHAs
//! were read from public workflows that pin these releases; changing one means changing this
//! table only.

/// One pinned action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// `owner/repo` or `owner/repo/path` as written before the `@`.
    pub action: &'static str,
    /// The release tag the commit belongs to, exactly as the action's repository names it.
    pub version: &'static str,
    /// The release's full commit SHA.
    pub sha: &'static str,
}

impl Pin {
    /// The `uses:` value: `action@sha`.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.action, self.sha)
    }
}

/// `actions/checkout`.
pub const CHECKOUT: Pin = Pin {
    action: "actions/checkout",
    version: "v4.2.2",
    sha: "11bd71901bbe5b1630ceea73d27597364c9af683",
};
/// `actions/setup-node`.
pub const SETUP_NODE: Pin = Pin {
    action: "actions/setup-node",
    version: "v4.4.0",
    sha: "49933ea5288caeca8642d1e84afbd3f7d6820020",
};
/// `docker/setup-buildx-action`.
pub const SETUP_BUILDX: Pin = Pin {
    action: "docker/setup-buildx-action",
    version: "v3.11.1",
    sha: "e468171a9de216ec08956ac3ada2f0791b6bd435",
};
/// `docker/login-action`.
pub const DOCKER_LOGIN: Pin = Pin {
    action: "docker/login-action",
    version: "v3.4.0",
    sha: "74a5d142397b4f367a81961eba4e8cd7edddf772",
};
/// `docker/build-push-action`.
pub const BUILD_PUSH: Pin = Pin {
    action: "docker/build-push-action",
    version: "v6.18.0",
    sha: "263435318d21b8e681c14492fe198d362a7d2c83",
};
/// `aquasecurity/trivy-action` (its tags carry no `v`).
pub const TRIVY: Pin = Pin {
    action: "aquasecurity/trivy-action",
    version: "0.28.0",
    sha: "915b19bbe73b92a6cf82a1bc12b087c9a19a5fe2",
};
/// `github/codeql-action/upload-sarif`.
pub const UPLOAD_SARIF: Pin = Pin {
    action: "github/codeql-action/upload-sarif",
    version: "v3.28.18",
    sha: "ff0a06e83cb2de871e5a09832bc6a81e7276941f",
};
/// `SonarSource/sonarqube-scan-action`.
pub const SONARQUBE_SCAN: Pin = Pin {
    action: "SonarSource/sonarqube-scan-action",
    version: "v6.0.0",
    sha: "fd88b7d7ccbaefd23d8f36f73b59db7a3d246602",
};
/// `actions/create-github-app-token`.
pub const APP_TOKEN: Pin = Pin {
    action: "actions/create-github-app-token",
    version: "v2.0.6",
    sha: "df432ceedc7162793a195dd1713ff69aefc7379e",
};
/// `hashicorp/setup-terraform`.
pub const SETUP_TERRAFORM: Pin = Pin {
    action: "hashicorp/setup-terraform",
    version: "v3.1.2",
    sha: "b9cd54a3c349d3f38e8881555d616ced269862dd",
};
/// `aws-actions/configure-aws-credentials`.
pub const AWS_CREDENTIALS: Pin = Pin {
    action: "aws-actions/configure-aws-credentials",
    version: "v4.2.1",
    sha: "b47578312673ae6fa5b5096b330d9fbac3d116df",
};
/// `orhun/git-cliff-action`.
pub const GIT_CLIFF: Pin = Pin {
    action: "orhun/git-cliff-action",
    version: "v4.7.1",
    sha: "c93ef52f3d0ddcdcc9bd5447d98d458a11cd4f72",
};

/// Every pin, the one table the workflows draw from.
pub const PINS: &[Pin] = &[
    CHECKOUT,
    SETUP_NODE,
    SETUP_BUILDX,
    DOCKER_LOGIN,
    BUILD_PUSH,
    TRIVY,
    UPLOAD_SARIF,
    SONARQUBE_SCAN,
    APP_TOKEN,
    SETUP_TERRAFORM,
    AWS_CREDENTIALS,
    GIT_CLIFF,
];

/// The pin whose `uses:` value is `reference`, if it is one of [`PINS`].
pub fn by_reference(reference: &str) -> Option<&'static Pin> {
    let (action, sha) = reference.split_once('@')?;
    PINS.iter().find(|p| p.action == action && p.sha == sha)
}

/// Whether `text` is a full commit SHA: 40 lowercase hex digits.
pub fn is_full_sha(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_a_full_commit_sha_with_a_release_version() {
        for pin in PINS {
            assert!(
                is_full_sha(pin.sha),
                "{}: `{}` is not 40 hex",
                pin.action,
                pin.sha
            );
            let version = pin.version.strip_prefix('v').unwrap_or(pin.version);
            let parts: Vec<&str> = version.split('.').collect();
            assert!(
                parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
                "{}: `{}` is not a release version X.Y.Z",
                pin.action,
                pin.version
            );
        }
    }

    #[test]
    fn each_action_is_pinned_once() {
        let mut actions: Vec<&str> = PINS.iter().map(|p| p.action).collect();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), PINS.len());
    }

    #[test]
    fn short_or_uppercase_shas_are_not_full_shas() {
        assert!(!is_full_sha("11bd719"));
        assert!(!is_full_sha("11BD71901BBE5B1630CEEA73D27597364C9AF683"));
        assert!(!is_full_sha("v4.2.2"));
        assert_eq!(
            by_reference(&CHECKOUT.reference()).map(|p| p.version),
            Some("v4.2.2")
        );
        assert_eq!(by_reference("actions/checkout@v4"), None);
    }
}
