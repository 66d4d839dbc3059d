//! One pass over a source: fetch → parse → process → store, and the schedule
//! that follows from its outcome (interval, exponential backoff with jitter,
//! `Retry-After`, 410 Gone).
//!
//! [`process_entries`] is the seam where full-text extraction, deduplication
//! and curation plug in: it turns feed entries into the articles to store.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;

use std::collections::HashMap;

use crate::config::{Config, Source};
use crate::curate::{CurateError, Topic};
use crate::dedup;
use crate::extract::{self, Extracted, robots::Robots};
use crate::fetch::{FetchError, FetchOptions, Fetched, Fetcher, Validators};
use crate::parse::{self, FeedEntry};
use crate::publish::{FeedMeta, Publisher};
use crate::store::{NewArticle, Store, StoreError};
use crate::text;

/// Everything a pass needs; cheap to clone.
#[derive(Clone, Debug)]
pub struct Context {
    /// The configuration.
    pub config: Arc<Config>,
    /// The HTTP client.
    pub fetcher: Fetcher,
    /// The database.
    pub store: Store,
    /// The compiled curation topic.
    pub topic: Arc<Topic>,
    /// robots.txt per host.
    pub robots: RobotsCache,
}

/// Why a context could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The database could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// `--source` named no configured source.
    #[error("no source named {0:?} in the configuration; `marsad check` lists them")]
    NoSuchSource(String),
    /// The curation lexicon could not be loaded.
    #[error(transparent)]
    Curate(#[from] CurateError),
}

impl Context {
    /// Opens the database, registers the configured sources and builds the client.
    pub fn new(config: Config) -> Result<Context, PipelineError> {
        let store = Store::open(&config.service.database)?;
        store.sync_sources(
            config
                .sources
                .iter()
                .map(|s| (s.name.as_str(), s.url.as_str())),
        )?;
        let s = &config.service;
        let fetcher = Fetcher::new(FetchOptions {
            user_agent: s.user_agent.clone(),
            timeout: s.timeout,
            connect_timeout: s.connect_timeout,
            max_body: s.max_body,
            concurrency: s.concurrency,
            per_host: s.per_host,
            allow_private_networks: s.allow_private_networks,
        })?;
        let topic = Arc::new(Topic::new(&config.topic)?);
        Ok(Context {
            config: Arc::new(config),
            fetcher,
            store,
            topic,
            robots: RobotsCache::default(),
        })
    }

    /// A publisher for this configuration's output.
    pub fn publisher(&self) -> Publisher {
        Publisher::new(
            self.store.clone(),
            feed_meta(&self.config),
            self.config.output.file.clone(),
        )
    }
}

/// What the published feed says about itself, from `[output]` and `[service]`.
pub fn feed_meta(config: &Config) -> FeedMeta {
    let o = &config.output;
    let self_url = match &o.base_url {
        Some(base) => base
            .join("feed.atom")
            .map(|u| u.to_string())
            .unwrap_or_else(|_| base.to_string()),
        None => format!("http://{}/feed.atom", config.service.listen),
    };
    FeedMeta {
        title: o.title.clone(),
        subtitle: o.subtitle.clone(),
        self_url,
        max_entries: o.max_entries,
    }
}

/// How a source's pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fetched and parsed.
    Ok,
    /// `304 Not Modified`.
    NotModified,
    /// Fetching or parsing failed; the source backs off.
    Failed,
    /// Not polled: disabled in feeds.toml or by a 410.
    Disabled,
    /// Not polled: not due yet (backoff or schedule).
    NotDue,
}

/// The outcome of one source's pass, for the summary table and logs.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// Source name.
    pub name: String,
    /// Outcome.
    pub status: Status,
    /// Entries in the feed.
    pub fetched: usize,
    /// New entries stored.
    pub new: usize,
    /// Entries whose text changed.
    pub updated: usize,
    /// New entries that joined an existing story.
    pub duplicates: usize,
    /// New entries relevant for the topic.
    pub relevant: usize,
    /// Pages fetched and extracted.
    pub full_text: usize,
    /// Pages not used (fetch failed, robots, quality gate): the feed's text was kept.
    pub feed_text: usize,
    /// The error, if any.
    pub error: Option<String>,
    /// Warnings about the input.
    pub warnings: Vec<String>,
    /// Unix time of the next poll.
    pub next_poll: Option<i64>,
}

