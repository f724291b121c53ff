//! `validate --remote` and `plan --remote`: ask the service whether every
//! room a playbook names exists (a missing room is an error at its line)
//! and when it was last updated (more than 23 months ago is a warning: IVS
//! deletes rooms with no connection or update for 24 months).

use chrono::{DateTime, Months, Utc};
use clap::Args;

use super::listing::{self, ServiceArgs};
use crate::diag::Diagnostic;
use crate::discover::preflight::{self, Found};
use crate::plan::ScannedPlan;

/// `--remote` and where to check.
#[derive(Debug, Args, Clone, Default)]
pub struct RemoteArgs {
    /// Also check with the service that every room exists in its region,
    /// and warn about rooms not updated for more than 23 months (needs
    /// credentials; ListRooms pages where cheaper than GetRoom per room).
    #[arg(long)]
    pub remote: bool,
    /// Where to check, and as whom.
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// Rooms not updated for longer than this are warned about.
pub const INACTIVE_MONTHS: u32 = 23;

/// The check for [`crate::pipeline::plan_files_checked`]: diagnostics for
/// missing and long-idle rooms. A check that could not be made leaves its
/// reason in `failed`.
pub fn check<'a>(
    remote: &'a RemoteArgs,
    failed: &'a mut Option<String>,
) -> impl FnMut(&ScannedPlan) -> Vec<Diagnostic> + 'a {
    move |plan| {
        if !remote.remote {
            return Vec::new();
        }
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                *failed = Some(e.to_string());
                return Vec::new();
            }
        };
        match runtime.block_on(diagnose(&remote.service, plan, Utc::now())) {
            Ok(d) => d,
            Err(e) => {
                *failed = Some(e);
                Vec::new()
            }
        }
    }
}

async fn diagnose(
    service: &ServiceArgs,
    plan: &ScannedPlan,
    now: DateTime<Utc>,
) -> Result<Vec<Diagnostic>, String> {
    let rooms: Vec<&crate::playbook::rooms::Room> =
        plan.rooms().iter().map(|r| plan.room_of(r)).collect();
    let arns: Vec<(String, String)> = rooms
        .iter()
        .map(|r| (r.arn.region.clone(), r.arn.arn.clone()))
        .collect();
    let mut regions: Vec<String> = arns.iter().map(|(r, _)| r.clone()).collect();
    regions.sort();
    regions.dedup();
    let clients = listing::connect(service, &regions).await?;
    let limiters = crate::discover::room_limiters();
    let checked = preflight::check(&clients, &limiters, &listing::limiter_key(service), &arns)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        list = checked.list_requests,
        get = checked.get_requests,
        "remote preflight"
    );
    let idle_since = now
        .checked_sub_months(Months::new(INACTIVE_MONTHS))
        .unwrap_or(now);
    let mut out = Vec::new();
    for r in rooms {
        match checked.rooms.get(&r.arn.arn) {
            Some(Found::Missing) => out.push(
                Diagnostic::error(
                    "playbook::room-not-found",
                    format!(
                        "room `{}` does not exist in {} (account {})",
                        r.display_name(),
                        r.arn.region,
                        r.arn.account
                    ),
                )
                .at(Some(r.at))
                .hint("IVS deletes rooms with no connection or update for 24 months; remove it, fix its ARN, or find rooms by tag with `discover:`"),
            ),
            Some(Found::Exists { update_time }) if *update_time < idle_since => out.push(
                Diagnostic::warning(
                    "playbook::room-inactive",
                    format!(
                        "room `{}` was last updated on {}, more than {INACTIVE_MONTHS} months ago",
                        r.display_name(),
                        update_time.format("%Y-%m-%d")
                    ),
                )
                .at(Some(r.at))
                .hint("IVS deletes rooms with no connection or update for 24 months; a connection keeps it, which the service does not show"),
            ),
            _ => {}
        }
    }
    Ok(out)
}
