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
        if let Some((file, test)) = stem.split_once("__") {
            let source = std::fs::read_to_string(common::repo().join(format!("tests/{file}.rs")))
                .unwrap_or_else(|_| panic!("tests/snapshots/{name}: no tests/{file}.rs"));
            assert!(
                source.contains(&format!("fn {test}(")),
                "tests/snapshots/{name}: no test `{test}` in tests/{file}.rs"
            );
            continue;
        }
        // Named snapshots with a suffix and no module prefix: `<snapshot>@<suffix>`, as the
        // policy fixture harness writes one per rule (`policy_fail@K206-1`).
        let (snapshot, suffix) = stem
            .split_once('@')
            .unwrap_or_else(|| panic!("tests/snapshots/{name} is not an insta snapshot"));
        assert_eq!(
            (snapshot, suffix.is_empty()),
            ("policy_fail", false),
            "tests/snapshots/{name}: no test writes it"
        );
        assert!(
            registry::codes().contains(&suffix),
            "tests/snapshots/{name}: no registered rule `{suffix}`"
        );
    }
}
