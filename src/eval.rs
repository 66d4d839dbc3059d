//! Evaluation against public corpora (`marsad eval ...`): prints the figures
//! quoted in the README and closing notes. Nothing here runs in the service.
//!
//! `feeds`: feedparser's conformance suite (the `Expect:` clauses that map
//! onto our model: parse success, detected encoding, and the `title`, `link`
//! and `id` of feeds and entries) and feed-rs's fixtures (entry count, titles,
//! links and dates against the `*.serde.json` beside each feed).

use std::collections::{BTreeMap, HashMap};
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
                Clause::Bozo if folder == "illformed" => {
                    report.illformed_parsed.add(result.is_ok())
                }
                Clause::Bozo => {}
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

/// Precision, recall and the errors behind them, for a yes/no decision.
#[derive(Debug, Clone, Default)]
pub struct Confusion {
    /// True positives (weighted).
    pub tp: f64,
    /// False positives (weighted).
    pub fp: f64,
    /// False negatives (weighted).
    pub fn_: f64,
    /// True negatives (weighted).
    pub tn: f64,
    /// Items skipped (borderline, unsure).
    pub skipped: usize,
    /// Wrong decisions: `id: what`.
    pub errors: Vec<String>,
    /// (score, actual) per item, for threshold sweeps.
    pub scored: Vec<(f64, bool)>,
}

impl Confusion {
    /// Precision and recall if the threshold were `t`.
    pub fn at(&self, t: f64) -> (f64, f64) {
        let tp = self.scored.iter().filter(|(s, a)| *s >= t && *a).count() as f64;
        let fp = self.scored.iter().filter(|(s, a)| *s >= t && !*a).count() as f64;
        let pos = self.scored.iter().filter(|(_, a)| *a).count() as f64;
        (
            if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) },
            if pos == 0.0 { 0.0 } else { tp / pos },
        )
    }
}

impl Confusion {
    fn add(
        &mut self,
        predicted: bool,
        actual: bool,
        weight: f64,
        id: &str,
        what: impl FnOnce() -> String,
    ) {
        match (predicted, actual) {
            (true, true) => self.tp += weight,
            (true, false) => {
                self.fp += weight;
                self.errors.push(format!("false positive {id}: {}", what()));
            }
            (false, true) => {
                self.fn_ += weight;
                self.errors.push(format!("false negative {id}: {}", what()));
            }
            (false, false) => self.tn += weight,
        }
    }

    /// tp / (tp + fp).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fp)
        }
    }

    /// tp / (tp + fn).
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0.0 {
            0.0
        } else {
            self.tp / (self.tp + self.fn_)
        }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

impl std::fmt::Display for Confusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.3}  recall {:.3}  F1 {:.3}  (tp {:.0}, fp {:.0}, fn {:.0}, tn {:.0}; {} skipped)",
            self.precision(),
            self.recall(),
            self.f1(),
            self.tp,
            self.fp,
            self.fn_,
            self.tn,
            self.skipped
        )
    }
}

