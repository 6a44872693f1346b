//! Finding where a value sits in a YAML text, for diagnostics.
//!
//! Objects are parsed once into JSON values and checked there; only when a check reports a
//! finding is its line needed, so this walks the text again, event by event, without
//! building anything. It is called once per finding, never per object.

use saphyr_parser::{Event, Marker, Parser};

/// The 1-based `(line, column)` of the value at JSON `pointer` (RFC 6901) inside the
/// `document`-th non-empty document of `text`. A mapping entry is located at its key.
/// When the pointer leads to something absent (a missing field is a common finding), the
/// deepest present ancestor is located instead. `None` when the text does not parse or has
/// no such document.
pub fn locate(text: &str, document: usize, pointer: &str) -> Option<(usize, usize)> {
    let path: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut parser = Parser::new_from_str(text);
    let mut seen = 0;
    loop {
        let (event, _) = next(&mut parser)?;
        match event {
            Event::StreamEnd => return None,
            Event::DocumentStart(_) => {
                let (event, mark) = next(&mut parser)?;
                if is_empty(&event) {
                    continue;
                }
                if seen == document {
                    return find(&mut parser, event, mark, &path).map(position);
                }
                seen += 1;
                skip(&mut parser, &event)?;
            }
            _ => {}
        }
    }
}

fn is_empty(event: &Event<'_>) -> bool {
    matches!(event, Event::Scalar(text, ..) if text.is_empty() || text == "null" || text == "~")
        || matches!(event, Event::DocumentEnd)
}

fn position(mark: Marker) -> (usize, usize) {
    (mark.line(), mark.col() + 1)
}

type Events<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

fn next<'a>(parser: &mut Events<'a>) -> Option<(Event<'a>, Marker)> {
    match parser.next_event() {
        Some(Ok((event, span))) => Some((event, span.start)),
        _ => None,
    }
}

/// Walks into the node that `event` opens along `path`.
fn find<'a>(
    parser: &mut Events<'a>,
    event: Event<'a>,
    mark: Marker,
    path: &[String],
) -> Option<Marker> {
    let Some((step, rest)) = path.split_first() else {
        return Some(mark);
    };
    match event {
        Event::MappingStart(..) => loop {
            let (key, key_mark) = next(parser)?;
            let key_text = match &key {
                Event::MappingEnd => return Some(mark),
                Event::Scalar(text, ..) => text.to_string(),
                _ => String::new(),
            };
            let (value, value_mark) = next(parser)?;
            if key_text == *step {
                if rest.is_empty() {
                    return Some(key_mark);
                }
                return find(parser, value, value_mark, rest);
            }
            skip(parser, &value)?;
        },
        Event::SequenceStart(..) => {
            let wanted: usize = step.parse().ok()?;
            let mut index = 0;
            loop {
                let (item, item_mark) = next(parser)?;
                if item == Event::SequenceEnd {
                    return Some(mark);
                }
                if index == wanted {
                    return find(parser, item, item_mark, rest);
                }
                skip(parser, &item)?;
                index += 1;
            }
        }
        _ => Some(mark),
    }
}

/// Consumes the rest of the node that `event` opens.
fn skip(parser: &mut Events<'_>, event: &Event<'_>) -> Option<()> {
    if !matches!(event, Event::MappingStart(..) | Event::SequenceStart(..)) {
        return Some(());
    }
    let mut depth = 1usize;
    while depth > 0 {
        match next(parser)?.0 {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            Event::StreamEnd => return None,
            _ => {}
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "---\n# Source: x\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: x\n        - name: b\n          image: \"y\"\n---\nkind: Service\nmetadata:\n  name: s\n";

    #[test]
    fn locates_keys_items_and_missing_leaves() {
        assert_eq!(locate(TEXT, 0, ""), Some((3, 1)));
        assert_eq!(locate(TEXT, 0, "/kind"), Some((3, 1)));
        assert_eq!(
            locate(TEXT, 0, "/spec/template/spec/containers/1/image"),
            Some((11, 11))
        );
        assert_eq!(
            locate(TEXT, 0, "/spec/template/spec/containers/1"),
            Some((10, 11))
        );
        // Absent: the deepest present ancestor.
        assert_eq!(
            locate(TEXT, 0, "/spec/template/spec/containers/0/securityContext"),
            Some((8, 11))
        );
        assert_eq!(locate(TEXT, 1, "/metadata/name"), Some((15, 3)));
        assert_eq!(locate(TEXT, 2, ""), None);
    }

    #[test]
    fn unescapes_pointer_tokens() {
        let text = "metadata:\n  labels:\n    app.kubernetes.io/name: x\n";
        assert_eq!(
            locate(text, 0, "/metadata/labels/app.kubernetes.io~1name"),
            Some((3, 5))
        );
    }
}
