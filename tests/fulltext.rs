//! Full article bodies: each new entry's page is fetched through the same
//! fetcher, robots.txt is honoured, the page is decoded like a browser would,
//! the body is extracted (site rule, else the generic extractor), and the
//! feed's own text is kept, with the reason, when the page cannot be used.

mod common;

use common::{Reply, TestServer, config, config_text, read_feed};
use marsad::pipeline::{self, Context, Selection};

fn fixture_page(stem: &str) -> (Vec<u8>, String) {
    let dir = common::fixtures().join("extraction/ar");
    let html = std::fs::read(dir.join(format!("{stem}.html"))).expect("page fixture");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{stem}.json"))).expect("truth"))
            .expect("json");
    (html, truth["body"].as_str().expect("body").to_string())
}

fn feed(base: &str, items: &[(&str, &str)]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title>",
    );
    for (i, (path, title)) in items.iter().enumerate() {
        x.push_str(&format!(
            "<item><title>{title}</title><link>{base}{path}</link><guid>{path}</guid><pubDate>Sat, 28 Nov 2026 0{i}:00:00 +0000</pubDate><description>مقتطف قصير من الخبر.</description></item>"
        ));
    }
    x.push_str("</channel></rss>");
    x
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_articles_get_their_full_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    let (wp, wp_truth) = fixture_page("01-A-tripoli-clashes-ain-zara");
    let (legacy, legacy_truth) = fixture_page("11-C-interior-minister-tripoli-security-plan");
    server.script(
        "/robots.txt",
        vec![Reply::ok(
            "text/plain",
            "User-agent: *\nDisallow: /private/\n",
        )],
    );
    server.script(
        "/news/1",
        vec![Reply::ok("text/html; charset=utf-8", wp.clone())],
    );
    // windows-1256 bytes, no charset in the header: the page's own <meta> must be found.
    server.script("/legacy/2", vec![Reply::ok("text/html", legacy)]);
    server.script(
        "/private/3",
        vec![Reply::ok("text/html; charset=utf-8", wp.clone())],
    );
    server.script("/gone/4", vec![Reply::status(404)]);
    // A deleted article whose URL now answers 200 with another story (a soft 404).
    let (other_story, _) = fixture_page("05-A-sharara-oilfield-output");
    server.script(
        "/moved/5",
        vec![Reply::ok("text/html; charset=utf-8", other_story)],
    );
    // A consent wall served instead of the article.
    let wall = format!(
        "<html lang=\"ar\"><head><title>إشعار الخصوصية</title></head><body><div class=\"consent\"><h2>نحن نحترم خصوصيتك</h2>{}</div></body></html>",
        "<p>نستخدم نحن وشركاؤنا ملفات تعريف الارتباط وتقنيات مماثلة لتخزين المعلومات على جهازك والوصول إليها، ولتخصيص المحتوى والإعلانات وقياس الجمهور. يمكنك قبول خياراتك أو إدارتها في أي وقت من صفحة الإعدادات.</p>".repeat(2)
    );
    server.script(
        "/consent/6",
        vec![Reply::ok("text/html; charset=utf-8", wall)],
    );
    let items = [
        ("/news/1", "اشتباكات عين زارة"),
        ("/legacy/2", "خطة أمنية"),
        ("/private/3", "خبر محجوب"),
        ("/gone/4", "خبر محذوف"),
        ("/moved/5", "رئيس الأركان العامة يلتقي نائب قائد أفريكوم"),
        ("/consent/6", "خفر السواحل ينقذ مهاجرين قبالة زوارة"),
    ];
    server.script(
        "/feed",
        vec![Reply::ok("application/rss+xml", feed(&base, &items))],
    );
    server.script(
        "/ruled",
        vec![Reply::ok("application/rss+xml", feed(&base, &items[..1]))],
    );
    let out = dir.path().join("feed.atom");
    let mut text = config_text(
        &dir.path().join("m.db"),
        &out,
        &[("Outlet", server.url("/feed"))],
        "",
    );
    text.push_str(&format!(
        "\n[[source]]\nname = \"Ruled\"\nurl = \"{}\"\nextract = {{ body = [\"div.td-post-content\", \"div.entry-content\"], remove = [\"blockquote\"] }}\n",
        server.url("/ruled")
    ));
    text.push_str(&format!("\n[[source]]\nname = \"Stale\"\nurl = \"{}\"\nextract = {{ body = \"div.story-body-v1\" }}\n", server.url("/ruled")));
    text.push_str(&format!(
        "\n[[source]]\nname = \"Impolite\"\nurl = \"{}\"\nrespect_robots = false\n",
        server.url("/feed")
    ));
    let ctx = Context::new(config(dir.path(), &text)).expect("context");
    let reports = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    let outlet = reports.iter().find(|r| r.name == "Outlet").expect("report");
    assert_eq!((outlet.full_text, outlet.feed_text), (2, 4), "{outlet:?}");

    let lines = common::exported(&ctx.store);
    let find = |source: &str, path: &str| {
        lines
            .iter()
            .find(|l| l["source"] == source && l["url"].as_str().is_some_and(|u| u.ends_with(path)))
            .unwrap_or_else(|| panic!("no {source} {path}"))
    };
    let wp_line = find("Outlet", "/news/1");
    assert_eq!(wp_line["extraction"]["method"], "generic");
    let (_, _, f1) = marsad::eval::shingle_prf(wp_line["text"].as_str().expect("text"), &wp_truth);
    assert!(f1 >= 0.9, "WordPress page F1 {f1}");
    assert_eq!(
        wp_line["canonical_url"],
        "https://almanshar.net/2026/11/22/tripoli-clashes-ain-zara-ceasefire"
    );
    assert!(
        wp_line["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("https://")),
        "{}",
        wp_line["image"]
    );

    let legacy_line = find("Outlet", "/legacy/2");
    assert_eq!(legacy_line["extraction"]["encoding"], "windows-1256");
    let (_, _, f1) =
        marsad::eval::shingle_prf(legacy_line["text"].as_str().expect("text"), &legacy_truth);
    assert!(f1 >= 0.85, "windows-1256 table page F1 {f1}");

    let private = find("Outlet", "/private/3");
    assert_eq!(private["extraction"]["method"], "feed");
    assert!(
        private["extraction"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("robots.txt")),
        "{}",
        private["extraction"]
    );
    assert_eq!(
        private["text"], "مقتطف قصير من الخبر.",
        "the feed's text is kept"
    );
    let gone = find("Outlet", "/gone/4");
    assert!(
        gone["extraction"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("404")),
        "{}",
        gone["extraction"]
    );
    // Pages that are not the entry's article keep the feed's text, and say why.
    for path in ["/moved/5", "/consent/6"] {
        let line = find("Outlet", path);
        assert_eq!(line["extraction"]["method"], "feed", "{path}");
        assert!(
            line["extraction"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("headline")),
            "{path}: {}",
            line["extraction"]
        );
        assert_eq!(line["text"], "مقتطف قصير من الخبر.", "{path}");
    }
    // A source may ignore robots.txt when its operator says so.
    assert_ne!(
        find("Impolite", "/private/3")["extraction"]["method"],
        "feed"
    );
    assert_eq!(
        server.seen("/robots.txt").len(),
        1,
        "robots.txt is fetched once per host"
    );

    // Site rules: the rule is used; a stale rule falls back and says so.
    let ruled = find("Ruled", "/news/1");
    assert_eq!(ruled["extraction"]["method"], "rule");
    assert_eq!(ruled["extraction"]["rule_missed"], false);
    let stale = find("Stale", "/news/1");
    assert_eq!(
        (
            stale["extraction"]["method"].as_str(),
            stale["extraction"]["rule_missed"].as_bool()
        ),
        (Some("generic"), Some(true))
    );

    // The published entry carries the full body, right to left.
    ctx.publisher().refresh(true).await.expect("publish");
    let all = read_feed(&std::fs::read(marsad::publish::all_path(&out)).expect("feed"));
    let entry = all
        .entries
        .iter()
        .find(|e| e.links.iter().any(|l| l.href.ends_with("/news/1")))
        .expect("entry");
    let content = entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .expect("content");
    let paragraph = wp_truth.split("\n\n").nth(2).expect("a paragraph");
    let start: String = paragraph.chars().take(40).collect();
    assert!(content.contains(&start), "full body in the feed");
    assert!(content.starts_with("<div dir=\"rtl\" lang=\"ar\">"));

    // Pages are fetched once: a re-poll of unchanged entries fetches nothing.
    let before = server.seen("/news/1").len();
    pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!(server.seen("/news/1").len(), before);
}

