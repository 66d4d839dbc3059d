//! Clean-up of an extracted article that generic extractors get wrong,
//! especially on Arabic sites: "اقرأ أيضا" / "Read also" link lists, share and
//! follow widgets, tag clouds, newsletter boxes, ad labels, embedded posts,
//! comment blocks, and the headline repeated at the top. Sub-headings,
//! paragraphs, lists, quotes, tables, figures and in-text links are kept.
//!
//! Markers are matched on normalised text (hamza and diacritics folded), so
//! "اقرأ أيضاً", "إقرأ ايضا" and "اقرا أيضا" are one marker.

use dom_query::{Document, NodeRef};

use crate::text;

/// Tags that are never article text.
const NOISE_TAGS: &[&str] = &[
    "script",
    "style",
    "noscript",
    "iframe",
    "button",
    "input",
    "select",
    "textarea",
    "nav",
    "aside",
    "footer",
    "amp-social-share",
    "amp-ad",
    "amp-sticky-ad",
    "amp-analytics",
    "svg",
];
/// Class or id words (whole words, or word prefixes before '-' / '_') that mark boilerplate.
const NOISE_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "related",
    "newsletter",
    "subscribe",
    "comment",
    "comments",
    "tags",
    "tagcloud",
    "breadcrumb",
    "breadcrumbs",
    "ad",
    "ads",
    "advert",
    "advertisement",
    "dfp",
    "gpt",
    "sponsored",
    "read-also",
    "readalso",
    "also-read",
    "read-more",
    "more-news",
    "most-read",
    "popular",
    "cookie",
    "cookies",
    "author-box",
    "print",
    "twitter-tweet",
    "instagram-media",
    "fb-post",
    "outbrain",
    "taboola",
    "promo",
];

fn class_words(v: &str) -> impl Iterator<Item = String> + '_ {
    v.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

/// Whether a class or id value marks boilerplate: one of [`NOISE_WORDS`], whole or as a dash/underscore-separated part.
fn noisy_name(value: &str) -> bool {
    class_words(value).any(|w| {
        NOISE_WORDS.contains(&w.as_str())
            || w.split(['-', '_']).any(|part| NOISE_WORDS.contains(&part))
            || NOISE_WORDS.iter().any(|n| n.contains('-') && w.contains(n))
    })
}

/// Removes elements that are never article text, by tag, ARIA role, class and id.
/// With `by_name = false` only tags, roles and embedded posts count: that is the
/// safe pass on a whole page, before the generic extractor (which drops classes).
pub fn remove_noise(doc: &Document, by_name: bool) {
    let paragraphs = Paragraphs::count(doc);
    let doomed: Vec<NodeRef> = doc
        .select("*")
        .nodes()
        .iter()
        .filter(|n| noise(n, by_name))
        // Markup lies sometimes (the story inside an <aside>, a content root
        // with id="share-btn"): an element that holds most of the page's
        // paragraphs is the story, whatever its name.
        .filter(|n| !paragraphs.most(paragraphs.under(n)))
        .cloned()
        .collect();
    for n in doomed {
        n.remove_from_parent();
    }
}

/// Does what React's streaming server rendering leaves to a script: the
/// story of a Next.js page often arrives in a hidden segment
/// (`<div hidden id="S:0">`) meant to replace a placeholder
/// (`<template id="B:0">`, beside a "Loading…" skeleton). The segment is
/// moved into the placeholder's place; a segment without one is unhidden.
/// Without this, extractors skip the hidden story and keep the skeleton.
pub fn reveal_streamed(doc: &Document) {
    for segment in doc.select("div[hidden][id^='S:']").iter() {
        let Some(id) = segment.attr("id") else {
            continue;
        };
        let placeholder = format!("template[id='B:{}']", &id[2..]);
        match doc.try_select(&placeholder) {
            Some(template) => {
                template.replace_with_html(segment.inner_html());
                segment.remove();
            }
            None => segment.remove_attr("hidden"),
        }
    }
}

