//! Page metadata: canonical URL, dates, author, lead image, language, site name, title.
//! JSON-LD (`NewsArticle` and kin, `@graph` included) first, then meta tags, then markup.

use dom_query::Document;
use serde::Serialize;
use url::Url;

use crate::text;

/// What the page says about its article.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Metadata {
    /// `link rel=canonical`, else `og:url`, made absolute.
    pub canonical_url: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Publication time (RFC 3339 when parsable, else as written).
    pub published: Option<String>,
    /// Last modification time.
    pub modified: Option<String>,
    /// Author names.
    pub author: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
    /// `<html lang>` (normalised), if declared.
    pub lang: Option<String>,
    /// The outlet's name.
    pub site_name: Option<String>,
}

/// The `content` of every `<meta>` by lower-cased `property`, `name` or `itemprop` (first wins),
/// plus `link rel=canonical` and the first `<time datetime>`: one pass over the document.
fn meta_table(doc: &Document) -> std::collections::HashMap<String, String> {
    let mut table = std::collections::HashMap::new();
    for node in doc
        .select("meta, link[rel=canonical], time[datetime]")
        .iter()
    {
        let (key, value) = if node.is("link") {
            ("canonical".to_string(), node.attr("href"))
        } else if node.is("time") {
            ("time".to_string(), node.attr("datetime"))
        } else {
            let Some(key) = node
                .attr("property")
                .or_else(|| node.attr("name"))
                .or_else(|| node.attr("itemprop"))
            else {
                continue;
            };
            (key.to_ascii_lowercase(), node.attr("content"))
        };
        if let Some(v) = value
            .map(|v| text::collapse_ws(&v))
            .filter(|v| !v.is_empty())
        {
            table.entry(key).or_insert(v);
        }
    }
    table
}

fn pick(table: &std::collections::HashMap<String, String>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| table.get(*k).cloned())
}

fn absolute(base: &Url, href: &str) -> Option<String> {
    base.join(href.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string())
}

fn is_article_type(t: &serde_json::Value) -> bool {
    let check = |s: &str| {
        s.ends_with("Article") || s == "BlogPosting" || s == "Report" || s == "LiveBlogPosting"
    };
    match t {
        serde_json::Value::String(s) => check(s),
        serde_json::Value::Array(a) => a.iter().any(|v| v.as_str().is_some_and(check)),
        _ => false,
    }
}

fn find_article(v: &serde_json::Value, depth: usize) -> Option<&serde_json::Value> {
    if depth > 6 {
        return None;
    }
    match v {
        serde_json::Value::Object(o) => {
            if o.get("@type").is_some_and(is_article_type) {
                return Some(v);
            }
            o.get("@graph").and_then(|g| find_article(g, depth + 1))
        }
        serde_json::Value::Array(a) => a.iter().find_map(|x| find_article(x, depth + 1)),
        _ => None,
    }
}

fn names(v: &serde_json::Value) -> Option<String> {
    let list: Vec<String> = match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Object(o) => o
            .get("name")
            .and_then(|n| n.as_str())
            .map(str::to_string)
            .into_iter()
            .collect(),
        serde_json::Value::Array(a) => a.iter().filter_map(names).collect(),
        _ => vec![],
    };
    let list: Vec<String> = list
        .into_iter()
        .map(|s| text::collapse_ws(&s))
        .filter(|s| !s.is_empty())
        .collect();
    (!list.is_empty()).then(|| list.join(", "))
}

fn image_url(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("url").and_then(|u| u.as_str()).map(str::to_string),
        serde_json::Value::Array(a) => a.iter().find_map(image_url),
        _ => None,
    }
}

fn normalise_date(raw: &str) -> String {
    crate::parse::parse_date(raw)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| raw.to_string())
}

