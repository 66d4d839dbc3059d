//! Feed parsing: bytes in, entries out.
//!
//! Decoding is done here, not by the XML parser: BOM, then the HTTP charset,
//! then the XML declaration (the order of RFC 7303), then "valid UTF-8", then
//! a statistical guess (chardetng). The declaration is stripped before the
//! UTF-8 text goes to feed-rs, which runs inside `catch_unwind` because some
//! real inputs make it panic. Titles get their HTML entities decoded, and
//! dates feed-rs cannot read go through a lenient fallback parser.

use std::panic::{self, AssertUnwindSafe};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use feed_rs::model::{self, FeedType};
use url::Url;

use crate::text;

/// A parsed feed in marsad's own terms.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    /// RSS 2.0, Atom, JSON Feed...
    pub format: &'static str,
    /// The feed's own title.
    pub title: Option<String>,
    /// The feed's language, if declared.
    pub lang: Option<String>,
    /// The encoding the bytes were decoded with.
    pub encoding: &'static str,
    /// Notes about the input that did not stop parsing (shown as warnings).
    pub warnings: Vec<String>,
    /// Entries in feed order.
    pub entries: Vec<FeedEntry>,
}

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// The GUID / Atom id / JSON id as published, if any.
    pub guid: Option<String>,
    /// The article's URL.
    pub link: Option<String>,
    /// Plain-text title, entities decoded.
    pub title: String,
    /// Summary or description (HTML).
    pub summary: Option<String>,
    /// Full content (HTML), e.g. `content:encoded`.
    pub content: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated: Option<DateTime<Utc>>,
    /// Category terms.
    pub categories: Vec<String>,
    /// The entry's declared language.
    pub lang: Option<String>,
}

/// Why a feed could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is empty.
    #[error("the response is empty")]
    Empty,
    /// The body is an HTML page, not a feed.
    #[error("the response is an HTML page, not a feed (a login, error or bot-challenge page?)")]
    Html,
    /// The XML or JSON is broken.
    #[error("not a valid feed: {0}")]
    Malformed(String),
    /// The parser crashed on this input (caught).
    #[error("the feed parser crashed on this input: {0}")]
    Crashed(String),
}

/// Text decoded from bytes, with where the encoding came from.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// UTF-8 text, without BOM.
    pub text: String,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// How it was chosen: `bom`, `http`, `declaration`, `utf-8`, `detected`.
    pub basis: &'static str,
    /// Whether undecodable bytes were replaced.
    pub had_errors: bool,
}

/// The `charset` parameter of a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').trim())
    })
}

fn xml_declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let pos = decl.find("encoding")?;
    let rest = decl[pos + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = rest[1..].split(quote).next()?;
    Encoding::for_label(label.trim().as_bytes())
}

/// UTF-16 without a BOM, recognised by `<?` spelled in two-byte units.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4)? {
        [0x3c, 0, 0x3f, 0] => Some(UTF_16LE),
        [0, 0x3c, 0, 0x3f] => Some(UTF_16BE),
        _ => None,
    }
}

/// Decodes a feed body following RFC 7303, then validity, then detection.
///
/// `forced` (a source's `encoding` setting) beats everything but a BOM;
/// `tld` (e.g. `"ly"`) helps the statistical detector.
pub fn decode_xml(
    bytes: &[u8],
    content_type: Option<&str>,
    forced: Option<&'static Encoding>,
    tld: Option<&str>,
) -> Decoded {
    let http = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()));
    let (encoding, basis) = if let Some((enc, _)) = Encoding::for_bom(bytes) {
        (enc, "bom")
    } else if let Some(enc) = forced {
        (enc, "configured")
    } else if let Some(enc) = http.filter(|e| !is_utf16(e) || utf16_without_bom(bytes).is_some()) {
        (enc, "http")
    } else if let Some(enc) = utf16_without_bom(bytes) {
        (enc, "declaration")
    } else if let Some(enc) = xml_declared_encoding(bytes).filter(|e| !is_utf16(e)) {
        (enc, "declaration")
    } else if std::str::from_utf8(bytes).is_ok() {
        (UTF_8, "utf-8")
    } else {
        (detect(bytes, tld), "detected")
    };
    finish_decode(bytes, encoding, basis)
}

fn is_utf16(e: &'static Encoding) -> bool {
    e == UTF_16LE || e == UTF_16BE
}

/// Guesses the encoding of bytes that are not valid UTF-8.
pub fn detect(bytes: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(tld.map(str::as_bytes), chardetng::Utf8Detection::Allow)
}

fn finish_decode(bytes: &[u8], encoding: &'static Encoding, basis: &'static str) -> Decoded {
    // `decode` strips a BOM if present and otherwise uses `encoding`.
    let (text, used, had_errors) = encoding.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: used,
        basis,
        had_errors,
    }
}

