//! Variables given on the command line that nothing reads: `--var minuts=5`
//! for `minutes` would otherwise be ignored in silence while the message
//! goes out with the default.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::diag::Diagnostic;
use crate::diag::suggest::did_you_mean;
use crate::playbook::template;
use crate::validate::CheckedPlaybook;

/// A warning (`playbook::unused-var`) for each `--var` that no attribute
/// template of any playbook reads, with the closest name templates do read.
pub fn unused_cli_vars(
    playbooks: &[CheckedPlaybook],
    cli_vars: &IndexMap<String, String>,
) -> Vec<Diagnostic> {
    if cli_vars.is_empty() {
        return Vec::new();
    }
    let read = names_read(playbooks);
    let candidates: Vec<&str> = read.iter().map(String::as_str).collect();
    cli_vars
        .keys()
        .filter(|name| !read.contains(*name))
        .map(|name| {
            let hint = match did_you_mean(name, &candidates) {
                Some(s) => format!("did you mean `--var {s}=…`?"),
                None if candidates.is_empty() => "no template reads a variable".to_string(),
                None => format!(
                    "templates read {}",
                    crate::diag::suggest::preview(&candidates)
                ),
            };
            Diagnostic::warning(
                "playbook::unused-var",
                format!("`--var {name}` is read by no template, so it changes nothing"),
            )
            .hint(hint)
        })
        .collect()
}

/// The top-level names every attribute template reads (`minutes` of
/// `{{ minutes }}`, `locale` of `{{ locale | default('en') }}`).
fn names_read(playbooks: &[CheckedPlaybook]) -> BTreeSet<String> {
    let env = template::environment();
    let mut read = BTreeSet::new();
    for pb in playbooks {
        for ev in &pb.events {
            for a in &ev.attributes {
                if a.literal || !template::is_template(&a.template) {
                    continue;
                }
                // Templates that do not compile are reported by the planner.
                let Ok(t) = env.template_from_str(&a.template) else {
                    continue;
                };
                for n in t.undeclared_variables(false) {
                    read.insert(n);
                }
            }
        }
    }
    read
}
