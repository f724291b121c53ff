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

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::errors::ApiError;

/// The only algorithm SigV4 defines for these services.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Signing name of IVS Chat.
pub const SERVICE: &str = "ivschat";
/// `x-amz-date` format.
pub const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// Clock skew AWS tolerates between the signer and the service.
pub const DEFAULT_MAX_SKEW: TimeDelta = TimeDelta::minutes(15);

/// Characters SigV4 leaves unencoded in query names and values.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Same, plus `/`, for the canonical URI.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// What the verifier needs to know about one configured access key.
#[derive(Debug, Clone, Copy)]
pub struct KeyInfo<'a> {
    /// The secret the signature must be made with.
    pub secret_access_key: &'a str,
    /// When set, requests must carry this `x-amz-security-token`.
    pub session_token: Option<&'a str>,
}

/// The pieces of an HTTP request that a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// The path exactly as on the wire (still percent-encoded).
    pub path: &'a str,
    /// The raw query string without `?`, if any.
    pub query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The full body.
    pub body: &'a [u8],
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
    let Some(auth) = req.headers.get("authorization") else {
        return Err(ApiError::MissingAuthenticationToken);
    };
    let auth = auth.to_str().map_err(|_| {
        ApiError::IncompleteSignature("Authorization header is not valid ASCII".into())
    })?;
    let auth = parse_authorization(auth)?;

    let Some(key) = lookup(auth.access_key_id) else {
        return Err(ApiError::UnrecognizedClient);
    };
    let token = req
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    if let Some(expected) = key.session_token
        && token.is_none_or(|t| !constant_time_eq(t.as_bytes(), expected.as_bytes()))
    {
        return Err(ApiError::UnrecognizedClient);
    }

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

    let Some(amz_date) = req.headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
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

    let payload_hash = hex::encode(Sha256::digest(req.body));
    if let Some(claimed) = req.headers.get("x-amz-content-sha256")
        && claimed.as_bytes() != payload_hash.as_bytes()
    {
        return Err(ApiError::InvalidSignature(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
        ));
    }

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

