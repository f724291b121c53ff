//! Unit tests of SigV4: the documented example, round trips, tampering,
//! refusals in the service's words, and the canonical forms.

use super::canonical::push_trimmed;
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
