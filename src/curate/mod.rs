//! Curation: is an article Libyan security news, how much, and why.
//!
//! A topic is a lexicon of terms in groups: `geo` (Libya: places, actors,
//! institutions), `subject` (security sub-topics, which become Atom
//! categories), `strong` (phrases that are both, e.g. "Libyan coast guard"),
//! `foreign` (other countries, to recognise passing mentions) and `exclude`
//! (subjects left out, e.g. sport). Terms are matched on normalised, stemmed
//! words, so one base form covers its inflections and clitics.
//!
//! Scoring follows the labelling guideline: an article is in when its main
//! subject, or at least one full paragraph, is security tied to Libya. Each
//! paragraph (the title and the lead count as paragraphs, with more weight)
//! scores `min(geo, 3) × min(security, 3) / 3`, and nothing when other
//! countries outnumber Libya in it, so "in Syria, Yemen and Libya" carries
//! nothing. The built-in lexicon is `lexicon.toml` beside this file.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::text;

/// The built-in lexicon for "Libya security".
pub const DEFAULT_LEXICON: &str = include_str!("lexicon.toml");

/// Why a lexicon could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CurateError {
    /// The lexicon file is not valid.
    #[error("lexicon {origin}: {message}")]
    Lexicon {
        /// Where the lexicon came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// A term as written in a lexicon: a string, or a table with a weight and exceptions.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TermSpec {
    /// Weight 1.
    Plain(String),
    /// With options.
    Full {
        /// The term.
        t: String,
        /// Weight (default 1).
        #[serde(default = "one")]
        w: f64,
        /// The term does not count when any of these appears in the article.
        #[serde(default)]
        unless: Vec<String>,
    },
}

fn one() -> f64 {
    1.0
}

impl TermSpec {
    fn parts(&self) -> (&str, f64, &[String]) {
        match self {
            TermSpec::Plain(t) => (t, 1.0, &[]),
            TermSpec::Full { t, w, unless } => (t, *w, unless),
        }
    }
}

/// A named group of terms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Name (a sub-topic becomes an Atom category).
    pub name: String,
    /// Terms.
    #[serde(default)]
    pub terms: Vec<TermSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Terms {
    #[serde(default)]
    terms: Vec<TermSpec>,
}

/// A lexicon file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconFile {
    #[serde(default)]
    geo: Terms,
    #[serde(default)]
    foreign: Terms,
    #[serde(default)]
    strong: Terms,
    #[serde(default)]
    subject: Vec<Group>,
    #[serde(default)]
    exclude: Vec<Group>,
}

/// Operator changes to the lexicon, from `[topic]` in feeds.toml.
#[derive(Debug, Clone, Default)]
pub struct TopicConfig {
    /// Topic name.
    pub name: String,
    /// Score from which an article enters the curated feed.
    pub threshold: f64,
    /// A lexicon file replacing the built-in one.
    pub lexicon: Option<String>,
    /// Extra Libya terms.
    pub add_geo: Vec<String>,
    /// Extra other-country terms.
    pub add_foreign: Vec<String>,
    /// Extra strong phrases.
    pub add_strong: Vec<String>,
    /// Terms removed from every group.
    pub remove: Vec<String>,
    /// Extra or extended sub-topics.
    pub subjects: Vec<Group>,
    /// Extra or extended excluded subjects.
    pub excludes: Vec<Group>,
}

/// Default threshold of the "Libya security" topic.
pub const DEFAULT_THRESHOLD: f64 = 2.5;

/// What a source is known to cover, which curation may take as given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    /// Nothing assumed.
    #[default]
    General,
    /// Everything it publishes is about Libya.
    Libya,
    /// Everything it publishes is security news.
    Security,
}

/// A source's curation override.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Force {
    /// Scored like any other.
    #[default]
    Auto,
    /// Always in the curated feed.
    Include,
    /// Never in the curated feed.
    Exclude,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Geo,
    Foreign,
    Strong,
    Subject(usize),
    Exclude(usize),
}

#[derive(Debug, Clone)]
struct Term {
    text: String,
    kind: Kind,
    weight: f64,
    /// Alternative stemmings (Latin terms are stemmed as English and as French), each a word sequence.
    forms: Vec<Vec<String>>,
    unless: Vec<usize>,
}

