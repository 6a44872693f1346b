//! A fast reader for the plain block YAML that templates write, tried before saphyr.
//!
//! Template output is block mappings and sequences of one-line scalars, JSON written by the
//! templates' `{{ }}` (which escape to JSON), comments and `|` literals. This reader takes
//! exactly that, line by line, and gives up on everything else: other styles (folded,
//! multi-line plain or quoted scalars, flow collections over several lines, `? ` keys),
//! anchors, tags, directives, tabs, unusual line breaks, and every error. Giving up returns
//! `None`, and [`super::parse_stream`] then runs saphyr, which accepts the text or refuses
//! it with a located message. So this reader never decides that a text is wrong: what it
//! returns is what saphyr and the strict checks of `parse.rs` return, which
//! `tests::the_block_reader_agrees_with_saphyr_wherever_it_answers` checks on every
//! template's output and thousands of variants of it.

use serde_json::{Map, Value};

use super::parse::{Document, plain_value};

/// Longest key read here. YAML allows implicit keys of up to 1024 characters, quotes
/// included, and saphyr counts them its own way; longer keys than this are left to it.
const MAX_KEY: usize = 1000;
/// Deepest nesting read here; deeper documents are left to saphyr.
const MAX_DEPTH: usize = 64;

/// Every document of `text`, as [`super::parse_stream`] returns it, or `None` if the text
/// is outside what this reader takes.
pub(super) fn parse_stream(text: &str) -> Option<Vec<Document>> {
    if !printable_without_tabs(text) {
        return None;
    }
    let mut reader = Reader {
        lines: text
            .split('\n')
            .enumerate()
            .map(|(index, raw)| Line::new(index + 1, raw))
            .collect(),
        at: 0,
        depth: 0,
    };
    // `split` yields an empty last line after a final line break; it is blank.
    let mut documents = Vec::new();
    loop {
        reader.skip_blank();
        let Some(line) = reader.peek() else {
            return Some(documents);
        };
        if line.marker()? == Marker::DocumentStart {
            reader.at += 1;
            continue;
        }
        if line.indent != 0 {
            return None;
        }
        let start = line.number;
        let value = reader.block(0)?;
        reader.skip_blank();
        match reader.peek() {
            None => {}
            Some(next) if next.marker()? == Marker::DocumentStart => {}
            Some(_) => return None,
        }
        if !value.is_null() {
            documents.push(Document { value, line: start });
        }
    }
}

/// Whether `text` holds only characters YAML prints (no control character but the line
/// feed, no byte-order mark, no NEL or Unicode line separators) and no tab or carriage
/// return, which this reader leaves to saphyr.
fn printable_without_tabs(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | 0x20..=0x7e => {}
            0x00..=0x1f | 0x7f => return false,
            // C1 controls (U+0080..U+009F, NEL among them) are 0xC2 0x80..0x9F.
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => return false,
            // U+2028, U+2029.
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                return false;
            }
            // U+FEFF, U+FFFE, U+FFFF.
            0xef if matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
            ) =>
            {
                return false;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// One line: its number, its indentation, and what follows the indentation.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    number: usize,
    indent: usize,
    body: &'t str,
    raw: &'t str,
}

#[derive(Debug, PartialEq, Eq)]
enum Marker {
    None,
    DocumentStart,
}

impl<'t> Line<'t> {
    fn new(number: usize, raw: &'t str) -> Self {
        let body = raw.trim_start_matches(' ');
        Line {
            number,
            indent: raw.len() - body.len(),
            body: body.trim_end_matches(' '),
            raw,
        }
    }

    /// Blank or only a comment.
    fn is_blank(&self) -> bool {
        self.body.is_empty() || self.body.starts_with('#')
    }

    /// `---` starts a document; `...` and directives are left to saphyr (`None`).
    fn marker(&self) -> Option<Marker> {
        if self.indent != 0 {
            return Some(Marker::None);
        }
        let body = self.body;
        if let Some(rest) = body.strip_prefix("---") {
            return match rest.strip_prefix(' ') {
                Some(after) if after.trim_start().starts_with('#') => Some(Marker::DocumentStart),
                _ if rest.is_empty() => Some(Marker::DocumentStart),
                // `---x` is a plain scalar; `--- value` a document holding a node.
                _ => None,
            };
        }
        if body.starts_with("...") || body.starts_with('%') {
            return None;
        }
        Some(Marker::None)
    }
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    at: usize,
    depth: usize,
}

