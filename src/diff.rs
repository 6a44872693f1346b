//! Drift between committed output and a fresh render.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use similar::TextDiff;

/// How one environment's committed files differ from a fresh render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentDiff {
    /// The environment.
    pub environment: String,
    /// Files a render would add.
    pub added: Vec<String>,
    /// Committed files a render would remove.
    pub removed: Vec<String>,
    /// Files whose bytes differ.
    pub changed: Vec<String>,
    /// Unified diffs of every added, removed and changed file, in path order.
    pub patches: Vec<String>,
}

impl EnvironmentDiff {
    /// Whether the committed files equal the render.
    pub fn is_clean(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// `production: 1 changed, 0 added, 2 removed`.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} changed, {} added, {} removed",
            self.environment,
            self.changed.len(),
            self.added.len(),
            self.removed.len()
        )
    }
}

/// Compares the committed files of `environment` (paths relative to `rendered/<env>/`)
/// with a fresh render; `prefix` is how patches name the folder, such as `rendered/dev`.
pub fn compare(
    environment: &str,
    prefix: &str,
    committed: &BTreeMap<String, Vec<u8>>,
    rendered: &BTreeMap<String, String>,
) -> EnvironmentDiff {
    let mut diff = EnvironmentDiff {
        environment: environment.to_owned(),
        ..Default::default()
    };
    let mut paths: Vec<&String> = committed.keys().chain(rendered.keys()).collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        let old = committed
            .get(path)
            .map(|bytes| String::from_utf8_lossy(bytes));
        let new = rendered.get(path);
        match (&old, new) {
            (Some(old), Some(new)) if old.as_bytes() == new.as_bytes() => continue,
            (Some(_), Some(_)) => diff.changed.push(path.clone()),
            (None, Some(_)) => diff.added.push(path.clone()),
            (Some(_), None) => diff.removed.push(path.clone()),
            (None, None) => unreachable!("every path comes from one of the two trees"),
        }
        let shown = format!("{prefix}/{path}");
        let old_text = old.as_deref().unwrap_or("");
        let new_text = new.map_or("", String::as_str);
        let patch = TextDiff::from_lines(old_text, new_text)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{shown} (committed)"),
                &format!("{shown} (rendered)"),
            )
            .to_string();
        diff.patches.push(patch);
    }
    diff
}

/// Colours a unified diff for a terminal: removals red, additions green, hunks cyan.
pub fn colorize(patch: &str) -> String {
    let mut out = String::with_capacity(patch.len() + patch.len() / 4);
    for line in patch.split_inclusive('\n') {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            "1"
        } else if line.starts_with('+') {
            "32"
        } else if line.starts_with('-') {
            "31"
        } else if line.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let (body, end) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            let _ = write!(out, "\x1b[{code}m{body}\x1b[0m{end}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_file() {
        let committed = BTreeMap::from([
            ("same.yaml".to_owned(), b"a\n".to_vec()),
            ("edited.yaml".to_owned(), b"a\n".to_vec()),
            ("gone.yaml".to_owned(), b"x\n".to_vec()),
        ]);
        let rendered = BTreeMap::from([
            ("same.yaml".to_owned(), "a\n".to_owned()),
            ("edited.yaml".to_owned(), "b\n".to_owned()),
            ("new.yaml".to_owned(), "n\n".to_owned()),
        ]);
        let diff = compare("dev", "rendered/dev", &committed, &rendered);
        assert_eq!(diff.changed, ["edited.yaml"]);
        assert_eq!(diff.added, ["new.yaml"]);
        assert_eq!(diff.removed, ["gone.yaml"]);
        assert_eq!(diff.summary(), "dev: 1 changed, 1 added, 1 removed");
        assert!(diff.patches[0].contains(
            "--- rendered/dev/edited.yaml (committed)\n+++ rendered/dev/edited.yaml (rendered)\n"
        ));
        assert!(diff.patches[0].contains("-a\n+b\n"));
        assert!(!diff.is_clean());
        assert!(
            compare(
                "dev",
                "r",
                &committed.clone(),
                &committed
                    .iter()
                    .map(|(k, v)| (k.clone(), String::from_utf8(v.clone()).unwrap()))
                    .collect()
            )
            .is_clean()
        );
    }

    #[test]
    fn colours_only_diff_lines() {
        assert_eq!(
            colorize(" same\n-old\n+new\n"),
            " same\n\x1b[31m-old\x1b[0m\n\x1b[32m+new\x1b[0m\n"
        );
    }
}
