//! Every committed snapshot belongs to a test that still exists, so a renamed or deleted
//! test cannot leave a stale snapshot that reviews as if it meant something.

mod common;

#[test]
fn no_orphaned_snapshots() {
    let dir = common::repo().join("tests/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let (file, test) = name
            .strip_suffix(".snap")
            .and_then(|stem| stem.split_once("__"))
            .unwrap_or_else(|| panic!("tests/snapshots/{name} is not an insta snapshot"));
        let source = std::fs::read_to_string(common::repo().join(format!("tests/{file}.rs")))
            .unwrap_or_else(|_| panic!("tests/snapshots/{name}: no tests/{file}.rs"));
        assert!(
            source.contains(&format!("fn {test}(")),
            "tests/snapshots/{name}: no test `{test}` in tests/{file}.rs"
        );
    }
}
