//! One value compared across environments.

use serde_json::Value;

use super::path::{Path, Segment};

/// A value as it is across environments.
///
/// Differences sit at the shallowest place that keeps everything else shared: a map whose
/// every entry differs is one difference, and so is a list whose length or scalar items
/// differ. A list of maps of the same length is compared item by item, so one container's
/// limit differing leaves the rest of the container shared.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Equal in every environment that has it.
    Same(Value),
    /// A map present in every environment, compared key by key (keys in first-seen order).
    Map(Vec<(String, Node)>),
    /// A list of the same length in every environment, compared item by item.
    List(Vec<Node>),
    /// Each environment's value (`None`: the environment does not have it).
    Differs(Vec<Option<Value>>),
}

impl Node {
    /// Compares one value across environments (`None`: the environment lacks it).
    pub fn compare(values: &[Option<&Value>]) -> Node {
        let present: Vec<bool> = values.iter().map(Option::is_some).collect();
        compare_among(values, &present)
    }

    /// The value environment `env` (an index) holds; `None` if it lacks it.
    pub fn value_in(&self, env: usize) -> Option<Value> {
        match self {
            Node::Same(value) => Some(value.clone()),
            Node::Map(entries) => Some(Value::Object(
                entries
                    .iter()
                    .filter_map(|(key, node)| node.value_in(env).map(|v| (key.clone(), v)))
                    .collect(),
            )),
            Node::List(items) => Some(Value::Array(
                items.iter().filter_map(|node| node.value_in(env)).collect(),
            )),
            Node::Differs(values) => values[env].clone(),
        }
    }

    /// What every environment shares: the value with each difference left out (a map
    /// entry that differs is dropped). `None` when the whole value differs.
    pub fn shared(&self) -> Option<Value> {
        match self {
            Node::Same(value) => Some(value.clone()),
            Node::Map(entries) => Some(Value::Object(
                entries
                    .iter()
                    .filter_map(|(key, node)| node.shared().map(|v| (key.clone(), v)))
                    .collect(),
            )),
            Node::List(items) => Some(Value::Array(
                items.iter().filter_map(Node::shared).collect(),
            )),
            Node::Differs(_) => None,
        }
    }

    /// Every difference, with its path from this node, in document order.
    pub fn differences(&self) -> Vec<(Path, &[Option<Value>])> {
        let mut out = Vec::new();
        self.collect_differences(&mut Path::root(), &mut out);
        out
    }

    /// Walks with one path grown and cut back, copied only where a difference is, and
    /// never into a part that is the same everywhere.
    fn collect_differences<'a>(
        &'a self,
        at: &mut Path,
        out: &mut Vec<(Path, &'a [Option<Value>])>,
    ) {
        match self {
            Node::Same(_) => {}
            Node::Map(entries) => {
                for (key, node) in entries {
                    if !node.is_same() {
                        at.0.push(Segment::Key(key.clone()));
                        node.collect_differences(at, out);
                        at.0.pop();
                    }
                }
            }
            Node::List(items) => {
                for (index, node) in items.iter().enumerate() {
                    if !node.is_same() {
                        at.0.push(Segment::Index(index));
                        node.collect_differences(at, out);
                        at.0.pop();
                    }
                }
            }
            Node::Differs(values) => out.push((at.clone(), values)),
        }
    }

    /// Whether nothing differs.
    pub fn is_same(&self) -> bool {
        matches!(self, Node::Same(_))
    }
}

/// Compares among the environments marked `present` (those holding the enclosing object);
/// an absent environment's slot stays `None` in every difference.
fn compare_among(values: &[Option<&Value>], present: &[bool]) -> Node {
    let differs = || Node::Differs(values.iter().map(|v| v.cloned()).collect());
    let mut live = Vec::new();
    for (value, here) in values.iter().zip(present) {
        match (value, here) {
            (Some(value), true) => live.push(*value),
            (None, true) => return differs(),
            _ => {}
        }
    }
    let Some(first) = live.first() else {
        return differs();
    };
    if live.iter().all(|v| super::same_value(v, first)) {
        return Node::Same((*first).clone());
    }
    if live.iter().all(|v| v.is_object()) {
        let keys = super::keys_in_order(live.iter().filter_map(|v| v.as_object()));
        let entries: Vec<(String, Node)> = keys
            .into_iter()
            .map(|key| {
                let child: Vec<Option<&Value>> =
                    values.iter().map(|v| v.and_then(|v| v.get(key))).collect();
                (key.clone(), compare_among(&child, present))
            })
            .collect();
        if entries
            .iter()
            .all(|(_, node)| matches!(node, Node::Differs(_)))
        {
            return differs();
        }
        return Node::Map(entries);
    }
    let length = first.as_array().map(Vec::len);
    if length.is_some() && live.iter().all(|v| v.as_array().map(Vec::len) == length) {
        let items: Vec<Node> = (0..length.unwrap_or_default())
            .map(|index| {
                let child: Vec<Option<&Value>> = values
                    .iter()
                    .map(|v| v.and_then(|v| v.get(index)))
                    .collect();
                compare_among(&child, present)
            })
            .collect();
        if items.iter().any(|node| matches!(node, Node::Differs(_))) {
            return differs();
        }
        return Node::List(items);
    }
    differs()
}