fn read_jsonl(path: &Path) -> std::io::Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Curation against a labelled JSON Lines file (`title`, `content`, `label` yes/no/borderline, optional `lang`).
pub fn curation(
    topic: &crate::curate::Topic,
    path: &Path,
    explain: &[String],
) -> std::io::Result<Confusion> {
    let mut c = Confusion::default();
    for item in read_jsonl(path)? {
        let label = item["label"].as_str().unwrap_or("");
        if label != "yes" && label != "no" {
            c.skipped += 1;
            continue;
        }
        let title = text::inline_text(item["title"].as_str().unwrap_or(""));
        let body =
            text::html_to_text(&item["content"].as_str().unwrap_or("").replace('\n', "\n\n"));
        let lang = item["lang"].as_str();
        let a = topic.assess(
            &title,
            &body,
            lang,
            crate::curate::Focus::General,
            crate::curate::Force::Auto,
        );
        let id = item["id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| item["id"].to_string());
        if explain.contains(&id) {
            println!(
                "== {id} [{label}] {title}\n{}",
                serde_json::to_string_pretty(&a).unwrap_or_default()
            );
        }
        c.scored.push((a.score, label == "yes"));
        c.add(a.relevant, label == "yes", 1.0, &id, || {
            format!("score {} {:?} — {}", a.score, a.parts, title)
        });
    }
    Ok(c)
}

/// Dedup figures on labelled pairs.
#[derive(Debug, Default)]
pub struct DedupReport {
    /// Pairs written for marsad (`fixtures/dedup/*.jsonl`), per file and language.
    pub fixtures: BTreeMap<String, Confusion>,
    /// The same pairs per file and kind (`republished`, `same-subject-different-event`...):
    /// how many the decision got right, of how many.
    pub kinds: BTreeMap<String, (usize, usize)>,
    /// SemEval-2022 task 8, Arabic–Arabic (same ≤ 1.5, different ≥ 3).
    pub semeval_ar: Confusion,
    /// SemEval-2022 task 8, all language pairs with the same language on both sides.
    pub semeval_monolingual: Confusion,
    /// SaudiNewsNet samples, one per label file given, in order. The default
    /// files are the three samples the same-story score was fitted on, so their
    /// figures are in-sample (`tools/fit_same_story.py` gives the held-out estimate).
    pub saudinewsnet: Vec<LabelledSet>,
}

/// Figures on one labelled SaudiNewsNet sample, weighted by band population.
#[derive(Debug, Default)]
pub struct LabelledSet {
    /// The label file's name.
    pub name: String,
    /// Pairwise, the decision alone.
    pub decision: Confusion,
    /// End to end: a pair merges only when the index finds it and the decision agrees.
    pub indexed: Confusion,
    /// Share of true pairs (weighted) that share an LSH band: the index's recall.
    pub lsh_recall: f64,
    /// Every labelled pair, with its measures (what `eval dedup --features` writes).
    pub pairs: Vec<LabelledPair>,
    /// After replaying whole days through the store (`eval dedup --replay`):
    /// whether the two articles ended in the same story. This counts what a
    /// reader sees, stories joined through a third copy included.
    pub replayed: Option<Confusion>,
}

/// One labelled SaudiNewsNet pair and what dedup made of it.
#[derive(Debug, Clone)]
pub struct LabelledPair {
    /// The corpus file (one day).
    pub file: String,
    /// The two articles' indexes in that day.
    pub i: usize,
    /// See `i`.
    pub j: usize,
    /// The label: the same story?
    pub actual: bool,
    /// Its weight (band population over band sample size).
    pub weight: f64,
    /// Both from one outlet.
    pub same_outlet: bool,
    /// The measures between the two.
    pub sim: crate::dedup::Similarity,
}

impl LabelledPair {
    /// `file#i-j`.
    fn id(&self) -> String {
        format!("{}#{}-{}", self.file, self.i, self.j)
    }
}

fn decide_pair(
    a_title: &str,
    a_body: &str,
    b_title: &str,
    b_body: &str,
    lang: Option<&str>,
    same_outlet: bool,
) -> (bool, crate::dedup::Similarity, bool) {
    use crate::dedup;
    let fa = dedup::fingerprint(a_title, a_body, lang);
    let fb = dedup::fingerprint(b_title, b_body, lang);
    let sim = dedup::similarity(fa.parts(), fb.parts());
    let exact = fa.body_hash.is_some() && fa.body_hash == fb.body_hash;
    let same = exact
        || dedup::same_story(
            sim,
            (fa.shingles.len(), fb.shingles.len()),
            same_outlet,
            0.0,
        );
    let banded = exact || fa.bands.iter().any(|b| fb.bands.contains(b));
    (same, sim, banded)
}

/// Runs the dedup decision on every labelled pair set that is present.
pub fn dedup(
    pairs: &[&Path],
    semeval: Option<&Path>,
    labels: &[&Path],
    corpus: Option<&Path>,
    replay_db: Option<&Path>,
) -> std::io::Result<DedupReport> {
    let mut report = DedupReport::default();
    for p in pairs {
        let file = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for item in read_jsonl(p)? {
            let lang = item["lang"].as_str().unwrap_or("ar").to_string();
            let (a, b) = (&item["a"], &item["b"]);
            let same_outlet = a["source"] == b["source"];
            let (same, sim, _) = decide_pair(
                a["title"].as_str().unwrap_or(""),
                a["body"].as_str().unwrap_or(""),
                b["title"].as_str().unwrap_or(""),
                b["body"].as_str().unwrap_or(""),
                Some(&lang),
                same_outlet,
            );
            let actual = item["same_story"].as_bool().unwrap_or(false);
            let id = item["id"].as_str().unwrap_or("?").to_string();
            let kind = item["kind"].as_str().unwrap_or("?");
            let tally = report.kinds.entry(format!("{file} {kind}")).or_default();
            tally.0 += usize::from(same == actual);
            tally.1 += 1;
            report
                .fixtures
                .entry(format!("{file} [{lang}]"))
                .or_default()
                .add(same, actual, 1.0, &id, || {
                    format!("{sim:?} {}", item["kind"])
                });
        }
    }
    if let Some(p) = semeval {
        let text = std::fs::read_to_string(p)?;
        for row in parse_csv(&text).into_iter().skip(1) {
            // pair_id, lang1, lang2, text1, text2, ..., Overall at index 10 (after the unnamed index column).
            if row.len() < 11 {
                continue;
            }
            let (lang1, lang2) = (row[2].as_str(), row[3].as_str());
            if lang1 != lang2 {
                continue;
            }
            let Ok(overall) = row[10].parse::<f64>() else {
                continue;
            };
            let actual = if overall <= 1.5 {
                true
            } else if overall >= 3.0 {
                false
            } else {
                report.semeval_monolingual.skipped += 1;
                if lang1 == "ar" {
                    report.semeval_ar.skipped += 1;
                }
                continue;
            };
            let (same, sim, _) = decide_pair("", &row[4], "", &row[5], Some(lang1), false);
            report
                .semeval_monolingual
                .add(same, actual, 1.0, &row[1], || format!("{lang1} {sim:?}"));
            if lang1 == "ar" {
                report
                    .semeval_ar
                    .add(same, actual, 1.0, &row[1], || format!("{sim:?}"));
            }
        }
    }
    if let Some(corpus) = corpus {
        let mut days: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
        for labels in labels {
            report
                .saudinewsnet
                .push(labelled_set(labels, corpus, &mut days)?);
        }
        if let Some(db) = replay_db {
            let stored = replay(&mut report, &days, db)?;
            tracing::info!(stored, "replayed the labelled days");
        }
    }
    Ok(report)
}

/// The similarity measures of every labelled SaudiNewsNet pair, one
/// tab-separated row each, with a header: what `eval dedup --features` writes.
pub fn feature_table(report: &DedupReport) -> String {
    let mut out = String::from(
        "set\tid\tsame_story\tweight\tsame_outlet\tcontainment\tjaccard\ttitle\twords\tlead_words\ttitle_in_lead\tnumbers_differ\tscore\n",
    );
    for set in &report.saudinewsnet {
        for p in &set.pairs {
            let sim = &p.sim;
            out.push_str(&format!(
                "{}\t{}\t{}\t{:.3}\t{}\t{:.4}\t{:.4}\t{:.4}\t{:.4}\t{:.4}\t{:.4}\t{}\t{:.4}\n",
                set.name,
                p.id(),
                u8::from(p.actual),
                p.weight,
                u8::from(p.same_outlet),
                sim.containment,
                sim.jaccard,
                sim.title,
                sim.words,
                sim.lead_words,
                sim.title_in_lead,
                u8::from(sim.lead_facts_differ),
                crate::dedup::story_score(*sim),
            ));
        }
    }
    out
}

/// One day of the SaudiNewsNet corpus: a gzipped JSON array of articles.
fn read_day(path: &Path) -> std::io::Result<Vec<serde_json::Value>> {
    let bytes = std::fs::read(path)?;
    let mut json = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut json)?;
    serde_json::from_str(&json).map_err(std::io::Error::other)
}

