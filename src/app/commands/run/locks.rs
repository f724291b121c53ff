//! Before sending: the playbooks' `discover:` selectors resolved again and
//! compared with their lock files. The service may have gained or lost
//! rooms since the lock was reviewed; a run sends only to what was
//! reviewed, unless `--refresh` says to send to what is there now (and
//! writes the locks again, so the plan shows it).

use super::super::listing::ServiceArgs;
use super::super::lock::resolve;
use super::args::RunArgs;
use crate::app::exit::{Exit, Failure};
use crate::app::io::Io;
use crate::diag::{Diagnostic, Sources};
use crate::playbook::load;
use crate::playbook::lock::diff;

/// Checks every lock against the service. `Err(exit)`: refused, nothing
/// sent, the reason written.
pub(super) async fn check_locks(
    a: &RunArgs,
    reach: Option<&crate::fs::Reach>,
    io: &mut Io<'_>,
) -> Result<Result<(), Exit>, Failure> {
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    // Problems reading the playbooks are reported by the plan that follows.
    let loaded = load::load(&a.input.paths, reach, &mut sources, &mut diags);
    if loaded
        .iter()
        .all(|lp| crate::playbook::selectors::selectors_of(lp).is_empty())
    {
        return Ok(Ok(()));
    }
    if a.local {
        writeln!(
            io.err,
            "--local: discovered rooms are taken from the lock files as they are"
        )?;
        return Ok(Ok(()));
    }
    let service = ServiceArgs {
        profile: a.profile.clone(),
        endpoint_url: a.endpoint_url.clone(),
    };
    let mut found = Vec::new();
    let locks = match resolve(&loaded, &service, &mut found).await {
        Ok(l) => l,
        Err(e) => {
            return io
                .refuse(format_args!("nothing sent: the `discover:` selectors could not be checked against the service: {e}"))
                .map(Err);
        }
    };
    if found.iter().any(Diagnostic::is_error) {
        io.diagnostics(&sources, &found, a.diagnostics, false)?;
        return io
            .end(
                Exit::Invalid,
                "nothing sent: the `discover:` selectors cannot be resolved now",
            )
            .map(Err);
    }
    let stale = compare(a, &loaded, locks, io)?;
    if stale {
        let paths: Vec<String> = a
            .input
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        return io
            .end(
                Exit::StaleLock,
                format_args!(
                    "nothing sent: review the change with `ivschat-playbook lock {}` (then plan), or send to the rooms found now with `run --refresh`",
                    paths.join(" ")
                ),
            )
            .map(Err);
    }
    Ok(Ok(()))
}

/// Compares each playbook's lock with what the service has now, saying
/// what changed; with `--refresh`, writes the locks again. True when a
/// lock is stale and was left as it is.
fn compare(
    a: &RunArgs,
    loaded: &[crate::playbook::load::LoadedPlaybook],
    locks: Vec<Option<crate::playbook::lock::LockFile>>,
    io: &mut Io<'_>,
) -> Result<bool, Failure> {
    let mut stale = false;
    for (lp, now) in loaded.iter().zip(locks) {
        let Some(now) = now else { continue };
        let path = crate::fs::lock_path(&lp.path);
        let changes = match lp.lock.as_ref().and_then(|l| l.lock.as_ref()) {
            Some(old) => diff(old, &now),
            // No lock (or an unreadable one): the plan reports it, unless
            // it is written now.
            None if a.refresh => vec!["no lock yet".to_string()],
            None => continue,
        };
        if changes.is_empty() {
            continue;
        }
        if a.refresh {
            std::fs::write(&path, now.to_text())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            writeln!(io.err, "--refresh: wrote {} again:", path.display())?;
        } else {
            stale = true;
            writeln!(io.err, "the service no longer matches {}:", path.display())?;
        }
        for c in changes {
            writeln!(io.err, "  {c}")?;
        }
    }
    Ok(stale)
}
