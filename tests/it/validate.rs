//! Validation against the invalid fixtures: each names the code it must
//! produce on its first line (`# expect: CODE`), and the exact diagnostics
//! are snapshot-tested.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use ivschat_playbook::diag::{DiagFormat, Diagnostic, Severity};
use ivschat_playbook::pipeline::{Planned, plan_files};
use ivschat_playbook::plan::SettingsOverrides;

use crate::support::fixtures::{expected_diagnostic, fixtures, root};

fn run(path: &Path) -> Planned {
    plan_files(
        &[path.to_path_buf()],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    )
}

#[test]
fn every_invalid_fixture_reports_its_code_at_a_place() {
    let files = fixtures("tests/fixtures/invalid");
    assert!(files.len() >= 30, "only {} invalid fixtures", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let planned = run(path);
        match expected_diagnostic(path, &planned) {
            Err(failure) => failures.push(failure),
            Ok(d) => {
                if d.severity == Severity::Error {
                    assert!(
                        planned.plan.is_none(),
                        "{}: an invalid playbook was planned",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_fixture_diagnostics_match_snapshots() {
    for path in fixtures("tests/fixtures/invalid") {
        let planned = run(&path);
        let text = planned
            .sources
            .render(&planned.diagnostics, DiagFormat::Human, false);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("invalid__{name}"), text);
        });
    }
}

#[test]
fn json_and_github_formats_carry_file_line_column_and_code() {
    let planned = run(Path::new("tests/fixtures/invalid/unknown-room-in-to.yaml"));
    let json: serde_json::Value = serde_json::from_str(&planned.sources.render(
        &planned.diagnostics,
        DiagFormat::Json,
        false,
    ))
    .unwrap();
    let first = &json[0];
    assert_eq!(first["code"], "playbook::unknown-room");
    assert_eq!(
        first["file"],
        "tests/fixtures/invalid/unknown-room-in-to.yaml"
    );
    assert_eq!(first["line"], 10);
    assert_eq!(first["column"], 20);
    assert_eq!(first["hint"], "did you mean `us-lobby`?");
    let gh = planned
        .sources
        .render(&planned.diagnostics, DiagFormat::Github, false);
    assert_eq!(
        gh,
        "::error file=tests/fixtures/invalid/unknown-room-in-to.yaml,line=10,col=20,endColumn=27,title=playbook%3A%3Aunknown-room::no room is named `us-loby`%0Ahint: did you mean `us-lobby`?\n"
    );
}

#[test]
fn all_problems_in_one_pass() {
    let planned = run(Path::new("tests/fixtures/many-problems.yaml"));
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    for expect in [
        "playbook::unsupported-version",
        "playbook::unknown-key",
        "playbook::rate-over-quota",
        "playbook::duplicate-room",
        "playbook::unknown-region",
        "playbook::invalid-arn",
        "playbook::event-name-length",
        "playbook::attribute-not-string",
        "playbook::unknown-room",
        "playbook::unknown-tag",
        "playbook::undefined-variable",
        "playbook::invalid-target",
    ] {
        assert!(codes.contains(&expect), "missing {expect} in {codes:?}");
    }
}

#[test]
fn several_playbooks_and_folders() {
    let planned = plan_files(
        &[
            root().join("playbooks"),
            root().join("playbooks/maintenance-window.yaml"),
        ],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    assert!(!planned.has_errors(), "{:?}", planned.diagnostics);
    let examples = fixtures("playbooks").len();
    assert_eq!(planned.files, examples, "a file named twice is read once");
    let empty = tempfile::tempdir().unwrap();
    let planned = plan_files(
        &[empty.path().to_path_buf()],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    assert_eq!(planned.diagnostics[0].code, "playbook::no-playbooks");
}

#[test]
fn unreadable_inputs_are_diagnostics_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("latin1.yaml");
    std::fs::write(&bin, b"version: 1\nname: caf\xe9\n").unwrap();
    let missing = dir.path().join("missing.yaml");
    let planned = plan_files(
        &[bin, missing],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec!["playbook::not-utf8", "playbook::file-not-found"]
    );
}

#[test]
fn truncated_and_mangled_inputs_never_panic() {
    // Every fixture and example, cut at many places and with bytes swapped,
    // must give diagnostics, never a panic or a hang.
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = fixtures("tests/fixtures/invalid");
    files.extend(fixtures("playbooks"));
    let mut runs = 0;
    for path in files {
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        let cuts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .filter(|i| i % 11 == 0)
            .collect();
        for cut in cuts {
            let mut variants = vec![text[..cut].to_string()];
            let mut swapped = text.clone();
            if let Some(c) = swapped[cut..].chars().next() {
                let replacement = match c {
                    ':' => "-",
                    '-' => ":",
                    ' ' => "\t",
                    '[' | '{' => "]",
                    _ => "\"",
                };
                swapped.replace_range(cut..cut + c.len_utf8(), replacement);
            }
            variants.push(swapped);
            for v in variants {
                let p = dir.path().join("m.yaml");
                std::fs::write(&p, v).unwrap();
                let _ = run(&p);
                runs += 1;
            }
        }
    }
    assert!(runs > 500);
}

#[test]
fn a_folder_reports_broken_links_instead_of_skipping_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/fixtures/invalid/unknown-tag.yaml"),
        dir.path().join("a.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.yaml"),
        dir.path().join("dangling.yml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("folder.yaml")).unwrap();
    let planned = plan_files(
        &[dir.path().to_path_buf()],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"playbook::unknown-tag"), "{codes:?}");
    assert!(codes.contains(&"playbook::file-not-found"), "{codes:?}");
    assert_eq!(
        codes.len(),
        2,
        "the folder named folder.yaml is not a playbook: {codes:?}"
    );
}

/// What a checked playbook made of its rooms, and its diagnostics that
/// `keep` keeps, each with where it points, sorted: two ways of reading the
/// same rooms must give the same lines.
fn rooms_and_diagnostics(
    path: &Path,
    keep: impl Fn(&Diagnostic) -> bool,
) -> (Vec<String>, Vec<String>) {
    let checked = ivschat_playbook::pipeline::check_files(&[path.to_path_buf()], None);
    let rooms: Vec<String> = checked
        .playbooks
        .iter()
        .flat_map(|p| &p.rooms)
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?} {}..{}",
                r.arn, r.name, r.tags, r.vars, r.at.start, r.at.end
            )
        })
        .collect();
    let mut diags: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| keep(d))
        .map(|d| {
            let at = d.location.map(|l| (l.file, l.start, l.end));
            format!("{} {} {:?}", d.code, d.message, at)
        })
        .collect();
    diags.sort();
    (rooms, diags)
}

