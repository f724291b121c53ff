//! The signing side: requests signed the way the SDKs do, for the tests,
//! the benchmark and tools that talk to the emulator without an SDK.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::canonical::{
    ALGORITHM, AMZ_DATE_FORMAT, RequestParts, SERVICE, canonical_request, hmac, signing_key,
    string_to_sign,
};

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
