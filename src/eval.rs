//! Evaluation against public corpora (`marsad eval ...`): prints the figures
//! quoted in the README and closing notes. Nothing here runs in the service.
//!
//! `feeds`: feedparser's conformance suite (the `Expect:` clauses that map
//! onto our model: parse success, detected encoding, and the `title`, `link`
//! and `id` of feeds and entries) and feed-rs's fixtures (entry count, titles,
//! links and dates against the `*.serde.json` beside each feed).

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::parse::{self, ParsedFeed};
use crate::text;

/// A count of checks passed out of checks made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    /// Checks passed.
    pub pass: usize,
    /// Checks made.
    pub total: usize,
}

impl Score {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.pass += usize::from(ok);
    }

    /// Share passed, 0..=1.
    pub fn share(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.pass as f64 / self.total as f64
        }
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} ({:.1} %)",
            self.pass,
            self.total,
            100.0 * self.share()
        )
    }
}

/// Results over the feed corpora.
#[derive(Debug, Default)]
pub struct FeedsReport {
    /// Per feedparser folder: files expected well-formed that we parsed.
    pub parsed: BTreeMap<String, Score>,
    /// Per checked clause kind (e.g. `entries.title`): values equal to feedparser's.
    pub fields: BTreeMap<String, Score>,
    /// `encoding == ...` clauses whose encoding we chose too.
    pub encoding: Score,
    /// Ill-formed files (bozo) we still parsed.
    pub illformed_parsed: Score,
    /// feed-rs fixtures: parsed with the expected entry count.
    pub feedrs_count: Score,
    /// feed-rs fixtures: titles, links and dates equal.
    pub feedrs_fields: Score,
    /// Inputs on which the parser panicked (caught); must be empty.
    pub panics: Vec<PathBuf>,
    /// Files read.
    pub files: usize,
    /// Failed checks, `path: what` (for `--verbose`).
    pub misses: Vec<String>,
}

impl std::fmt::Display for FeedsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "files read: {}   parser panics: {}",
            self.files,
            self.panics.len()
        )?;
        writeln!(f, "feedparser, parsed where `not bozo` is expected:")?;
        let mut all = Score::default();
        for (k, s) in &self.parsed {
            writeln!(f, "  {k:<12} {s}")?;
            all.pass += s.pass;
            all.total += s.total;
        }
        writeln!(f, "  {:<12} {all}", "all")?;
        writeln!(f, "feedparser, fields equal to the expectation:")?;
        let mut all = Score::default();
        for (k, s) in &self.fields {
            writeln!(f, "  {k:<16} {s}")?;
            all.pass += s.pass;
            all.total += s.total;
        }
        writeln!(f, "  {:<16} {all}", "all")?;
        writeln!(
            f,
            "feedparser, encoding chosen as expected: {}",
            self.encoding
        )?;
        writeln!(
            f,
            "feedparser, ill-formed (bozo) files still read: {}",
            self.illformed_parsed
        )?;
        writeln!(
            f,
            "feed-rs fixtures, expected entry count: {}",
            self.feedrs_count
        )?;
        write!(
            f,
            "feed-rs fixtures, titles/links/dates equal: {}",
            self.feedrs_fields
        )
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn parse_guarded(
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<Result<ParsedFeed, parse::ParseError>, ()> {
    panic::catch_unwind(AssertUnwindSafe(|| {
        parse::parse_feed(bytes, content_type, None, None)
    }))
    .map_err(|_| ())
}

/// Decodes a Python string literal (`u'...'`, `'...'`, `"..."`) at the start of `s`;
/// returns the value and the rest.
fn python_string(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let s = s.strip_prefix('u').unwrap_or(s);
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, &s[1 + i + 1..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n)
                    .filter_map(|_| chars.next().map(|(_, c)| c))
                    .collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            other => out.push(other),
        }
    }
    None
}

/// One clause of an `Expect:` line that we can check.
#[derive(Debug, PartialEq)]
enum Clause {
    NotBozo,
    Bozo,
    Encoding(String),
    Field {
        entry: Option<usize>,
        key: String,
        value: String,
    },
    Other,
}

