//! Publishing: Atom 1.0 (RFC 4287) and RSS 2.0 from stored articles, the
//! atomic output file, and the HTTP server for `/feed.atom`, `/feed.rss` and
//! `/healthz` with conditional GET and gzip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::RwLock;
use url::Url;

use crate::store::{Article, Store, StoreError, Story};
use crate::text;

/// What the published feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// Feed subtitle.
    pub subtitle: Option<String>,
    /// Where the Atom feed is served (its self link and id).
    pub self_url: String,
    /// Most entries.
    pub max_entries: usize,
}

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Reading articles failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The RSS writer failed.
    #[error("cannot render RSS: {0}")]
    Rss(String),
    /// The HTTP server could not start.
    #[error(
        "cannot listen on {addr}: {source} (is another marsad running? change `listen` in [service])"
    )]
    Listen {
        /// The address.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids (controls other than tab, LF, CR) are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether a language tag is written right to left.
pub fn is_rtl(lang: &str) -> bool {
    let primary = lang.split('-').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        primary.as_str(),
        "ar" | "fa" | "ur" | "he" | "ps" | "ckb" | "yi"
    )
}

/// Sanitises article HTML for readers: no scripts, event handlers, `javascript:`
/// URLs or styles; relative URLs made absolute against the article URL; `dir` kept.
pub fn sanitize_html(html: &str, base: Option<&str>) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["dir", "lang"])
        .link_rel(Some("noopener noreferrer"));
    match base.and_then(|b| Url::parse(b).ok()) {
        Some(url) => builder.url_relative(ammonia::UrlRelative::RewriteWithBase(url)),
        None => builder.url_relative(ammonia::UrlRelative::Deny),
    };
    builder.clean(html).to_string()
}

/// The HTML body shown in readers: sanitised content (or summary), wrapped with
/// `dir` and `lang` so Arabic renders right to left, and, for a story told by
/// several outlets, a closing line linking every other copy.
pub fn entry_html(story: &Story) -> String {
    let Some(a) = story.articles.first() else {
        return String::new();
    };
    // The extracted full text when there is one, else what the feed carried.
    let raw = a
        .html
        .as_deref()
        .or(a.content.as_deref())
        .or(a.summary.as_deref())
        .unwrap_or("");
    let mut clean = sanitize_html(raw, a.url.as_deref());
    let others: Vec<String> = story.articles[1..]
        .iter()
        .map(|o| match &o.url {
            Some(url) => format!("<a href=\"{}\">{}</a>", esc(url), esc(&o.source)),
            None => esc(&o.source),
        })
        .collect();
    if !others.is_empty() {
        let label = match a.lang.as_deref().map(|l| l.split('-').next().unwrap_or(l)) {
            Some("ar") => "نشرته أيضا:",
            Some("fr") => "Également publié par :",
            _ => "Also reported by:",
        };
        clean.push_str(&format!(
            "<p class=\"marsad-also\">{label} {}</p>",
            others.join("، ")
        ));
    }
    match a.lang.as_deref() {
        Some(lang) => format!(
            "<div dir=\"{}\" lang=\"{}\">{clean}</div>",
            if is_rtl(lang) { "rtl" } else { "ltr" },
            esc(lang)
        ),
        None => format!("<div dir=\"auto\">{clean}</div>"),
    }
}

/// A plain-text lead for `summary`.
fn lead(a: &Article) -> String {
    let from = match a.summary.as_deref() {
        Some(s) => text::html_to_text(s),
        None => a.text.clone(),
    };
    let first = from.split("\n\n").next().unwrap_or("").to_string();
    let words: Vec<&str> = first.split_whitespace().collect();
    if words.len() > 60 {
        format!("{}…", words[..60].join(" "))
    } else {
        first
    }
}

/// When the story was first published: the earliest date any copy gives.
fn story_published(story: &Story) -> Option<i64> {
    story.articles.iter().filter_map(|a| a.published).min()
}

/// When the story last changed visibly (a new copy, an edit).
fn story_updated(story: &Story) -> i64 {
    story
        .articles
        .iter()
        .map(|a| a.updated)
        .chain([story.changed])
        .max()
        .unwrap_or(0)
        .max(story_published(story).unwrap_or(0))
}

