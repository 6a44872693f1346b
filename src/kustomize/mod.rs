//! The Kustomize tree: a base that every environment shares and one overlay per
//! environment, written from the [`Variance`] so that `kubectl kustomize overlays/<env>`
//! builds exactly the objects daactl renders for that environment.
//!
//! Paths are relative to `rendered/kustomize/`:
//!
//! ```text
//! base/<role>/              objects in the namespace playing <role> (`app`, `data`) in every
//!                           environment, without `metadata.namespace`; the role's Namespace
//!                           object is named after the role
//! base/cluster/             objects outside daactl's namespaces (cluster-scoped ones, and
//!                           any in a namespace daactl does not create, which keep it)
//! overlays/<env>/<role>/    `namespace: <env's namespace for role>` over base/<role>, which
//!                           also renames the Namespace object; plus the role's objects only
//!                           some environments have, whole
//! overlays/<env>/           the role folders and base/cluster, objects outside roles only
//!                           some environments have, and the `labels`, `images` and
//!                           `patches` that set whatever differs
//! ```
//!
//! Base holds an object's shared structure with every differing field left out, so it
//! carries no environment's value (REQ-T209); the only placeholders are values no
//! environment holds: a differing image's bare repository and a Namespace object's role. An
//! environment gets its values from,
//! in this order of preference: the namespace transformer (namespaces, Namespace names),
//! the `images` transformer (tags and digests, see `image.rs`), the `labels` transformer
//! (a label with one value per environment, see `label.rs`), and JSON 6902 patches of only
//! the fields that differ (`patch.rs`). Every file is written by [`crate::yaml::emit`], so
//! the bytes are the same for the same variance.
//!
//! ConfigMaps are ordinary resources rather than `configMapGenerator` output, as
//! `docs/decisions/0007-kustomize-layout.md` explains.

mod error;
mod image;
mod label;
mod patch;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub use error::{KustomizeError, KustomizeErrorKind};

use crate::variance::{Name, Path, Scope, Segment, Variance, VariedResource};
use crate::yaml;

/// The folder, under `base/`, of objects outside daactl's namespaces.
pub const OUTSIDE: &str = "cluster";

const KUSTOMIZATION: &str = "kustomization.yaml";

/// Every file of the Kustomize tree, keyed by its `/`-separated path relative to
/// `rendered/kustomize/`.
///
/// # Errors
///
/// When an environment or role cannot name a folder, an environment lacks the namespace of
/// a role it has objects in, or two objects would share a file (see
/// [`KustomizeErrorKind`]).
pub fn files(variance: &Variance) -> Result<BTreeMap<String, String>, KustomizeError> {
    for environment in &variance.environments {
        folder_name(environment)?;
    }
    for (role, _) in variance.namespaces.iter().flatten() {
        role_folder(role)?;
    }
    let resources = &variance.resources;
    let values: Vec<Vec<Option<Value>>> = (0..variance.environments.len())
        .map(|env| resources.iter().map(|r| r.value_in(env)).collect())
        .collect();
    // An object every environment has goes to base, unless nothing of it is shared.
    let shared: Vec<Option<Value>> = resources
        .iter()
        .map(|r| {
            r.in_every_environment()
                .then(|| r.node.shared())
                .flatten()
                .filter(Value::is_object)
        })
        .collect();
    let in_base: Vec<bool> = shared.iter().map(Option::is_some).collect();
    let plan = Plan {
        variance,
        images: image::decide(variance, &in_base, &values),
        labels: label::decide(variance, &in_base, &values),
        values,
        in_base,
    };
    let mut tree = Tree::default();
    let base_folders = plan.base(shared, &mut tree)?;
    for env in 0..variance.environments.len() {
        plan.overlay(env, &base_folders, &mut tree)?;
    }
    Ok(tree.files)
}

/// What goes where, decided once for all environments.
struct Plan<'a> {
    variance: &'a Variance,
    /// Each environment's value of each resource.
    values: Vec<Vec<Option<Value>>>,
    /// Whether each resource is in base.
    in_base: Vec<bool>,
    images: image::Images,
    labels: label::Labels,
}

