//! Secrets that must never be printed, and the one place text is cleaned of
//! them before it reaches a log.
//!
//! Capping the log levels of the crates that handle credentials is not
//! enough: a span filter (`RUST_LOG='[try_attempt]=trace'`) turns on
//! everything inside a span whatever its crate. So every log line passes
//! through [`redact`], which replaces each registered secret (the secret
//! key and session token from the environment, and those the credential
//! chain resolved) and the value of every credential-bearing header or
//! field with `** redacted **`.

use std::borrow::Cow;
use std::sync::{LazyLock, RwLock};

use regex::Regex;

/// What stands in for a secret.
pub const MARK: &str = "** redacted **";

/// Shorter values are not secrets worth matching (and would match text
/// that is not theirs).
const MIN_SECRET_LEN: usize = 8;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Header or field names whose values are credentials, and the value after
/// them.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(x-amz-security-token|aws_session_token|session_token|secret_access_key|aws_secret_access_key)(["']?\s*[:=]\s*["']?|"\s*,\s*")([^"'\s,}&]+)"#,
    )
    .expect("the pattern compiles")
});

/// Adds a secret to those removed from every log line.
pub fn register(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut s = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !s.iter().any(|k| k == secret) {
        s.push(secret.to_string());
    }
}

/// Registers the secrets the environment holds for the AWS SDK.
pub fn register_from_env() {
    for var in [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ] {
        if let Ok(v) = std::env::var(var) {
            register(&v);
        }
    }
}

/// `text` without any registered secret or credential value.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), MARK));
        }
    }
    if NAMED.is_match(&out) {
        out = Cow::Owned(NAMED.replace_all(&out, format!("$1$2{MARK}")).into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_and_named_secrets_are_replaced() {
        register("SuperSecretValue0123");
        let line = r#"key SuperSecretValue0123 and x-amz-security-token: FwoGZXIvYXdz/abc== then "session_token": "tok123456789""#;
        let out = redact(line);
        assert!(!out.contains("SuperSecretValue0123"), "{out}");
        assert!(!out.contains("FwoGZXIvYXdz"), "{out}");
        assert!(!out.contains("tok123456789"), "{out}");
        assert!(
            out.contains("x-amz-security-token: ** redacted **"),
            "{out}"
        );
        assert_eq!(redact("nothing here"), "nothing here");
    }
}
