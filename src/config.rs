//! `feeds.toml`: the service settings, the output feed and the list of sources.
//!
//! The file is read with `toml` into raw structs that keep the span of every
//! value, then validated into [`Config`]. Every problem is reported with the
//! file, the line and the key, e.g.
//! `feeds.toml:14: key `interval` in [[source]] "Libya Herald": invalid duration "ten" ...`.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

/// Default user agent sent with every request.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "marsad/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/marsad-project/marsad)"
);

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from (relative paths inside are resolved against its folder).
    pub path: PathBuf,
    /// `[service]`
    pub service: Service,
    /// `[output]`
    pub output: Output,
    /// `[[source]]`, in file order.
    pub sources: Vec<Source>,
    /// `[topic]`: what the curated feed is about.
    pub topic: crate::curate::TopicConfig,
}

/// `[service]`: how the daemon fetches and where it keeps its state.
#[derive(Debug, Clone)]
pub struct Service {
    /// SQLite database file (absolute after loading).
    pub database: PathBuf,
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// User-Agent header for every request.
    pub user_agent: String,
    /// Poll interval for sources without their own.
    pub default_interval: Duration,
    /// Allow loopback, private and link-local targets (off by default: URLs come from strangers).
    pub allow_private_networks: bool,
    /// Largest response body accepted, after decompression.
    pub max_body: u64,
    /// Concurrent fetches over all hosts.
    pub concurrency: usize,
    /// Concurrent fetches per host.
    pub per_host: usize,
    /// Total time allowed for one request, body included.
    pub timeout: Duration,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Upper bound of the error backoff.
    pub max_backoff: Duration,
    /// Fetch each new article's page and extract the full text.
    pub fetch_articles: bool,
    /// Most article pages fetched per source per pass.
    pub max_pages_per_pass: usize,
}

/// `[output]`: the published feed.
#[derive(Debug, Clone)]
pub struct Output {
    /// Feed title.
    pub title: String,
    /// Feed subtitle.
    pub subtitle: Option<String>,
    /// File the Atom feed is also written to (an RSS copy is written beside it).
    pub file: Option<PathBuf>,
    /// Most entries in the feed.
    pub max_entries: usize,
    /// Public URL the service is reached at; used for self links and the feed id.
    pub base_url: Option<Url>,
}

/// One `[[source]]`.
#[derive(Debug, Clone)]
pub struct Source {
    /// Unique name, shown to readers as the outlet.
    pub name: String,
    /// Feed URL.
    pub url: Url,
    /// Language hint (`ar`, `en`, `fr`).
    pub lang: Option<String>,
    /// Poll interval.
    pub interval: Duration,
    /// Whether the source is polled.
    pub enabled: bool,
    /// Fetch this source's article pages for the full text.
    pub full_text: bool,
    /// Honour robots.txt for its article pages.
    pub respect_robots: bool,
    /// Encoding forced for its pages and feed (for sites that declare the wrong one).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Extraction rule for its pages.
    pub extract: Option<crate::extract::SiteRule>,
    /// What the source always covers (curation takes it as given).
    pub focus: crate::curate::Focus,
    /// Force the source's articles into or out of the curated feed.
    pub curate: crate::curate::Force,
    /// Line in feeds.toml where the source starts (for messages).
    pub line: usize,
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// The key (or table) at fault.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration {path}: {source} (pass --config PATH or set MARSAD_CONFIG)")]
    Read {
        /// The path tried.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but has problems.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found, in line order.
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}:{}: key `{}`: {}",
            path.display(),
            p.line,
            p.key,
            p.message
        ));
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    service: Option<RawService>,
    output: Option<RawOutput>,
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    topic: Option<RawTopic>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    name: Option<String>,
    threshold: Option<Spanned<f64>>,
    lexicon: Option<Spanned<String>>,
    #[serde(default)]
    add_geo: Vec<String>,
    #[serde(default)]
    add_foreign: Vec<String>,
    #[serde(default)]
    add_strong: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    subject: Vec<crate::curate::Group>,
    #[serde(default)]
    exclude: Vec<crate::curate::Group>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawService {
    database: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    default_interval: Option<Spanned<String>>,
    allow_private_networks: Option<bool>,
    max_body: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_backoff: Option<Spanned<String>>,
    fetch_articles: Option<bool>,
    max_pages_per_pass: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    title: Option<Spanned<String>>,
    subtitle: Option<String>,
    file: Option<Spanned<String>>,
    max_entries: Option<Spanned<i64>>,
    base_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    lang: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    enabled: Option<bool>,
    focus: Option<crate::curate::Focus>,
    curate: Option<crate::curate::Force>,
    full_text: Option<bool>,
    respect_robots: Option<bool>,
    encoding: Option<Spanned<String>>,
    extract: Option<Spanned<crate::extract::SiteRule>>,
}