impl Plan<'_> {
    /// Writes base from each resource's `shared` value; returns each base folder's files.
    fn base(
        &self,
        shared: Vec<Option<Value>>,
        tree: &mut Tree,
    ) -> Result<BTreeMap<String, Vec<Value>>, KustomizeError> {
        let mut folders: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (index, (resource, value)) in self.variance.resources.iter().zip(shared).enumerate() {
            let Some(mut value) = value else { continue };
            if let Name::NamespaceRole(role) = &resource.key.name {
                // The namespace transformer renames it to each environment's namespace.
                if let Value::Object(object) = &mut value {
                    let metadata = object.entry("metadata").or_insert_with(|| json!({}));
                    let mut named = Map::from_iter([("name".to_owned(), json!(role))]);
                    if let Value::Object(rest) = metadata.take() {
                        named.extend(rest.into_iter().filter(|(key, _)| key != "name"));
                    }
                    *metadata = Value::Object(named);
                }
            }
            if let Scope::Role(_) = resource.key.scope
                && let Some(Value::Object(metadata)) = value.get_mut("metadata")
            {
                metadata.shift_remove("namespace");
            }
            close_open_callers(resource, &mut value)?;
            let images = (index, Path::root())..(index + 1, Path::root());
            for ((_, path), repository) in self.images.base.range(images) {
                set(&mut value, path, json!(repository)).ok_or_else(|| KustomizeError {
                    subject: resource.key.display(),
                    kind: KustomizeErrorKind::NoPlace {
                        pointer: path.pointer(),
                    },
                })?;
            }
            let folder = home(resource)?.unwrap_or(OUTSIDE);
            let file = object_file(resource, folder == OUTSIDE)?;
            tree.object(&format!("base/{folder}/{file}"), &value, resource)?;
            folders
                .entry(folder.to_owned())
                .or_default()
                .push(json!(file));
        }
        for (folder, files) in &folders {
            let resources = Value::Array(files.clone());
            tree.kustomization(&format!("base/{folder}"), vec![("resources", resources)])?;
        }
        Ok(folders)
    }

    /// The name of environment `env`'s namespace for `role`.
    fn namespace(&self, env: usize, role: &str) -> Result<&str, KustomizeError> {
        let environment = &self.variance.environments[env];
        self.variance
            .namespace(env, role)
            .ok_or_else(|| KustomizeError {
                subject: format!("environment `{environment}`"),
                kind: KustomizeErrorKind::NoNamespace {
                    environment: environment.clone(),
                    role: role.to_owned(),
                },
            })
    }

    /// Writes environment `env`'s overlay over the base `folders`.
    fn overlay(
        &self,
        env: usize,
        folders: &BTreeMap<String, Vec<Value>>,
        tree: &mut Tree,
    ) -> Result<(), KustomizeError> {
        let overlay = format!("overlays/{}", self.variance.environments[env]);
        let mut root: Vec<Value> = Vec::new();
        if folders.contains_key(OUTSIDE) {
            root.push(json!(format!("../../base/{OUTSIDE}")));
        }
        let mut role_folders: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for folder in folders.keys().filter(|f| *f != OUTSIDE) {
            self.namespace(env, folder)?;
            let base = json!(format!("../../../base/{folder}"));
            role_folders.entry(folder).or_default().push(base);
        }
        let mut outside_files: Vec<Value> = Vec::new();
        for (index, resource) in self.variance.resources.iter().enumerate() {
            let own = self.values[env][index].as_ref();
            let Some(value) = own.filter(|_| !self.in_base[index]) else {
                continue;
            };
            match home(resource)? {
                Some(role) => {
                    self.namespace(env, role)?;
                    let file = object_file(resource, false)?;
                    tree.object(&format!("{overlay}/{role}/{file}"), value, resource)?;
                    role_folders.entry(role).or_default().push(json!(file));
                }
                None => {
                    let file = object_file(resource, true)?;
                    tree.object(&format!("{overlay}/{file}"), value, resource)?;
                    outside_files.push(json!(file));
                }
            }
        }
        // Role folders in the environment's role order (every role has a namespace, or
        // `self.namespace` refused it above).
        for (role, _) in &self.variance.namespaces[env] {
            let Some(entries) = role_folders.remove(role.as_str()) else {
                continue;
            };
            let namespace = json!(self.namespace(env, role)?);
            let fields = vec![
                ("namespace", namespace),
                ("resources", Value::Array(entries)),
            ];
            tree.kustomization(&format!("{overlay}/{role}"), fields)?;
            root.push(json!(role));
        }
        root.extend(outside_files);

        let mut fields = vec![("resources", Value::Array(root))];
        let labels: Vec<Value> = self.labels.entries[env]
            .iter()
            .map(label::LabelEntry::to_value)
            .collect();
        if !labels.is_empty() {
            fields.push(("labels", Value::Array(labels)));
        }
        let images: Vec<Value> = self.images.entries[env]
            .iter()
            .map(image::ImageEntry::to_value)
            .collect();
        if !images.is_empty() {
            fields.push(("images", Value::Array(images)));
        }
        let patches = self.patches(env)?;
        if !patches.is_empty() {
            fields.push(("patches", Value::Array(patches)));
        }
        tree.kustomization(&overlay, fields)
    }

    /// Environment `env`'s patches: one per base object that differs in ways no transformer
    /// sets.
    fn patches(&self, env: usize) -> Result<Vec<Value>, KustomizeError> {
        let mut patches = Vec::new();
        for (index, resource) in self.variance.resources.iter().enumerate() {
            if !self.in_base[index] {
                continue;
            }
            let key = &resource.key;
            let labelled = |path: &Path| self.labels.covered[env].contains(&(index, path.clone()));
            let operations = patch::operations(resource, env, |path, value| {
                let elsewhere = is_step(path, &["metadata", "namespace"])
                    && matches!(key.scope, Scope::Role(_))
                    || is_step(path, &["metadata", "name"])
                        && matches!(key.name, Name::NamespaceRole(_))
                    || self.images.covered[env].contains(&(index, path.clone()))
                    || labelled(path);
                match value {
                    _ if elsewhere => None,
                    // A labels map that differs as a whole: the transformer creates it and
                    // sets its labels, the patch adds the rest.
                    Value::Object(map) if map.keys().any(|k| labelled(&path.key(k))) => {
                        let rest: Map<String, Value> = map
                            .iter()
                            .filter(|(k, _)| !labelled(&path.key(k)))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        (!rest.is_empty()).then_some(Value::Object(rest))
                    }
                    value => Some(value.clone()),
                }
            })?;
            if operations.is_empty() {
                continue;
            }
            let (name, namespace) = match (&key.name, &key.scope) {
                (Name::NamespaceRole(role), _) => (self.namespace(env, role)?, None),
                (Name::Literal(name), Scope::Role(role)) => {
                    (name.as_str(), Some(self.namespace(env, role)?))
                }
                (Name::Literal(name), Scope::Namespace(namespace)) => {
                    (name.as_str(), Some(namespace.as_str()))
                }
                (Name::Literal(name), Scope::Cluster) => (name.as_str(), None),
            };
            patches.push(json!({
                "target": patch::target(&key.api_version, &key.kind, name, namespace),
                "patch": yaml::emit(&Value::Array(operations)),
            }));
        }
        Ok(patches)
    }
}

