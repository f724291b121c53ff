//! Where `run` sends, decided once: from `--local`, `--endpoint-url` (or
//! the SDK's endpoint variables) or AWS with a profile; for a resume, the
//! place the journal recorded, so a rehearsal never finishes in production.

use std::io::{BufRead, IsTerminal, Write};

use crate::journal::Target;

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub struct Asked<'a> {
    /// `--local`.
    pub local: bool,
    /// `--endpoint-url`.
    pub endpoint_url: Option<&'a str>,
    /// `--profile` (or `AWS_PROFILE`).
    pub profile: Option<&'a str>,
    /// `--retarget`: resume somewhere else than recorded.
    pub retarget: bool,
}

impl Asked<'_> {
    /// The target these flags name by themselves (`None`: plain AWS with the
    /// default chain, nothing said). The SDK's endpoint variables count as
    /// an endpoint.
    fn named(&self, accounts: &[String]) -> Option<Target> {
        if self.local {
            return Some(Target::Local);
        }
        let env = ["AWS_ENDPOINT_URL_IVSCHAT", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
        if let Some(url) = self.endpoint_url.map(str::to_string).or(env) {
            return Some(Target::Endpoint { url });
        }
        self.profile.map(|p| Target::Aws {
            profile: Some(p.to_string()),
            accounts: accounts.to_vec(),
        })
    }
}

/// The target of this run. A resume of a journal that recorded one sends
/// there unless the flags name another place, which is refused unless
/// `--retarget`. `accounts` are the plan's.
pub fn resolve(
    asked: &Asked<'_>,
    recorded: Option<&Target>,
    accounts: &[String],
) -> Result<Target, String> {
    let aws_default = || Target::Aws {
        profile: None,
        accounts: accounts.to_vec(),
    };
    let named = asked.named(accounts);
    let with_accounts = |t: &Target| match t {
        Target::Aws { profile, .. } => Target::Aws {
            profile: profile.clone(),
            accounts: accounts.to_vec(),
        },
        other => other.clone(),
    };
    match (recorded, named) {
        (None, named) => Ok(named.unwrap_or_else(aws_default)),
        (Some(rec), None) => Ok(with_accounts(rec)),
        (Some(rec), Some(named)) if rec.same_place(&named) || asked.retarget => Ok(named),
        (Some(rec), Some(named)) => Err(format!(
            "the journal was written sending to {}; this run would send the rest to {}.\n\
             Resume without target flags to send to the same place, or pass --retarget to send the rest to {}.",
            rec.describe(),
            named.describe(),
            named.describe()
        )),
    }
}

/// Whether to ask before sending: only for AWS itself, only when someone is
/// at the terminal to answer, and not with `--yes`.
pub fn needs_confirmation(target: &Target, interactive: bool, yes: bool) -> bool {
    matches!(target, Target::Aws { .. }) && interactive && !yes
}

/// Asks on the terminal; `true` for an answer of `y` or `yes`.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    let mut err = std::io::stderr();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> Vec<String> {
        vec!["123456789012".into()]
    }

    #[test]
    fn a_resume_sends_where_the_journal_sent() {
        let none = Asked::default();
        let local = Asked {
            local: true,
            ..Default::default()
        };
        let prod = Asked {
            profile: Some("prod"),
            ..Default::default()
        };
        // No record: what the flags say, AWS by default.
        assert_eq!(resolve(&local, None, &accounts()), Ok(Target::Local));
        assert!(matches!(
            resolve(&none, None, &accounts()),
            Ok(Target::Aws { profile: None, .. })
        ));
        // A recorded rehearsal stays a rehearsal when no flag is given...
        assert_eq!(
            resolve(&none, Some(&Target::Local), &accounts()),
            Ok(Target::Local)
        );
        // ...and is not sent to AWS by a pasted command that names it.
        let err = resolve(&prod, Some(&Target::Local), &accounts()).unwrap_err();
        assert!(err.contains("--retarget"), "{err}");
        let retarget = Asked {
            retarget: true,
            ..prod.clone()
        };
        assert!(resolve(&retarget, Some(&Target::Local), &accounts()).is_ok());
        // The same profile is the same place.
        let rec = Target::Aws {
            profile: Some("prod".into()),
            accounts: accounts(),
        };
        assert!(resolve(&prod, Some(&rec), &accounts()).is_ok());
    }

    #[test]
    fn only_aws_at_a_terminal_asks() {
        let aws = Target::Aws {
            profile: None,
            accounts: accounts(),
        };
        assert!(needs_confirmation(&aws, true, false));
        assert!(!needs_confirmation(&aws, true, true));
        assert!(!needs_confirmation(&aws, false, false));
        assert!(!needs_confirmation(&Target::Local, true, false));
        let ep = Target::Endpoint {
            url: "http://127.0.0.1:1".into(),
        };
        assert!(!needs_confirmation(&ep, true, false));
    }
}
