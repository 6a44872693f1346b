//! Rendering: spec → template context → template output → strict YAML parse → canonical
//! objects in install order.
//!
//! Injection safety comes from two layers. Every `{{ value }}` is printed as JSON (minijinja's
//! JSON auto-escape), so a spec string can only ever become a quoted string; then the output
//! is parsed strictly and written again by [`crate::yaml::emit`], so what lands on disk is
//! exactly the parsed objects and nothing a template author formatted by accident.

pub mod context;
pub mod error;
pub mod order;
pub mod templates;

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment as Engine, ErrorKind, UndefinedBehavior, context};
use serde_json::Value;

pub use error::{FedBy, RenderError, RenderErrorKind};
pub use templates::{Each, Template, TemplateSet};

use crate::spec::{KeyPath, Spec};
use crate::yaml;

/// One rendered Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, absent for cluster-scoped objects.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// The template that rendered it, as shown to users.
    pub template: String,
    /// The whole object.
    pub value: Value,
}

impl Resource {
    /// An object read elsewhere (a tool's output, a hand-written case) as a resource, its
    /// identity taken from the object; `None` without `apiVersion`, `kind` or
    /// `metadata.name`.
    pub fn from_object(template: &str, value: Value) -> Option<Resource> {
        let text = |pointer: &str| {
            value
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Some(Resource {
            api_version: text("/apiVersion")?,
            kind: text("/kind")?,
            namespace: text("/metadata/namespace"),
            name: text("/metadata/name")?,
            template: template.to_owned(),
            value,
        })
    }

    /// `Kind namespace/name`, or `Kind name` when cluster-scoped.
    pub fn identity(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// Its file inside `rendered/<env>/`.
    pub fn file_name(&self) -> String {
        order::file_name(&self.kind, self.namespace.as_deref(), &self.name)
    }

    /// Its canonical text: a `---` line, a `# Source:` line as `helm template` prints, and
    /// the object.
    pub fn to_yaml(&self) -> String {
        document(&self.template, &self.value)
    }
}

/// The canonical text of one rendered object: a `---` line, a `# Source:` line naming the
/// template, and the object.
pub fn document(template: &str, value: &Value) -> String {
    format!("---\n# Source: {template}\n{}", yaml::emit(value))
}

/// The objects of one environment, in install order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The environment's name.
    pub environment: String,
    /// The namespaces daactl creates, as `(role, name)` in the spec's fixed role order.
    pub namespaces: Vec<(String, String)>,
    /// The objects.
    pub resources: Vec<Resource>,
}

impl Rendered {
    /// Each object's file inside `rendered/<env>/` with its text.
    pub fn files(&self) -> BTreeMap<String, String> {
        self.resources
            .iter()
            .map(|r| (r.file_name(), r.to_yaml()))
            .collect()
    }

    /// All objects as one multi-document stream, ready for `kubectl apply -f -`.
    pub fn stream(&self) -> String {
        self.resources.iter().map(Resource::to_yaml).collect()
    }
}

/// Renders specs with one compiled template set.
pub struct Renderer {
    engine: Engine<'static>,
    templates: Vec<Template>,
}

impl Renderer {
    /// Compiles `set`; a syntax error names the template file and line.
    pub fn new(set: TemplateSet) -> Result<Self, RenderError> {
        let mut engine = Engine::new();
        engine.set_undefined_behavior(UndefinedBehavior::Strict);
        engine.set_auto_escape_callback(|_| AutoEscape::Json);
        engine.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("the default delimiters are valid"),
        );
        for template in &set.templates {
            engine
                .add_template_owned(template.name.clone(), template.source.clone())
                .map_err(|err| engine_error(&set.templates, &err, None))?;
        }
        Ok(Self {
            engine,
            templates: set.templates,
        })
    }

    /// Renders every spec, environments in parallel, results in the order of `specs`.
    pub fn render_all(&self, specs: &[Spec]) -> Result<Vec<Rendered>, RenderError> {
        crate::parallel::map(specs, |spec| self.render(spec))
            .into_iter()
            .collect()
    }