/// Reads the metadata of a parsed page whose URL is `base`.
pub fn metadata(doc: &Document, base: &Url) -> Metadata {
    let mut m = Metadata::default();
    let table = meta_table(doc);
    for script in doc.select("script[type=\"application/ld+json\"]").iter() {
        let raw = script.text();
        let Ok(json) = serde_json::from_str::<serde_json::Value>(raw.trim()) else {
            continue;
        };
        let Some(article) = find_article(&json, 0) else {
            continue;
        };
        m.title = m.title.or_else(|| {
            article
                .get("headline")
                .and_then(|h| h.as_str())
                .map(text::inline_text)
        });
        m.published = m.published.or_else(|| {
            article
                .get("datePublished")
                .and_then(|d| d.as_str())
                .map(normalise_date)
        });
        m.modified = m.modified.or_else(|| {
            article
                .get("dateModified")
                .and_then(|d| d.as_str())
                .map(normalise_date)
        });
        m.author = m.author.or_else(|| article.get("author").and_then(names));
        m.image = m.image.or_else(|| {
            article
                .get("image")
                .and_then(image_url)
                .and_then(|i| absolute(base, &i))
        });
        m.site_name = m
            .site_name
            .or_else(|| article.get("publisher").and_then(names));
        if m.canonical_url.is_none() {
            let url = article
                .get("mainEntityOfPage")
                .and_then(|e| e.get("@id").and_then(|i| i.as_str()).or_else(|| e.as_str()))
                .or_else(|| article.get("url").and_then(|u| u.as_str()));
            m.canonical_url = url.and_then(|u| absolute(base, u));
        }
    }
    // Markup beats JSON-LD for the canonical URL: it is what the site links as the page's identity.
    if let Some(c) = pick(&table, &["canonical", "og:url"]).and_then(|c| absolute(base, &c)) {
        m.canonical_url = Some(c);
    }
    m.title = m
        .title
        .or_else(|| pick(&table, &["og:title", "twitter:title"]).map(|t| text::inline_text(&t)));
    if m.title.is_none() {
        let t = text::inline_text(&doc.select("title").text());
        m.title = (!t.is_empty()).then_some(t);
    }
    m.published = m.published.or_else(|| {
        pick(
            &table,
            &[
                "article:published_time",
                "pubdate",
                "datepublished",
                "date",
                "dc.date",
                "time",
            ],
        )
        .map(|d| normalise_date(&d))
    });
    m.modified = m.modified.or_else(|| {
        pick(&table, &["article:modified_time", "datemodified"]).map(|d| normalise_date(&d))
    });
    m.author = m
        .author
        .or_else(|| pick(&table, &["author", "article:author"]));
    m.image = m
        .image
        .or_else(|| pick(&table, &["og:image", "twitter:image"]).and_then(|i| absolute(base, &i)));
    m.site_name = m
        .site_name
        .or_else(|| pick(&table, &["og:site_name", "application-name"]));
    m.lang = doc
        .select("html")
        .attr("lang")
        .map(|l| l.trim().to_ascii_lowercase().replace('_', "-"))
        .filter(|l| {
            !l.is_empty()
                && l.len() <= 12
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_then_meta_tags() {
        let html = r#"<html lang="ar"><head>
            <link rel="canonical" href="/news/libya/482310">
            <meta property="og:site_name" content="بوابة الوسط">
            <meta property="og:image" content="/uploads/a.jpg">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"x"},
              {"@type":"NewsArticle","headline":"اشتباكات في الزاوية","datePublished":"2026-11-27T16:40:00+02:00",
               "author":[{"@type":"Person","name":"محمد علي"}],"publisher":{"@type":"Organization","name":"الوسط"}}]}</script>
            </head><body><time datetime="2020-01-01">old</time></body></html>"#;
        let doc = Document::from(html);
        let m = metadata(
            &doc,
            &Url::parse("https://alwasat.ly/amp/news/libya/482310").expect("url"),
        );
        assert_eq!(
            m.canonical_url.as_deref(),
            Some("https://alwasat.ly/news/libya/482310")
        );
        assert_eq!(m.published.as_deref(), Some("2026-11-27T14:40:00Z"));
        assert_eq!(m.author.as_deref(), Some("محمد علي"));
        assert_eq!(m.site_name.as_deref(), Some("الوسط"));
        assert_eq!(m.image.as_deref(), Some("https://alwasat.ly/uploads/a.jpg"));
        assert_eq!(m.lang.as_deref(), Some("ar"));
        assert_eq!(m.title.as_deref(), Some("اشتباكات في الزاوية"));
    }
}