impl SourceReport {
    fn new(name: &str, status: Status) -> SourceReport {
        SourceReport {
            name: name.to_string(),
            status,
            fetched: 0,
            new: 0,
            updated: 0,
            duplicates: 0,
            relevant: 0,
            full_text: 0,
            feed_text: 0,
            error: None,
            warnings: Vec::new(),
            next_poll: None,
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Delay before the next attempt after `failures` failures in a row:
/// `interval × 2^(failures-1)`, capped at `cap`, ±20 % jitter, and never
/// shorter than the server's `Retry-After`.
pub fn backoff(
    interval: Duration,
    failures: u32,
    cap: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let base = interval.saturating_mul(1u32 << exp).min(cap);
    let jitter = 0.8 + fastrand::f64() * 0.4;
    let delay = base.mul_f64(jitter).min(cap);
    match retry_after {
        Some(ra) => delay.max(ra.min(Duration::from_secs(7 * 86_400))),
        None => delay,
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}

/// The identity of each entry within its source: GUID, else link, else the
/// content itself; a GUID repeated inside one feed falls back to the link so
/// entries are not merged. Also returns each entry's content hash.
pub fn entry_keys(entries: &[FeedEntry]) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .map(|e| {
            let hash_input = format!(
                "{}\u{1f}{}\u{1f}{}",
                e.title,
                e.summary.as_deref().unwrap_or(""),
                e.content.as_deref().unwrap_or("")
            );
            let content_hash =
                format!("{:016x}", xxhash_rust::xxh3::xxh3_64(hash_input.as_bytes()));
            let mut key = match (&e.guid, &e.link) {
                (Some(g), _) => format!("guid:{g}"),
                (None, Some(l)) => format!("link:{l}"),
                (None, None) => format!("hash:{content_hash}"),
            };
            if !seen.insert(key.clone()) {
                key = match &e.link {
                    Some(l) if seen.insert(format!("link:{l}")) => format!("link:{l}"),
                    _ => format!("hash:{content_hash}"),
                };
                seen.insert(key.clone());
            }
            (key, content_hash)
        })
        .collect()
}

/// What fetching an entry's page gave.
#[derive(Debug, Clone)]
pub struct FullText {
    /// The extraction, when it passed the quality gate.
    pub extracted: Option<Extracted>,
    /// How the body was obtained: `{"method": "rule" | "generic" | "feed", ...figures or reason}`.
    pub record: serde_json::Value,
}

impl FullText {
    fn feed(reason: impl Into<String>) -> FullText {
        FullText {
            extracted: None,
            record: serde_json::json!({ "method": "feed", "reason": reason.into() }),
        }
    }
}

/// Turns parsed entries (and the full texts fetched for some of them) into
/// articles to store: language, fingerprint for dedup, curation score.
/// `keys` are the entries' [`entry_keys`].
pub fn process_entries(
    entries: Vec<FeedEntry>,
    keys: Vec<(String, String)>,
    mut pages: Vec<Option<FullText>>,
    feed_lang: Option<&str>,
    source: &Source,
    topic: &Topic,
) -> Vec<NewArticle> {
    pages.resize(entries.len(), None);
    entries
        .into_iter()
        .zip(keys)
        .zip(pages)
        .map(|((e, (key, content_hash)), page)| {
            let feed_html = e.content.as_deref().or(e.summary.as_deref()).unwrap_or("");
            let feed_text = text::html_to_text(feed_html);
            let extracted = page.as_ref().and_then(|p| p.extracted.as_ref());
            let body_text = extracted.map_or_else(|| feed_text.clone(), |x| x.text.clone());
            let guessed = text::guess_lang(&format!("{} {}", e.title, body_text));
            let declared = e
                .lang
                .as_deref()
                .or(extracted.and_then(|x| x.meta.lang.as_deref()))
                .or(feed_lang)
                .or(source.lang.as_deref());
            let lang = match (declared, guessed) {
                (Some(d), Some(g)) if crate::publish::is_rtl(d) == crate::publish::is_rtl(g) => {
                    Some(d.to_string())
                }
                (_, Some(g)) => Some(g.to_string()),
                (Some(d), None) => Some(d.to_string()),
                (None, None) => None,
            };
            let fingerprint = dedup::fingerprint(&e.title, &body_text, lang.as_deref());
            let assessment = topic.assess(
                &e.title,
                &body_text,
                lang.as_deref(),
                source.focus,
                source.curate,
            );
            // The page's canonical link beats the feed link (AMP, mobile and tracking variants).
            let canonical_url = extracted
                .and_then(|x| x.meta.canonical_url.as_deref())
                .and_then(dedup::canonical_url)
                .or_else(|| e.link.as_deref().and_then(dedup::canonical_url));
            let meta = extracted.map(|x| &x.meta);
            let author = (!e.authors.is_empty())
                .then(|| e.authors.join(", "))
                .or_else(|| meta.and_then(|m| m.author.clone()));
            let published = e.published.map(|d| d.timestamp()).or_else(|| {
                meta.and_then(|m| m.published.as_deref())
                    .and_then(crate::parse::parse_date)
                    .map(|d| d.timestamp())
            });
            NewArticle {
                entry_key: key,
                guid: e.guid,
                canonical_url,
                url: e.link,
                title: e.title,
                summary: e.summary,
                content: e.content,
                author,
                categories: e.categories,
                lang,
                published,
                updated: e.updated.map(|d| d.timestamp()),
                content_hash,
                text: body_text,
                fingerprint,
                score: assessment.score,
                relevant: assessment.relevant,
                topics: assessment.topics.clone(),
                explanation: assessment.explanation_json(),
                html: extracted.map(|x| x.html.clone()),
                image: meta.and_then(|m| m.image.clone()),
                site_name: meta.and_then(|m| m.site_name.clone()),
                extraction: page.map_or_else(|| "{}".to_string(), |p| p.record.to_string()),
            }
        })
        .collect()
}

type RobotsSlot = Arc<tokio::sync::Mutex<Option<(std::time::Instant, Arc<Robots>)>>>;

/// robots.txt per host, fetched once (concurrent requests wait for the first) and kept for a day.
#[derive(Clone, Default)]
pub struct RobotsCache {
    inner: Arc<std::sync::Mutex<HashMap<String, RobotsSlot>>>,
}

impl std::fmt::Debug for RobotsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RobotsCache")
    }
}

/// Our product token in robots.txt.
pub const ROBOTS_AGENT: &str = "marsad";

impl RobotsCache {
    /// Whether `url` may be fetched by us, fetching the host's robots.txt if needed.
    pub async fn allowed(&self, fetcher: &Fetcher, url: &url::Url) -> bool {
        let Some(host) = url.host_str().map(|h| {
            format!(
                "{}://{h}{}",
                url.scheme(),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            )
        }) else {
            return true;
        };
        let slot = {
            let mut map = match self.inner.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            map.entry(host.clone()).or_default().clone()
        };
        let mut guard = slot.lock().await;
        let fresh = guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < Duration::from_secs(86_400))
            .map(|(_, r)| r.clone());
        let robots = match fresh {
            Some(r) => r,
            None => {
                let robots = match url::Url::parse(&format!("{host}/robots.txt")) {
                    Ok(u) => match fetcher.get(&u, &Validators::default()).await {
                        Ok(Fetched::Body(page)) => {
                            Robots::parse(&String::from_utf8_lossy(&page.body), ROBOTS_AGENT)
                        }
                        Ok(Fetched::NotModified) => Robots::allow_all(),
                        // RFC 9309: a 4xx means no rules; a server error means assume everything is disallowed.
                        Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => {
                            Robots::allow_all()
                        }
                        Err(_) => Robots::disallow_all(),
                    },
                    Err(_) => Robots::allow_all(),
                };
                let robots = Arc::new(robots);
                *guard = Some((std::time::Instant::now(), robots.clone()));
                robots
            }
        };
        drop(guard);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        robots.allowed(&path)
    }
}