fn clauses(expect: &str) -> Vec<Clause> {
    let mut out = Vec::new();
    let mut rest = expect.trim();
    while !rest.is_empty() {
        rest = rest.trim_start().trim_start_matches("and ").trim_start();
        if let Some(r) = rest.strip_prefix("not bozo") {
            out.push(Clause::NotBozo);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("bozo") {
            out.push(Clause::Bozo);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("encoding == ") {
            match python_string(r) {
                Some((v, r)) => {
                    out.push(Clause::Encoding(v));
                    rest = r;
                }
                None => break,
            }
        } else if let Some((entry, key, r)) = field_ref(rest) {
            match r.trim_start().strip_prefix("== ").and_then(python_string) {
                Some((value, r))
                    if r.trim_start().is_empty() || r.trim_start().starts_with("and ") =>
                {
                    out.push(Clause::Field { entry, key, value });
                    rest = r;
                }
                _ => {
                    out.push(Clause::Other);
                    break;
                }
            }
        } else {
            out.push(Clause::Other);
            break;
        }
    }
    out
}

/// `feed['title']` or `entries[0]['link']` at the start of `s`.
fn field_ref(s: &str) -> Option<(Option<usize>, String, &str)> {
    let (entry, r) = if let Some(r) = s.strip_prefix("feed[") {
        (None, r)
    } else {
        let r = s.strip_prefix("entries[")?;
        let close = r.find(']')?;
        let n: usize = r[..close].parse().ok()?;
        (Some(n), r[close + 1..].strip_prefix('[')?)
    };
    let (key, r) = python_string(r)?;
    let r = r.strip_prefix(']')?;
    if r.starts_with('[') {
        return None; // nested (e.g. title_detail): not in our model
    }
    Some((entry, key, r))
}

fn header_content_type(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim().strip_prefix("Header:")?.trim();
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_string())
    })
}

fn expect_line(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Expect:")
            .map(|e| e.trim().to_string())
    })
}

fn our_value(feed: &ParsedFeed, entry: Option<usize>, key: &str) -> Option<String> {
    match (entry, key) {
        (None, "title") => feed.title.clone(),
        (Some(i), "title") => feed.entries.get(i).map(|e| e.title.clone()),
        (Some(i), "link") => feed.entries.get(i).and_then(|e| e.link.clone()),
        (Some(i), "id") => feed.entries.get(i).and_then(|e| e.guid.clone()),
        _ => None,
    }
}

fn comparable(entry: Option<usize>, key: &str) -> bool {
    matches!(
        (entry, key),
        (None, "title") | (Some(_), "title" | "link" | "id")
    )
}

fn same_text(a: &str, b: &str) -> bool {
    text::collapse_ws(a) == text::collapse_ws(&text::inline_text(b))
        || text::collapse_ws(a) == text::collapse_ws(b)
}

