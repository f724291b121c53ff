//! AWS Signature Version 4 for the `ivschat` service: verifying the
//! `Authorization` header of an incoming request, and signing requests for the
//! tests and the benchmark.
//!
//! The verifier rebuilds the canonical request from what arrived on the wire,
//! driven by the `SignedHeaders` list, exactly as the service does:
//!
//! - the canonical URI is the raw request path encoded once more (SigV4 for
//!   services other than S3 double-encodes: `/tags/arn%3Aaws%3A…` is signed as
//!   `/tags/arn%253Aaws%253A…`);
//! - the canonical query decodes each name and value, re-encodes them with the
//!   SigV4 set (`A-Z a-z 0-9 - _ . ~` kept) and sorts them;
//! - header values are trimmed, inner runs of spaces folded, repeats joined
//!   by `,`;
//! - the payload hash is always computed from the body that arrived, so a
//!   tampered body fails even when the client sent `x-amz-content-sha256`
//!   (and a mismatching `x-amz-content-sha256` is refused outright).
//!
//! Requests may be up to 15 minutes early or late, as AWS allows. Secrets are
//! never logged or echoed in errors.

mod canonical;
mod signer;

pub use canonical::{
    ALGORITHM, AMZ_DATE_FORMAT, RequestParts, SERVICE, canonical_query, canonical_uri,
    encode_component,
};
pub use signer::Signer;

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use super::errors::ApiError;
use canonical::{canonical_request, hmac, signing_key, string_to_sign};

/// Clock skew AWS tolerates between the signer and the service.
pub const DEFAULT_MAX_SKEW: TimeDelta = TimeDelta::minutes(15);

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// What the verifier needs to know about one configured access key.
#[derive(Debug, Clone, Copy)]
pub struct KeyInfo<'a> {
    /// The secret the signature must be made with.
    pub secret_access_key: &'a str,
    /// When set, requests must carry this `x-amz-security-token`.
    pub session_token: Option<&'a str>,
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The access key id that signed.
    pub access_key_id: String,
    /// The region of the credential scope: the region the request is for.
    pub region: String,
}

/// The parsed `Authorization` header.
#[derive(Debug)]
struct AuthHeader<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<AuthHeader<'_>, ApiError> {
    let Some(rest) = value.strip_prefix(ALGORITHM) else {
        return Err(ApiError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': only {ALGORITHM} is supported"
        )));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some((k, v)) = part.split_once('=') {
            match k.trim() {
                "Credential" => credential = Some(v.trim()),
                "SignedHeaders" => signed = Some(v.trim()),
                "Signature" => signature = Some(v.trim()),
                _ => {}
            }
        }
    }
    let mut missing = Vec::new();
    for (name, v) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if v.is_none_or(str::is_empty) {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::IncompleteSignature(missing.join(" ")));
    }
    let (credential, signed, signature) = (
        credential.unwrap_or_default(),
        signed.unwrap_or_default(),
        signature.unwrap_or_default(),
    );
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope[..] else {
        return Err(ApiError::IncompleteSignature(format!(
            "Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/{SERVICE}/aws4_request"
        )));
    };
    Ok(AuthHeader {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// Checks the SigV4 signature of a request.
///
/// `lookup` finds a configured access key; `is_region` says whether a
/// credential-scope region is one the emulator serves. The order of checks
/// follows the service: header shape, key, scope, time, payload, signature.
pub fn verify<'k>(
    req: &RequestParts<'_>,
    lookup: impl Fn(&str) -> Option<KeyInfo<'k>>,
    is_region: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
    max_skew: TimeDelta,
) -> Result<Authenticated, ApiError> {
    let auth = read_authorization(req.headers)?;
    let key = check_key(req.headers, &auth, lookup)?;
    check_scope(&auth, is_region)?;
    let amz_date = check_time(req.headers, &auth, now, max_skew)?;
    let payload_hash = check_payload(req)?;
    let canonical = canonical_request(req, &auth.signed_headers, &payload_hash);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let string_to_sign = string_to_sign(amz_date, &scope, &canonical);
    let key = signing_key(key.secret_access_key, auth.date, auth.region, auth.service);
    let expected = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(ApiError::InvalidSignature(SIGNATURE_MISMATCH.into()));
    }
    Ok(Authenticated {
        access_key_id: auth.access_key_id.to_string(),
        region: auth.region.to_string(),
    })
}