/// Fetches and extracts the pages of the entries marked in `wanted` (at most
/// `max_pages_per_pass`), through the same fetcher and its limits.
pub async fn fetch_full_texts(
    ctx: &Context,
    source: &Source,
    entries: &[FeedEntry],
    wanted: &[bool],
) -> Vec<Option<FullText>> {
    let mut out: Vec<Option<FullText>> = vec![None; entries.len()];
    let mut tasks = JoinSet::new();
    let budget = ctx.config.service.max_pages_per_pass;
    for (i, e) in entries
        .iter()
        .enumerate()
        .filter(|(i, _)| wanted.get(*i).copied().unwrap_or(false))
        .take(budget)
    {
        let Some(link) = e
            .link
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            continue;
        };
        let feed_text =
            text::html_to_text(e.content.as_deref().or(e.summary.as_deref()).unwrap_or(""));
        let (ctx, source) = (ctx.clone(), source.clone());
        let lang = e.lang.clone().or_else(|| source.lang.clone());
        let headline = e.title.clone();
        tasks.spawn(async move {
            let entry = EntryText {
                feed_text,
                headline,
                lang,
            };
            (i, full_text(&ctx, &source, link, entry).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, ft)) => out[i] = Some(ft),
            Err(e) => tracing::error!(error = %e, "a page task failed"),
        }
    }
    out
}

