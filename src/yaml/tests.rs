//! Unit tests of the YAML module: the builder against serde_yaml, spans, and
//! the checks of the event pass.

use super::*;

fn parse_str(text: &str) -> (Option<ParsedYaml>, Vec<Diagnostic>, Sources) {
    let mut sources = Sources::default();
    let id = sources.add("t.yaml".into(), text);
    let mut diags = Vec::new();
    let p = parse(&sources, id, &mut diags);
    (p, diags, sources)
}

#[test]
fn indexes_paths() {
    let (p, d, s) = parse_str("a:\n  - x: 1\n    y: [2, 3]\nb: \"q\"\n");
    assert!(d.is_empty(), "{d:?}");
    let p = p.unwrap();
    let f = s.get(0);
    assert_eq!(f.line_col(p.index.value("/a/0/y/1").start), (3, 12));
    assert_eq!(f.line_col(p.index.key("/b").start), (4, 1));
    assert_eq!(f.line_col(p.index.value("/b").start), (4, 4));
    assert_eq!(f.line_col(p.index.value("/a/0/missing").start), (2, 5));
}

#[test]
fn reports_every_duplicate_key() {
    let (p, d, _) = parse_str("a: 1\nb: 2\na: 3\nc:\n  x: 1\n  x: 2\n");
    assert!(p.is_none());
    assert_eq!(
        d.iter().filter(|d| d.code == "yaml::duplicate-key").count(),
        2
    );
}

#[test]
fn rejects_alias_bomb_quickly() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for c in 'b'..='j' {
        text.push_str(&format!(
            "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
        prev = c;
    }
    let (p, d, _) = parse_str(&text);
    assert!(p.is_none());
    assert_eq!(d[0].code, "yaml::alias-bomb");
}

#[test]
fn syntax_error_has_position() {
    let (p, d, s) = parse_str("a: [1, 2\nb: 3\n");
    assert!(p.is_none());
    assert_eq!(d[0].code, "yaml::syntax");
    assert!(s.get(0).line_col(d[0].location.unwrap().start).0 >= 1);
}

#[test]
fn values_json_cannot_hold_take_the_careful_way() {
    // Integer keys become strings; NaN is reported, not turned into null.
    let (p, d, _) = parse_str("1: a\ntrue: b\nx: .nan\ny: !custom z\n");
    let p = p.unwrap();
    assert_eq!(p.value["1"], "a");
    assert_eq!(p.value["true"], "b");
    assert_eq!(p.value["y"], "z");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "yaml::unsupported-value");
    // The direct way gives the same value as the careful one.
    let (p, d, _) = parse_str("a: [1, 2.5, \"x\", true, null]\nb: {c: d}\n");
    assert!(d.is_empty());
    assert_eq!(
        p.unwrap().value,
        serde_json::json!({"a": [1, 2.5, "x", true, null], "b": {"c": "d"}})
    );
}

/// What the one-pass builder made, `None` when it left the file to
/// serde_yaml's careful way.
fn built(text: &str) -> Option<serde_json::Value> {
    let mut sources = Sources::default();
    let id = sources.add("t.yaml".into(), text);
    let mut diags = Vec::new();
    index_spans(&sources, id, &mut diags, None)
        .unwrap_or_else(|| panic!("{text:?} not indexed: {diags:?}"))
        .1
}