#[test]
fn mutated_pages_never_panic_or_hang() {
    let dir = common::fixtures().join("extraction/ar");
    let mut rng = fastrand::Rng::with_seed(7);
    let url = url::Url::parse("https://alwasat.ly/news/1").expect("url");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    files.sort();
    let mut runs = 0;
    for f in files.iter().take(12) {
        let bytes = std::fs::read(f).expect("read");
        for _ in 0..25 {
            let mut m = bytes.clone();
            for _ in 0..rng.usize(1..6) {
                let at = rng.usize(..m.len().max(1));
                match rng.u8(..4) {
                    0 => m.truncate(at),
                    1 => {
                        let junk: &[u8] = [
                            b"<div>".as_slice(),
                            b"</table>",
                            b"<script>",
                            b"\xff\xfe",
                            b"<!--",
                            b"<p><p><p>",
                        ][rng.usize(..6)];
                        m.splice(at..at, junk.iter().copied());
                    }
                    2 if at < m.len() => m[at] = rng.u8(..),
                    _ => {
                        let end = (at + 200).min(m.len());
                        m.drain(at..end);
                    }
                }
            }
            let started = std::time::Instant::now();
            let _ = marsad::extract::extract(
                &marsad::extract::Page {
                    bytes: &m,
                    content_type: None,
                    url: &url,
                    encoding: None,
                },
                None,
            );
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{} took {:?}",
                f.display(),
                started.elapsed()
            );
            runs += 1;
        }
    }
    assert!(runs >= 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fetch_reports_stale_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    let (wp, _) = fixture_page("01-A-tripoli-clashes-ain-zara");
    server.script("/news/1", vec![Reply::ok("text/html; charset=utf-8", wp)]);
    server.script("/robots.txt", vec![Reply::status(404)]);
    server.script(
        "/feed",
        vec![Reply::ok(
            "application/rss+xml",
            feed(&base, &[("/news/1", "اشتباكات")]),
        )],
    );
    let mut text = config_text(
        &dir.path().join("m.db"),
        &dir.path().join("f.atom"),
        &[],
        "",
    );
    text.push_str(&format!("\n[[source]]\nname = \"Good rule\"\nurl = \"{}\"\nextract = {{ body = \"div.entry-content\" }}\n", server.url("/feed")));
    text.push_str(&format!("\n[[source]]\nname = \"Old rule\"\nurl = \"{}\"\nextract = {{ body = \"div.article-text-2019\" }}\n", server.url("/feed")));
    let path = dir.path().join("feeds.toml");
    std::fs::write(&path, text).expect("write");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_marsad"))
            .args(["check", "--fetch", "--config"])
            .arg(&path)
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a stale rule fails the check");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Good rule") && l.contains("rule OK")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Old rule") && l.contains("STALE")),
        "{stdout}"
    );
}