/// Room entries that are certainly valid become rooms while their file is
/// read; every other entry is checked with the document. Reading the same
/// text the careful way (a tag anywhere makes the parser take it, and it
/// comes after the rooms here, so the rooms taken early are dropped again)
/// must give the same rooms and the same diagnostics.
#[test]
fn rooms_taken_while_reading_match_the_careful_way() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = "rooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/inv1\n  - { arn: \"arn:aws:ivschat:eu-west-1:123456789012:room/inv2\", name: inv-two, tags: [eu] }\n  - { arn: not-an-arn, name: broken-inv }\n";
    let playbook = |name: &str| {
        format!(
            "version: 1\ninclude: [rooms.yaml]\nrooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/a1\n  - arn: arn:aws:ivschat:us-west-2:123456789012:room/a2\n    name: two\n    tags: [beta, eu]\n    vars: {{ n: \"2\", on: true }}\n  - {{ arn: arn:aws:ivschat:us-west-2:123456789012:room/a3, nmae: typo }}\n  - 42\n  - {{ arn: \"arn:aws:ivschat:us-west-2:123456789012:room/bad_id\", name: bad, tags: [gamma] }}\n  - {{ arn: arn:aws:ivschat:us-west-2:123456789012:room/a1, name: again }}\nevents:\n  - name: {name}\n    to: [two, bad, missing]\n    attributes: {{ msg: \"hi {{{{ room.name }}}}\" }}\n  - name: Second\n    to: {{ tags: [gamma, eu] }}\n    attributes: {{ msg: hi }}\n"
        )
    };
    std::fs::write(dir.path().join("rooms.yaml"), inventory).unwrap();
    let fast = dir.path().join("fast.yaml");
    let careful = dir.path().join("careful.yaml");
    std::fs::write(&fast, playbook("First")).unwrap();
    std::fs::write(&careful, playbook("!!str First")).unwrap();

    let (fast_rooms, fast_diags) = rooms_and_diagnostics(&fast, |_| true);
    let (careful_rooms, careful_diags) = rooms_and_diagnostics(&careful, |_| true);
    assert_eq!(fast_rooms.len(), 5, "{fast_rooms:#?}");
    assert!(
        fast_diags
            .iter()
            .any(|d| d.starts_with("playbook::invalid-arn")),
        "{fast_diags:#?}"
    );
    assert!(fast_diags.len() >= 5, "{fast_diags:#?}");
    // The tag shifts later text by 6 bytes; nothing before it moves.
    assert_eq!(fast_rooms, careful_rooms);
    let before_tag = |d: &Vec<String>| -> Vec<String> {
        d.iter()
            .filter(|l| !l.contains("Second") && !l.contains("missing"))
            .cloned()
            .collect()
    };
    assert_eq!(before_tag(&fast_diags), before_tag(&careful_diags));
}

