//! The parity allow-list: `schemas/parity.toml`, built into the binary.

use serde::Deserialize;

use crate::variance::Segment;

/// The allow-list, as committed.
pub const PARITY_TOML: &str = include_str!("../../schemas/parity.toml");

/// Why a value may differ between environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Replicas, sizes, quotas, bounds.
    Scale,
    /// Configuration values marked as data.
    Data,
    /// Image tags, digests and version labels while a release is promoted.
    Release,
    /// Computed from another allowed difference, such as a checksum.
    Derived,
    /// What the environment's platform offers (storage, identity, secret store).
    Platform,
    /// Only the environment's own namespace names or name differ.
    Naming,
}

impl Category {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scale => "scale",
            Self::Data => "data",
            Self::Release => "release",
            Self::Derived => "derived",
            Self::Platform => "platform",
            Self::Naming => "naming",
        }
    }
}

/// Why the allow-list could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AllowListError {
    /// Not valid TOML, or not the allow-list's shape.
    #[error("schemas/parity.toml: error: {0}")]
    Parse(String),
    /// A path pattern that cannot be read.
    #[error("schemas/parity.toml: error: path `{pattern}`: {problem}")]
    Pattern {
        /// The pattern as written.
        pattern: String,
        /// What is wrong.
        problem: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    reference: String,
    #[serde(default)]
    allow: Vec<RawEntry>,
    #[serde(default)]
    adapter: Vec<RawAdapter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    category: Category,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    environments: Vec<String>,
    paths: Vec<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdapter {
    category: Category,
    kinds: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    environments: Vec<String>,
    reason: String,
}

/// One step of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// Any one map key (`*`).
    AnyKey,
    /// Any list item (`[]`).
    AnyItem,
    /// One list item by position (`[3]`).
    Item(usize),
    /// The list item whose `name` is this (`[redis]`).
    Named(String),
}

/// A field path pattern: it covers the paths it matches a prefix of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// As written.
    pub text: String,
    steps: Vec<Step>,
}

impl Pattern {
    /// Reads `text` (see `schemas/parity.toml` for the grammar).
    pub fn parse(text: &str) -> Result<Pattern, AllowListError> {
        let problem = |problem| AllowListError::Pattern {
            pattern: text.to_owned(),
            problem,
        };
        let mut steps = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('"') {
                let end = after.find('"').ok_or_else(|| problem("unclosed quote"))?;
                steps.push(Step::Key(after[..end].to_owned()));
                rest = &after[end + 1..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']').ok_or_else(|| problem("unclosed `[`"))?;
                let inside = &after[..end];
                steps.push(if inside.is_empty() {
                    Step::AnyItem
                } else if let Ok(index) = inside.parse() {
                    Step::Item(index)
                } else {
                    Step::Named(inside.to_owned())
                });
                rest = &after[end + 1..];
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let key = &rest[..end];
                if key.is_empty() {
                    return Err(problem("an empty key"));
                }
                steps.push(if key == "*" {
                    Step::AnyKey
                } else {
                    Step::Key(key.to_owned())
                });
                rest = &rest[end..];
            }
            if let Some(after) = rest.strip_prefix('.') {
                if after.is_empty() || after.starts_with(['.', '[']) {
                    return Err(problem("a `.` without a key after it"));
                }
                rest = after;
            } else if !rest.is_empty() && !rest.starts_with('[') {
                return Err(problem(
                    "a quoted key or `]` must be followed by `.` or `[`",
                ));
            }
        }
        if steps.is_empty() {
            return Err(problem("an empty path"));
        }
        Ok(Pattern {
            text: text.to_owned(),
            steps,
        })
    }

    /// Whether it covers `path`, whose list steps carry the item's `name` when it has one.
    pub fn covers(&self, path: &[(Segment, Option<String>)]) -> bool {
        self.steps.len() <= path.len()
            && self
                .steps
                .iter()
                .zip(path)
                .all(|(step, (segment, item_name))| match (step, segment) {
                    (Step::Key(want), Segment::Key(key)) => want == key,
                    (Step::AnyKey, Segment::Key(_)) => true,
                    (Step::AnyItem, Segment::Index(_)) => true,
                    (Step::Item(want), Segment::Index(index)) => want == index,
                    (Step::Named(want), Segment::Index(_)) => item_name.as_deref() == Some(want),
                    _ => false,
                })
    }
}

