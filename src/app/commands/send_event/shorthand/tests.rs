//! Unit tests of the shorthand parser, against what the AWS CLI parses
//! and the errors it gives.

use super::*;

fn s(v: &str) -> Shorthand {
    Shorthand::Str(v.to_string())
}

fn l(v: &[&str]) -> Shorthand {
    Shorthand::List(v.iter().map(|x| s(x)).collect())
}

fn ok(input: &str) -> Vec<(String, Shorthand)> {
    parse_plain(input)
        .unwrap_or_else(|e| panic!("{input:?}: {e}"))
        .into_iter()
        .collect()
}

fn pairs(p: &[(&str, Shorthand)]) -> Vec<(String, Shorthand)> {
    p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn err(input: &str) -> String {
    parse_plain(input)
        .err()
        .unwrap_or_else(|| panic!("{input:?} parsed"))
        .message
}

#[test]
fn key_value_pairs() {
    assert_eq!(ok("a=b"), pairs(&[("a", s("b"))]));
    assert_eq!(ok("a=b,c=d"), pairs(&[("a", s("b")), ("c", s("d"))]));
    assert_eq!(
        ok("msgType=user-notification,msgText=This chat room will close in 15 minutes."),
        pairs(&[
            ("msgType", s("user-notification")),
            ("msgText", s("This chat room will close in 15 minutes."))
        ])
    );
    // Key characters.
    assert_eq!(ok("a-b_c.d#e/f:g=1"), pairs(&[("a-b_c.d#e/f:g", s("1"))]));
}

#[test]
fn values_with_spaces_equals_and_symbols() {
    assert_eq!(
        ok("msgText=hello world"),
        pairs(&[("msgText", s("hello world"))])
    );
    assert_eq!(ok("msgText=a=b=c"), pairs(&[("msgText", s("a=b=c"))]));
    assert_eq!(
        ok("k=x?y&z=1;@!$%()*+"),
        pairs(&[("k", s("x?y&z=1;@!$%()*+"))])
    );
    assert_eq!(ok("k=héllo wörld ✓"), pairs(&[("k", s("héllo wörld ✓"))]));
    // Trailing whitespace is dropped; whitespace around `=` and `,` skipped.
    assert_eq!(ok("k=v   "), pairs(&[("k", s("v"))]));
    assert_eq!(ok("a = b , c = d"), pairs(&[("a", s("b")), ("c", s("d"))]));
    assert_eq!(ok("a=b,\n c=d"), pairs(&[("a", s("b")), ("c", s("d"))]));
}

#[test]
fn empty_values_and_keys() {
    assert_eq!(ok("a="), pairs(&[("a", s(""))]));
    assert_eq!(ok("a=,b=c"), pairs(&[("a", s("")), ("b", s("c"))]));
    assert_eq!(ok("=b"), pairs(&[("", s("b"))]));
    assert_eq!(ok("a=''"), pairs(&[("a", s(""))]));
}

#[test]
fn escaped_commas() {
    assert_eq!(
        ok(r"msgText=Hello\, world"),
        pairs(&[("msgText", s("Hello, world"))])
    );
    assert_eq!(
        ok(r"a=1\,2\,3,b=4"),
        pairs(&[("a", s("1,2,3")), ("b", s("4"))])
    );
}

#[test]
fn quoted_values() {
    assert_eq!(
        ok(r#"msgText="Hello, world",b=c"#),
        pairs(&[("msgText", s("Hello, world")), ("b", s("c"))])
    );
    assert_eq!(ok("k='a, b = c'"), pairs(&[("k", s("a, b = c"))]));
    assert_eq!(ok(r"k='it\'s'"), pairs(&[("k", s("it's"))]));
    assert_eq!(ok(r#"k="say \"hi\"""#), pairs(&[("k", s(r#"say "hi""#))]));
    assert_eq!(ok(r"k='back\\slash'"), pairs(&[("k", s(r"back\slash"))]));
    // A quote cannot start in the middle of an unquoted value.
    assert_eq!(
        err(r#"k=say "hi""#),
        "Expected: ',', received: '\"' for input:\nk=say \"hi\"\n      ^"
    );
    // Whitespace after a quoted value is not part of it.
    assert_eq!(ok("k='v'  ,j=w"), pairs(&[("k", s("v")), ("j", s("w"))]));
}

#[test]
fn lists_and_maps() {
    assert_eq!(ok("a=b,c"), pairs(&[("a", l(&["b", "c"]))]));
    assert_eq!(
        ok("a=b,c,d=e"),
        pairs(&[("a", l(&["b", "c"])), ("d", s("e"))])
    );
    assert_eq!(ok("a=[x,y]"), pairs(&[("a", l(&["x", "y"]))]));
    assert_eq!(ok("a=[]"), pairs(&[("a", Shorthand::List(vec![]))]));
    let mut inner = IndexMap::new();
    inner.insert("x".to_string(), s("y"));
    inner.insert("z".to_string(), l(&["1", "2"]));
    assert_eq!(
        ok("a={x=y,z=[1,2]}"),
        pairs(&[("a", Shorthand::Map(inner))])
    );
    // `Hello, world` without escaping is a list, as in the AWS CLI.
    assert_eq!(
        ok("msgText=Hello, world"),
        pairs(&[("msgText", l(&["Hello", "world"]))])
    );
}

#[test]
fn characters_beyond_the_basic_plane() {
    // The AWS CLI rejects these; accepted here.
    assert_eq!(ok("k=hi 😀 there"), pairs(&[("k", s("hi 😀 there"))]));
    assert_eq!(ok("k='😀,😀'"), pairs(&[("k", s("😀,😀"))]));
}

#[test]
fn errors_read_like_the_aws_cli() {
    assert_eq!(err(""), "Expected: '=', received: 'EOF' for input:\n\n^");
    assert_eq!(
        err("a=b,a=c"),
        "Second instance of key \"a\" encountered for input:\na=b,a=c\n    ^\nThis is often because there is a preceding \",\" instead of a space."
    );
    assert_eq!(
        err(" a = b , c = d "),
        "Expected: '=', received: 'a' for input:\n a = b , c = d \n ^"
    );
    assert_eq!(
        err("msgText='it''s'"),
        "Expected: ',', received: ''' for input:\nmsgText='it''s'\n            ^"
    );
    assert_eq!(
        err("a=b,"),
        "Expected: '<second>', received: '<none>' for input:\na=b,\n    ^"
    );
    assert_eq!(err("a"), "Expected: '=', received: 'EOF' for input:\na\n ^");
    assert_eq!(
        err("k='open"),
        "Expected: '<singled quoted>', received: '<none>' for input:\nk='open\n  ^"
    );
    assert_eq!(
        err("a=[x"),
        "Expected: ',', received: 'EOF' for input:\na=[x\n    ^"
    );
    assert_eq!(
        err("a={x=y"),
        "Expected: ',', received: 'EOF' for input:\na={x=y\n      ^"
    );
}

#[test]
fn caret_lines_up_after_newlines() {
    assert_eq!(
        err("a=b,\nc==d,e"),
        "Expected: ',', received: '=' for input:\na=b,\nc==d,e\n  ^"
    );
    assert_eq!(
        err("a=b,b=c\n,a=d"),
        "Second instance of key \"a\" encountered for input:\na=b,b=c\n,a=d\n ^\nThis is often because there is a preceding \",\" instead of a space."
    );
}

#[test]
fn file_values_with_at_equals() {
    let resolve = |v: &str| -> Result<Option<String>, String> {
        match v.strip_prefix("file://") {
            Some("missing") => Err("Unable to load paramfile file://missing".into()),
            Some(p) => Ok(Some(format!("<{p}>"))),
            None => Ok(None),
        }
    };
    let got = parse("a@=file://x,b=file://y,c@=plain,d@='file://q'", &resolve).unwrap();
    assert_eq!(got["a"], s("<x>"));
    assert_eq!(got["b"], s("file://y"));
    assert_eq!(got["c"], s("plain"));
    assert_eq!(got["d"], s("<q>"));
    let e = parse("a@=file://missing", &resolve).unwrap_err();
    assert_eq!(e.message, "Unable to load paramfile file://missing");
}

#[test]
fn json_detection() {
    assert!(looks_like_json("{}"));
    assert!(looks_like_json("  {\"a\": \"b\"}"));
    assert!(looks_like_json("[1]"));
    assert!(!looks_like_json("a={b=c}"));
}

#[test]
fn bad_input_never_panics() {
    for input in [
        "", "=", ",", ",,", "a=b,,c=d", "[", "{", "}", "]", "'", "\"", "a=\\", "a=\\,", "\\",
        "a=[", "a={", "a={=", "a=[,]", "a={x}", "a=b,c,", "a=b ,", "😀=1", "a=\u{1c}", "\n\n",
        "a=b\n,", "a@", "a@=", "a@=[x]", "a=b,=c", "a=,",
    ] {
        let _ = parse_plain(input);
    }
}

/// A long hostile value (`a=[b,,,,…`) is parsed in time linear in its
/// length: the parser slices the rest of the input instead of copying it
/// for every value, which made 16,000 commas take seconds (found by the
/// shorthand fuzz target). 200,000 took minutes; it must finish well
/// within the bound.
#[test]
fn long_values_do_not_take_quadratic_time() {
    let input = format!("a=[b{}", ",".repeat(200_000));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = parse_plain(&input);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_secs(20)).is_ok(),
        "parsing did not finish"
    );
}
