//! The canonical emitter on arbitrary values: any JSON value (hostile keys and strings,
//! nested and empty collections, integers and floats) is written as YAML that daactl's strict
//! reader, and PyYAML as a YAML 1.1 reader, read back as exactly that value.

mod common;

use daactl::yaml;
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use serde_json::{Map, Number, Value};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 :#'\"{}\\[\\],&*!|>%@`\\-\\n\\t.~?=<_+]{0,12}",
        any::<String>(),
        proptest::sample::select(
            &[
                "on",
                "no",
                "0777",
                "0_9",
                "1e3",
                "-",
                "---",
                "",
                "~",
                "null",
                "0X1F",
                "2026-01-01",
                "<<",
                "A:a",
                "a: b",
                "x:"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Value::Number(Number::from_f64(f).unwrap())),
        text().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn emitted_yaml_reads_back_as_the_same_value(value in value()) {
        let text = format!("---\n{}", yaml::emit(&value));
        let documents = yaml::parse_stream(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        if value.is_null() {
            prop_assert!(documents.is_empty());
        } else {
            prop_assert_eq!(documents.len(), 1);
            prop_assert_eq!(&documents[0].value, &value, "{}", text);
        }
    }
}

#[test]
fn a_yaml_1_1_reader_reads_the_same_values() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    // A top-level map per case keeps every document non-null.
    let values: Vec<Value> = (0..300)
        .map(|i| {
            let mut map = Map::new();
            map.insert(
                format!("case{i}"),
                value().new_tree(&mut runner).unwrap().current(),
            );
            Value::Object(map)
        })
        .collect();
    let stream: String = values
        .iter()
        .map(|v| format!("---\n{}", yaml::emit(v)))
        .collect();
    let Some(theirs) = common::pyyaml(&stream) else {
        return;
    };
    assert_eq!(theirs.len(), values.len());
    for (theirs, ours) in theirs.iter().zip(&values) {
        // JSON numbers compare by type: PyYAML gives back 1.0 for an emitted 1.0, as we do.
        assert_eq!(
            theirs,
            ours,
            "PyYAML read differently:\n{}",
            yaml::emit(ours)
        );
    }
}