    /// Renders every template for `spec`.
    pub fn render(&self, spec: &Spec) -> Result<Rendered, RenderError> {
        let mut resources: Vec<Resource> = Vec::new();
        // Which template rendered each object, to refuse the same object twice.
        let mut rendered_by: BTreeMap<String, String> = BTreeMap::new();
        self.each_output(spec, |template, output, fed_by| {
            for resource in objects(template, output, fed_by)? {
                let identity = resource.identity();
                if let Some(first) = rendered_by.insert(identity.clone(), template.display.clone())
                {
                    return Err(RenderError {
                        template: template.display.clone(),
                        line: 0,
                        col: 0,
                        fed_by: fed_by(),
                        kind: RenderErrorKind::Duplicate { identity, first },
                    });
                }
                resources.push(resource);
            }
            Ok(())
        })?;
        resources.sort_by(|a, b| {
            (order::install_rank(&a.kind), &a.namespace, &a.name).cmp(&(
                order::install_rank(&b.kind),
                &b.namespace,
                &b.name,
            ))
        });
        Ok(Rendered {
            environment: spec.environment.name.clone(),
            namespaces: spec
                .environment
                .namespaces
                .by_role()
                .iter()
                .map(|(role, namespace)| ((*role).to_owned(), namespace.name.clone()))
                .collect(),
            resources,
        })
    }

    /// Renders each template run for `spec` and hands its text to `visit`, with the
    /// template and where the run's input came from (built only when asked, for errors).
    fn each_output(
        &self,
        spec: &Spec,
        mut visit: impl FnMut(
            &Template,
            &str,
            &dyn Fn() -> Option<Box<FedBy>>,
        ) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        let env_context = context::environment(&spec.environment);
        let env_value = to_value(&env_context);
        for template in self.templates.iter().filter(|t| !t.is_helper()) {
            let runs: Vec<(Option<KeyPath>, minijinja::Value)> = match template.each {
                Each::Once => vec![(None, context! { env => env_value.clone() })],
                Each::Service => env_context["services"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|service| {
                        let name = service["name"].as_str().unwrap_or_default();
                        let key = KeyPath::root().key("services").key(name);
                        (Some(key), context! { env => env_value.clone(), service => to_value(service) })
                    })
                    .collect(),
                Each::Namespace => context::namespaces(&env_context)
                    .into_iter()
                    .map(|(role, namespace)| {
                        let key = KeyPath::root().key("namespaces").key(role);
                        (Some(key), context! { env => env_value.clone(), namespace => to_value(&namespace) })
                    })
                    .collect(),
            };
            for (key, ctx) in runs {
                // Locating a key parses the spec again, so it happens only on failure.
                // A template rendered once per environment was fed the whole spec.
                let fed_by = || {
                    Some(Box::new(match &key {
                        Some(key) => FedBy {
                            location: spec.locate(key),
                            key: key.to_string(),
                        },
                        None => FedBy {
                            location: crate::location::Location::file(&spec.file),
                            key: format!("environment {}", spec.environment.name),
                        },
                    }))
                };
                let output = self
                    .engine
                    .get_template(&template.name)
                    .and_then(|t| t.render(ctx))
                    .map_err(|err| engine_error(&self.templates, &err, fed_by()))?;
                visit(template, &output, &fed_by)?;
            }
        }
        Ok(())
    }

    /// The text of every template run for `spec`, before it is parsed.
    #[cfg(test)]
    pub(crate) fn outputs(&self, spec: &Spec) -> Result<Vec<String>, RenderError> {
        let mut outputs = Vec::new();
        self.each_output(spec, |_, output, _| {
            outputs.push(output.to_owned());
            Ok(())
        })?;
        Ok(outputs)
    }
}

/// Hands a serializable value to the template engine.
fn to_value(value: &impl serde::Serialize) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

fn engine_error(
    templates: &[Template],
    err: &minijinja::Error,
    fed_by: Option<Box<FedBy>>,
) -> RenderError {
    let name = err.name().unwrap_or_default();
    let template = templates.iter().find(|t| t.name == name);
    let mut message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    // Syntax and undefined-value errors already name what failed; others gain the
    // expression, such as the `import` that named a missing template.
    let self_describing = matches!(
        err.kind(),
        ErrorKind::SyntaxError | ErrorKind::UndefinedError
    );
    if let (false, Some(range), Some(t)) = (self_describing, err.range(), template)
        && let Some(expression) = t.source.get(range)
    {
        message.push_str(&format!(" in `{}`", expression.trim()));
    }
    // The column of the failing expression, when the engine gives its byte range.
    let col = match (err.range(), template) {
        (Some(range), Some(t)) if t.source.is_char_boundary(range.start) => {
            let before = &t.source[..range.start];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            before[line_start..].chars().count() + 1
        }
        _ => 0,
    };
    RenderError {
        template: template.map_or_else(|| name.to_owned(), |t| t.display.clone()),
        line: err.line().unwrap_or(0),
        col,
        fed_by,
        kind: RenderErrorKind::Template(message),
    }
}