/// Removes every XML declaration (`<?xml …?>`, not `<?xml-stylesheet …?>`): the
/// text is UTF-8 now, whatever they said, and quick-xml panics on a second one
/// that names another encoding (found by `cargo fuzz`).
fn strip_declaration(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let is_decl = |at: usize| {
        t[at..].starts_with("<?xml")
            && t[at + 5..].starts_with(|c: char| c.is_ascii_whitespace() || c == '?')
    };
    let mut out = String::new();
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = t[i..].find("<?xml") {
        let at = i + off;
        if is_decl(at)
            && let Some(end) = t[at..].find("?>")
        {
            out.push_str(&t[last..at]);
            last = at + end + 2;
            i = last;
        } else {
            i = at + 5;
        }
    }
    if last == 0 {
        return std::borrow::Cow::Borrowed(t);
    }
    out.push_str(&t[last..]);
    std::borrow::Cow::Owned(out.trim_start().to_string())
}

/// Byte offset of the root element's `<`, skipping comments, processing instructions and the DOCTYPE.
fn root_start(text: &str) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = text[i..].find('<') {
        let at = i + off;
        let rest = &text[at..];
        if rest.starts_with("<!--") {
            i = at + rest.find("-->")? + 3;
        } else if rest.starts_with("<?") {
            i = at + rest.find("?>")? + 2;
        } else if rest.starts_with("<!") {
            i = at + rest.find('>')? + 1;
        } else {
            return Some(at);
        }
    }
    None
}

const ATOM03_NS: &str = "http://purl.org/atom/ns#";

/// Brings legacy dialects feed-rs does not read into forms it does:
/// `<rss>` without a version (read as 2.0) and Atom 0.3 (mapped onto Atom 1.0).
fn legacy_fixups(body: &str) -> Option<String> {
    let root = root_start(body)?;
    let tag_end = root + body[root..].find('>')?;
    let tag = &body[root..tag_end];
    if tag == "<rss" || (tag.starts_with("<rss") && tag[4..].starts_with(char::is_whitespace)) {
        if !tag.contains("version") {
            let mut out = body.to_string();
            out.insert_str(root + 4, " version=\"2.0\"");
            return Some(out);
        }
        return None;
    }
    if tag.starts_with("<feed") && tag.contains(ATOM03_NS) {
        let mut out = body.replace(ATOM03_NS, "http://www.w3.org/2005/Atom");
        for (old, new) in [
            ("modified", "updated"),
            ("issued", "published"),
            ("tagline", "subtitle"),
            ("copyright", "rights"),
        ] {
            out = out
                .replace(&format!("<{old}>"), &format!("<{new}>"))
                .replace(&format!("</{old}>"), &format!("</{new}>"));
            out = out.replace(&format!("<{old} "), &format!("<{new} "));
        }
        for (old, new) in [
            ("type=\"text/html\"", "type=\"html\""),
            ("type=\"text/plain\"", "type=\"text\""),
            ("type=\"application/xhtml+xml\"", "type=\"xhtml\""),
        ] {
            out = out.replace(old, new);
        }
        return Some(
            out.replace(" mode=\"escaped\"", "")
                .replace(" mode=\"xml\"", ""),
        );
    }
    None
}

/// Replaces `&` that does not start an entity or character reference with `&amp;`.
fn escape_bare_ampersands(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let ok = after
            .find(';')
            .filter(|&semi| semi > 0 && semi <= 32)
            .is_some_and(|semi| {
                let name = &after[..semi];
                name.starts_with('#')
                    && name.len() > 1
                    && name[1..]
                        .trim_start_matches(['x', 'X'])
                        .chars()
                        .all(|c| c.is_ascii_hexdigit())
                    || name.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if ok {
            out.push('&');
        } else {
            out.push_str("&amp;");
            changed = true;
        }
        rest = after;
    }
    out.push_str(rest);
    changed.then_some(out)
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.contains("<html") && !head.contains("<rss") && !head.contains("<feed"))
}

