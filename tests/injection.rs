//! Injection safety: any string a spec holds comes out of the rendered YAML as exactly that
//! string, never as structure, for daactl's YAML 1.2 reader and for a YAML 1.1 reader
//! (PyYAML, which reads plain scalars the way kubectl's go-yaml does).

mod common;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use daactl::render::{Rendered, Renderer, TemplateSet};
use daactl::spec::Spec;
use daactl::yaml;
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use serde_json::Value;

/// Strings that break naive templating: YAML syntax, YAML 1.1 scalars, template syntax,
/// document markers, escapes and unicode line breaks.
const HOSTILE: &[&str] = &[
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "Y",
    "NO",
    "true",
    "False",
    "null",
    "~",
    "",
    " ",
    "0777",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "1e3",
    "1.0",
    ".5",
    "+1",
    "-1",
    "12:30:00",
    "2026-11-27",
    ".inf",
    ".NaN",
    "<<",
    "=",
    "-",
    "- x",
    "? x",
    ": x",
    "a: b",
    "a #b",
    "#x",
    "---",
    "...",
    "--- !x",
    "{{ env.name }}",
    "{% if true %}x{% endif %}",
    "{# c #}",
    "${HOME}",
    "$(VAR)",
    "'single'",
    "\"double\"",
    "\\",
    "\\n",
    "\n",
    "a\nb",
    "a\n",
    "a\n\n",
    " lead",
    "trail ",
    "line\n  indented\n",
    "tab\there",
    "cr\rlf",
    "nul\0",
    "bell\u{7}",
    "del\u{7f}",
    "nel\u{85}",
    "ls\u{2028}ps\u{2029}",
    "\u{feff}bom",
    "\u{fffe}",
    "é漢🙂",
    "[a, b]",
    "{a: b}",
    "*alias",
    "&anchor",
    "!tag",
    "|",
    ">",
    "%YAML",
    "@at",
    "`tick`",
    "key: value\nother: x",
    "  - item\n  - item2",
    "a:\n  b: c",
];

fn development() -> Spec {
    static SPEC: LazyLock<Spec> = LazyLock::new(|| {
        let path = common::repo().join("environments/development.toml");
        Spec::load(&path, "environments/development.toml").expect("the development spec is valid")
    });
    SPEC.clone()
}

fn renderer() -> &'static Renderer {
    static RENDERER: LazyLock<Renderer> =
        LazyLock::new(|| Renderer::new(TemplateSet::embedded().unwrap()).unwrap());
    &RENDERER
}

fn find<'a>(rendered: &'a [Value], kind: &str, name: &str) -> &'a Value {
    rendered
        .iter()
        .find(|v| v["kind"] == kind && v["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} is rendered"))
}

/// Parses the stream with daactl's strict reader, checking nothing was added or lost.
fn reparse(rendered: &Rendered) -> Vec<Value> {
    let documents = yaml::parse_stream(&rendered.stream()).expect("rendered YAML parses strictly");
    assert_eq!(
        documents.len(),
        rendered.resources.len(),
        "a spec string created or removed a document"
    );
    let values: Vec<Value> = documents.into_iter().map(|d| d.value).collect();
    for (value, resource) in values.iter().zip(&rendered.resources) {
        assert_eq!(
            value, &resource.value,
            "the written YAML reads back as the rendered object"
        );
    }
    values
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(HOSTILE).prop_map(str::to_owned),
        "[a-z0-9 :#'\"{}\\[\\],&*!|>%@`\\-\\n\\t.~?=<]{0,24}",
        any::<String>(),
        (
            proptest::sample::select(HOSTILE),
            any::<String>(),
            proptest::sample::select(HOSTILE)
        )
            .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn spec_strings_come_back_unchanged(value in hostile(), description in hostile(), key in hostile()) {
        let mut spec = development();
        let env = &mut spec.environment;
        let service = env.services.get_mut("daa-service").unwrap();
        service.config.insert("INJECTED".into(), value.clone());
        service.description = description.clone();
        service.secrets[0].remote_key = key.clone();
        service.secrets[0].property = Some(value.clone());
        env.postgres.parameters.insert("application_name".into(), value.clone());
        env.storage_class.parameters.insert(key.clone(), value.clone());

        let rendered = renderer().render(&spec).unwrap();
        let values = reparse(&rendered);

        let config = find(&values, "ConfigMap", "daa-service-config");
        prop_assert_eq!(&config["data"]["INJECTED"], &Value::String(value.clone()));
        let deployment = find(&values, "Deployment", "daa-service");
        let annotation = &deployment["metadata"]["annotations"]["daa.dev/description"];
        if description.is_empty() {
            prop_assert!(annotation.is_null());
        } else {
            prop_assert_eq!(annotation, &Value::String(description.clone()));
        }
        let secret = find(&values, "ExternalSecret", "daa-service");
        prop_assert_eq!(&secret["spec"]["data"][0]["remoteRef"]["key"], &Value::String(key.clone()));
        prop_assert_eq!(&secret["spec"]["data"][0]["remoteRef"]["property"], &Value::String(value.clone()));
        let cluster = find(&values, "Cluster", "daa-postgres");
        prop_assert_eq!(&cluster["spec"]["postgresql"]["parameters"]["application_name"], &Value::String(value.clone()));
        let class = find(&values, "StorageClass", "ssd");
        prop_assert_eq!(&class["parameters"][key.as_str()], &Value::String(value));
    }
}

#[test]
fn a_yaml_1_1_reader_reads_the_same_strings() {
    let mut spec = development();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut expected = BTreeMap::new();
    let generated = (0..300).map(|_| hostile().new_tree(&mut runner).unwrap().current());
    for (i, text) in HOSTILE
        .iter()
        .map(|s| (*s).to_owned())
        .chain(generated)
        .enumerate()
    {
        expected.insert(format!("K{i}"), text);
    }
    let service = spec.environment.services.get_mut("daa-service").unwrap();
    service.config.extend(expected.clone());
    let rendered = renderer().render(&spec).unwrap();
    let ours = reparse(&rendered);
    let Some(theirs) = common::pyyaml(&rendered.stream()) else {
        return;
    };
    let config = find(&theirs, "ConfigMap", "daa-service-config");
    for (key, text) in &expected {
        assert_eq!(
            config["data"][key],
            Value::String(text.clone()),
            "PyYAML read {key} differently"
        );
    }
    // Beyond the injected strings, PyYAML reads every object as daactl does.
    assert_eq!(theirs, ours);
}