/// The same with long lists, whose entries past the first few hundred are
/// checked on another thread while the file is read: broken entries
/// among them stay in place, and what is taken is what the careful way
/// makes.
#[test]
fn long_room_lists_taken_while_reading_match_the_careful_way() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |i: usize| match i % 250 {
        7 => format!("  - {{ arn: not-an-arn-{i}, name: broken{i} }}\n"),
        99 => "  - 42\n".to_string(),
        150 => {
            format!("  - {{ arn: arn:aws:ivschat:us-west-2:123456789012:room/t{i}, nmae: typo }}\n")
        }
        200 => format!("  - arn:aws:ivschat:us-west-2:123456789012:room/bad_{i}\n"),
        n if n % 2 == 0 => format!("  - arn:aws:ivschat:us-west-2:123456789012:room/p{i}\n"),
        _ => format!(
            "  - arn: arn:aws:ivschat:eu-west-1:123456789012:room/r{i}\n    name: r{i}\n    tags: [t{}]\n    vars: {{ n: {i}, s: \"x{i}\" }}\n",
            i % 3
        ),
    };
    let inventory: String = std::iter::once("rooms:\n".to_string())
        .chain((0..1300).map(|i| entry(i + 5000)))
        .collect();
    std::fs::write(dir.path().join("rooms.yaml"), inventory).unwrap();
    let playbook = |name: &str| {
        let rooms: String = (0..1700).map(entry).collect();
        format!(
            "version: 1\ninclude: [rooms.yaml]\nrooms:\n{rooms}events:\n  - name: {name}\n    attributes: {{ msg: \"hi {{{{ room.name }}}}\" }}\n"
        )
    };
    let fast = dir.path().join("fast.yaml");
    let careful = dir.path().join("careful.yaml");
    std::fs::write(&fast, playbook("First")).unwrap();
    std::fs::write(&careful, playbook("!!str First")).unwrap();
    let not_first = |d: &Diagnostic| !d.message.contains("First");
    let (fast_rooms, fast_diags) = rooms_and_diagnostics(&fast, not_first);
    let (careful_rooms, careful_diags) = rooms_and_diagnostics(&careful, not_first);
    assert!(fast_rooms.len() > 2900, "{}", fast_rooms.len());
    assert!(
        fast_diags
            .iter()
            .filter(|d| d.contains("not-an-arn"))
            .count()
            >= 10,
        "{fast_diags:#?}"
    );
    assert_eq!(fast_rooms, careful_rooms);
    assert_eq!(fast_diags, careful_diags);
}

