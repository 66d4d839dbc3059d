//! End-to-end tests of one pass: real HTTP on loopback, the real pipeline, a
//! real SQLite file and the Atom/RSS output read back as a reader would.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{Reply, TestServer, config, config_text, feed_fixture, read_feed};
use marsad::pipeline::{self, Context, Selection, Status};

fn report<'a>(reports: &'a [pipeline::SourceReport], name: &str) -> &'a pipeline::SourceReport {
    reports
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect()
}

#[tokio::test]
async fn every_format_and_encoding_is_parsed_and_published() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = marsad::demo::serve_fixtures(&common::fixtures())
        .await
        .expect("fixture server");
    let files = marsad::demo::feed_files(&common::fixtures().join("feeds")).expect("list");
    let sources: Vec<(&str, String)> = files
        .iter()
        .map(|f| {
            let name = f.file_stem().and_then(|s| s.to_str()).expect("stem");
            let file = f.file_name().and_then(|s| s.to_str()).expect("name");
            (name, format!("{}/feeds/{file}", fixtures.base()))
        })
        .collect();
    let out = dir.path().join("out/feed.atom");
    let cfg = config(
        dir.path(),
        &config_text(&dir.path().join("m.db"), &out, &sources, ""),
    );
    let ctx = Context::new(cfg).expect("context");
    let reports = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    ctx.publisher().refresh(true).await.expect("publish");

    let expected = [
        ("alwasat-ar", 7),
        ("libyaobserver-en", 6),
        ("libyaherald-en", 6),
        ("jeuneafrique-fr", 6),
        ("lana-ar-1256", 5),
        ("alsaaa24-ar-1256-nodecl", 5),
        ("libyaalahrar-ar-iso88596", 5),
        ("afrigatenews-ar-ws1256", 5),
        ("alarabiya-ar", 5),
        ("libyareview-en-091", 3),
        ("libyaupdate-en", 5),
        ("bbc-ar-utf8-bom", 5),
        ("teasers-ar", 8),
    ];
    for (name, n) in expected {
        let r = report(&reports, name);
        assert_eq!((r.status, r.new), (Status::Ok, n), "{name}: {r:?}");
    }
    // The teaser feed's articles get their full text from the fixture pages (three encodings, eight layouts).
    assert_eq!(report(&reports, "teasers-ar").full_text, 8);
    // Broken inputs fail alone, with a cause a person can act on; nothing of theirs is stored.
    let broken = report(&reports, "broken-ar");
    assert_eq!(broken.status, Status::Failed);
    assert!(
        broken
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not a valid feed")),
        "{broken:?}"
    );
    let html = report(&reports, "notafeed");
    assert!(
        html.error
            .as_deref()
            .is_some_and(|e| e.contains("HTML page")),
        "{html:?}"
    );

    // Every story is in the all-stories feed; the curated feed holds the Libyan security ones.
    let atom = std::fs::read(marsad::publish::all_path(&out)).expect("all-stories file written");
    let feed = read_feed(&atom);
    assert_eq!(
        feed.entries.len(),
        71,
        "the fixtures are 71 distinct stories"
    );
    let curated = read_feed(&std::fs::read(&out).expect("curated file written"));
    assert!(
        curated.entries.len() > 30 && curated.entries.len() < 71,
        "{}",
        curated.entries.len()
    );
    let titles = titles(&feed);
    for t in [
        "جهاز خفر السواحل ينقذ 96 مهاجرا غير قانوني شمال صبراتة", // windows-1256, declared
        "مقتل شخصين في اشتباكات بين مجموعتين مسلحتين في جنزور",   // windows-1256, undeclared
        "بعثة الأمم المتحدة ترحب بنتائج اجتماع اللجنة العسكرية المشتركة في سرت", // ISO-8859-6
        "تحركات عسكرية لقوات القيادة العامة قرب قاعدة الجفرة",    // 1256 after 25 newlines
        "اشتباكات مسلحة في الزاوية وإغلاق الطريق الساحلي",         // &amp;nbsp; decoded
        "Contrebande à Ras Jedir : « Le carburant libyen part toujours vers la Tunisie »",
        "Gunmen abduct two municipal employees in Sabha", // JSON Feed
        "Derna: new bridge over the wadi opens to traffic", // RSS 0.91
    ] {
        let norm = |s: &str| s.replace('\u{a0}', " ");
        assert!(
            titles.iter().any(|x| norm(x) == norm(t)),
            "missing title {t:?}"
        );
    }
    let text = String::from_utf8(atom.clone()).expect("utf-8");
    assert!(
        !text.contains("Ø") && !text.contains("ط£"),
        "mojibake in output"
    );
    assert!(
        !text.contains("alert(") || !text.contains("&lt;script"),
        "script survived"
    );
    assert!(
        !text.contains("onerror") && !text.contains("javascript:"),
        "hostile markup survived"
    );
    // Every entry carries a language and its outlet; Arabic renders right to left.
    assert_eq!(text.matches("<source>").count(), 71);
    assert!(text.contains("<title type=\"text\">lana-ar-1256</title>"));
    assert_eq!(text.matches("<entry xml:lang=\"ar\">").count(), 45);
    assert!(text.contains("&lt;div dir=&quot;rtl&quot; lang=&quot;ar&quot;&gt;"));
    // Relative URLs in content were made absolute.
    assert!(
        text.contains(&format!("src=&quot;{}/uploads/2026/11/", fixtures.base())),
        "relative image not absolutised"
    );
    // The RSS copy has the same entries.
    let rss = read_feed(
        &std::fs::read(marsad::publish::rss_path(&marsad::publish::all_path(&out)))
            .expect("rss written"),
    );
    assert_eq!(rss.entries.len(), 71);
    let curated_rss =
        read_feed(&std::fs::read(marsad::publish::rss_path(&out)).expect("rss written"));
    assert_eq!(curated_rss.entries.len(), curated.entries.len());
}

