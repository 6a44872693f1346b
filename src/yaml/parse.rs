//! Strict parsing of YAML streams into JSON values.
//!
//! Template output is trusted only after this parse: anchors, aliases, tags, duplicate keys,
//! non-string keys and plain scalars that YAML readers disagree on are errors, so what
//! daactl writes afterwards can mean only one thing.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, StrInput};
use serde_json::{Map, Number, Value};

use super::scalar::{Resolved, is_unambiguous_plain, resolve_core};

/// One document of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's content.
    pub value: Value,
    /// The 1-based line its content starts on.
    pub line: usize,
}

/// Why a YAML stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct YamlError {
    /// 1-based line in the stream.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl YamlError {
    fn at(mark: &Marker, message: impl Into<String>) -> Self {
        Self {
            line: mark.line(),
            col: mark.col() + 1,
            message: message.into(),
        }
    }
}

/// Parses every document of `text`. Documents that hold nothing (only comments, or `null`)
/// are dropped, so a template may render zero objects.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    // Plain block YAML, which is what templates write, is read by a faster reader that
    // gives up on anything else; saphyr then reads it or says what is wrong.
    if let Some(documents) = super::block::parse_stream(text) {
        return Ok(documents);
    }
    saphyr_stream(text)
}

/// [`parse_stream`] through saphyr only.
pub(super) fn saphyr_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    loop {
        let (event, mark) = next(&mut parser)?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => return Ok(documents),
            Event::DocumentStart(_) => {
                let (event, mark) = next(&mut parser)?;
                let value = node(&mut parser, event, &mark)?;
                if !value.is_null() {
                    documents.push(Document {
                        value,
                        line: mark.line(),
                    });
                }
            }
            other => return Err(YamlError::at(&mark, format!("unexpected {other:?}"))),
        }
    }
}

type Events<'a> = Parser<'a, StrInput<'a>>;

fn next<'a>(parser: &mut Events<'a>) -> Result<(Event<'a>, Marker), YamlError> {
    match parser.next_event() {
        Some(Ok((event, span))) => Ok((event, span.start)),
        Some(Err(err)) => Err(scan_error(&err)),
        None => Ok((Event::StreamEnd, Marker::new(0, 0, 0))),
    }
}

fn scan_error(err: &ScanError) -> YamlError {
    YamlError::at(err.marker(), err.info())
}

fn refuse_decorations(mark: &Marker, anchor: usize, tag: bool) -> Result<(), YamlError> {
    if anchor != 0 {
        return Err(YamlError::at(mark, "anchors and aliases are not allowed"));
    }
    if tag {
        return Err(YamlError::at(mark, "tags are not allowed"));
    }
    Ok(())
}

fn node<'a>(parser: &mut Events<'a>, event: Event<'a>, mark: &Marker) -> Result<Value, YamlError> {
    match event {
        Event::Scalar(text, style, anchor, tag) => {
            refuse_decorations(mark, anchor, tag.is_some())?;
            scalar(&text, style, mark)
        }
        Event::SequenceStart(anchor, tag) => {
            refuse_decorations(mark, anchor, tag.is_some())?;
            let mut items = Vec::new();
            loop {
                let (event, mark) = next(parser)?;
                if event == Event::SequenceEnd {
                    return Ok(Value::Array(items));
                }
                items.push(node(parser, event, &mark)?);
            }
        }
        Event::MappingStart(anchor, tag) => {
            refuse_decorations(mark, anchor, tag.is_some())?;
            let mut map = Map::new();
            loop {
                let (event, key_mark) = next(parser)?;
                let key = match event {
                    Event::MappingEnd => return Ok(Value::Object(map)),
                    Event::Scalar(text, style, anchor, tag) => {
                        refuse_decorations(&key_mark, anchor, tag.is_some())?;
                        // `a:b: c` is the key `a:b`, almost always a template line joined
                        // to the next by whitespace control. No Kubernetes key holds `:`.
                        if style == ScalarStyle::Plain && text.contains(':') {
                            return Err(YamlError::at(
                                &key_mark,
                                format!(
                                    "the plain key `{text}` holds `:`; a line break is probably missing (check `-%}}` and `-#}}`)"
                                ),
                            ));
                        }
                        match scalar(&text, style, &key_mark)? {
                            Value::String(key) => key,
                            other => {
                                return Err(YamlError::at(
                                    &key_mark,
                                    format!("the key `{other}` is not a string; quote it"),
                                ));
                            }
                        }
                    }
                    _ => return Err(YamlError::at(&key_mark, "keys must be strings")),
                };
                let (event, value_mark) = next(parser)?;
                let value = node(parser, event, &value_mark)?;
                if map.insert(key.clone(), value).is_some() {
                    return Err(YamlError::at(&key_mark, format!("duplicate key `{key}`")));
                }
            }
        }
        Event::Alias(_) => Err(YamlError::at(mark, "anchors and aliases are not allowed")),
        other => Err(YamlError::at(mark, format!("unexpected {other:?}"))),
    }
}

fn scalar(text: &str, style: ScalarStyle, mark: &Marker) -> Result<Value, YamlError> {
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    plain_value(text).map_err(|message| YamlError::at(mark, message))
}

/// The value of the plain scalar `text`, or why it is refused.
pub(super) fn plain_value(text: &str) -> Result<Value, String> {
    if !is_unambiguous_plain(text) {
        return Err(format!(
            "the plain scalar `{text}` means different things to YAML 1.1 and 1.2 readers; quote it or write it as JSON"
        ));
    }
    Ok(match resolve_core(text) {
        Resolved::Null => Value::Null,
        Resolved::Bool => Value::Bool(text == "true"),
        Resolved::Int => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("the integer `{text}` is out of range"))?,
        Resolved::Float => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("the number `{text}` is not finite"))?,
        Resolved::Str | Resolved::Other => Value::String(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_block_and_flow_styles_into_json() {
        let docs = parse_stream(
            "---\na: 1\nb: [true, null, \"on\"]\nc: {d: 0.5}\n---\n# empty\n---\ne: x\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].value,
            json!({"a": 1, "b": [true, null, "on"], "c": {"d": 0.5}})
        );
        assert_eq!(docs[1].line, 8);
    }

    #[test]
    fn refuses_what_could_be_read_two_ways() {
        for (text, needle) in [
            ("a: on\n", "plain scalar `on`"),
            ("a: 0777\n", "plain scalar `0777`"),
            ("a: 1\na: 2\n", "duplicate key `a`"),
            ("a: &x 1\nb: *x\n", "anchors"),
            ("a: !!str 1\n", "tags"),
            ("80: http\n", "not a string"),
            ("exec:command: x\n", "line break is probably missing"),
            ("a: [1\n", ""),
        ] {
            let err = parse_stream(text).unwrap_err();
            assert!(err.message.contains(needle), "{text:?}: {err}");
        }
    }
}