/// The role folder an object belongs in: its namespace's role, or for a Namespace object
/// daactl creates, the role it plays. `None` for objects outside daactl's namespaces.
fn home(resource: &VariedResource) -> Result<Option<&str>, KustomizeError> {
    let role = match (&resource.key.name, &resource.key.scope) {
        (Name::NamespaceRole(role), _) | (_, Scope::Role(role)) => role,
        _ => return Ok(None),
    };
    role_folder(role)?;
    Ok(Some(role))
}

/// An object's file inside its folder: `<kind>-<name>.yaml`, under a folder named after
/// its namespace when it is `outside` daactl's roles yet namespaced.
fn object_file(resource: &VariedResource, outside: bool) -> Result<String, KustomizeError> {
    let key = &resource.key;
    let file = crate::render::order::object_file(&key.kind, key.name_or_role());
    folder_name(&file)?;
    match &key.scope {
        Scope::Namespace(namespace) if outside => {
            folder_name(namespace)?;
            Ok(format!("{namespace}/{file}"))
        }
        _ => Ok(file),
    }
}

/// Refuses a name that cannot be one folder or file name.
fn folder_name(name: &str) -> Result<(), KustomizeError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(KustomizeError {
            subject: format!("`{name}`"),
            kind: KustomizeErrorKind::FolderName {
                name: name.to_owned(),
            },
        });
    }
    Ok(())
}

