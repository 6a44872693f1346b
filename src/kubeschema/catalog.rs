//! The vendored schemas of every Kubernetes version, and checking one object against the
//! schema of its kind.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use jsonschema::Validator;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::decide::{Decision, decide};
use super::error::{KubeSchemaError, KubeSchemaErrorKind};
use super::removed::{self, Removal};
use super::schema::{self, Definitions, LazySchema};
use super::verdict::{Verdict, Violation};
use super::version::{self, Minor};
use super::{crd, message, typed};

/// The built-in kinds of each vendored Kubernetes minor, oldest first.
const KUBERNETES: [(&str, &str); 6] = [
    ("1.28", include_str!("../../schemas/kubernetes/v1.28.json")),
    ("1.29", include_str!("../../schemas/kubernetes/v1.29.json")),
    ("1.30", include_str!("../../schemas/kubernetes/v1.30.json")),
    ("1.31", include_str!("../../schemas/kubernetes/v1.31.json")),
    ("1.32", include_str!("../../schemas/kubernetes/v1.32.json")),
    ("1.33", include_str!("../../schemas/kubernetes/v1.33.json")),
];

/// All vendored schemas, embedded in the binary; parsed lazily per version.
pub struct Catalog {
    versions: Vec<Slot>,
}

struct Slot {
    name: &'static str,
    minor: Minor,
    text: &'static str,
    loaded: OnceLock<Result<VersionSchemas, String>>,
}

impl Catalog {
    /// The schemas embedded in this binary.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(Catalog::unloaded)
    }

    /// A catalog of the embedded schemas of its own, with no version parsed and no validator
    /// compiled yet: for measuring that cold path. Use [`Catalog::embedded`] otherwise,
    /// which parses and compiles once per process.
    pub fn unloaded() -> Catalog {
        Catalog {
            versions: KUBERNETES
                .iter()
                .filter_map(|&(name, text)| {
                    Some(Slot {
                        name,
                        minor: version::parse(name)?,
                        text,
                        loaded: OnceLock::new(),
                    })
                })
                .collect(),
        }
    }

    /// The Kubernetes minor versions vendored, e.g. `["1.28", ..., "1.33"]`.
    pub fn versions(&self) -> Vec<&'static str> {
        self.versions.iter().map(|slot| slot.name).collect()
    }

    /// The schemas of one Kubernetes version. Accepts `1.33` or `1.33.0`; an unknown version
    /// is an error naming the vendored ones.
    pub fn version(&self, version: &str) -> Result<&VersionSchemas, KubeSchemaError> {
        let error = |kind| KubeSchemaError {
            version: version.to_owned(),
            kind,
        };
        let minor = version::parse(version).ok_or_else(|| {
            error(KubeSchemaErrorKind::Malformed {
                vendored: self.versions(),
            })
        })?;
        let slot = self
            .versions
            .iter()
            .find(|slot| slot.minor == minor)
            .ok_or_else(|| {
                error(KubeSchemaErrorKind::NotVendored {
                    vendored: self.versions(),
                })
            })?;
        slot.loaded
            .get_or_init(|| VersionSchemas::load(slot.name, slot.minor, slot.text))
            .as_ref()
            .map_err(|reason| {
                error(KubeSchemaErrorKind::Corrupt {
                    reason: reason.clone(),
                })
            })
    }
}

/// One vendored file of built-in kinds, as `scripts/vendor-schemas.py` writes it.
#[derive(Deserialize)]
struct VersionFile<'a> {
    /// apiVersion, then kind, to its definition's name.
    kinds: BTreeMap<String, BTreeMap<String, String>>,
    /// Borrowed from the embedded text, unparsed.
    #[serde(rename = "$defs", borrow)]
    defs: BTreeMap<&'a str, &'a RawValue>,
}

/// Where a kind's schema comes from.
enum Source {
    /// A definition of the Kubernetes version.
    Builtin(String),
    /// A vendored custom resource schema, in the named file.
    Crd(String),
    /// A custom resource checked against its typed bindings (see [`typed`]).
    Typed(typed::Check),
}

/// One kind this version has a schema for, and its validator once compiled.
struct Kind {
    source: Source,
    validator: OnceLock<Result<Validator, String>>,
}