/// Parses a feed body.
///
/// `content_type` is the HTTP header, `base` the URL the feed came from
/// (relative links are resolved against it), `forced` an encoding set by the operator.
pub fn parse_feed(
    bytes: &[u8],
    content_type: Option<&str>,
    base: Option<&Url>,
    forced: Option<&'static Encoding>,
) -> Result<ParsedFeed, ParseError> {
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return Err(ParseError::Empty);
    };
    let tld = base
        .and_then(|u| u.host_str())
        .and_then(|h| h.rsplit('.').next().map(str::to_string));
    let mut warnings = Vec::new();

    let decoded = if bytes[first..].starts_with(b"{") || bytes.starts_with(b"\xef\xbb\xbf{") {
        // JSON is UTF-8 by definition (RFC 8259).
        finish_decode(bytes, UTF_8, "json")
    } else {
        decode_xml(bytes, content_type, forced, tld.as_deref())
    };
    if decoded.had_errors {
        warnings.push(format!(
            "some bytes were not valid {} and were replaced",
            decoded.encoding.name()
        ));
    }
    let stripped = strip_declaration(&decoded.text);
    let body: &str = &stripped;
    if looks_like_html(body) {
        return Err(ParseError::Html);
    }
    let base_str = base.map(Url::as_str);
    let fixed = legacy_fixups(body);
    let body = fixed.as_deref().unwrap_or(body);
    let feed = match run_feed_rs(body, base_str) {
        Ok(feed) => feed,
        Err(ParseError::Malformed(first_error)) => {
            // Real feeds often carry a bare `&`; escape those and try once more.
            match escape_bare_ampersands(body).map(|fixed| run_feed_rs(&fixed, base_str)) {
                Some(Ok(feed)) => {
                    warnings.push("recovered from unescaped '&' characters".into());
                    feed
                }
                _ => return Err(ParseError::Malformed(first_error)),
            }
        }
        Err(e) => return Err(e),
    };
    let format = match feed.feed_type {
        FeedType::Atom => "Atom",
        FeedType::JSON => "JSON Feed",
        FeedType::RSS0 => "RSS 0.9x",
        FeedType::RSS1 => "RSS 1.0",
        FeedType::RSS2 => "RSS 2.0",
    };
    let feed_lang = feed.language.as_deref().and_then(normalise_lang);
    let entries = feed
        .entries
        .into_iter()
        .map(|e| convert_entry(e, base))
        .collect();
    Ok(ParsedFeed {
        format,
        title: feed.title.map(|t| text_title(&t)).filter(|t| !t.is_empty()),
        lang: feed_lang,
        encoding: decoded.encoding.name(),
        warnings,
        entries,
    })
}

fn run_feed_rs(body: &str, base: Option<&str>) -> Result<model::Feed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base)
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(parse_date)
        .build();
    match panic::catch_unwind(AssertUnwindSafe(|| parser.parse(body.as_bytes()))) {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(ParseError::Malformed(e.to_string())),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ParseError::Crashed(msg))
        }
    }
}

/// Normalises a language tag (`en_US` → `en-us`); `None` if it is not a BCP 47-shaped tag.
fn normalise_lang(lang: &str) -> Option<String> {
    let tag = lang.trim().to_ascii_lowercase().replace('_', "-");
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (1..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    ok.then_some(tag)
}

fn text_title(t: &model::Text) -> String {
    text::inline_text(&t.content)
}

fn convert_entry(e: model::Entry, base: Option<&Url>) -> FeedEntry {
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
        .map(|h| match base.and_then(|b| b.join(&h).ok()) {
            Some(abs) => abs.to_string(),
            None => h,
        });
    let guid = Some(e.id.trim().to_string()).filter(|s| !s.is_empty());
    let summary = e
        .summary
        .map(|s| s.content)
        .filter(|s| !s.trim().is_empty());
    let content = e
        .content
        .and_then(|c| c.body)
        .filter(|s| !s.trim().is_empty());
    let mut title = e.title.as_ref().map(text_title).unwrap_or_default();
    if title.is_empty() {
        // Untitled items (RSS allows them): use the start of the text.
        let from = summary.as_deref().or(content.as_deref()).unwrap_or("");
        title = text::truncate_words(&text::html_to_text(from), 12);
    }
    FeedEntry {
        guid,
        link,
        title,
        summary,
        content,
        authors: e
            .authors
            .into_iter()
            .filter_map(|p| p.name.map(|n| text::inline_text(&n)))
            .filter(|n| !n.is_empty())
            .collect(),
        published: e.published,
        updated: e.updated,
        categories: e
            .categories
            .into_iter()
            .map(|c| text::inline_text(c.label.as_deref().unwrap_or(&c.term)))
            .filter(|c| !c.is_empty())
            .collect(),
        lang: e.language.as_deref().and_then(normalise_lang),
    }
}

const MONTHS: [(&str, &str); 36] = [
    ("يناير", "Jan"),
    ("فبراير", "Feb"),
    ("مارس", "Mar"),
    ("أبريل", "Apr"),
    ("ابريل", "Apr"),
    ("مايو", "May"),
    ("يونيو", "Jun"),
    ("يوليو", "Jul"),
    ("أغسطس", "Aug"),
    ("اغسطس", "Aug"),
    ("سبتمبر", "Sep"),
    ("أكتوبر", "Oct"),
    ("اكتوبر", "Oct"),
    ("نوفمبر", "Nov"),
    ("ديسمبر", "Dec"),
    ("كانون الثاني", "Jan"),
    ("شباط", "Feb"),
    ("آذار", "Mar"),
    ("نيسان", "Apr"),
    ("أيار", "May"),
    ("حزيران", "Jun"),
    ("تموز", "Jul"),
    ("آب", "Aug"),
    ("أيلول", "Sep"),
    ("تشرين الأول", "Oct"),
    ("تشرين الثاني", "Nov"),
    ("كانون الأول", "Dec"),
    ("janvier", "Jan"),
    ("février", "Feb"),
    ("avril", "Apr"),
    ("juillet", "Jul"),
    ("août", "Aug"),
    ("septembre", "Sep"),
    ("octobre", "Oct"),
    ("novembre", "Nov"),
    ("décembre", "Dec"),
];

/// Parses a feed date leniently: RFC 3339, RFC 2822, common variants, Arabic and French month names.
/// Dates without a zone are taken as UTC.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    let mut t: String = s
        .chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '،' => ',',
            _ => c,
        })
        .collect();
    for (name, abbr) in MONTHS {
        if t.contains(name) {
            t = t.replace(name, abbr);
        }
    }
    // "GMT+2", "UTC+02:00" -> "+0200"
    let mut offset_secs: i64 = 0;
    for zone in ["GMT", "UTC", "UT"] {
        if let Some(pos) = t.rfind(zone) {
            let after = t[pos + zone.len()..].trim();
            if after.is_empty() {
                t.truncate(pos);
                break;
            }
            if let Some(off) = parse_offset(after) {
                offset_secs = off;
                t.truncate(pos);
                break;
            }
        }
    }
    let t = t.trim().trim_end_matches(',').trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(&format!("{t} +0000")) {
        return Some(d.with_timezone(&Utc) - chrono::Duration::seconds(offset_secs));
    }
    const WITH_ZONE: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%d %b %Y %H:%M:%S %z",
    ];
    for f in WITH_ZONE {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    const NAIVE: [&str; 12] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%a, %d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M",
        "%a %b %d %H:%M:%S %Y",
    ];
    for f in NAIVE {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(Utc.from_utc_datetime(&d) - chrono::Duration::seconds(offset_secs));
        }
    }
    for f in [
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%d %b %Y",
        "%d %B %Y",
        "%B %d, %Y",
        "%b %d, %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return d.and_hms_opt(0, 0, 0).map(|d| Utc.from_utc_datetime(&d));
        }
    }
    None
}

