//! Light stemming for matching: an Arabic light stemmer (clitics and common
//! suffixes, in the spirit of Light10) and Snowball for English and French.

/// Arabic prefixes removed by [`stem`], longest first: the article with its
/// conjunctions and prepositions, and `لل`.
const AR_PREFIXES: [&str; 6] = ["وال", "بال", "كال", "فال", "لل", "ال"];
/// Arabic suffixes removed by [`stem`] (after normalisation `ة` is `ه`), longest first.
const AR_SUFFIXES: [&str; 11] = [
    "هما", "ها", "ان", "ات", "ون", "ين", "يه", "يا", "ه", "ي", "ا",
];
/// Single-letter proclitics tried by [`stem_variants`]: and, so, with/in, like, for.
const AR_PROCLITICS: [char; 5] = ['و', 'ف', 'ب', 'ك', 'ل'];

/// Arabic function words (normalised) left as they are.
const AR_STOPWORDS: [&str; 34] = [
    "الذي",
    "التي",
    "الذين",
    "اللذين",
    "اللتين",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هولاء",
    "الي",
    "علي",
    "عن",
    "في",
    "من",
    "مع",
    "او",
    "ثم",
    "حتي",
    "لدي",
    "قد",
    "كان",
    "كانت",
    "لقد",
    "هو",
    "هي",
    "هم",
    "انه",
    "انها",
    "ان",
    "الا",
    "بين",
    "بعد",
    "قبل",
];

fn is_arabic_word(w: &str) -> bool {
    w.chars().next().is_some_and(super::is_arabic)
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Stems one normalised Arabic word: one prefix, then up to two suffixes, never
/// leaving fewer than three letters.
fn stem_arabic(word: &str) -> String {
    if AR_STOPWORDS.contains(&word) {
        return word.to_string();
    }
    let mut w = word;
    for p in AR_PREFIXES {
        if let Some(rest) = w.strip_prefix(p)
            && char_len(rest) >= 3
        {
            w = rest;
            break;
        }
    }
    if char_len(w) > 3
        && let Some(rest) = w.strip_prefix('و')
        && char_len(rest) >= 4
        && !rest.starts_with('و')
    {
        // A leading و is usually "and" on long words (والعسكريين was handled above).
        w = rest;
    }
    // One suffix; after a plural (ين ون ان ات) also a nisba ي, so that العسكريين
    // meets العسكري. Two free passes would turn مصراتة into مصر (Egypt).
    if let Some((suffix, rest)) = AR_SUFFIXES.iter().find_map(|s| {
        w.strip_suffix(s)
            .filter(|r| char_len(r) >= 3)
            .map(|r| (*s, r))
    }) {
        w = rest;
        if matches!(suffix, "ين" | "ون" | "ان" | "ات")
            && let Some(r) = w.strip_suffix('ي').filter(|r| char_len(r) >= 3)
        {
            w = r;
        }
    }
    w.to_string()
}

/// A stemmer for Latin-script words in one language.
pub struct Stemmer {
    snowball: Option<rust_stemmers::Stemmer>,
}

impl std::fmt::Debug for Stemmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stemmer")
            .field("snowball", &self.snowball.is_some())
            .finish()
    }
}

impl Stemmer {
    /// A stemmer for text in `lang` (`en`, `fr`; Arabic words are always stemmed as Arabic).
    pub fn new(lang: Option<&str>) -> Stemmer {
        let algorithm = match lang.map(|l| l.split('-').next().unwrap_or(l)) {
            Some("fr") => Some(rust_stemmers::Algorithm::French),
            Some("en") | None => Some(rust_stemmers::Algorithm::English),
            _ => None,
        };
        Stemmer {
            snowball: algorithm.map(rust_stemmers::Stemmer::create),
        }
    }

    /// Stems one normalised token.
    pub fn stem(&self, word: &str) -> String {
        if is_arabic_word(word) {
            stem_arabic(word)
        } else {
            match &self.snowball {
                Some(s) if word.chars().any(char::is_alphabetic) => s.stem(word).into_owned(),
                _ => word.to_string(),
            }
        }
    }
}

/// Stems one normalised token (Arabic light stemmer, English Snowball otherwise).
pub fn stem(word: &str) -> String {
    if is_arabic_word(word) {
        stem_arabic(word)
    } else {
        Stemmer::new(Some("en")).stem(word)
    }
}

/// The stems a normalised Arabic token may stand for: its stem, and the stem
/// without a leading one-letter proclitic (`بليبيا` → `ليبيا`). Matching
/// against a lexicon tries each; for other scripts there is one variant.
pub fn stem_variants(word: &str) -> Vec<String> {
    let mut out = vec![if is_arabic_word(word) {
        stem_arabic(word)
    } else {
        word.to_string()
    }];
    if let Some(first) = word.chars().next()
        && AR_PROCLITICS.contains(&first)
        && char_len(word) >= 5
    {
        let v = stem_arabic(&word[first.len_utf8()..]);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    fn variants(w: &str) -> Vec<String> {
        stem_variants(&normalize(w))
    }

    fn meet(a: &str, b: &str) -> bool {
        let (va, vb) = (variants(a), variants(b));
        va.iter().any(|x| vb.contains(x))
    }

    #[test]
    fn libya_family_meets() {
        let family = [
            "ليبيا",
            "الليبي",
            "الليبية",
            "بليبيا",
            "لليبيا",
            "ليبي",
            "الليبيين",
            "وليبيا",
        ];
        for a in family {
            for b in family {
                assert!(
                    meet(a, b),
                    "{a} and {b} must meet: {:?} vs {:?}",
                    variants(a),
                    variants(b)
                );
            }
        }
    }

    #[test]
    fn military_family_meets() {
        let family = ["العسكري", "العسكرية", "والعسكريين", "عسكرية", "العسكريون"];
        for a in family {
            for b in family {
                assert!(
                    meet(a, b),
                    "{a} and {b}: {:?} vs {:?}",
                    variants(a),
                    variants(b)
                );
            }
        }
        assert_eq!(stem(&normalize("الاشتباكات")), stem(&normalize("اشتباكات")));
        assert_eq!(stem(&normalize("بطرابلس")), "بطرابلس");
        assert!(meet("بطرابلس", "طرابلس"));
        assert!(!meet("طرابلس", "الزاوية"));
    }

    #[test]
    fn place_names_do_not_collapse_into_common_words() {
        assert_ne!(stem(&normalize("مصراتة")), stem(&normalize("مصر")));
        assert_ne!(stem(&normalize("صبراتة")), stem(&normalize("صبر")));
        assert_eq!(
            stem(&normalize("بمصراتة")),
            stem(&normalize("مصراتة")).replacen("", "ب", 1)
        );
        assert!(meet("بمصراتة", "مصراتة"));
    }

    #[test]
    fn short_words_are_kept() {
        assert_eq!(stem(&normalize("الذي")), "الذي");
        assert_eq!(stem(&normalize("إلى")), "الي");
        assert_eq!(stem(&normalize("جيش")), "جيش");
    }

    #[test]
    fn latin_snowball() {
        let fr = Stemmer::new(Some("fr"));
        assert_eq!(fr.stem("affrontements"), fr.stem("affrontement"));
        assert_eq!(fr.stem("libyenne"), fr.stem("libyen"));
        let en = Stemmer::new(Some("en"));
        assert_eq!(en.stem("clashes"), en.stem("clash"));
        assert_eq!(en.stem("militias"), en.stem("militia"));
    }
}