/// Whether an element is never article text: by tag, ARIA role, embed, or (with `by_name`) class and id.
fn noise(n: &NodeRef, by_name: bool) -> bool {
    let name = n
        .node_name()
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_default();
    if NOISE_TAGS.contains(&name.as_str()) {
        return true;
    }
    if n.attr("role").is_some_and(|r| {
        matches!(
            r.to_ascii_lowercase().as_str(),
            "navigation" | "complementary" | "banner"
        )
    }) {
        return true;
    }
    let class = n.attr("class").map(|c| c.to_string()).unwrap_or_default();
    if name == "blockquote"
        && class_words(&class).any(|w| {
            matches!(
                w.as_str(),
                "twitter-tweet" | "instagram-media" | "tiktok-embed"
            )
        })
    {
        return true;
    }
    if name == "ins" && class.contains("adsbygoogle") {
        return true;
    }
    by_name
        && !matches!(name.as_str(), "html" | "body" | "article" | "main")
        && (noisy_name(&class) || n.attr("id").is_some_and(|i| noisy_name(&i)))
}

/// Class or id parts (whole, or inside a dash/underscore part) that mark photo galleries.
const GALLERY_PARTS: &[&str] = &["gallery", "slideshow", "carousel", "lightbox"];
/// Class or id parts that mark a caption or a photo credit.
const CAPTION_PARTS: &[&str] = &["caption", "credit", "credits"];

/// Classifies an element by its class and id: `Some(true)` for a gallery,
/// `Some(false)` for a caption or credit, `None` otherwise.
fn caption_kind(n: &NodeRef) -> Option<bool> {
    let mut caption = false;
    for attr in ["class", "id"] {
        let Some(v) = n.attr(attr) else { continue };
        let v: std::borrow::Cow<'_, str> = if v.bytes().any(|b| b.is_ascii_uppercase()) {
            v.to_ascii_lowercase().into()
        } else {
            (&*v).into()
        };
        // Cheap test first: most elements name neither.
        if !GALLERY_PARTS
            .iter()
            .chain(CAPTION_PARTS)
            .any(|w| v.contains(w))
        {
            continue;
        }
        for part in v.split(|c: char| c.is_whitespace() || c == '-' || c == '_') {
            if GALLERY_PARTS.iter().any(|g| part.contains(g)) {
                return Some(true);
            }
            caption |= CAPTION_PARTS.iter().any(|c| part.ends_with(c));
        }
    }
    caption.then_some(false)
}

/// The long paragraphs (20 words or more) under every element of a document,
/// counted in one pass: each long `<p>` adds one to itself and its ancestors.
/// The guards that keep "the element holding the story" ask it in O(1), so
/// nested look-alike elements cannot make them quadratic.
struct Paragraphs {
    below: std::collections::HashMap<dom_query::NodeId, usize>,
    page: usize,
}

impl Paragraphs {
    fn count(doc: &Document) -> Paragraphs {
        let mut below = std::collections::HashMap::new();
        let mut page = 0;
        for p in doc.select("p").nodes() {
            if words(&p.text()) >= 20 {
                page += 1;
                *below.entry(p.id).or_insert(0) += 1;
                for a in p.ancestors(None) {
                    *below.entry(a.id).or_insert(0) += 1;
                }
            }
        }
        Paragraphs { below, page }
    }

    /// Long paragraphs in `n` (itself included).
    fn under(&self, n: &NodeRef) -> usize {
        self.below.get(&n.id).copied().unwrap_or(0)
    }

    /// Whether `long` paragraphs are most of the page's (and at least 3): the story.
    fn most(&self, long: usize) -> bool {
        long >= 3 && long * 2 > self.page
    }
}

/// On the whole page, before the generic extractor (which drops classes):
/// removes photo-gallery widgets ("Image 1 of 8", "Caption", "Close") unless
/// they hold most of the page's paragraphs (a photo story), and renames
/// class-named captions and credits (`div.caption`, `span.credit`) to
/// `<figcaption>`, so the article keeps them as captions.
pub fn mark_captions(doc: &Document) {
    let paragraphs = Paragraphs::count(doc);
    let marked: Vec<(NodeRef, bool)> = doc
        .select("body")
        .select("div, span, p, section, ul, li, figure")
        .nodes()
        .iter()
        .filter_map(|n| caption_kind(n).map(|gallery| (*n, gallery)))
        .collect();
    for (n, gallery) in marked {
        if !attached(&n) {
            continue;
        }
        let long = paragraphs.under(&n);
        if gallery {
            if long * 2 <= paragraphs.page {
                n.remove_from_parent();
            }
        } else if long == 0
            && !n.is("figure")
            && text_within(&n, 1000).is_some_and(|t| words(&t) <= 80)
        {
            n.rename("figcaption");
        }
    }
}

