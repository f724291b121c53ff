//! The renderings the scan reuses across rooms are each room's own: every
//! send (attributes, bytes, id) and every diagnostic is what rendering the
//! template for that room alone gives.
//!
//! The honest rendering to compare with is the same template with a
//! comment holding a stand-in character (`{# \u{FDD0} #}`; the template
//! compared has a comment as long without one): a comment
//! compiles to nothing, so the template does and costs exactly the same,
//! but a source with that character is never rendered with stand-ins, and
//! its cache keys are the full values of what it reads.

use indexmap::IndexMap;
use ivschat_playbook::plan::{PlannedSend, SettingsOverrides};

/// A room: its name and its `vars` as a YAML flow mapping's inside.
struct Room {
    name: String,
    vars: String,
}

fn room(name: impl Into<String>, vars: impl Into<String>) -> Room {
    Room {
        name: name.into(),
        vars: vars.into(),
    }
}

/// What a scan gives: the sends, and each diagnostic as text.
#[derive(Debug, PartialEq)]
struct Scan {
    sends: Vec<PlannedSend>,
    diagnostics: Vec<String>,
}

/// Scans one playbook of `rooms` with one event per template (attribute
/// `a`), with `vars` (playbook) and `cli` (`--var`).
fn scan(rooms: &[Room], templates: &[String], vars: &str, cli: &[(&str, &str)]) -> Scan {
    let mut s = format!("version: 1\nname: cache\nvars: {{ {vars} }}\nrooms:\n");
    for (i, r) in rooms.iter().enumerate() {
        s.push_str(&format!(
            "  - arn: arn:aws:ivschat:us-west-2:123456789012:room/R{i}\n    name: {}\n    vars: {{ {} }}\n",
            serde_json::to_string(&r.name).unwrap(),
            r.vars
        ));
    }
    s.push_str("events:\n");
    for (e, t) in templates.iter().enumerate() {
        s.push_str(&format!(
            "  - name: E{e}\n    attributes:\n      a: {}\n",
            serde_json::to_string(t).unwrap()
        ));
    }
    scan_text(&s, "", cli)
}

/// Scans the playbook `text`, with a catalog `events.yaml` of `catalog`
/// when not empty, and `cli` (`--var`).
fn scan_text(text: &str, catalog: &str, cli: &[(&str, &str)]) -> Scan {
    let dir = tempfile::tempdir().unwrap();
    if !catalog.is_empty() {
        std::fs::write(dir.path().join("events.yaml"), catalog).unwrap();
    }
    let path = dir.path().join("cache.yaml");
    std::fs::write(&path, text).unwrap();
    let cli: IndexMap<String, String> = cli
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut sends = Vec::new();
    let scanned = ivschat_playbook::pipeline::scan_files(
        std::slice::from_ref(&path),
        None,
        &cli,
        &SettingsOverrides::default(),
        |s| sends.push(s.to_send()),
    );
    let diagnostics = scanned
        .diagnostics
        .iter()
        .map(|d| {
            let at = d.location.as_ref().map(|l| (l.file, l.start));
            format!("{} {} {:?} {at:?}", d.code, d.message, d.hint)
        })
        .collect();
    Scan { sends, diagnostics }
}

/// The templates with a comment: one with a stand-in character (three
/// bytes in UTF-8), so that no rendering is made with stand-ins, or one as
/// long without, so that everything after it is at the same place.
fn commented(templates: &[String], honest: bool) -> Vec<String> {
    let comment = if honest {
        "{# \u{FDD0} #}"
    } else {
        "{# xxx #}"
    };
    templates.iter().map(|t| format!("{t}{comment}")).collect()
}

/// Scans with the cache and honestly, and holds the two to the same.
fn same_as_honest(rooms: &[Room], templates: &[String], vars: &str, cli: &[(&str, &str)]) -> Scan {
    let cached = scan(rooms, &commented(templates, false), vars, cli);
    let expected = scan(rooms, &commented(templates, true), vars, cli);
    assert_eq!(cached.diagnostics, expected.diagnostics);
    assert_eq!(cached.sends.len(), expected.sends.len());
    for (c, e) in cached.sends.iter().zip(&expected.sends) {
        assert_eq!(c, e);
    }
    cached
}

fn strings(ts: &[&str]) -> Vec<String> {
    ts.iter().map(|t| t.to_string()).collect()
}

/// A name printed after the template has spent almost all its fuel: a
/// room's value costs fuel by its bytes (minijinja charges one fuel per 64
/// bytes written), so a long one runs out where a short one, or a short
/// stand-in, does not.
#[test]
fn a_printed_value_costs_its_own_fuel() {
    let mut rooms = Vec::new();
    for len in [1, 6, 7, 8, 20, 64, 100, 128] {
        rooms.push(room("n".repeat(len), format!("v: {}", "v".repeat(len * 7))));
    }
    // The loop's bound, around where the fuel runs out.
    let templates: Vec<String> = (16_640..16_680)
        .step_by(2)
        .flat_map(|n| {
            [
                format!("{{% for i in range({n}) %}}{{% endfor %}}{{{{ room.name }}}}"),
                format!("{{% for i in range({n}) %}}{{% endfor %}}{{{{ v }}}}"),
            ]
        })
        .collect();
    let s = same_as_honest(&rooms, &templates, "", &[]);
    // The window holds both outcomes.
    assert!(!s.sends.is_empty());
    assert!(s.diagnostics.iter().any(|d| d.contains("fuel")), "{s:?}");
}