/// The `Authorization` header, present, ASCII and well formed.
fn read_authorization(headers: &HeaderMap) -> Result<AuthHeader<'_>, ApiError> {
    let Some(auth) = headers.get("authorization") else {
        return Err(ApiError::MissingAuthenticationToken);
    };
    let auth = auth.to_str().map_err(|_| {
        ApiError::IncompleteSignature("Authorization header is not valid ASCII".into())
    })?;
    parse_authorization(auth)
}

/// The signing key, configured, with its session token when it has one.
fn check_key<'k>(
    headers: &HeaderMap,
    auth: &AuthHeader<'_>,
    lookup: impl Fn(&str) -> Option<KeyInfo<'k>>,
) -> Result<KeyInfo<'k>, ApiError> {
    let Some(key) = lookup(auth.access_key_id) else {
        return Err(ApiError::UnrecognizedClient);
    };
    let token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    if let Some(expected) = key.session_token
        && token.is_none_or(|t| !constant_time_eq(t.as_bytes(), expected.as_bytes()))
    {
        return Err(ApiError::UnrecognizedClient);
    }
    Ok(key)
}

/// The credential scope (terminator, service, region), and `host` among
/// the signed headers.
fn check_scope(auth: &AuthHeader<'_>, is_region: impl Fn(&str) -> bool) -> Result<(), ApiError> {
    if auth.terminator != "aws4_request" {
        return Err(ApiError::IncompleteSignature(
            "Credential should be scoped with a valid terminator: 'aws4_request'".into(),
        ));
    }
    if auth.service != SERVICE {
        return Err(ApiError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    if !is_region(auth.region) {
        return Err(ApiError::InvalidSignature(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        )));
    }
    if !auth.signed_headers.contains(&"host") {
        return Err(ApiError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    Ok(())
}

/// The `x-amz-date`: well formed, on the scope's day, and within
/// `max_skew` of `now`. Returns it as sent.
fn check_time<'h>(
    headers: &'h HeaderMap,
    auth: &AuthHeader<'_>,
    now: DateTime<Utc>,
    max_skew: TimeDelta,
) -> Result<&'h str, ApiError> {
    let Some(amz_date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::IncompleteSignature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        ));
    };
    let Ok(signed_at) = NaiveDateTime::parse_from_str(amz_date, AMZ_DATE_FORMAT) else {
        return Err(ApiError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let signed_at = signed_at.and_utc();
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(ApiError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..amz_date.len().min(8)]
        )));
    }
    let fmt = |t: DateTime<Utc>| t.format(AMZ_DATE_FORMAT).to_string();
    let minutes = max_skew.num_minutes();
    if signed_at < now - max_skew {
        return Err(ApiError::InvalidSignature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
            fmt(now - max_skew),
            fmt(now)
        )));
    }
    if signed_at > now + max_skew {
        return Err(ApiError::InvalidSignature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} min.)",
            fmt(now + max_skew),
            fmt(now)
        )));
    }
    Ok(amz_date)
}

/// The hash of the body that arrived; a different `x-amz-content-sha256`
/// is refused.
fn check_payload(req: &RequestParts<'_>) -> Result<String, ApiError> {
    let payload_hash = hex::encode(Sha256::digest(req.body));
    if let Some(claimed) = req.headers.get("x-amz-content-sha256")
        && claimed.as_bytes() != payload_hash.as_bytes()
    {
        return Err(ApiError::InvalidSignature(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
        ));
    }
    Ok(payload_hash)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
