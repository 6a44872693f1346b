//! The bundle's container: a tar archive in gzip, written byte for byte the same from the same
//! files, and read back defensively.
//!
//! Writing: ustar entries in the caller's order, each a regular file of mode 0644 owned by 0:0 with
//! empty owner names and one fixed modification time; no folders, links or extended headers;
//! gzip with no name, modification time 0, "unknown" operating system and level 4 of the
//! compressor built into daactl (so the system's gzip never matters).
//!
//! Reading: at most [`Limits::max_content`] bytes are ever inflated (a decompression bomb
//! stops there), and every entry must be a regular file whose path is relative, `/`-separated,
//! without `.` or `..` components, and not seen before. Reading writes nothing anywhere.
//!
//! Then the archive must be exactly the bytes the writer would make from those entries: every
//! gzip member inflated, headers as written above, zero padding, two zero blocks and nothing
//! after. Without that, a signed archive could hold bytes this reader skips but another tool
//! reads (a second gzip member after the first, entries after the end-of-archive blocks, an
//! extended header that renames a file), so what `daactl verify` approved would differ from
//! what `tar` or Flux extract.

use std::collections::BTreeSet;
use std::io::Read as _;

use flate2::Compression;
use flate2::read::MultiGzDecoder;

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its `/`-separated relative path.
    pub path: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// How much an archive may hold when read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes the gzip stream may inflate to (tar headers included).
    pub max_content: u64,
    /// The most entries.
    pub max_entries: usize,
}

impl Default for Limits {
    /// 64 MiB and 10,000 entries: a bundle of this project is well under 1 MiB and a few
    /// hundred files.
    fn default() -> Self {
        Limits {
            max_content: 64 * 1024 * 1024,
            max_entries: 10_000,
        }
    }
}

/// Why an archive was refused or could not be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Not a gzip stream, or a damaged one.
    #[error("not a gzip'd tar archive, or a damaged one: {0}")]
    Gzip(String),
    /// Inflates to more than the limit.
    #[error(
        "the archive inflates to more than {limit} bytes: refused as a possible decompression bomb"
    )]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// More entries than the limit.
    #[error("the archive holds more than {limit} entries")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// The tar structure is damaged.
    #[error("damaged tar structure: {0}")]
    Tar(String),
    /// An entry that is not a regular file.
    #[error("entry `{path}` is a {kind}, and a bundle holds only regular files")]
    NotAFile {
        /// Its path as stored.
        path: String,
        /// What it is.
        kind: &'static str,
    },
    /// A path that could escape the extraction folder or is not canonical.
    #[error("entry `{path}` has an unsafe path: {why}")]
    UnsafePath {
        /// The path as stored (lossily decoded).
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The same path twice.
    #[error("entry `{0}` appears more than once")]
    Duplicate(String),
    /// A path too long for a ustar header.
    #[error("`{0}` is too long for a ustar header (255 bytes, with a name part of 100)")]
    PathTooLong(String),
    /// Bytes the writer would not have made: a header field, padding, an extended header,
    /// or data after the end of the archive.
    #[error("the archive is not in daactl's canonical form: {at} differs from what daactl writes")]
    NotCanonical {
        /// Where the first differing byte is, in words.
        at: String,
    },
}

/// A gzip'd tar being written: entries are compressed as they are appended, so a caller can
/// compress most of an archive while it still works out the last entry.
pub struct Writer {
    tar: tar::Builder<flate2::write::GzEncoder<Vec<u8>>>,
    mtime: u64,
    /// Every path so far: the writer refuses what the reader would, so daactl never signs an
    /// archive its own `verify` rejects.
    paths: BTreeSet<String>,
}

impl Writer {
    /// An empty archive whose entries all get the modification time `mtime` (seconds since
    /// 1970).
    pub fn new(mtime: u64) -> Writer {
        let gzip = flate2::GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(Vec::new(), Compression::new(4));
        Writer {
            tar: tar::Builder::new(gzip),
            mtime,
            paths: BTreeSet::new(),
        }
    }

    /// Appends a regular file.
    pub fn append(&mut self, path: &str, data: &[u8]) -> Result<(), ArchiveError> {
        check_path(path.as_bytes())?;
        if !self.paths.insert(path.to_owned()) {
            return Err(ArchiveError::Duplicate(path.to_owned()));
        }
        let header = file_header(path, data.len() as u64, self.mtime)?;
        self.tar
            .append(&header, data)
            .map_err(|err| ArchiveError::Tar(err.to_string()))
    }

    /// Ends the tar and the gzip stream.
    pub fn finish(self) -> Result<Vec<u8>, ArchiveError> {
        check_no_file_is_a_folder(&self.paths)?;
        self.tar
            .into_inner()
            .map_err(|err| ArchiveError::Tar(err.to_string()))?
            .finish()
            .map_err(|err| ArchiveError::Gzip(err.to_string()))
    }
}

/// The one header every file gets: ustar, regular, 0644, owned by 0:0 with no owner names.
fn file_header(path: &str, size: u64, mtime: u64) -> Result<tar::Header, ArchiveError> {
    let mut header = tar::Header::new_ustar();
    header
        .set_path(path)
        .map_err(|_| ArchiveError::PathTooLong(path.to_owned()))?;
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_cksum();
    Ok(header)
}

