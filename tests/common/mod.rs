//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod equivalence;

use daactl::project::Project;
use daactl::render::{Rendered, Renderer, TemplateSet};

/// The repository, which is also the DAA deployment project.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's specs, every environment.
pub fn repo_specs() -> Vec<daactl::spec::Spec> {
    Project::discover(Some(&repo()), &repo())
        .expect("the repository is a project")
        .load_specs(&[])
        .expect("the repository's specs are valid")
}

/// Renders every environment of the repository with the built-in templates.
pub fn render_repo() -> Vec<Rendered> {
    let project = Project::discover(Some(&repo()), &repo()).expect("the repository is a project");
    let renderer =
        Renderer::new(TemplateSet::embedded().expect("templates load")).expect("templates compile");
    project
        .load_specs(&[])
        .expect("the repository's specs are valid")
        .iter()
        .map(|spec| {
            renderer
                .render(spec)
                .expect("the repository's specs render")
        })
        .collect()
}

/// Copies `from` into `to` recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary copy of the project's specs and committed output.
pub fn project_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("environments"),
        &dir.path().join("environments"),
    );
    copy_dir(&repo().join("rendered"), &dir.path().join("rendered"));
    dir
}

/// Runs the built `daactl` in `cwd` with `args`, without colour or inherited settings.
pub fn daactl(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daactl"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("daactl runs")
}

/// The exit code, stdout and stderr of a run, for assertions.
pub fn outcome(output: &Output) -> (i32, String, String) {
    (
        output
            .status
            .code()
            .expect("daactl exits normally, never by a signal"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A program from the tools folder that `scripts/install-tools.sh` fills
/// (`$DAACTL_TOOLS`, else `$XDG_CACHE_HOME/daactl-tools` or `~/.cache/daactl-tools`).
/// A missing tool fails the test under CI and returns `None`, with a visible message,
/// elsewhere.
pub fn tool(relative: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("DAACTL_TOOLS")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache"))
                })?;
            Some(cache.join("daactl-tools"))
        });
    let path = tools.map(|t| t.join(relative));
    if let Some(path) = path.filter(|p| p.is_file()) {
        return Some(path);
    }
    let message =
        format!("{relative} is missing from the tools folder; run scripts/install-tools.sh");
    assert!(std::env::var("CI").is_err(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// Reads a YAML stream with PyYAML (a YAML 1.1 reader, as kubectl's go-yaml is) and returns
/// its documents as JSON, or `None` where the tools are missing outside CI. A value PyYAML
/// reads as something JSON cannot hold (a date, say) makes `json.dump` fail, and so the test.
pub fn pyyaml(stream: &str) -> Option<Vec<serde_json::Value>> {
    const SCRIPT: &str = "import json, sys, yaml\n\
        json.dump(list(yaml.load_all(sys.stdin.buffer, Loader=yaml.SafeLoader)), sys.stdout)\n";
    let python = tool("venv/bin/python3")?;
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tools' Python starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "PyYAML refused the YAML:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("PyYAML's output is JSON"))
}

/// Renders every environment of the project in `root` with the built-in templates.
pub fn render_project(root: &Path) -> Vec<Rendered> {
    let project = Project::discover(Some(root), root).expect("a project");
    let renderer =
        Renderer::new(TemplateSet::embedded().expect("templates load")).expect("templates compile");
    project
        .load_specs(&[])
        .expect("the specs are valid")
        .iter()
        .map(|spec| renderer.render(spec).expect("the specs render"))
        .collect()
}

/// A project holding the repository's environments with `extra` more services in each, all
/// copies of `knowledge-service` named `service-01`, `service-02`, ...: the scaled case.
pub fn scaled_project(extra: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let environments = dir.path().join("environments");
    std::fs::create_dir_all(&environments).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut spec: toml::Table = toml::from_str(&text).unwrap();
        let services = spec["services"].as_table_mut().unwrap();
        let template = services["knowledge-service"].clone();
        for n in 1..=extra {
            let name = format!("service-{n:02}");
            let copy = toml::to_string(&template)
                .unwrap()
                .replace("knowledge-service", &name);
            let mut service: toml::Table = toml::from_str(&copy).unwrap();
            service.insert("image".into(), toml::Value::String(name.clone()));
            services.insert(name, toml::Value::Table(service));
        }
        std::fs::write(
            environments.join(path.file_name().unwrap()),
            toml::to_string(&spec).unwrap(),
        )
        .unwrap();
    }
    dir
}

/// Asserts that `rendered/<folder>/` holds exactly `files`, showing the diff when not.
pub fn assert_committed(folder: &str, files: &std::collections::BTreeMap<String, String>) {
    let committed = daactl::output::read_tree(&repo().join("rendered").join(folder)).unwrap();
    let diff = daactl::diff::compare(folder, &format!("rendered/{folder}"), &committed, files);
    assert!(
        diff.is_clean(),
        "{}\n{}\nrun `cargo run -- render` to accept the change",
        diff.summary(),
        diff.patches.join("\n")
    );
}
