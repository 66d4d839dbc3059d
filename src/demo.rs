//! `marsad demo`: the whole pipeline without internet. Serves a fixtures
//! folder on a loopback port, writes a temporary configuration that points at
//! it, runs one pass, and serves the result.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The placeholder in fixture files replaced by the server's base URL.
pub const BASE_PLACEHOLDER: &str = "{{BASE}}";

/// The `Content-Type` a fixture is served with, from its extension.
/// Plain `.xml` gets no charset, so the feed's own bytes decide.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "rdf" => "application/rdf+xml",
        "json" => "application/feed+json",
        "html" | "htm" => "text/html",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/xml",
    }
}

#[derive(Clone)]
struct Fixtures {
    root: Arc<PathBuf>,
    base: Arc<String>,
}

/// A running fixture server.
#[derive(Debug)]
pub struct FixtureServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    handle: tokio::task::JoinHandle<()>,
}

impl FixtureServer {
    /// Base URL, e.g. `http://127.0.0.1:43121`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Serves the files under `root` on 127.0.0.1 (an ephemeral port), replacing
/// [`BASE_PLACEHOLDER`] with the server's base URL, with ETags and 304s.
pub async fn serve_fixtures(root: &Path) -> std::io::Result<FixtureServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let state = Fixtures {
        root: Arc::new(root.to_path_buf()),
        base: Arc::new(format!("http://{addr}")),
    };
    let app = Router::new()
        .route("/{*path}", get(fixture))
        .with_state(state);
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "fixture server stopped");
        }
    });
    Ok(FixtureServer { addr, handle })
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

async fn fixture(
    State(f): State<Fixtures>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if path
        .split('/')
        .any(|seg| seg == ".." || seg.starts_with('.'))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let file = f.root.join(&path);
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return (StatusCode::NOT_FOUND, "no such fixture\n").into_response();
    };
    let body = replace_bytes(&bytes, BASE_PLACEHOLDER.as_bytes(), f.base.as_bytes());
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    Response::builder()
        .header(header::CONTENT_TYPE, content_type(&file))
        .header(header::ETAG, etag)
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Feed fixtures the demo polls: every feed file in `dir`, except follow-up
/// snapshots (`*-update.*`) that tests use for re-polls.
pub fn feed_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            matches!(ext, "xml" | "rss" | "atom" | "rdf" | "json" | "html")
                && !stem.ends_with("-update")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Writes a demo `feeds.toml` into `dir` with one source per fixture file.
pub fn write_demo_config(
    dir: &Path,
    base: &str,
    files: &[PathBuf],
    listen: SocketAddr,
) -> std::io::Result<PathBuf> {
    let mut toml = String::new();
    toml.push_str(
        "# Written by `marsad demo`: every source points at the loopback fixture server.\n",
    );
    toml.push_str("[service]\ndatabase = \"marsad.db\"\n");
    toml.push_str(&format!("listen = \"{listen}\"\nallow_private_networks = true\ndefault_interval = \"15m\"\ntimeout = \"10s\"\n\n"));
    toml.push_str("[output]\ntitle = \"Libya security monitor (demo)\"\nfile = \"out/feed.atom\"\nmax_entries = 100\n");
    for f in files {
        let Some(name) = f.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or(name);
        toml.push_str(&format!(
            "\n[[source]]\nname = \"{stem}\"\nurl = \"{base}/feeds/{name}\"\n"
        ));
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml)?;
    Ok(path)
}
