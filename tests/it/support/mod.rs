//! Helpers shared by the integration tests: the binary, SDK clients pointed
//! at an emulator, a raw HTTP/1.1 client for requests no SDK would send,
//! commands with a clean AWS environment, the Python venv with the AWS CLI,
//! and (in [`fixtures`]) the crate root and the fixture files.

#![allow(dead_code)]

pub mod chat;
pub mod fixtures;
pub mod node;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_ivschat::config::retry::RetryConfig;
use aws_sdk_ivschat::config::timeout::TimeoutConfig;
use aws_sdk_ivschat::config::{BehaviorVersion, Region};
use chrono::Utc;
use ivschat_playbook::emulator::Signer;
use ivschat_playbook::emulator::config::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The `ivschat-playbook` binary that cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ivschat-playbook")
}

/// An SDK client with the default emulator key, SDK retries off.
pub fn client(endpoint: &str, region: &str) -> aws_sdk_ivschat::Client {
    client_with(
        endpoint,
        region,
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_SECRET_ACCESS_KEY,
    )
}

/// An SDK client with the given key, SDK retries off.
pub fn client_with(
    endpoint: &str,
    region: &str,
    access_key_id: &str,
    secret: &str,
) -> aws_sdk_ivschat::Client {
    let config = aws_sdk_ivschat::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(aws_credential_types::Credentials::new(
            access_key_id,
            secret,
            None,
            None,
            "tests",
        ))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    aws_sdk_ivschat::Client::from_conf(config)
}

/// A signer with the default emulator key.
pub fn signer(region: &str) -> Signer {
    Signer::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, region)
}

/// A reply read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// First header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts an error reply of the given type and status, and returns its body.
    pub fn expect_error(&self, status: u16, error_type: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("x-amzn-ErrorType"), Some(error_type));
        assert!(self.header("x-amzn-RequestId").is_some(), "no request id");
        let body = self.json();
        assert_eq!(body["__type"], error_type);
        assert!(body["message"].is_string(), "{body}");
        body
    }
}

/// Sends raw bytes (which should ask for `Connection: close`) and reads the
/// reply to EOF. `None` when the server closed without replying.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Option<RawResponse> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("reply within 10 s");
    if read.is_err() && buf.is_empty() {
        return None;
    }
    parse_response(&buf)
}

/// Parses one HTTP/1.1 response with a `Content-Length` (or read to EOF).
pub fn parse_response(buf: &[u8]) -> Option<RawResponse> {
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &buf[split + 4..];
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(rest.len());
    Some(RawResponse {
        status,
        headers,
        body: rest[..len.min(rest.len())].to_vec(),
    })
}

/// Builds a request signed by `signer`, with `Connection: close`.
pub fn signed_request(
    addr: SocketAddr,
    signer: &Signer,
    method: &str,
    path_and_query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let host = addr.to_string();
    let extra: Vec<(&str, &str)> = content_type
        .map(|ct| vec![("content-type", ct)])
        .unwrap_or_default();
    let headers = signer.sign(method, &host, path_and_query, &extra, body, Utc::now());
    build_request(method, path_and_query, &headers, body)
}

/// Assembles request bytes: request line, headers, `Content-Length`,
/// `Connection: close`, body.
pub fn build_request(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path_and_query} HTTP/1.1\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A signed JSON POST to an operation, sent and read back.
pub async fn post(addr: SocketAddr, region: &str, path: &str, body: &str) -> RawResponse {
    let req = signed_request(
        addr,
        &signer(region),
        "POST",
        path,
        Some("application/json"),
        body.as_bytes(),
    );
    raw(addr, &req).await.expect("a reply")
}

/// An unsigned request to the control API.
pub async fn control(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> RawResponse {
    let body = body.unwrap_or("");
    let headers = vec![
        ("host".to_string(), addr.to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    let req = build_request(method, path, &headers, body.as_bytes());
    raw(addr, &req).await.expect("a reply")
}

/// The Python virtual environment with the AWS CLI v1, boto3 and pytest,
/// made by `scripts/setup-venv` (`IVSCHAT_VENV` overrides where).
pub fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("IVSCHAT_VENV") {
        return PathBuf::from(v);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/ivschat-playbook/venv")
}

/// [`venv`], failing the test (not skipping it) when it is missing.
pub fn require_venv() -> PathBuf {
    let venv = venv();
    assert!(
        venv.join("bin/python").exists() && venv.join("bin/aws").exists(),
        "no conformance venv at {} (or it lacks the AWS CLI): run scripts/setup-venv first \
         (set IVSCHAT_VENV to use another location)",
        venv.display()
    );
    venv
}

/// A command run in `dir` with nothing from this machine's AWS or proxy
/// configuration: the environment is cleared, then given the emulator's
/// key, region us-west-2 and no config files.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(program);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-west-2")
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    c
}