/// Replays every day that the labelled pairs come from (already read, in
/// `days`), whole and in date order, through a new store at `db` (the real
/// fingerprints, LSH lookup, decision and story merging), then checks each
/// labelled pair: did its two articles end in the same story? Returns how
/// many articles were stored.
fn replay(
    report: &mut DedupReport,
    days: &HashMap<String, Vec<serde_json::Value>>,
    db: &Path,
) -> std::io::Result<usize> {
    use crate::store::{NewArticle, Store};
    let mut days: Vec<(&String, &Vec<serde_json::Value>)> = days.iter().collect();
    days.sort_by_key(|(file, _)| file.as_str());
    let mut sources: Vec<String> = days
        .iter()
        .flat_map(|(_, d)| {
            d.iter()
                .filter_map(|a| a["source"].as_str().map(str::to_string))
        })
        .collect();
    sources.sort();
    sources.dedup();
    let store = Store::open(db).map_err(std::io::Error::other)?;
    store
        .sync_sources(
            sources
                .iter()
                .map(|s| (s.as_str(), "https://saudinewsnet.invalid/")),
        )
        .map_err(std::io::Error::other)?;
    let mut stored = 0;
    for (file, day) in &days {
        // Articles are spread over their day, in corpus order.
        let midnight = chrono::NaiveDate::parse_from_str(file.get(..10).unwrap_or(""), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0);
        for (i, a) in day.iter().enumerate() {
            let title = a["title"].as_str().unwrap_or("");
            let body = a["content"].as_str().unwrap_or("");
            let Some(source) = a["source"].as_str() else {
                tracing::warn!(file, index = i, "article without a source: not replayed");
                continue;
            };
            let url = a["url"].as_str().map(str::to_string);
            let article = NewArticle {
                entry_key: format!("guid:{file}#{i}"),
                guid: Some(format!("{file}#{i}")),
                canonical_url: url.as_deref().and_then(crate::dedup::canonical_url),
                url,
                title: title.to_string(),
                summary: None,
                content: None,
                author: None,
                categories: vec![],
                lang: Some("ar".into()),
                published: Some(midnight + (i as i64 * 86_400) / day.len().max(1) as i64),
                updated: None,
                content_hash: format!("{file}#{i}"),
                text: body.to_string(),
                fingerprint: crate::dedup::fingerprint(title, body, Some("ar")),
                score: 0.0,
                relevant: false,
                explanation: String::new(),
                topics: vec![],
                html: None,
                image: None,
                site_name: None,
                extraction: "{}".into(),
            };
            store
                .record_success(
                    source,
                    (None, None),
                    None,
                    None,
                    &[article],
                    0,
                    &crate::pipeline::decide,
                )
                .map_err(std::io::Error::other)?;
            stored += 1; // new or unchanged
        }
    }
    let mut story_of: HashMap<String, String> = HashMap::new();
    store
        .for_each_article(None, |a, _| {
            if let Some(g) = a.guid {
                story_of.insert(g, a.story_uid);
            }
            Ok(())
        })
        .map_err(std::io::Error::other)?;
    for set in &mut report.saudinewsnet {
        let mut c = Confusion::default();
        for p in &set.pairs {
            let (a, b) = (
                story_of.get(&format!("{}#{}", p.file, p.i)),
                story_of.get(&format!("{}#{}", p.file, p.j)),
            );
            let same = a.is_some() && a == b;
            c.add(same, p.actual, p.weight, &p.id(), || {
                format!("replayed, {}", set.name)
            });
        }
        set.replayed = Some(c);
    }
    Ok(stored)
}

