//! Embeds `templates/*.j2` into the binary, so an installed `daactl` renders without the
//! repository. `include_str!` makes Cargo rebuild when a template changes; watching the
//! folder makes it rebuild when one is added or removed.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
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
