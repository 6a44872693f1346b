//! Waivers: accepted findings, each with a mandatory reason.
//!
//! Two sources, one meaning:
//! - an annotation on the object, `skip.daactl.dev/<CODE>: "<reason>"`, optionally with
//!   `expires=YYYY-MM-DD` inside the reason (the kube-linter/Datree shape, which makes the
//!   reason structurally required);
//! - an entry of the waiver file `daactl-waivers.toml`, with code, selector, reason, owner
//!   and expiry date, for findings about an environment as a whole or objects whose
//!   templates should not carry the exception.
//!
//! A waiver without a reason, an expired waiver and an unused waiver are findings of their
//! own (rules X001..X003), so exceptions cannot rot silently.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::location::Location;

/// The annotation prefix of a waiver on an object.
pub const ANNOTATION_PREFIX: &str = "skip.daactl.dev/";
/// The waiver file's name, at the project root.
pub const WAIVER_FILE: &str = "daactl-waivers.toml";
/// Shortest reason accepted: a reason must say something.
pub const MIN_REASON_CHARS: usize = 15;

/// A calendar date (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
    /// Day, 1..=31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        (text.trim().len() == 10 && (1..=12).contains(&month) && (1..=31).contains(&day))
            .then_some(Self { year, month, day })
    }

    /// Today, in UTC.
    pub fn today() -> Self {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_days(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Where a waiver was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaiverSource {
    /// An annotation on the object (index in the set).
    Annotation {
        /// The object.
        manifest: usize,
    },
    /// An entry of the waiver file.
    File {
        /// The entry's location.
        location: Location,
    },
}

/// One waiver, from either source.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// The rule code it waives.
    pub code: String,
    /// Environments it applies to; empty means all.
    pub environments: Vec<String>,
    /// Object selector: kind, namespace and name; `None` matches anything, and a waiver
    /// with no selector also matches findings about the environment as a whole.
    pub kind: Option<String>,
    /// Namespace selector.
    pub namespace: Option<String>,
    /// Name selector; a trailing `*` matches any suffix.
    pub name: Option<String>,
    /// Why the finding is accepted.
    pub reason: String,
    /// Who owns the exception.
    pub owner: Option<String>,
    /// When it stops applying.
    pub expires: Option<Date>,
    /// Where it was written.
    pub source: WaiverSource,
}

impl Waiver {
    /// Whether it applies to a finding of `code` in `environment` about the object with
    /// these coordinates (`None` for an environment-wide finding).
    pub fn matches(
        &self,
        code: &str,
        environment: &str,
        object: Option<(&str, Option<&str>, &str)>,
    ) -> bool {
        if self.code != code
            || !(self.environments.is_empty() || self.environments.iter().any(|e| e == environment))
        {
            return false;
        }
        match object {
            None => self.kind.is_none() && self.namespace.is_none() && self.name.is_none(),
            Some((kind, namespace, name)) => {
                self.kind.as_deref().is_none_or(|k| k == kind)
                    && self
                        .namespace
                        .as_deref()
                        .is_none_or(|n| Some(n) == namespace)
                    && self
                        .name
                        .as_deref()
                        .is_none_or(|pattern| match pattern.strip_suffix('*') {
                            Some(prefix) => name.starts_with(prefix),
                            None => pattern == name,
                        })
            }
        }
    }

    /// What is wrong with the waiver itself, if anything: `(code, message)`.
    pub fn problems(&self, today: Date, known_codes: &[&str]) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !known_codes.contains(&self.code.as_str()) {
            problems.push((
                "X001",
                format!("waiver names `{}`, which is not a rule code", self.code),
            ));
        }
        if self.reason.trim().chars().count() < MIN_REASON_CHARS {
            problems.push((
                "X001",
                format!(
                    "waiver of `{}` has no real reason (at least {MIN_REASON_CHARS} characters saying why the finding is accepted)",
                    self.code
                ),
            ));
        }
        if matches!(self.source, WaiverSource::File { .. }) {
            if self.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
                problems.push((
                    "X001",
                    format!("waiver of `{}` names no `owner`", self.code),
                ));
            }
            if self.expires.is_none() {
                problems.push((
                    "X001",
                    format!("waiver of `{}` has no `expires` date", self.code),
                ));
            }
        }
        if let Some(expires) = self.expires
            && expires < today
        {
            problems.push((
                "X002",
                format!("waiver of `{}` expired on {expires}", self.code),
            ));
        }
        problems
    }
}

