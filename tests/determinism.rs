//! Same inputs, same bytes: two renders in different folders, time zones, locales and
//! umasks write identical trees, equal to the committed one.

mod common;

use std::process::Command;

use daactl::output::read_tree;

fn render_in(dir: &std::path::Path, tz: &str, lang: &str, umask: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" render -q"))
        .arg(env!("CARGO_BIN_EXE_daactl"))
        .current_dir(dir)
        .env("TZ", tz)
        .env("LANG", lang)
        .env("LC_ALL", lang)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn renders_are_byte_identical_across_folders_and_settings() {
    let first = common::project_copy();
    let second_parent = tempfile::tempdir().unwrap();
    let second = second_parent.path().join("a deeper/folder with spaces");
    common::copy_dir(first.path(), &second);
    std::fs::remove_dir_all(first.path().join("rendered")).unwrap();
    std::fs::remove_dir_all(second.join("rendered")).unwrap();

    render_in(first.path(), "UTC", "C", "022");
    render_in(&second, "Pacific/Kiritimati", "de_DE.UTF-8", "077");

    let a = read_tree(&first.path().join("rendered")).unwrap();
    let b = read_tree(&second.join("rendered")).unwrap();
    assert!(a.len() > 100, "{} files", a.len());
    assert!(a == b, "the two renders differ");
    let committed = read_tree(&common::repo().join("rendered")).unwrap();
    assert!(
        a == committed,
        "a fresh render differs from the committed rendered/"
    );
}
