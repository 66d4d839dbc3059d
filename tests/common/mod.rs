//! Shared test helpers: a scriptable HTTP server on 127.0.0.1 (ephemeral
//! port) that records every request, and configuration builders.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::Response;

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Reads a feed fixture.
pub fn feed_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("feeds").join(name)).expect("fixture exists")
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Stream this many bytes of filler instead of `body`.
    pub endless: Option<u64>,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            endless: None,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: Vec::new(),
            delay: Duration::ZERO,
            endless: None,
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Inner {
    /// Per path: answers in order; the last one repeats.
    scripts: HashMap<String, VecDeque<Reply>>,
    seen: Vec<Seen>,
}

/// A scriptable loopback server.
#[derive(Clone)]
pub struct TestServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().fallback(handle).with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Answers `path` with `replies` in order; the last repeats.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        let mut inner = self.inner.lock().expect("lock");
        inner.scripts.insert(path.to_string(), replies.into());
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let inner = self.inner.lock().expect("lock");
        inner
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

async fn handle(State(inner): State<Arc<Mutex<Inner>>>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_string();
    let reply = {
        let mut inner = inner.lock().expect("lock");
        inner.seen.push(Seen {
            path: path.clone(),
            headers: req.headers().clone(),
        });
        match inner.scripts.get_mut(&path) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    };
    let Some(reply) = reply else {
        return Response::builder()
            .status(404)
            .body(Body::from("not scripted"))
            .expect("response");
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut builder =
        Response::builder().status(StatusCode::from_u16(reply.status).expect("status"));
    for (k, v) in &reply.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = match reply.endless {
        Some(total) => {
            let chunk = vec![b' '; 64 * 1024];
            let chunks = total / chunk.len() as u64;
            let stream = futures_util::stream::iter(
                (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            Body::from_stream(stream)
        }
        None => Body::from(reply.body),
    };
    builder.body(body).expect("response")
}

/// A feeds.toml for sources served by a test server.
pub fn config_text(
    db: &Path,
    out: &Path,
    sources: &[(&str, String)],
    extra_service: &str,
) -> String {
    let mut t = format!(
        "[service]\ndatabase = \"{}\"\nlisten = \"127.0.0.1:0\"\nallow_private_networks = true\ndefault_interval = \"10m\"\ntimeout = \"5s\"\n{extra_service}\n\n[output]\ntitle = \"Libya security monitor\"\nfile = \"{}\"\nmax_entries = 200\n",
        db.display(),
        out.display()
    );
    for (name, url) in sources {
        let name = name.replace('\\', "\\\\").replace('"', "\\\"");
        t.push_str(&format!(
            "\n[[source]]\nname = \"{name}\"\nurl = \"{url}\"\n"
        ));
    }
    t
}

/// Parses configuration text as if it were `dir/feeds.toml`.
pub fn config(dir: &Path, text: &str) -> marsad::config::Config {
    let path = dir.join("feeds.toml");
    std::fs::write(&path, text).expect("write config");
    marsad::config::Config::load(&path).expect("valid config")
}

/// Parses an Atom or RSS document with feed-rs, as a reader would.
pub fn read_feed(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).expect("our output parses")
}

/// Every stored article as `marsad export` prints it.
pub fn exported(store: &marsad::store::Store) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    store
        .for_each_article(None, |a, d| {
            lines.push(marsad::publish::export_json(&a, &d));
            Ok(())
        })
        .expect("export");
    lines
}
