//! Full-text extraction: page bytes + headers + an optional site rule → the article.
//!
//! 1. The page is decoded as a browser would ([`decode`]).
//! 2. A per-source rule (CSS selectors for the body, and for parts to remove)
//!    is tried first; a rule that matches nothing is reported and falls back.
//! 3. Otherwise the generic extractor (dom_smoothie, a Readability port, in
//!    its formatted text mode) finds the main content.
//! 4. [`clean`] removes what generic extractors leave on news sites ("اقرأ
//!    أيضا" lists, share lines, tags, the repeated headline...).
//! 5. [`gate`] decides whether the result is better than the feed's own text.
//!
//! Metadata (canonical URL, dates, author, image, language, site name) comes
//! from JSON-LD and meta tags ([`meta`]). robots.txt is parsed by [`robots`].
//! Pages larger than [`MAX_HTML_BYTES`] or nested deeper than [`MAX_DEPTH`]
//! are refused before parsing: they make HTML tree builders slow or crash.

pub mod clean;
pub mod decode;
pub mod meta;
pub mod robots;

use dom_query::Document;
use encoding_rs::Encoding;
use serde::Serialize;
use url::Url;

pub use meta::Metadata;

use crate::text;

/// Largest decoded page handed to the HTML parser.
pub const MAX_HTML_BYTES: usize = 4 << 20;
/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 1000;

/// A per-source extraction rule from feeds.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRule {
    /// CSS selectors for the article body, tried in order; the first that matches wins.
    #[serde(default, deserialize_with = "one_or_many")]
    pub body: Vec<String>,
    /// CSS selectors removed from inside the body.
    #[serde(default, deserialize_with = "one_or_many")]
    pub remove: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match serde::Deserialize::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

impl SiteRule {
    /// Selectors that do not parse, for `marsad check`.
    pub fn invalid_selectors(&self) -> Vec<String> {
        self.body
            .iter()
            .chain(&self.remove)
            .filter(|s| dom_query::Matcher::new(s).is_err())
            .cloned()
            .collect()
    }
}

/// How the body was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The source's rule.
    Rule,
    /// The generic extractor.
    Generic,
}

/// A page to extract from.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The body bytes.
    pub bytes: &'a [u8],
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The page URL (after redirects).
    pub url: &'a Url,
    /// An encoding forced by the source's configuration.
    pub encoding: Option<&'static Encoding>,
}

/// The extracted article.
#[derive(Debug, Clone, Serialize)]
pub struct Extracted {
    /// The body as HTML (not yet sanitised for publishing).
    pub html: String,
    /// The body as plain text, paragraphs separated by blank lines.
    pub text: String,
    /// How it was found.
    pub method: Method,
    /// A rule was configured but matched nothing (it has gone stale).
    pub rule_missed: bool,
    /// Page metadata.
    pub meta: Metadata,
    /// Encoding used to decode the page.
    pub encoding: &'static str,
    /// Share of the text inside links.
    pub link_density: f64,
}

/// Why a page yielded no article.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The page is too large to parse safely.
    #[error("page too large to extract ({0} bytes decoded)")]
    TooLarge(usize),
    /// The page nests elements too deeply to parse safely.
    #[error("page nests elements more than {MAX_DEPTH} deep; not extracted")]
    TooDeep,
    /// No main content was found.
    #[error("no article content found: {0}")]
    NotFound(String),
}

/// Estimates the deepest element nesting without building a tree.
fn max_depth(html: &str) -> usize {
    // Void elements, and elements whose end tag may be left out (they close implicitly).
    const VOID: [&str; 31] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "!doctype", "!--", "p", "li", "dt", "dd", "tr", "td", "th",
        "option", "optgroup", "thead", "tbody", "tfoot", "colgroup", "rb", "rt",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let at = i + off + 1;
        if at >= bytes.len() {
            break;
        }
        if bytes[at] == b'/' {
            depth = depth.saturating_sub(1);
        } else if bytes[at].is_ascii_alphabetic() {
            let end = bytes[at..]
                .iter()
                .position(|b| !b.is_ascii_alphanumeric())
                .map_or(bytes.len(), |e| at + e);
            let name = html[at..end].to_ascii_lowercase();
            let close = bytes[at..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(bytes.len(), |e| at + e);
            let self_closing = close > 0 && bytes.get(close - 1) == Some(&b'/');
            if !VOID.contains(&name.as_str()) && !self_closing {
                depth += 1;
                max = max.max(depth);
            }
        }
        i = at;
    }
    max
}