#[tokio::test]
async fn repolling_is_idempotent_and_edits_update_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    let fill = |name: &str| {
        String::from_utf8(feed_fixture(name))
            .expect("utf-8")
            .replace("{{BASE}}", &base)
    };
    server.script(
        "/alwasat/feed",
        vec![
            Reply::ok("application/rss+xml; charset=utf-8", fill("alwasat-ar.rss")),
            Reply::ok("application/rss+xml; charset=utf-8", fill("alwasat-ar.rss")),
            Reply::ok(
                "application/rss+xml; charset=utf-8",
                fill("alwasat-ar-update.rss"),
            ),
        ],
    );
    let out = dir.path().join("feed.atom");
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &out,
            &[("Al Wasat", server.url("/alwasat/feed"))],
            "",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    let publisher = ctx.publisher();

    let first = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!((first[0].new, first[0].updated), (7, 0));
    publisher.refresh(true).await.expect("publish");
    let all = marsad::publish::all_path(&out);
    let before = read_feed(&std::fs::read(&all).expect("atom"));

    let second = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!(
        (second[0].status, second[0].new, second[0].updated),
        (Status::Ok, 0, 0)
    );

    let third = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!((third[0].new, third[0].updated), (2, 1), "{:?}", third[0]);
    publisher.refresh(true).await.expect("publish");
    let after = read_feed(&std::fs::read(&all).expect("atom"));
    assert_eq!(
        after.entries.len(),
        9,
        "an edit must not create a second entry"
    );
    let edited = after
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .is_some_and(|t| t.content.contains("23 قتيلا"))
        })
        .expect("edited entry present");
    let original = before
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .is_some_and(|t| t.content.contains("انتشال 17 جثة"))
        })
        .expect("original entry");
    assert_eq!(
        edited.id, original.id,
        "the entry id must not change when the story is edited"
    );
    // Ids of untouched entries are stable across re-renders too.
    let ids = |f: &feed_rs::model::Feed| {
        f.entries
            .iter()
            .map(|e| e.id.clone())
            .collect::<std::collections::HashSet<_>>()
    };
    assert!(ids(&before).is_subset(&ids(&after)));
}

#[tokio::test]
async fn conditional_get_sends_validators_and_a_304_costs_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let body = String::from_utf8(feed_fixture("libyaherald-en.rss"))
        .expect("utf-8")
        .replace("{{BASE}}", &server.url(""));
    server.script(
        "/feed/",
        vec![
            Reply::ok("application/rss+xml", body)
                .header("etag", "\"v1\"")
                .header("last-modified", "Sat, 28 Nov 2026 09:00:00 GMT"),
            Reply::status(304),
        ],
    );
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &dir.path().join("f.atom"),
            &[("Libya Herald", server.url("/feed/"))],
            "",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    let r1 = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!(r1[0].new, 6);
    let r2 = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!(r2[0].status, Status::NotModified);
    let seen = server.seen("/feed/");
    assert_eq!(seen.len(), 2);
    assert!(seen[0].headers.get("if-none-match").is_none());
    assert_eq!(
        seen[1]
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok()),
        Some("\"v1\"")
    );
    assert_eq!(
        seen[1]
            .headers
            .get("if-modified-since")
            .and_then(|v| v.to_str().ok()),
        Some("Sat, 28 Nov 2026 09:00:00 GMT")
    );
    let state = ctx.store.source_state("Libya Herald").expect("state");
    assert_eq!(state.consecutive_failures, 0);
    assert_eq!(ctx.store.counts().expect("counts").0, 6);
}

