//! Every object of the committed output conforms to its kind's published schema, strictly,
//! for the oldest Kubernetes the requirements allow and for the version the clusters run.
//! No object is `Unknown`: the custom resources nobody publishes a JSON Schema of are checked
//! against their typed bindings.

mod common;

use std::path::{Path, PathBuf};

use daactl::kubeschema::{Catalog, Verdict};

/// Kinds the output renders with no vendored JSON Schema: no package of the reachable
/// registries ships CloudNativePG's CRDs, and the External Secrets packages ship only
/// compiled validators; they are checked against the typed bindings of
/// kube-custom-resources-rs instead (docs/decisions/0005-kubernetes-schemas.md).
const TYPED: &[(&str, &str)] = &[
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("external-secrets.io/v1", "ExternalSecret"),
];

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_rendered_object_conforms_to_its_schema() {
    let rendered = common::repo().join("rendered");
    let mut files = Vec::new();
    // Each environment's objects; the Kustomize tree and the chart build into the same ones,
    // and rendered/terraform holds no Kubernetes objects.
    for entry in std::fs::read_dir(&rendered).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() && !daactl::project::RESERVED_NAMES.contains(&name.as_str()) {
            yaml_files(&path, &mut files);
        }
    }
    files.sort();
    assert!(files.len() > 100, "{} files", files.len());
    let mut problems = Vec::new();
    let mut checked = 0;
    for version in ["1.28", "1.33"] {
        let schemas = Catalog::embedded().version(version).unwrap();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for document in daactl::yaml::parse_stream(&text).unwrap() {
                let object = &document.value;
                let name = file.strip_prefix(&rendered).unwrap().display();
                checked += 1;
                match schemas.check(object) {
                    Verdict::Valid => {}
                    Verdict::Invalid(violations) => {
                        for violation in violations {
                            problems.push(format!("{version} {name}: {violation}"));
                        }
                    }
                    other => problems.push(format!("{version} {name}: {other:?}")),
                }
            }
        }
    }
    assert!(checked >= 2 * files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_typed_kinds_refuse_an_unknown_field() {
    // The check above can fail for them: a field their CRD does not have is refused.
    let schemas = Catalog::embedded().version("1.33").unwrap();
    for (api_version, kind) in TYPED {
        let object = serde_json::json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": "x"},
            // Before `spec`: a missing required field of `spec` ends the walk.
            "spek": {},
            "spec": {},
        });
        let Verdict::Invalid(violations) = schemas.check(&object) else {
            panic!("{api_version} {kind}: not checked");
        };
        assert!(
            violations
                .iter()
                .any(|v| v.pointer == "/spek" && v.message == "unknown field `spek`"),
            "{api_version} {kind}: {violations:?}"
        );
    }
}