impl<'t> Reader<'t> {
    fn peek(&self) -> Option<Line<'t>> {
        self.lines.get(self.at).copied()
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(|line| line.is_blank()) {
            self.at += 1;
        }
    }

    /// The next content line of the node at `indent`: `None` at the end of the node (end
    /// of text, a document marker, or a line indented less).
    fn next_in(&mut self, indent: usize) -> Option<Option<Line<'t>>> {
        self.skip_blank();
        let Some(line) = self.peek() else {
            return Some(None);
        };
        if line.indent == 0 && line.marker()? != Marker::None {
            return Some(None);
        }
        if line.indent < indent {
            return Some(None);
        }
        Some(Some(line))
    }

    /// The block node whose first line is the current one, at `indent`.
    fn block(&mut self, indent: usize) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let line = self.peek()?;
        let value = if is_dash(line.body) {
            self.sequence(indent)
        } else if is_entry(line.body)? {
            self.mapping(indent)
        } else {
            None
        };
        self.depth -= 1;
        value
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.next_in(indent)? {
            if line.indent > indent {
                return None;
            }
            if !is_dash(line.body) {
                // The caller decides whether a key at this indentation may follow.
                break;
            }
            let rest = line.body[1..].trim_start_matches(' ');
            if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                items.push(self.nested(indent, false)?);
            } else if is_dash(rest) {
                return None;
            } else if is_entry(rest)? {
                // `- key: value`: a mapping whose keys sit at the column after the dash.
                let column = line.indent + (line.body.len() - rest.len());
                self.lines[self.at] = Line {
                    indent: column,
                    body: rest,
                    ..line
                };
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                items.push(self.mapping(column)?);
                self.depth -= 1;
            } else {
                items.push(self.inline(rest, indent)?);
            }
        }
        Some(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.next_in(indent)? {
            if line.indent > indent {
                return None;
            }
            if is_dash(line.body) {
                return None;
            }
            let (key, rest) = split_entry(line.body)?;
            if map.contains_key(&key) {
                return None;
            }
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                self.nested(indent, true)?
            } else {
                self.inline(rest, indent)?
            };
            map.insert(key, value);
        }
        Some(Value::Object(map))
    }

    /// The value of an entry whose line ends after its key or dash: the block on the lines
    /// below, indented more (for a mapping value, a sequence may also sit at the key's
    /// indentation), or null.
    fn nested(&mut self, indent: usize, sequence_may_align: bool) -> Option<Value> {
        match self.next_in(indent)? {
            Some(next) if next.indent > indent => self.block(next.indent),
            Some(next) if sequence_may_align && is_dash(next.body) => {
                self.depth += 1;
                let value = self.sequence(indent);
                self.depth -= 1;
                value
            }
            _ => Some(Value::Null),
        }
    }

    /// A value written on the current line after its key or dash, the parent node being
    /// at `indent`; moves past the line (and a literal's lines).
    fn inline(&mut self, text: &str, indent: usize) -> Option<Value> {
        let first = text.as_bytes()[0];
        let (value, rest) = match first {
            b'"' => {
                let (text, rest) = double_quoted(text)?;
                (Value::String(text), rest)
            }
            b'\'' => {
                let (text, rest) = single_quoted(text)?;
                (Value::String(text), rest)
            }
            b'[' | b'{' => flow(text, self.depth)?,
            b'|' => return self.literal(text, indent),
            b'-' | b'?' | b':' if text.len() == 1 || text.as_bytes()[1] == b' ' => return None,
            b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b',' | b']' | b'}' | b'#' => {
                return None;
            }
            _ => {
                let text = match text.find(" #") {
                    Some(end) => text[..end].trim_end_matches(' '),
                    None => text,
                };
                if text.contains(": ") || text.ends_with(':') {
                    return None;
                }
                (plain_value(text).ok()?, "")
            }
        };
        if !is_trailing_comment(rest) {
            return None;
        }
        self.at += 1;
        Some(value)
    }

    /// A `|` or `|-` literal; its lines must be indented more than `indent`.
    fn literal(&mut self, header: &str, indent: usize) -> Option<Value> {
        let rest = header[1..].strip_prefix('-');
        let strip = rest.is_some();
        let rest = rest.unwrap_or(&header[1..]);
        if !is_trailing_comment(rest) {
            return None;
        }
        self.at += 1;
        // The content's indentation is the first non-empty line's.
        let first = self.lines[self.at..]
            .iter()
            .find(|line| !line.body.is_empty())?;
        let width = first.indent;
        if width <= indent || first.marker_like() {
            return None;
        }
        let mut lines: Vec<&str> = Vec::new();
        while let Some(line) = self.peek() {
            // A literal running into a last line without a line break: saphyr counts
            // that line's indentation as one more line break, so it is left to saphyr.
            if self.at + 1 == self.lines.len() && !line.raw.is_empty() {
                return None;
            }
            if line.body.is_empty() {
                // Spaces beyond the indentation on an empty line are content; leave such
                // lines (and over-indented leading ones) to saphyr.
                if line.raw.len() > width {
                    return None;
                }
                lines.push("");
            } else if line.indent >= width {
                lines.push(&line.raw[width..]);
            } else {
                break;
            }
            self.at += 1;
        }
        let kept = lines
            .iter()
            .rposition(|line| !line.is_empty())
            .map_or(0, |last| last + 1);
        let mut text = lines[..kept].join("\n");
        if !strip && kept > 0 {
            text.push('\n');
        }
        Some(Value::String(text))
    }
}