/// What the feed says of an entry, for judging its page.
struct EntryText {
    feed_text: String,
    headline: String,
    lang: Option<String>,
}

async fn full_text(ctx: &Context, source: &Source, url: url::Url, entry: EntryText) -> FullText {
    let EntryText {
        feed_text,
        headline,
        lang,
    } = entry;
    if source.respect_robots && !ctx.robots.allowed(&ctx.fetcher, &url).await {
        return FullText::feed(format!("robots.txt disallows {}", url.path()));
    }
    let page = match ctx.fetcher.get(&url, &Validators::default()).await {
        Ok(Fetched::Body(page)) => page,
        Ok(Fetched::NotModified) => {
            return FullText::feed("page answered 304 to an unconditional request");
        }
        Err(e) => return FullText::feed(format!("page fetch failed: {e}")),
    };
    let rule = source.extract.clone();
    let encoding = source.encoding;
    let name = source.name.clone();
    let result = tokio::task::spawn_blocking(move || {
        let p = extract::Page {
            bytes: &page.body,
            content_type: page.content_type.as_deref(),
            url: &page.url,
            encoding,
        };
        extract::extract(&p, rule.as_ref())
    })
    .await;
    let mut extracted = match result {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return FullText::feed(e.to_string()),
        Err(e) => return FullText::feed(format!("extraction task failed: {e}")),
    };
    // Stored sanitised: no scripts or handlers, absolute URLs, `dir` kept.
    extracted.html = crate::publish::sanitize_html(&extracted.html, Some(url.as_str()));
    if extracted.rule_missed {
        tracing::warn!(source = %name, url = %url, "the extract rule matched nothing on this page; fell back to the generic extractor (the rule may be stale)");
    }
    let words = extracted.text.split_whitespace().count();
    match extract::gate(&extracted, &feed_text, &headline, lang.as_deref()) {
        Ok(()) => FullText {
            record: serde_json::json!({
                "method": extracted.method,
                "rule_missed": extracted.rule_missed,
                "words": words,
                "feed_words": feed_text.split_whitespace().count(),
                "link_density": (extracted.link_density * 1000.0).round() / 1000.0,
                "encoding": extracted.encoding,
            }),
            extracted: Some(extracted),
        },
        Err(reason) => FullText {
            extracted: None,
            record: serde_json::json!({ "method": "feed", "reason": reason, "extractor": extracted.method, "words": words }),
        },
    }
}

/// The dedup decision handed to the store: [`dedup::choose_story`] over the candidates.
pub fn decide(
    a: &NewArticle,
    source: &str,
    time: i64,
    candidates: &[dedup::Candidate],
) -> Option<i64> {
    dedup::choose_story(&a.fingerprint, source, time, candidates).map(|(story, _)| story)
}