/// The schemas of one Kubernetes version: its built-in kinds, the vendored custom resources,
/// and the kinds removed at or before it.
pub struct VersionSchemas {
    name: &'static str,
    defs: Definitions,
    /// apiVersion, then kind.
    kinds: BTreeMap<String, BTreeMap<String, Kind>>,
    /// The API groups Kubernetes itself serves in this version (`""` is the core group).
    builtin_groups: BTreeSet<String>,
    /// apiVersion, then kind, of what Kubernetes removed at or before this version.
    removed: BTreeMap<String, BTreeMap<String, Removal>>,
}

impl VersionSchemas {
    fn load(name: &'static str, minor: Minor, text: &'static str) -> Result<Self, String> {
        let file: VersionFile<'static> = serde_json::from_str(text)
            .map_err(|err| format!("schemas/kubernetes/v{name}.json: {err}"))?;
        let mut kinds: BTreeMap<String, BTreeMap<String, Kind>> = BTreeMap::new();
        let mut builtin_groups = BTreeSet::new();
        for (api_version, by_kind) in file.kinds {
            builtin_groups.insert(group(&api_version).to_owned());
            let entry = kinds.entry(api_version).or_default();
            for (kind, definition) in by_kind {
                entry.insert(kind, Kind::new(Source::Builtin(definition)));
            }
        }
        for (api_version, by_kind) in crd::index()? {
            let entry = kinds.entry(api_version).or_default();
            for (kind, file) in by_kind {
                // A built-in kind keeps the Kubernetes schema.
                entry
                    .entry(kind)
                    .or_insert_with(|| Kind::new(Source::Crd(file)));
            }
        }
        for &(api_version, kind, check) in typed::KINDS {
            kinds
                .entry(api_version.to_owned())
                .or_default()
                .entry(kind.to_owned())
                .or_insert_with(|| Kind::new(Source::Typed(check)));
        }
        let mut removed: BTreeMap<String, BTreeMap<String, Removal>> = BTreeMap::new();
        for removal in removed::table()? {
            if removal.minor <= minor {
                removed
                    .entry(removal.api_version.clone())
                    .or_default()
                    .insert(removal.kind.clone(), removal);
            }
        }
        Ok(Self {
            name,
            defs: file
                .defs
                .into_iter()
                .map(|(name, text)| (name, LazySchema::new(text)))
                .collect(),
            kinds,
            builtin_groups,
            removed,
        })
    }

    /// The Kubernetes minor version these schemas are of, e.g. `1.33`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// [`Verdict::Removed`] when this version no longer serves `api_version`/`kind`: the
    /// cheap part of [`Self::check`], with no schema compiled or object walked.
    pub fn removal(&self, api_version: &str, kind: &str) -> Option<Verdict> {
        let removal = self.removed.get(api_version)?.get(kind)?;
        Some(Verdict::Removed {
            api_version: removal.api_version.clone(),
            kind: removal.kind.clone(),
            removed_in: removal.removed_in.clone(),
            replacement: removal.replacement.clone(),
        })
    }

    /// Checks `object` against the schema of its `apiVersion` and `kind`.
    pub fn check(&self, object: &Value) -> Verdict {
        let (api_version, kind) = match identify(object) {
            Ok(identity) => identity,
            Err(violations) => return Verdict::Invalid(violations),
        };
        if let Some(removed) = self.removal(api_version, kind) {
            return removed;
        }
        let Some(entry) = self.kinds.get(api_version).and_then(|k| k.get(kind)) else {
            return Verdict::Unknown {
                reason: self.unknown_reason(api_version, kind),
            };
        };
        if let Source::Typed(check) = entry.source {
            let violations = check(object);
            return if violations.is_empty() {
                Verdict::Valid
            } else {
                Verdict::Invalid(violations)
            };
        }
        if entry.validator.get().is_none()
            && self.decide(api_version, kind, &entry.source, object) == Decision::Valid
        {
            return Verdict::Valid;
        }
        let validator = entry
            .validator
            .get_or_init(|| self.compile(api_version, kind, &entry.source));
        match validator {
            Ok(validator) => {
                let violations = message::violations(validator, object);
                if violations.is_empty() {
                    Verdict::Valid
                } else {
                    Verdict::Invalid(violations)
                }
            }
            Err(reason) => Verdict::Unknown {
                reason: format!(
                    "the vendored schema for {api_version} {kind} does not compile: {reason}"
                ),
            },
        }
    }