/// A compiled topic, ready to score articles.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Topic name.
    pub name: String,
    /// Entry threshold.
    pub threshold: f64,
    terms: Vec<Term>,
    subjects: Vec<String>,
    excludes: Vec<String>,
    /// First word form → (term index, form index).
    index: HashMap<String, Vec<(usize, usize)>>,
    /// Phrases that void a term ("طرابلس" unless "لبنان").
    guards: Vec<Vec<String>>,
}

/// Where in the article a term matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// The headline.
    Title,
    /// The first paragraph.
    Lead,
    /// Anywhere else.
    Body,
}

/// One matched term in the explanation.
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    /// The term as written in the lexicon.
    pub term: String,
    /// Its group: `geo`, `foreign`, `strong`, a sub-topic or `exclude:<name>`.
    pub group: String,
    /// Where it matched.
    pub zone: Zone,
    /// How many times there.
    pub count: usize,
}

/// How an article was scored.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// The score.
    pub score: f64,
    /// Whether it reaches the threshold (or the source forces it).
    pub relevant: bool,
    /// Sub-topics found in Libyan security paragraphs (Atom categories).
    pub topics: Vec<String>,
    /// Terms matched.
    pub matched: Vec<Matched>,
    /// Contribution of each zone: title, lead, body, exclusion.
    pub parts: BTreeMap<String, f64>,
    /// A one-line reason a person can read.
    pub reason: String,
}