/// Maps byte offsets to 1-based line numbers.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.0.len());
        self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The key written on the line holding `offset` (`key = value`), if any.
    fn key_at(&self, offset: usize) -> Option<String> {
        let end = offset.min(self.0.len());
        let start = self.0[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = self.0[start..].lines().next().unwrap_or("");
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
    }
}

impl Config {
    /// Reads and validates the configuration at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates configuration text; `path` is used for messages and to resolve relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let lines = Lines(text);
        let invalid = |problems: Vec<Problem>| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().to_string();
            // For an unknown key the span covers the key itself.
            let key = unknown_field(&message)
                .or_else(|| lines.key_at(offset))
                .unwrap_or_else(|| "(syntax)".to_string());
            invalid(vec![Problem {
                line: lines.line(offset),
                key,
                message: explain_toml_message(&message),
            }])
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut v = Validator {
            lines: &lines,
            problems: Vec::new(),
        };
        let config = v.config(raw, path, &base_dir);
        if v.problems.is_empty() {
            Ok(config)
        } else {
            v.problems.sort_by_key(|p| p.line);
            Err(invalid(v.problems))
        }
    }

    /// Enabled sources.
    pub fn enabled_sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter().filter(|s| s.enabled)
    }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn explain_toml_message(message: &str) -> String {
    if message.starts_with("unknown field") {
        format!("{message} (remove it or fix its spelling)")
    } else {
        message.to_string()
    }
}

