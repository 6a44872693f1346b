//! Embeds `templates/*.j2` into the binary, so an installed `daactl` renders without the
//! repository, and each policy rule's first failing and passing fixture
//! (`tests/fixtures/policy/<CODE>/{fail,pass}/`) as the examples `daactl explain` prints,
//! so the examples users read are the cases the tests run. `include_str!` makes Cargo
//! rebuild when a file changes; watching the folders makes it rebuild when one is added.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    embed_templates();
    embed_rule_examples();
}

fn embed_templates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("templates/ is readable")
        .map(|entry| {
            entry
                .expect("templates/ entry")
                .file_name()
                .into_string()
                .expect("UTF-8 template name")
        })
        .filter(|name| name.ends_with(".j2"))
        .collect();
    names.sort();
    let mut code = String::from("&[\n");
    for name in names {
        let path = dir.join(&name);
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push(']');
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set")).join("embedded_templates.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

fn sorted_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.expect("readable entry").path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// The first YAML file of a fixture folder (a case is a file, or a folder of files), or
/// the Terraform document (`main.tf.json`) of a `T` rule's case.
fn first_yaml(dir: &Path) -> Option<std::path::PathBuf> {
    sorted_entries(dir).into_iter().find_map(|path| {
        if path.is_dir() {
            first_yaml(&path)
        } else {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "json")
                .then_some(path)
        }
    })
}

fn embed_rule_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut code = String::from("&[\n");
    for rule_dir in sorted_entries(&dir) {
        println!("cargo:rerun-if-changed={}", rule_dir.display());
        let code_name = rule_dir.file_name().unwrap().to_string_lossy().into_owned();
        let example = |kind: &str| {
            first_yaml(&rule_dir.join(kind)).map_or_else(
                || "\"\"".to_owned(),
                |path| format!("include_str!({:?})", path.display().to_string()),
            )
        };
        writeln!(
            code,
            "    ({code_name:?}, {}, {}),",
            example("fail"),
            example("pass")
        )
        .unwrap();
    }
    code.push(']');
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set")).join("rule_examples.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