/// One entry of the allow-list.
#[derive(Debug, Clone)]
pub struct Allowance {
    /// Why it may differ.
    pub category: Category,
    /// The kinds it applies to; empty for every kind.
    pub kinds: Vec<String>,
    /// The object names it applies to; empty for every name.
    pub names: Vec<String>,
    /// The environments that may differ from the reference this way; empty for every one.
    pub environments: Vec<String>,
    /// The paths it covers.
    pub paths: Vec<Pattern>,
    /// The reason, shown with every difference it allows.
    pub reason: String,
}

impl Allowance {
    fn applies_to(&self, kind: &str, name: &str, environment: &str) -> bool {
        (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
            && (self.names.is_empty() || self.names.iter().any(|n| n == name))
            && (self.environments.is_empty() || self.environments.iter().any(|e| e == environment))
    }

    /// The pattern covering `path` of object `kind` `name` in `environment`, if any.
    pub fn covering(
        &self,
        kind: &str,
        name: &str,
        environment: &str,
        path: &[(Segment, Option<String>)],
    ) -> Option<&Pattern> {
        if !self.applies_to(kind, name, environment) {
            return None;
        }
        self.paths.iter().find(|p| p.covers(path))
    }
}

/// Objects that may exist in only some environments.
#[derive(Debug, Clone)]
pub struct Adapter {
    /// Why they may be missing.
    pub category: Category,
    /// Their kinds.
    pub kinds: Vec<String>,
    /// Their names; empty for every name.
    pub names: Vec<String>,
    /// The environments that may lack or add them; empty for every one.
    pub environments: Vec<String>,
    /// Why.
    pub reason: String,
}

impl Adapter {
    /// Whether it lets environment `environment` lack or add object `kind` `name`.
    pub fn covers(&self, kind: &str, name: &str, environment: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
            && (self.names.is_empty() || self.names.iter().any(|n| n == name))
            && (self.environments.is_empty() || self.environments.iter().any(|e| e == environment))
    }
}

/// The whole allow-list.
#[derive(Debug, Clone)]
pub struct AllowList {
    /// The environment the others are compared with.
    pub reference: String,
    /// What may differ inside objects.
    pub allow: Vec<Allowance>,
    /// What may exist in only some environments.
    pub adapters: Vec<Adapter>,
}

impl AllowList {
    /// The committed allow-list.
    pub fn embedded() -> Result<AllowList, AllowListError> {
        Self::parse(PARITY_TOML)
    }

    /// Reads an allow-list from its TOML text.
    pub fn parse(text: &str) -> Result<AllowList, AllowListError> {
        let file: File =
            toml::from_str(text).map_err(|err| AllowListError::Parse(err.to_string()))?;
        let allow = file
            .allow
            .into_iter()
            .map(|entry| {
                Ok(Allowance {
                    category: entry.category,
                    kinds: entry.kinds,
                    names: entry.names,
                    environments: entry.environments,
                    paths: entry
                        .paths
                        .iter()
                        .map(|p| Pattern::parse(p))
                        .collect::<Result<_, _>>()?,
                    reason: entry.reason,
                })
            })
            .collect::<Result<_, AllowListError>>()?;
        Ok(AllowList {
            reference: file.reference,
            allow,
            adapters: file
                .adapter
                .into_iter()
                .map(|a| Adapter {
                    category: a.category,
                    kinds: a.kinds,
                    names: a.names,
                    environments: a.environments,
                    reason: a.reason,
                })
                .collect(),
        })
    }
}