/// A room variable long enough that printing it alone spends the fuel.
#[test]
fn a_long_printed_variable_runs_out_of_fuel_for_its_room() {
    let long = "x".repeat(3_300_000);
    let rooms = [room("short", "v: a"), room("long", format!("v: {long}"))];
    let s = same_as_honest(&rooms, &strings(&["{{ v }}"]), "", &[]);
    assert!(
        s.diagnostics.iter().any(|d| d.contains("ran out of fuel")),
        "{:?}",
        s.diagnostics
    );
}

/// Room variables named like minijinja's global functions (`range`,
/// `dict`, `namespace`) shadow them in the template.
#[test]
fn a_room_variable_named_like_a_global_is_the_rooms_own() {
    let rooms = [
        room("a", "range: one"),
        room("b", "range: two"),
        room("c", "dict: 3"),
    ];
    let s = same_as_honest(
        &rooms,
        &strings(&["{{ range }}", "{{ dict }}"]),
        "dict: 1",
        &[],
    );
    let a: Vec<&str> = s.sends.iter().map(|s| s.attributes["a"].as_str()).collect();
    assert_eq!(
        [a[0], a[1], a[2], a[3], a[5]],
        ["one", "1", "two", "1", "3"]
    );
    // Room `c` has no `range`: the function itself is printed.
    assert!(a[4].contains("range") && a[4] != "one", "{a:?}");
}

/// Printed names next to filters, tests, loops, macros, captures,
/// autoescape and whitespace control, with values holding quotes,
/// newlines, markup, template syntax and stand-in characters.
#[test]
fn printed_names_in_every_position_are_each_rooms_own() {
    let names = [
        "plain",
        "x",
        "",
        "Räum 'q' \"d\"",
        "<b>&amp;</b>",
        "line\nbreak",
        "{{ nope }}",
        "\u{FDD0}0\u{FDD1}",
        "  padded  ",
        "1",
    ];
    let mut rooms = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let vars = match i % 4 {
            0 => "who: 'a\"b'".to_string(),
            1 => "who: 1".to_string(),
            2 => "who: 1.0".to_string(),
            _ => "who: '1'".to_string(),
        };
        rooms.push(room(format!("{n}{i}"), vars));
    }
    let templates = strings(&[
        "{{ room.name | upper }}|{{ room.name }}",
        "{{ room.name|length }}{{ room.name }}",
        "{% if room.name == 'x1' %}X{% endif %}{{ room.name }}",
        "{% for i in range(3) %}{{ loop.index }}{{ room.name }}{% endfor %}",
        "{% macro m(v) %}[{{ v }}]{% endmacro %}{{ m(room.name) }}{{ room.name }}",
        "{% set c %}{{ room.name }}{% endset %}{{ c | length }}{{ room.name }}",
        "{% autoescape 'html' %}{{ room.name }}{% endautoescape %}{{ room.name }}",
        "  {{- room.name -}}  \n{{ room.name }}",
        "{{ who }} {{ room.name }}",
        "{{ who | default('none') }} {{ room.name }}",
        "{{ who }}",
        "{{ room.name or 'empty' }}{{ room.name }}",
        "{{ room.name ~ who }}",
        "{{ room.name if who is defined else 'no' }}",
    ]);
    let s = same_as_honest(&rooms, &templates, "", &[]);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    assert!(!s.sends.is_empty());
    // Shadowed by `--var`, the room's value is not used.
    let s = same_as_honest(&rooms, &templates, "who: p", &[("who", "cli")]);
    assert!(
        s.sends
            .iter()
            .any(|s| s.attributes["a"].starts_with("cli "))
    );
    // Defined for some rooms only: the same undefined-variable diagnostics.
    for r in rooms.iter_mut().step_by(3) {
        r.vars.clear();
    }
    let s = same_as_honest(&rooms, &templates, "", &[]);
    assert!(
        s.diagnostics
            .iter()
            .any(|d| d.contains("undefined variable `who`")),
        "{:?}",
        s.diagnostics
    );
}

/// Scans one playbook `text` in which `@C@` marks where each template ends
/// (as [`commented`] does), with a catalog `events.yaml` of `catalog` when
/// not empty: cached and honest, held to the same.
fn same_as_honest_text(text: &str, catalog: &str) -> Scan {
    let run = |comment: &str| scan_text(&text.replace("@C@", comment), catalog, &[]);
    let cached = run("{# xxx #}");
    let expected = run("{# \u{FDD0} #}");
    assert_eq!(cached.diagnostics, expected.diagnostics);
    assert_eq!(cached.sends, expected.sends);
    cached
}

