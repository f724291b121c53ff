//! `send-event` input: every form of it, every way it can be wrong, our
//! shorthand parser against the AWS CLI's, and `file://` parameters.

use std::path::Path;

use indexmap::IndexMap;
use ivschat_playbook::app::commands::send_event::input::paramfile;
use ivschat_playbook::app::commands::send_event::shorthand::{self, Shorthand};

use crate::support::{clean_command, require_venv};

use super::{ARN, attrs, emulator, ours, printed_id, write};

/// The ARN of the AWS documentation's example (its account id has 11 digits).
const DOC_ARN: &str = "arn:aws:ivschat:us-west-2:12345689012:room/g1H2I3j4k5L6";

/// A success case: its name, the arguments, and the event name and
/// attributes that must arrive.
type Case<'a> = (&'a str, Vec<&'a str>, &'a str, IndexMap<String, String>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_of_input_sends_what_it_says() {
    // The documentation's room is in another account: a key of that account
    // reaches it (the emulator finds no room of another account).
    let mut doc_key = ivschat_playbook::emulator::Credential::new(
        "AKIDDOCEXAMPLEACCOUNT",
        ivschat_playbook::emulator::config::DEFAULT_SECRET_ACCESS_KEY,
    );
    doc_key.account = Some("12345689012".into());
    let mut config = ivschat_playbook::emulator::EmulatorConfig {
        auto_create_rooms: true,
        ..Default::default()
    };
    config.credentials.push(doc_key);
    let emu = ivschat_playbook::emulator::spawn(config).await.unwrap();
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "attrs.json",
        r#"{"msgType": "from-file", "msgText": "a, b = c"}"#,
    );
    write(
        d,
        "input.json",
        &format!(
            r#"{{"roomIdentifier": "{ARN}", "eventName": "FromJson", "attributes": {{"k": "json"}}}}"#
        ),
    );
    write(
        d,
        "input.yaml",
        &format!("roomIdentifier: {ARN}\neventName: FromYaml\nattributes:\n  k: yaml\n"),
    );
    write(d, "name.txt", "NameFromFile");
    write(d, "text.txt", "long text, with commas");

    let long = format!("msgText={}", "x".repeat(1024 - "msgText".len()));
    let inline = format!(r#"{{"roomIdentifier": "{ARN}", "eventName": "Inline"}}"#);
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("the AWS documentation's example, verbatim (camelCase flags, shorthand split in two)",
         vec!["--roomIdentifier", DOC_ARN, "--eventName", "SystemMessage", "--attributes",
              "msgType=user-notification,", "msgText=This chat room will close in 15 minutes."],
         "SystemMessage",
         attrs(&[("msgType", "user-notification"), ("msgText", "This chat room will close in 15 minutes.")])),
        ("no attributes", vec!["--room-identifier", ARN, "--event-name", "E"], "E", attrs(&[])),
        ("spaces in values", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "msgText=hello big world"],
         "E", attrs(&[("msgText", "hello big world")])),
        ("= inside values", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "q=a=b=c,r=x==y"],
         "E", attrs(&[("q", "a=b=c"), ("r", "x==y")])),
        ("escaped commas", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", r"msgText=Hello\, world,b=c"],
         "E", attrs(&[("msgText", "Hello, world"), ("b", "c")])),
        ("quoted values", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", r#"a="x, y",b='it\'s'"#],
         "E", attrs(&[("a", "x, y"), ("b", "it's")])),
        ("an empty value", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "a="], "E", attrs(&[("a", "")])),
        ("JSON", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", r#"{"a": "1", "b": "ü"}"#],
         "E", attrs(&[("a", "1"), ("b", "ü")])),
        ("an empty JSON map", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "{}"], "E", attrs(&[])),
        ("exactly 1 KB", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", &long],
         "E", attrs(&[("msgText", &"x".repeat(1017))])),
        ("emoji (which the AWS CLI's parser rejects)",
         vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "msgText=bye 👋"], "E", attrs(&[("msgText", "bye 👋")])),
        ("--attributes file://", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "file://attrs.json"],
         "E", attrs(&[("msgType", "from-file"), ("msgText", "a, b = c")])),
        ("one value from a file with @=", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "a@=file://text.txt,b=2"],
         "E", attrs(&[("a", "long text, with commas"), ("b", "2")])),
        ("--event-name file://", vec!["--room-identifier", ARN, "--event-name", "file://name.txt"], "NameFromFile", attrs(&[])),
        ("--cli-input-json file://", vec!["--cli-input-json", "file://input.json"], "FromJson", attrs(&[("k", "json")])),
        ("--cli-input-json inline", vec!["--cli-input-json", &inline],
         "Inline", attrs(&[])),
        ("--cli-input-yaml file://", vec!["--cli-input-yaml", "file://input.yaml"], "FromYaml", attrs(&[("k", "yaml")])),
        ("options override the input file", vec!["--cli-input-json", "file://input.json", "--event-name", "Over", "--attributes", "k=option"],
         "Over", attrs(&[("k", "option")])),
        ("a later option wins, as in the AWS CLI", vec!["--room-identifier", ARN, "--event-name", "First", "--event-name", "Second"],
         "Second", attrs(&[])),
    ];
    for (name, args, event, attributes) in cases {
        let mut args = args.clone();
        args.extend(["--endpoint-url", &url]);
        let env: &[(&str, &str)] = if args.contains(&DOC_ARN) {
            &[("AWS_ACCESS_KEY_ID", "AKIDDOCEXAMPLEACCOUNT")]
        } else {
            &[]
        };
        let r = ours(d, &args, env).await;
        assert_eq!(r.code, 0, "{name}: {r:?}");
        let id = printed_id(&r);
        let last = emu
            .events()
            .pop()
            .unwrap_or_else(|| panic!("{name}: nothing delivered"));
        assert_eq!(last.id, id, "{name}");
        assert_eq!(last.event_name, event, "{name}");
        assert_eq!(last.attributes, attributes, "{name}");
        assert!(r.stderr.is_empty(), "{name}: {}", r.stderr);
    }
    emu.shutdown().await.unwrap();
}

