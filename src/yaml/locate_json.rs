//! The same answer as [`super::locate`] for a JSON text, read without a YAML parser.
//!
//! JSON is YAML, so the YAML locator reads JSON too, but a YAML parser scans flow
//! collections slowly, and a Terraform file of a few thousand lines is walked once per
//! finding about it. This scanner only follows the pointer and skips everything else by
//! bracket depth, so a finding costs a scan of the bytes before it.

/// The 1-based `(line, column)` of the value at JSON `pointer` (RFC 6901) in the JSON
/// `text`, with [`super::locate`]'s conventions: a mapping entry is located at its key, and
/// when the pointer leads to something absent the deepest present ancestor is located
/// instead. `None` when the text is not well-formed along the way.
pub fn locate_json(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let path: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut scan = Scanner {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    scan.whitespace();
    let mut node = scan.at;
    for (index, step) in path.iter().enumerate() {
        let last = index + 1 == path.len();
        match scan.peek()? {
            b'{' => {
                scan.at += 1;
                loop {
                    scan.separator();
                    if scan.peek()? == b'}' {
                        return Some(position(text, node));
                    }
                    let key_at = scan.at;
                    let key = scan.string()?;
                    scan.whitespace();
                    scan.expect(b':')?;
                    scan.whitespace();
                    if key == *step {
                        if last {
                            return Some(position(text, key_at));
                        }
                        node = scan.at;
                        break;
                    }
                    scan.skip_value()?;
                }
            }
            b'[' => {
                let wanted: usize = step.parse().ok()?;
                scan.at += 1;
                let mut item = 0;
                loop {
                    scan.separator();
                    if scan.peek()? == b']' {
                        return Some(position(text, node));
                    }
                    if item == wanted {
                        node = scan.at;
                        break;
                    }
                    scan.skip_value()?;
                    item += 1;
                }
            }
            _ => return Some(position(text, node)),
        }
    }
    Some(position(text, node))
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while self
            .peek()
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    /// Whitespace and at most one `,` between entries.
    fn separator(&mut self) {
        self.whitespace();
        if self.peek() == Some(b',') {
            self.at += 1;
            self.whitespace();
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// The end of the string starting at `self.at` (just past its closing quote).
    fn string_end(&self) -> Option<usize> {
        let mut at = self.at + 1;
        loop {
            match self.bytes.get(at)? {
                b'\\' => at += 2,
                b'"' => return Some(at + 1),
                _ => at += 1,
            }
        }
    }

    /// The string at `self.at`, unescaped.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let end = self.string_end()?;
        let raw = &self.text[self.at..end];
        self.at = end;
        if raw.contains('\\') {
            serde_json::from_str(raw).ok()
        } else {
            Some(raw[1..raw.len() - 1].to_owned())
        }
    }

    /// Moves past the value at `self.at`.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => self.at = self.string_end()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.at += 1;
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    self.at += 1;
                }
                b',' | b'}' | b']' if depth == 0 => return Some(()),
                _ => self.at += 1,
            }
            if depth == 0
                && matches!(
                    self.bytes.get(self.at.wrapping_sub(1)),
                    Some(b'"' | b'}' | b']')
                )
            {
                return Some(());
            }
        }
    }
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let at = crate::location::Location::at_offset("", text, offset);
    (at.line, at.col)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// Every pointer into `value`, containers first.
    fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
        out.push(here.clone());
        match value {
            Value::Object(map) => {
                for (key, sub) in map {
                    let token = key.replace('~', "~0").replace('/', "~1");
                    pointers(sub, format!("{here}/{token}"), out);
                }
            }
            Value::Array(items) => {
                for (index, sub) in items.iter().enumerate() {
                    pointers(sub, format!("{here}/{index}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn agrees_with_the_yaml_locator_on_every_pointer_and_on_absent_ones() {
        let value = json!({
            "resource": {
                "aws_s3_bucket": {"backups": {"bucket": "daa-\"backups\"", "tags": {"a/b": "x~y"}}},
                "empty": {},
                "list": [1, [2, {"k": [true, null, -1.5e3]}], {}, []],
            },
            "output": {"rpo": {"value": "5 min, \\ \u{e9}"}},
        });
        for text in [
            serde_json::to_string_pretty(&value).unwrap(),
            serde_json::to_string(&value).unwrap(),
        ] {
            let mut all = Vec::new();
            pointers(&value, String::new(), &mut all);
            let absent = [
                "/resource/aws_s3_bucket/backups/versioning",
                "/resource/list/1/1/k/7",
                "/resource/list/9/x",
                "/resource/aws_s3_bucket/backups/bucket/deeper",
                "/nothing",
            ];
            for pointer in all.iter().map(String::as_str).chain(absent) {
                assert_eq!(
                    locate_json(&text, pointer),
                    super::super::locate(&text, 0, pointer),
                    "{pointer} in {text}"
                );
            }
        }
    }

    #[test]
    fn agrees_with_the_yaml_locator_on_a_committed_terraform_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rendered/terraform/production/main.tf.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        // A sample spread over the file: the YAML locator reparses the file per pointer.
        for pointer in all.iter().step_by(all.len() / 40 + 1) {
            assert_eq!(
                locate_json(&text, pointer),
                super::super::locate(&text, 0, pointer),
                "{pointer}"
            );
        }
    }

    #[test]
    fn locates_keys_and_reports_malformed_text() {
        let text = "{\n  \"a\": {\n    \"b\": [10, 20]\n  }\n}\n";
        assert_eq!(locate_json(text, "/a/b"), Some((3, 5)));
        assert_eq!(locate_json(text, "/a/b/1"), Some((3, 15)));
        assert_eq!(locate_json("{\"a\": ", "/a/b"), None);
    }
}
