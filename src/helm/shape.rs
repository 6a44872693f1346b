//! One object as a chart template sees it: the structure every environment shares, and the
//! places whose value comes from the values files.
//!
//! A [`Node::Differs`] is split further than the variance model splits it where that keeps
//! each value small and named: maps that every environment has are followed key by key (a
//! container's `resources` becomes `requests.cpu`, `limits.memory`, ...), and lists of maps of
//! one length item by item. A value some environment lacks stays whole and is guarded in the
//! template. Values that are the environment's name or a namespace's name read
//! `.Values.environment` and `.Values.namespaces.<role>` instead of a value of their own.

use serde_json::Value;

use crate::variance::{Name, Node, Path, Segment, Variance, VariedResource};

use super::error::{HelmError, HelmErrorKind};
use super::naming;

/// A template's view of one value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Shape {
    /// The same in every environment: written as it is.
    Literal(Value),
    /// A map written key by key.
    Map(Vec<(String, Shape)>),
    /// A list written item by item.
    List(Vec<Shape>),
    /// Read from the values.
    Read {
        /// Which value.
        source: Source,
        /// Whether some environment that renders the object lacks it, so the template
        /// writes it only when the values have it.
        optional: bool,
    },
}

/// Where a [`Shape::Read`] reads.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Source {
    /// One of the object's own values: keys below its values group.
    Own(Vec<String>),
    /// `.Values.environment`.
    Environment,
    /// `.Values.namespaces.<role>`.
    Namespace(String),
}

/// One of an object's own values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Leaf {
    /// Keys below the object's values group.
    pub keys: Vec<String>,
    /// The place in the object.
    pub path: Path,
    /// Each environment's value (`None`: the environment does not render it there).
    pub values: Vec<Option<Value>>,
}

/// An object's template shape and its own values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Built {
    /// The whole object.
    pub shape: Shape,
    /// Its values, in document order.
    pub leaves: Vec<Leaf>,
}

/// Builds the shape of `resource`.
pub(super) fn build(variance: &Variance, resource: &VariedResource) -> Result<Built, HelmError> {
    let mut roles: Vec<&str> = Vec::new();
    for (role, _) in variance.namespaces.iter().flatten() {
        if !roles.contains(&role.as_str()) {
            roles.push(role);
        }
    }
    let names = variance
        .environments
        .iter()
        .chain(variance.namespaces.iter().flatten().map(|(_, name)| name))
        .map(String::as_str)
        .collect();
    let mut builder = Builder {
        variance,
        resource,
        roles,
        names,
        leaves: Vec::new(),
    };
    let shape = builder
        .node(&resource.node, &Path::root(), &[])
        .map_err(|kind| HelmError::object(resource.key.display(), kind))?;
    Ok(Built {
        shape,
        leaves: builder.leaves,
    })
}

struct Builder<'a> {
    variance: &'a Variance,
    resource: &'a VariedResource,
    /// The roles of every environment, in first-seen order.
    roles: Vec<&'a str>,
    /// Every environment's and namespace's name: a string that is none of them is never
    /// hoisted.
    names: Vec<&'a str>,
    leaves: Vec<Leaf>,
}