/// Runs the decision and the index over one labelled SaudiNewsNet sample.
fn labelled_set(
    labels: &Path,
    corpus: &Path,
    days: &mut HashMap<String, Vec<serde_json::Value>>,
) -> std::io::Result<LabelledSet> {
    let mut set = LabelledSet {
        name: labels
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..LabelledSet::default()
    };
    let items = read_jsonl(labels)?;
    let (mut banded_true, mut all_true) = (0.0, 0.0);
    let mut sample_sizes: HashMap<String, usize> = HashMap::new();
    for item in &items {
        *sample_sizes
            .entry(item["bucket"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    for item in &items {
        let Some(actual) = item["same_story"].as_bool() else {
            set.decision.skipped += 1;
            continue;
        };
        let file = item["file"].as_str().unwrap_or("");
        if !days.contains_key(file) {
            days.insert(file.to_string(), read_day(&corpus.join(file))?);
        }
        let day = &days[file];
        let (Some(a), Some(b)) = (
            day.get(item["i"].as_u64().unwrap_or(0) as usize),
            day.get(item["j"].as_u64().unwrap_or(0) as usize),
        ) else {
            continue;
        };
        let bucket = item["bucket"].as_str().unwrap_or("");
        let weight =
            item["bucket_population"].as_f64().unwrap_or(1.0) / sample_sizes[bucket].max(1) as f64;
        let same_outlet = a["source"] == b["source"];
        let (same, sim, banded) = decide_pair(
            a["title"].as_str().unwrap_or(""),
            a["content"].as_str().unwrap_or(""),
            b["title"].as_str().unwrap_or(""),
            b["content"].as_str().unwrap_or(""),
            Some("ar"),
            same_outlet,
        );
        if actual {
            all_true += weight;
            if banded {
                banded_true += weight;
            }
        }
        let pair = LabelledPair {
            file: file.to_string(),
            i: item["i"].as_u64().unwrap_or(0) as usize,
            j: item["j"].as_u64().unwrap_or(0) as usize,
            actual,
            weight,
            same_outlet,
            sim,
        };
        let id = pair.id();
        set.decision.add(same, actual, weight, &id, || {
            format!("{sim:?} {}", item["why"])
        });
        set.indexed
            .add(same && banded, actual, weight, &id, String::new);
        set.pairs.push(pair);
    }
    set.lsh_recall = if all_true > 0.0 {
        banded_true / all_true
    } else {
        0.0
    };
    Ok(set)
}

impl std::fmt::Display for DedupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (set, c) in &self.fixtures {
            writeln!(f, "pairs {set}: {c}")?;
        }
        if !self.kinds.is_empty() {
            let kinds: Vec<String> = self
                .kinds
                .iter()
                .map(|(k, (right, all))| format!("{k} {right}/{all}"))
                .collect();
            writeln!(f, "pairs judged right, by kind: {}", kinds.join(" | "))?;
        }
        for set in &self.saudinewsnet {
            let name = &set.name;
            writeln!(
                f,
                "SaudiNewsNet {name} (weighted), decision: {}",
                set.decision
            )?;
            writeln!(
                f,
                "SaudiNewsNet {name}, end to end (index + decision): {}",
                set.indexed
            )?;
            writeln!(
                f,
                "SaudiNewsNet {name}, true pairs sharing an LSH band: {:.3}",
                set.lsh_recall
            )?;
            if let Some(r) = &set.replayed {
                writeln!(
                    f,
                    "SaudiNewsNet {name}, whole days replayed, same story: {r}"
                )?;
            }
        }
        writeln!(f, "SemEval-2022 task 8, ar-ar: {}", self.semeval_ar)?;
        write!(
            f,
            "SemEval-2022 task 8, all monolingual: {}",
            self.semeval_monolingual
        )
    }
}

/// A small RFC 4180 CSV reader (quoted fields, doubled quotes, newlines inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                '\r' => {}
                c => field.push(c),
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Extraction quality and speed over a corpus.
#[derive(Debug, Default)]
pub struct ExtractReport {
    /// Documents scored.
    pub docs: usize,
    /// Mean precision over 4-word shingles.
    pub precision: f64,
    /// Mean recall.
    pub recall: f64,
    /// Mean F1.
    pub f1: f64,
    /// Share of documents with F1 ≥ 0.9.
    pub good: f64,
    /// Pages per second on one core (decode + extract + clean-up).
    pub pages_per_sec: f64,
    /// Megabytes of HTML per second.
    pub mb_per_sec: f64,
    /// Median milliseconds per page.
    pub median_ms: f64,
    /// Per-document `(id, f1)`, worst first.
    pub worst: Vec<(String, f64)>,
    /// Peak resident memory of the process, MiB (VmHWM).
    pub peak_rss_mib: f64,
    /// Pages (all real articles) that the quality gate would refuse, with the
    /// reason, given the page's headline and no feed text.
    pub refused: Vec<(String, String)>,
    /// Share of pages the gate refuses when given another page's headline
    /// (the wrong page for the entry, as a soft 404 or a wall would be).
    pub wrong_page_refused: f64,
    /// Per page, the share of its own headline and of another page's that it
    /// holds (see [`crate::extract::headline_support`]), where both can be judged.
    pub headline_support: Vec<(f64, f64)>,
}

/// The process's peak resident set size in MiB, from /proc (0 where unavailable).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

impl std::fmt::Display for ExtractReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pages: precision {:.3}  recall {:.3}  F1 {:.3}  F1≥0.9 {:.1} %  gate refuses {} (and {:.1} % under another page's headline)  |  {:.0} pages/s, {:.1} MB/s, median {:.2} ms (one core), peak RSS {:.0} MiB",
            self.docs,
            self.precision,
            self.recall,
            self.f1,
            self.good * 100.0,
            self.refused.len(),
            self.wrong_page_refused * 100.0,
            self.pages_per_sec,
            self.mb_per_sec,
            self.median_ms,
            self.peak_rss_mib
        )
    }
}

