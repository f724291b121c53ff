//! `send-event` end to end: the binary against an emulator started in
//! process, for every form of input, every error and its exit code; then
//! side by side with the real AWS CLI (from the venv of
//! `scripts/setup-venv`); and our shorthand parser against the AWS CLI's.

use std::path::Path;
use std::time::Duration;

use indexmap::IndexMap;
use ivschat_playbook::app::commands::send_event::input::paramfile;
use ivschat_playbook::app::commands::send_event::shorthand::{self, Shorthand};
use ivschat_playbook::emulator::{self, EmulatorConfig, EmulatorHandle, FaultConfig};

use crate::support::{clean_command, require_venv};

const ARN: &str = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6";
/// The ARN of the AWS documentation's example (its account id has 11 digits).
const DOC_ARN: &str = "arn:aws:ivschat:us-west-2:12345689012:room/g1H2I3j4k5L6";

#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `ivschat-playbook send-event ARGS` with a clean environment plus
/// `env` (an empty value removes the variable).
async fn ours(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut c = clean_command(env!("CARGO_BIN_EXE_ivschat-playbook"), dir);
    c.arg("send-event").args(args);
    for (k, v) in env {
        if v.is_empty() {
            c.env_remove(k);
        } else {
            c.env(k, v);
        }
    }
    run(c).await
}