impl Builder<'_> {
    /// The environments that render the object.
    fn live(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.resource.present.len()).filter(|env| self.resource.present[*env])
    }

    fn node(&mut self, node: &Node, path: &Path, keys: &[String]) -> Result<Shape, HelmErrorKind> {
        match node {
            Node::Same(value) => Ok(self.same(value, path)),
            Node::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (key, child) in entries {
                    let shape = self.node(child, &path.key(key), &with(keys, key))?;
                    out.push((key.clone(), shape));
                }
                Ok(Shape::Map(out))
            }
            Node::List(items) => {
                let names: Vec<Option<&str>> = items.iter().map(item_name).collect();
                let item_keys = naming::item_keys(&names);
                let mut out = Vec::with_capacity(items.len());
                for (index, (child, item_key)) in items.iter().zip(&item_keys).enumerate() {
                    out.push(self.node(child, &path.index(index), &with(keys, item_key))?);
                }
                Ok(Shape::List(out))
            }
            Node::Differs(values) => self.differs(values, path, keys),
        }
    }

    /// A value equal in every environment that renders the object. It is written as it is,
    /// unless it holds the environment's or a namespace's name: in an object that only some
    /// environments render, those names can be the same in all of them.
    fn same(&self, value: &Value, path: &Path) -> Shape {
        if let Some(source) = self.hoisted(&self.everywhere(value), path) {
            return Shape::Read {
                source,
                optional: false,
            };
        }
        if !self.mentions_names(value) {
            return Shape::Literal(value.clone());
        }
        match value {
            Value::Object(map) => Shape::Map(
                map.iter()
                    .map(|(key, child)| (key.clone(), self.same(child, &path.key(key))))
                    .collect(),
            ),
            Value::Array(items) => Shape::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, child)| self.same(child, &path.index(index)))
                    .collect(),
            ),
            _ => Shape::Literal(value.clone()),
        }
    }

    /// Whether `value` holds, anywhere, a string that is an environment's or namespace's
    /// name in the environments that render the object.
    fn mentions_names(&self, value: &Value) -> bool {
        match value {
            Value::String(text) => {
                self.names.contains(&text.as_str())
                    && self
                        .hoisted(&self.everywhere(value), &Path::root())
                        .is_some()
            }
            Value::Object(map) => map.values().any(|v| self.mentions_names(v)),
            Value::Array(items) => items.iter().any(|v| self.mentions_names(v)),
            _ => false,
        }
    }

    /// `.Values.environment` or `.Values.namespaces.<role>` when every environment that
    /// renders the object holds exactly that name here. A name that is both (an app
    /// namespace named after its environment) is the namespace's where the key says so.
    fn hoisted(&self, values: &[Option<&Value>], path: &Path) -> Option<Source> {
        let live: Vec<(usize, &str)> = self
            .live()
            .map(|env| Some((env, values[env]?.as_str()?)))
            .collect::<Option<_>>()?;
        if live.is_empty() {
            return None;
        }
        let is_environment = live
            .iter()
            .all(|(env, text)| self.variance.environments[*env] == *text);
        let role = self.roles.iter().find(|role| {
            live.iter()
                .all(|(env, text)| self.variance.namespace(*env, role) == Some(*text))
        });
        let last = match path.0.last() {
            Some(Segment::Key(key)) => Some(key.as_str()),
            _ => None,
        };
        let namespace_place = matches!(last, Some("namespace" | "kubernetes.io/metadata.name"))
            || self.is_namespace_name(path);
        match role {
            Some(role) if namespace_place || !is_environment => {
                Some(Source::Namespace((*role).to_owned()))
            }
            _ if is_environment => Some(Source::Environment),
            _ => None,
        }
    }

    /// `value` in every environment.
    fn everywhere<'v>(&self, value: &'v Value) -> Vec<Option<&'v Value>> {
        vec![Some(value); self.resource.present.len()]
    }

    /// Whether `path` is the name of a Namespace object daactl creates.
    fn is_namespace_name(&self, path: &Path) -> bool {
        matches!(self.resource.key.name, Name::NamespaceRole(_))
            && path.0 == [Segment::Key("metadata".into()), Segment::Key("name".into())]
    }

    /// A place whose value differs.
    fn differs(
        &mut self,
        values: &[Option<Value>],
        path: &Path,
        keys: &[String],
    ) -> Result<Shape, HelmErrorKind> {
        let live: Vec<Option<&Value>> = self.live().map(|env| values[env].as_ref()).collect();
        let optional = live.iter().any(Option::is_none);
        if !optional {
            let live: Vec<&Value> = live.into_iter().flatten().collect();
            if let Some(first) = live.first()
                && live.iter().all(|v| crate::variance::same_value(v, first))
            {
                return Ok(self.same(first, path));
            }
            let borrowed: Vec<Option<&Value>> = values.iter().map(Option::as_ref).collect();
            if let Some(source) = self.hoisted(&borrowed, path) {
                return Ok(Shape::Read {
                    source,
                    optional: false,
                });
            }
            if let Some(shape) = self.split(values, &live, path, keys)? {
                return Ok(shape);
            }
        }
        for value in values.iter().flatten() {
            representable(value, path)?;
        }
        self.leaves.push(Leaf {
            keys: keys.to_vec(),
            path: path.clone(),
            values: values.to_vec(),
        });
        Ok(Shape::Read {
            source: Source::Own(keys.to_vec()),
            optional,
        })
    }

    /// A differing map that every environment has, key by key, when at least one key is in
    /// all of them (so the map is never written empty); a differing list of maps of one
    /// length, item by item. `None` when the value stays whole.
    fn split(
        &mut self,
        values: &[Option<Value>],
        live: &[&Value],
        path: &Path,
        keys: &[String],
    ) -> Result<Option<Shape>, HelmErrorKind> {
        if live.iter().all(|v| v.is_object()) {
            let maps: Vec<&serde_json::Map<String, Value>> =
                live.iter().filter_map(|v| v.as_object()).collect();
            let union = crate::variance::keys_in_order(maps.iter().copied());
            let shared = union
                .iter()
                .any(|key| maps.iter().all(|map| map.contains_key(*key)));
            if !shared {
                return Ok(None);
            }
            let mut out = Vec::with_capacity(union.len());
            for key in union {
                let child: Vec<Option<Value>> = values
                    .iter()
                    .map(|v| v.as_ref().and_then(|v| v.get(key)).cloned())
                    .collect();
                let shape = self.differs(&child, &path.key(key), &with(keys, key))?;
                out.push((key.clone(), shape));
            }
            return Ok(Some(Shape::Map(out)));
        }
        let length = live.first().and_then(|v| v.as_array()).map(Vec::len);
        let lists_of_maps = live.iter().all(|v| {
            v.as_array().is_some_and(|items| {
                Some(items.len()) == length && items.iter().all(Value::is_object)
            })
        });
        let Some(length) = length.filter(|n| *n > 0 && lists_of_maps) else {
            return Ok(None);
        };
        // An item is named when every environment gives it the same name.
        let names: Vec<Option<&str>> = (0..length)
            .map(|index| {
                let mut names = live
                    .iter()
                    .map(|v| v[index].get("name").and_then(Value::as_str));
                let first = names.next().flatten();
                names.all(|n| n == first).then_some(first).flatten()
            })
            .collect();
        let item_keys = naming::item_keys(&names);
        let mut out = Vec::with_capacity(length);
        for (index, item_key) in item_keys.iter().enumerate() {
            let child: Vec<Option<Value>> = values
                .iter()
                .map(|v| v.as_ref().and_then(|v| v.get(index)).cloned())
                .collect();
            out.push(self.differs(&child, &path.index(index), &with(keys, item_key))?);
        }
        Ok(Some(Shape::List(out)))
    }
}