/// The waivers written as annotations on the objects of a set.
pub fn from_annotations(set: &super::manifest::ManifestSet) -> Vec<Waiver> {
    let mut waivers = Vec::new();
    for (index, manifest) in set.manifests.iter().enumerate() {
        for (key, value) in manifest.annotations() {
            let Some(code) = key.strip_prefix(ANNOTATION_PREFIX) else {
                continue;
            };
            let mut expires = None;
            let reason = value
                .split_whitespace()
                .filter(|word| match word.strip_prefix("expires=") {
                    Some(date) => {
                        expires = Date::parse(date.trim_end_matches([';', ',', '.']));
                        false
                    }
                    None => true,
                })
                .collect::<Vec<_>>()
                .join(" ");
            waivers.push(Waiver {
                code: code.to_owned(),
                environments: Vec::new(),
                kind: Some(manifest.kind.clone()),
                namespace: manifest.namespace.clone(),
                name: Some(manifest.name.clone()),
                reason,
                owner: None,
                expires,
                source: WaiverSource::Annotation { manifest: index },
            });
        }
    }
    waivers
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waiver: Vec<toml::Spanned<FileEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    code: String,
    #[serde(default)]
    environments: Vec<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    #[serde(default)]
    reason: String,
    owner: Option<String>,
    expires: Option<toml::value::Datetime>,
}

/// Why the waiver file is unusable.
#[derive(Debug, thiserror::Error)]
#[error(
    "{location}: error: {message}\n  hint: each `[[waiver]]` has `code`, `reason`, `owner`, `expires = YYYY-MM-DD`, and optionally `environments`, `kind`, `namespace`, `name`"
)]
pub struct WaiverFileError {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

/// Reads a waiver file; `shown` is its path as users see it.
pub fn read_file(path: &Path, shown: &str) -> Result<Vec<Waiver>, WaiverFileError> {
    let text = std::fs::read_to_string(path).map_err(|err| WaiverFileError {
        location: Location::file(shown),
        message: format!("cannot read: {err}"),
    })?;
    parse_file(&text, shown)
}

/// Parses the text of a waiver file.
pub fn parse_file(text: &str, shown: &str) -> Result<Vec<Waiver>, WaiverFileError> {
    let file: WaiverFile = toml::from_str(text).map_err(|err| WaiverFileError {
        location: err.span().map_or_else(
            || Location::file(shown),
            |span| Location::at_offset(shown, text, span.start),
        ),
        message: err.message().to_owned(),
    })?;
    file.waiver
        .into_iter()
        .map(|spanned| {
            let location = Location::at_offset(shown, text, spanned.span().start);
            let entry = spanned.into_inner();
            let expires = match entry.expires {
                None => None,
                Some(datetime) => Some(
                    datetime
                        .date
                        .filter(|_| datetime.time.is_none())
                        .map(|d| Date {
                            year: i32::from(d.year),
                            month: u32::from(d.month),
                            day: u32::from(d.day),
                        })
                        .ok_or_else(|| WaiverFileError {
                            location: location.clone(),
                            message: format!(
                                "`expires` must be a date like 2027-03-31, not `{datetime}`"
                            ),
                        })?,
                ),
            };
            Ok(Waiver {
                code: entry.code,
                environments: entry.environments,
                kind: entry.kind,
                namespace: entry.namespace,
                name: entry.name,
                reason: entry.reason,
                owner: entry.owner,
                expires,
                source: WaiverSource::File { location },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_come_from_day_counts() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_784).to_string(), "2026-11-27");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert_eq!(Date::parse("2027-03-01").unwrap().to_string(), "2027-03-01");
        assert!(Date::parse("2027-3-1").is_none());
        assert!(Date::parse("2027-13-01").is_none());
    }

    #[test]
    fn file_entries_carry_their_line() {
        let text = "# waivers\n\n[[waiver]]\ncode = \"K208-1\"\nreason = \"kind has no SSD class\"\nowner = \"@platform\"\nexpires = 2027-01-31\n";
        let waivers = parse_file(text, "daactl-waivers.toml").unwrap();
        assert_eq!(waivers.len(), 1);
        let WaiverSource::File { location } = &waivers[0].source else {
            panic!("file waiver");
        };
        assert_eq!(location.line, 3);
        assert_eq!(waivers[0].expires.unwrap().to_string(), "2027-01-31");
        let err = parse_file("[[waiver]]\ncode = 1\n", "w.toml").unwrap_err();
        assert_eq!(err.location.line, 2);
    }
}
