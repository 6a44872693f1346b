//! Key paths into a spec (`services.daa-service.depends_on[1]`) and how to find one in the
//! TOML source, so every validation error can name `file:line:col`.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A path from the top of a spec file to one value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<Segment>);

impl KeyPath {
    /// The path of the whole document.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a table key.
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// The byte range in `source` that best shows this path: the key of a table, the value
    /// otherwise; when the path runs past what the file spells out (a defaulted key), the
    /// deepest part that exists.
    pub fn span_in(&self, source: &str) -> Option<std::ops::Range<usize>> {
        let document = DeTable::parse(source).ok()?;
        let mut best = None;
        let mut current = Current::Table(document.get_ref());
        for segment in &self.0 {
            let next = match (segment, current) {
                (Segment::Key(key), Current::Table(table)) => table
                    .iter()
                    .find(|(name, _)| name.get_ref() == key)
                    .map(|(name, value)| (name.span(), value)),
                (Segment::Index(index), Current::Array(items)) => {
                    items.get(*index).map(|value| (value.span(), value))
                }
                _ => None,
            };
            let Some((key_span, value)) = next else { break };
            best = Some(match value.get_ref() {
                DeValue::Table(_) | DeValue::Array(_) => key_span,
                _ => value.span(),
            });
            current = Current::of(value);
        }
        best
    }
}

#[derive(Clone, Copy)]
enum Current<'a, 'i> {
    Table(&'a DeTable<'i>),
    Array(&'a [Spanned<DeValue<'i>>]),
    Scalar,
}

impl<'a, 'i> Current<'a, 'i> {
    fn of(value: &'a Spanned<DeValue<'i>>) -> Self {
        match value.get_ref() {
            DeValue::Table(table) => Current::Table(table),
            DeValue::Array(items) => Current::Array(items),
            _ => Current::Scalar,
        }
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "name = \"x\"\n\n[services.api]\nport = 80\ndepends_on = [\"a\", \"b\"]\n";

    fn located(path: &KeyPath) -> &str {
        &SOURCE[path.span_in(SOURCE).unwrap()]
    }

    #[test]
    fn finds_values_keys_and_array_items() {
        let api = KeyPath::root().key("services").key("api");
        assert_eq!(located(&api), "api");
        assert_eq!(located(&api.key("port")), "80");
        assert_eq!(located(&api.key("depends_on").index(1)), "\"b\"");
        assert_eq!(located(&api.key("missing")), "api");
    }

    #[test]
    fn displays_as_a_toml_dotted_key() {
        let path = KeyPath::root()
            .key("services")
            .key("daa-service")
            .key("a b")
            .index(2);
        assert_eq!(path.to_string(), "services.daa-service.\"a b\"[2]");
    }
}
