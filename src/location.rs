//! Source locations (`file:line:col`) for diagnostics.

use std::fmt;

/// A place in an input file, with 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as the user should read it, relative to the project where possible.
    pub file: String,
    /// 1-based line; 0 when the whole file is meant.
    pub line: usize,
    /// 1-based column, counted in characters; 0 when the whole line is meant.
    pub col: usize,
}

impl Location {
    /// A location naming a whole file.
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            col: 0,
        }
    }

    /// The location of byte `offset` in `source`.
    pub fn at_offset(file: impl Into<String>, source: &str, offset: usize) -> Self {
        let offset = offset.min(source.len());
        let before = &source[..floor_char_boundary(source, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Self {
            file: file.into(),
            line,
            col,
        }
    }
}

fn floor_char_boundary(s: &str, mut offset: usize) -> usize {
    while !s.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (0, _) => write!(f, "{}", self.file),
            (line, 0) => write!(f, "{}:{line}", self.file),
            (line, col) => write!(f, "{}:{line}:{col}", self.file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_line_and_character_column() {
        let source = "a = 1\nbé = 2\n";
        let at = Location::at_offset("f.toml", source, source.find('=').unwrap());
        assert_eq!(at.to_string(), "f.toml:1:3");
        let at = Location::at_offset("f.toml", source, source.rfind('=').unwrap());
        assert_eq!(at.to_string(), "f.toml:2:4");
        assert_eq!(Location::file("f.toml").to_string(), "f.toml");
    }
}
