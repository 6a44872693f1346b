//! The committed output tree `rendered/<env>/`: reading it, and replacing it atomically.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// What writing one environment changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files that are new or whose bytes changed.
    pub written: usize,
    /// Files removed because their object is no longer rendered.
    pub removed: usize,
    /// Files left as they were.
    pub unchanged: usize,
}

/// Every file under `dir`, keyed by its `/`-separated path relative to `dir`. A missing
/// folder reads as empty.
pub fn read_tree(dir: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    if dir.is_dir() {
        collect(dir, "", &mut files)?;
    }
    Ok(files)
}

fn collect(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        if entry.file_type()?.is_dir() {
            collect(&entry.path(), &format!("{relative}/"), files)?;
        } else {
            files.insert(relative, std::fs::read(entry.path())?);
        }
    }
    Ok(())
}

/// Replaces `rendered_dir/<env>/` with exactly `files`, unless it already holds exactly them.
///
/// The new tree is written beside the old one and swapped in by renaming, so a failure
/// while writing leaves the old tree untouched, and files of objects no longer rendered
/// disappear with the old tree.
pub fn write_environment(
    rendered_dir: &Path,
    env: &str,
    files: &BTreeMap<String, String>,
) -> io::Result<WriteSummary> {
    std::fs::create_dir_all(rendered_dir)?;
    let target = rendered_dir.join(env);
    let staging = rendered_dir.join(format!(".{env}.new-{}", std::process::id()));
    let retired = rendered_dir.join(format!(".{env}.old-{}", std::process::id()));
    remove_leftovers(rendered_dir, env)?;

    let previous = read_tree(&target)?;
    let mut summary = WriteSummary::default();
    for (name, text) in files {
        match previous.get(name) {
            Some(old) if old == text.as_bytes() => summary.unchanged += 1,
            _ => summary.written += 1,
        }
    }
    summary.removed = previous
        .keys()
        .filter(|name| !files.contains_key(*name))
        .count();
    if summary.written == 0 && summary.removed == 0 && target.is_dir() {
        // Already current: leave the files, and their modification times, alone.
        return Ok(summary);
    }

    let written = files.iter().try_for_each(|(name, text)| {
        let path = staging.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    });
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }
    if files.is_empty() {
        std::fs::create_dir_all(&staging)?;
    }
    if target.exists() {
        std::fs::rename(&target, &retired)?;
    }
    if let Err(err) = std::fs::rename(&staging, &target) {
        // Put the old tree back so the failure leaves things as they were.
        let _ = std::fs::rename(&retired, &target);
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }
    if retired.exists() {
        std::fs::remove_dir_all(&retired)?;
    }
    Ok(summary)
}

/// Removes staging trees an interrupted earlier run left behind.
fn remove_leftovers(rendered_dir: &Path, env: &str) -> io::Result<()> {
    let prefixes = [format!(".{env}.new-"), format!(".{env}.old-")];
    for entry in std::fs::read_dir(rendered_dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            std::fs::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn replaces_the_tree_and_counts_changes() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_environment(
            dir.path(),
            "dev",
            &files(&[("a/x.yaml", "1"), ("b.yaml", "2")]),
        )
        .unwrap();
        assert_eq!(
            first,
            WriteSummary {
                written: 2,
                removed: 0,
                unchanged: 0
            }
        );
        let second = write_environment(
            dir.path(),
            "dev",
            &files(&[("a/x.yaml", "1"), ("c.yaml", "3")]),
        )
        .unwrap();
        assert_eq!(
            second,
            WriteSummary {
                written: 1,
                removed: 1,
                unchanged: 1
            }
        );
        let tree = read_tree(&dir.path().join("dev")).unwrap();
        assert_eq!(tree.keys().collect::<Vec<_>>(), ["a/x.yaml", "c.yaml"]);
        let again = write_environment(
            dir.path(),
            "dev",
            &files(&[("a/x.yaml", "1"), ("c.yaml", "3")]),
        )
        .unwrap();
        assert_eq!(
            again,
            WriteSummary {
                written: 0,
                removed: 0,
                unchanged: 2
            }
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["dev"], "no staging tree is left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_tree() {
        let dir = tempfile::tempdir().unwrap();
        write_environment(dir.path(), "dev", &files(&[("x.yaml", "old")])).unwrap();
        // A file name that is also a folder name cannot be written.
        let err = write_environment(dir.path(), "dev", &files(&[("y", "1"), ("y/z.yaml", "2")]));
        assert!(err.is_err());
        let tree = read_tree(&dir.path().join("dev")).unwrap();
        assert_eq!(
            tree.get("x.yaml").map(Vec::as_slice),
            Some(b"old".as_slice())
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
