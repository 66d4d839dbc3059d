//! HTTP fetching: one polite, bounded, SSRF-safe GET.
//!
//! [`Fetcher::get`] sends conditional requests, follows at most five redirects
//! itself (so each hop is checked and a permanent move is reported), caps the
//! body while it streams (after decompression, so a compression bomb is cut off
//! too), limits concurrency globally and per host, and refuses loopback,
//! private and link-local targets after DNS resolution unless allowed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use url::Url;

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// Settings of a [`Fetcher`].
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// User-Agent header.
    pub user_agent: String,
    /// Total time for one request, body included.
    pub timeout: Duration,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Largest body accepted, after decompression.
    pub max_body: u64,
    /// Concurrent requests over all hosts.
    pub concurrency: usize,
    /// Concurrent requests per host.
    pub per_host: usize,
    /// Allow loopback, private and link-local targets.
    pub allow_private_networks: bool,
}

/// Validators from an earlier response, sent to make the request conditional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` last seen.
    pub etag: Option<String>,
    /// The `Last-Modified` last seen.
    pub last_modified: Option<String>,
}

/// A successful exchange.
#[derive(Debug)]
pub enum Fetched {
    /// `304 Not Modified`: nothing changed since the validators were taken.
    NotModified,
    /// A `200` response with its body.
    Body(Box<Page>),
}

/// A response body with what is needed to interpret it.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL the body came from, after redirects.
    pub url: Url,
    /// Set when the first hop was a permanent redirect (301/308): where the resource now lives.
    pub moved_permanently: Option<Url>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// New validators for the next request.
    pub validators: Validators,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The target resolves to an address that is not allowed.
    #[error(
        "refused to connect to {host}: it resolves to a private, loopback or link-local address ({addr}); set allow_private_networks = true to allow it"
    )]
    PrivateAddress {
        /// Host name or literal.
        host: String,
        /// The address refused.
        addr: String,
    },
    /// The body grew past the cap.
    #[error("response body is larger than the {limit}-byte limit (max_body); cut off")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The server answered with an error status.
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// The `Retry-After` delay, on 429 and 503.
        retry_after: Option<Duration>,
    },
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect without a usable `Location`.
    #[error("redirect problem: {0}")]
    Redirect(String),
    /// The request timed out.
    #[error("timed out")]
    Timeout,
    /// Any other network failure (DNS, TLS, connection reset...).
    #[error("network error: {0}")]
    Network(String),
}

impl FetchError {
    /// `410 Gone`: the source should be disabled.
    pub fn is_gone(&self) -> bool {
        matches!(self, FetchError::Status { status: 410, .. })
    }

    /// The server's requested delay before the next attempt, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A shared HTTP client with politeness limits.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: Arc<FetchOptions>,
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("options", &self.options)
            .finish()
    }
}

impl Fetcher {
    /// Builds the client.
    pub fn new(options: FetchOptions) -> Result<Fetcher, FetchError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .brotli(true)
            .deflate(true);
        if !options.allow_private_networks {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Network(format!("cannot build HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            global: Arc::new(Semaphore::new(options.concurrency.max(1))),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            options: Arc::new(options),
        })
    }

    /// The options this fetcher was built with.
    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = match self.hosts.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        hosts
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.options.per_host.max(1))))
            .clone()
    }

    /// GETs `url`, conditionally when `validators` are given.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let host = url.host_str().unwrap_or_default().to_string();
        // Host first, then global: tasks queued on one busy host hold no global permit.
        let host_sem = self.host_semaphore(&host);
        let _host_permit = host_sem
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Network("fetcher closed".into()))?;
        let _global_permit = self
            .global
            .acquire()
            .await
            .map_err(|_| FetchError::Network("fetcher closed".into()))?;

        let mut current = url.clone();
        let mut moved_permanently = None;
        for hop in 0..=MAX_REDIRECTS {
            self.check_literal(&current)?;
            let mut request = self.client.get(current.clone());
            if hop == 0 {
                if let Some(etag) = &validators.etag {
                    request = request.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &validators.last_modified {
                    request = request.header(header::IF_MODIFIED_SINCE, lm);
                }
            }
            let response = request.send().await.map_err(classify)?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        FetchError::Redirect(format!(
                            "HTTP {} without a Location header",
                            status.as_u16()
                        ))
                    })?;
                let next = current
                    .join(location)
                    .map_err(|e| FetchError::Redirect(format!("bad Location {location:?}: {e}")))?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::Redirect(format!(
                        "redirect to unsupported scheme: {next}"
                    )));
                }
                let permanent = matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                if hop == 0 && permanent {
                    moved_permanently = Some(next.clone());
                }
                tracing::info!(from = %current, to = %next, status = status.as_u16(), "following redirect");
                current = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            if !status.is_success() {
                let retry_after = if matches!(
                    status,
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                ) {
                    parse_retry_after(response.headers(), SystemTime::now())
                } else {
                    None
                };
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    retry_after,
                });
            }
            let headers = response.headers().clone();
            let body = self.read_capped(response).await?;
            return Ok(Fetched::Body(Box::new(Page {
                url: current,
                moved_permanently,
                content_type: header_string(&headers, header::CONTENT_TYPE),
                validators: Validators {
                    etag: header_string(&headers, header::ETAG),
                    last_modified: header_string(&headers, header::LAST_MODIFIED),
                },
                body,
            })));
        }
        Err(FetchError::Redirect(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    fn check_literal(&self, url: &Url) -> Result<(), FetchError> {
        if self.options.allow_private_networks {
            return Ok(());
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        if is_public(ip) {
            Ok(())
        } else {
            Err(FetchError::PrivateAddress {
                host: url.host_str().unwrap_or_default().to_string(),
                addr: ip.to_string(),
            })
        }
    }

    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.options.max_body;
        // Content-Length is the compressed size, so it can only reject early, not accept.
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Parses `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn classify(e: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(blocked) = err.downcast_ref::<Blocked>() {
            return FetchError::PrivateAddress {
                host: blocked.host.clone(),
                addr: blocked.addr.clone(),
            };
        }
        source = err.source();
    }
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // Show the innermost cause: "connection refused" says more than "error sending request".
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(err) = source {
        detail = err.to_string();
        source = err.source();
    }
    FetchError::Network(detail)
}

/// Whether an address may be fetched when private networks are not allowed.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15, benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg0 = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local
                || (seg0 & 0xffc0) == 0xfe80 // link-local
                || (seg0 & 0xffc0) == 0xfec0) // site-local (deprecated)
        }
    }
}

#[derive(Debug)]
struct Blocked {
    host: String,
    addr: String,
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves to non-public address {}",
            self.host, self.addr
        )
    }
}

impl std::error::Error for Blocked {}

/// Resolves names and drops every non-public address (checked after DNS, so rebinding cannot slip through).
struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                let addr = addrs
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_else(|| "none".into());
                return Err(
                    Box::new(Blocked { host, addr }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip} must be refused");
        }
        for ip in ["8.8.8.8", "41.208.0.1", "2a00:1450::1"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip} must be allowed");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(
            parse_retry_after(&h, SystemTime::now()),
            Some(Duration::from_secs(120))
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(300));
        h.insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&later).expect("header"),
        );
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(300)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h, now), None);
    }
}