/// Categories: the sub-topics curation found, then the feed's own categories.
fn story_categories(story: &Story) -> Vec<(String, Option<&'static str>)> {
    let mut out: Vec<(String, Option<&'static str>)> = Vec::new();
    for a in &story.articles {
        for t in &a.topics {
            if !out.iter().any(|(c, _)| c == t) {
                out.push((t.clone(), Some(TOPIC_SCHEME)));
            }
        }
    }
    if let Some(a) = story.articles.first() {
        for c in &a.categories {
            if !out.iter().any(|(x, _)| x == c) {
                out.push((c.clone(), None));
            }
        }
    }
    out
}

/// The `scheme` of categories that marsad's curation assigns.
pub const TOPIC_SCHEME: &str = "urn:marsad:topic";

/// Renders Atom 1.0, one entry per story.
pub fn render_atom(meta: &FeedMeta, stories: &[Story]) -> String {
    let updated = stories.iter().map(story_updated).max().unwrap_or(0);
    let mut x = String::with_capacity(4096 + stories.len() * 4096);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    x.push_str(&format!("  <id>{}</id>\n", esc(&meta.self_url)));
    x.push_str(&format!(
        "  <title type=\"text\">{}</title>\n",
        esc(&meta.title)
    ));
    if let Some(sub) = &meta.subtitle {
        x.push_str(&format!(
            "  <subtitle type=\"text\">{}</subtitle>\n",
            esc(sub)
        ));
    }
    x.push_str(&format!("  <updated>{}</updated>\n", rfc3339(updated)));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        esc(&meta.self_url)
    ));
    x.push_str("  <author><name>marsad</name></author>\n");
    x.push_str(&format!(
        "  <generator version=\"{}\">marsad</generator>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for story in stories {
        let Some(a) = story.articles.first() else {
            continue;
        };
        match &a.lang {
            Some(lang) => x.push_str(&format!("  <entry xml:lang=\"{}\">\n", esc(lang))),
            None => x.push_str("  <entry>\n"),
        }
        x.push_str(&format!("    <id>{}</id>\n", esc(&story.uid)));
        x.push_str(&format!(
            "    <title type=\"text\">{}</title>\n",
            esc(&a.title)
        ));
        if let Some(url) = &a.url {
            x.push_str(&format!(
                "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
                esc(url)
            ));
        }
        for other in &story.articles[1..] {
            if let Some(url) = &other.url {
                x.push_str(&format!(
                    "    <link rel=\"related\" type=\"text/html\" href=\"{}\" title=\"{}\"/>\n",
                    esc(url),
                    esc(&other.source)
                ));
            }
        }
        if let Some(p) = story_published(story) {
            x.push_str(&format!("    <published>{}</published>\n", rfc3339(p)));
        }
        x.push_str(&format!(
            "    <updated>{}</updated>\n",
            rfc3339(story_updated(story))
        ));
        if let Some(author) = &a.author {
            x.push_str(&format!(
                "    <author><name>{}</name></author>\n",
                esc(author)
            ));
        }
        for (c, scheme) in story_categories(story) {
            match scheme {
                Some(s) => x.push_str(&format!(
                    "    <category term=\"{}\" scheme=\"{s}\"/>\n",
                    esc(&c)
                )),
                None => x.push_str(&format!("    <category term=\"{}\"/>\n", esc(&c))),
            }
        }
        let summary = lead(a);
        if !summary.is_empty() {
            x.push_str(&format!(
                "    <summary type=\"text\">{}</summary>\n",
                esc(&summary)
            ));
        }
        x.push_str(&format!(
            "    <content type=\"html\">{}</content>\n",
            esc(&entry_html(story))
        ));
        x.push_str("    <source>\n");
        x.push_str(&format!("      <id>{}</id>\n", esc(&a.source_url)));
        x.push_str(&format!(
            "      <title type=\"text\">{}</title>\n",
            esc(&a.source)
        ));
        x.push_str(&format!(
            "      <link rel=\"self\" href=\"{}\"/>\n",
            esc(&a.source_url)
        ));
        x.push_str("    </source>\n");
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// Renders RSS 2.0 with the same entries.
pub fn render_rss(meta: &FeedMeta, stories: &[Story]) -> Result<String, PublishError> {
    let items: Vec<rss::Item> = stories
        .iter()
        .filter_map(|story| {
            let a = story.articles.first()?;
            let mut item = rss::Item::default();
            item.set_title(a.title.clone());
            item.set_link(a.url.clone());
            item.set_description(entry_html(story));
            item.set_guid(rss::Guid {
                value: story.uid.clone(),
                permalink: false,
            });
            let date = story_published(story).unwrap_or_else(|| story_updated(story));
            item.set_pub_date(
                DateTime::<Utc>::from_timestamp(date, 0)
                    .unwrap_or_default()
                    .to_rfc2822(),
            );
            item.set_categories(
                story_categories(story)
                    .into_iter()
                    .map(|(name, scheme)| rss::Category {
                        name,
                        domain: scheme.map(str::to_string),
                    })
                    .collect::<Vec<_>>(),
            );
            item.set_source(rss::Source {
                url: a.source_url.clone(),
                title: Some(a.source.clone()),
            });
            if let Some(author) = &a.author {
                let dc = rss::extension::dublincore::DublinCoreExtension {
                    creators: vec![author.clone()],
                    ..Default::default()
                };
                item.set_dublin_core_ext(dc);
            }
            Some(item)
        })
        .collect();
    let link = meta.self_url.trim_end_matches("feed.atom").to_string();
    let mut channel = rss::Channel::default();
    channel.set_title(meta.title.clone());
    channel.set_link(link);
    channel.set_description(meta.subtitle.clone().unwrap_or_else(|| meta.title.clone()));
    channel.set_generator(Some(format!("marsad {}", env!("CARGO_PKG_VERSION"))));
    if let Some(last) = stories.iter().map(story_updated).max() {
        channel.set_last_build_date(
            DateTime::<Utc>::from_timestamp(last, 0)
                .unwrap_or_default()
                .to_rfc2822(),
        );
    }
    channel.set_items(items);
    let mut namespaces = std::collections::BTreeMap::new();
    namespaces.insert(
        "dc".to_string(),
        rss::extension::dublincore::NAMESPACE.to_string(),
    );
    channel.set_namespaces(namespaces);
    let mut out = Vec::new();
    channel
        .pretty_write_to(&mut out, b' ', 2)
        .map_err(|e| PublishError::Rss(e.to_string()))?;
    String::from_utf8(out).map_err(|e| PublishError::Rss(e.to_string()))
}

/// One article as a JSON object for `marsad export` (one line of JSON Lines);
/// `duplicates` are the other copies of its story.
pub fn export_json(a: &Article, duplicates: &[(String, Option<String>)]) -> serde_json::Value {
    let explanation: serde_json::Value = serde_json::from_str(&a.explanation).unwrap_or_default();
    serde_json::json!({
        "id": a.uid,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "source": a.source,
        "source_url": a.source_url,
        "title": a.title,
        "published": a.published.map(rfc3339),
        "updated": rfc3339(a.updated),
        "fetched": rfc3339(a.fetched),
        "lang": a.lang,
        "author": a.author,
        "categories": a.categories,
        "guid": a.guid,
        "summary": a.summary,
        "text": a.text,
        "cluster": a.story_uid,
        "duplicates": duplicates.iter().map(|(s, u)| serde_json::json!({"source": s, "url": u})).collect::<Vec<_>>(),
        "score": a.score,
        "relevant": a.relevant,
        "topics": a.topics,
        "matched_terms": explanation.get("matched").cloned().unwrap_or_default(),
        "html": a.html,
        "image": a.image,
        "site_name": a.site_name,
        "extraction": serde_json::from_str::<serde_json::Value>(&a.extraction).unwrap_or_default(),
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let err = |source| PublishError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feed".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// The RSS file written beside the Atom file (`feed.atom` → `feed.rss`).
pub fn rss_path(atom: &Path) -> PathBuf {
    atom.with_extension("rss")
}

/// The all-stories file written beside the curated one (`feed.atom` → `feed-all.atom`).
pub fn all_path(curated: &Path) -> PathBuf {
    let stem = curated
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feed".into());
    let ext = curated
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "atom".into());
    curated.with_file_name(format!("{stem}-all.{ext}"))
}

/// One rendered document and its validator.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The bytes.
    pub body: Arc<[u8]>,
    /// Weak ETag.
    pub etag: String,
}

impl Doc {
    fn new(text: String) -> Doc {
        Doc {
            etag: etag(text.as_bytes()),
            body: Arc::from(text.into_bytes()),
        }
    }
}

/// One rendering of the feeds, with their validators.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Curated stories, Atom.
    pub atom: Doc,
    /// Curated stories, RSS.
    pub rss: Doc,
    /// Every story, Atom.
    pub all_atom: Doc,
    /// Every story, RSS.
    pub all_rss: Doc,
    /// When the content last changed.
    pub last_modified: SystemTime,
    /// Entries in the curated feed.
    pub entries: usize,
    /// Entries in the all-stories feed.
    pub all_entries: usize,
    stamp: (i64, i64),
}

fn etag(bytes: &[u8]) -> String {
    format!("W/\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(bytes))
}

fn all_meta(meta: &FeedMeta) -> FeedMeta {
    FeedMeta {
        title: format!("{} (all stories)", meta.title),
        subtitle: meta.subtitle.clone(),
        self_url: match meta.self_url.strip_suffix("feed.atom") {
            Some(base) => format!("{base}feed/all.atom"),
            None => format!("{}/all", meta.self_url),
        },
        max_entries: meta.max_entries,
    }
}

/// Renders the feeds from the store.
pub fn render(store: &Store, meta: &FeedMeta) -> Result<Rendered, PublishError> {
    let stamp = store.stamp()?;
    let curated = store.latest_stories(meta.max_entries, true)?;
    let all = store.latest_stories(meta.max_entries, false)?;
    let all_meta = all_meta(meta);
    let updated = all.iter().map(story_updated).max().unwrap_or(0);
    Ok(Rendered {
        atom: Doc::new(render_atom(meta, &curated)),
        rss: Doc::new(render_rss(meta, &curated)?),
        all_atom: Doc::new(render_atom(&all_meta, &all)),
        all_rss: Doc::new(render_rss(&all_meta, &all)?),
        last_modified: UNIX_EPOCH + Duration::from_secs(u64::try_from(updated).unwrap_or(0)),
        entries: curated.len(),
        all_entries: all.len(),
        stamp,
    })
}

/// The published feeds, re-rendered when the store changes; shared by the
/// HTTP server and the file writer.
#[derive(Clone)]
pub struct Publisher {
    store: Store,
    meta: Arc<FeedMeta>,
    file: Option<PathBuf>,
    current: Arc<RwLock<Option<Rendered>>>,
}

impl Publisher {
    /// A publisher over `store`; `file` is the Atom output file, if any.
    pub fn new(store: Store, meta: FeedMeta, file: Option<PathBuf>) -> Publisher {
        Publisher {
            store,
            meta: Arc::new(meta),
            file,
            current: Arc::new(RwLock::new(None)),
        }
    }

    /// Re-renders if the store changed since the last rendering (or `force`),
    /// writes the output files, and returns the current rendering.
    pub async fn refresh(&self, force: bool) -> Result<Rendered, PublishError> {
        let store = self.store.clone();
        let stamp = tokio::task::spawn_blocking(move || store.stamp())
            .await
            .map_err(|e| PublishError::Rss(format!("render task failed: {e}")))??;
        if !force
            && let Some(r) = self
                .current
                .read()
                .await
                .as_ref()
                .filter(|r| r.stamp == stamp)
        {
            return Ok(r.clone());
        }
        let (store, meta, file) = (self.store.clone(), self.meta.clone(), self.file.clone());
        let rendered = tokio::task::spawn_blocking(move || -> Result<Rendered, PublishError> {
            let r = render(&store, &meta)?;
            if let Some(path) = &file {
                write_atomic(path, &r.atom.body)?;
                write_atomic(&rss_path(path), &r.rss.body)?;
                let all = all_path(path);
                write_atomic(&all, &r.all_atom.body)?;
                write_atomic(&rss_path(&all), &r.all_rss.body)?;
            }
            Ok(r)
        })
        .await
        .map_err(|e| PublishError::Rss(format!("render task failed: {e}")))??;
        *self.current.write().await = Some(rendered.clone());
        Ok(rendered)
    }

    /// The HTTP routes: `/feed.atom`, `/feed.rss`, `/healthz`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/feed.atom", get(atom_handler))
            .route("/feed.rss", get(rss_handler))
            .route("/feed/all.atom", get(all_atom_handler))
            .route("/feed/all.rss", get(all_rss_handler))
            .route("/", get(atom_handler))
            .route("/healthz", get(health_handler))
            .layer(tower_http::compression::CompressionLayer::new())
            .with_state(self.clone())
    }
}

#[derive(Clone, Copy)]
enum Which {
    Atom,
    Rss,
    AllAtom,
    AllRss,
}

async fn atom_handler(State(p): State<Publisher>, headers: HeaderMap) -> Response {
    feed_response(&p, &headers, Which::Atom).await
}

async fn rss_handler(State(p): State<Publisher>, headers: HeaderMap) -> Response {
    feed_response(&p, &headers, Which::Rss).await
}

async fn all_atom_handler(State(p): State<Publisher>, headers: HeaderMap) -> Response {
    feed_response(&p, &headers, Which::AllAtom).await
}

async fn all_rss_handler(State(p): State<Publisher>, headers: HeaderMap) -> Response {
    feed_response(&p, &headers, Which::AllRss).await
}

/// Weak comparison of `If-None-Match` against our ETag.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

async fn feed_response(p: &Publisher, headers: &HeaderMap, which: Which) -> Response {
    let rendered = match p.refresh(false).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot render the feed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("feed unavailable: {e}\n"),
            )
                .into_response();
        }
    };
    let (doc, ctype) = match which {
        Which::Atom => (&rendered.atom, "application/atom+xml; charset=utf-8"),
        Which::Rss => (&rendered.rss, "application/rss+xml; charset=utf-8"),
        Which::AllAtom => (&rendered.all_atom, "application/atom+xml; charset=utf-8"),
        Which::AllRss => (&rendered.all_rss, "application/rss+xml; charset=utf-8"),
    };
    let (body, tag) = (doc.body.clone(), doc.etag.clone());
    let last_modified = httpdate::fmt_http_date(rendered.last_modified);
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => etag_matches(inm, &tag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| rendered.last_modified <= since),
    };
    let mut builder = Response::builder()
        .header(header::ETAG, tag)
        .header(header::LAST_MODIFIED, last_modified)
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .header(header::VARY, "Accept-Encoding");
    if not_modified {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    builder
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, HeaderValue::from_static(ctype))
        .body(Body::from(body.to_vec()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn health_handler(State(p): State<Publisher>) -> Response {
    let store = p.store.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, StoreError> {
        let states = store.source_states()?;
        let (articles, stories, curated) = store.counts()?;
        let failing: Vec<&str> = states
            .iter()
            .filter(|s| s.consecutive_failures > 0)
            .map(|s| s.name.as_str())
            .collect();
        let disabled: Vec<&str> = states
            .iter()
            .filter(|s| s.disabled_reason.is_some())
            .map(|s| s.name.as_str())
            .collect();
        let last_success = states.iter().filter_map(|s| s.last_success).max();
        Ok(serde_json::json!({
            "status": "ok",
            "sources": states.len(),
            "failing": failing,
            "disabled": disabled,
            "articles": articles,
            "stories": stories,
            "curated_stories": curated,
            "last_success": last_success.map(rfc3339),
        }))
    })
    .await;
    match result {
        Ok(Ok(json)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{json}\n"),
        )
            .into_response(),
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{{\"status\":\"error\",\"error\":{}}}\n",
                serde_json::Value::String(e.to_string())
            ),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("health task failed: {e}\n"),
        )
            .into_response(),
    }
}

/// Binds `addr` and serves the publisher's routes until `shutdown` resolves.
pub async fn serve(
    publisher: Publisher,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, publisher.router())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds a listener, with an error that says what to do.
pub async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, PublishError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| PublishError::Listen {
            addr: addr.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_removes_hostile_markup_and_absolutises() {
        let html = "<p onclick=\"x()\">نص<script>alert(1)</script><img src=\"/u/a.jpg\" onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">x</a><a href=\"/news/2\">y</a></p>";
        let clean = sanitize_html(html, Some("https://alwasat.ly/news/1"));
        assert!(
            !clean.contains("script")
                && !clean.contains("onerror")
                && !clean.contains("onclick")
                && !clean.contains("javascript:"),
            "{clean}"
        );
        assert!(
            clean.contains("src=\"https://alwasat.ly/u/a.jpg\""),
            "{clean}"
        );
        assert!(
            clean.contains("href=\"https://alwasat.ly/news/2\""),
            "{clean}"
        );
    }

    #[test]
    fn escaping_drops_forbidden_controls() {
        assert_eq!(esc("a\u{1}<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }

    #[test]
    fn weak_etag_comparison() {
        assert!(etag_matches("W/\"abc\"", "W/\"abc\""));
        assert!(etag_matches("\"x\", \"abc\"", "W/\"abc\""));
        assert!(etag_matches("*", "W/\"abc\""));
        assert!(!etag_matches("\"abd\"", "W/\"abc\""));
    }
}