impl Line<'_> {
    /// A column-0 `---` or `...`, which ends any block.
    fn marker_like(&self) -> bool {
        self.indent == 0 && (self.body.starts_with("---") || self.body.starts_with("..."))
    }
}

/// `-` alone or followed by a space: a sequence entry.
fn is_dash(body: &str) -> bool {
    body == "-" || body.starts_with("- ")
}

/// Whether `body` is `key: ...` (or `key:`); `None` if it is something this reader leaves
/// to saphyr.
fn is_entry(body: &str) -> Option<bool> {
    match body.as_bytes()[0] {
        b'"' => {
            let (_, rest) = double_quoted(body)?;
            Some(rest.starts_with(':'))
        }
        b'\'' => {
            let (_, rest) = single_quoted(body)?;
            Some(rest.starts_with(':'))
        }
        b'[' | b'{' => Some(false),
        _ => Some(body.contains(": ") || body.ends_with(':')),
    }
}

/// Splits `key: rest` into the key and the text after `: ` (empty after a bare `key:`).
fn split_entry(body: &str) -> Option<(String, &str)> {
    let (key, after) = match body.as_bytes()[0] {
        b'"' => double_quoted(body)?,
        b'\'' => single_quoted(body)?,
        first => {
            let end = match body.find(": ") {
                Some(end) => end,
                None if body.ends_with(':') => body.len() - 1,
                None => return None,
            };
            let key = &body[..end];
            // Keys that start with an indicator, hold `:`, a comment or trailing spaces,
            // or are not strings, are saphyr's to judge (some are errors).
            if b"-?:,[]{}#&*!|>'\"%@`".contains(&first)
                || key.contains(':')
                || key.contains(" #")
                || key.ends_with(' ')
            {
                return None;
            }
            match plain_value(key).ok()? {
                Value::String(key) => (key, &body[end..]),
                _ => return None,
            }
        }
    };
    if body.len() - after.len() > MAX_KEY {
        return None;
    }
    let rest = after.strip_prefix(':')?;
    if rest.is_empty() {
        return Some((key, rest));
    }
    let value = rest.strip_prefix(' ')?.trim_start_matches(' ');
    Some((key, value))
}

/// After a value: nothing, or spaces and a comment.
fn is_trailing_comment(rest: &str) -> bool {
    rest.is_empty() || {
        let comment = rest.trim_start_matches(' ');
        comment.len() < rest.len() && (comment.is_empty() || comment.starts_with('#'))
    }
}