/// Whether `rest` opens element `name` (`<nav>`, `<nav class=…>`, not `<navbar>`).
fn opens(rest: &str, name: &str) -> bool {
    rest.len() > name.len() + 1
        && rest[1..].starts_with(name)
        && matches!(
            rest.as_bytes()[name.len() + 1],
            b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'/'
        )
}

/// The end (after its `>`) of the element `name` opened at `at`, nested
/// elements of the same name counted; `None` when it is never closed.
fn element_end(lower: &str, at: usize, name: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while let Some(off) = lower[i..].find('<') {
        let pos = i + off;
        let rest = &lower[pos..];
        if opens(rest, name) {
            depth += 1;
        } else if rest[1..].starts_with('/') && opens(&rest[1..], name) {
            depth -= 1;
            if depth == 0 {
                return rest.find('>').map(|g| pos + g + 1);
            }
        }
        i = pos + 1;
    }
    None
}

/// Bytes of text (outside tags, white space aside) in a stretch of
/// lower-cased HTML, the contents of `<script>`, `<style>`, `<noscript>` and
/// `<select>` left out: a cheap measure of how much of a page a block holds.
fn text_bytes(lower: &str) -> usize {
    const SKIPPED: [&str; 4] = ["script", "style", "noscript", "select"];
    let bytes = lower.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i + 1..];
            let skipped = SKIPPED.iter().find(|name| {
                rest.starts_with(**name)
                    && !rest[name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
            });
            i = match skipped.and_then(|name| rest.find(&format!("</{name}"))) {
                Some(close) => i + 1 + close,
                None => match rest.find('>') {
                    Some(gt) => i + 1 + gt + 1,
                    None => bytes.len(),
                },
            };
            continue;
        }
        if !bytes[i].is_ascii_whitespace() {
            n += 1;
        }
        i += 1;
    }
    n
}

/// `<p` tags in a stretch of lower-cased HTML.
fn paragraph_tags(lower: &str) -> usize {
    lower
        .match_indices("<p")
        .filter(|(i, _)| matches!(lower.as_bytes().get(i + 2), Some(b' ' | b'>')))
        .count()
}

/// Drops what is never read but costs the most to parse: `<script>` (except
/// JSON-LD, which holds metadata), `<style>`, `<svg>` and comments, and the
/// site's `<nav>`, `<footer>`, `<aside>` and `<form>` blocks, unless one of
/// them holds most of the page's paragraphs (markup that lies: the story in
/// an `<aside>`), or, for a `<form>`, most of its text (a whole ASP.NET page
/// lives inside its `<form>`, its story often in `<span>`s and `<br>`s).
///
/// With `blocks = false` (a site rule will pick the body, and its selectors
/// may point anywhere) only scripts, styles, SVG and comments go.
fn strip_heavy(html: &str, blocks: bool) -> std::borrow::Cow<'_, str> {
    let lower = html.to_ascii_lowercase();
    let page_paragraphs = paragraph_tags(&lower);
    let mut page_text = None;
    const BLOCKS: [&str; 4] = ["nav", "footer", "aside", "form"];
    // Per block name: no cut before this offset. Set past a block that is
    // kept (so its nested namesakes are not scanned again) and to the end
    // after an unclosed one: hostile pages of 100,000 open `<nav>`s stay linear.
    let mut resume = [0usize; BLOCKS.len()];
    let mut out = String::new();
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = lower[i..].find('<') {
        let at = i + off;
        let rest = &lower[at..];
        let end = if rest.starts_with("<!--") {
            rest.find("-->").map(|e| at + e + 3)
        } else if rest.starts_with("<script") {
            let tag_end = rest.find('>').unwrap_or(rest.len());
            if rest[..tag_end].contains("ld+json") {
                None
            } else {
                rest.find("</script")
                    .map(|e| at + e + rest[e..].find('>').map_or(0, |g| g + 1))
            }
        } else if rest.starts_with("<style") {
            rest.find("</style")
                .map(|e| at + e + rest[e..].find('>').map_or(0, |g| g + 1))
        } else if rest.starts_with("<svg") {
            rest.find("</svg")
                .map(|e| at + e + rest[e..].find('>').map_or(0, |g| g + 1))
        } else if let Some(k) =
            (0..BLOCKS.len()).find(|&k| blocks && at >= resume[k] && opens(rest, BLOCKS[k]))
        {
            match element_end(&lower, at, BLOCKS[k]) {
                None => {
                    resume[k] = usize::MAX;
                    None
                }
                Some(e) => {
                    let inside = paragraph_tags(&lower[at..e]);
                    let holds_the_page = BLOCKS[k] == "form"
                        && text_bytes(&lower[at..e]) * 2
                            > *page_text.get_or_insert_with(|| text_bytes(&lower));
                    if (inside >= 3 && inside * 2 > page_paragraphs) || holds_the_page {
                        resume[k] = e;
                        None
                    } else {
                        Some(e)
                    }
                }
            }
        } else {
            None
        };
        match end {
            Some(e) if e > at => {
                out.push_str(&html[last..at]);
                last = e;
                i = e;
            }
            _ => i = at + 1,
        }
    }
    if last == 0 {
        return std::borrow::Cow::Borrowed(html);
    }
    out.push_str(&html[last..]);
    std::borrow::Cow::Owned(out)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn link_density(doc: &Document) -> f64 {
    let all = doc
        .select("body")
        .text()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    let links: usize = doc
        .select("a")
        .iter()
        .map(|a| a.text().chars().filter(|c| !c.is_whitespace()).count())
        .sum();
    if all == 0 {
        0.0
    } else {
        links as f64 / all as f64
    }
}

