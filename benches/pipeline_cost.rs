//! Cost of one new article as the archive grows: normalisation, fingerprint,
//! curation scoring, the dedup lookup (LSH in SQLite) and the insert itself,
//! through the same code the daemon runs. Prints the median time per article
//! and the resident memory at 1k, 10k and 100k stored articles, with the ratio
//! to the cost on an empty archive (the target: flat within 2× from 1k to 100k).
//!
//! `cargo bench --bench pipeline_cost` (MARSAD_BENCH_N=20000 for a quick run).

use std::time::Instant;

use marsad::curate::{Focus, Force, Topic, TopicConfig};
use marsad::dedup;
use marsad::pipeline;
use marsad::store::{NewArticle, Store};

const WORDS: &[&str] = &[
    "اشتباكات",
    "مسلحة",
    "في",
    "طرابلس",
    "الزاوية",
    "مصراتة",
    "بنغازي",
    "سرت",
    "الجيش",
    "الليبي",
    "قوات",
    "حكومة",
    "الوحدة",
    "الوطنية",
    "خفر",
    "السواحل",
    "مهاجرين",
    "قارب",
    "غرق",
    "زوارة",
    "صبراتة",
    "الحدود",
    "التونسية",
    "رأس",
    "اجدير",
    "تهريب",
    "الوقود",
    "الأسلحة",
    "اللجنة",
    "العسكرية",
    "المشتركة",
    "وقف",
    "إطلاق",
    "النار",
    "بعثة",
    "الأمم",
    "المتحدة",
    "مجلس",
    "النواب",
    "الرئاسي",
    "النفط",
    "المؤسسة",
    "الوطنية",
    "إنتاج",
    "برميل",
    "يوميا",
    "مباراة",
    "الدوري",
    "المنتخب",
    "وزارة",
    "الداخلية",
    "الأمن",
    "العام",
    "مديرية",
    "ضبط",
    "شحنة",
    "مخدرات",
    "طائرة",
    "مسيرة",
    "قصف",
    "مخزن",
    "ذخيرة",
    "جنوب",
    "غريان",
    "الكفرة",
    "السودان",
    "اللاجئين",
    "الهلال",
    "الأحمر",
    "مستشفى",
    "جرحى",
    "قتلى",
    "مدنيين",
    "وقال",
    "مصدر",
    "مسؤول",
    "إن",
    "أعلن",
    "بيان",
    "صادر",
    "عن",
    "مساء",
    "الجمعة",
    "صباح",
    "السبت",
    "الأحد",
    "الاثنين",
    "اجتماع",
    "بحث",
    "تعزيز",
    "التعاون",
    "الأمني",
    "التدريب",
    "أفريكوم",
    "الولايات",
    "المتحدة",
    "إيطاليا",
    "تركيا",
];

/// Words outside the topic: a Zipf-distributed vocabulary of pseudo-words, as
/// in news text (a few words everywhere, most words rare). Without it every
/// synthetic article would share its whole vocabulary with every other one,
/// which no archive does.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(size: usize) -> Vocabulary {
        const LETTERS: &[char] = &[
            'ا', 'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ',
            'ع', 'غ', 'ف', 'ق', 'ك', 'ل', 'م', 'ن', 'ه', 'و', 'ي',
        ];
        let words = (0..size)
            .map(|r| {
                let mut n = r + 28 * 28 * 28;
                let mut w = String::new();
                while n > 0 {
                    w.push(LETTERS[n % LETTERS.len()]);
                    n /= LETTERS.len();
                }
                w
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=size)
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    fn pick(&self, rng: &mut fastrand::Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.f64() * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        &self.words[i.min(self.words.len() - 1)]
    }
}

/// A synthetic article: a third of its words from the topic's vocabulary, the
/// rest from the wider vocabulary.
fn synthetic(rng: &mut fastrand::Rng, vocabulary: &Vocabulary, n: usize) -> (String, String) {
    let word = |rng: &mut fastrand::Rng| -> String {
        if rng.u8(..3) == 0 {
            WORDS[rng.usize(..WORDS.len())].to_string()
        } else {
            vocabulary.pick(rng).to_string()
        }
    };
    let mut body = String::new();
    for p in 0..4 {
        if p > 0 {
            body.push_str("\n\n");
        }
        for w in 0..rng.usize(30..60) {
            if w > 0 {
                body.push(' ');
            }
            body.push_str(&word(rng));
        }
        body.push_str(&format!(" {}", rng.u32(..100_000)));
    }
    let title: Vec<String> = (0..8).map(|_| word(rng)).collect();
    (format!("{} {n}", title.join(" ")), body)
}