#[tokio::test]
async fn server_errors_back_off_exponentially_and_recover() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let body = String::from_utf8(feed_fixture("libyaherald-en.rss")).expect("utf-8");
    server.script(
        "/rss",
        vec![
            Reply::status(500),
            Reply::status(500),
            Reply::status(500),
            Reply::ok("application/rss+xml", body),
        ],
    );
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &dir.path().join("f.atom"),
            &[("Flaky", server.url("/rss"))],
            "",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    let mut delays = Vec::new();
    for _ in 0..3 {
        let before = chrono::Utc::now().timestamp();
        let r = pipeline::poll_sources(&ctx, Selection::All)
            .await
            .expect("pass");
        assert_eq!(r[0].status, Status::Failed);
        assert!(
            r[0].error
                .as_deref()
                .is_some_and(|e| e.contains("HTTP 500"))
        );
        delays.push(r[0].next_poll.expect("next poll") - before);
    }
    // 10 minutes × 1, 2, 4 with ±20 % jitter.
    assert!((470..=725).contains(&delays[0]), "{delays:?}");
    assert!((950..=1445).contains(&delays[1]), "{delays:?}");
    assert!((1910..=2885).contains(&delays[2]), "{delays:?}");
    let state = ctx.store.source_state("Flaky").expect("state");
    assert_eq!(state.consecutive_failures, 3);
    assert_eq!(state.last_error.as_deref(), Some("HTTP 500"));
    // A due-only pass skips it while backing off.
    let skipped = pipeline::poll_sources(&ctx, Selection::Due)
        .await
        .expect("pass");
    assert_eq!(skipped[0].status, Status::NotDue);
    assert_eq!(server.seen("/rss").len(), 3);
    // Recovery resets the counter.
    let ok = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!((ok[0].status, ok[0].new), (Status::Ok, 6));
    assert_eq!(
        ctx.store
            .source_state("Flaky")
            .expect("state")
            .consecutive_failures,
        0
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_410_disables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    server.script(
        "/busy",
        vec![Reply::status(429).header("retry-after", "7200")],
    );
    server.script(
        "/unavail",
        vec![Reply::status(503).header("retry-after", "Sun, 29 Nov 2099 10:00:00 GMT")],
    );
    server.script("/gone", vec![Reply::status(410)]);
    let sources = [
        ("Busy", server.url("/busy")),
        ("Down", server.url("/unavail")),
        ("Gone", server.url("/gone")),
    ];
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &dir.path().join("f.atom"),
            &sources,
            "",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    let now = chrono::Utc::now().timestamp();
    let r = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    let busy = report(&r, "Busy");
    assert!(busy.error.as_deref().is_some_and(|e| e.contains("429")));
    assert!(
        busy.next_poll.expect("next") >= now + 7200,
        "Retry-After ignored: {busy:?}"
    );
    // An HTTP-date far away is capped at a week, so the source is never dropped for good.
    let down = report(&r, "Down");
    let wait = down.next_poll.expect("next") - now;
    assert!((7 * 86_400 - 5..=7 * 86_400 + 5).contains(&wait), "{wait}");
    let gone = report(&r, "Gone");
    assert_eq!(gone.status, Status::Disabled);
    let state = ctx.store.source_state("Gone").expect("state");
    assert!(
        state
            .disabled_reason
            .as_deref()
            .is_some_and(|s| s.contains("410")),
        "{state:?}"
    );
    // Disabled sources are not requested again, even when every source is forced.
    let again = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert_eq!(report(&again, "Gone").status, Status::Disabled);
    assert_eq!(server.seen("/gone").len(), 1);
}

#[tokio::test]
async fn oversized_bodies_and_compression_bombs_are_cut_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    // 2 GB of streamed filler without Content-Length.
    let mut huge = Reply::ok("application/rss+xml", Vec::new());
    huge.endless = Some(2 << 30);
    server.script("/huge", vec![huge]);
    // 64 MiB of zeros, gzipped to ~64 KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).expect("gzip");
    }
    let bomb = gz.finish().expect("gzip");
    assert!(bomb.len() < 1 << 20);
    server.script(
        "/bomb",
        vec![Reply::ok("application/rss+xml", bomb).header("content-encoding", "gzip")],
    );
    server.script(
        "/fine",
        vec![Reply::ok(
            "application/rss+xml",
            feed_fixture("libyaherald-en.rss"),
        )],
    );
    let sources = [
        ("Huge", server.url("/huge")),
        ("Bomb", server.url("/bomb")),
        ("Fine", server.url("/fine")),
    ];
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &dir.path().join("f.atom"),
            &sources,
            "max_body = \"1MiB\"",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    let started = std::time::Instant::now();
    let r = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the cap must stop the download early"
    );
    for name in ["Huge", "Bomb"] {
        let rep = report(&r, name);
        assert!(
            rep.error
                .as_deref()
                .is_some_and(|e| e.contains("larger than the 1048576-byte limit")),
            "{rep:?}"
        );
    }
    assert_eq!(report(&r, "Fine").new, 6);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    server.script(
        "/feed",
        vec![Reply::ok(
            "application/rss+xml",
            feed_fixture("libyaherald-en.rss"),
        )],
    );
    let by_ip = server.url("/feed");
    let by_name = format!("http://localhost:{}/feed", server.addr.port());
    let text = config_text(
        &dir.path().join("m.db"),
        &dir.path().join("f.atom"),
        &[("Literal", by_ip), ("Named", by_name)],
        "",
    )
    .replace(
        "allow_private_networks = true",
        "allow_private_networks = false",
    );
    let ctx = Context::new(config(dir.path(), &text)).expect("context");
    let r = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    for name in ["Literal", "Named"] {
        let rep = report(&r, name);
        assert_eq!(rep.status, Status::Failed);
        assert!(
            rep.error
                .as_deref()
                .is_some_and(|e| e.contains("private, loopback or link-local")),
            "{rep:?}"
        );
    }
    assert!(
        server.seen("/feed").is_empty(),
        "no request may reach a private address"
    );
}