impl Assessment {
    /// The explanation as JSON, for storage and `marsad explain`.
    pub fn explanation_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

fn stem_forms(term: &str) -> Vec<Vec<String>> {
    let normalized = text::normalize(term);
    let words: Vec<&str> = text::tokens(&normalized).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let arabic = words
        .iter()
        .any(|w| w.chars().next().is_some_and(text::is_arabic));
    let mut forms = Vec::new();
    if arabic {
        forms.push(words.iter().map(|w| text::stem(w)).collect());
    } else {
        for lang in ["en", "fr"] {
            let s = text::Stemmer::new(Some(lang));
            let f: Vec<String> = words.iter().map(|w| s.stem(w)).collect();
            if !forms.contains(&f) {
                forms.push(f);
            }
        }
    }
    forms
}

impl Topic {
    /// Compiles the built-in lexicon with the operator's changes.
    pub fn new(config: &TopicConfig) -> Result<Topic, CurateError> {
        let (origin, text) = match &config.lexicon {
            Some(path) => (
                path.clone(),
                std::fs::read_to_string(path).map_err(|e| CurateError::Lexicon {
                    origin: path.clone(),
                    message: e.to_string(),
                })?,
            ),
            None => ("built-in".to_string(), DEFAULT_LEXICON.to_string()),
        };
        let mut file: LexiconFile = toml::from_str(&text).map_err(|e| CurateError::Lexicon {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        file.geo
            .terms
            .extend(config.add_geo.iter().cloned().map(TermSpec::Plain));
        file.foreign
            .terms
            .extend(config.add_foreign.iter().cloned().map(TermSpec::Plain));
        file.strong
            .terms
            .extend(config.add_strong.iter().cloned().map(TermSpec::Plain));
        merge_groups(&mut file.subject, &config.subjects);
        merge_groups(&mut file.exclude, &config.excludes);
        let removed: HashSet<String> = config.remove.iter().map(|r| text::normalize(r)).collect();
        let name = if config.name.is_empty() {
            "Libya security".to_string()
        } else {
            config.name.clone()
        };
        let threshold = if config.threshold > 0.0 {
            config.threshold
        } else {
            DEFAULT_THRESHOLD
        };
        let mut topic = Topic {
            name,
            threshold,
            terms: Vec::new(),
            subjects: file.subject.iter().map(|g| g.name.clone()).collect(),
            excludes: file.exclude.iter().map(|g| g.name.clone()).collect(),
            index: HashMap::new(),
            guards: Vec::new(),
        };
        let add = |topic: &mut Topic, spec: &TermSpec, kind: Kind| {
            let (t, w, unless) = spec.parts();
            if removed.contains(&text::normalize(t)) {
                return;
            }
            let forms = stem_forms(t);
            if forms.is_empty() {
                return;
            }
            let unless = unless
                .iter()
                .flat_map(|u| stem_forms(u))
                .map(|f| {
                    topic.guards.push(f);
                    topic.guards.len() - 1
                })
                .collect();
            topic.terms.push(Term {
                text: t.to_string(),
                kind,
                weight: w.clamp(0.0, 5.0),
                forms,
                unless,
            });
        };
        for spec in &file.geo.terms {
            add(&mut topic, spec, Kind::Geo);
        }
        for spec in &file.foreign.terms {
            add(&mut topic, spec, Kind::Foreign);
        }
        for spec in &file.strong.terms {
            add(&mut topic, spec, Kind::Strong);
        }
        for (i, g) in file.subject.iter().enumerate() {
            for spec in &g.terms {
                add(&mut topic, spec, Kind::Subject(i));
            }
        }
        for (i, g) in file.exclude.iter().enumerate() {
            for spec in &g.terms {
                add(&mut topic, spec, Kind::Exclude(i));
            }
        }
        for (ti, term) in topic.terms.iter().enumerate() {
            for (fi, form) in term.forms.iter().enumerate() {
                topic
                    .index
                    .entry(form[0].clone())
                    .or_default()
                    .push((ti, fi));
            }
        }
        Ok(topic)
    }

    /// Number of terms in the compiled lexicon.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the lexicon is empty.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn group_name(&self, kind: Kind) -> String {
        match kind {
            Kind::Geo => "geo".into(),
            Kind::Foreign => "foreign".into(),
            Kind::Strong => "strong".into(),
            Kind::Subject(i) => self.subjects[i].clone(),
            Kind::Exclude(i) => format!("exclude:{}", self.excludes[i]),
        }
    }

    /// Scores an article. `text` is the plain body with paragraphs separated by blank lines.
    pub fn assess(
        &self,
        title: &str,
        body: &str,
        lang: Option<&str>,
        focus: Focus,
        force: Force,
    ) -> Assessment {
        let stemmer = text::Stemmer::new(lang);
        let mut paragraphs: Vec<(Zone, &str)> = vec![(Zone::Title, title)];
        let mut first = true;
        for p in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            // A body that repeats the headline as its first line: skip the copy.
            if first && text::normalize(p) == text::normalize(title) {
                continue;
            }
            // Long blocks (pages without paragraph markup) are read as paragraph-sized chunks.
            for chunk in chunks(p, CHUNK_WORDS) {
                paragraphs.push((if first { Zone::Lead } else { Zone::Body }, chunk));
                first = false;
            }
        }
        // Token variants per paragraph.
        let tokenized: Vec<Vec<Vec<String>>> = paragraphs
            .iter()
            .map(|(_, p)| {
                let n = text::normalize(p);
                text::tokens(&n)
                    .map(|t| {
                        if t.chars().next().is_some_and(text::is_arabic) {
                            text::stem_variants(t)
                        } else {
                            vec![stemmer.stem(t)]
                        }
                    })
                    .collect()
            })
            .collect();
        let guard_hit: Vec<bool> = self
            .guards
            .iter()
            .map(|g| {
                tokenized
                    .iter()
                    .any(|toks| (0..toks.len()).any(|i| phrase_at(toks, i, g)))
            })
            .collect();
        // hits[p] = (term index) per match in paragraph p.
        let mut hits: Vec<Vec<usize>> = vec![Vec::new(); paragraphs.len()];
        for (p, toks) in tokenized.iter().enumerate() {
            let mut i = 0;
            while i < toks.len() {
                let mut best: Option<(usize, usize)> = None; // (term, length)
                for v in &toks[i] {
                    let Some(entries) = self.index.get(v) else {
                        continue;
                    };
                    for &(ti, fi) in entries {
                        let form = &self.terms[ti].forms[fi];
                        if phrase_at(toks, i, form) && best.is_none_or(|(_, len)| form.len() > len)
                        {
                            best = Some((ti, form.len()));
                        }
                    }
                }
                match best {
                    Some((ti, len)) => {
                        if !self.terms[ti].unless.iter().any(|&g| guard_hit[g]) {
                            hits[p].push(ti);
                        }
                        i += len;
                    }
                    None => i += 1,
                }
            }
        }

        let mut parts: BTreeMap<String, f64> = BTreeMap::new();
        let mut topics: BTreeMap<usize, f64> = BTreeMap::new();
        let mut score = 0.0;
        let mut exclusion = 0.0;
        let mut body_strengths: Vec<f64> = Vec::new();
        let mut geo_anywhere = 0.0;
        let mut sec_anywhere = 0.0;
        for (p, (zone, _)) in paragraphs.iter().enumerate() {
            let (mut geo, mut sec, mut foreign) = (0.0f64, 0.0f64, 0.0f64);
            let mut para_topics: BTreeMap<usize, f64> = BTreeMap::new();
            // Distinct terms: repeating "Libya" five times says no more than once.
            let mut distinct: Vec<usize> = hits[p].clone();
            distinct.sort_unstable();
            distinct.dedup();
            for &ti in &distinct {
                let t = &self.terms[ti];
                match t.kind {
                    Kind::Geo => geo += t.weight,
                    Kind::Foreign => foreign += t.weight,
                    Kind::Strong => {
                        geo += t.weight;
                        sec += t.weight;
                    }
                    Kind::Subject(s) => {
                        sec += t.weight;
                        *para_topics.entry(s).or_default() += t.weight;
                    }
                    Kind::Exclude(_) => {
                        exclusion += t.weight * if *zone == Zone::Body { 0.5 } else { 1.0 };
                    }
                }
            }
            if focus == Focus::Libya && foreign <= geo {
                geo = geo.max(1.0);
            }
            if focus == Focus::Security {
                sec = sec.max(1.0);
            }
            geo_anywhere += geo;
            sec_anywhere += sec;
            // Passing mentions: a paragraph counts by Libya's share of the places it names,
            // and not at all when Libya is one of many ("in Syria, Yemen and Libya").
            let share = if geo + foreign > 0.0 {
                geo / (geo + foreign)
            } else {
                0.0
            };
            if geo <= 0.0 || sec <= 0.0 || share < 0.34 {
                continue;
            }
            // A headline is short: tying Libya to security there at all is the signal.
            let strength = match zone {
                Zone::Title => geo.min(1.0) * sec.min(1.0) * 2.0 * share,
                _ => geo.min(2.0) * sec.min(2.0) / 2.0 * share,
            };
            match zone {
                Zone::Title => {
                    score += strength;
                    *parts.entry("title".into()).or_default() += strength;
                }
                Zone::Lead => {
                    score += 2.0 * strength;
                    *parts.entry("lead".into()).or_default() += 2.0 * strength;
                }
                Zone::Body => body_strengths.push(strength),
            }
            for (s, w) in para_topics {
                *topics.entry(s).or_default() += w;
            }
        }
        // The body counts by its strongest Libyan-security paragraph (the guideline's "at least
        // one full paragraph"); many weak mentions, typical of politics and opinion, add little.
        if let Some(best) = body_strengths.iter().copied().reduce(f64::max) {
            let rest: f64 = body_strengths.iter().sum::<f64>() - best;
            let body = (1.5 * best + 0.25 * rest).min(BODY_CAP);
            score += body;
            parts.insert("body".into(), body);
        }
        // A headline about another country (and not Libya) makes the rest context, not the story.
        let title_geo = hits[0]
            .iter()
            .any(|&ti| matches!(self.terms[ti].kind, Kind::Geo | Kind::Strong));
        let title_foreign = hits[0]
            .iter()
            .any(|&ti| self.terms[ti].kind == Kind::Foreign);
        if title_foreign && !title_geo {
            for zone in ["lead", "body"] {
                if let Some(v) = parts.get_mut(zone) {
                    score -= *v * 0.5;
                    *v *= 0.5;
                }
            }
        }
        // A Libyan headline over a security story (or the reverse) is a story about Libyan security.
        let title_sec = hits[0]
            .iter()
            .any(|&ti| matches!(self.terms[ti].kind, Kind::Subject(_) | Kind::Strong));
        if (title_geo && sec_anywhere >= 2.0) || (title_sec && geo_anywhere >= 2.0) {
            score += 1.0;
            *parts.entry("title_context".into()).or_default() += 1.0;
        }
        // An excluded subject (sport, history...) named in the headline is what the article is about.
        let mut in_title: Vec<usize> = hits[0].clone();
        in_title.sort_unstable();
        in_title.dedup();
        let title_exclusion: f64 = in_title
            .iter()
            .map(|&ti| &self.terms[ti])
            .filter(|t| matches!(t.kind, Kind::Exclude(_)))
            .map(|t| t.weight)
            .sum();
        let title_excluded = title_exclusion >= 0.8;
        // Named in the headline, an excluded subject needs less support below
        // it, but some: a headline alone ("بالسجن 15 عاما على ...") is not enough.
        let triggered = exclusion >= EXCLUSION_TRIGGER
            || (title_excluded
                && exclusion >= EXCLUSION_TRIGGER_TITLE
                && exclusion - title_exclusion >= EXCLUSION_BELOW_TITLE);
        if triggered {
            let penalty = if title_excluded {
                score.max(exclusion.min(6.0))
            } else {
                exclusion.min(6.0)
            };
            score -= penalty;
            parts.insert("exclusion".into(), -penalty);
        }
        let score = (score * 100.0).round() / 100.0;
        let relevant = match force {
            Force::Include => true,
            Force::Exclude => false,
            Force::Auto => score >= self.threshold,
        };
        let mut matched: BTreeMap<(usize, Zone), usize> = BTreeMap::new();
        for (p, (zone, _)) in paragraphs.iter().enumerate() {
            for &ti in &hits[p] {
                *matched.entry((ti, *zone)).or_default() += 1;
            }
        }
        let matched: Vec<Matched> = matched
            .into_iter()
            .map(|((ti, zone), count)| Matched {
                term: self.terms[ti].text.clone(),
                group: self.group_name(self.terms[ti].kind),
                zone,
                count,
            })
            .collect();
        let mut topic_list: Vec<(usize, f64)> = topics.into_iter().collect();
        topic_list.sort_by(|a, b| b.1.total_cmp(&a.1));
        let topics: Vec<String> = topic_list
            .iter()
            .take(3)
            .map(|(s, _)| self.subjects[*s].clone())
            .collect();
        let reason = match (force, relevant) {
            (Force::Include, _) => "the source is forced in (curate = \"include\")".to_string(),
            (Force::Exclude, _) => "the source is forced out (curate = \"exclude\")".to_string(),
            (_, true) => format!(
                "score {score} ≥ {}: Libyan security in {}",
                self.threshold,
                zones(&parts)
            ),
            (_, false) if parts.contains_key("exclusion") => {
                format!("score {score} < {}: excluded subject", self.threshold)
            }
            (_, false) => format!(
                "score {score} < {}: no paragraph ties Libya to security strongly enough",
                self.threshold
            ),
        };
        Assessment {
            score,
            relevant,
            topics,
            matched,
            parts,
            reason,
        }
    }
}

/// Weighted exclusion hits from which an article counts as being about an excluded subject.
const EXCLUSION_TRIGGER: f64 = 1.5;
/// The same, when the headline itself names an excluded subject...
const EXCLUSION_TRIGGER_TITLE: f64 = 1.0;
/// ...of which at least this much below the headline.
const EXCLUSION_BELOW_TITLE: f64 = 0.25;
/// Words per chunk when a paragraph is too long to be one.
const CHUNK_WORDS: usize = 70;
/// Most the body (after the lead) contributes: length alone must not make an article relevant.
const BODY_CAP: f64 = 6.0;

/// Splits a paragraph of more than `max` words at sentence ends into chunks of about `max` words.
fn chunks(paragraph: &str, max: usize) -> Vec<&str> {
    if paragraph.split_whitespace().count() <= max {
        return vec![paragraph];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut words = 0;
    let mut in_word = false;
    for (i, c) in paragraph.char_indices() {
        if c.is_whitespace() {
            if in_word {
                words += 1;
            }
            in_word = false;
        } else {
            in_word = true;
        }
        let sentence_end = matches!(c, '.' | '!' | '?' | '؟' | '\n');
        if (sentence_end && words >= max / 2) || words >= max * 2 {
            let end = i + c.len_utf8();
            out.push(paragraph[start..end].trim());
            start = end;
            words = 0;
        }
    }
    if start < paragraph.len() && !paragraph[start..].trim().is_empty() {
        out.push(paragraph[start..].trim());
    }
    out
}

fn zones(parts: &BTreeMap<String, f64>) -> String {
    let z: Vec<&str> = parts
        .iter()
        .filter(|(k, v)| **v > 0.0 && k.as_str() != "title_context")
        .map(|(k, _)| k.as_str())
        .collect();
    if z.is_empty() {
        "the headline's context".into()
    } else {
        z.join(", ")
    }
}

fn phrase_at(toks: &[Vec<String>], i: usize, phrase: &[String]) -> bool {
    i + phrase.len() <= toks.len()
        && phrase
            .iter()
            .enumerate()
            .all(|(k, w)| toks[i + k].iter().any(|v| v == w))
}

fn merge_groups(base: &mut Vec<Group>, extra: &[Group]) {
    for g in extra {
        match base.iter_mut().find(|b| b.name == g.name) {
            Some(b) => b.terms.extend(g.terms.iter().cloned()),
            None => base.push(g.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