/// Refuses a role that cannot name a folder beside [`OUTSIDE`].
fn role_folder(role: &str) -> Result<(), KustomizeError> {
    folder_name(role)?;
    if role == OUTSIDE {
        return Err(KustomizeError {
            subject: format!("namespace role `{role}`"),
            kind: KustomizeErrorKind::FolderName {
                name: role.to_owned(),
            },
        });
    }
    Ok(())
}

/// The principal base's AuthorizationPolicies admit until an overlay names the callers: it
/// matches no workload (no namespace has this name and the trust domain is not a cluster's).
pub const NO_CALLER: &str = "daactl.invalid/ns/no-caller/sa/until-an-overlay-names-one";

/// Base leaves a differing field out, and an AuthorizationPolicy rule without `from` admits
/// every caller: base alone would be more open than any environment. Where every environment
/// names the callers of a rule (its principals carry the environment's namespace), base
/// names a caller that matches nothing instead, which each overlay's `add` replaces.
fn close_open_callers(resource: &VariedResource, value: &mut Value) -> Result<(), KustomizeError> {
    if resource.key.kind != "AuthorizationPolicy" {
        return Ok(());
    }
    for (path, values) in resource.node.differences() {
        let names_callers = matches!(path.0.last(), Some(Segment::Key(key)) if key == "from");
        if names_callers && values.iter().all(Option::is_some) {
            let nobody = json!([{ "source": { "principals": [NO_CALLER] } }]);
            set(value, &path, nobody).ok_or_else(|| KustomizeError {
                subject: resource.key.display(),
                kind: KustomizeErrorKind::NoPlace {
                    pointer: path.pointer(),
                },
            })?;
        }
    }
    Ok(())
}

/// Whether `path` is exactly these keys.
fn is_step(path: &Path, keys: &[&str]) -> bool {
    path.0.len() == keys.len()
        && path
            .0
            .iter()
            .zip(keys)
            .all(|(segment, key)| matches!(segment, Segment::Key(k) if k == key))
}

/// Sets the map entry at `path` in `value`; `None` if its map is missing.
fn set(value: &mut Value, path: &Path, new: Value) -> Option<()> {
    let (last, parents) = path.0.split_last()?;
    let mut at = value;
    for segment in parents {
        at = match segment {
            Segment::Key(key) => at.get_mut(key.as_str())?,
            Segment::Index(index) => at.get_mut(*index)?,
        };
    }
    match (last, at) {
        (Segment::Key(key), Value::Object(map)) => {
            map.insert(key.clone(), new);
            Some(())
        }
        _ => None,
    }
}

/// The files written so far, refusing to write one twice.
#[derive(Default)]
struct Tree {
    files: BTreeMap<String, String>,
    owners: BTreeMap<String, String>,
}

impl Tree {
    fn object(
        &mut self,
        path: &str,
        value: &Value,
        resource: &VariedResource,
    ) -> Result<(), KustomizeError> {
        self.write(path, yaml::emit(value), resource.key.display())
    }

    /// A `kustomization.yaml` in `folder` with these fields after `apiVersion` and `kind`.
    fn kustomization(
        &mut self,
        folder: &str,
        fields: Vec<(&str, Value)>,
    ) -> Result<(), KustomizeError> {
        let mut document = Map::new();
        document.insert(
            "apiVersion".into(),
            json!("kustomize.config.k8s.io/v1beta1"),
        );
        document.insert("kind".into(), json!("Kustomization"));
        for (key, value) in fields {
            document.insert(key.into(), value);
        }
        let path = format!("{folder}/{KUSTOMIZATION}");
        self.write(
            &path,
            yaml::emit(&Value::Object(document)),
            format!("the kustomization of `{folder}`"),
        )
    }

    /// Records one file; its text starts with a `---` line, as every YAML file daactl writes.
    fn write(&mut self, path: &str, text: String, owner: String) -> Result<(), KustomizeError> {
        let text = format!("---\n{text}");
        if let Some(other) = self.owners.get(path) {
            return Err(KustomizeError {
                subject: owner,
                kind: KustomizeErrorKind::SameFile {
                    path: path.to_owned(),
                    other: other.clone(),
                },
            });
        }
        self.owners.insert(path.to_owned(), owner);
        self.files.insert(path.to_owned(), text);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
