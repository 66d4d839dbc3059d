//! Where extraction time goes, stage by stage, over a Scrapinghub-style corpus.
//! `cargo run --release --example extract_profile -- ../shared/corpora/extraction/scrapinghub`
use std::time::Instant;

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/corpora/extraction/scrapinghub".into()),
    );
    let mut t = [0f64; 6];
    let mut n = 0;
    for entry in std::fs::read_dir(dir.join("html"))
        .expect("html folder")
        .filter_map(Result::ok)
    {
        let raw = std::fs::read(entry.path()).expect("read");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut bytes)
            .expect("gunzip");
        let s0 = Instant::now();
        let d = marsad::extract::decode::decode_html(&bytes, None, None, None);
        let s1 = Instant::now();
        let doc = dom_query::Document::from(d.text.as_str());
        marsad::extract::clean::remove_noise(&doc, false);
        let s2 = Instant::now();
        let url = url::Url::parse("https://example.com/").expect("url");
        let _m = marsad::extract::meta::metadata(&doc, &url);
        let s3 = Instant::now();
        let mut r =
            dom_smoothie::Readability::with_document(doc, Some(url.as_str()), None).expect("new");
        let a = r.parse();
        let s4 = Instant::now();
        let html = a.map(|a| a.content.to_string()).unwrap_or_default();
        let body = dom_query::Document::from(html.as_str());
        marsad::extract::clean::clean(&body, None);
        let s5 = Instant::now();
        let _t = marsad::text::html_to_text(&body.select("body").inner_html());
        let s6 = Instant::now();
        for (i, (a, b)) in [(s0, s1), (s1, s2), (s2, s3), (s3, s4), (s4, s5), (s5, s6)]
            .iter()
            .enumerate()
        {
            t[i] += (*b - *a).as_secs_f64() * 1000.0;
        }
        n += 1;
    }
    let names = [
        "decode",
        "parse",
        "metadata",
        "readability",
        "clean",
        "to_text",
    ];
    for (name, ms) in names.iter().zip(t) {
        println!("{name:<12} {:.3} ms/page", ms / n as f64);
    }
}