/// Drops the near-duplicate index rows of articles older than
/// [`dedup::INDEX_RETENTION_SECS`], off the async threads. Run after each
/// `poll` pass and hourly by the daemon.
pub async fn prune_index(ctx: &Context) {
    let store = ctx.store.clone();
    let before = now() - dedup::INDEX_RETENTION_SECS;
    match tokio::task::spawn_blocking(move || store.prune_index(before)).await {
        Ok(Ok(0)) => {}
        Ok(Ok(rows)) => {
            tracing::info!(rows, "dropped near-duplicate index rows older than 30 days")
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "could not prune the near-duplicate index"),
        Err(e) => tracing::warn!(error = %e, "the index pruning task failed"),
    }
}

/// Polls one source now and stores the outcome.
pub async fn poll_source(ctx: &Context, source: &Source) -> SourceReport {
    use tracing::Instrument;
    let span = tracing::info_span!("source", name = %source.name);
    poll_source_inner(ctx, source).instrument(span).await
}

async fn poll_source_inner(ctx: &Context, source: &Source) -> SourceReport {
    let mut report = SourceReport::new(&source.name, Status::Ok);
    let state = match ctx.store.source_state(&source.name) {
        Ok(s) => s,
        Err(e) => {
            report.status = Status::Failed;
            report.error = Some(e.to_string());
            return report;
        }
    };
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let cap = ctx.config.service.max_backoff;
    let result = ctx.fetcher.get(&source.url, &validators).await;
    let store = ctx.store.clone();
    let name = source.name.clone();
    let failure =
        |report: &mut SourceReport, error: String, retry_after: Option<Duration>, gone: bool| {
            let failures = state.consecutive_failures + 1;
            let next = now() + secs(backoff(source.interval, failures, cap, retry_after));
            let disable = gone.then(|| {
                format!(
                    "the server answered 410 Gone on {}; fix or remove the url in feeds.toml",
                    chrono::Utc::now().format("%Y-%m-%d")
                )
            });
            if let Err(e) = store.record_failure(&name, &error, next, disable.as_deref()) {
                report
                    .warnings
                    .push(format!("could not record the failure: {e}"));
            }
            report.status = if gone {
                Status::Disabled
            } else {
                Status::Failed
            };
            report.error = Some(error);
            report.next_poll = Some(next);
        };
    match result {
        Ok(Fetched::NotModified) => {
            report.status = Status::NotModified;
            let next = now() + secs(source.interval);
            report.next_poll = Some(next);
            if let Err(e) = ctx.store.record_not_modified(&source.name, next) {
                report.status = Status::Failed;
                report.error = Some(e.to_string());
            }
        }
        Ok(Fetched::Body(page)) => {
            if let Some(to) = &page.moved_permanently {
                tracing::warn!(from = %source.url, to = %to, "feed moved permanently; update its url in feeds.toml");
                report.warnings.push(format!(
                    "moved permanently to {to}; update the url in feeds.toml"
                ));
            }
            let parsed = parse::parse_feed(
                &page.body,
                page.content_type.as_deref(),
                Some(&page.url),
                source.encoding,
            );
            match parsed {
                Ok(feed) => {
                    report.fetched = feed.entries.len();
                    report.warnings.extend(feed.warnings.iter().cloned());
                    // Full text for entries that are new or edited since the last pass.
                    let keys = entry_keys(&feed.entries);
                    let pages = if ctx.config.service.fetch_articles && source.full_text {
                        let just_keys: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
                        match ctx.store.known_entries(&source.name, &just_keys) {
                            Ok(known) => {
                                let wanted: Vec<bool> =
                                    keys.iter().map(|(k, h)| known.get(k) != Some(h)).collect();
                                fetch_full_texts(ctx, source, &feed.entries, &wanted).await
                            }
                            Err(e) => {
                                report
                                    .warnings
                                    .push(format!("cannot read known entries: {e}"));
                                Vec::new()
                            }
                        }
                    } else {
                        Vec::new()
                    };
                    let full = pages
                        .iter()
                        .flatten()
                        .filter(|p| p.extracted.is_some())
                        .count();
                    let kept = pages
                        .iter()
                        .flatten()
                        .filter(|p| p.extracted.is_none())
                        .count();
                    report.full_text = full;
                    report.feed_text = kept;
                    let articles = process_entries(
                        feed.entries,
                        keys,
                        pages,
                        feed.lang.as_deref(),
                        source,
                        &ctx.topic,
                    );
                    let next = now() + secs(source.interval);
                    let stored = ctx.store.record_success(
                        &source.name,
                        (
                            page.validators.etag.as_deref(),
                            page.validators.last_modified.as_deref(),
                        ),
                        feed.title.as_deref(),
                        page.moved_permanently.as_ref().map(|u| u.as_str()),
                        &articles,
                        next,
                        &decide,
                    );
                    match stored {
                        Ok(s) => {
                            report.new = s.new;
                            report.updated = s.updated;
                            report.duplicates = s.duplicates;
                            report.relevant = s.relevant;
                            report.next_poll = Some(next);
                        }
                        Err(e) => {
                            report.status = Status::Failed;
                            report.error = Some(e.to_string());
                        }
                    }
                }
                Err(e) => failure(&mut report, e.to_string(), None, false),
            }
        }
        Err(e) => failure(&mut report, e.to_string(), e.retry_after(), e.is_gone()),
    }
    match report.status {
        Status::Ok | Status::NotModified => tracing::info!(
            status = ?report.status, fetched = report.fetched, new = report.new, updated = report.updated,
            warnings = report.warnings.len(), "polled"
        ),
        _ => {
            tracing::warn!(status = ?report.status, error = report.error.as_deref().unwrap_or(""), url = %source.url, "poll failed")
        }
    }
    for w in &report.warnings {
        tracing::warn!(warning = %w, "input problem");
    }
    report
}