/// Removes figure captions and figures (but not tables in a figure), for the
/// article's plain text: the HTML keeps them, but the text that dedup and
/// curation compare, and the measured body, is the story's own words (a
/// caption repeats across a gallery, and photo credits differ between outlets
/// printing the same dispatch). Nothing is removed when that would take away
/// more than half of the text (a photo story).
pub fn strip_captions(doc: &Document) {
    let doomed: Vec<NodeRef> = doc
        .select("figcaption, figure")
        .nodes()
        .iter()
        .filter(|n| {
            n.is("figcaption") || dom_query::Selection::from(**n).select("table").is_empty()
        })
        .cloned()
        .collect();
    if doomed.is_empty() {
        return;
    }
    let ids: std::collections::HashSet<_> = doomed.iter().map(|n| n.id).collect();
    // Nested matches are counted once: only the outermost of each is measured.
    let outer: Vec<&NodeRef> = doomed
        .iter()
        .filter(|n| !n.ancestors(None).iter().any(|a| ids.contains(&a.id)))
        .collect();
    let gone: usize = outer.iter().map(|n| words(&n.text())).sum();
    if gone * 2 > words(&doc.select("body").text()) {
        return;
    }
    for n in outer {
        n.remove_from_parent();
    }
}

/// Normalised openings of "read also" / related-links blocks.
const RELATED: &[&str] = &[
    "اقرا ايضا",
    "اقرا كذلك",
    "اقرا المزيد",
    "اقرا اكثر",
    "طالع ايضا",
    "طالع كذلك",
    "شاهد ايضا",
    "شاهد كذلك",
    "اخبار ذات صله",
    "مواضيع ذات صله",
    "مقالات ذات صله",
    "ذات صله",
    "المزيد من الاخبار",
    "للمزيد",
    "read also",
    "read more",
    "also read",
    "related",
    "see also",
    "more from",
    "lire aussi",
    "a lire aussi",
    "a lire egalement",
    "voir aussi",
    "sur le meme sujet",
    "read next",
    "more on this story",
    "related coverage",
    "الاكثر قراءه",
    "الاكثر مشاهده",
    "الاكثر تداولا",
    "الاكثر شعبيه",
    "اخر الاخبار",
    "most read",
    "most popular",
    "you may also like",
    "you might also like",
    "don't miss",
    "don’t miss",
    "dont miss",
    "recommended for you",
    "more stories",
    "vous aimerez aussi",
    "a voir aussi",
    "قد يعجبك ايضا",
    "قد يهمك ايضا",
    "قد يهمك",
    "les plus lus",
    "trending",
];
/// Publication lines (date, section, view counts) shown above or below the story.
const DATELINE_META: &[&str] = &[
    "نشر بتاريخ",
    "تاريخ النشر",
    "نشر في",
    "اخر تحديث",
    "عدد القراءات",
    "عدد المشاهدات",
    "المشاهدات",
    "published",
    "posted",
    "updated",
    "last updated",
    "publie le",
    "publie aujourd",
    "publie hier",
    "temps de lecture",
    "reading time",
    "mis a jour",
    "كتب:",
    "بقلم",
];
/// Calendar words of a line that is only a date or time ("18 Nov 2019, 19:09",
/// "الأحد 29 نوفمبر 2026 - 10:30 ص", "mardi 19 novembre 2019 à 10h48", "2 hours ago"):
/// months, weekdays, AM/PM, time zones, "ago".
const CALENDAR_WORDS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "mon",
    "monday",
    "tue",
    "tues",
    "tuesday",
    "wed",
    "wednesday",
    "thu",
    "thurs",
    "thursday",
    "fri",
    "friday",
    "sat",
    "saturday",
    "sun",
    "sunday",
    "am",
    "pm",
    "a.m",
    "p.m",
    "gmt",
    "utc",
    "est",
    "edt",
    "cst",
    "cdt",
    "pst",
    "pdt",
    "bst",
    "cet",
    "cest",
    "ago",
    "janvier",
    "fevrier",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "يناير",
    "فبراير",
    "مارس",
    "ابريل",
    "مايو",
    "يونيو",
    "يونيه",
    "يوليو",
    "يوليه",
    "اغسطس",
    "سبتمبر",
    "اكتوبر",
    "نوفمبر",
    "ديسمبر",
    "كانون",
    "شباط",
    "اذار",
    "نيسان",
    "ايار",
    "حزيران",
    "تموز",
    "اب",
    "ايلول",
    "تشرين",
    "الاول",
    "الثاني",
    "الاحد",
    "الاثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعه",
    "السبت",
    "الساعه",
    "منذ",
];
/// Words that may stand between the numbers and calendar words of such a line.
const DATE_FILLER: &[&str] = &[
    "at",
    "on",
    "day",
    "days",
    "hour",
    "hours",
    "minutes",
    "min",
    "le",
    "a",
    "h",
    "في",
    "م",
    "ص",
    "يوم",
    "ايام",
    "ساعه",
    "ساعات",
    "دقيقه",
    "دقايق",
    // Reading time beside the date ("4 دقائق للقراءة", "3 min read", "5 minutes de lecture").
    "read",
    "للقراءه",
    "قراءه",
    "de",
    "lecture",
];

