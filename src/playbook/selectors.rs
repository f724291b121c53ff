//! The `discover:` selectors a loaded playbook and its includes write, each
//! with its place, for `lock` and `run` to resolve against the service.

use serde::Deserialize;

use super::load::{LoadedFile, LoadedPlaybook};
use super::model::Selector;
use crate::diag::Location;

/// A selector and where it is written (its `discover` key's value).
#[derive(Debug, Clone)]
pub struct WrittenSelector {
    /// What it asks.
    pub selector: Selector,
    /// Where.
    pub at: Location,
}

/// The selectors of the playbook's includes, then its own, in order. An
/// entry that is not a valid selector is left to `validate`.
pub fn selectors_of(lp: &LoadedPlaybook) -> Vec<WrittenSelector> {
    let mut out = Vec::new();
    let files = lp
        .includes
        .iter()
        .filter_map(|i| i.file.as_ref())
        .chain(std::iter::once(&lp.main));
    for f in files {
        of_file(f, &mut out);
    }
    out
}

fn of_file(f: &LoadedFile, out: &mut Vec<WrittenSelector>) {
    let Some(parsed) = &f.parsed else { return };
    let Some(list) = parsed.value.get("rooms").and_then(|v| v.as_array()) else {
        return;
    };
    for (i, entry) in list.iter().enumerate() {
        let Some(d) = entry.get("discover") else {
            continue;
        };
        let Ok(selector) = Selector::deserialize(d) else {
            continue;
        };
        out.push(WrittenSelector {
            selector,
            at: parsed.index.value(&format!("/rooms/{i}/discover")),
        });
    }
}
