//! One story, one entry: the same dispatch from several outlets is published
//! once with "also reported by" links; different stories stay apart; the
//! entry id never changes; `marsad explain` and `marsad curate` tell why.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Reply, TestServer, config, config_text, read_feed};
use marsad::pipeline::{self, Context, Selection};

fn pair(id: &str) -> serde_json::Value {
    let path = common::fixtures().join("dedup/pairs.jsonl");
    let text = std::fs::read_to_string(path).expect("pairs fixture");
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|p| p["id"] == id)
        .expect("pair present")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An RSS feed with the given (title, body, link, pubDate) items.
fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title><language>ar</language>",
    );
    for (i, (title, body, link, date)) in items.iter().enumerate() {
        let html: String = body
            .split("\n\n")
            .map(|p| format!("<p>{}</p>", xml_escape(p)))
            .collect();
        x.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{link}#{i}</guid><pubDate>{date}</pubDate><description>{}</description></item>",
            xml_escape(title),
            xml_escape(link),
            xml_escape(&html)
        ));
    }
    x.push_str("</channel></rss>");
    x
}

fn s<'a>(v: &'a serde_json::Value, side: &str, key: &str) -> &'a str {
    v[side][key].as_str().expect("field")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_of_one_dispatch_become_one_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let rw = pair("ar-rw-01"); // the same dispatch: new headline, dateline, a cut paragraph
    let sf = pair("ar-sf-01"); // two different stories with one long footer
    let date = "Sat, 28 Nov 2026 09:00:00 +0000";
    let later = "Sat, 28 Nov 2026 11:30:00 +0000";
    server.script(
        "/lana",
        vec![Reply::ok(
            "application/rss+xml",
            rss(&[(
                s(&rw, "a", "title"),
                s(&rw, "a", "body"),
                "https://lana.gov.ly/post.php?id=1&utm_source=rss",
                date,
            )]),
        )],
    );
    server.script(
        "/wasat",
        vec![Reply::ok(
            "application/rss+xml",
            rss(&[(
                s(&rw, "b", "title"),
                s(&rw, "b", "body"),
                "https://alwasat.ly/news/libya/1",
                later,
            )]),
        )],
    );
    // A search feed that links to LANA's article itself, with tracking parameters and a different headline.
    server.script(
        "/gnews",
        vec![Reply::ok(
            "application/rss+xml",
            rss(&[(
                "خبر عاجل - وال",
                "",
                "https://www.lana.gov.ly/post.php?id=1&fbclid=abc",
                later,
            )]),
        )],
    );
    server.script(
        "/sahel",
        vec![Reply::ok(
            "application/rss+xml",
            rss(&[
                (
                    s(&sf, "a", "title"),
                    s(&sf, "a", "body"),
                    "https://sahel.ly/1",
                    date,
                ),
                (
                    s(&sf, "b", "title"),
                    s(&sf, "b", "body"),
                    "https://sahel.ly/2",
                    later,
                ),
            ]),
        )],
    );
    let out = dir.path().join("feed.atom");
    let sources = [
        ("LANA", server.url("/lana")),
        ("Al Wasat", server.url("/wasat")),
        ("Google News", server.url("/gnews")),
        ("Al Sahel", server.url("/sahel")),
    ];
    let cfg_text = config_text(&dir.path().join("m.db"), &out, &sources, "");
    let ctx = Context::new(config(dir.path(), &cfg_text)).expect("context");
    let publisher = ctx.publisher();

    pipeline::poll_sources(&ctx, Selection::One("LANA"))
        .await
        .expect("pass");
    publisher.refresh(true).await.expect("publish");
    let all = marsad::publish::all_path(&out);
    let first = read_feed(&std::fs::read(&all).expect("feed"));
    assert_eq!(first.entries.len(), 1);
    let (id, updated) = (first.entries[0].id.clone(), first.entries[0].updated);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    let dups: usize = r.iter().map(|r| r.duplicates).sum();
    assert_eq!(
        dups, 2,
        "Al Wasat's rewrite and the search feed's link join LANA's story: {r:?}"
    );
    publisher.refresh(true).await.expect("publish");
    let text = std::fs::read_to_string(&all).expect("feed");
    let feed = read_feed(text.as_bytes());
    // One entry for the dispatch, two for the different stories that share a footer.
    assert_eq!(
        feed.entries.len(),
        3,
        "{:?}",
        feed.entries
            .iter()
            .map(|e| e.title.clone())
            .collect::<Vec<_>>()
    );
    let story = feed
        .entries
        .iter()
        .find(|e| e.id == id)
        .expect("the story keeps its id");
    assert!(story.updated > updated, "a new copy changes `updated`");
    let related: Vec<&str> = story
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("related"))
        .map(|l| l.href.as_str())
        .collect();
    assert_eq!(related.len(), 2, "{related:?}");
    assert!(related.contains(&"https://alwasat.ly/news/libya/1"));
    assert!(text.contains("title=\"Al Wasat\""));
    let content = story
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .expect("content");
    assert!(
        content.contains("نشرته أيضا"),
        "the content lists the other outlets"
    );
    // The fullest body represents the story.
    assert!(
        story
            .links
            .iter()
            .any(|l| l.rel.as_deref() == Some("alternate"))
    );

    // export: cluster and duplicates.
    let lines = common::exported(&ctx.store);
    let lana = lines.iter().find(|l| l["source"] == "LANA").expect("lana");
    let wasat = lines
        .iter()
        .find(|l| l["source"] == "Al Wasat")
        .expect("wasat");
    assert_eq!(lana["cluster"], wasat["cluster"]);
    assert_eq!(lana["duplicates"].as_array().map(Vec::len), Some(2));
    let sahel: Vec<_> = lines.iter().filter(|l| l["source"] == "Al Sahel").collect();
    assert_ne!(sahel[0]["cluster"], sahel[1]["cluster"]);

    // `marsad explain` names the score, the terms and the other copies.
    let cfg_path = dir.path().join("feeds.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_marsad"))
        .args(["explain", "--config"])
        .arg(&cfg_path)
        .arg("https://alwasat.ly/news/libya/1")
        .output()
        .expect("run explain");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("score:")
            && stdout.contains("matched terms:")
            && stdout.contains("also reported by:"),
        "{stdout}"
    );
    assert!(stdout.contains("LANA"), "{stdout}");
    let missing = Command::new(env!("CARGO_BIN_EXE_marsad"))
        .args(["explain", "--config"])
        .arg(&cfg_path)
        .arg("https://nowhere.ly/x")
        .output()
        .expect("run explain");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no stored article"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curate_dry_run_shows_what_a_rule_change_would_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let body = String::from_utf8(common::feed_fixture("alwasat-ar.rss"))
        .expect("utf8")
        .replace("{{BASE}}", &server.url(""));
    server.script("/feed", vec![Reply::ok("application/rss+xml", body)]);
    let out = dir.path().join("feed.atom");
    let cfg_text = config_text(
        &dir.path().join("m.db"),
        &out,
        &[("Al Wasat", server.url("/feed"))],
        "",
    );
    let ctx = Context::new(config(dir.path(), &cfg_text)).expect("context");
    pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    let curated_before = ctx.store.counts().expect("counts").2;
    assert_eq!(curated_before, 5);

    // The operator raises the bar: the weaker stories would leave the curated feed.
    let cfg_path = dir.path().join("feeds.toml");
    std::fs::write(&cfg_path, format!("{cfg_text}\n[topic]\nthreshold = 6.0\n")).expect("write");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_marsad"))
            .args(args)
            .arg("--config")
            .arg(&cfg_path)
            .output()
            .expect("run curate")
    };
    let dry = run(&["curate", "--dry-run"]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let leaving = stdout.lines().filter(|l| l.starts_with("- ")).count();
    assert!(
        (1..5).contains(&leaving),
        "some stories would leave:\n{stdout}"
    );
    assert!(stdout.contains("dry run: nothing written"));
    assert_eq!(
        ctx.store.counts().expect("counts").2,
        curated_before,
        "a dry run writes nothing"
    );

    let applied = run(&["curate"]);
    assert!(applied.status.success());
    assert_eq!(
        ctx.store.counts().expect("counts").2,
        curated_before - leaving as i64
    );
    // The published feed follows.
    ctx.publisher().refresh(true).await.expect("publish");
    assert_eq!(
        read_feed(&std::fs::read(&out).expect("feed")).entries.len(),
        5 - leaving
    );
}
