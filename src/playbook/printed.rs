//! Which of the names a template reads it only prints: looks up and writes
//! out as they are, never tests, filters, joins or passes on.
//!
//! Such a name's value cannot change what else the template does, so a
//! rendering made with a stand-in for it is the real one once the stand-in
//! is replaced by the value (a string; see `crate::plan::cache`). This is
//! decided on the instructions minijinja compiled the template to, which
//! are what runs: `{{ room.name }}` is `Lookup room`, `GetAttr name`,
//! `Emit`, and any other use of `room`, or of `room.name`, shows up as
//! another instruction after the lookup. Instructions that capture or
//! escape output, define macros or recurse make every name count as used.

use minijinja::Template;
use minijinja::machinery::{Instruction, get_compiled_template};

/// For each dotted name (as `undeclared_variables(true)` gives them),
/// whether the template only prints it.
pub fn printed_only(template: &Template<'_, '_>, names: &[String]) -> Vec<bool> {
    let Some((chains, stored)) = chains(template) else {
        return vec![false; names.len()];
    };
    names
        .iter()
        .map(|name| {
            let own = root(name);
            !stored.contains(&own)
                && chains.iter().any(|(c, _)| c == name)
                && chains
                    .iter()
                    .filter(|(c, _)| root(c) == own && related(c, name))
                    .all(|(c, printed)| *printed && c == name)
        })
        .collect()
}

fn root(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Whether one dotted name is the other or contains it.
fn related(a: &str, b: &str) -> bool {
    let within = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    within(a, b) || within(b, a)
}

/// Every lookup with the attributes read right after it (`room.name`), and
/// whether an `Emit` follows it.
type Chains = Vec<(String, bool)>;

/// The template's [`Chains`] and the names it assigns locally. `None` when
/// the template has an instruction that rules the analysis out.
fn chains<'t>(template: &'t Template<'_, '_>) -> Option<(Chains, Vec<&'t str>)> {
    let instructions = &get_compiled_template(template).instructions;
    let mut chains = Vec::new();
    let mut stored = Vec::new();
    let mut i = 0;
    while let Some(instruction) = instructions.get(i) {
        match instruction {
            Instruction::Lookup(name) => {
                let mut chain = name.to_string();
                i += 1;
                while let Some(Instruction::GetAttr(attr)) = instructions.get(i) {
                    chain.push('.');
                    chain.push_str(attr);
                    i += 1;
                }
                let printed = matches!(instructions.get(i), Some(Instruction::Emit));
                chains.push((chain, printed));
                // The instruction after the chain is looked at in turn.
                continue;
            }
            Instruction::StoreLocal(name) => stored.push(*name),
            Instruction::CallFunction(name, _) if *name == "debug" => return None,
            i if allowed(i) => {}
            _ => return None,
        }
        i += 1;
    }
    Some((chains, stored))
}

/// Instructions that only compute with the values on the stack, branch or
/// loop, or write what is on the stack.
fn allowed(i: &Instruction<'_>) -> bool {
    use Instruction::*;
    matches!(
        i,
        EmitRaw(_)
            | Emit
            | GetAttr(_)
            | GetItem
            | Slice
            | LoadConst(_)
            | BuildMap(_)
            | BuildKwargs(_)
            | MergeKwargs(_)
            | BuildList(_)
            | BuildTuple(_)
            | UnpackList(_)
            | UnpackLists(_)
            | Add
            | Sub
            | Mul
            | Div
            | IntDiv
            | Rem
            | Pow
            | Neg
            | Eq
            | Ne
            | Gt
            | Gte
            | Lt
            | Lte
            | Not
            | StringConcat
            | In
            | CompareAndPreserve(_)
            | ApplyFilter(..)
            | PerformTest(..)
            | PushLoop(_)
            | PushWith
            | Iterate(_)
            | PushDidNotIterate
            | PopFrame
            | PopLoopFrame
            | Jump(_)
            | JumpIfFalse(_)
            | JumpIfFalseOrPop(_)
            | JumpIfTrueOrPop(_)
            | CallFunction(..)
            | CallMethod(..)
            | CallObject(_)
            | DupTop
            | DiscardTop
            | Swap
    )
}

#[cfg(test)]
mod tests {
    use super::printed_only;

    fn check(source: &str, names: &[&str]) -> Vec<bool> {
        let env = crate::playbook::template::environment();
        let t = env.template_from_str(source).unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        printed_only(&t, &names)
    }

    #[test]
    fn printed_names_and_used_ones() {
        let s = "{% if locale == 'de' %}Raum {{ room.name }}{% else %}Room {{- room.name }}{% endif %} {{ minutes }}";
        assert_eq!(
            check(s, &["locale", "minutes", "room.name"]),
            [false, true, true]
        );
        // Another attribute of the same object is independent.
        let s = "{% if room.region == 'x' %}{{ room.name }}{% endif %}";
        assert_eq!(check(s, &["room.name", "room.region"]), [true, false]);
        // Filtered, compared, joined, measured, indexed, printed whole.
        for s in [
            "{{ room.name | upper }}",
            "{{ room.name }}{% if room.name == 'a' %}!{% endif %}",
            "{{ room.name ~ 'x' }}",
            "{{ room.name }}{{ room.name | length }}",
            "{{ room['name'] }}{{ room.name }}",
            "{{ room }}{{ room.name }}",
            "{{ room.name.x }}{{ room.name }}",
        ] {
            assert_eq!(check(s, &["room.name"]), [false], "{s}");
        }
    }

    #[test]
    fn captures_macros_and_local_names_rule_it_out() {
        for s in [
            "{% filter upper %}{{ room.name }}{% endfilter %}",
            "{% set x %}{{ room.name }}{% endset %}{{ x }}",
            "{% macro m() %}{{ room.name }}{% endmacro %}{{ m() }}",
            "{% for room in [1] %}{{ room.name }}{% endfor %}",
            "{% set room = {'name': 1} %}{{ room.name }}",
            "{{ room.name }}{{ debug() }}",
            "{% autoescape true %}{{ room.name }}{% endautoescape %}",
        ] {
            assert_eq!(check(s, &["room.name"]), [false], "{s}");
        }
        // Loops and conditions around a print are fine.
        let s = "{% for i in range(2) %}{{ room.name }}{% endfor %}";
        assert_eq!(check(s, &["room.name"]), [true]);
    }
}
