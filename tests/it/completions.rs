//! Shell completions, manual pages and the layout of `--help`: generated
//! from the command line itself, and checked by the programs that read them
//! (bash loads and runs the completion function, `man` renders the pages).

use std::process::Command;

use crate::support::fixtures::root;

fn tool(args: &[&str]) -> std::process::Output {
    let out = Command::new(crate::support::bin())
        .args(args)
        .current_dir(root())
        .env_remove("COLUMNS")
        // --help shows the value of options read from the environment.
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What bash's completion offers for `words` (the last one being
/// completed), after sourcing `script`.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}' || exit 9\n\
         f=$(complete -p ivschat-playbook | sed 's/.*-F \\([^ ]*\\).*/\\1/')\n\
         COMP_WORDS=({})\nCOMP_CWORD={cword}\n\
         \"$f\" ivschat-playbook '{}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_loads_and_completes_commands_options_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ivschat-playbook.bash");
    std::fs::write(&script, tool(&["completions", "bash"]).stdout).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    assert_eq!(
        bash_complete(&script, &["ivschat-playbook", "val"]),
        ["validate"]
    );
    // Past the subcommand too (the name's hyphen once broke this).
    assert_eq!(
        bash_complete(&script, &["ivschat-playbook", "validate", "--fo"]),
        ["--format"]
    );
    assert_eq!(
        bash_complete(&script, &["ivschat-playbook", "validate", "--format", ""]),
        ["human", "json", "github", "sarif"]
    );
    let catalog = bash_complete(&script, &["ivschat-playbook", "catalog", ""]);
    for sub in ["list", "check", "diff"] {
        assert!(catalog.iter().any(|c| c == sub), "{catalog:?}");
    }
    assert_eq!(
        bash_complete(&script, &["ivschat-playbook", "catalog", "diff", "--fo"]),
        ["--format"]
    );
}

#[test]
fn other_shells_get_scripts_naming_every_command() {
    for (shell, marker) in [
        ("zsh", "#compdef ivschat-playbook"),
        ("fish", "complete -c ivschat-playbook"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[ivschat-playbook]"),
    ] {
        let text = String::from_utf8(tool(&["completions", shell]).stdout).unwrap();
        assert!(text.contains(marker), "{shell}: no `{marker}`");
        for word in ["validate", "send-event", "catalog", "deny-warnings"] {
            assert!(text.contains(word), "{shell}: no `{word}`");
        }
    }
    let out = Command::new(crate::support::bin())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Renders a page with `man -l`, as a user reading it would.
fn man_render(page: &std::path::Path) -> String {
    let out = Command::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .expect("man is installed");
    assert!(
        out.status.success(),
        "man -l {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn man_page_renders_with_its_sections() {
    let dir = tempfile::tempdir().unwrap();
    let roff = tool(&["man"]).stdout;
    let text = String::from_utf8(roff.clone()).unwrap();
    assert!(text.starts_with(".ie \\n(.g .ds Aq"), "{}", &text[..80]);
    let page = dir.path().join("ivschat-playbook.1");
    std::fs::write(&page, roff).unwrap();
    let shown = man_render(&page);
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "VERSION",
    ] {
        assert!(
            shown.lines().any(|l| l == section),
            "no {section} in:\n{shown}"
        );
    }
    assert!(shown.contains("ivschat-playbook-validate(1)"), "{shown}");
}

#[test]
fn man_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = tool(&["man", "--dir", dir.path().to_str().unwrap()]);
    let said = String::from_utf8(out.stderr).unwrap();
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    for page in [
        "ivschat-playbook.1",
        "ivschat-playbook-validate.1",
        "ivschat-playbook-catalog-diff.1",
        "ivschat-playbook-completions.1",
        "ivschat-playbook-man.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{pages:?}");
        assert!(said.contains(page), "{said}");
    }
    assert_eq!(said.lines().count(), pages.len(), "{said}");
    let validate = man_render(&dir.path().join("ivschat-playbook-validate.1"));
    assert!(validate.contains("--deny-warnings"), "{validate}");
    assert!(validate.contains("--color"), "{validate}");
}

#[test]
fn help_lists_global_options_after_the_commands_own() {
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["validate", "-h"],
        vec!["catalog", "diff", "--help"],
        vec!["run", "-h"],
        vec!["emulator", "-h"],
    ] {
        let text = String::from_utf8(tool(&args).stdout).unwrap();
        let own = text.find("\nOptions:\n").expect("an Options heading");
        let global = text
            .find("\nGlobal options:\n")
            .expect("a Global options heading");
        assert!(own < global, "{args:?}:\n{text}");
        let tail = &text[global..];
        assert!(
            tail.contains("--color") && tail.contains("--verbose"),
            "{tail}"
        );
        assert!(!text[..global].contains("--color <"), "{args:?}:\n{text}");
    }
    let help = String::from_utf8(tool(&["validate", "-h"]).stdout).unwrap();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("validate_help", help);
    });
}