/// A definition's contract (enum, pattern, length in characters and
/// bytes) is checked on each room's own value of an attribute that only
/// prints a name, not on the stand-in the rendering was made with: a
/// stand-in is as long as the value, but never in an enum nor matching a
/// pattern, and its bytes are not the value's.
#[test]
fn contract_checks_see_each_rooms_printed_value() {
    let rooms = [
        ("ok", "kind: maintenance, ticket: OPS-1, text: 'fine'"),
        ("bad-enum", "kind: notice, ticket: OPS-2, text: 'fine'"),
        (
            "bad-pattern",
            "kind: maintenance, ticket: ops-3, text: 'fine'",
        ),
        (
            "too-long",
            "kind: maintenance, ticket: OPS-4, text: 'twelve chars'",
        ),
        ("wide", "kind: maintenance, ticket: OPS-5, text: 'üüüüüü'"),
        (
            "ok-again",
            "kind: user-notification, ticket: AB-12, text: 'ten chars!'",
        ),
    ];
    let mut text = String::from("version: 1\nname: contract\ncatalog: events.yaml\nrooms:\n");
    for (i, (name, vars)) in rooms.iter().enumerate() {
        text.push_str(&format!(
            "  - {{ arn: 'arn:aws:ivschat:us-west-2:123456789012:room/R{i}', name: {name}, vars: {{ {vars} }} }}\n"
        ));
    }
    text.push_str(
        "events:
  - use: Notice
    attributes:
      msgType: \"{{ kind }}@C@\"
      ticket: \"{{ ticket }}@C@\"
      msgText: \"{{ text }}@C@\"
",
    );
    let catalog = String::from(
        "definitions:
  - name: Notice
    attributes:
      msgType: { required: true, enum: [user-notification, maintenance] }
      ticket: { pattern: \"[A-Z]+-[0-9]+\" }
      msgText: { max_length: 10, max_bytes: 11 }
",
    );
    let s = same_as_honest_text(&text, &catalog);
    let codes: Vec<&str> = s
        .diagnostics
        .iter()
        .map(|d| d.split(' ').next().unwrap())
        .collect();
    for code in [
        "catalog::value-not-in-enum",
        "catalog::pattern-mismatch",
        "catalog::too-long",
        "catalog::too-many-bytes",
    ] {
        assert!(codes.contains(&code), "{code} not in {:?}", s.diagnostics);
    }
    // (`wide` shares its diagnostic with `too-long`, which is named first.)
    let named = |room: &str| s.diagnostics.iter().any(|d| d.contains(room));
    for bad in ["bad-enum", "bad-pattern", "too-long"] {
        assert!(named(bad), "{bad} not named in {:?}", s.diagnostics);
    }
    assert!(!named("`ok`") && !named("ok-again"), "{:?}", s.diagnostics);
}

/// A timed event's templates read `step`: each step's own values, beside
/// each room's printed name, as rendering each alone gives.
#[test]
fn step_values_in_timed_events_are_each_steps_own() {
    let mut text =
        String::from("version: 1\nname: steps\nsettings: { at: '2030-01-01T20:00:00Z' }\nrooms:\n");
    for i in 0..5 {
        text.push_str(&format!(
            "  - {{ arn: 'arn:aws:ivschat:us-west-2:123456789012:room/R{i}', name: room{i}, vars: {{ n: {i} }} }}\n"
        ));
    }
    text.push_str(
        "events:
  - name: Countdown
    at: -15m
    attributes:
      msgText: \"{{ room.name }} closes in {{ step.remaining }} minutes@C@\"
      at: \"{{ step.at }} {{ step.offset }} {{ step.remaining_seconds }}@C@\"
  - name: Countdown
    at: -90s
    attributes:
      msgText: \"{{ room.name }} closes in {{ step.remaining }} minutes@C@\"
      at: \"{{ step.at }} {{ step.offset }} {{ step.remaining_seconds }}@C@\"
  - name: Closed
    at: +2m
    attributes:
      msgText: \"{{ room.name }}: {{ step.remaining }} {{ n }}@C@\"
",
    );
    let s = same_as_honest_text(&text, "");
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    assert_eq!(s.sends.len(), 15);
    let texts: Vec<&str> = s
        .sends
        .iter()
        .map(|s| s.attributes["msgText"].as_str())
        .collect();
    for i in 0..5 {
        for want in [
            format!("room{i} closes in 15 minutes"),
            format!("room{i} closes in 1.5 minutes"),
            format!("room{i}: -2 {i}"),
        ] {
            assert!(texts.contains(&want.as_str()), "{want} not in {texts:?}");
        }
    }
    let at = |offset: &str| {
        s.sends
            .iter()
            .filter_map(|s| s.attributes.get("at"))
            .find(|a| a.contains(offset))
            .unwrap()
            .clone()
    };
    assert_eq!(at("-15m"), "2030-01-01T19:45:00Z -15m 900");
    assert_eq!(at("-90s"), "2030-01-01T19:58:30Z -90s 90");
}
