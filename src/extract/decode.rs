//! Decoding an HTML page the way a browser does: BOM, then the HTTP charset,
//! then `<meta charset>` / `http-equiv` (the WHATWG prescan of the first 1024
//! bytes, then the rest of the head for a meta placed late), then "valid
//! UTF-8", then a statistical guess with the site's TLD as a hint.

use encoding_rs::{Encoding, UTF_8};

use crate::parse::{charset_param, detect};

/// A decoded page.
#[derive(Debug, Clone)]
pub struct DecodedPage {
    /// The text.
    pub text: String,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// Where it came from: `bom`, `configured`, `http`, `meta`, `late-meta`, `utf-8`, `detected`.
    pub basis: &'static str,
}

/// Finds a charset declared by a `<meta>` in `bytes`.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = bytes.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(enc) = attr(tag, b"charset").and_then(label) {
            return Some(enc);
        }
        if attr(tag, b"http-equiv").is_some_and(|v| v == b"content-type")
            && let Some(content) = attr(tag, b"content")
            && let Ok(content) = std::str::from_utf8(content)
            && let Some(enc) =
                charset_param(&format!("x;{content}")).and_then(|l| label(l.as_bytes()))
        {
            return Some(enc);
        }
        from = end;
    }
    None
}

/// The WHATWG rule: a meta saying UTF-16 means UTF-8, and x-user-defined means windows-1252.
fn label(v: &[u8]) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(v)?;
    Some(
        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            enc
        },
    )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The value of attribute `name` in a lower-cased tag.
fn attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    while let Some(p) = find(&tag[i..], name) {
        let at = i + p;
        let before_ok = at > 0
            && (tag[at - 1].is_ascii_whitespace() || tag[at - 1] == b'"' || tag[at - 1] == b'\'');
        let mut j = at + name.len();
        while j < tag.len() && tag[j].is_ascii_whitespace() {
            j += 1;
        }
        if before_ok && j < tag.len() && tag[j] == b'=' {
            j += 1;
            while j < tag.len() && tag[j].is_ascii_whitespace() {
                j += 1;
            }
            let (quote, start) = match tag.get(j) {
                Some(q @ (b'"' | b'\'')) => (Some(*q), j + 1),
                _ => (None, j),
            };
            let end = match quote {
                Some(q) => tag[start..]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(tag.len(), |e| start + e),
                None => tag[start..]
                    .iter()
                    .position(|&b| b.is_ascii_whitespace() || b == b'/')
                    .map_or(tag.len(), |e| start + e),
            };
            return Some(tag[start..end].trim_ascii());
        }
        i = at + name.len();
    }
    None
}

/// Decodes page bytes. `forced` is a source's `encoding` setting (for sites
/// that lie); `tld` helps the detector (e.g. `"ly"`).
pub fn decode_html(
    bytes: &[u8],
    content_type: Option<&str>,
    forced: Option<&'static Encoding>,
    tld: Option<&str>,
) -> DecodedPage {
    let (encoding, basis) = if let Some((enc, _)) = Encoding::for_bom(bytes) {
        (enc, "bom")
    } else if let Some(enc) = forced {
        (enc, "configured")
    } else if let Some(enc) = content_type
        .and_then(charset_param)
        .and_then(|l| label(l.as_bytes()))
    {
        (enc, "http")
    } else if let Some(enc) = meta_charset(&bytes[..bytes.len().min(1024)]) {
        (enc, "meta")
    } else if let Some(enc) = late_meta(bytes) {
        (enc, "late-meta")
    } else if std::str::from_utf8(bytes).is_ok() {
        (UTF_8, "utf-8")
    } else {
        (detect(bytes, tld), "detected")
    };
    let (text, used, _) = encoding.decode(bytes);
    DecodedPage {
        text: text.into_owned(),
        encoding: used,
        basis,
    }
}

/// A meta charset after the first 1024 bytes but still in the head (browsers re-decode when they meet it).
fn late_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let window = &bytes[..bytes.len().min(64 * 1024)];
    let lower: Vec<u8> = window.iter().map(u8::to_ascii_lowercase).collect();
    let head_end = find(&lower, b"</head")
        .or_else(|| find(&lower, b"<body"))
        .unwrap_or(lower.len());
    meta_charset(&window[..head_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arabic_1256(prefix: &str, meta: &str) -> Vec<u8> {
        let (body, _, _) = encoding_rs::WINDOWS_1256
            .encode("<p>اشتباكات مسلحة في طرابلس وإغلاق الطريق الساحلي</p>");
        let mut page = format!("<html><head>{prefix}{meta}</head><body>").into_bytes();
        page.extend_from_slice(&body);
        page.extend_from_slice(b"</body></html>");
        page
    }

    #[test]
    fn meta_in_the_prescan_window() {
        let page = arabic_1256(
            "",
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1256\">",
        );
        let d = decode_html(&page, Some("text/html"), None, None);
        assert_eq!((d.encoding.name(), d.basis), ("windows-1256", "meta"));
        assert!(d.text.contains("اشتباكات مسلحة في طرابلس"));
    }

    #[test]
    fn late_meta_is_honoured() {
        let filler = format!("<style>{}</style>", "x".repeat(1500));
        let page = arabic_1256(&filler, "<meta charset='windows-1256'>");
        let d = decode_html(&page, None, None, None);
        assert_eq!((d.encoding.name(), d.basis), ("windows-1256", "late-meta"));
        assert!(d.text.contains("الطريق الساحلي"));
    }

    #[test]
    fn http_beats_meta_and_detection_works_without_either() {
        let page = arabic_1256("", "<meta charset=\"utf-8\">");
        let d = decode_html(&page, Some("text/html; charset=windows-1256"), None, None);
        assert_eq!(d.basis, "http");
        assert!(d.text.contains("طرابلس"));
        let bare = arabic_1256("", "");
        let d = decode_html(&bare, None, None, Some("ly"));
        assert_eq!((d.encoding.name(), d.basis), ("windows-1256", "detected"));
        let forced = decode_html(
            &bare,
            Some("text/html; charset=utf-8"),
            Some(encoding_rs::WINDOWS_1256),
            None,
        );
        assert!(forced.text.contains("طرابلس"));
    }
}
