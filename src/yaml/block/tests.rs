use super::*;
use crate::yaml::parse::saphyr_stream;

/// The text of every template run for the repository's environments.
fn template_outputs() -> Vec<String> {
    let specs = crate::testing::repository_specs();
    let renderer = crate::testing::repository_renderer();
    let mut outputs: Vec<String> = specs
        .iter()
        .flat_map(|spec| renderer.outputs(spec).expect("the environment renders"))
        .collect();
    outputs.sort();
    outputs.dedup();
    outputs
}

/// Asserts the block reader answers `text` and agrees with saphyr.
#[track_caller]
fn answers(text: &str) -> Vec<Document> {
    let fast = parse_stream(text).unwrap_or_else(|| panic!("the block reader gave up on {text:?}"));
    assert_eq!(Ok(fast.clone()), saphyr_stream(text), "{text:?}");
    fast
}

/// Asserts the block reader leaves `text` to saphyr.
#[track_caller]
fn gives_up(text: &str) {
    assert_eq!(parse_stream(text), None, "{text:?}");
}

#[test]
fn every_template_output_is_read_by_the_block_reader() {
    let outputs = template_outputs();
    assert!(outputs.len() > 100, "{} outputs", outputs.len());
    for output in &outputs {
        answers(output);
    }
}

#[test]
fn reads_the_styles_templates_write() {
    answers("a: 1\nb:\n  c: [1, \"x\", {\"k\": null}]\n  d: {}\n  e: []\n");
    answers("---\n# only a comment\n---\nkind: A\n---\n");
    answers("list:\n- a\n- b: 1\n  c: 2\n-\n  - x\n- \nnext: 3\n");
    answers("s: |\n  line one\n\n    indented\n  last\nt: |-\n  kept\n  \nu: end\n");
    answers("q: \"tab\\tquote\\\" slash\\/ \\u00e9\"\nr: 'it''s'\n\"quoted key\": x # note\n");
    answers("m: -1\nf: 0.5\nz: null\nt: true\nh: http://x.y/z#frag\np: a#b\n");
    answers("deep:\n  -\n    - 1\n    - 2\n");
}

#[test]
fn gives_up_on_what_it_does_not_read() {
    for text in [
        "a: &x 1\n",
        "a: !t 1\n",
        "a: >\n  folded\n",
        "a: |+\n  keep\n",
        "a: |2\n   x\n",
        "a: b\n  continued\n",
        "a: \"two\n  lines\"\n",
        "a: [1,\n  2]\n",
        "? a\n: b\n",
        "a:\tb\n",
        "a: b\r\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n",
        "a: 1\na: 2\n",
        "a: on\n",
        "80: x\n",
        "a:b: c\n",
        "  a: 1\n",
        "scalar\n",
        "a: \"\\ud800\"\n",
        "a: [1, ]\n",
        // Found in review: saphyr reads each differently or refuses it.
        "a: |\n  x\n  ",
        "a: |\n  x\n\n  ",
        "- |\n  x\n  ",
    ] {
        gives_up(text);
    }
    for key in [
        format!("\"{}\": 1\n", "a".repeat(1100)),
        format!("'{}': 1\n", "a".repeat(1100)),
        format!("k:\n  \"{}\": 1\n", "a".repeat(1100)),
        format!("{}: 1\n", "a".repeat(1100)),
    ] {
        gives_up(&key);
    }
}

/// Turns one line into the lines that replace it.
type LineEdit = dyn Fn(&str) -> Vec<String>;

/// Edits applied to one line of a template output: the block reader must either give up
/// on the result or read it exactly as saphyr does.
fn variants(text: &str, mut each: impl FnMut(String)) {
    const VALUES: &[&str] = &[
        "&a x",
        "*a",
        "!t x",
        "\"a\\u00e9b\"",
        "\"\\ud800\"",
        "'it''s'",
        "yes",
        "0x1F",
        "1e3",
        ".inf",
        "~",
        "null",
        "- x",
        "[a, b]",
        "{a: b}",
        "{\"a\":1}",
        "[\"x\",]",
        "\"open",
        "|",
        "|-",
        ">",
        "? x",
        "a: b",
        "x #y",
        "x#y",
        "\"x\"#y",
        "\"x\" y",
        "-1",
        ":x",
        "%x",
        "@x",
        "[a:b]",
        "{a:1}",
        "{\"a\" : 1}",
        "[-1, .5, true]",
        "\"\\t\"",
        "'x' y",
        "",
        "#",
        "x:",
        "\"k\": v",
        "[[1], {}]",
        "{\"a\": [1, {\"b\": \"c\"}]}",
        "'open",
        "0777",
        "1_000",
        "+1",
        ".5",
        "-",
        "--- x",
        "a\u{85}b",
        "é",
        "[a b]",
        "{a}",
        "[a, {b: c}]",
    ];
    // The end of the text: no final line break, or spaces after it.
    each(text.trim_end_matches('\n').to_owned());
    each(format!("{text}  "));
    let lines: Vec<&str> = text.split('\n').collect();
    let join = |lines: &[String]| lines.join("\n");
    let edits: Vec<&LineEdit> = vec![
        &|l| vec![format!(" {l}")],
        &|l| vec![format!("  {l}")],
        &|l| vec![l.strip_prefix(' ').unwrap_or(l).to_owned()],
        &|_| vec![],
        &|l| vec![l.to_owned(), l.to_owned()],
        &|l| vec![format!("{l} #c")],
        &|l| vec![format!("{l}:")],
        &|l| vec![format!("{l}: x")],
        &|l| vec![format!("{l} x")],
        &|l| vec![format!("{l}\t")],
        &|l| vec!["---".to_owned(), l.to_owned()],
        &|l| vec!["...".to_owned(), l.to_owned()],
        &|l| vec!["   # note".to_owned(), l.to_owned()],
        &|l| vec![String::new(), l.to_owned()],
        &|l| vec![l.replacen("- ", "-  ", 1)],
        &|l| vec![l.replacen("- ", "- - ", 1)],
    ];
    // The value after the key (or dash) replaced with one of VALUES.
    let with_value = |l: &str, value: &str| {
        let cut = l.find(": ").map(|at| at + 2).or_else(|| {
            let body = l.trim_start();
            body.starts_with("- ").then(|| l.len() - body.len() + 2)
        });
        match cut {
            Some(at) => vec![format!("{}{value}", &l[..at])],
            None => vec![format!("{l}: {value}")],
        }
    };
    for (i, line) in lines.iter().enumerate() {
        let mut apply = |replacement: Vec<String>| {
            let mut copy: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            copy.splice(i..=i, replacement);
            each(join(&copy));
        };
        // Every line meets a few edits and values, in rotation, so that every edit and
        // every value meets every kind of line across the corpus while the count stays
        // small enough for a debug build.
        for k in 0..3 {
            apply(edits[(i * 3 + k) % edits.len()](line));
            apply(with_value(line, VALUES[(i * 5 + k) % VALUES.len()]));
        }
    }
}

#[test]
fn the_block_reader_agrees_with_saphyr_wherever_it_answers() {
    let (mut read, mut left) = (0usize, 0usize);
    for output in template_outputs() {
        variants(&output, |text| match parse_stream(&text) {
            Some(fast) => {
                read += 1;
                assert_eq!(Ok(fast), saphyr_stream(&text), "{text}");
            }
            None => left += 1,
        });
    }
    eprintln!("{read} read, {left} left to saphyr");
    // Both outcomes must be common, or the test compares nothing.
    assert!(
        read > 5_000 && left > 5_000,
        "{read} read, {left} left to saphyr"
    );
}