/// Runs the feed corpora under `root` (the folder holding `feedparser/` and `feed-rs/`).
pub fn feeds(root: &Path) -> FeedsReport {
    let mut report = FeedsReport::default();
    let mut files = Vec::new();
    walk(&root.join("feedparser/tests"), &mut files);
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        report.files += 1;
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
        let Some(expect) = expect_line(&head) else {
            continue;
        };
        let folder = path
            .strip_prefix(root.join("feedparser/tests"))
            .ok()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let content_type = header_content_type(&head);
        let result = match parse_guarded(&bytes, content_type.as_deref()) {
            Ok(r) => r,
            Err(()) => {
                report.panics.push(path.clone());
                continue;
            }
        };
        for clause in clauses(&expect) {
            match clause {
                Clause::NotBozo => {
                    if let Err(e) = &result {
                        report
                            .misses
                            .push(format!("{}: not parsed: {e}", path.display()));
                    }
                    report
                        .parsed
                        .entry(folder.clone())
                        .or_default()
                        .add(result.is_ok())
                }
                Clause::Bozo => {
                    if folder == "illformed" {
                        report.illformed_parsed.add(result.is_ok());
                    }
                }
                Clause::Encoding(want) => {
                    // The decoding step alone: some of these files are empty feeds.
                    let got =
                        parse::decode_xml(&bytes, content_type.as_deref(), None, None).encoding;
                    let ok = encoding_rs::Encoding::for_label(want.as_bytes()).is_some_and(|enc| {
                        // encoding_rs decodes GBK with its gb18030 decoder.
                        enc == got || (enc == encoding_rs::GB18030 && got == encoding_rs::GBK)
                    });
                    if !ok {
                        report.misses.push(format!(
                            "{}: encoding: want {want}, got {}",
                            path.display(),
                            got.name()
                        ));
                    }
                    report.encoding.add(ok);
                }
                Clause::Field { entry, key, value } if comparable(entry, &key) => {
                    let kind =
                        format!("{}.{key}", if entry.is_some() { "entries" } else { "feed" });
                    let ours = result.as_ref().ok().and_then(|f| our_value(f, entry, &key));
                    let ok = ours.as_deref().is_some_and(|o| same_text(o, &value));
                    if !ok {
                        report.misses.push(format!(
                            "{}: {kind}: want {value:?}, got {ours:?} ({})",
                            path.display(),
                            result
                                .as_ref()
                                .map(|_| "parsed".to_string())
                                .unwrap_or_else(|e| e.to_string())
                        ));
                    }
                    report.fields.entry(kind).or_default().add(ok);
                }
                _ => {}
            }
        }
    }

    let mut fixtures = Vec::new();
    walk(&root.join("feed-rs/feed-rs/fixture"), &mut fixtures);
    for json_path in fixtures
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".serde.json"))
    {
        let stem = json_path
            .to_string_lossy()
            .trim_end_matches(".serde.json")
            .to_string();
        let Some(feed_path) = fixtures.iter().find(|p| {
            let s = p.to_string_lossy();
            s.starts_with(&stem) && !s.ends_with(".serde.json") && s[stem.len()..].starts_with('.')
        }) else {
            continue;
        };
        let (Ok(bytes), Ok(json)) = (std::fs::read(feed_path), std::fs::read(json_path)) else {
            continue;
        };
        report.files += 1;
        let Ok(want) = serde_json::from_slice::<serde_json::Value>(&json) else {
            continue;
        };
        let got = match parse_guarded(&bytes, None) {
            Ok(r) => r.ok(),
            Err(()) => {
                report.panics.push(feed_path.clone());
                None
            }
        };
        let want_entries = want["entries"].as_array().cloned().unwrap_or_default();
        report.feedrs_count.add(
            got.as_ref()
                .is_some_and(|g| g.entries.len() == want_entries.len()),
        );
        for (i, we) in want_entries.iter().enumerate() {
            let ge = got.as_ref().and_then(|g| g.entries.get(i));
            if let Some(t) = we["title"]["content"].as_str() {
                report
                    .feedrs_fields
                    .add(ge.is_some_and(|g| same_text(&g.title, t)));
            }
            if let Some(href) = we["links"].get(0).and_then(|l| l["href"].as_str()) {
                report
                    .feedrs_fields
                    .add(ge.and_then(|g| g.link.as_deref()) == Some(href));
            }
            if let Some(p) = we["published"].as_str() {
                let want_ts = chrono::DateTime::parse_from_rfc3339(p)
                    .ok()
                    .map(|d| d.timestamp());
                report
                    .feedrs_fields
                    .add(ge.and_then(|g| g.published).map(|d| d.timestamp()) == want_ts);
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_clauses() {
        assert_eq!(
            clauses("not bozo and entries[0]['title'] == u'Example \\u00e9'"),
            vec![
                Clause::NotBozo,
                Clause::Field {
                    entry: Some(0),
                    key: "title".into(),
                    value: "Example é".into()
                }
            ]
        );
        assert_eq!(
            clauses("not bozo and encoding == 'us-ascii'"),
            vec![Clause::NotBozo, Clause::Encoding("us-ascii".into())]
        );
        assert_eq!(
            clauses("bozo and entries[0]['title_detail']['type'] == 'x'"),
            vec![Clause::Bozo, Clause::Other]
        );
    }
}