/// Extracts the article from a page.
pub fn extract(page: &Page<'_>, rule: Option<&SiteRule>) -> Result<Extracted, ExtractError> {
    let tld = page.url.host_str().and_then(|h| h.rsplit('.').next());
    let decoded = decode::decode_html(page.bytes, page.content_type, page.encoding, tld);
    if decoded.text.len() > MAX_HTML_BYTES {
        return Err(ExtractError::TooLarge(decoded.text.len()));
    }
    let has_rule = rule.is_some_and(|r| !r.body.is_empty());
    let stripped = strip_heavy(&decoded.text, !has_rule);
    if max_depth(&stripped) > MAX_DEPTH {
        return Err(ExtractError::TooDeep);
    }
    let doc = Document::from(&*stripped);
    let meta = meta::metadata(&doc, page.url);

    let mut rule_missed = false;
    let mut found: Option<(String, Method)> = None;
    if let Some(rule) = rule.filter(|r| !r.body.is_empty()) {
        for sel in &rule.body {
            let Some(selection) = doc.try_select(sel) else {
                continue;
            };
            if selection.text().trim().is_empty() {
                continue;
            }
            for r in &rule.remove {
                if let Some(s) = selection.try_select(r) {
                    s.remove();
                }
            }
            // The inside of the chosen element: the clean-up must not judge the
            // container the operator picked (an <aside> or <footer> body is theirs to choose).
            found = Some((selection.inner_html().to_string(), Method::Rule));
            break;
        }
        rule_missed = found.is_none();
    }
    let (raw_html, method) = match found {
        Some(f) => f,
        None => {
            clean::reveal_streamed(&doc);
            clean::remove_noise(&doc, false);
            // The extractor drops classes: mark captions by their tag while they still show.
            clean::mark_captions(&doc);
            // Only the content HTML is used (our own text conversion follows), so the cheapest text mode.
            let config = dom_smoothie::Config {
                text_mode: dom_smoothie::TextMode::Raw,
                // Our own metadata step reads JSON-LD once (meta.rs).
                disable_json_ld: true,
                ..Default::default()
            };
            let mut readability = dom_smoothie::Readability::with_document(
                doc,
                Some(page.url.as_str()),
                Some(config),
            )
            .map_err(|e| ExtractError::NotFound(e.to_string()))?;
            let article = readability
                .parse()
                .map_err(|e| ExtractError::NotFound(e.to_string()))?;
            (article.content.to_string(), Method::Generic)
        }
    };
    let body = Document::from(raw_html.as_str());
    clean::clean(&body, meta.title.as_deref());
    let html = body.select("body").inner_html().to_string();
    clean::strip_captions(&body);
    let text = text::html_to_text(&body.select("body").inner_html());
    if text.is_empty() {
        return Err(ExtractError::NotFound(
            "the content is empty after clean-up".into(),
        ));
    }
    Ok(Extracted {
        link_density: link_density(&body),
        html,
        text,
        method,
        rule_missed,
        meta,
        encoding: decoded.encoding.name(),
    })
}