/// Parses one template's output into objects.
fn objects(
    template: &Template,
    output: &str,
    fed_by: &dyn Fn() -> Option<Box<FedBy>>,
) -> Result<Vec<Resource>, RenderError> {
    let fail = |kind| RenderError {
        template: template.display.clone(),
        line: 0,
        col: 0,
        fed_by: fed_by(),
        kind,
    };
    let documents = yaml::parse_stream(output).map_err(|err| {
        let text = output
            .lines()
            .nth(err.line.saturating_sub(1))
            .unwrap_or_default();
        let mut error = fail(RenderErrorKind::Output {
            output_line: err.line,
            output_col: err.col,
            message: err.message,
            text: text.to_owned(),
        });
        // A line the template wrote literally can be traced back to it.
        let mut same = template
            .source
            .lines()
            .enumerate()
            .filter(|(_, line)| line.trim() == text.trim());
        if let (Some((index, line)), None, false) =
            (same.next(), same.next(), text.trim().is_empty())
        {
            error.line = index + 1;
            error.col = line.len() - line.trim_start().len() + 1;
        }
        error
    })?;
    documents
        .into_iter()
        .map(|document| {
            let value = document.value;
            let text = |pointer: &str| {
                value
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let (Some(api_version), Some(kind), Some(name)) =
                (text("/apiVersion"), text("/kind"), text("/metadata/name"))
            else {
                return Err(fail(RenderErrorKind::NotAnObject(format!(
                    "the document at output line {} lacks `apiVersion`, `kind` or `metadata.name`",
                    document.line
                ))));
            };
            let namespace = text("/metadata/namespace");
            // Names become file paths under rendered/, so only names Kubernetes accepts
            // (which can never climb out of that folder) get this far.
            let bad_name = if !is_kind(&kind) {
                Some(format!("`{kind}` is not a kind name"))
            } else if !is_dns_subdomain(&name) {
                Some(format!("{kind} name `{name}` is not a lower-case DNS name"))
            } else {
                namespace
                    .as_deref()
                    .filter(|ns| !is_dns_label(ns))
                    .map(|ns| format!("namespace `{ns}` of {kind} `{name}` is not a DNS label"))
            };
            if let Some(message) = bad_name {
                return Err(fail(RenderErrorKind::NotAnObject(message)));
            }
            match (order::is_cluster_scoped(&kind), &namespace) {
                (true, Some(ns)) => {
                    return Err(fail(RenderErrorKind::NotAnObject(format!(
                        "{kind} `{name}` is cluster-scoped but sets `metadata.namespace: {ns}`"
                    ))));
                }
                (false, None) => {
                    return Err(fail(RenderErrorKind::NotAnObject(format!(
                        "{kind} `{name}` is namespaced but sets no `metadata.namespace`"
                    ))));
                }
                _ => {}
            }
            Ok(Resource {
                api_version,
                kind,
                namespace,
                name,
                template: template.display.clone(),
                value,
            })
        })
        .collect()
}

/// `Deployment`, `HorizontalPodAutoscaler`: ASCII letters and digits, starting with a letter.
fn is_kind(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// An RFC 1123 label: what namespaces (and most object names) must be.
fn is_dns_label(text: &str) -> bool {
    (1..=63).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// An RFC 1123 subdomain: dot-separated labels, at most 253 characters.
fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_output_folder_are_refused() {
        for bad in ["../x", "/etc", "a/b", "..", "", "A", "a_b", "-a"] {
            assert!(!is_dns_subdomain(bad), "{bad:?}");
        }
        for good in ["daa-service", "daa-service-config", "a.b", "x1"] {
            assert!(is_dns_subdomain(good), "{good:?}");
        }
        assert!(is_kind("HorizontalPodAutoscaler") && !is_kind("Kind/../x"));
    }
}
