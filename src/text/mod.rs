//! Text helpers shared by the pipeline steps: HTML to plain text, entity
//! decoding, a cheap language guess for Arabic, English and French, and (in
//! [`normalize`] and [`stem`]) the normalisation and tokenisation that
//! deduplication and curation match on.

mod normalize;
mod stem;

pub use normalize::{is_stopword, normalize, tokens};
pub use stem::{Stemmer, stem, stem_variants};

/// Decodes HTML entities, removes tags and collapses white space: for titles, names, categories.
pub fn inline_text(html: &str) -> String {
    let stripped = if html.contains('<') {
        strip_tags(html, false)
    } else {
        html.to_string()
    };
    let decoded = html_escape::decode_html_entities(&stripped);
    // `&amp;nbsp;` in a feed arrives as `&nbsp;` after XML decoding: decode once more if needed.
    let decoded = if decoded.contains('&') && decoded.contains(';') {
        html_escape::decode_html_entities(&decoded).into_owned()
    } else {
        decoded.into_owned()
    };
    collapse_ws(&decoded)
}

/// Converts an HTML fragment to plain text with blank lines between blocks.
pub fn html_to_text(html: &str) -> String {
    let stripped = strip_tags(html, true);
    let decoded = html_escape::decode_html_entities(&stripped);
    let mut out = String::with_capacity(decoded.len());
    for para in decoded.split("\n\n") {
        let line = collapse_ws(para);
        if !line.is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&line);
        }
    }
    out
}

const BLOCKS: [&str; 22] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "table",
    "section",
    "article",
    "figure",
    "figcaption",
    "pre",
    "hr",
    "header",
];

