//! Shape rules: per-object constraints written as JSON Schema fragments in
//! `schemas/policy/<CODE>.json` and checked with the `jsonschema` crate.
//!
//! A shape rule names its scope (objects of some kinds, every pod spec, or every container)
//! and its fragment; each schema violation becomes one finding at the violating field. Rules
//! that compare objects with each other, or read environment parameters, are code instead.

use std::sync::OnceLock;

use serde_json::Value;

use super::rule::{Check, Context, Rule, RuleMeta};
use super::workload::pod_templates;

/// What a shape rule is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Whole objects of these kinds.
    Kinds(&'static [&'static str]),
    /// Every pod spec of every workload.
    PodSpec,
    /// Every container, init container and ephemeral container.
    Container,
}

/// A rule whose predicate is a JSON Schema fragment.
pub struct ShapeRule {
    /// Its metadata.
    pub meta: RuleMeta,
    /// Where it applies.
    pub scope: Scope,
    /// The fragment's text (`include_str!` of `schemas/policy/<CODE>.json`).
    pub schema: &'static str,
    /// The compiled fragment, built on first use.
    pub compiled: OnceLock<jsonschema::Validator>,
}

impl ShapeRule {
    /// The compiled fragment. Fragments are committed files checked by the test suite, so a
    /// broken one is a build defect, not a user error.
    pub fn validator(&self) -> &jsonschema::Validator {
        self.compiled.get_or_init(|| {
            let schema: Value = serde_json::from_str(self.schema)
                .unwrap_or_else(|err| panic!("schemas/policy/{}.json: {err}", self.meta.code));
            jsonschema::validator_for(&schema)
                .unwrap_or_else(|err| panic!("schemas/policy/{}.json: {err}", self.meta.code))
        })
    }

    fn check_value(
        &self,
        out: &mut Check,
        manifest: usize,
        base: &str,
        subject: &str,
        value: &Value,
    ) {
        out.saw();
        for error in self.validator().iter_errors(value) {
            let path = error.instance_path().as_str().to_owned();
            let shown = path
                .trim_start_matches('/')
                .split('/')
                .map(|token| token.replace("~1", "/").replace("~0", "~"))
                .collect::<Vec<_>>()
                .join(".");
            let detail = plain_detail(&error.to_string());
            let message = if shown.is_empty() {
                format!("{subject}: {detail}")
            } else {
                format!("{subject}: `{shown}`: {detail}")
            };
            out.fail(manifest, format!("{base}{path}"), message);
        }
    }
}

impl Rule for ShapeRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    fn check(&self, cx: &Context<'_>, out: &mut Check) {
        match self.scope {
            Scope::Kinds(kinds) => {
                for (index, manifest) in cx.set.manifests.iter().enumerate() {
                    if kinds.contains(&manifest.kind.as_str()) {
                        let subject = manifest.subject();
                        self.check_value(out, index, "", &subject, &manifest.value);
                    }
                }
            }
            Scope::PodSpec => {
                for pod in pod_templates(cx.set) {
                    let subject = format!("pods of {}", pod.owner.subject());
                    self.check_value(out, pod.index, pod.pointer, &subject, pod.spec);
                }
            }
            Scope::Container => {
                for pod in pod_templates(cx.set) {
                    for container in pod.containers() {
                        let subject =
                            format!("container `{}` of {}", container.name, pod.owner.subject());
                        self.check_value(
                            out,
                            pod.index,
                            &container.pointer,
                            &subject,
                            container.value,
                        );
                    }
                }
            }
        }
    }
}

/// Rewords the `jsonschema` crate's messages as requirements: `"x" is a required property`
/// becomes `` `x` is missing``, `false was expected` becomes `must be false`.
fn plain_detail(detail: &str) -> String {
    if let Some(name) = detail.strip_suffix(" is a required property") {
        return format!("`{}` is missing", name.trim_matches('"'));
    }
    if let Some(value) = detail.strip_suffix(" was expected") {
        return format!("must be {value}");
    }
    detail.to_owned()
}