struct Validator<'a> {
    lines: &'a Lines<'a>,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn problem<T>(&mut self, value: &Spanned<T>, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            line: self.lines.line(value.span().start),
            key: key.to_string(),
            message: message.into(),
        });
    }

    fn duration(
        &mut self,
        value: Option<&Spanned<String>>,
        key: &str,
        default: Duration,
    ) -> Duration {
        let Some(value) = value else { return default };
        match parse_duration(value.get_ref()) {
            Ok(d) if d.is_zero() => {
                self.problem(value, key, "a duration must be longer than zero");
                default
            }
            Ok(d) => d,
            Err(e) => {
                self.problem(value, key, e);
                default
            }
        }
    }

    fn count(&mut self, value: Option<&Spanned<i64>>, key: &str, default: usize) -> usize {
        let Some(value) = value else { return default };
        match usize::try_from(*value.get_ref()) {
            Ok(n) if n > 0 => n,
            _ => {
                self.problem(
                    value,
                    key,
                    format!("must be a whole number above 0, not {}", value.get_ref()),
                );
                default
            }
        }
    }

    fn config(&mut self, raw: RawConfig, path: &Path, base_dir: &Path) -> Config {
        let s = raw.service.unwrap_or_default();
        let resolve = |p: &str| {
            let p = PathBuf::from(p);
            if p.is_absolute() { p } else { base_dir.join(p) }
        };
        let database = match &s.database {
            Some(d) if d.get_ref().trim().is_empty() => {
                self.problem(d, "database", "must name a file, e.g. \"marsad.db\"");
                resolve("marsad.db")
            }
            Some(d) => resolve(d.get_ref()),
            None => resolve("marsad.db"),
        };
        let listen = match &s.listen {
            Some(l) => match l.get_ref().parse::<SocketAddr>() {
                Ok(a) => a,
                Err(_) => {
                    self.problem(
                        l,
                        "listen",
                        format!(
                            "{:?} is not an address:port such as \"127.0.0.1:8080\"",
                            l.get_ref()
                        ),
                    );
                    SocketAddr::from(([127, 0, 0, 1], 8080))
                }
            },
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let user_agent = match &s.user_agent {
            Some(ua) if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\n', '\r']) => {
                self.problem(ua, "user_agent", "must be one non-empty line");
                DEFAULT_USER_AGENT.to_string()
            }
            Some(ua) => ua.get_ref().clone(),
            None => DEFAULT_USER_AGENT.to_string(),
        };
        let default_interval = self.duration(
            s.default_interval.as_ref(),
            "default_interval",
            Duration::from_secs(15 * 60),
        );
        let max_body = match &s.max_body {
            Some(m) => match parse_size(m.get_ref()) {
                Ok(0) => {
                    self.problem(m, "max_body", "must be larger than zero");
                    10 << 20
                }
                Ok(n) => n,
                Err(e) => {
                    self.problem(m, "max_body", e);
                    10 << 20
                }
            },
            None => 10 << 20,
        };
        let service = Service {
            database,
            listen,
            user_agent,
            default_interval,
            allow_private_networks: s.allow_private_networks.unwrap_or(false),
            max_body,
            concurrency: self.count(s.concurrency.as_ref(), "concurrency", 8),
            per_host: self.count(s.per_host.as_ref(), "per_host", 2),
            timeout: self.duration(s.timeout.as_ref(), "timeout", Duration::from_secs(30)),
            connect_timeout: self.duration(
                s.connect_timeout.as_ref(),
                "connect_timeout",
                Duration::from_secs(10),
            ),
            max_backoff: self.duration(
                s.max_backoff.as_ref(),
                "max_backoff",
                Duration::from_secs(6 * 3600),
            ),
            fetch_articles: s.fetch_articles.unwrap_or(true),
            max_pages_per_pass: self.count(s.max_pages_per_pass.as_ref(), "max_pages_per_pass", 30),
        };

        let o = raw.output.unwrap_or_default();
        let title = match &o.title {
            Some(t) if t.get_ref().trim().is_empty() => {
                self.problem(t, "title", "the feed needs a title");
                String::new()
            }
            Some(t) => t.get_ref().trim().to_string(),
            None => "Libya security monitor".to_string(),
        };
        let base_url = o
            .base_url
            .as_ref()
            .and_then(|b| match Url::parse(b.get_ref()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
                _ => {
                    self.problem(
                        b,
                        "base_url",
                        format!("{:?} is not an http(s) URL", b.get_ref()),
                    );
                    None
                }
            });
        let output = Output {
            title,
            subtitle: o.subtitle,
            file: o.file.as_ref().map(|f| resolve(f.get_ref())),
            max_entries: self.count(o.max_entries.as_ref(), "max_entries", 100),
            base_url,
        };

        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut sources = Vec::new();
        for raw_source in raw.source {
            let line = self.lines.line(raw_source.span().start);
            let rs = raw_source.into_inner();
            let name = match &rs.name {
                Some(n) if !n.get_ref().trim().is_empty() => n.get_ref().trim().to_string(),
                Some(n) => {
                    self.problem(n, "name", "a source needs a non-empty name");
                    continue;
                }
                None => {
                    self.problems.push(Problem {
                        line,
                        key: "name".into(),
                        message: "this [[source]] has no name; add name = \"Outlet name\"".into(),
                    });
                    continue;
                }
            };
            if let Some(first) = seen.insert(name.to_lowercase(), line) {
                let n = rs
                    .name
                    .as_ref()
                    .map_or(line, |n| self.lines.line(n.span().start));
                self.problems.push(Problem {
                    line: n,
                    key: "name".into(),
                    message: format!(
                        "source name {name:?} is already used at line {first}; names must be unique"
                    ),
                });
            }
            let url = match &rs.url {
                Some(u) => {
                    match Url::parse(u.get_ref().trim()) {
                        Ok(url)
                            if matches!(url.scheme(), "http" | "https") && url.host().is_some() =>
                        {
                            Some(url)
                        }
                        Ok(url) => {
                            self.problem(u, "url", format!("source {name:?}: scheme {:?} is not supported; use http or https", url.scheme()));
                            None
                        }
                        Err(e) => {
                            self.problem(
                                u,
                                "url",
                                format!("source {name:?}: {:?} is not a URL ({e})", u.get_ref()),
                            );
                            None
                        }
                    }
                }
                None => {
                    self.problems.push(Problem {
                        line,
                        key: "url".into(),
                        message: format!(
                            "source {name:?} has no url; add url = \"https://.../feed\""
                        ),
                    });
                    None
                }
            };
            let lang = rs.lang.as_ref().and_then(|l| {
                let v = l.get_ref().trim().to_lowercase();
                let ok = (2..=8).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if ok {
                    Some(v)
                } else {
                    self.problem(l, "lang", format!("source {name:?}: {:?} is not a language tag such as \"ar\", \"en\" or \"fr\"", l.get_ref()));
                    None
                }
            });
            let interval = self.duration(rs.interval.as_ref(), "interval", default_interval);
            let encoding = rs.encoding.as_ref().and_then(|e| match encoding_rs::Encoding::for_label(e.get_ref().trim().as_bytes()) {
                Some(enc) => Some(enc),
                None => {
                    self.problem(e, "encoding", format!("source {name:?}: {:?} is not an encoding label such as \"windows-1256\" or \"iso-8859-6\"", e.get_ref()));
                    None
                }
            });
            let extract = rs.extract.as_ref().map(|r| {
                let rule = r.get_ref().clone();
                let bad = rule.invalid_selectors();
                if !bad.is_empty() {
                    self.problem(
                        r,
                        "extract",
                        format!(
                            "source {name:?}: invalid CSS selector(s): {}",
                            bad.join(", ")
                        ),
                    );
                }
                if rule.body.is_empty() {
                    self.problem(
                        r,
                        "extract",
                        format!("source {name:?}: a rule needs at least one `body` selector"),
                    );
                }
                rule
            });
            if let Some(url) = url {
                sources.push(Source {
                    name,
                    url,
                    lang,
                    interval,
                    enabled: rs.enabled.unwrap_or(true),
                    full_text: rs.full_text.unwrap_or(true),
                    respect_robots: rs.respect_robots.unwrap_or(true),
                    encoding,
                    extract,
                    focus: rs.focus.unwrap_or_default(),
                    curate: rs.curate.unwrap_or_default(),
                    line,
                });
            }
        }
        let t = raw.topic.unwrap_or_default();
        let threshold = match &t.threshold {
            Some(th) if *th.get_ref() > 0.0 && th.get_ref().is_finite() => *th.get_ref(),
            Some(th) => {
                self.problem(th, "threshold", "must be a number above 0, e.g. 2.0");
                crate::curate::DEFAULT_THRESHOLD
            }
            None => crate::curate::DEFAULT_THRESHOLD,
        };
        let lexicon = t.lexicon.as_ref().map(|l| {
            let path = resolve(l.get_ref());
            if !path.is_file() {
                self.problem(
                    l,
                    "lexicon",
                    format!("{} is not a readable file", path.display()),
                );
            }
            path.display().to_string()
        });
        let topic = crate::curate::TopicConfig {
            name: t.name.unwrap_or_else(|| "Libya security".into()),
            threshold,
            lexicon,
            add_geo: t.add_geo,
            add_foreign: t.add_foreign,
            add_strong: t.add_strong,
            remove: t.remove,
            subjects: t.subject,
            excludes: t.exclude,
        };
        Config {
            path: path.to_path_buf(),
            service,
            output,
            sources,
            topic,
        }
    }
}

