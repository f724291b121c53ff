//! `send-event` output: formats and queries, skeletons, and the same
//! command lines side by side with the real AWS CLI.

use ivschat_playbook::emulator::FaultConfig;

use crate::support::{clean_command, require_venv};

use super::{ARN, attrs, emulator, ours, printed_id, run, write};

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
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
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
