//! The SigV4 forms both sides compute: the canonical request (URI, query,
//! headers), the string to sign and the signing key. The verifier and the
//! [`super::Signer`] share them, so what one signs the other checks.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// The only algorithm SigV4 defines for these services.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Signing name of IVS Chat.
pub const SERVICE: &str = "ivschat";
/// `x-amz-date` format.
pub const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Characters SigV4 leaves unencoded in query names and values.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Same, plus `/`, for the canonical URI.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

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

/// The canonical request: method, URI, query, headers, signed header list
/// and payload hash, one per line.
pub(super) fn canonical_request(
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
pub(super) fn push_trimmed(out: &mut String, value: &str) {
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

/// A query name or value decoded, then encoded with the SigV4 set.
fn reencode(s: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(s).collect();
    percent_encoding::percent_encode(&decoded, QUERY_SET).to_string()
}

/// Encodes a value for use in a query string or as one path segment.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, QUERY_SET).to_string()
}

/// The string to sign: algorithm, time, scope and the canonical request's
/// hash.
pub(super) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// HMAC-SHA256, the one primitive of SigV4.
pub(super) fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The key for one day, region and service, derived from the secret.
pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}