/// A one-line `"..."` scalar at the start of `text` with the escapes JSON uses; the string
/// and the text after the closing quote.
fn double_quoted(text: &str) -> Option<(String, &str)> {
    let body = &text[1..];
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => {
                let (_, escape) = chars.next()?;
                out.push(match escape {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let mut code = 0u32;
                        for _ in 0..4 {
                            let (_, digit) = chars.next()?;
                            code = code * 16 + digit.to_digit(16)?;
                        }
                        // Surrogates (JSON's pairs) mean something else to YAML.
                        char::from_u32(code)?
                    }
                    _ => return None,
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// A one-line `'...'` scalar at the start of `text`; the string and the text after it.
fn single_quoted(text: &str) -> Option<(String, &str)> {
    let body = &text[1..];
    let mut out = String::new();
    let mut rest = body;
    loop {
        let end = rest.find('\'')?;
        out.push_str(&rest[..end]);
        rest = &rest[end + 1..];
        match rest.strip_prefix('\'') {
            Some(after) => {
                out.push('\'');
                rest = after;
            }
            None => return Some((out, rest)),
        }
    }
}

/// A one-line flow collection at the start of `text`, in the JSON-like form templates
/// write; the value and the text after it.
fn flow(text: &str, depth: usize) -> Option<(Value, &str)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (open, body) = (text.as_bytes()[0], &text[1..]);
    let close = if open == b'[' { ']' } else { '}' };
    let mut rest = body.trim_start_matches(' ');
    let mut items = Vec::new();
    let mut map = Map::new();
    if let Some(after) = rest.strip_prefix(close) {
        let value = if open == b'[' {
            Value::Array(items)
        } else {
            Value::Object(map)
        };
        return Some((value, after));
    }
    loop {
        if open == b'[' {
            let (item, after) = flow_node(rest, depth)?;
            items.push(item);
            rest = after;
        } else {
            let (key, after) = match rest.as_bytes().first()? {
                b'"' => double_quoted(rest)?,
                b'\'' => single_quoted(rest)?,
                _ => {
                    let (key, after) = flow_plain(rest)?;
                    // A plain key needs `: `; `a:b` is one scalar.
                    if !after.starts_with(": ") {
                        return None;
                    }
                    match key {
                        Value::String(key) => (key, after),
                        _ => return None,
                    }
                }
            };
            let after = after.trim_start_matches(' ').strip_prefix(':')?;
            let after = after.trim_start_matches(' ');
            if after.starts_with([',', '}']) || map.contains_key(&key) {
                return None;
            }
            let (value, after) = flow_node(after, depth)?;
            map.insert(key, value);
            rest = after;
        }
        rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start_matches(' ');
            if rest.starts_with(close) {
                return None;
            }
        } else if let Some(after) = rest.strip_prefix(close) {
            let value = if open == b'[' {
                Value::Array(items)
            } else {
                Value::Object(map)
            };
            return Some((value, after));
        } else {
            return None;
        }
    }
}

/// One node inside a flow collection.
fn flow_node(text: &str, depth: usize) -> Option<(Value, &str)> {
    match text.as_bytes().first()? {
        b'"' => double_quoted(text).map(|(s, rest)| (Value::String(s), rest)),
        b'\'' => single_quoted(text).map(|(s, rest)| (Value::String(s), rest)),
        b'[' | b'{' => flow(text, depth + 1),
        _ => flow_plain(text),
    }
}

/// A plain scalar inside a flow collection, limited to one word of ordinary characters.
fn flow_plain(text: &str) -> Option<(Value, &str)> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+')))
        .unwrap_or(text.len());
    let (word, rest) = text.split_at(end);
    let first = word.chars().next()?;
    // `-` may start a number; other indicators are saphyr's.
    if !(first.is_alphanumeric() || first == '-' && word.len() > 1 || first == '.') {
        return None;
    }
    if !(rest.is_empty() || rest.starts_with([' ', ',', ']', '}', ':'])) {
        return None;
    }
    Some((plain_value(word).ok()?, rest))
}

#[cfg(test)]
mod tests;
