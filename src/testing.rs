//! What the unit and integration tests build by hand (not part of the interface): environments shaped like the
//! repository's (namespaces `<env>` for the `app` role and `<env>-data` for `data`).

use serde_json::Value;

use crate::project::Project;
use crate::render::{Rendered, Renderer, Resource, TemplateSet};
use crate::spec::Spec;

/// `value` as a resource of template `t.yaml.j2`; panics without an identity.
pub fn object(value: Value) -> Resource {
    Resource::from_object("t.yaml.j2", value).expect("a test object has apiVersion, kind and name")
}

/// Environment `env` rendering `resources`, with namespaces `<env>` and `<env>-data`.
pub fn render(env: &str, resources: Vec<Resource>) -> Rendered {
    Rendered {
        environment: env.into(),
        namespaces: vec![
            ("app".into(), env.into()),
            ("data".into(), format!("{env}-data")),
        ],
        resources,
    }
}

/// The repository's own environments (`environments/*.toml`), loaded and validated.
pub fn repository_specs() -> Vec<Spec> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Project::discover(Some(root), root)
        .expect("the repository is a project")
        .load_specs(&[])
        .expect("the repository's specs load")
}

/// The renderer of the templates built into daactl.
pub fn repository_renderer() -> Renderer {
    Renderer::new(TemplateSet::embedded().expect("the templates are embedded"))
        .expect("the templates compile")
}

/// Tar archives written byte by byte, so a test can make what daactl never writes (`..`
/// paths, links, duplicates, bombs).
pub mod tar {
    use std::io::Write as _;

    /// One entry: its raw name, ustar type flag (`b'0'` file, `b'1'` hard link, `b'2'`
    /// symbolic link, `b'5'` folder), data and link target.
    pub struct Raw<'a> {
        /// The name field's bytes (at most 100).
        pub name: &'a [u8],
        /// The type flag.
        pub kind: u8,
        /// The content.
        pub data: &'a [u8],
        /// The link target (at most 100 bytes).
        pub link: &'a [u8],
    }

    /// A regular file.
    pub fn raw<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
        Raw {
            name: name.as_bytes(),
            kind: b'0',
            data,
            link: b"",
        }
    }

    /// A ustar archive of `entries`, gzip'd at the fastest level.
    pub fn raw_tar_gz(entries: &[Raw<'_>]) -> Vec<u8> {
        let mut tar = Vec::new();
        for entry in entries {
            let mut header = [0u8; 512];
            header[..entry.name.len()].copy_from_slice(entry.name);
            header[100..107].copy_from_slice(b"0000644");
            header[108..115].copy_from_slice(b"0000000");
            header[116..123].copy_from_slice(b"0000000");
            header[124..135].copy_from_slice(format!("{:011o}", entry.data.len()).as_bytes());
            header[136..147].copy_from_slice(b"00000000000");
            header[156] = entry.kind;
            header[157..157 + entry.link.len()].copy_from_slice(entry.link);
            header[257..263].copy_from_slice(b"ustar\0");
            header[263..265].copy_from_slice(b"00");
            header[148..156].copy_from_slice(b"        ");
            let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
            // Seven digits and a NUL, as daactl's writer puts it, so that a case differs from a
            // real bundle only in what it means to test.
            header[148..156].copy_from_slice(format!("{sum:07o}\0").as_bytes());
            tar.extend_from_slice(&header);
            tar.extend_from_slice(entry.data);
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.resize(tar.len() + 1024, 0);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&tar).expect("writing to memory");
        encoder.finish().expect("writing to memory")
    }
}
