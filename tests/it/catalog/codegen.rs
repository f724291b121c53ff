//! `catalog codegen --lang typescript`: the generated module compiles with
//! `tsc --strict` (typescript from npm, installed by scripts/setup-node),
//! and its decoder, run by node, accepts events that meet their contract and
//! gives the reason for those that do not.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::fixtures::root;

fn tsc() -> PathBuf {
    let p = root().join("tests/typescript/node_modules/.bin/tsc");
    assert!(p.exists(), "no tsc: run scripts/setup-node first");
    p
}

/// A program that decodes events with the generated module and prints one
/// line per event: `ok NAME VERSION` or `error REASON`.
const PROGRAM: &str = r#"import { decodeEvent, EventName, EVENT_NAMES, SystemMessageV2 } from "./catalog";

const events: { eventName: string; attributes?: Record<string, string> }[] = [
  { eventName: "SystemMessage", attributes: { msgType: "maintenance", msgText: "Closing soon", severity: "info", ticket: "OPS-12" } },
  { eventName: "SystemMessage", attributes: { msgType: "maintenance", msgText: "ab" } },
  { eventName: "Reaction", attributes: { emoji: "👍", speed: "fast" } },
  { eventName: "SystemMessage", attributes: { msgText: "Closing soon" } },
  { eventName: "SystemMessage", attributes: { msgType: "party", msgText: "Closing soon" } },
  { eventName: "SystemMessage", attributes: { msgType: "maintenance", msgText: "Closing soon", ticket: "ops-1" } },
  { eventName: "SystemMessage", attributes: { msgType: "maintenance", msgText: "x".repeat(41) } },
  { eventName: "Reaction", attributes: { emoji: "👍👍" } },
  { eventName: "SystemMessage", attributes: { msgType: "maintenance", msgText: "Closing soon", colour: "red" } },
  { eventName: "aws:DELETE_MESSAGE", attributes: { id: "x" } },
];
for (const e of events) {
  const d = decodeEvent(e);
  console.log(d.ok ? `ok ${d.value.eventName} ${d.value.version}` : `error ${d.reason}`);
}

// The types follow the contract: the decoded value narrows by name and
// version, and its attributes are typed.
const d = decodeEvent(events[0]);
if (d.ok && d.value.eventName === "SystemMessage" && d.value.version === 2) {
  const attrs: SystemMessageV2 = d.value.attributes;
  const kind: "user-notification" | "maintenance" = attrs.msgType;
  console.log(`typed ${kind} ${attrs.ticket ?? "-"}`);
}
const names: readonly EventName[] = EVENT_NAMES;
console.log(`names ${names.join(",")}`);
// @ts-expect-error: not an event name of the catalog
const wrong: EventName = "Nope";
void wrong;
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?}: {text}");
    text
}

fn generate(dir: &Path, catalog: &str) {
    run(Command::new(crate::support::bin())
        .args([
            "catalog",
            "codegen",
            "--lang",
            "typescript",
            catalog,
            "--out",
        ])
        .arg(dir.join("catalog.ts"))
        .current_dir(root()));
}

#[test]
fn generated_typescript_compiles_strict_and_decodes_by_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "tests/fixtures/catalog/events/");
    std::fs::write(dir.path().join("main.ts"), PROGRAM).unwrap();
    run(Command::new(tsc())
        .args([
            "--strict",
            "--noUnusedLocals",
            "--target",
            "es2020",
            "--module",
            "commonjs",
        ])
        .args([
            "--lib",
            "es2020,dom",
            "--outDir",
            "out",
            "main.ts",
            "catalog.ts",
        ])
        .current_dir(dir.path()));
    let out = run(Command::new("node")
        .arg("out/main.js")
        .current_dir(dir.path()));
    let lines: Vec<&str> = out.lines().collect();
    let expected = [
        "ok SystemMessage 2",
        // Too short for version 2 (min_length 3): version 1 takes it.
        "ok SystemMessage 1",
        // Reaction allows unknown attributes.
        "ok Reaction 1",
        "error SystemMessage@2: required attribute `msgType` is missing | SystemMessage@1: required attribute `msgType` is missing",
        "error SystemMessage@2: attribute `msgType` is `party`, not one of `user-notification`, `maintenance` | SystemMessage@1: attribute `msgType` is `party`, not one of `user-notification`, `maintenance`",
        "error SystemMessage@2: attribute `ticket` does not match `[A-Z]+-[0-9]+` | SystemMessage@1: unknown attribute `ticket`",
        "error SystemMessage@2: attribute `msgText` is 41 characters, over 40 | SystemMessage@1: attribute `msgText` is 41 characters, over 40",
        "error Reaction@1: attribute `emoji` is 8 bytes, over 4",
        "error SystemMessage@2: unknown attribute `colour` | SystemMessage@1: unknown attribute `colour`",
        "error unknown event `aws:DELETE_MESSAGE`",
        "typed maintenance OPS-12",
        "names Reaction,SystemMessage",
    ];
    assert_eq!(lines, expected, "{out}");
}

#[test]
fn a_catalog_with_errors_gives_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(crate::support::bin())
        .args([
            "catalog",
            "codegen",
            "--lang",
            "typescript",
            "tests/fixtures/catalog/check/invalid-name.yaml",
            "--out",
        ])
        .arg(dir.path().join("x.ts"))
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code: 1 error"));
    assert!(!dir.path().join("x.ts").exists());
    // Every catalog fixture that is valid compiles.
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "tests/fixtures/catalog/diff/new");
    run(Command::new(tsc())
        .args([
            "--strict",
            "--noEmit",
            "--target",
            "es2020",
            "--lib",
            "es2020,dom",
            "catalog.ts",
        ])
        .current_dir(dir.path()));
}