/// The canonical request: method, URI, query, headers, signed header list
/// and payload hash, one per line.
fn canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[&str],
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query.unwrap_or("")));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for value in req.headers.get_all(*name) {
            if !first {
                out.push(',');
            }
            first = false;
            push_trimmed(&mut out, &String::from_utf8_lossy(value.as_bytes()));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// Appends a header value trimmed, with each run of spaces folded to one.
fn push_trimmed(out: &mut String, value: &str) {
    let mut last_space = false;
    for c in value.trim().chars() {
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

/// The raw path encoded once more (the double encoding of non-S3 SigV4).
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".into();
    }
    utf8_percent_encode(raw_path, PATH_SET).to_string()
}

/// The query with names and values decoded, re-encoded with the SigV4 set,
/// and sorted.
pub fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (reencode(k), reencode(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn reencode(s: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(s).collect();
    percent_encoding::percent_encode(&decoded, QUERY_SET).to_string()
}

/// Encodes a value for use in a query string or as one path segment.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, QUERY_SET).to_string()
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signs requests the way the SDKs do, for tests, benchmarks and tools that
/// talk to the emulator without an SDK.
#[derive(Clone)]
pub struct Signer {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never printed by [`Signer`]'s `Debug`).
    pub secret_access_key: String,
    /// Optional session token, sent as `x-amz-security-token`.
    pub session_token: Option<String>,
    /// Region of the credential scope.
    pub region: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for one key pair and region.
    pub fn new(access_key_id: &str, secret_access_key: &str, region: &str) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            region: region.into(),
        }
    }

    /// Signs a request and returns every header to send with it: the given
    /// `headers`, then `host`, `x-amz-date`, `x-amz-content-sha256`, the
    /// session token if any, and `authorization`. All are signed.
    ///
    /// `path_and_query` must be as it will go on the wire (already
    /// percent-encoded), e.g. `/tags/arn%3Aaws%3A…?tagKeys=a`.
    pub fn sign(
        &self,
        method: &str,
        host: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        time: DateTime<Utc>,
    ) -> Vec<(String, String)> {
        let amz_date = time.format(AMZ_DATE_FORMAT).to_string();
        let date = &amz_date[..8];
        let payload_hash = hex::encode(Sha256::digest(body));
        let mut out: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_string()))
            .collect();
        out.push(("host".into(), host.into()));
        out.push(("x-amz-date".into(), amz_date.clone()));
        out.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        if let Some(t) = &self.session_token {
            out.push(("x-amz-security-token".into(), t.clone()));
        }
        let mut map = HeaderMap::new();
        for (k, v) in &out {
            if let (Ok(k), Ok(v)) = (
                axum::http::HeaderName::from_bytes(k.as_bytes()),
                axum::http::HeaderValue::from_str(v),
            ) {
                map.append(k, v);
            }
        }
        let mut names: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let parts = RequestParts {
            method,
            path,
            query,
            headers: &map,
            body,
        };
        let canonical = canonical_request(&parts, &names, &payload_hash);
        let scope = format!("{date}/{}/{SERVICE}/aws4_request", self.region);
        let sts = string_to_sign(&amz_date, &scope, &canonical);
        let key = signing_key(&self.secret_access_key, date, &self.region, SERVICE);
        let signature = hex::encode(hmac(&key, sts.as_bytes()));
        let authorization = format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            self.access_key_id,
            names.join(";")
        );
        out.push(("authorization".into(), authorization));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn to_map(headers: &[(String, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn check(
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Authenticated, ApiError> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let req = RequestParts {
            method,
            path,
            query,
            headers,
            body,
        };
        verify(
            &req,
            |id| {
                (id == AKID).then_some(KeyInfo {
                    secret_access_key: SECRET,
                    session_token: None,
                })
            },
            |r| r == "us-east-1",
            now,
            DEFAULT_MAX_SKEW,
        )
    }

    /// The example from the AWS SigV4 documentation ("GET
    /// /?Action=ListUsers&Version=2010-05-08" for IAM) checks our
    /// canonicalization and key derivation against published values.
    #[test]
    fn matches_the_documented_example() {
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let canonical = canonical_request(
            &req,
            &["content-type", "host", "x-amz-date"],
            &hex::encode(Sha256::digest(b"")),
        );
        assert_eq!(
            hex::encode(Sha256::digest(canonical.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            &canonical,
        );
        assert_eq!(
            hex::encode(hmac(&key, sts.as_bytes())),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn round_trips_and_refuses_tampering() {
        let now = Utc::now();
        let signer = Signer::new(AKID, SECRET, "us-east-1");
        let body = br#"{"eventName":"x"}"#;
        let path = "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A1%3Aroom%2Fabc?tagKeys=b&tagKeys=a%20b";
        let headers = to_map(&signer.sign(
            "POST",
            "localhost:1",
            path,
            &[("content-type", "application/json")],
            body,
            now,
        ));
        let ok = check("POST", path, &headers, body, now).unwrap();
        assert_eq!(ok.region, "us-east-1");
        assert!(matches!(
            check("POST", path, &headers, br#"{"eventName":"y"}"#, now),
            Err(ApiError::InvalidSignature(_))
        ));
        assert!(matches!(
            check("POST", "/tags/other", &headers, body, now),
            Err(ApiError::InvalidSignature(_))
        ));
        assert!(matches!(
            check("DELETE", path, &headers, body, now),
            Err(ApiError::InvalidSignature(_))
        ));
        // Without x-amz-content-sha256 the body still counts.
        let mut stripped = headers.clone();
        stripped.remove("x-amz-content-sha256");
        assert!(check("POST", path, &stripped, br#"{"eventName":"y"}"#, now).is_err());
    }

    #[test]
    fn wrong_secret_key_region_and_time() {
        let now = Utc::now();
        let body = b"{}";
        let sign = |s: Signer, t| to_map(&s.sign("POST", "h", "/SendEvent", &[], body, t));
        let wrong_secret = sign(Signer::new(AKID, "nope", "us-east-1"), now);
        assert!(matches!(
            check("POST", "/SendEvent", &wrong_secret, body, now),
            Err(ApiError::InvalidSignature(m)) if m.contains("does not match")
        ));
        let unknown = sign(Signer::new("AKIDOTHER", SECRET, "us-east-1"), now);
        assert_eq!(
            check("POST", "/SendEvent", &unknown, body, now),
            Err(ApiError::UnrecognizedClient)
        );
        let region = sign(Signer::new(AKID, SECRET, "mars-1"), now);
        assert!(matches!(
            check("POST", "/SendEvent", &region, body, now),
            Err(ApiError::InvalidSignature(m)) if m.contains("region")
        ));
        let old = sign(
            Signer::new(AKID, SECRET, "us-east-1"),
            now - TimeDelta::minutes(16),
        );
        assert!(matches!(
            check("POST", "/SendEvent", &old, body, now),
            Err(ApiError::InvalidSignature(m)) if m.starts_with("Signature expired")
        ));
        let skewed = sign(
            Signer::new(AKID, SECRET, "us-east-1"),
            now - TimeDelta::minutes(14),
        );
        assert!(check("POST", "/SendEvent", &skewed, body, now).is_ok());
        let future = sign(
            Signer::new(AKID, SECRET, "us-east-1"),
            now + TimeDelta::minutes(16),
        );
        assert!(matches!(
            check("POST", "/SendEvent", &future, body, now),
            Err(ApiError::InvalidSignature(m)) if m.starts_with("Signature not yet current")
        ));
    }

    #[test]
    fn malformed_headers() {
        let now = Utc::now();
        let empty = HeaderMap::new();
        assert_eq!(
            check("POST", "/SendEvent", &empty, b"", now),
            Err(ApiError::MissingAuthenticationToken)
        );
        for bad in [
            "Basic abc",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ivschat/aws4_request",
            "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
        ] {
            let mut h = HeaderMap::new();
            h.insert("authorization", HeaderValue::from_str(bad).unwrap());
            assert!(
                matches!(
                    check("POST", "/SendEvent", &h, b"", now),
                    Err(ApiError::IncompleteSignature(_))
                ),
                "{bad}"
            );
        }
        let mut no_date = to_map(&Signer::new(AKID, SECRET, "us-east-1").sign(
            "POST",
            "h",
            "/SendEvent",
            &[],
            b"",
            now,
        ));
        no_date.remove("x-amz-date");
        assert!(matches!(
            check("POST", "/SendEvent", &no_date, b"", now),
            Err(ApiError::IncompleteSignature(_))
        ));
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/tags/arn%3Aa%2Fb"), "/tags/arn%253Aa%252Fb");
        assert_eq!(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
        assert_eq!(canonical_query("k=a%20b&k=a+b"), "k=a%20b&k=a%2Bb");
        let mut s = String::new();
        push_trimmed(&mut s, "  a   b  c ");
        assert_eq!(s, "a b c");
    }
}