/// Decides whether an extraction is better than the feed's own text; `Err`
/// says why not (empty, much shorter than the feed, mostly links, or in
/// another language than the page).
pub fn gate(
    ex: &Extracted,
    feed_text: &str,
    headline: &str,
    expected_lang: Option<&str>,
) -> Result<(), String> {
    let words = ex.text.split_whitespace().count();
    let feed_words = feed_text.split_whitespace().count();
    if words < 20 && words < feed_words {
        return Err(format!("almost empty ({words} words)"));
    }
    if feed_words >= 40 && (words as f64) < 0.6 * feed_words as f64 {
        return Err(format!(
            "much shorter than the feed's own content ({words} vs {feed_words} words)"
        ));
    }
    if ex.link_density > 0.5 {
        return Err(format!(
            "mostly links ({:.0} % of the text)",
            ex.link_density * 100.0
        ));
    }
    let expected = ex
        .meta
        .lang
        .as_deref()
        .or(expected_lang)
        .and_then(|l| l.split('-').next())
        .map(str::to_string);
    if let (Some(want), Some(got)) = (expected, text::guess_lang(&ex.text))
        && crate::publish::is_rtl(&want) != crate::publish::is_rtl(got)
    {
        return Err(format!(
            "in another language ({got}) than the page ({want})"
        ));
    }
    if let Some(reason) = unrelated_to_entry(ex, feed_text, headline, expected_lang) {
        return Err(reason);
    }
    Ok(())
}

/// Below this share of the headline's words (in the page's text or its own
/// title), a page is not the entry's article.
pub const HEADLINE_SUPPORT: f64 = 0.2;

/// How much of the page's text, from its start, is searched for the headline.
const LEAD_WORDS: usize = 150;

/// The share of the headline's content words (figures aside) that the page
/// holds, in its text or in its own title, whichever is more; `None` when
/// the headline has fewer than three such words in Arabic or Latin script,
/// too few to judge.
pub fn headline_support(ex: &Extracted, headline: &str, lang: Option<&str>) -> Option<f64> {
    let lang = ex.meta.lang.as_deref().or(lang);
    // Each headline word with its variants (بطرابلس may meet طرابلس). Scripts
    // written without spaces (Chinese, Japanese) have no words to compare here.
    let mut head: Vec<Vec<String>> = Vec::new();
    for forms in text::content_forms(text::strip_outlet_suffix(headline), lang) {
        let latin_or_arabic = forms[0].chars().all(|c| {
            text::is_arabic(c)
                || c.is_ascii_alphanumeric()
                || ('\u{00C0}'..='\u{024F}').contains(&c)
        });
        if latin_or_arabic && !head.iter().any(|f| f[0] == forms[0]) {
            head.push(forms);
        }
    }
    if head.len() < 3 {
        return None;
    }
    let share = |other: &str| {
        let words = text::content_stems(other, lang, true);
        head.iter()
            .filter(|forms| forms.iter().any(|f| words.contains(f)))
            .count() as f64
            / head.len() as f64
    };
    let lead: String = ex
        .text
        .split_whitespace()
        .take(LEAD_WORDS)
        .collect::<Vec<_>>()
        .join(" ");
    Some(share(&lead).max(share(ex.meta.title.as_deref().unwrap_or(""))))
}