fn with(keys: &[String], key: &str) -> Vec<String> {
    let mut next = keys.to_vec();
    next.push(key.to_owned());
    next
}

/// The `name` of a list item that every environment shares.
fn item_name(item: &Node) -> Option<&str> {
    match item {
        Node::Same(value) => value.get("name").and_then(Value::as_str),
        Node::Map(entries) => entries.iter().find_map(|(key, node)| match node {
            Node::Same(Value::String(name)) if key == "name" => Some(name.as_str()),
            _ => None,
        }),
        _ => None,
    }
}

/// Refuses what Helm would not hand back unchanged: Helm reads values into JSON's types
/// (every number a 64-bit float) and deletes nulls, and its `toJson` leaves some characters
/// unescaped that YAML does not allow in a document.
fn representable(value: &Value, path: &Path) -> Result<(), HelmErrorKind> {
    let refuse = |reason: &str| {
        Err(HelmErrorKind::Unrepresentable {
            path: path.to_string(),
            reason: reason.to_owned(),
        })
    };
    const EXACT: u64 = 1 << 53;
    match value {
        Value::Null => refuse("Helm deletes null values"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > EXACT {
                    return refuse("integers beyond 2^53 lose digits in Helm");
                }
            } else if let Some(u) = n.as_u64() {
                if u > EXACT {
                    return refuse("integers beyond 2^53 lose digits in Helm");
                }
            } else if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 {
                    return refuse("Helm writes a whole float such as 1.0 as the integer 1");
                }
                if !(1e-6..1e21).contains(&f.abs()) {
                    return refuse(
                        "Helm writes this float in exponent form, which YAML 1.1 reads as text",
                    );
                }
            }
            Ok(())
        }
        Value::String(text) => {
            if text.chars().any(unescaped_by_helm) {
                return refuse(
                    "it holds a character that Helm's toJson leaves unescaped and YAML refuses",
                );
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|v| representable(v, path)),
        Value::Object(map) => {
            for (key, child) in map {
                if key.chars().any(unescaped_by_helm) {
                    return refuse(
                        "a key holds a character that Helm's toJson leaves unescaped and YAML refuses",
                    );
                }
                representable(child, path)?;
            }
            Ok(())
        }
        Value::Bool(_) => Ok(()),
    }
}

/// Characters outside YAML's printable set (or read as a line break by YAML 1.1) that Go's
/// JSON encoder writes as they are.
fn unescaped_by_helm(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    )
}
