//! Normalisation for matching (never for display).

use unicode_normalization::UnicodeNormalization;

/// Normalises text for matching: Unicode compatibility decomposition (NFKD,
/// so presentation forms such as `ﻻ` become `لا`); Arabic diacritics
/// (U+064B–U+065F, U+0670), tatweel, bidi marks and zero-width characters
/// removed, which also unifies hamza carriers (`أ إ آ` → `ا`, `ؤ` → `و`,
/// `ئ` → `ي`); `ٱ` → `ا`, `ى` → `ي`, `ة` → `ه`; Arabic-Indic and Persian
/// digits → ASCII; Latin lower-cased with accents removed (`é` → `e`);
/// white space collapsed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd() {
        let mapped = match c {
            // Combining marks: Arabic harakat, superscript alef, Latin accents.
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0300}'..='\u{036F}' => continue,
            // Tatweel, bidi marks, zero-width characters, BOM, soft hyphen.
            '\u{0640}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{00AD}' => continue,
            'ٱ' | 'أ' | 'إ' | 'آ' => 'ا',
            'ى' | 'ی' => 'ي',
            'ة' => 'ه',
            'ؤ' => 'و',
            'ئ' => 'ي',
            'ک' => 'ك',
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            c if c.is_whitespace() => {
                space = !out.is_empty();
                continue;
            }
            c => c,
        };
        if space {
            out.push(' ');
            space = false;
        }
        if mapped.is_uppercase() {
            out.extend(mapped.to_lowercase());
        } else {
            out.push(mapped);
        }
    }
    out
}

/// Splits normalised text into word tokens (letters and digits; everything else separates).
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// Function words of Arabic, English and French, in normalised form: they say
/// nothing about which story a text tells, so word-level matching skips them.
const STOPWORDS: &[&str] = &[
    // Arabic (normalised: ا for hamza forms, ي for ى, ه for ة).
    "في",
    "من",
    "علي",
    "الي",
    "عن",
    "مع",
    "ان",
    "او",
    "ثم",
    "قد",
    "لا",
    "ما",
    "لم",
    "لن",
    "هو",
    "هي",
    "هم",
    "كان",
    "كانت",
    "يكون",
    "التي",
    "الذي",
    "الذين",
    "اللذين",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هناك",
    "بعد",
    "قبل",
    "حيث",
    "كما",
    "بين",
    "عند",
    "منذ",
    "خلال",
    "كل",
    "اي",
    "غير",
    "حتي",
    "اذا",
    "لها",
    "له",
    "لهم",
    "فيها",
    "فيه",
    "منها",
    "منه",
    "عليه",
    "عليها",
    "ايضا",
    "وقد",
    "وكان",
    "وفي",
    "ومن",
    "وان",
    "وهو",
    "وهي",
    "الا",
    "اما",
    "لكن",
    "ولكن",
    "وقال",
    "قال",
    "واضاف",
    "اضاف",
    "واكد",
    "اكد",
    "اليوم",
    "امس",
    "يوم",
    "وذلك",
    "بها",
    "به",
    "بان",
    "فان",
    "انه",
    "انها",
    "الي",
    "وعلي",
    "عدد",
    "تم",
    "حول",
    "ضمن",
    "دون",
    "لدي",
    "الذي",
    "وفق",
    "نحو",
    "عبر",
    "ازاء",
    "كافه",
    "جميع",
    "بعض",
    // English.
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "from",
    "by",
    "with",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "has",
    "have",
    "had",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "which",
    "who",
    "whom",
    "but",
    "not",
    "he",
    "she",
    "they",
    "his",
    "her",
    "their",
    "said",
    "says",
    "will",
    "would",
    "also",
    "after",
    "before",
    "into",
    "than",
    "there",
    // French.
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d",
    "et",
    "ou",
    "a",
    "au",
    "aux",
    "en",
    "dans",
    "sur",
    "par",
    "pour",
    "avec",
    "sans",
    "que",
    "qui",
    "quoi",
    "dont",
    "ce",
    "cet",
    "cette",
    "ces",
    "son",
    "sa",
    "ses",
    "leur",
    "leurs",
    "il",
    "elle",
    "ils",
    "elles",
    "est",
    "sont",
    "ete",
    "etait",
    "a",
    "ont",
    "ne",
    "pas",
    "plus",
    "selon",
    "apres",
    "avant",
    "entre",
    "se",
    "s",
    "y",
];

/// Whether a normalised token is a function word ([`STOPWORDS`]).
pub fn is_stopword(token: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| STOPWORDS.iter().copied().collect());
    SET.contains(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_forms_are_unified() {
        assert_eq!(normalize("الْعَسْكَرِيَّة"), "العسكريه");
        assert_eq!(normalize("أحمد إسماعيل آمنة"), "احمد اسماعيل امنه");
        assert_eq!(normalize("مسؤول رئيس ٱلقوات"), "مسوول رييس القوات");
        assert_eq!(normalize("مصطفى عيسى"), "مصطفي عيسي");
        assert_eq!(normalize("ليبيـــا"), "ليبيا");
        assert_eq!(normalize("ﻻ"), "لا");
    }

    #[test]
    fn digits_marks_and_latin() {
        assert_eq!(normalize("١٢٣ و۴۵"), "123 و45");
        assert_eq!(normalize("\u{200F}طرابلس\u{200E} \u{200B}x"), "طرابلس x");
        assert_eq!(
            normalize("Sécurité À Tripoli, ÉTÉ"),
            "securite a tripoli, ete"
        );
        assert_eq!(normalize("  Libya\u{a0}\n clashes "), "libya clashes");
    }

    #[test]
    fn tokens_split_on_punctuation() {
        let n = normalize("قال: «الجيش الليبي»، وأكد (5+5) l'armée");
        assert_eq!(
            tokens(&n).collect::<Vec<_>>(),
            ["قال", "الجيش", "الليبي", "واكد", "5", "5", "l", "armee"]
        );
    }
}