/// Files that exist but cannot be read as playbooks, includes or catalogs
/// get the file codes: too large (checked before reading), and an I/O error
/// (a path through a file, which even root cannot read).
#[test]
fn files_too_large_or_unreadable_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    // Sparse: 65 MiB long, nothing written.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let codes =
        |p: &Path| -> Vec<&'static str> { run(p).diagnostics.iter().map(|d| d.code).collect() };
    assert_eq!(codes(&big), vec!["playbook::file-too-large"]);

    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(codes(&file.join("p.yaml")), vec!["playbook::unreadable"]);

    let pb = dir.path().join("pb.yaml");
    std::fs::write(
        &pb,
        "version: 1\ncatalog: plain/defs.yaml\nrooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456\nevents:\n  - name: Hello\n",
    )
    .unwrap();
    assert!(
        codes(&pb).contains(&"catalog::unreadable"),
        "{:?}",
        codes(&pb)
    );
}

/// A `--var` that no template reads is a warning naming the closest name
/// read, not silence; `--deny-warnings` makes it fail.
#[test]
fn a_cli_variable_no_template_reads_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("p.yaml");
    std::fs::write(
        &pb,
        "version: 1\nvars: { minutes: \"15\" }\nrooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456\nevents:\n  - name: SystemMessage\n    attributes:\n      msgText: \"closes in {{ minutes }} minutes\"\n",
    )
    .unwrap();
    let vars: IndexMap<String, String> = [("minuts".to_string(), "5".to_string())].into();
    let planned = plan_files(
        std::slice::from_ref(&pb),
        None,
        &vars,
        &SettingsOverrides::default(),
        false,
    );
    let d = planned
        .diagnostics
        .iter()
        .find(|d| d.code == "playbook::unused-var")
        .expect("a warning");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("--var minuts"), "{}", d.message);
    assert_eq!(d.hint.as_deref(), Some("did you mean `--var minutes=…`?"));
    // A variable a template reads is not flagged.
    let used: IndexMap<String, String> = [("minutes".to_string(), "5".to_string())].into();
    let planned = plan_files(&[pb], None, &used, &SettingsOverrides::default(), false);
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    // The command line: a warning passes, unless warnings are denied.
    let bin = crate::support::bin();
    let run = |extra: &[&str]| {
        std::process::Command::new(bin)
            .args(["validate", "--var", "minuts=5"])
            .args(extra)
            .arg(dir.path().join("p.yaml"))
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    let denied = run(&["--deny-warnings"]);
    assert_eq!(denied.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("playbook::unused-var"));
}

/// Optional variables with the usual idioms (`default`, `is defined`) are
/// not undefined variables; a variable read without them still is.
#[test]
fn optional_variables_are_not_undefined() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("p.yaml");
    let write = |extra: &str| {
        std::fs::write(
            &pb,
            format!(
                "version: 1\nrooms:\n  - {{ arn: \"arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456\", name: a, vars: {{ locale: de }} }}\n  - {{ arn: \"arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123457\", name: b }}\nevents:\n  - name: SystemMessage\n    attributes:\n      lang: \"{{{{ locale | default('en') }}}}\"\n      greet: \"{{% if locale is defined %}}Hallo{{% else %}}Hello{{% endif %}}\"\n{extra}"
            ),
        )
        .unwrap();
    };
    write("");
    let planned = plan_files(
        std::slice::from_ref(&pb),
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    let plan = planned.plan.unwrap();
    let attrs: Vec<_> = plan.sends.iter().map(|s| s.attributes.clone()).collect();
    assert_eq!(attrs[0]["lang"], "de");
    assert_eq!(attrs[1]["lang"], "en");
    assert_eq!(attrs[1]["greet"], "Hello");
    write("      bad: \"{{ locale }}\"\n");
    let planned = run(&pb);
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec!["playbook::undefined-variable"],
        "for room b only"
    );
}

/// A file given to the wrong command says what it is.
#[test]
fn an_inventory_or_definition_given_as_a_playbook_says_what_it_is() {
    for (path, says) in [
        (
            "playbooks/rooms/prod.yaml",
            "this is a room inventory, not a playbook",
        ),
        (
            "playbooks/events/system.yaml",
            "this is an event definition file, not a playbook",
        ),
    ] {
        let p = root().join(path);
        if !p.exists() {
            panic!("{path} is gone: pick another example");
        }
        let planned = run(&p);
        let hints: Vec<&str> = planned
            .diagnostics
            .iter()
            .filter_map(|d| d.hint.as_deref())
            .collect();
        assert!(
            hints.iter().any(|h| h.starts_with(says)),
            "{path}: {hints:?}"
        );
    }
}