/// Every way the input can be wrong: exit 252, nothing sent, and a message
/// (snapshotted, so wording changes are reviewed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_exits_252_and_sends_nothing() {
    let emu = emulator(true).await;
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "unknown-key.json",
        &format!(r#"{{"roomIdentifier": "{ARN}", "eventName": "E", "extra": 1}}"#),
    );
    write(
        d,
        "missing.json",
        &format!(r#"{{"roomIdentifier": "{ARN}"}}"#),
    );
    write(
        d,
        "types.json",
        r#"{"roomIdentifier": 5, "eventName": "E", "attributes": {"a": 1, "b": "ok"}}"#,
    );
    write(d, "list.json", "[1]");
    write(d, "bad.yaml", "roomIdentifier: [unclosed\n");
    let big = format!("msgText={}", "x".repeat(1025 - "msgText".len()));
    let long_name = "N".repeat(101);
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("nothing given", vec![]),
        ("no event name", vec!["--room-identifier", ARN]),
        ("not a room ARN", vec!["--room-identifier", "room/g1H2I3j4k5L6", "--event-name", "E"]),
        ("event name empty", vec!["--room-identifier", ARN, "--event-name", ""]),
        ("event name too long", vec!["--room-identifier", ARN, "--event-name", &long_name]),
        ("attributes over 1 KB", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", &big]),
        ("every problem at once", vec!["--room-identifier", "nope", "--event-name", "", "--attributes", &big]),
        ("shorthand syntax error", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "a=b,a=c"]),
        ("shorthand missing =", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "justakey"]),
        ("empty shorthand", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", ""]),
        ("an unescaped comma makes a list", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "msgText=Hello, world"]),
        ("a nested map", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "a={b=c}"]),
        ("a second word without a comma before it", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "a=b", "c=d"]),
        ("invalid JSON", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "{\"a\": }"]),
        ("JSON list", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "[\"a\"]"]),
        ("JSON number value", vec!["--room-identifier", ARN, "--event-name", "E", "--attributes", "{\"a\": 1}"]),
        ("missing file", vec!["--room-identifier", ARN, "--event-name", "file://nope.txt"]),
        ("binary file", vec!["--room-identifier", ARN, "--event-name", "fileb://nope.txt"]),
        ("both input files", vec!["--cli-input-json", "{}", "--cli-input-yaml", "{}"]),
        ("unknown key in input", vec!["--cli-input-json", "file://unknown-key.json"]),
        ("required key missing from input", vec!["--cli-input-json", "file://missing.json"]),
        ("wrong types in input", vec!["--cli-input-json", "file://types.json"]),
        ("input not a map", vec!["--cli-input-json", "file://list.json"]),
        ("input not JSON", vec!["--cli-input-json", "{"]),
        ("input not YAML", vec!["--cli-input-yaml", "file://bad.yaml"]),
        ("unsupported output", vec!["--room-identifier", ARN, "--event-name", "E", "--output", "table"]),
        ("bad query", vec!["--room-identifier", ARN, "--event-name", "E", "--query", "[[["]),
        ("unknown option", vec!["--room-identifier", ARN, "--event-name", "E", "--bogus"]),
        ("unknown skeleton", vec!["--generate-cli-skeleton", "xml"]),
        ("skeleton output checks the input", vec!["--generate-cli-skeleton", "output", "--room-identifier", "bad", "--event-name", "E"]),
        ("skeleton output needs the required options", vec!["--generate-cli-skeleton", "output"]),
    ];
    let mut report = String::new();
    for (name, args) in cases {
        let mut args = args.clone();
        args.extend(["--endpoint-url", &url]);
        let env: &[(&str, &str)] = if args.contains(&DOC_ARN) {
            &[("AWS_ACCESS_KEY_ID", "AKIDDOCEXAMPLEACCOUNT")]
        } else {
            &[]
        };
        let r = ours(d, &args, env).await;
        assert_eq!(r.code, 252, "{name}: {r:?}");
        assert!(r.stdout.is_empty(), "{name}: {r:?}");
        report.push_str(&format!("== {name}\n{}\n", r.stderr.replace(&url, "URL")));
    }
    assert!(emu.events().is_empty(), "something was sent");
    assert_eq!(emu.stats().requests, 0, "the service was asked");
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("send_event__invalid_input", report);
    });
    emu.shutdown().await.unwrap();
}

