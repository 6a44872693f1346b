//! The committed `rendered/` tree is the snapshot of every environment's output: these
//! tests fail, with the first differing lines, when a change to the code, the templates or
//! the specs changes what renders. Accept a change with `cargo run -- render`.

mod common;

#[test]
fn every_environment_renders_exactly_the_committed_files() {
    let rendered = common::render_repo();
    assert_eq!(
        rendered
            .iter()
            .map(|r| r.environment.as_str())
            .collect::<Vec<_>>(),
        ["development", "production", "staging"]
    );
    for environment in rendered {
        common::assert_committed(&environment.environment, &environment.files());
    }
}

#[test]
fn the_trees_built_from_every_environment_are_the_committed_files() {
    let trees = daactl::shared::build(&common::repo_specs(), &common::render_repo())
        .expect("the shared trees build");
    let names: Vec<&str> = trees.iter().map(|t| t.name).collect();
    // `rendered/gitops` is built from the specs as well; tests/gitops.rs checks it.
    let from_renders: Vec<&str> = daactl::project::SHARED_TREES
        .iter()
        .copied()
        .filter(|name| *name != daactl::gitops::TREE)
        .collect();
    assert_eq!(names, from_renders);
    for tree in trees {
        common::assert_committed(tree.name, &tree.files);
    }
}

#[test]
fn the_shared_trees_do_not_depend_on_the_order_environments_are_given_in() {
    let specs = common::repo_specs();
    let renders = common::render_repo();
    let mut reversed_specs = common::repo_specs();
    reversed_specs.reverse();
    let mut reversed = renders.clone();
    reversed.reverse();
    assert_eq!(
        daactl::shared::build(&specs, &renders).unwrap(),
        daactl::shared::build(&reversed_specs, &reversed).unwrap()
    );
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    assert_eq!(common::render_repo(), common::render_repo());
}

#[test]
fn stream_is_the_files_in_install_order_with_namespaces_first() {
    for environment in common::render_repo() {
        let stream = environment.stream();
        let kinds: Vec<&str> = environment
            .resources
            .iter()
            .map(|r| r.kind.as_str())
            .collect();
        assert_eq!(
            kinds[..2],
            ["Namespace", "Namespace"],
            "{}",
            environment.environment
        );
        let deployment = kinds.iter().position(|k| *k == "Deployment").unwrap();
        let service = kinds.iter().position(|k| *k == "Service").unwrap();
        assert!(
            service < deployment,
            "Services come before Deployments, as Helm installs"
        );
        assert_eq!(
            stream.matches("\n---\n").count() + 1,
            environment.resources.len()
        );
        assert_eq!(
            stream.matches("# Source: templates/").count(),
            environment.resources.len()
        );
    }
}