fn article(topic: &Topic, key: usize, title: &str, body: &str, time: i64) -> NewArticle {
    let url = format!("https://outlet{}.ly/news/{key}", key % 40);
    let a = topic.assess(title, body, Some("ar"), Focus::General, Force::Auto);
    NewArticle {
        entry_key: format!("guid:{key}"),
        guid: Some(key.to_string()),
        canonical_url: dedup::canonical_url(&url),
        url: Some(url),
        title: title.to_string(),
        summary: None,
        content: Some(body.to_string()),
        author: None,
        categories: vec![],
        lang: Some("ar".into()),
        published: Some(time),
        updated: None,
        content_hash: format!("{key:x}"),
        text: body.to_string(),
        fingerprint: dedup::fingerprint(title, body, Some("ar")),
        score: a.score,
        relevant: a.relevant,
        explanation: a.explanation_json(),
        topics: a.topics,
        html: None,
        image: None,
        site_name: None,
        extraction: "{}".into(),
    }
}

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn main() {
    let total: usize = std::env::var("MARSAD_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db")).expect("open");
    let sources: Vec<String> = (0..40).map(|i| format!("outlet{i}")).collect();
    store
        .sync_sources(
            sources
                .iter()
                .map(|s| (s.as_str(), "https://example.ly/feed")),
        )
        .expect("sync");
    let topic = Topic::new(&TopicConfig::default()).expect("topic");
    let mut rng = fastrand::Rng::with_seed(42);
    let vocabulary = Vocabulary::new(30_000);
    let start_time = 1_790_000_000i64;
    let mut bodies: Vec<(String, String)> = Vec::new();
    let checkpoints: Vec<usize> = [0usize, 1_000, 10_000, 100_000]
        .into_iter()
        .filter(|c| *c <= total)
        .collect();
    let sample = 1_000usize;
    println!(
        "pipeline cost per new article (normalise + fingerprint + score + LSH lookup + insert), SQLite WAL"
    );
    println!(
        "{:>10} {:>12} {:>12} {:>10} {:>8} {:>10}",
        "stored", "median µs", "p90 µs", "ratio", "dups", "RSS MiB"
    );
    let mut inserted = 0usize;
    let mut baseline: Option<f64> = None;
    for (ci, &checkpoint) in checkpoints.iter().enumerate() {
        // Fill up to the checkpoint in batches of 100 (one transaction each, as a pass would).
        while inserted < checkpoint {
            let batch: Vec<NewArticle> = (0..100.min(checkpoint - inserted))
                .map(|_| {
                    let k = inserted;
                    inserted += 1;
                    let (title, body) = next_text(&mut rng, &vocabulary, &mut bodies, k);
                    article(&topic, k, &title, &body, start_time + k as i64 * 30)
                })
                .collect();
            let source = &sources[inserted % sources.len()];
            store
                .record_success(
                    source,
                    (None, None),
                    None,
                    None,
                    &batch,
                    0,
                    &pipeline::decide,
                )
                .expect("insert");
        }
        // Measure `sample` single-article passes.
        let mut times = Vec::with_capacity(sample);
        let mut dups = 0;
        for _ in 0..sample {
            let k = inserted;
            inserted += 1;
            let (title, body) = next_text(&mut rng, &vocabulary, &mut bodies, k);
            let t0 = Instant::now();
            let a = article(&topic, k, &title, &body, start_time + k as i64 * 30);
            let s = store
                .record_success(
                    &sources[k % sources.len()],
                    (None, None),
                    None,
                    None,
                    &[a],
                    0,
                    &pipeline::decide,
                )
                .expect("insert");
            times.push(t0.elapsed().as_secs_f64() * 1e6);
            dups += s.duplicates;
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p90 = times[times.len() * 9 / 10];
        let base = *baseline.get_or_insert(median);
        let _ = ci;
        println!(
            "{checkpoint:>10} {median:>12.0} {p90:>12.0} {:>9.2}× {dups:>8} {:>10.1}",
            median / base,
            rss_mib()
        );
    }
    let (articles, stories, curated) = store.counts().expect("counts");
    println!(
        "final: {articles} articles in {stories} stories ({curated} curated); database {:.1} MiB",
        std::fs::metadata(dir.path().join("bench.db"))
            .map(|m| m.len() as f64 / 1048576.0)
            .unwrap_or(0.0)
    );
}

/// 10 % of articles are near-copies of a recent one (new headline, a dateline, a cut paragraph).
fn next_text(
    rng: &mut fastrand::Rng,
    vocabulary: &Vocabulary,
    bodies: &mut Vec<(String, String)>,
    k: usize,
) -> (String, String) {
    if !bodies.is_empty() && rng.u8(..10) == 0 {
        let (_, body) = &bodies[bodies.len() - 1 - rng.usize(..bodies.len().min(50))];
        let paragraphs: Vec<&str> = body.split("\n\n").collect();
        let cut = paragraphs[..paragraphs.len() - 1].join("\n\n");
        return (format!("نسخة {k}"), format!("طرابلس - وكالات\n\n{cut}"));
    }
    let t = synthetic(rng, vocabulary, k);
    bodies.push(t.clone());
    if bodies.len() > 200 {
        bodies.remove(0);
    }
    t
}
