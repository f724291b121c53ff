//! Where a region's chat connections go: `wss://edge.ivschat.REGION.amazonaws.com`
//! on AWS; for an endpoint override (an emulator), the same host and port
//! with `http` turned into `ws` and `https` into `wss`.

/// How chat URLs are chosen: AWS's per-region edge, or one endpoint's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeUrls {
    /// `wss://edge.ivschat.REGION.amazonaws.com`.
    Aws,
    /// Every region's chat goes to this WebSocket URL.
    Endpoint(String),
}

impl EdgeUrls {
    /// From the API endpoint override, if any: `http://h:p` → `ws://h:p`,
    /// `https://h` → `wss://h`; `ws://` and `wss://` are kept as given.
    pub fn for_endpoint(endpoint_url: Option<&str>) -> Result<EdgeUrls, String> {
        let Some(url) = endpoint_url else {
            return Ok(EdgeUrls::Aws);
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            format!("the endpoint URL `{url}` has no scheme (http:// or https://)")
        })?;
        let ws = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => "ws",
            "https" | "wss" => "wss",
            other => {
                return Err(format!(
                    "the endpoint URL `{url}` is {other}://; chat needs http(s):// or ws(s)://"
                ));
            }
        };
        // The chat edge takes any path; the API's own path is not the chat's.
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() {
            return Err(format!("the endpoint URL `{url}` has no host"));
        }
        Ok(EdgeUrls::Endpoint(format!("{ws}://{host}")))
    }

    /// The chat URL for a room in `region`.
    pub fn url(&self, region: &str) -> String {
        match self {
            EdgeUrls::Aws => format!("wss://edge.ivschat.{region}.amazonaws.com"),
            EdgeUrls::Endpoint(u) => u.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_map_to_their_chat_urls() {
        let e = |u| EdgeUrls::for_endpoint(Some(u)).map(|e| e.url("eu-west-1"));
        assert_eq!(
            EdgeUrls::for_endpoint(None).unwrap().url("eu-west-1"),
            "wss://edge.ivschat.eu-west-1.amazonaws.com"
        );
        assert_eq!(e("http://127.0.0.1:4566").unwrap(), "ws://127.0.0.1:4566");
        assert_eq!(
            e("https://chat.example.com/api/").unwrap(),
            "wss://chat.example.com"
        );
        assert_eq!(e("ws://[::1]:9").unwrap(), "ws://[::1]:9");
        assert!(e("ftp://x").unwrap_err().contains("ftp"));
        assert!(e("127.0.0.1:4566").unwrap_err().contains("no scheme"));
        assert!(e("http://").unwrap_err().contains("no host"));
    }
}
