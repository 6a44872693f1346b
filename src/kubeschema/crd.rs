//! The custom resource schemas vendored under `schemas/crds/`: an index of which file holds
//! which apiVersion and kind, and the files, each kind's schema parsed once, on first use,
//! for every Kubernetes version alike.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::schema::LazySchema;

const INDEX: &str = include_str!("../../schemas/crds/index.json");

/// Every vendored file, by the name `index.json` gives it.
const FILES: [(&str, &str); 4] = [
    (
        "kubernetes-models-argo-cd",
        include_str!("../../schemas/crds/kubernetes-models-argo-cd.json"),
    ),
    (
        "kubernetes-models-argo-rollouts",
        include_str!("../../schemas/crds/kubernetes-models-argo-rollouts.json"),
    ),
    (
        "kubernetes-models-istio",
        include_str!("../../schemas/crds/kubernetes-models-istio.json"),
    ),
    (
        "kubernetes-models-prometheus-operator",
        include_str!("../../schemas/crds/kubernetes-models-prometheus-operator.json"),
    ),
];

/// apiVersion, then kind, to the name of the file holding its schema.
pub(super) type Index = BTreeMap<String, BTreeMap<String, String>>;

/// The index of vendored custom resources.
pub(super) fn index() -> Result<Index, String> {
    serde_json::from_str(INDEX).map_err(|err| format!("schemas/crds/index.json: {err}"))
}

/// One vendored file: each kind's schema kept as JSON text until a kind is needed (a file
/// holds dozens of kinds, a rendering uses a few).
struct File {
    /// apiVersion, then kind.
    kinds: BTreeMap<String, BTreeMap<String, LazySchema>>,
}

#[derive(Deserialize)]
struct FileText {
    #[serde(borrow)]
    kinds: BTreeMap<String, BTreeMap<String, &'static RawValue>>,
}

/// The vendored schema of one custom resource, from the file the index names.
pub(super) fn schema(file: &str, api_version: &str, kind: &str) -> Result<&'static Value, String> {
    static PARSED: [OnceLock<Result<File, String>>; FILES.len()] =
        [const { OnceLock::new() }; FILES.len()];
    let slot = FILES
        .iter()
        .position(|(name, _)| *name == file)
        .ok_or_else(|| format!("schemas/crds/{file}.json is not embedded"))?;
    let parsed = PARSED[slot]
        .get_or_init(|| {
            let text: FileText = serde_json::from_str(FILES[slot].1)
                .map_err(|err| format!("schemas/crds/{file}.json: {err}"))?;
            let kinds = text
                .kinds
                .into_iter()
                .map(|(api_version, kinds)| {
                    let kinds = kinds
                        .into_iter()
                        .map(|(kind, text)| (kind, LazySchema::new(text)))
                        .collect();
                    (api_version, kinds)
                })
                .collect();
            Ok(File { kinds })
        })
        .as_ref()
        .map_err(Clone::clone)?;
    parsed
        .kinds
        .get(api_version)
        .and_then(|kinds| kinds.get(kind))
        .ok_or_else(|| format!("schemas/crds/{file}.json has no {api_version} {kind}"))?
        .get()
        .map_err(|err| format!("schemas/crds/{file}.json, {api_version} {kind}: {err}"))
}

/// Escapes one JSON pointer segment.
pub(super) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The names of the embedded files, for the test that every vendored file is embedded.
#[cfg(test)]
pub(super) fn file_names() -> Vec<&'static str> {
    FILES.iter().map(|(name, _)| *name).collect()
}