#[tokio::test]
async fn redirects_are_followed_and_permanent_moves_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    server.script("/old", vec![Reply::status(301).header("location", "/new")]);
    server.script(
        "/new",
        vec![Reply::ok(
            "application/rss+xml",
            feed_fixture("libyaherald-en.rss"),
        )],
    );
    server.script(
        "/loop",
        vec![Reply::status(302).header("location", "/loop")],
    );
    let sources = [("Moved", server.url("/old")), ("Loop", server.url("/loop"))];
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &dir.path().join("f.atom"),
            &sources,
            "",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    let r = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    let moved = report(&r, "Moved");
    assert_eq!((moved.status, moved.new), (Status::Ok, 6));
    assert!(
        moved
            .warnings
            .iter()
            .any(|w| w.contains("moved permanently") && w.contains("/new")),
        "{moved:?}"
    );
    let looped = report(&r, "Loop");
    assert!(
        looped
            .error
            .as_deref()
            .is_some_and(|e| e.contains("more than 5 redirects")),
        "{looped:?}"
    );
    assert_eq!(server.seen("/loop").len(), 6);
}

#[tokio::test]
async fn output_is_served_with_validators_gzip_and_health() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let body = String::from_utf8(feed_fixture("alwasat-ar.rss"))
        .expect("utf-8")
        .replace("{{BASE}}", &server.url(""));
    server.script("/feed", vec![Reply::ok("application/rss+xml", body)]);
    let cfg = config(
        dir.path(),
        &config_text(
            &dir.path().join("m.db"),
            &dir.path().join("f.atom"),
            &[("Al Wasat", server.url("/feed"))],
            "",
        ),
    );
    let ctx = Context::new(cfg).expect("context");
    pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    let publisher = ctx.publisher();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(marsad::publish::serve(
        publisher,
        listener,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .gzip(false)
        .build()
        .expect("client");
    let url = format!("http://{addr}/feed/all.atom");

    let first = client.get(&url).send().await.expect("get");
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .expect("lm")
        .to_string();
    let body = first.bytes().await.expect("body");
    let feed = read_feed(&body);
    assert_eq!(feed.entries.len(), 7);
    assert!(feed.entries.iter().all(|e| {
        e.title
            .as_ref()
            .is_some_and(|t| t.content.chars().any(marsad::text::is_arabic))
    }));

    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.expect("body").is_empty());
    let since = client
        .get(&url)
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .expect("get");
    assert_eq!(since.status(), 304);
    let stale = client
        .get(&url)
        .header("if-none-match", "W/\"0000\"")
        .send()
        .await
        .expect("get");
    assert_eq!(stale.status(), 200);

    let gz = client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("get");
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let compressed = gz.bytes().await.expect("body");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut plain,
    )
    .expect("gunzip");
    assert_eq!(plain, body.to_vec());

    let curated = client
        .get(format!("http://{addr}/feed.atom"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        curated.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let curated = read_feed(&curated.bytes().await.expect("body"));
    // The oil and football stories are left out of the curated feed.
    assert_eq!(
        curated.entries.len(),
        5,
        "{:?}",
        curated
            .entries
            .iter()
            .map(|e| e.title.clone())
            .collect::<Vec<_>>()
    );
    let rss = client
        .get(format!("http://{addr}/feed/all.rss"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        rss.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert_eq!(
        read_feed(&rss.bytes().await.expect("body")).entries.len(),
        7
    );

    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    let health: serde_json::Value = serde_json::from_slice(&health).expect("json");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["articles"], 7);
    assert_eq!(health["sources"], 1);
}