/// Our shorthand parser against `awscli.shorthand.ShorthandParser` on the
/// same inputs: hand-picked edge cases and generated ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shorthand_parser_agrees_with_the_aws_cli() {
    let venv = require_venv();
    let mut inputs: Vec<String> = [
        "a=b",
        "a=b,c=d",
        "a = b , c = d",
        " a=b",
        "a=b ",
        "a=b,\n c=d",
        "msgText=hello world",
        "k=a=b=c",
        r"k=a\,b",
        r"k=a\,b\,c,d=e",
        "k=a,b",
        "k=a,b,c=d",
        "k=a, b, c",
        "k='a, b'",
        r#"k="a, b""#,
        r"k='it\'s'",
        r#"k="\"q\"""#,
        r"k='\\'",
        "k=",
        "k=,j=1",
        "=v",
        "k=''",
        "k=[a,b]",
        "k=[]",
        "k=[a,[b,c]]",
        "k={a=b}",
        "k={a=b,c=[d]}",
        "k={}",
        "a=b,a=c",
        "",
        "a",
        "a=b,",
        "a=b,,c=d",
        "k='open",
        "k=\"open",
        "k=[a",
        "k={a=b",
        "k=a]",
        "k=a}",
        "k=x'y'",
        "k=(a+b)*c;d@e",
        "k=ü é ✓",
        "a.b-c_d#e/f:g=1",
        "k=a\tb",
        "k=a,\tb",
        "a=b\n,c=d",
        "a=b,\nc==d",
        "a@=x",
        "a @= x",
        "a=b,c",
        "k=v,,",
        "k=[a,,b]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Generated: short strings over the characters that matter.
    let alphabet: Vec<char> = "ab=,'\"\\[]{} \n@".chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..1500 {
        let mut s = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 1 + (state % 10) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        inputs.push(s);
    }

    let script = r#"
import json, sys
from awscli.shorthand import ShorthandParser, ShorthandParseError
out = []
for s in json.load(sys.stdin):
    try:
        out.append({"ok": ShorthandParser().parse(s)})
    except ShorthandParseError as e:
        out.append({"err": str(e)})
    except Exception as e:
        out.append({"crash": repr(e)})
json.dump(out, sys.stdout)
"#;
    let mut c = clean_command(venv.join("bin/python"), Path::new("."));
    c.args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&inputs).unwrap().as_bytes())
            .await
            .unwrap();
    }
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();

    let mut compared = 0;
    for (input, theirs) in inputs.iter().zip(&theirs) {
        if theirs.get("crash").is_some() {
            // Python raised something other than a parse error (an index
            // out of range on some malformed inputs); ours must just not
            // panic, which parsing it proves.
            let _ = shorthand::parse_plain(input);
            continue;
        }
        let mine = match shorthand::parse_plain(input) {
            Ok(map) => serde_json::json!({"ok": Shorthand::Map(map).to_json()}),
            Err(e) => serde_json::json!({"err": e.message}),
        };
        assert_eq!(&mine, theirs, "input {input:?}");
        compared += 1;
    }
    assert!(compared > 1000, "{compared}");
}

#[test]
fn paramfile_reads_text_relative_to_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("v.txt"), "value\n").unwrap();
    assert_eq!(
        paramfile("file://v.txt", dir.path()).unwrap().as_deref(),
        Some("value\n"),
        "used as it is, newline included, as the AWS CLI does"
    );
    std::fs::write(dir.path().join("bin"), [0xff, 0xfe]).unwrap();
    assert!(
        paramfile("file://bin", dir.path())
            .unwrap_err()
            .contains("UTF-8")
    );
}

/// Input nested deeper than any real one is refused as invalid (252)
/// before a parser recurses into it: no stack overflow (134).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_input_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let emu = emulator(true).await;
    let url = emu.endpoint_url();
    write(
        dir.path(),
        "deep.json",
        &format!("{}1{}", "{\"a\":".repeat(25_000), "}".repeat(25_000)),
    );
    write(
        dir.path(),
        "short.txt",
        &format!("a={}{}", "[".repeat(25_000), "]".repeat(25_000)),
    );
    let query = format!("{}a{}", "[".repeat(15_000), "]".repeat(15_000));
    let base = [
        "--room-identifier",
        ARN,
        "--event-name",
        "E",
        "--endpoint-url",
        &url,
    ];
    for extra in [
        vec!["--attributes", "file://deep.json"],
        vec!["--attributes", "file://short.txt"],
        vec!["--attributes", "a=b", "--query", &query],
        vec!["--cli-input-json", "file://deep.json"],
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let r = ours(dir.path(), &args, &[]).await;
        assert_eq!(r.code, 252, "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains("levels deep"), "{extra:?}: {}", r.stderr);
    }
    assert!(emu.events().is_empty(), "nothing was sent");
}
