//! A place inside an object: the keys and list indexes leading to it.

use std::fmt;

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A place inside an object, from its root.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<Segment>);

impl Path {
    /// The object itself.
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// This path with one more key.
    pub fn key(&self, key: &str) -> Path {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path with one more index.
    pub fn index(&self, index: usize) -> Path {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// The RFC 6901 JSON Pointer, as JSON patches and `jsonschema` use: `/spec/replicas`.
    pub fn pointer(&self) -> String {
        self.0
            .iter()
            .map(|segment| match segment {
                Segment::Key(key) => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
                Segment::Index(index) => format!("/{index}"),
            })
            .collect()
    }
}

/// Dot-joined keys with `[i]` indexes: `spec.template.spec.containers[0].image`. Keys that
/// hold a dot or a bracket are quoted: `metadata.labels."app.kubernetes.io/name"`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    if key.contains(['.', '[', ']', '"']) || key.is_empty() {
                        write!(f, "{key:?}")?;
                    } else {
                        f.write_str(key)?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
            first = false;
        }
        if first {
            f.write_str("(whole object)")?;
        }
        Ok(())
    }
}
