//! Every committed snapshot belongs to a test that still exists, so a renamed or deleted
//! test cannot leave a stale snapshot that reviews as if it meant something.

use daactl::policy::registry;

mod common;

#[test]
fn no_orphaned_snapshots() {
    let dir = common::repo().join("tests/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let stem = name
            .strip_suffix(".snap")
            .unwrap_or_else(|| panic!("tests/snapshots/{name} is not an insta snapshot"));
        // Named snapshots with a suffix (`policy_fail@K206-1`, no module prefix) name their
        // test file in the header; the policy harness writes one per registered rule.
        if let Some((snapshot, suffix)) = stem.split_once('@') {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            let file = text
                .lines()
                .find_map(|line| line.strip_prefix("source: "))
                .unwrap_or_else(|| panic!("tests/snapshots/{name}: no `source:` header"));
            let source = std::fs::read_to_string(common::repo().join(file))
                .unwrap_or_else(|_| panic!("tests/snapshots/{name}: no {file}"));
            assert!(
                source.contains(&format!("\"{snapshot}\"")),
                "tests/snapshots/{name}: no snapshot `{snapshot}` in {file}"
            );
            if snapshot == "policy_fail" {
                assert!(
                    registry::codes().contains(&suffix),
                    "tests/snapshots/{name}: `{suffix}` is not a registered rule"
                );
            }
            continue;
        }
        // `<file>__<test or snapshot name>`.
        let (file, test) = stem
            .split_once("__")
            .unwrap_or_else(|| panic!("tests/snapshots/{name} is not an insta snapshot"));
        let source = std::fs::read_to_string(common::repo().join(format!("tests/{file}.rs")))
            .unwrap_or_else(|_| panic!("tests/snapshots/{name}: no tests/{file}.rs"));
        assert!(
            source.contains(&format!("fn {test}(")) || source.contains(&format!("\"{test}\"")),
            "tests/snapshots/{name}: no test or snapshot `{test}` in tests/{file}.rs"
        );
    }
}