/// Parses durations such as `"90s"`, `"15m"`, `"2h"`, `"1d"` or `"1h30m"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let err = || {
        format!(
            "invalid duration {text:?}: write a number and a unit, e.g. \"90s\", \"15m\", \"2h\" or \"1d\""
        )
    };
    if t.is_empty() {
        return Err(err());
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(err());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => {
                total = total.saturating_add(n / 1000);
                rest = rest[unit_len..].trim_start();
                continue;
            }
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(err()),
        };
        total = total.saturating_add(n.saturating_mul(factor));
        rest = rest[unit_len..].trim_start();
    }
    Ok(Duration::from_secs(total))
}

/// Parses sizes such as `"10MiB"`, `"512KiB"`, `"1GB"` or `"4096"` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let err = || {
        format!("invalid size {text:?}: write a number and a unit, e.g. \"512KiB\" or \"10MiB\"")
    };
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return Err(err());
    }
    let n: u64 = t[..digits].parse().map_err(|_| err())?;
    let factor: u64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        _ => return Err(err()),
    };
    n.checked_mul(factor).ok_or_else(err)
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: key `{}`: {}",
            self.line, self.key, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        match Config::parse(text, Path::new("feeds.toml")) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let p = problems(
            "[service]\nlisten = \"127.0.0.1:8080\"\n\n[[source]]\nname = \"A\"\nurl = \"https://a.ly/feed\"\nintervall = \"5m\"\n",
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 7);
        assert_eq!(p[0].key, "intervall");
    }

    #[test]
    fn every_semantic_problem_is_reported() {
        let text = "[service]\ndefault_interval = \"ten\"\nlisten = \"nowhere\"\n\n[[source]]\nname = \"A\"\nurl = \"ftp://a.ly/feed\"\n\n[[source]]\nname = \"A\"\nurl = \"https://b.ly/\"\ninterval = \"0s\"\n[[source]]\nurl = \"https://c.ly/\"\n";
        let p = problems(text);
        let keys: Vec<(usize, &str)> = p.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert_eq!(
            keys,
            vec![
                (2, "default_interval"),
                (3, "listen"),
                (7, "url"),
                (10, "name"),
                (12, "interval"),
                (13, "name")
            ]
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let p = problems("[output]\nmax_entries = \"many\"\n");
        assert_eq!((p[0].line, p[0].key.as_str()), (2, "max_entries"));
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let c = Config::parse(
            "[service]\ndatabase = \"data/m.db\"\n",
            Path::new("/etc/marsad/feeds.toml"),
        )
        .expect("valid");
        assert_eq!(c.service.database, PathBuf::from("/etc/marsad/data/m.db"));
        assert_eq!(c.service.per_host, 2);
        assert_eq!(c.service.max_body, 10 << 20);
    }
}
