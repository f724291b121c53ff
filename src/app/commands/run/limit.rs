//! `run --limit`: send to some of the plan's rooms only. The plan and its
//! hash stay the whole playbook's; the journal's run header records the
//! limit, and a resume without `--limit` sends the rest.

use std::collections::HashSet;

use super::args::RunArgs;
use super::resume::ResumeTally;
use crate::app::exit::{Exit, Failure};
use crate::app::io::{Io, plural};
use crate::journal::RunLimit;
use crate::journal::resume::ResumeState;
use crate::plan::{Limit, ScannedPlan};

/// The rooms a run is limited to.
pub(super) struct Limited {
    /// Their ARNs.
    pub(super) arns: HashSet<String>,
    /// What the journal records.
    pub(super) record: RunLimit,
}

/// Applies `--limit` to a scanned plan: `Ok(None)` without one; the tally
/// is then counted again over the limited rooms. `Err(exit)`: a limit that
/// cannot be read or keeps no room, refused.
pub(super) fn apply_limit(
    a: &RunArgs,
    plan: &ScannedPlan,
    resume: Option<&ResumeState>,
    tally: &mut ResumeTally,
    io: &mut Io<'_>,
) -> Result<Result<Option<Limited>, Exit>, Failure> {
    if a.limit.limit.is_empty() {
        return Ok(Ok(None));
    }
    let limit = match Limit::parse(&a.limit.limit) {
        Ok(l) => l,
        Err(e) => return io.refuse(format_args!("nothing sent: {e}")).map(Err),
    };
    let arns = match super::super::plan::limited_rooms(&limit, plan) {
        Ok(a) => a,
        Err(e) => return io.refuse(format_args!("nothing sent: {e}")).map(Err),
    };
    let (summary, sends) = plan.limited(&arns, true);
    *tally = ResumeTally::default();
    for s in &sends {
        tally.add(resume, a.resend_unknown, &s.id);
    }
    writeln!(
        io.err,
        "--limit {}: {} and {} of the plan's {}",
        limit.asked().join(","),
        plural(arns.len(), "room"),
        plural(summary.sends, "send"),
        plan.overview.summary.sends
    )?;
    Ok(Ok(Some(Limited {
        record: RunLimit {
            asked: limit.asked().to_vec(),
            rooms: arns.len(),
            sends: summary.sends,
        },
        arns,
    })))
}