/// Why a page is not the entry's article: too little of the entry's headline
/// in its text and its own title ([`headline_support`]). That is a consent,
/// login or bot wall, a soft 404 that shows another story, a section front.
/// A page titled with the headline is the right page even when the body
/// never repeats it (wordplay, listicles); so is one that holds half the
/// feed's own summary, when that has ten content words or more.
fn unrelated_to_entry(
    ex: &Extracted,
    feed_text: &str,
    headline: &str,
    lang: Option<&str>,
) -> Option<String> {
    let support = headline_support(ex, headline, lang)?;
    if support >= HEADLINE_SUPPORT {
        return None;
    }
    let lang = ex.meta.lang.as_deref().or(lang);
    let feed = text::content_stems(feed_text, lang, false);
    let page = text::content_stems(&ex.text, lang, true);
    let held = feed.iter().filter(|w| page.contains(*w)).count();
    if feed.len() >= 10 && held * 2 >= feed.len() {
        return None;
    }
    Some(format!(
        "holds {:.0} % of the headline's words: a consent, login or error page, or another article",
        support * 100.0
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extracts a UTF-8 page served from an alwasat.ly article URL.
    fn try_page(html: &str, rule: Option<&SiteRule>) -> Result<Extracted, ExtractError> {
        let url = Url::parse("https://alwasat.ly/news/libya/1").expect("url");
        extract(
            &Page {
                bytes: html.as_bytes(),
                content_type: Some("text/html; charset=utf-8"),
                url: &url,
                encoding: None,
            },
            rule,
        )
    }

    fn page(html: &str) -> Extracted {
        try_page(html, None).expect("extracts")
    }

    #[test]
    fn hostile_repetitions_stay_linear() {
        // Each of these took from 14 s to minutes when a scan or a walk restarted per element.
        let body = story(8);
        let pages = [
            format!(
                "<html><body><article>{body}<div>{}</div></article></body></html>",
                "<b>Comments</b> x ".repeat(5_000)
            ),
            format!(
                "<html><body><article>{body}</article>{}</body></html>",
                "<nav>".repeat(50_000)
            ),
            format!(
                "<html><body><article>{body}</article>{}</body></html>",
                "<form><p>a</p>".repeat(20_000)
            ),
            format!(
                "<html><body>{}<article>{body}</article>{}</body></html>",
                "<aside>".repeat(500),
                "</aside>".repeat(500)
            ),
        ];
        for html in &pages {
            let started = std::time::Instant::now();
            let result = try_page(html, None);
            // Generous: a debug build; the quadratic versions took minutes.
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{:?} for a page of {} bytes",
                started.elapsed(),
                html.len()
            );
            if let Ok(ex) = result {
                assert!(ex.text.contains("Paragraph 7"), "{}", ex.text);
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let html = format!(
            "<html><body>{}x{}</body></html>",
            "<div>".repeat(5000),
            "</div>".repeat(5000)
        );
        let t = std::time::Instant::now();
        let r = try_page(&html, None);
        assert!(matches!(r, Err(ExtractError::TooDeep)), "{r:?}");
        assert!(t.elapsed() < std::time::Duration::from_millis(500));
    }

    #[test]
    fn a_rule_wins_and_a_stale_rule_falls_back() {
        let body =
            "<p>عقدت اللجنة العسكرية المشتركة اجتماعها في سرت لبحث إخراج المرتزقة من البلاد.</p>"
                .repeat(6);
        let html = format!(
            "<html><head><title>t</title></head><body><nav>الرئيسية</nav><div class=\"article-body\">{body}<div class=\"share\">شارك</div><figure class=\"ad\">x</figure></div><aside>الأكثر قراءة</aside></body></html>"
        );
        let url = Url::parse("https://alwasat.ly/n/1").expect("url");
        let p = Page {
            bytes: html.as_bytes(),
            content_type: None,
            url: &url,
            encoding: None,
        };
        let rule = SiteRule {
            body: vec!["div.missing".into(), "div.article-body".into()],
            remove: vec!["figure.ad".into()],
        };
        let ex = extract(&p, Some(&rule)).expect("rule");
        assert_eq!((ex.method, ex.rule_missed), (Method::Rule, false));
        assert!(
            ex.text.starts_with("عقدت اللجنة")
                && !ex.text.contains("شارك")
                && !ex.text.contains('x'),
            "{}",
            ex.text
        );
        let stale = SiteRule {
            body: vec!["div.gone".into()],
            remove: vec![],
        };
        let ex = extract(&p, Some(&stale)).expect("fallback");
        assert_eq!((ex.method, ex.rule_missed), (Method::Generic, true));
        assert!(ex.text.contains("إخراج المرتزقة") && !ex.text.contains("الأكثر قراءة"));
        assert_eq!(
            SiteRule {
                body: vec!["div[".into()],
                remove: vec![]
            }
            .invalid_selectors(),
            vec!["div[".to_string()]
        );
    }

    #[test]
    fn the_gate_keeps_the_feed_when_extraction_is_worse() {
        let ex = page(&format!(
            "<html lang=\"ar\"><body><article>{}</article></body></html>",
            "<p>نص قصير جدا عن الاجتماع.</p>".repeat(2)
        ));
        let feed = "عقدت اللجنة العسكرية المشتركة اجتماعها في سرت ".repeat(10);
        assert!(
            gate(&ex, &feed, "", Some("ar"))
                .is_err_and(|r| r.contains("almost empty") || r.contains("shorter"))
        );
        let english = page(&format!("<html lang=\"ar\"><body><article>{}</article></body></html>", "<p>The joint military commission met in Sirte on Friday to discuss the departure of mercenaries from the country.</p>".repeat(5)));
        assert!(gate(&english, "", "", Some("ar")).is_err_and(|r| r.contains("another language")));
    }

    #[test]
    fn a_page_that_is_not_the_entrys_article_is_refused() {
        let article = page(&format!(
            "<html lang=\"ar\"><head><title>بوابة الوسط</title></head><body><article>{}</article></body></html>",
            "<p>عقدت اللجنة العسكرية المشتركة 5+5 اجتماعها في سرت لبحث إخراج المرتزقة من البلاد وتوحيد المؤسسة العسكرية.</p>".repeat(4)
        ));
        // The page's own story, under its own headline (with an outlet suffix), passes.
        let own = "اللجنة العسكرية المشتركة تجتمع في سرت - بوابة الوسط";
        assert_eq!(gate(&article, "", own, Some("ar")), Ok(()));
        // A soft 404 or a wall shows another text: the headline's words are nowhere in it.
        let other = "ارتفاع أسعار الذهب في الأسواق العالمية";
        assert!(
            gate(&article, "", other, Some("ar")).is_err_and(|r| r.contains("headline")),
            "another story is refused"
        );
        // The same holds for a consent wall in English under an English headline.
        let wall = page(&format!(
            "<html lang=\"en\"><body><div class=\"consent\">{}</div></body></html>",
            "<p>We and our partners use cookies and similar technologies to store and access information on your device, to personalise content and advertising, and to measure audiences. You can accept or manage your choices at any time.</p>".repeat(2)
        ));
        assert!(
            gate(
                &wall,
                "",
                "Libyan coast guard intercepts 187 migrants off Zuwara",
                Some("en")
            )
            .is_err_and(|r| r.contains("consent")),
        );
        // A wordplay headline is rescued by a feed summary that the page holds.
        let summary = "عقدت اللجنة العسكرية المشتركة اجتماعها في سرت لبحث إخراج المرتزقة من البلاد وتوحيد المؤسسة العسكرية";
        assert_eq!(gate(&article, summary, other, Some("ar")), Ok(()));
        // Headlines too short to judge are not checked.
        assert_eq!(gate(&article, "", "عاجل", Some("ar")), Ok(()));
        // A page titled with the headline is the right page, whatever its body says.
        let listicle = page(&format!(
            "<html lang=\"en\"><head><title>Four things to do in October</title></head><body><article>{}</article></body></html>",
            "<p>Cheer on juniors and young riders as they display their skills at the finals in Gladstone, with the historic show and its trade fair.</p>".repeat(3)
        ));
        assert_eq!(
            gate(&listicle, "", "Four things to do in October", Some("en")),
            Ok(())
        );
        assert!(
            gate(
                &listicle,
                "",
                "Libyan coast guard intercepts migrants",
                Some("en")
            )
            .is_err()
        );
    }

    #[test]
    fn captions_stay_in_the_html_but_not_in_the_text_and_galleries_go() {
        let para = "<p>عقدت اللجنة العسكرية المشتركة اجتماعها في سرت لبحث إخراج المرتزقة من البلاد وتوحيد المؤسسة العسكرية.</p>";
        let html = format!(
            "<html lang=\"ar\"><body><article>{para}\
             <figure><img src=\"/a.jpg\"><figcaption>أعضاء اللجنة في سرت</figcaption></figure>\
             <div class=\"img-wrap\"><img src=\"/b.jpg\"><div class=\"photo-caption\">صورة من الاجتماع</div>\
             <span class=\"credit\">تصوير: الوسط</span></div>\
             {para}{para}\
             <div class=\"hst-resgallery\"><ul><li><img src=\"/c.jpg\">Image 1 of 8</li><li>Caption</li><li>Close</li></ul></div>\
             {para}</article></body></html>"
        );
        let ex = page(&html);
        for caption in ["أعضاء اللجنة في سرت", "صورة من الاجتماع", "تصوير: الوسط"]
        {
            assert!(ex.html.contains(caption), "{caption} is lost from the HTML");
            assert!(
                !ex.text.contains(caption),
                "{caption} is in the text: {}",
                ex.text
            );
        }
        assert!(!ex.html.contains("Image 1 of 8") && !ex.text.contains("Close"));
        assert_eq!(ex.text.matches("عقدت اللجنة").count(), 4, "{}", ex.text);
    }

    #[test]
    fn a_photo_story_keeps_its_captions_as_text() {
        let html = "<html><body><article><h2>Tripoli in pictures</h2>\
             <figure><img src=\"/1.jpg\"><figcaption>Fishermen mend their nets in the old harbour of Tripoli before dawn on Friday.</figcaption></figure>\
             <figure><img src=\"/2.jpg\"><figcaption>Traders open their shops in the medina as the city returns to calm after the clashes.</figcaption></figure>\
             <figure><img src=\"/3.jpg\"><figcaption>Children play football on the corniche while families walk by the sea at sunset.</figcaption></figure>\
             <p>Photos by our correspondent.</p></article></body></html>";
        let ex = page(html);
        assert!(
            ex.text.contains("Fishermen mend") && ex.text.contains("Children play"),
            "{}",
            ex.text
        );
    }

    fn story(n: usize) -> String {
        (0..n)
            .map(|i| format!("<p>Paragraph {i}: the joint military commission met in Sirte on Friday to discuss the departure of foreign fighters and the reunification of the army, officials said after the meeting ended.</p>"))
            .collect()
    }

    #[test]
    fn misleading_markup_does_not_hide_the_story() {
        // The whole story inside an <aside>, and a content root named like a share widget.
        let aside = page(&format!(
            "<html><body><nav>Home News</nav><aside class=\"announcement-banner\"><main><article>{}</article></main></aside><footer>About us</footer></body></html>",
            story(6)
        ));
        assert_eq!(aside.text.matches("Paragraph").count(), 6, "{}", aside.text);
        let share = page(&format!(
            "<html><body><div class=\"post\"><div id=\"share-btn\">{}</div><div class=\"share\">Share on Facebook</div></div></body></html>",
            story(6)
        ));
        assert_eq!(share.text.matches("Paragraph").count(), 6, "{}", share.text);
        assert!(!share.text.contains("Share on"), "{}", share.text);
        // A legacy ASP.NET page: everything inside one <form>; its search form goes.
        let form = page(&format!(
            "<html><body><form id=\"aspnetForm\"><form class=\"search\"><input name=\"q\">Search the site</form><div id=\"content\">{}</div></form></body></html>",
            story(5)
        ));
        assert_eq!(form.text.matches("Paragraph").count(), 5, "{}", form.text);
        assert!(!form.text.contains("Search the site"), "{}", form.text);
        // The same with the story in <span>s and <br>s, no <p> anywhere.
        let spans: String = (1..=5)
            .map(|i| format!("<span>Paragraph {i}: the joint military commission met in Sirte to discuss the withdrawal of foreign fighters and the reopening of the coastal road.</span><br /><br />"))
            .collect();
        let form = page(&format!(
            "<html><body><form id=\"aspnetForm\"><table><tr><td><a href=\"/\">Home</a></td></tr><tr><td><div id=\"ctl00_lblBody\">{spans}</div></td></tr></table></form></body></html>"
        ));
        assert_eq!(form.text.matches("Paragraph").count(), 5, "{}", form.text);
    }

    #[test]
    fn a_site_rule_can_select_inside_blocks_the_generic_path_cuts() {
        let html = format!(
            "<html><body><article>{}</article><aside class=\"box\"><p>Summary kept by the site rule for this outlet.</p></aside></body></html>",
            story(6)
        );
        let rule = SiteRule {
            body: vec!["aside.box".into()],
            remove: vec![],
        };
        let ex = try_page(&html, Some(&rule)).expect("rule");
        assert_eq!((ex.method, ex.rule_missed), (Method::Rule, false));
        assert!(ex.text.starts_with("Summary kept"), "{}", ex.text);
    }

    #[test]
    fn a_streamed_nextjs_story_is_put_in_place() {
        let ex = page(&format!(
            "<html><body><main><h1>Commission meets</h1><template id=\"B:0\"></template><p>Loading paragraph...</p></main>\
             <div hidden id=\"S:0\"><article>{}</article></div></body></html>",
            story(5)
        ));
        assert_eq!(ex.text.matches("Paragraph").count(), 5, "{}", ex.text);
    }
}
