//! The `marsad` binary as an operator uses it.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Reply, TestServer, config_text, feed_fixture};

fn marsad() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_marsad"));
    c.env_remove("MARSAD_CONFIG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    c
}

/// Runs the binary off the async runtime so the test's servers keep answering.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run marsad"))
        .await
        .expect("join")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_reports_every_bad_key_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("feeds.toml");
    std::fs::write(
        &path,
        "[service]\ndatabase = \"m.db\"\n\n[[source]]\nname = \"Libya Herald\"\nurl = \"https://libyaherald.com/feed/\"\nintervall = \"10m\"\n",
    )
    .expect("write");
    let out = marsad()
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{}:7: key `intervall`", path.display())),
        "{err}"
    );
    assert!(err.contains("unknown field"), "{err}");

    std::fs::write(
        &path,
        "[service]\ndefault_interval = \"soon\"\n\n[[source]]\nname = \"A\"\nurl = \"not a url\"\n",
    )
    .expect("write");
    let out = marsad()
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .expect("run");
    let err = text(&out.stderr);
    assert!(
        err.contains(":2: key `default_interval`") && err.contains("invalid duration \"soon\""),
        "{err}"
    );
    assert!(err.contains(":6: key `url`"), "{err}");
}

#[test]
fn check_accepts_the_shipped_configuration() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
    let out = marsad()
        .args(["check", "--config"])
        .arg(&shipped)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("OK ("), "{}", text(&out.stdout));
}

