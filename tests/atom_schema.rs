//! The published Atom is valid under RFC 4287: checked with `jing` against the
//! RELAX NG schema of its Appendix B (tests/schema/atom.rnc), plus the rules
//! the RFC states outside the schema. Skips, saying so, when `jing` is absent
//! (`.ci/run` installs it).

mod common;

use std::path::Path;
use std::process::Command;

use common::{Reply, TestServer, config, config_text};
use marsad::pipeline::{self, Context, Selection};

fn jing(file: &Path) -> Option<(bool, String)> {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/atom.rnc");
    let out = Command::new("jing")
        .arg("-c")
        .arg(&schema)
        .arg(file)
        .output()
        .ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

const AWKWARD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<rss version=\"2.0\"><channel><title>Awkward \u{1}outlet</title><language>en us</language>
<item><title></title><description>No title, no link, no date &amp; a stray \u{b} control.</description></item>
<item><title>Quotes \"in\" 'titles' &amp; &lt;tags&gt;</title><link>https://example.ly/a?x=1&amp;y=2</link>
<category>Security &quot;&amp;&quot; &lt;Defence&gt;</category><author>someone@example.ly (Someone)</author>
<pubDate>not a date</pubDate><description><![CDATA[<p onclick=\"x()\">Body <script>alert(1)</script><iframe src=\"https://evil\"></iframe></p>]]></description></item>
</channel></rss>";

#[tokio::test]
async fn published_atom_is_valid_rfc4287() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = marsad::demo::serve_fixtures(&common::fixtures())
        .await
        .expect("fixture server");
    let server = TestServer::start().await;
    server.script("/awkward", vec![Reply::ok("application/rss+xml", AWKWARD)]);
    let mut sources: Vec<(&str, String)> =
        marsad::demo::feed_files(&common::fixtures().join("feeds"))
            .expect("list")
            .iter()
            .map(|f| {
                let name = f
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("name")
                    .to_string();
                (
                    f.file_stem()
                        .and_then(|s| s.to_str())
                        .expect("stem")
                        .to_string(),
                    format!("{}/feeds/{name}", fixtures.base()),
                )
            })
            .map(|(stem, url)| (Box::leak(stem.into_boxed_str()) as &str, url))
            .collect();
    sources.push(("Awkward & <odd> \"outlet\"", server.url("/awkward")));
    let out = dir.path().join("feed.atom");
    let ctx = Context::new(config(
        dir.path(),
        &config_text(&dir.path().join("m.db"), &out, &sources, ""),
    ))
    .expect("context");
    let empty = dir.path().join("empty.atom");
    // An empty feed must be valid too.
    std::fs::write(
        &empty,
        marsad::publish::render_atom(&pipeline::feed_meta(&ctx.config), &[]),
    )
    .expect("write");
    pipeline::poll_sources(&ctx, Selection::All)
        .await
        .expect("pass");
    ctx.publisher().refresh(true).await.expect("publish");

    let all = marsad::publish::all_path(&out);
    let text = std::fs::read_to_string(&all).expect("atom");
    // RFC 4287 4.1.1: a feed without atom:author needs one in every entry; ours has a feed author.
    assert!(text.contains("<author><name>marsad</name></author>"));
    let feed = common::read_feed(text.as_bytes());
    assert_eq!(feed.entries.len(), 73);
    assert!(
        feed.entries
            .iter()
            .all(|e| !e.id.is_empty() && e.title.is_some() && e.updated.is_some())
    );

    for file in [&out, &all, &empty] {
        match jing(file) {
            Some((valid, report)) => {
                assert!(valid, "{} is not valid Atom:\n{report}", file.display())
            }
            None => eprintln!(
                "skipped schema validation: `jing` is not installed (apt-get install jing)"
            ),
        }
    }
}