/// Lower-cased word tokens (Unicode letters, digits and `_`), as `\w+` does.
fn words_lower(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn shingles4(s: &str) -> HashMap<String, usize> {
    let w = words_lower(s);
    let mut m = HashMap::new();
    if w.is_empty() {
        return m;
    }
    if w.len() < 4 {
        *m.entry(w.join(" ")).or_default() += 1;
        return m;
    }
    for win in w.windows(4) {
        *m.entry(win.join(" ")).or_default() += 1;
    }
    m
}

/// Precision, recall and F1 of `got` against `want` over 4-word shingles counted with multiplicity.
pub fn shingle_prf(got: &str, want: &str) -> (f64, f64, f64) {
    let (g, w) = (shingles4(got), shingles4(want));
    let (gn, wn): (usize, usize) = (g.values().sum(), w.values().sum());
    if gn == 0 && wn == 0 {
        return (1.0, 1.0, 1.0);
    }
    let inter: usize = g
        .iter()
        .map(|(k, n)| (*n).min(*w.get(k).unwrap_or(&0)))
        .sum();
    let p = if gn == 0 {
        0.0
    } else {
        inter as f64 / gn as f64
    };
    let r = if wn == 0 {
        0.0
    } else {
        inter as f64 / wn as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

/// One page of an evaluation corpus: id, raw bytes, URL, true body.
struct Case {
    id: String,
    /// The page file; `.gz` files are decompressed when read.
    path: PathBuf,
    url: String,
    truth: String,
    /// The headline the truth gives, if any (else the page's own is used).
    title: Option<String>,
}

impl Case {
    fn bytes(&self) -> std::io::Result<Vec<u8>> {
        let raw = std::fs::read(&self.path)?;
        if self.path.extension().is_some_and(|e| e == "gz") {
            gunzip(&raw)
        } else {
            Ok(raw)
        }
    }
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out)?;
    Ok(out)
}

fn load_cases(dir: &Path) -> std::io::Result<Vec<Case>> {
    let mut cases = Vec::new();
    if dir.join("ground-truth.json").is_file() {
        // Scrapinghub: {id: {articleBody, url}} and html/<id>.html.gz
        let gt: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("ground-truth.json"))?)
                .map_err(std::io::Error::other)?;
        let mut ids: Vec<&String> = gt
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        ids.sort();
        for id in ids {
            let path = dir.join("html").join(format!("{id}.html.gz"));
            if !path.is_file() {
                continue;
            }
            cases.push(Case {
                id: id.clone(),
                path,
                url: gt[id]["url"]
                    .as_str()
                    .unwrap_or("https://example.com/")
                    .to_string(),
                truth: gt[id]["articleBody"].as_str().unwrap_or("").to_string(),
                title: None,
            });
        }
    } else if dir.join("ground-truth").is_dir() {
        // WCXB: ground-truth/NNNN.json and html/NNNN.html.gz
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("ground-truth"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let gt: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&f)?).map_err(std::io::Error::other)?;
            let id = gt["file_id"].as_str().unwrap_or("").to_string();
            let path = dir.join("html").join(format!("{id}.html.gz"));
            if !path.is_file() {
                continue;
            }
            cases.push(Case {
                id,
                path,
                url: gt["url"]
                    .as_str()
                    .unwrap_or("https://example.com/")
                    .to_string(),
                truth: gt["ground_truth"]["main_content"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                title: gt["ground_truth"]["title"].as_str().map(str::to_string),
            });
        }
    } else {
        // marsad fixtures: NN-*.html beside NN-*.json {"body", "url"}
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
            .collect();
        files.sort();
        for f in files {
            let Ok(json) = std::fs::read(f.with_extension("json")) else {
                continue;
            };
            let gt: serde_json::Value =
                serde_json::from_slice(&json).map_err(std::io::Error::other)?;
            cases.push(Case {
                id: f
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: f.clone(),
                url: gt["url"]
                    .as_str()
                    .unwrap_or("https://example.com/")
                    .to_string(),
                truth: gt["body"].as_str().unwrap_or("").to_string(),
                title: gt["title"].as_str().map(str::to_string),
            });
        }
    }
    Ok(cases)
}