#[test]
fn builder_reads_scalars_as_serde_yaml_does() {
    let scalars = [
        "1",
        "-1",
        "+1",
        "0",
        "007",
        "-007",
        "0x1F",
        "0o17",
        "0b101",
        "1_000",
        "1.5",
        "-1.5",
        "+1.5",
        "1e3",
        "1E-3",
        ".5",
        "-.5",
        "5.",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "12:30",
        "1.2.3",
        "-foo",
        ".foo",
        "+x",
        "~x",
        "2024-01-01",
        "1 2",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "0.1e400x",
        "'1'",
        "\"true\"",
        "\"\"",
        "''",
        "\"a\\tb\"",
        "'it''s'",
        "a b  c",
        "---",
        "--- 5",
        "--- x",
        "...",
        "-1x",
        "1:2",
        "1#2",
        "0x1G",
        "-.5e3",
    ];
    for scalar in scalars {
        for text in [
            format!("v: {scalar}\n"),
            format!("- {scalar}\n"),
            format!("[{scalar}, x]\n"),
            format!("{{k: {scalar}}}\n"),
            format!("{scalar}: key\n"),
        ] {
            // Where serde_yaml cannot go straight to JSON (a number
            // too large), the builder leaves it to the careful way too.
            let direct = serde_yaml::from_str::<serde_json::Value>(&text).ok();
            let mut sources = Sources::default();
            let id = sources.add("t.yaml".into(), text.as_str());
            match index_spans(&sources, id, &mut Vec::new(), None) {
                Some((_, value)) => assert_eq!(value, direct, "{text:?}"),
                // Not YAML here (`--- 5: key`): serde_yaml agrees.
                None => assert_eq!(direct, None, "{text:?}"),
            }
        }
    }
}

#[test]
fn builder_reads_structure_as_serde_yaml_does() {
    let texts = [
        "",
        "# only a comment\n",
        "a:\nb: ~\nc: []\nd: {}\n",
        "a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\n",
        "a: plain\n  continued\n  lines\n",
        "base: &b {x: 1, y: [2, 3]}\ncopy: *b\nlist: [&s 7, *s]\n",
        "- &r {arn: x, vars: {n: \"1\"}}\n- *r\n",
        "? a\n: 1\n",
        "<<: {a: 1}\nb: 2\n",
        "--- \na: 1\n...\n",
        "\"quoted key\": 1\n'single': 2\n",
        "nested:\n  - - [1, [2, {a: [3]}]]\n",
        // Plain scalars over several lines: folded once, not twice.
        "v: 1\n\n  2\n",
        "v: [1\n\n  2]\n",
        "v: -1\n\n\n  x\n",
        "v: 1\n\n  - x\n",
        "v: 1\n\n  %x\n",
        "v: 1\n\n  ...\n",
        "banner: --- SALE ---\nmsg: 10 percent off\n\n  today only\n",
        // Aliases of anchored keys are values.
        "&k 1: a\nb: *k\n",
        "&k true: a\nb: *k\n",
        "&k ~: a\nb: *k\n",
        "&k 0x10: a\nb: [*k]\n",
    ];
    for text in texts {
        let direct: serde_json::Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(built(text), Some(direct), "{text:?}");
    }
    // Tags, NaN and infinities, and aliases as keys go the careful way.
    for text in [
        "a: !!str 1\n",
        "a: !custom x\n",
        "a: .nan\n",
        "a: -.INF\n",
        "k: &k key\n*k : v\n",
    ] {
        assert_eq!(built(text), None, "{text:?}");
    }
}

#[test]
fn builder_agrees_with_serde_yaml_on_every_file_of_the_project() {
    // Where the tests run, not where they were compiled (a shared target
    // directory may hold a binary built in another clone).
    let root = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
    );
    let mut stack = vec![
        root.join("playbooks"),
        root.join("tests/fixtures"),
        root.join("schema"),
        root.join("docs"),
    ];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let Ok(direct) = serde_yaml::from_str::<serde_json::Value>(text) else {
                continue; // broken on purpose
            };
            let mut sources = Sources::default();
            let id = sources.add(path.clone(), text);
            let Some((_, Some(value))) = index_spans(&sources, id, &mut Vec::new(), None) else {
                continue; // duplicate keys and the like: reported, not built
            };
            assert_eq!(value, direct, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} files compared");
}

#[test]
fn non_ascii_positions() {
    let (p, d, s) = parse_str("é: \"ü\"\nk: v\n");
    assert!(d.is_empty());
    let p = p.unwrap();
    assert_eq!(s.get(0).line_col(p.index.value("/k").start), (2, 4));
}