fn parse_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.chars().next()? {
        '+' => (1, &s[1..]),
        '-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != rest.chars().filter(|c| *c != ':').count() {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i64>().ok()?, 0),
        3 | 4 => (
            digits[..digits.len() - 2].parse::<i64>().ok()?,
            digits[digits.len() - 2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_param_quirks() {
        assert_eq!(
            charset_param("application/rss+xml;charset= \"us-ascii\""),
            Some("us-ascii")
        );
        assert_eq!(
            charset_param("text/xml; Charset='windows-1256'"),
            Some("windows-1256")
        );
        assert_eq!(charset_param("text/xml"), None);
    }

    #[test]
    fn dates_feed_rs_would_drop() {
        let want = Utc.with_ymd_and_hms(2026, 11, 26, 14, 30, 0).single();
        assert_eq!(parse_date("2026-11-26 14:30:00"), want);
        assert_eq!(parse_date("Thu, 26 Nov 2026 16:30:00 GMT+2"), want);
        assert_eq!(parse_date("26 نوفمبر 2026 14:30:00"), want);
        assert_eq!(parse_date("٢٦/١١/٢٠٢٦ ١٤:٣٠"), want);
        assert_eq!(parse_date("Thu, 26 Nov 2026 14:30:00 +0000"), want);
        assert_eq!(parse_date("2026-11-26T16:30:00+02:00"), want);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn bare_ampersands_are_escaped_but_entities_kept() {
        assert_eq!(
            escape_bare_ampersands("a & b &amp; c &#1604; &nbsp;").as_deref(),
            Some("a &amp; b &amp; c &#1604; &nbsp;")
        );
        assert_eq!(escape_bare_ampersands("fine &amp;"), None);
    }

    #[test]
    fn whitespace_before_a_legacy_declaration_does_not_crash() {
        let mut bytes = vec![b'\n'; 25];
        bytes.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss version=\"2.0\"><channel><title>");
        bytes.extend_from_slice(&[0xe1, 0xed, 0xc8, 0xed, 0xc7]); // ليبيا
        bytes.extend_from_slice(
            b"</title><item><title>x</title><link>https://a.ly/1</link></item></channel></rss>",
        );
        let feed = parse_feed(&bytes, None, None, None).expect("parses");
        assert_eq!(feed.title.as_deref(), Some("ليبيا"));
        assert_eq!(feed.encoding, "windows-1256");
    }
}