fn strip_tags(html: &str, blocks: bool) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        // Skip the contents of script and style, and comments.
        let lower: String = tail
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = if lower.starts_with("<!--") {
            tail.find("-->").map(|i| i + 3)
        } else if lower.starts_with("<script") || lower.starts_with("<style") {
            let close = if lower.starts_with("<script") {
                "</script"
            } else {
                "</style"
            };
            tail.to_ascii_lowercase()
                .find(close)
                .and_then(|i| tail[i..].find('>').map(|j| i + j + 1))
        } else {
            None
        };
        if let Some(n) = skip_to {
            rest = &tail[n..];
            continue;
        }
        match tail.find('>') {
            Some(gt) => {
                if blocks {
                    let name: String = tail[1..gt]
                        .trim_start_matches('/')
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if BLOCKS.contains(&name.as_str()) {
                        out.push_str("\n\n");
                    } else if name == "td" || name == "th" {
                        // Table cells: "2021 32425 1553", not "2021324251553".
                        out.push(' ');
                    }
                } else {
                    out.push(' ');
                }
                rest = &tail[gt + 1..];
            }
            None => {
                // A lone '<' (e.g. "a < b"): keep it as text.
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Strips an outlet suffix such as "… - Libya Herald" or "… | الوسط" from a title.
pub fn strip_outlet_suffix(title: &str) -> &str {
    for sep in [" - ", " | ", " – ", " — "] {
        if let Some(i) = title.rfind(sep) {
            let tail = &title[i + sep.len()..];
            if tail.split_whitespace().count() <= 4 && i > tail.len() {
                return &title[..i];
            }
        }
    }
    title
}

/// A normalised token (and its stem) that carries content: two letters or
/// more, and neither it nor its stem a function word.
pub fn is_content_word(token: &str, stem: &str) -> bool {
    token.chars().nth(1).is_some() && !is_stopword(token) && !is_stopword(stem)
}

/// A text's content words in order, figures left out, each as its forms:
/// its stem first, then, for an Arabic word, its stem without a one-letter
/// proclitic ([`stem_variants`]: `بنائب` gives `نايب` too).
pub fn content_forms(text: &str, lang: Option<&str>) -> Vec<Vec<String>> {
    let stemmer = Stemmer::new(lang);
    let normalized = normalize(text);
    tokens(&normalized)
        .filter(|t| !t.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|t| {
            let stem = stemmer.stem(t);
            if !is_content_word(t, &stem) {
                return None;
            }
            let mut forms = vec![stem];
            if t.chars().next().is_some_and(is_arabic) {
                forms.extend(stem_variants(t));
            }
            Some(forms)
        })
        .collect()
}

/// The distinct stems of a text's content words, figures left out: what two
/// texts must share to be about the same thing. With `variants`, every form
/// of [`content_forms`] is in, for the side that is searched.
pub fn content_stems(
    text: &str,
    lang: Option<&str>,
    variants: bool,
) -> std::collections::HashSet<String> {
    let forms = content_forms(text, lang).into_iter();
    if variants {
        forms.flatten().collect()
    } else {
        forms.filter_map(|f| f.into_iter().next()).collect()
    }
}

/// Collapses runs of white space (including no-break spaces) to one space and trims.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{a0}' {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The first `n` words of `s`, with an ellipsis when cut.
pub fn truncate_words(s: &str, n: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() <= n {
        words.join(" ")
    } else {
        format!("{}…", words[..n].join(" "))
    }
}

/// Whether a character is in one of the Arabic Unicode blocks.
pub fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

const FRENCH: [&str; 20] = [
    "le", "la", "les", "des", "du", "un", "une", "et", "est", "dans", "pour", "sur", "au", "aux",
    "par", "avec", "qui", "que", "pas", "ont",
];
const ENGLISH: [&str; 20] = [
    "the", "and", "of", "to", "in", "is", "for", "on", "with", "that", "by", "was", "as", "at",
    "from", "has", "have", "are", "were", "said",
];

/// Guesses `ar`, `en` or `fr` from the letters and common words; `None` when there is too little text.
pub fn guess_lang(text: &str) -> Option<&'static str> {
    let (mut arabic, mut latin) = (0usize, 0usize);
    for c in text.chars().take(4000) {
        if is_arabic(c) {
            arabic += 1;
        } else if c.is_alphabetic()
            && (c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c))
        {
            latin += 1;
        }
    }
    if arabic + latin < 3 {
        return None;
    }
    if arabic >= latin {
        return Some("ar");
    }
    let (mut fr, mut en) = (0usize, 0usize);
    for w in text.split(|c: char| !c.is_alphabetic()).take(2000) {
        let w = w.to_lowercase();
        if FRENCH.contains(&w.as_str()) {
            fr += 1;
        }
        if ENGLISH.contains(&w.as_str()) {
            en += 1;
        }
    }
    if text.contains(['é', 'è', 'ê', 'à', 'ç']) {
        fr += 1;
    }
    match (fr, en) {
        (0, 0) => None,
        (f, e) if f > e => Some("fr"),
        _ => Some("en"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_decodes_and_strips() {
        assert_eq!(inline_text("خبر&nbsp;عاجل"), "خبر عاجل");
        assert_eq!(
            inline_text("<b>Tripoli</b> &amp; Zawiya"),
            "Tripoli & Zawiya"
        );
        assert_eq!(inline_text("&#1604;&#1610;&#1576;&#1610;&#1575;"), "ليبيا");
    }

    #[test]
    fn html_to_text_keeps_paragraphs_and_drops_scripts() {
        let t = html_to_text(
            "<p>الفقرة الأولى</p><script>alert('x')</script><p>الفقرة&nbsp;الثانية<br>سطر</p>",
        );
        assert_eq!(t, "الفقرة الأولى\n\nالفقرة الثانية\n\nسطر");
        let table = html_to_text(
            "<table><tr><th>السنة</th><th>المعترضون</th></tr><tr><td>2021</td><td>32425</td></tr></table>",
        );
        assert_eq!(table, "السنة المعترضون\n\n2021 32425");
    }

    #[test]
    fn languages() {
        assert_eq!(guess_lang("اشتباكات مسلحة في طرابلس"), Some("ar"));
        assert_eq!(
            guess_lang("Des affrontements ont éclaté dans la capitale libyenne"),
            Some("fr")
        );
        assert_eq!(
            guess_lang("Clashes erupted in the Libyan capital on Tuesday"),
            Some("en")
        );
        assert_eq!(guess_lang("42"), None);
    }

    #[test]
    fn outlet_suffix_is_removed_from_titles() {
        assert_eq!(
            strip_outlet_suffix("Clashes erupt in Zawiya - Libya Herald"),
            "Clashes erupt in Zawiya"
        );
        assert_eq!(strip_outlet_suffix("A - B"), "A - B");
    }

    #[test]
    fn content_stems_meet_across_clitics_and_drop_function_words_and_figures() {
        let head = content_stems(
            "رئيس الأركان يلتقي نائب قائد أفريكوم في 2026",
            Some("ar"),
            false,
        );
        let body = content_stems(
            "التقى رئيس اركان الجيش الليبي بنائب قائد القيادة الافريكوم",
            Some("ar"),
            true,
        );
        assert!(
            !head.contains("في") && !head.iter().any(|w| w.contains("2026")),
            "{head:?}"
        );
        for w in ["افريكوم", "قائد", "نائب"] {
            let stem = Stemmer::new(Some("ar")).stem(&normalize(w));
            assert!(
                head.contains(&stem) && body.contains(&stem),
                "{w}: {head:?} {body:?}"
            );
        }
        let en = content_stems("The army said clashes were over", Some("en"), false);
        assert!(
            en.contains("clash") && !en.contains("the") && !en.contains("were"),
            "{en:?}"
        );
    }
}