/// `include: [.]` names the folder it found, not an empty path.
#[test]
fn an_include_of_the_folder_itself_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("p.yaml");
    std::fs::write(
        &pb,
        "version: 1\ninclude: [.]\nrooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456\nevents:\n  - name: Hello\n",
    )
    .unwrap();
    let planned = run(&pb);
    let d = &planned.diagnostics[0];
    assert_eq!(d.code, "playbook::include-unreadable");
    assert!(
        d.message.contains("is a folder, not a file"),
        "{}",
        d.message
    );
    assert!(!d.message.contains("``"), "{}", d.message);
}

/// Every broken attribute template of an event is reported in one pass,
/// each with a hint when minijinja's words do not say the fix.
#[test]
fn every_broken_attribute_is_reported_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("p.yaml");
    std::fs::write(
        &pb,
        "version: 1\nrooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456\nevents:\n  - name: Hello\n    attributes:\n      up: \"{{ room.region.upper() }}\"\n      f: \"{{ room.name | uper }}\"\n",
    )
    .unwrap();
    let planned = run(&pb);
    let hints: Vec<(&str, Option<&str>)> = planned
        .diagnostics
        .iter()
        .map(|d| (d.code, d.hint.as_deref()))
        .collect();
    assert_eq!(hints.len(), 2, "{hints:?}");
    assert!(hints[0].1.unwrap().contains("use a filter"), "{hints:?}");
    assert_eq!(hints[1].1, Some("did you mean the filter `upper`?"));
}

/// A value the schema rejects hides nothing else of its event: the other
/// attributes' templates are checked in the same pass, and a definition
/// does not call the rejected attribute missing.
#[test]
fn a_rejected_attribute_value_does_not_hide_the_events_templates() {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("p.yaml");
    std::fs::write(
        &pb,
        "version: 1\nrooms:\n  - arn:aws:ivschat:us-west-2:123456789012:room/AbCdEf123456\nevents:\n  - name: Hello\n    attributes:\n      count: [1, 2]\n      msg: \"{{ nope }}\"\n      other: \"{{ room.name | uper }}\"\n",
    )
    .unwrap();
    let planned = run(&pb);
    let codes: Vec<&str> = planned.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "playbook::attribute-not-string",
            "playbook::undefined-variable",
            "playbook::template-error"
        ],
        "{:?}",
        planned.diagnostics
    );
}

/// A diagnostic's code, and the line and column of its start and end.
type Place<'a> = (&'a str, (usize, usize), (usize, usize));

/// A file with CRLF line endings gets the same lines and columns as with
/// LF, and no span takes in a `\r`.
#[test]
fn crlf_files_get_the_same_places() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for path in fixtures("tests/fixtures/invalid") {
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        if text.contains("include") || text.contains('\r') {
            continue;
        }
        let crlf = dir.path().join(path.file_name().unwrap());
        std::fs::write(&crlf, text.replace('\n', "\r\n")).unwrap();
        // A fixture's lock file goes with it, in CRLF too.
        let lock = ivschat_playbook::fs::lock_path(&root().join(&path));
        if let Ok(l) = std::fs::read_to_string(&lock) {
            let to = ivschat_playbook::fs::lock_path(&crlf);
            std::fs::write(to, l.replace('\n', "\r\n")).unwrap();
        }
        let places = |planned: &Planned| -> Vec<Place<'_>> {
            planned
                .diagnostics
                .iter()
                .filter_map(|d| {
                    let at = d.location?;
                    let f = planned.sources.get(at.file);
                    let span = &f.text[at.start..at.end];
                    assert!(!span.contains('\r'), "{}: {span:?}", path.display());
                    Some((d.code, f.line_col(at.start), f.line_col(at.end)))
                })
                .collect()
        };
        let (lf, cr) = (run(&root().join(&path)), run(&crlf));
        assert_eq!(places(&lf), places(&cr), "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} fixtures compared");
}