#[test]
fn missing_configuration_says_what_to_do() {
    let out = marsad()
        .args(["poll", "--config", "/nonexistent/feeds.toml"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("/nonexistent/feeds.toml") && err.contains("--config"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_prints_a_summary_and_export_prints_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    server.script(
        "/ar",
        vec![Reply::ok(
            "application/rss+xml",
            String::from_utf8(feed_fixture("alwasat-ar.rss"))
                .expect("utf8")
                .replace("{{BASE}}", &base),
        )],
    );
    server.script(
        "/broken",
        vec![Reply::ok(
            "application/rss+xml",
            feed_fixture("broken-ar.xml"),
        )],
    );
    let out_file = dir.path().join("out/feed.atom");
    let cfg = config_text(
        &dir.path().join("m.db"),
        &out_file,
        &[
            ("Al Wasat", server.url("/ar")),
            ("Broken outlet", server.url("/broken")),
        ],
        "",
    );
    let cfg_path = dir.path().join("feeds.toml");
    std::fs::write(&cfg_path, cfg).expect("write");

    let mut cmd = marsad();
    cmd.args(["poll", "--config"]).arg(&cfg_path);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "per-source failures are not fatal: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"))
            .to_string()
    };
    let ok: Vec<String> = row("Al Wasat")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(&ok[2..8], ["ok", "7", "7", "0", "0", "5"], "{stdout}");
    assert!(
        row("Broken outlet").contains("FAILED")
            && row("Broken outlet").contains("not a valid feed"),
        "{stdout}"
    );
    assert!(stdout.contains(&out_file.display().to_string()), "{stdout}");
    // The failing source is named in the logs with its cause.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Broken outlet") && stderr.contains("poll failed"),
        "{stderr}"
    );
    assert!(out_file.exists());

    // Nothing is due on a second plain poll: sources keep their own schedule.
    let mut cmd = marsad();
    cmd.args(["poll", "--config"]).arg(&cfg_path);
    let again = run(cmd).await;
    assert!(
        text(&again.stdout)
            .lines()
            .any(|l| l.starts_with("Al Wasat") && l.contains("not due"))
    );
    assert_eq!(server.seen("/ar").len(), 1);

    let mut cmd = marsad();
    cmd.args(["export", "--config"]).arg(&cfg_path);
    let export = run(cmd).await;
    assert!(export.status.success());
    let lines: Vec<serde_json::Value> = text(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 7);
    for key in [
        "id",
        "url",
        "source",
        "title",
        "published",
        "fetched",
        "lang",
        "cluster",
        "duplicates",
        "score",
        "topics",
        "matched_terms",
        "text",
    ] {
        assert!(lines.iter().all(|l| l.get(key).is_some()), "missing {key}");
    }
    assert!(
        lines
            .iter()
            .all(|l| l["source"] == "Al Wasat" && l["lang"] == "ar")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["text"].as_str().is_some_and(|t| t.contains("زوارة")))
    );

    let mut cmd = marsad();
    cmd.args(["export", "--since", "2026-11-27", "--config"])
        .arg(&cfg_path);
    let since = run(cmd).await;
    let recent = text(&since.stdout).lines().count();
    assert!(recent > 0 && recent < 7, "{recent}");
    let mut cmd = marsad();
    cmd.args(["export", "--since", "last tuesday", "--config"])
        .arg(&cfg_path);
    let bad = run(cmd).await;
    assert!(!bad.status.success() && text(&bad.stderr).contains("YYYY-MM-DD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_offline_and_prints_the_table() {
    let mut cmd = marsad();
    cmd.args(["demo", "--once", "--listen", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("alwasat-ar") && stdout.contains("total"),
        "{stdout}"
    );
    let atom_line = stdout
        .lines()
        .find(|l| l.starts_with("Atom feed, all stories"))
        .expect("atom path printed");
    let path = atom_line.rsplit(": ").next().expect("path");
    let feed = common::read_feed(&std::fs::read(path).expect("atom file"));
    assert!(feed.entries.len() >= 60);
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// SIGTERM while passes are in flight: the daemon stops scheduling, lets
/// in-flight passes commit (or abandons fetches past the deadline), and exits
/// within 10 s with a consistent database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_pass_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    let fill = |n: &str| {
        String::from_utf8(feed_fixture(n))
            .expect("utf8")
            .replace("{{BASE}}", &base)
    };
    server.script(
        "/fast",
        vec![Reply::ok("application/rss+xml", fill("alwasat-ar.rss"))],
    );
    server.script(
        "/slow",
        vec![
            Reply::ok("application/atom+xml", fill("libyaobserver-en.atom"))
                .delay(Duration::from_secs(2)),
        ],
    );
    server.script(
        "/stuck",
        vec![
            Reply::ok("application/rss+xml", fill("libyaherald-en.rss"))
                .delay(Duration::from_secs(60)),
        ],
    );
    let db = dir.path().join("m.db");
    let cfg = config_text(
        &db,
        &dir.path().join("out/feed.atom"),
        &[
            ("Fast", server.url("/fast")),
            ("Slow", server.url("/slow")),
            ("Stuck", server.url("/stuck")),
        ],
        "",
    )
    .replace("timeout = \"5s\"", "timeout = \"120s\"");
    let cfg_path = dir.path().join("feeds.toml");
    std::fs::write(&cfg_path, cfg).expect("write");
    let mut child = marsad()
        .args(["run", "--config"])
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until every source has been requested, i.e. passes are in flight.
    let start = Instant::now();
    while server.seen("/slow").is_empty() || server.seen("/stuck").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon never polled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let t0 = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let s = wait_exit(&mut child, Duration::from_secs(10));
        if s.is_none() {
            let _ = child.kill();
        }
        (s, child)
    })
    .await
    .expect("join");
    let (status, mut child) = status;
    let status = status.expect("marsad must exit within 10 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(t0.elapsed() < Duration::from_secs(10));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut stderr).ok();
    }
    assert!(stderr.contains("shutdown requested"), "{stderr}");

    let store = marsad::store::Store::open(&db).expect("reopen");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    let mut sources = Vec::new();
    store
        .for_each_article(None, |a, _| {
            sources.push(a.source);
            Ok(())
        })
        .expect("articles");
    let count = |src: &str| sources.iter().filter(|s| s.as_str() == src).count();
    // The fast pass committed, the slow one finished during the drain, the stuck one wrote nothing.
    assert_eq!((count("Fast"), count("Slow"), count("Stuck")), (7, 6, 0));
    let stuck = store.source_state("Stuck").expect("state");
    assert!(
        stuck.last_success.is_none() && stuck.consecutive_failures == 0,
        "{stuck:?}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `marsad serve` publishes what an earlier `poll` stored, with no polling of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_publishes_the_database_without_polling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    server.script(
        "/ar",
        vec![Reply::ok(
            "application/rss+xml",
            String::from_utf8(feed_fixture("alwasat-ar.rss"))
                .expect("utf8")
                .replace("{{BASE}}", &base),
        )],
    );
    let port = free_port();
    let cfg = config_text(
        &dir.path().join("m.db"),
        &dir.path().join("f.atom"),
        &[("Al Wasat", server.url("/ar"))],
        "",
    )
    .replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    let cfg_path = dir.path().join("feeds.toml");
    std::fs::write(&cfg_path, cfg).expect("write");
    let mut poll = marsad();
    poll.args(["poll", "--config"]).arg(&cfg_path);
    assert!(run(poll).await.status.success());
    let polled = server.seen("/ar").len();

    let mut child = marsad()
        .args(["serve", "--config"])
        .arg(&cfg_path)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/feed/all.atom");
    let mut body = None;
    for _ in 0..100 {
        if let Ok(r) = client.get(&url).send().await {
            body = Some(r.bytes().await.expect("body"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status =
        tokio::task::spawn_blocking(move || wait_exit(&mut child, Duration::from_secs(10)))
            .await
            .expect("join");
    assert!(
        status.is_some_and(|s| s.success()),
        "serve stops cleanly on SIGTERM"
    );
    let feed = common::read_feed(&body.expect("served"));
    assert_eq!(feed.entries.len(), 7);
    assert_eq!(server.seen("/ar").len(), polled, "serve does not poll");
}

/// SIGKILL (no chance to clean up) in the middle of passes: the database is still consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_passes_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start().await;
    let base = server.url("");
    let fill = |n: &str| {
        String::from_utf8(feed_fixture(n))
            .expect("utf8")
            .replace("{{BASE}}", &base)
    };
    let feeds = [
        "alwasat-ar.rss",
        "libyaobserver-en.atom",
        "libyaherald-en.rss",
        "jeuneafrique-fr.rss",
        "libyaupdate-en.json",
    ];
    let mut sources = Vec::new();
    for (i, f) in feeds.iter().enumerate() {
        let path = format!("/f{i}");
        server.script(
            &path,
            vec![Reply::ok("application/xml", fill(f)).delay(Duration::from_millis(40 * i as u64))],
        );
        sources.push((*f, server.url(&path)));
    }
    let db = dir.path().join("m.db");
    let cfg = config_text(&db, &dir.path().join("f.atom"), &sources, "");
    let cfg_path = dir.path().join("feeds.toml");
    std::fs::write(&cfg_path, cfg).expect("write");
    let mut child = marsad()
        .args(["run", "--config"])
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill as soon as the first sources were answered, while others are mid-pass.
    let start = Instant::now();
    while server.seen("/f2").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon never polled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let store = marsad::store::Store::open(&db).expect("reopen after SIGKILL");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    // Every source's pass is all or nothing: each stored source has all its entries.
    let mut per_source: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    store
        .for_each_article(None, |a, _| {
            *per_source.entry(a.source).or_default() += 1;
            Ok(())
        })
        .expect("articles");
    let expected = [
        ("alwasat-ar.rss", 7),
        ("libyaobserver-en.atom", 6),
        ("libyaherald-en.rss", 6),
        ("jeuneafrique-fr.rss", 6),
        ("libyaupdate-en.json", 5),
    ];
    for (name, n) in expected {
        let got = per_source.get(name).copied().unwrap_or(0);
        assert!(
            got == 0 || got == n,
            "{name}: {got} of {n} entries: a pass was half-written"
        );
    }
}

/// `eval dedup --replay` runs a whole day through a real database and scores
/// the stories. Here the day is our Arabic adversarial pairs, every second
/// side moved to another outlet, so same-subject stories from different
/// outlets (two clashes, two meetings, two shipwrecks) must stay apart in the
/// stories, while rewrites and spelling variants of one dispatch merge.
#[test]
fn replay_keeps_same_subject_stories_apart_across_outlets() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let pairs = std::fs::read_to_string(common::fixtures().join("dedup/pairs.jsonl"))
        .expect("pairs fixture");
    let (mut day, mut labels) = (Vec::new(), String::new());
    for line in pairs.lines() {
        let pair: serde_json::Value = serde_json::from_str(line).expect("json");
        if pair["lang"] != "ar" {
            continue;
        }
        let side = |s: &serde_json::Value, outlet: String| serde_json::json!({"source": outlet, "url": null, "title": s["title"], "content": s["body"]});
        let (i, j) = (day.len(), day.len() + 1);
        day.push(side(
            &pair["a"],
            pair["a"]["source"].as_str().unwrap_or("a").to_string(),
        ));
        day.push(side(
            &pair["b"],
            format!("{} (2)", pair["b"]["source"].as_str().unwrap_or("b")),
        ));
        labels.push_str(
            &serde_json::json!({"file": "2026-10-01.json.gz", "i": i, "j": j,
                "same_story": pair["same_story"], "bucket": "all", "bucket_population": 1})
            .to_string(),
        );
        labels.push('\n');
    }
    assert_eq!(day.len(), 36, "18 Arabic pairs");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).expect("mkdir");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(corpus.join("2026-10-01.json.gz")).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(serde_json::to_string(&day).expect("json").as_bytes())
        .expect("write");
    gz.finish().expect("finish");
    let label_file = dir.path().join("labels.jsonl");
    std::fs::write(&label_file, labels).expect("labels");
    let missing = dir.path().join("none");
    let out = marsad()
        .arg("eval")
        .arg("dedup")
        .arg("--pairs")
        .arg(&missing)
        .arg("--semeval")
        .arg(&missing)
        .arg("--labels")
        .arg(&label_file)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--replay")
        .output()
        .expect("run");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let line = stdout
        .lines()
        .find(|l| l.contains("whole days replayed"))
        .unwrap_or_else(|| panic!("no replay line in:\n{stdout}"));
    assert!(
        line.contains("precision 1.000  recall 1.000"),
        "every rewrite merged, every other story apart: {line}"
    );
}