/// Runs the extractor over a corpus folder (Scrapinghub, WCXB or marsad's fixture layout).
/// With `dump`, each page's extracted text is also written to `dump/<id>.txt`.
pub fn extraction(dir: &Path, dump: Option<&Path>) -> std::io::Result<ExtractReport> {
    let cases = load_cases(dir)?;
    let mut report = ExtractReport::default();
    let mut times = Vec::with_capacity(cases.len());
    let mut total_bytes = 0usize;
    let mut total_time = 0.0f64;
    let (mut pages, mut headlines) = (Vec::new(), Vec::new());
    for case in &cases {
        let url = url::Url::parse(&case.url)
            .unwrap_or_else(|_| url::Url::parse("https://example.com/").expect("static URL"));
        let bytes = case.bytes()?;
        let page = crate::extract::Page {
            bytes: &bytes,
            content_type: None,
            url: &url,
            encoding: None,
        };
        // Median of three runs per page: this machine is shared and noisy.
        let mut runs = [0.0f64; 3];
        let mut extracted = None;
        for run in &mut runs {
            let started = std::time::Instant::now();
            extracted = crate::extract::extract(&page, None).ok();
            *run = started.elapsed().as_secs_f64();
        }
        let got = extracted
            .as_ref()
            .map(|e| e.text.clone())
            .unwrap_or_default();
        // The truth's headline, else the page's own.
        let headline = case
            .title
            .clone()
            .or_else(|| extracted.as_ref().and_then(|e| e.meta.title.clone()))
            .unwrap_or_default();
        // Every page here is a real article: the gate should keep it.
        if let Some(ex) = &extracted
            && let Err(reason) = crate::extract::gate(ex, "", &headline, None)
        {
            report.refused.push((case.id.clone(), reason));
        }
        headlines.push(headline);
        pages.push(extracted);
        runs.sort_by(f64::total_cmp);
        let secs = runs[1];
        times.push(secs * 1000.0);
        total_time += secs;
        total_bytes += bytes.len();
        if let Some(out) = dump {
            std::fs::write(out.join(format!("{}.txt", case.id)), &got)?;
        }
        let (p, r, f) = shingle_prf(&got, &case.truth);
        report.precision += p;
        report.recall += r;
        report.f1 += f;
        report.good += f64::from(u8::from(f >= 0.9));
        report.worst.push((case.id.clone(), f));
    }
    // Each page under the next page's headline, as a soft 404 or a wall
    // showing the wrong text would arrive: the share the gate refuses.
    let mut wrong = 0usize;
    for (i, page) in pages.iter().enumerate() {
        let other = &headlines[(i + 1) % headlines.len()];
        if let Some(ex) = page
            && other != &headlines[i]
        {
            wrong += 1;
            if crate::extract::gate(ex, "", other, None).is_err() {
                report.wrong_page_refused += 1.0;
            }
            if let (Some(right), Some(wrong)) = (
                crate::extract::headline_support(ex, &headlines[i], None),
                crate::extract::headline_support(ex, other, None),
            ) {
                report.headline_support.push((right, wrong));
            }
        }
    }
    report.wrong_page_refused /= wrong.max(1) as f64;
    let n = cases.len().max(1) as f64;
    report.docs = cases.len();
    report.precision /= n;
    report.recall /= n;
    report.f1 /= n;
    report.good /= n;
    report.pages_per_sec = if total_time > 0.0 {
        cases.len() as f64 / total_time
    } else {
        0.0
    };
    report.mb_per_sec = if total_time > 0.0 {
        total_bytes as f64 / 1e6 / total_time
    } else {
        0.0
    };
    times.sort_by(f64::total_cmp);
    report.median_ms = times.get(times.len() / 2).copied().unwrap_or(0.0);
    report.worst.sort_by(|a, b| a.1.total_cmp(&b.1));
    report.peak_rss_mib = peak_rss_mib();
    Ok(report)
}