    /// Walks `object` against its kind's schema without compiling anything (see
    /// [`decide`]); only an object this cannot call valid needs the compiled validator.
    fn decide(&self, api_version: &str, kind: &str, source: &Source, object: &Value) -> Decision {
        let root = match source {
            Source::Builtin(definition) => self.definition(definition),
            Source::Crd(file) => crd::schema(file, api_version, kind).ok(),
            Source::Typed(_) => None,
        };
        match root {
            Some(root) => decide(root, object, &|name| self.definition(name)),
            None => Decision::Undecided,
        }
    }

    /// A definition of this version, parsed on first use.
    fn definition(&self, name: &str) -> Option<&Value> {
        self.defs.get(name)?.get().ok()
    }

    fn compile(&self, api_version: &str, kind: &str, source: &Source) -> Result<Validator, String> {
        let document = match source {
            Source::Builtin(definition) => schema::builtin_document(&self.defs, definition)?,
            Source::Crd(file) => {
                schema::crd_document(&self.defs, crd::schema(file, api_version, kind)?)?
            }
            Source::Typed(_) => return Err(format!("{api_version} {kind} has typed bindings")),
        };
        jsonschema::draft202012::options()
            .build(&document)
            .map_err(|err| err.to_string())
    }

    fn unknown_reason(&self, api_version: &str, kind: &str) -> String {
        if self.builtin_groups.contains(group(api_version)) {
            format!("Kubernetes {} serves no {kind} in {api_version}", self.name)
        } else {
            format!("no published schema for {api_version} {kind} is vendored")
        }
    }

    /// For tests: what [`decide`] makes of `object`, and whether the compiled validator of
    /// its kind finds it valid (`None` for a kind without a vendored JSON Schema).
    #[cfg(test)]
    pub(super) fn decision_and_validator(&self, object: &Value) -> (Decision, Option<bool>) {
        let (api_version, kind) = identify(object).expect("a test object has apiVersion and kind");
        let Some(entry) = self.kinds.get(api_version).and_then(|k| k.get(kind)) else {
            return (Decision::Undecided, None);
        };
        let decision = self.decide(api_version, kind, &entry.source, object);
        let compiled = entry
            .validator
            .get_or_init(|| self.compile(api_version, kind, &entry.source));
        (decision, compiled.as_ref().ok().map(|v| v.is_valid(object)))
    }

    /// For tests: compiles the validator of `api_version`/`kind`.
    #[cfg(test)]
    pub(super) fn compiles(&self, api_version: &str, kind: &str) -> Result<(), String> {
        let entry = &self.kinds[api_version][kind];
        match entry.source {
            Source::Typed(_) => Ok(()),
            _ => self.compile(api_version, kind, &entry.source).map(drop),
        }
    }

    /// Every apiVersion and kind this version has a schema for, for tests.
    #[cfg(test)]
    pub(super) fn kinds(&self) -> Vec<(&str, &str)> {
        self.kinds
            .iter()
            .flat_map(|(api_version, kinds)| {
                kinds
                    .keys()
                    .map(move |kind| (api_version.as_str(), kind.as_str()))
            })
            .collect()
    }
}

impl Kind {
    fn new(source: Source) -> Self {
        Self {
            source,
            validator: OnceLock::new(),
        }
    }
}

/// The API group of an apiVersion: `apps` of `apps/v1`, `""` (core) of `v1`.
fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The object's `apiVersion` and `kind`, or why it has none.
fn identify(object: &Value) -> Result<(&str, &str), Vec<Violation>> {
    let Value::Object(map) = object else {
        return Err(vec![Violation {
            pointer: String::new(),
            message: format!(
                "a Kubernetes object must be an object, found {}",
                message::type_name(object)
            ),
        }]);
    };
    let mut violations = Vec::new();
    let mut field = |name: &str| match map.get(name) {
        Some(Value::String(value)) => Some(value.as_str()),
        Some(other) => {
            violations.push(Violation {
                pointer: format!("/{name}"),
                message: format!(
                    "`{name}` must be a string, found {}",
                    message::type_name(other)
                ),
            });
            None
        }
        None => {
            violations.push(Violation {
                pointer: String::new(),
                message: format!("missing required field `{name}`"),
            });
            None
        }
    };
    let api_version = field("apiVersion");
    let kind = field("kind");
    match (api_version, kind) {
        (Some(api_version), Some(kind)) => Ok((api_version, kind)),
        _ => {
            violations.sort();
            Err(violations)
        }
    }
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("versions", &self.versions())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for VersionSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionSchemas")
            .field("version", &self.name)
            .finish_non_exhaustive()
    }
}