/// Which sources a pass covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'a> {
    /// Every enabled source that is due.
    Due,
    /// Every enabled source, due or not.
    All,
    /// One source by name, even if not due.
    One(&'a str),
}

/// Polls the selected sources concurrently (within the fetcher's limits) and
/// returns one report per configured source, in configuration order.
pub async fn poll_sources(
    ctx: &Context,
    selection: Selection<'_>,
) -> Result<Vec<SourceReport>, PipelineError> {
    if let Selection::One(name) = selection
        && !ctx.config.sources.iter().any(|s| s.name == name)
    {
        return Err(PipelineError::NoSuchSource(name.to_string()));
    }
    let states = ctx.store.source_states()?;
    let t = now();
    let mut tasks = JoinSet::new();
    let mut reports: Vec<Option<SourceReport>> = vec![None; ctx.config.sources.len()];
    for (i, source) in ctx.config.sources.iter().enumerate() {
        let state = states.iter().find(|s| s.name == source.name);
        let chosen = match selection {
            Selection::One(name) => name == source.name,
            Selection::All | Selection::Due => true,
        };
        if !chosen {
            continue;
        }
        if !source.enabled || state.is_some_and(|s| s.disabled_reason.is_some()) {
            let mut r = SourceReport::new(&source.name, Status::Disabled);
            r.error = state
                .and_then(|s| s.disabled_reason.clone())
                .or(Some("enabled = false in feeds.toml".into()));
            reports[i] = Some(r);
            continue;
        }
        let next = state.and_then(|s| s.next_poll);
        if selection == Selection::Due && next.is_some_and(|n| n > t) {
            let mut r = SourceReport::new(&source.name, Status::NotDue);
            r.next_poll = next;
            r.error = state.and_then(|s| s.last_error.clone());
            reports[i] = Some(r);
            continue;
        }
        let ctx = ctx.clone();
        let source = source.clone();
        tasks.spawn(async move { (i, poll_source(&ctx, &source).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, report)) => reports[i] = Some(report),
            Err(e) => tracing::error!(error = %e, "a poll task failed"),
        }
    }
    prune_index(ctx).await;
    Ok(reports.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let i = Duration::from_secs(600);
        let cap = Duration::from_secs(6 * 3600);
        let first = backoff(i, 1, cap, None);
        assert!(
            first >= Duration::from_secs(480) && first <= Duration::from_secs(720),
            "{first:?}"
        );
        let fourth = backoff(i, 4, cap, None);
        assert!(
            fourth >= Duration::from_secs(3840) && fourth <= Duration::from_secs(5760),
            "{fourth:?}"
        );
        for n in [10, 30, u32::MAX] {
            assert!(backoff(i, n, cap, None) <= cap);
        }
        assert_eq!(
            backoff(i, 1, cap, Some(Duration::from_secs(7200))),
            Duration::from_secs(7200)
        );
    }
}