/// Whether a short line is only a date and/or a time: numbers, calendar words
/// and fillers, with at least one calendar word, a time or a numeric date, so
/// that a lone number ("15") is never taken for a date.
fn date_line(t: &str) -> bool {
    let mut any_digit = false;
    let mut calendar = false;
    let mut n = 0;
    for w in t
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
    {
        let w = w.trim_matches('.');
        n += 1;
        if w.chars().any(|c| c.is_ascii_digit()) {
            // 2019, 19, 10h48, 6:51 split into numbers; "1of4" is not a date.
            if !w.chars().all(|c| c.is_ascii_digit() || c == 'h') {
                return false;
            }
            any_digit = true;
        } else if CALENDAR_WORDS.contains(&w) {
            calendar = true;
        } else if !w.is_empty() && !DATE_FILLER.contains(&w) {
            return false;
        }
    }
    // A time (19:09) or a numeric date (2026/11/24, 24-11-2026, 24.11.2026).
    let between_digits = |sep: u8| {
        t.as_bytes()
            .windows(3)
            .filter(|w| w[0].is_ascii_digit() && w[1] == sep && w[2].is_ascii_digit())
            .count()
    };
    let time = between_digits(b':') >= 1
        || between_digits(b'/') >= 2
        || between_digits(b'-') >= 2
        || between_digits(b'.') >= 2;
    any_digit && (calendar || time) && n <= 12
}

/// A breadcrumb trail: "Accueil > Libye > …", "Home / World / Africa", "الرئيسية » أخبار ليبيا".
fn breadcrumb(t: &str) -> bool {
    ["accueil", "home", "الرئيسيه"].iter().any(|h| {
        t.strip_prefix(h)
            .is_some_and(|rest| rest.trim_start().starts_with(['>', '»', '/', '›', '|']))
    })
}

/// Latin bylines, only on very short lines ("By Jane Doe", "Par Jean Dupont").
const BYLINE_LATIN: &[&str] = &["by ", "par "];
/// Wire sign-offs and newsroom lines after the story ("Reporting by X; Editing by Y").
const TRAILERS: &[&str] = &[
    "reporting by",
    "additional reporting by",
    "writing by",
    "editing by",
    "compiled by",
    "our standards",
    "edite par",
    "avec afp",
];
/// Share and follow widgets.
const SHARE: &[&str] = &[
    "شارك",
    "شاركها",
    "شارك الخبر",
    "شارك المقال",
    "انشر",
    "تابعونا",
    "تابعوا",
    "تابعنا",
    "share",
    "follow us",
    "partager",
    "suivez-nous",
    "suivez nous",
];
/// Words of share bars made only of network names ("Whatsapp Facebook Pint", "فيسبوك تويتر واتساب").
const SOCIAL: &[&str] = &[
    "facebook",
    "twitter",
    "x",
    "whatsapp",
    "telegram",
    "pinterest",
    "pint",
    "pin",
    "linkedin",
    "reddit",
    "email",
    "e-mail",
    "mail",
    "print",
    "copy",
    "link",
    "messenger",
    "tumblr",
    "vk",
    "baixar",
    "imprimer",
    "فيسبوك",
    "فيس",
    "بوك",
    "تويتر",
    "واتساب",
    "واتس",
    "اب",
    "تلغرام",
    "تليجرام",
    "انستغرام",
    "انستجرام",
    "لينكدان",
    "يوتيوب",
    "youtube",
    "instagram",
    "طباعه",
    "البريد",
    "نسخ",
    "الرابط",
];
/// Tag clouds.
const TAGS: &[&str] = &[
    "الوسوم",
    "وسوم",
    "كلمات مفتاحيه",
    "الكلمات المفتاحيه",
    "tags",
    "topics:",
    "sujets :",
    "sujets:",
    "mots-cles",
    "mots cles",
];
/// Newsletter and subscription boxes.
const NEWSLETTER: &[&str] = &[
    "النشره البريديه",
    "اشترك في",
    "اشترك الان",
    "newsletter",
    "subscribe",
    "in your inbox",
    "sign up for our",
    "dans votre boite",
    "abonnez-vous",
    "inscrivez-vous",
];
/// Whole-element ad labels.
const AD_LABELS: &[&str] = &[
    "اعلان",
    "مساحه اعلانيه",
    "advertisement",
    "publicite",
    "sponsored",
    "محتوي مدعوم",
];
/// Comment section headings.
const COMMENTS: &[&str] = &[
    "التعليقات",
    "تعليقات القراء",
    "اضف تعليق",
    "اترك تعليقا",
    "comments",
    "commentaires",
    "leave a comment",
];

