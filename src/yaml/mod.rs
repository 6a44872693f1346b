//! All YAML reading and writing in daactl goes through this module.
//!
//! Reading uses `saphyr-parser`, a maintained YAML 1.2 parser (see
//! `docs/decisions/0001-yaml-library.md`), driven event by event so the parse can be strict.
//! Writing is daactl's own small emitter, because canonical bytes and quoting rules that
//! satisfy YAML 1.1 and 1.2 readers alike are the point of this tool.

mod block;
mod emit;
mod locate;
mod locate_json;
mod parse;
pub mod scalar;

pub use emit::emit;
pub use locate::locate;
pub use locate_json::locate_json;
pub use parse::{Document, YamlError, parse_stream};
