//! A playbook from a pull request is untrusted: what it names must not make
//! the tool read, quote or hang on files outside its project, special files,
//! or link loops. Each test runs the real binary with secrets in its
//! environment and checks that none of them is printed.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::support::{bin, clean_command};

const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEYVALUE";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENVALUE";
const ROOM: &str = "arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456";

/// A project folder (it holds `.git`) and its path.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

fn playbook(dir: &Path, extra: &str) -> std::path::PathBuf {
    let p = dir.join("playbook.yaml");
    std::fs::write(
        &p,
        format!("version: 1\n{extra}rooms:\n  - {ROOM}\nevents:\n  - name: Hello\n"),
    )
    .unwrap();
    p
}

/// Runs the binary (20 s at most) with secrets in the environment.
async fn run(dir: &Path, args: &[&str]) -> Output {
    let child = clean_command(bin(), dir)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{args:?} did not finish"))
        .unwrap()
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// validate, plan and run --local on the playbook: each refuses with
/// `code`, and no secret appears anywhere in what they print.
async fn refused_everywhere(dir: &Path, code: &str) {
    for args in [
        &["validate", "playbook.yaml"][..],
        &["plan", "playbook.yaml"],
        &["run", "--local", "playbook.yaml"],
    ] {
        let out = run(dir, args).await;
        let text = all(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(code), "{args:?}: {text}");
        for s in [SECRET, TOKEN] {
            assert!(!text.contains(s), "{args:?} printed a secret: {text}");
        }
    }
}

#[tokio::test]
async fn an_include_of_the_environment_is_not_read() {
    let dir = project();
    playbook(dir.path(), "include: [/proc/self/environ]\n");
    refused_everywhere(dir.path(), "playbook::outside-root").await;
}

#[tokio::test]
async fn a_committed_link_to_the_environment_is_not_read() {
    let dir = project();
    std::fs::create_dir(dir.path().join("rooms")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", dir.path().join("rooms/prod.yaml")).unwrap();
    playbook(dir.path(), "include: [rooms/prod.yaml]\n");
    refused_everywhere(dir.path(), "playbook::outside-root").await;
}

#[tokio::test]
async fn a_path_up_and_out_of_the_project_is_not_read() {
    let dir = project();
    playbook(dir.path(), "include: [../../../../../../../etc/passwd]\n");
    refused_everywhere(dir.path(), "playbook::outside-root").await;
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    assert!(!all(&out).contains("root:"), "{}", all(&out));
}

#[tokio::test]
async fn catalog_paths_and_globs_stay_in_the_project() {
    let dir = project();
    for catalog in ["/etc/*", "/**/*.yaml", "../../../../etc/passwd"] {
        playbook(dir.path(), &format!("catalog: \"{catalog}\"\n"));
        let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
        let text = all(&out);
        assert_eq!(out.status.code(), Some(2), "{catalog}: {text}");
        assert!(text.contains("playbook::outside-root"), "{catalog}: {text}");
    }
}

#[tokio::test]
async fn a_playbook_folder_link_out_of_the_project_is_not_read() {
    let dir = project();
    std::fs::create_dir(dir.path().join("team")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", dir.path().join("team/a.yaml")).unwrap();
    let out = run(dir.path(), &["validate", "team"]).await;
    let text = all(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("playbook::outside-root"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn root_widens_what_a_playbook_may_reach() {
    let dir = project();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("rooms.yaml"),
        format!("rooms:\n  - {{ arn: \"{ROOM}\", name: lobby }}\n"),
    )
    .unwrap();
    let inc = outside.path().join("rooms.yaml");
    playbook(dir.path(), &format!("include: [\"{}\"]\n", inc.display()));
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    assert!(
        all(&out).contains("playbook::outside-root"),
        "{}",
        all(&out)
    );
    let root = outside
        .path()
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let out = run(dir.path(), &["validate", "--root", &root, "playbook.yaml"]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "the playbook's own rooms repeat: {}",
        all(&out)
    );
    assert!(!all(&out).contains("outside-root"), "{}", all(&out));
}

#[tokio::test]
async fn special_files_are_refused_without_blocking_or_reading_forever() {
    let dir = project();
    let fifo = dir.path().join("pipe.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    playbook(dir.path(), "include: [pipe.yaml]\n");
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    let text = all(&out);
    assert!(text.contains("playbook::include-unreadable"), "{text}");
    assert!(text.contains("a pipe"), "{text}");
    // Devices, reached with the project widened to everything.
    playbook(dir.path(), "include: [/dev/zero]\n");
    let out = run(dir.path(), &["validate", "--root", "/", "playbook.yaml"]).await;
    let text = all(&out);
    assert!(text.contains("a device, not a regular file"), "{text}");
    // The other readers: a report, a resume, an emulator's rooms.
    playbook(dir.path(), "");
    for args in [
        &["report", "pipe.yaml"][..],
        &["report", "/dev/zero"],
        &["run", "--local", "--resume", "pipe.yaml", "playbook.yaml"],
        &[
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--rooms",
            "/dev/zero",
        ],
        &[
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--rooms",
            "pipe.yaml",
        ],
    ] {
        let out = run(dir.path(), args).await;
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", all(&out));
        assert!(
            all(&out).contains("regular file"),
            "{args:?}: {}",
            all(&out)
        );
    }
}

#[tokio::test]
async fn a_file_that_reports_no_size_is_held_to_the_limit_as_read() {
    // /proc files report a length of 0; the limit counts bytes read. A
    // stand-in: a file over the limit is refused without being held.
    let dir = project();
    std::fs::File::create(dir.path().join("big.yaml"))
        .unwrap()
        .set_len(65 << 20)
        .unwrap();
    playbook(dir.path(), "include: [big.yaml]\n");
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    assert!(
        all(&out).contains("playbook::file-too-large"),
        "{}",
        all(&out)
    );
}

#[tokio::test]
async fn a_binary_file_is_not_quoted() {
    let dir = project();
    std::fs::write(
        dir.path().join("env.yaml"),
        format!("AWS_SECRET_ACCESS_KEY={SECRET}\0AWS_SESSION_TOKEN={TOKEN}\0"),
    )
    .unwrap();
    playbook(dir.path(), "include: [env.yaml]\n");
    refused_everywhere(dir.path(), "playbook::not-utf8").await;
}

#[tokio::test]
async fn glob_walks_do_not_follow_link_loops() {
    let dir = project();
    let events = dir.path().join("events");
    std::fs::create_dir(&events).unwrap();
    std::fs::write(
        events.join("hello.yaml"),
        "name: Hello\nversion: 1\nattributes: {}\n",
    )
    .unwrap();
    // One link to a parent, and two that point at each other's folders.
    std::os::unix::fs::symlink("..", events.join("up")).unwrap();
    std::fs::create_dir(events.join("a")).unwrap();
    std::fs::create_dir(events.join("b")).unwrap();
    std::os::unix::fs::symlink("../b", events.join("a/to-b")).unwrap();
    std::os::unix::fs::symlink("../a", events.join("b/to-a")).unwrap();
    playbook(dir.path(), "catalog: \"events/**/*.yaml\"\n");
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    let text = all(&out);
    assert!(!text.contains("duplicate-definition"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

/// SIGTERM while a large playbook is still being read ends the process at
/// once, before anything is journaled or sent.
#[tokio::test]
async fn sigterm_while_loading_ends_the_run() {
    let dir = project();
    let mut rooms = String::from("version: 1\nrooms:\n");
    for i in 0..100_000 {
        rooms.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:123456789012:room/r{i:07}\n"
        ));
    }
    rooms.push_str("events:\n  - name: Hello\n");
    std::fs::write(dir.path().join("big.yaml"), rooms).unwrap();
    let child = clean_command(bin(), dir.path())
        .args(["run", "--local", "--journal", "j.jsonl", "big.yaml"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("ends")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?} to stop",
        started.elapsed()
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{out:?}");
    assert!(
        !dir.path().join("j.jsonl").exists(),
        "nothing was journaled"
    );
}

/// A playbook of `rooms` rooms whose one event has the attribute `a: tpl`.
fn template_playbook(dir: &Path, rooms: usize, tpl: &str) {
    let mut y = String::from("version: 1\nrooms:\n");
    for i in 0..rooms {
        y.push_str(&format!(
            "  - arn:aws:ivschat:us-west-2:123456789012:room/{i:012}\n"
        ));
    }
    y.push_str(&format!(
        "events:\n  - name: Hello\n    attributes:\n      a: {}\n",
        serde_json::to_string(tpl).unwrap()
    ));
    std::fs::write(dir.join("playbook.yaml"), y).unwrap();
}

/// Templates that ask for gigabytes in a few hundred bytes of source: each
/// stops at its fuel (minijinja charges fuel for the bytes an operation
/// builds) with the template's line, instead of growing without bound.
#[tokio::test]
async fn template_memory_bombs_stop_with_an_error() {
    let doubling = format!(
        "{{% set x = 'ab' %}}{}{{{{ x }}}}",
        "{% set x = x ~ x %}".repeat(40)
    );
    let bombs = [
        doubling.as_str(),
        "{% set ns = namespace(x='ab') %}{% for i in range(60) %}{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x }}",
        "{% set x = 'a' * 99999999 %}{{ x ~ x ~ x ~ x }}",
        "{{ 'x'|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|replace('', 'abcdefghij')|length }}",
        "{{ ('ab' ~ 'cd')|indent(99999999)|length }}",
        "{{ '%099999999d'|format(1)|length }}",
    ];
    for tpl in bombs {
        let dir = project();
        template_playbook(dir.path(), 1, tpl);
        let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
        let text = all(&out);
        assert_eq!(out.status.code(), Some(2), "{tpl}: {text}");
        assert!(text.contains("playbook.yaml:7:10"), "{tpl}: {text}");
        assert!(text.contains("ran out of fuel"), "{tpl}: {text}");
    }
}

/// A template that spins costs its fuel once, not once per room: 20,000
/// rooms (at milliseconds per spin, minutes before) are checked at once,
/// with one diagnostic.
#[tokio::test]
async fn a_spinning_template_is_given_up_after_the_first_room() {
    let dir = project();
    template_playbook(
        dir.path(),
        20_000,
        "{% for i in range(100000) %}{{ i }}{% endfor %}",
    );
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    let text = all(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(text.matches("ran out of fuel").count(), 1, "{text}");
}

/// Rooms are rendered on several threads, but what a spinning template
/// does to the rooms after it is what rendering them in order does: the
/// room it first spins for is reported, and the rooms after it are not
/// tried, so only the rooms before it count as missing a variable.
#[tokio::test]
async fn a_spinning_template_gives_up_in_plan_order_on_any_thread() {
    let dir = project();
    let mut y = String::from("version: 1\nrooms:\n");
    for i in 0..600 {
        let name = if i == 300 {
            "spin".to_string()
        } else {
            format!("r{i}")
        };
        let vars = if i % 2 == 0 { "{ n: 1 }" } else { "{}" };
        y.push_str(&format!(
            "  - arn: arn:aws:ivschat:us-west-2:123456789012:room/{i:012}\n    name: {name}\n    vars: {vars}\n"
        ));
    }
    y.push_str(
        "events:\n  - name: Hello\n    attributes:\n      a: \"{% if room.name == 'spin' %}{% for i in range(100000) %}{{ i }}{% endfor %}{% endif %}{{ n }}\"\n",
    );
    std::fs::write(dir.path().join("playbook.yaml"), y).unwrap();
    for _ in 0..3 {
        let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
        let text = all(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert_eq!(text.matches("ran out of fuel").count(), 1, "{text}");
        assert!(text.contains("for room `spin`"), "{text}");
        assert!(
            text.contains("for 150 of 600 rooms, such as `r1`"),
            "{text}"
        );
    }
}

/// Nesting is bounded: 200,000 levels of `a: : : …` in one line (each open
/// level used to keep its whole pointer: 16,000 levels took 300 MB) stop
/// at the limit with `yaml::too-deep`.
#[tokio::test]
async fn deep_nesting_stops_at_the_limit() {
    let dir = project();
    std::fs::write(
        dir.path().join("playbook.yaml"),
        format!("version: 1\ncatalog: [..{}]\n", ": ".repeat(200_000)),
    )
    .unwrap();
    let out = run(dir.path(), &["validate", "playbook.yaml"]).await;
    let text = all(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(text.matches("yaml::too-deep").count(), 1, "{text}");
}