/// Writes `entries` (already in the order wanted) as a gzip'd tar, every entry with the
/// modification time `mtime` (seconds since 1970).
pub fn write(entries: &[(&str, &[u8])], mtime: u64) -> Result<Vec<u8>, ArchiveError> {
    let mut writer = Writer::new(mtime);
    for (path, data) in entries {
        writer.append(path, data)?;
    }
    writer.finish()
}

/// Reads a gzip'd tar within `limits`, refusing anything but uniquely named regular files at
/// safe relative paths, in the canonical form [`Writer`] makes. Entries come back in archive
/// order.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Entry>, ArchiveError> {
    let mut tar = Vec::new();
    // Every member, as `gzip -d` and Go's reader inflate them, not just the first.
    MultiGzDecoder::new(bytes)
        .take(limits.max_content.saturating_add(1))
        .read_to_end(&mut tar)
        .map_err(|err| ArchiveError::Gzip(err.to_string()))?;
    if tar.len() as u64 > limits.max_content {
        return Err(ArchiveError::TooLarge {
            limit: limits.max_content,
        });
    }
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut seen = BTreeSet::new();
    let mut entries = Vec::new();
    let mut mtime = 0;
    let tar_error = |err: std::io::Error| ArchiveError::Tar(err.to_string());
    for entry in archive.entries().map_err(tar_error)? {
        let mut entry = entry.map_err(tar_error)?;
        if entries.len() == limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let raw_path = entry.path_bytes().into_owned();
        let kind = entry.header().entry_type();
        if kind != tar::EntryType::Regular {
            return Err(ArchiveError::NotAFile {
                path: String::from_utf8_lossy(&raw_path).into_owned(),
                kind: kind_name(kind),
            });
        }
        let path = check_path(&raw_path)?;
        if !seen.insert(path.clone()) {
            return Err(ArchiveError::Duplicate(path));
        }
        if entries.is_empty() {
            mtime = entry.header().mtime().map_err(tar_error)?;
        }
        let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(1 << 20));
        entry.read_to_end(&mut data).map_err(tar_error)?;
        entries.push(Entry { path, data });
    }
    check_no_file_is_a_folder(&seen)?;
    check_canonical(&tar, &entries, mtime)?;
    Ok(entries)
}

/// No path may be the folder of another (`a` and `a/b`): no file system holds both, so
/// extraction would fail half-way or depend on the order.
fn check_no_file_is_a_folder(paths: &BTreeSet<String>) -> Result<(), ArchiveError> {
    for path in paths {
        let folders = path.match_indices('/').map(|(at, _)| &path[..at]);
        if folders.into_iter().any(|folder| paths.contains(folder)) {
            return Err(ArchiveError::UnsafePath {
                path: path.clone(),
                why: "its folder is also a file of the archive",
            });
        }
    }
    Ok(())
}

/// `tar` must be byte for byte the archive [`Writer`] makes of `entries` with `mtime`.
fn check_canonical(tar: &[u8], entries: &[Entry], mtime: u64) -> Result<(), ArchiveError> {
    let mut canonical = tar::Builder::new(Vec::with_capacity(tar.len()));
    for entry in entries {
        let header = file_header(&entry.path, entry.data.len() as u64, mtime)?;
        canonical
            .append(&header, entry.data.as_slice())
            .map_err(|err| ArchiveError::Tar(err.to_string()))?;
    }
    let canonical = canonical
        .into_inner()
        .map_err(|err| ArchiveError::Tar(err.to_string()))?;
    if tar == canonical.as_slice() {
        return Ok(());
    }
    let offset = tar
        .iter()
        .zip(&canonical)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| tar.len().min(canonical.len()));
    let mut start = 0;
    for entry in entries {
        let end = start + 512 + entry.data.len().div_ceil(512) * 512;
        if offset < end {
            let part = if offset < start + 512 {
                "header"
            } else {
                "data or padding"
            };
            return Err(ArchiveError::NotCanonical {
                at: format!("the {part} of `{}`", entry.path),
            });
        }
        start = end;
    }
    Err(ArchiveError::NotCanonical {
        at: format!("the end of the archive (byte {offset} of the inflated tar)"),
    })
}

/// The path as UTF-8 if it is relative, `/`-separated and free of `.`, `..`, empty parts,
/// backslashes and control characters.
fn check_path(raw: &[u8]) -> Result<String, ArchiveError> {
    let unsafe_path = |why| ArchiveError::UnsafePath {
        path: String::from_utf8_lossy(raw).into_owned(),
        why,
    };
    let path = std::str::from_utf8(raw).map_err(|_| unsafe_path("not UTF-8"))?;
    if path.is_empty() {
        return Err(unsafe_path("empty"));
    }
    if path.starts_with('/') {
        return Err(unsafe_path("absolute"));
    }
    if path.contains('\\') {
        return Err(unsafe_path("a backslash, which is a separator on Windows"));
    }
    if path.chars().any(char::is_control) {
        return Err(unsafe_path("a control character"));
    }
    if path.len() >= 2 && path.as_bytes()[1] == b':' {
        return Err(unsafe_path("a drive letter"));
    }
    for part in path.split('/') {
        match part {
            ".." => return Err(unsafe_path("a `..` component, which leaves the folder")),
            "." => return Err(unsafe_path("a `.` component")),
            "" => return Err(unsafe_path("an empty component (`//` or a trailing `/`)")),
            _ => {}
        }
    }
    Ok(path.to_owned())
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Directory => "folder",
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "named pipe",
        tar::EntryType::GNUSparse => "sparse file",
        tar::EntryType::XGlobalHeader => "global extended header",
        _ => "special entry",
    }
}
