//! The API versions Kubernetes removed, from `schemas/kubernetes/removed-apis.toml`.

use serde::Deserialize;

use super::version::{self, Minor};

const TABLE: &str = include_str!("../../schemas/kubernetes/removed-apis.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    removed: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    api_version: String,
    kinds: Vec<String>,
    removed_in: String,
    replacement: Option<String>,
}

/// One kind of one API version that Kubernetes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Removal {
    pub api_version: String,
    pub kind: String,
    /// The minor version that removed it, e.g. `1.25`.
    pub removed_in: String,
    pub minor: Minor,
    /// The apiVersion serving the same kind instead.
    pub replacement: Option<String>,
}

/// Every removal in the table, one per kind, in table order.
pub(super) fn table() -> Result<Vec<Removal>, String> {
    let file: File =
        toml::from_str(TABLE).map_err(|err| format!("removed-apis.toml: {}", err.message()))?;
    let mut removals = Vec::new();
    for entry in file.removed {
        let minor = version::parse(&entry.removed_in).ok_or_else(|| {
            format!(
                "removed-apis.toml: `{}` is not a Kubernetes version",
                entry.removed_in
            )
        })?;
        for kind in entry.kinds {
            removals.push(Removal {
                api_version: entry.api_version.clone(),
                kind,
                removed_in: entry.removed_in.clone(),
                minor,
                replacement: entry.replacement.clone(),
            });
        }
    }
    Ok(removals)
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn the_table_loads_and_names_each_kind_once() {
        let removals = table().unwrap();
        assert!(removals.len() > 40);
        let mut seen = std::collections::BTreeSet::new();
        for removal in &removals {
            assert!(
                seen.insert((&removal.api_version, &removal.kind)),
                "{} {} twice",
                removal.api_version,
                removal.kind
            );
        }
    }
}