fn starts_with_any(normalized: &str, markers: &[&str]) -> bool {
    markers.iter().any(|m| {
        normalized.starts_with(m)
            && normalized[m.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Whether at least half of an element's text is link text.
fn mostly_links(node: NodeRef) -> bool {
    let count = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
    let all = count(&node.text());
    if node.is("a") {
        // A link is all link (`select` looks at descendants only).
        return all > 0;
    }
    let links: usize = dom_query::Selection::from(node)
        .select("a")
        .iter()
        .map(|a| count(&a.text()))
        .sum();
    all > 0 && links * 2 >= all
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Reads the text under `n` in document order, stopping once it passes `max`
/// bytes; says whether it read everything. Nested containers each asking for
/// their whole text would make a page of deep nesting quadratic.
fn read_text(n: &NodeRef, max: usize) -> (String, bool) {
    let mut out = String::new();
    let mut stack = vec![*n];
    while let Some(node) = stack.pop() {
        if node.is_text() {
            out.push_str(&node.text());
            if out.len() > max {
                return (out, false);
            }
            continue;
        }
        let mut children = Vec::new();
        let mut child = node.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            children.push(c);
        }
        stack.extend(children.into_iter().rev());
    }
    (out, true)
}

/// The text under `n` if it is at most `max` bytes, else `None`.
fn text_within(n: &NodeRef, max: usize) -> Option<String> {
    let (text, complete) = read_text(n, max);
    complete.then_some(text)
}

/// The start of the text under `n`: at least `max` bytes of it when there are that many.
fn text_prefix(n: &NodeRef, max: usize) -> String {
    read_text(n, max).0
}

/// Whether a node is still in its document (not removed, alone or with an ancestor).
fn attached(node: &NodeRef) -> bool {
    let mut top = *node;
    while let Some(parent) = top.parent() {
        top = parent;
    }
    top.is_document()
}

/// Removes the comment section a "التعليقات (3)" / "Comments" heading opens:
/// the largest container that begins with the heading, or else the heading's
/// following siblings. Never a container holding most of the story's
/// paragraphs (a comment count shown above the story is also a heading).
fn remove_comment_section(heading: NodeRef, paragraphs: &Paragraphs) {
    let story = |n: &NodeRef| paragraphs.most(paragraphs.under(n));
    let opening = heading.text().trim().to_string();
    let mut top = heading;
    while let Some(parent) = top.parent() {
        if parent.is("html, body, article, main")
            || !text_prefix(&parent, opening.len() + 256)
                .trim_start()
                .starts_with(opening.as_str())
            || story(&parent)
        {
            break;
        }
        top = parent;
    }
    if top.id != heading.id {
        top.remove_from_parent();
        return;
    }
    let mut following = Vec::new();
    let mut next = heading.next_element_sibling();
    while let Some(sib) = next {
        next = sib.next_element_sibling();
        following.push(sib);
    }
    let long: usize = following.iter().map(|n| paragraphs.under(n)).sum();
    if !paragraphs.most(long) {
        for sib in following {
            sib.remove_from_parent();
        }
    }
}

/// Removes boilerplate from an extracted article in place. `title` is the headline, removed when repeated.
pub fn clean(doc: &Document, title: Option<&str>) {
    remove_noise(doc, true);
    // Counted once, before the removals below: the guards stay conservative.
    let paragraphs = Paragraphs::count(doc);
    let blocks = "p, div, section, h1, h2, h3, h4, h5, h6, li, ul, ol, span, strong, b, header, figure, table";
    // Deepest first, so a marker paragraph is judged before its container.
    let nodes: Vec<NodeRef> = doc.select(blocks).nodes().iter().rev().cloned().collect();
    let mut comment_sections = 0;
    for node in nodes {
        if !attached(&node) {
            continue; // already removed, alone or with an ancestor
        }
        // Every rule below is about short blocks (80 words at most): skip larger
        // ones without reading all their text or normalising it.
        let Some(raw) = text_within(&node, 1500) else {
            continue;
        };
        if words(&raw) > 80 {
            continue;
        }
        let t = text::normalize(raw.trim());
        let t = t.trim_start_matches(|c: char| !c.is_alphanumeric());
        if t.is_empty() {
            if !node.is("figure, table, ul, ol")
                && dom_query::Selection::from(node)
                    .select("img, picture, amp-img, video")
                    .is_empty()
            {
                node.remove_from_parent();
            }
            continue;
        }
        let n = words(t);
        let remove = (starts_with_any(t, RELATED) && n <= 80)
            || (starts_with_any(t, SHARE) && n <= 15)
            || (starts_with_any(t, TAGS) && n <= 40)
            || (starts_with_any(t, TRAILERS) && n <= 40)
            // "© 2026 AFP", "Copyright 2026 ..."; breadcrumbs ("Accueil > Libye > ...").
            || (n <= 12 && (raw.trim_start().starts_with('©') || t.starts_with("copyright")))
            || (n <= 25 && breadcrumb(t))
            || (NEWSLETTER.iter().any(|m| t.contains(m)) && n <= 40)
            || (AD_LABELS.contains(&t) || (n <= 3 && starts_with_any(t, AD_LABELS)))
            || (starts_with_any(t, COMMENTS) && n <= 6)
            || (n <= 12
                && DATELINE_META
                    .iter()
                    .any(|m| t.starts_with(m) || t.contains(&format!("| {m}"))))
            || (n <= 25 && DATELINE_META[..12].iter().any(|m| t.starts_with(m)))
            || (n <= 5 && BYLINE_LATIN.iter().any(|m| t.starts_with(m)))
            || (!node.is("span, strong, b") && date_line(t))
            || (n <= 8
                && t.split(|c: char| !c.is_alphanumeric() && c != '-')
                    .filter(|w| !w.is_empty())
                    .all(|w| SOCIAL.contains(&w)));
        if remove {
            // A "read also" / "most read" heading introduces a list of links, as a list
            // or as a run of short items: remove them up to the next real paragraph.
            let has_links = !dom_query::Selection::from(node).select("a").is_empty();
            if starts_with_any(t, RELATED) && n <= 6 && !has_links {
                // The heading may sit alone in a wrapper (`<p><strong>اقرأ أيضا</strong></p>`,
                // as the extractor leaves it): the list follows the wrapper.
                let mut anchor = node;
                while anchor.next_element_sibling().is_none()
                    && let Some(parent) = anchor.parent()
                    && text_within(&parent, raw.len() + 64)
                        .is_some_and(|pt| text::normalize(pt.trim()) == text::normalize(raw.trim()))
                {
                    anchor = parent;
                }
                let mut next = anchor.next_element_sibling();
                while let Some(sib) = next {
                    let st = text::normalize(sib.text().trim());
                    let list_of_links = sib.is("ul, ol") && mostly_links(sib);
                    let short_link =
                        words(&st) < 20 && !sib.is("h1, h2, h3, h4, h5, h6") && mostly_links(sib);
                    if !(list_of_links || short_link) {
                        break;
                    }
                    next = sib.next_element_sibling();
                    sib.remove_from_parent();
                }
            }
            // A page has one comment section, two at most: a hostile page of
            // thousands of "Comments" headings must not cost a walk each.
            if starts_with_any(t, COMMENTS) && comment_sections < 2 {
                comment_sections += 1;
                remove_comment_section(node, &paragraphs);
            }
            node.remove_from_parent();
        }
    }
    if let Some(title) = title {
        // The headline repeated among the first blocks (alone, or with the outlet's name after it).
        let want = text::normalize(title);
        let firsts: Vec<NodeRef> = doc
            .select("h1, h2, h3, p, div")
            .nodes()
            .iter()
            .filter(|n| !n.text().trim().is_empty() && n.element_children().is_empty())
            .take(3)
            .cloned()
            .collect();
        for node in firsts {
            let t = text::normalize(node.text().trim());
            if !want.is_empty()
                && (t == want
                    || (want.starts_with(&t) && words(&t) >= 4)
                    || (t.starts_with(&want) && words(&t) <= words(&want) + 4))
            {
                node.remove_from_parent();
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(html: &str, title: Option<&str>) -> String {
        let doc = Document::from(html);
        clean(&doc, title);
        text::html_to_text(&doc.select("body").inner_html())
    }

    #[test]
    fn arabic_boilerplate_goes_and_the_story_stays() {
        let html = r#"<body><div><h1>اجتماع اللجنة العسكرية</h1>
            <p>طرابلس- المنشر الإخباري</p>
            <p>عقدت اللجنة العسكرية المشتركة اجتماعها في سرت.</p>
            <div class="box"><strong>اقرأ أيضاً:</strong><ul><li><a href="/a">خبر آخر</a></li><li><a href="/b">خبر ثالث</a></li></ul></div>
            <h2>تفاصيل الاجتماع</h2>
            <p>وناقش الاجتماع إخراج المرتزقة، <a href="/x">وفق البيان</a>.</p>
            <p>إقرأ ايضا: <a href="/c">عنوان مرتبط</a></p>
            <blockquote>«نلتزم بوقف إطلاق النار»</blockquote>
            <ul><li>البند الأول</li><li>البند الثاني</li></ul>
            <p>شارك الخبر</p><p>تابعونا على فيسبوك وتلغرام</p><p>واتساب فيسبوك تويتر</p><p>Whatsapp Facebook Pint Baixar</p>
            <div class="post-tags">الوسوم: ليبيا سرت</div>
            <p>إعلان</p>
            <h3>التعليقات</h3>
            </div></body>"#;
        let t = cleaned(html, Some("اجتماع اللجنة العسكرية"));
        assert_eq!(
            t,
            "طرابلس- المنشر الإخباري\n\nعقدت اللجنة العسكرية المشتركة اجتماعها في سرت.\n\nتفاصيل الاجتماع\n\nوناقش الاجتماع إخراج المرتزقة، وفق البيان.\n\n«نلتزم بوقف إطلاق النار»\n\nالبند الأول\n\nالبند الثاني"
        );
    }

    #[test]
    fn related_links_go_whatever_wraps_their_heading_and_wire_sign_offs_go() {
        let story =
            "<p>عقدت اللجنة العسكرية المشتركة اجتماعها في سرت لبحث إخراج المرتزقة من البلاد.</p>";
        for html in [
            // The heading alone in a paragraph, the list after it.
            format!(
                "<body><div>{story}<div><p><strong>اقرأ أيضاً</strong></p><ul><li><a href=\"/a\">خبر آخر عن الكفرة</a></li><li><a href=\"/b\">خبر ثالث</a></li></ul></div>{story}</div></body>"
            ),
            // A label and one link in one block.
            format!(
                "<body><div>{story}<section><span>Lire aussi |</span> <a href=\"/a\">خبر آخر عن الكفرة</a></section>{story}</div></body>"
            ),
            format!(
                "<body><div>{story}<p><span>Lire aussi |</span> <a href=\"/a\">خبر آخر عن الكفرة</a></p>{story}</div></body>"
            ),
            format!(
                "<body><div>{story}<h2>Read Next</h2><ul><li><a href=\"/a\">خبر آخر عن الكفرة</a></li></ul>{story}<p>Reporting by Ahmed Elumami in Tripoli; Editing by Alex Richardson</p></div></body>"
            ),
        ] {
            let t = cleaned(&html, None);
            assert!(
                !t.contains("خبر آخر") && !t.contains("Reporting"),
                "{html}\n=> {t}"
            );
            assert_eq!(t.matches("عقدت اللجنة").count(), 2, "{t}");
        }
    }

    #[test]
    fn every_marker_is_written_normalised() {
        // Lines are normalised before they are compared: a marker written
        // otherwise ("دقائق" for "دقايق", "clés") would never match.
        for list in [
            RELATED,
            DATELINE_META,
            CALENDAR_WORDS,
            DATE_FILLER,
            TRAILERS,
            SHARE,
            SOCIAL,
            TAGS,
            NEWSLETTER,
            AD_LABELS,
            COMMENTS,
        ] {
            for m in list {
                assert_eq!(text::normalize(m), *m, "{m}");
            }
        }
    }

    #[test]
    fn copyright_breadcrumb_and_reading_time_lines_go() {
        let story =
            "<p>عقدت اللجنة العسكرية المشتركة اجتماعها في سرت لبحث إخراج المرتزقة من البلاد.</p>";
        let t = cleaned(
            &format!(
                "<body><div><p>Accueil &gt; Libye &gt; Le désarmement des groupes armés</p><p>12 مارس 2025 - 09:15 4 دقائق للقراءة</p>\
                 <p>Jul 8, 2024 3 min read</p>{story}<p>© 2026 AFP</p><p>Topics: Security Kidnapping Zawiya</p>\
                 <p>Get Libya's security news in your inbox. Sign up for our free daily briefing.</p></div></body>"
            ),
            None,
        );
        assert_eq!(
            t,
            "عقدت اللجنة العسكرية المشتركة اجتماعها في سرت لبحث إخراج المرتزقة من البلاد."
        );
        // A sentence that happens to start like a breadcrumb stays.
        let kept = cleaned(
            "<body><p>Home to two million people, Tripoli has seen clashes between armed groups for years.</p></body>",
            None,
        );
        assert!(kept.starts_with("Home to"), "{kept}");
    }

    #[test]
    fn real_paragraphs_starting_with_a_marker_word_are_kept() {
        let long = format!(
            "شارك {} في الاجتماع ممثلون عن الجيش والشرطة وحرس الحدود لبحث تأمين الطريق الساحلي بين الزاوية وصرمان",
            ""
        );
        let t = cleaned(
            &format!(
                "<body><p>{long} {}</p></body>",
                "وأكدوا ضرورة التنسيق. ".repeat(3)
            ),
            None,
        );
        assert!(t.starts_with("شارك في الاجتماع"), "{t}");
    }

    #[test]
    fn date_lines_go_but_sentences_with_dates_stay() {
        let t = cleaned(
            "<body><p>18 Nov 2019, 19:09</p><p>الأحد 29 نوفمبر 2026 - 10:30 ص</p>\
             <p>mardi 19 novembre 2019 à 10h48</p><p>Posted Nov 19, 6:51 AM</p>\
             <p>On 18 November 2019 the council met in Tripoli.</p><p>1of4 Grass Valley</p>\
             <p>منذ 3 ساعات</p><p>(2026/11/24)</p><p>2025</p><p>The clashes killed <span>15</span> people.</p></body>",
            None,
        );
        assert_eq!(
            t,
            "On 18 November 2019 the council met in Tripoli.\n\n1of4 Grass Valley\n\n2025\n\nThe clashes killed 15 people."
        );
    }

    const STORY_P: &str = "<p>وقال المتحدث باسم وزارة الداخلية إن الدوريات الأمنية انتشرت في شوارع العاصمة طرابلس منذ الصباح الباكر لتأمين المرافق الحيوية والطرق الرئيسية ومنع أي خروقات.</p>";

    #[test]
    fn comment_sections_go_with_their_heading_but_the_story_stays() {
        let story = STORY_P.repeat(4);
        // A legacy table box, a flat heading followed by comments, and a count above the story.
        let table = cleaned(
            &format!(
                "<body><div>{story}<table class=\"box\"><tr><td><b>التعليقات (3)</b></td></tr>\
              <tr><td><b>1 - سالم من مصراتة</b> <font>(2026/11/24)</font><br>كل مرة نسمع نفس الكلام</td></tr>\
              <tr><td><b>2 - فاطمة</b><br>نطالب بمحاسبة المسؤولين</td></tr></table></div></body>"
            ),
            None,
        );
        assert_eq!(table.matches("الدوريات الأمنية").count(), 4, "{table}");
        assert!(
            !table.contains("سالم") && !table.contains("فاطمة"),
            "{table}"
        );
        let flat = cleaned(
            &format!(
                "<body><div>{story}<h3>Comments</h3><div>Great article, thanks.</div><div>I disagree with this.</div></div></body>"
            ),
            None,
        );
        assert_eq!(flat.matches("الدوريات الأمنية").count(), 4, "{flat}");
        assert!(
            !flat.contains("Great article") && !flat.contains("disagree"),
            "{flat}"
        );
        let badge = cleaned(
            &format!("<body><div><span>التعليقات (12)</span>{story}</div></body>"),
            None,
        );
        assert_eq!(badge.matches("الدوريات الأمنية").count(), 4, "{badge}");
    }
}