async fn run(mut c: tokio::process::Command) -> Ran {
    let out = tokio::time::timeout(Duration::from_secs(60), c.output())
        .await
        .expect("finishes within a minute")
        .expect("starts");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn emulator(auto_create_rooms: bool) -> EmulatorHandle {
    emulator::spawn(EmulatorConfig {
        auto_create_rooms,
        ..Default::default()
    })
    .await
    .unwrap()
}

/// The id in `{"id": "..."}` printed the AWS CLI's way, or a panic.
fn printed_id(r: &Ran) -> String {
    assert_eq!(r.code, 0, "{r:?}");
    let id = r
        .stdout
        .strip_prefix("{\n    \"id\": \"")
        .and_then(|s| s.strip_suffix("\"\n}\n"))
        .unwrap_or_else(|| panic!("not the AWS CLI's JSON: {:?}", r.stdout));
    assert!(
        id.len() == 12 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    id.to_string()
}

fn attrs(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A success case: its name, the arguments, and the event name and
/// attributes that must arrive.
type Case<'a> = (&'a str, Vec<&'a str>, &'a str, IndexMap<String, String>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_of_input_sends_what_it_says() {
    let emu = emulator(true).await;
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
        let r = ours(d, &args, &[]).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_formats_and_queries() {
    let emu = emulator(true).await;
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "--room-identifier",
        ARN,
        "--event-name",
        "E",
        "--endpoint-url",
        &url,
    ];
    let with = |extra: &[&'static str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend(extra);
        a
    };
    let id_of_last = || emu.events().pop().unwrap().id;

    let r = ours(dir.path(), &with(&["--output", "text"]), &[]).await;
    assert_eq!(
        (r.code, r.stdout.clone()),
        (0, format!("{}\n", id_of_last()))
    );
    let r = ours(dir.path(), &with(&[]), &[("AWS_DEFAULT_OUTPUT", "text")]).await;
    assert_eq!(r.stdout, format!("{}\n", id_of_last()));
    let r = ours(dir.path(), &with(&["--output", "yaml"]), &[]).await;
    assert_eq!(r.stdout, format!("id: {}\n", id_of_last()));
    let r = ours(dir.path(), &with(&["--query", "id"]), &[]).await;
    assert_eq!(r.stdout, format!("\"{}\"\n", id_of_last()));
    let r = ours(
        dir.path(),
        &with(&["--query", "{messageId: id}", "--output", "text"]),
        &[],
    )
    .await;
    assert_eq!(r.stdout, format!("{}\n", id_of_last()));
    let r = ours(dir.path(), &with(&["--query", "nothing"]), &[]).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "null\n"));
    // No region configured anywhere: the room's is used, and nothing asks
    // the instance metadata service or complains.
    let r = ours(
        dir.path(),
        &with(&[]),
        &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "")],
    )
    .await;
    assert_eq!(printed_id(&r), id_of_last());
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skeletons_need_no_credentials_and_send_nothing() {
    let emu = emulator(true).await;
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let no_creds = [("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];

    let input = ours(d, &["--generate-cli-skeleton"], &no_creds).await;
    assert_eq!(input.code, 0, "{input:?}");
    let named = ours(d, &["--generate-cli-skeleton", "input"], &no_creds).await;
    assert_eq!(named.stdout, input.stdout);
    let yaml = ours(d, &["--generate-cli-skeleton", "yaml-input"], &no_creds).await;
    assert_eq!(yaml.code, 0);
    let output = ours(
        d,
        &[
            "--generate-cli-skeleton",
            "output",
            "--room-identifier",
            ARN,
            "--event-name",
            "E",
            "--endpoint-url",
            &url,
        ],
        &no_creds,
    )
    .await;
    assert_eq!(output.code, 0, "{output:?}");
    let text = ours(
        d,
        &[
            "--generate-cli-skeleton",
            "output",
            "--room-identifier",
            ARN,
            "--event-name",
            "E",
            "--output",
            "text",
        ],
        &no_creds,
    )
    .await;
    assert_eq!(text.stdout, "id\n");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("send_event__skeleton_input", input.stdout);
        insta::assert_snapshot!("send_event__skeleton_yaml_input", yaml.stdout);
        insta::assert_snapshot!("send_event__skeleton_output", output.stdout);
    });

    // The skeletons, filled in, are valid inputs.
    let json = input
        .stdout
        .replacen(
            "\"roomIdentifier\": \"\"",
            &format!("\"roomIdentifier\": \"{ARN}\""),
            1,
        )
        .replacen("\"eventName\": \"\"", "\"eventName\": \"FromSkeleton\"", 1);
    write(d, "filled.json", &json);
    let r = ours(
        d,
        &[
            "--cli-input-json",
            "file://filled.json",
            "--endpoint-url",
            &url,
        ],
        &[],
    )
    .await;
    printed_id(&r);
    let yaml_filled = yaml
        .stdout
        .replacen("roomIdentifier: ''", &format!("roomIdentifier: '{ARN}'"), 1)
        .replacen("eventName: ''", "eventName: 'FromYamlSkeleton'", 1);
    write(d, "filled.yaml", &yaml_filled);
    let r = ours(
        d,
        &[
            "--cli-input-yaml",
            "file://filled.yaml",
            "--endpoint-url",
            &url,
        ],
        &[],
    )
    .await;
    printed_id(&r);
    let names: Vec<String> = emu.events().into_iter().map(|e| e.event_name).collect();
    assert_eq!(
        names,
        ["FromSkeleton", "FromYamlSkeleton"],
        "the skeletons sent nothing"
    );
    assert_eq!(emu.events()[0].attributes, attrs(&[("KeyName", "")]));
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
        let r = ours(d, &args, &[]).await;
        assert_eq!(r.code, 252, "{name}: {r:?}");
        assert!(r.stdout.is_empty(), "{name}: {r:?}");
        report.push_str(&format!("== {name}\n{}\n", r.stderr.replace(&url, "URL")));
    }
    assert!(emu.events().is_empty(), "something was sent");
    assert_eq!(emu.stats().requests, 0, "the service was asked");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("send_event__invalid_input", report);
    });
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_exit_254_and_are_told_like_the_aws_cli() {
    let emu = emulator(false).await;
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = [
        "--room-identifier",
        ARN,
        "--event-name",
        "E",
        "--endpoint-url",
        &url,
    ];

    // Not found: never retried.
    let r = ours(d, &args, &[]).await;
    assert_eq!(r.code, 254, "{r:?}");
    assert_eq!(
        r.stderr,
        format!(
            "\nAn error occurred (ResourceNotFoundException) when calling the SendEvent operation: Room not found: {ARN}\n"
        )
    );
    assert!(r.stdout.is_empty());
    assert_eq!(emu.stats().requests, 1);

    // Throttled: retried with backoff up to the attempts allowed, then told
    // with the number of retries, as the AWS CLI does.
    emu.set_faults(FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let before = emu.stats().requests;
    let r = ours(d, &args, &[("AWS_MAX_ATTEMPTS", "3")]).await;
    assert_eq!(r.code, 254, "{r:?}");
    assert!(
        r.stderr.starts_with(
            "\nAn error occurred (ThrottlingException) when calling the SendEvent operation (reached max retries: 2): "
        ),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats().requests - before, 3, "three attempts");
    let before = emu.stats().requests;
    let r = ours(d, &[&args[..], &["--max-attempts", "1"]].concat(), &[]).await;
    assert!(
        r.stderr.contains("(reached max retries: 0)"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats().requests - before, 1);

    // 5xx: retried too.
    emu.set_faults(FaultConfig {
        error_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let r = ours(d, &args, &[("AWS_MAX_ATTEMPTS", "2")]).await;
    assert_eq!(r.code, 254, "{r:?}");
    assert!(
        r.stderr
            .contains("Exception) when calling the SendEvent operation (reached max retries: 1): "),
        "{}",
        r.stderr
    );

    // Throttled at first, then through: the retries are invisible but for
    // the time they take.
    emu.set_faults(FaultConfig {
        throttle_rate: 0.5,
        seed: Some(7),
        ..Default::default()
    })
    .unwrap();
    let auto = emulator(true).await;
    auto.set_faults(emu.faults()).unwrap();
    let auto_url = auto.endpoint_url();
    for _ in 0..4 {
        let r = ours(
            d,
            &[
                "--room-identifier",
                ARN,
                "--event-name",
                "E",
                "--endpoint-url",
                &auto_url,
            ],
            &[("AWS_MAX_ATTEMPTS", "20")],
        )
        .await;
        printed_id(&r);
    }
    assert_eq!(auto.events().len(), 4);
    assert!(
        auto.stats().throttled > 0,
        "some attempts were throttled and retried"
    );
    auto.shutdown().await.unwrap();
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_connection_exits_255_and_no_credentials_253() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let args = [
        "--room-identifier",
        ARN,
        "--event-name",
        "E",
        "--endpoint-url",
        &closed,
    ];
    let r = ours(d, &args, &[("AWS_MAX_ATTEMPTS", "1")]).await;
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stdout.is_empty());

    let r = ours(
        d,
        &args,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    )
    .await;
    assert_eq!(r.code, 253, "{r:?}");
    assert!(
        r.stderr.contains("Unable to locate credentials"),
        "{}",
        r.stderr
    );
}

/// The same command lines through the real AWS CLI (v1, from the venv) and
/// through `ivschat-playbook send-event`, against one emulator: the same
/// stdout, the same error line, and the exit codes that differ only as
/// documented (docs/cli.md): AWS CLI v1 exits 255 for every failure but a
/// parse error (2); we use AWS CLI v2's codes (252 input, 254 service).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn side_by_side_with_the_aws_cli() {
    let venv = require_venv();
    let aws = venv.join("bin/aws");
    let emu = emulator(true).await;
    let url = emu.endpoint_url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "input.json",
        &format!(
            r#"{{"roomIdentifier": "{ARN}", "eventName": "FromFile", "attributes": {{"a": "file"}}}}"#
        ),
    );
    let env = [
        ("AWS_MAX_ATTEMPTS", "1"),
        ("AWS_RETRY_MODE", "legacy"),
        ("AWS_PAGER", ""),
        ("PYTHONDONTWRITEBYTECODE", "1"),
    ];
    let both = |args: Vec<String>| {
        let aws = aws.clone();
        let url = url.clone();
        async move {
            let mut full = args.clone();
            full.extend(["--endpoint-url".to_string(), url]);
            let mut c = clean_command(&aws, d);
            c.args(["ivschat", "send-event"]).args(&full);
            for (k, v) in env {
                c.env(k, v);
            }
            let theirs = run(c).await;
            let refs: Vec<&str> = full.iter().map(String::as_str).collect();
            let mine = ours(d, &refs, &env).await;
            (theirs, mine)
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    // Success: byte-identical output but for the id, and the same event.
    for extra in [
        vec![],
        vec![
            "--attributes",
            "msgType=user-notification,msgText=The room closes in 15 minutes\\, sorry.",
        ],
        vec!["--attributes", r#"{"msgText": "JSON ü"}"#],
        vec!["--output", "text"],
        vec!["--query", "id"],
        vec!["--query", "[id, id]", "--output", "text"],
    ] {
        let mut args = s(&["--room-identifier", ARN, "--event-name", "E"]);
        args.extend(s(&extra));
        let (theirs, mine) = both(args).await;
        assert_eq!(
            (theirs.code, mine.code),
            (0, 0),
            "{extra:?}\n{theirs:?}\n{mine:?}"
        );
        let events = emu.events();
        let [.., a, b] = events.as_slice() else {
            panic!("two events")
        };
        assert_eq!(
            (&a.event_name, &a.attributes),
            (&b.event_name, &b.attributes),
            "{extra:?}"
        );
        assert_eq!(
            theirs.stdout.replace(&a.id, "ID"),
            mine.stdout.replace(&b.id, "ID"),
            "{extra:?}"
        );
    }
    // An input file with an option overriding it.
    let (theirs, mine) = both(s(&[
        "--cli-input-json",
        "file://input.json",
        "--event-name",
        "Over",
    ]))
    .await;
    assert_eq!((theirs.code, mine.code), (0, 0), "{theirs:?}\n{mine:?}");
    let events = emu.events();
    let [.., a, b] = events.as_slice() else {
        panic!("two events")
    };
    assert_eq!(
        (&a.event_name, &a.attributes),
        (&b.event_name, &b.attributes)
    );
    assert_eq!(a.event_name, "Over");

    // The input skeleton, byte for byte.
    let (theirs, mine) = both(s(&["--generate-cli-skeleton"])).await;
    assert_eq!((theirs.code, mine.code), (0, 0));
    assert_eq!(theirs.stdout, mine.stdout);

    // Invalid input, found before sending by both: v1 exits 255, we 252
    // (v2's code for parameter validation).
    let (theirs, mine) = both(s(&["--room-identifier", ARN, "--event-name", ""])).await;
    assert_eq!((theirs.code, mine.code), (255, 252), "{theirs:?}\n{mine:?}");
    assert!(theirs.stdout.is_empty() && mine.stdout.is_empty());
    // A missing required option: v1's parser exits 2, we 252 (v2's code).
    let (theirs, mine) = both(s(&["--event-name", "E"])).await;
    assert_eq!((theirs.code, mine.code), (2, 252), "{theirs:?}\n{mine:?}");
    // A pattern the AWS CLI leaves to the service (which refuses it: v1
    // 255, v2 254); we refuse it before sending (252).
    let sent = emu.stats().requests;
    let (theirs, mine) = both(s(&[
        "--room-identifier",
        "arn:aws:ivschat:us-west-2:1:room/a_b",
        "--event-name",
        "E",
    ]))
    .await;
    assert_eq!((theirs.code, mine.code), (255, 252), "{theirs:?}\n{mine:?}");
    assert!(
        theirs.stderr.contains("(ValidationException)"),
        "{}",
        theirs.stderr
    );
    assert_eq!(
        emu.stats().requests,
        sent + 1,
        "only the AWS CLI asked the service"
    );

    // Throttled, no retries allowed: the same error line; v1 exits 255, we
    // 254 (v2's code for an error answer from the service).
    emu.set_faults(FaultConfig {
        throttle_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let (theirs, mine) = both(s(&["--room-identifier", ARN, "--event-name", "E"])).await;
    assert_eq!((theirs.code, mine.code), (255, 254), "{theirs:?}\n{mine:?}");
    assert!(theirs.stdout.is_empty() && mine.stdout.is_empty());
    assert!(
        mine.stderr.contains("(ThrottlingException)"),
        "{}",
        mine.stderr
    );
    assert_eq!(theirs.stderr, mine.stderr);
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
