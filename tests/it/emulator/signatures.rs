//! Raw HTTP: signatures are checked, and bad input of each kind gets the
//! service's answer.

use std::time::{Duration, Instant};

use aws_sdk_ivschat::error::ProvideErrorMetadata;
use ivschat_playbook::emulator::{Credential, EmulatorConfig, Signer};

use crate::support::{
    build_request, client, client_with, control, post, raw, signed_request, signer,
};

use super::{is_id, new_room, start, status};

#[tokio::test]
async fn signatures_are_checked() {
    let emu = start(EmulatorConfig {
        quotas: false,
        credentials: vec![
            Credential::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            Credential {
                account: Some("210987654321".into()),
                ..Credential::new("AKIAOTHERACCOUNT0000", "other-secret")
            },
        ],
        ..EmulatorConfig::default()
    })
    .await;
    let url = emu.endpoint_url();
    let wrong = client_with(&url, "us-east-1", "AKIAIOSFODNN7EXAMPLE", "not-the-secret");
    let err = wrong.list_rooms().send().await.unwrap_err();
    assert_eq!(status(&err), Some(403));
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(!err.message().unwrap_or("").contains("not-the-secret"));

    let unknown = client_with(&url, "us-east-1", "AKIAUNKNOWN000000000", "x");
    let err = unknown.list_rooms().send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnrecognizedClientException"));

    // The second key creates rooms in its own account.
    let other = client_with(&url, "us-east-1", "AKIAOTHERACCOUNT0000", "other-secret");
    let arn = new_room(&other).await;
    assert!(arn.contains(":210987654321:room/"), "{arn}");
    assert_eq!(emu.stats().auth_failures, 2);

    let addr = emu.local_addr();
    let body = format!(r#"{{"roomIdentifier":"{arn}","eventName":"E"}}"#);

    // No Authorization header.
    let unsigned = build_request(
        "POST",
        "/SendEvent",
        &[
            ("host".into(), addr.to_string()),
            ("content-type".into(), "application/json".into()),
        ],
        body.as_bytes(),
    );
    raw(addr, &unsigned)
        .await
        .unwrap()
        .expect_error(403, "MissingAuthenticationTokenException");

    // Signed, then the body changed on the way.
    let other_signer = Signer::new("AKIAOTHERACCOUNT0000", "other-secret", "us-east-1");
    let good = signed_request(
        addr,
        &other_signer,
        "POST",
        "/SendEvent",
        Some("application/json"),
        body.as_bytes(),
    );
    let tampered = String::from_utf8(good.clone())
        .unwrap()
        .replace(r#""eventName":"E""#, r#""eventName":"F""#);
    raw(addr, tampered.as_bytes())
        .await
        .unwrap()
        .expect_error(403, "InvalidSignatureException");
    // Same tampering without x-amz-content-sha256: the body still counts.
    let headers = other_signer.sign(
        "POST",
        &addr.to_string(),
        "/SendEvent",
        &[("content-type", "application/json")],
        body.as_bytes(),
        chrono::Utc::now(),
    );
    let no_hash: Vec<(String, String)> = headers
        .into_iter()
        .filter(|(k, _)| k != "x-amz-content-sha256")
        .collect();
    let req = build_request(
        "POST",
        "/SendEvent",
        &no_hash,
        br#"{"roomIdentifier":"x","eventName":"EE"}"#,
    );
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(403, "InvalidSignatureException");
    // Malformed Authorization.
    let mut malformed = no_hash.clone();
    for (k, v) in &mut malformed {
        if k == "authorization" {
            *v = "AWS4-HMAC-SHA256 Credential=AKIAOTHERACCOUNT0000".into();
        }
    }
    let req = build_request("POST", "/SendEvent", &malformed, body.as_bytes());
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(403, "IncompleteSignatureException");
    // A signature from 20 minutes ago.
    let old = other_signer.sign(
        "POST",
        &addr.to_string(),
        "/SendEvent",
        &[("content-type", "application/json")],
        body.as_bytes(),
        chrono::Utc::now() - chrono::TimeDelta::minutes(20),
    );
    let req = build_request("POST", "/SendEvent", &old, body.as_bytes());
    let resp = raw(addr, &req).await.unwrap();
    let err = resp.expect_error(403, "InvalidSignatureException");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired")
    );
    // The untampered request goes through.
    raw(addr, &good).await.unwrap().json()["id"]
        .as_str()
        .map(is_id)
        .unwrap();
    assert!(emu.events().iter().all(|e| e.event_name == "E"));
    assert_eq!(emu.events().len(), 1);
}

#[tokio::test]
async fn raw_bad_input_gets_the_service_answer() {
    let emu = start(EmulatorConfig {
        quotas: false,
        max_body_bytes: 4096,
        body_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let addr = emu.local_addr();
    let c = client(&emu.endpoint_url(), "us-east-1");
    let arn = new_room(&c).await;

    // Unknown path, unknown method on a known path, unknown tag method.
    let unknown = control(addr, "POST", "/SendEvents", Some("{}")).await;
    unknown.expect_error(404, "UnknownOperationException");
    let s = signer("us-east-1");
    let get = signed_request(addr, &s, "GET", "/SendEvent", None, b"");
    raw(addr, &get)
        .await
        .unwrap()
        .expect_error(404, "UnknownOperationException");
    let put = signed_request(addr, &s, "PUT", "/tags/abc", None, b"");
    raw(addr, &put)
        .await
        .unwrap()
        .expect_error(404, "UnknownOperationException");

    // Malformed JSON, a non-object, a member of the wrong type.
    for body in [
        r#"{"roomIdentifier": "#,
        r#"["a","b"]"#,
        r#"{"eventName": 5}"#,
        "\u{1}",
    ] {
        let resp = post(addr, "us-east-1", "/SendEvent", body).await;
        resp.expect_error(400, "SerializationException");
    }

    // Missing required members: both reported.
    let resp = post(addr, "us-east-1", "/SendEvent", "{}").await;
    let body = resp.expect_error(400, "ValidationException");
    assert_eq!(body["reason"], "FIELD_VALIDATION_FAILED");
    let names: Vec<&str> = body["fieldList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["roomIdentifier", "eventName"]);
    assert_eq!(body["fieldList"][0]["message"], "Member must not be null");
    // An empty body counts as {}.
    let resp = post(addr, "us-east-1", "/GetRoom", "").await;
    assert_eq!(
        resp.expect_error(400, "ValidationException")["fieldList"][0]["name"],
        "identifier"
    );
    // UntagResource without tagKeys.
    let label = ivschat_playbook::emulator::sigv4::encode_component(&arn);
    let untag = signed_request(addr, &s, "DELETE", &format!("/tags/{label}"), None, b"");
    let body = raw(addr, &untag)
        .await
        .unwrap()
        .expect_error(400, "ValidationException");
    assert_eq!(body["fieldList"][0]["name"], "tagKeys");
    // A bad pagination token.
    let resp = post(
        addr,
        "us-east-1",
        "/ListRooms",
        r#"{"nextToken":"garbage"}"#,
    )
    .await;
    assert_eq!(
        resp.expect_error(400, "ValidationException")["reason"],
        "OTHER"
    );

    // Wrong content type.
    let body = format!(r#"{{"roomIdentifier":"{arn}","eventName":"E"}}"#);
    let req = signed_request(
        addr,
        &s,
        "POST",
        "/SendEvent",
        Some("text/plain"),
        body.as_bytes(),
    );
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(415, "UnsupportedMediaTypeException");

    // Too large, by Content-Length and while streaming chunks.
    let big = format!(
        r#"{{"roomIdentifier":"{arn}","eventName":"{}"}}"#,
        "x".repeat(5000)
    );
    let req = signed_request(
        addr,
        &s,
        "POST",
        "/SendEvent",
        Some("application/json"),
        big.as_bytes(),
    );
    raw(addr, &req)
        .await
        .unwrap()
        .expect_error(413, "RequestEntityTooLargeException");
    let mut chunked = format!(
        "POST /SendEvent HTTP/1.1\r\nhost: {addr}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..5 {
        chunked.extend_from_slice(format!("400\r\n{}\r\n", "a".repeat(1024)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    raw(addr, &chunked)
        .await
        .unwrap()
        .expect_error(413, "RequestEntityTooLargeException");

    // A body that never arrives in full.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(
            format!("POST /SendEvent HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 100\r\n\r\n{{")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut buf = Vec::new();
    let started = Instant::now();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let resp = crate::support::parse_response(&buf).expect("a reply");
    resp.expect_error(408, "RequestTimeoutException");

    // Not HTTP at all: hyper answers 400 or closes; the server keeps serving.
    let garbage = raw(addr, b"\x00\x01\x02 hello\r\n\r\n").await;
    assert!(garbage.is_none_or(|r| r.status == 400));
    let ok = post(addr, "us-east-1", "/SendEvent", &body).await;
    assert_eq!(ok.status, 200);
    assert!(ok.header("x-amzn-RequestId").is_some());
    assert_eq!(ok.header("content-type"), Some("application/json"));
    assert!(emu.stats().rejected_before_auth >= 3);
}
