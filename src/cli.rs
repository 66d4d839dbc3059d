//! The command line: argument definitions and the commands. This is the
//! binary's edge, so errors are `anyhow` here and typed everywhere else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::pipeline::{self, Context, Selection, SourceReport, Status};

/// marsad: Libya security news in Arabic, English and French, as one clean Atom feed.
#[derive(Debug, Parser)]
#[command(name = "marsad", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, env = "MARSAD_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Log filter (tracing's syntax, e.g. `info` or `marsad=debug`); RUST_LOG also works.
    #[arg(long, global = true, env = "MARSAD_LOG")]
    pub log: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Where the configuration is.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// Path of feeds.toml.
    #[arg(long, short, env = "MARSAD_CONFIG", default_value = "feeds.toml")]
    pub config: PathBuf,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every source on its schedule and serve the feed until SIGINT/SIGTERM.
    Run(ConfigArg),
    /// One pass over the sources that are due (or one source), write the output file, print a summary.
    Poll {
        #[command(flatten)]
        /// Configuration.
        config: ConfigArg,
        /// Poll only this source (by name), even if it is not due.
        #[arg(long)]
        source: Option<String>,
        /// Poll every enabled source, even those not due (backoff, Retry-After).
        #[arg(long, conflicts_with = "source")]
        all: bool,
    },
    /// Serve the published feed from the database only (no polling).
    Serve(ConfigArg),
    /// Validate the configuration; report every problem with its line and key.
    Check {
        #[command(flatten)]
        /// Configuration.
        config: ConfigArg,
        /// Also fetch one article of every source with an `extract` rule and report rules that match nothing.
        #[arg(long)]
        fetch: bool,
    },
    /// Print every stored article as JSON Lines.
    Export {
        #[command(flatten)]
        /// Configuration.
        config: ConfigArg,
        /// Only articles published (or first seen) on or after this date (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        since: Option<String>,
    },
    /// Print what would be extracted from one page (a URL, or a saved HTML file), for writing a site rule.
    Extract {
        /// The page: an http(s) URL or a file.
        target: String,
        /// Apply this source's rule and encoding from the configuration.
        #[arg(long)]
        source: Option<String>,
        /// The page's URL when `target` is a file (for relative links and metadata).
        #[arg(long)]
        url: Option<String>,
        /// Configuration (for the source rule and the fetch settings).
        #[arg(long, short, env = "MARSAD_CONFIG", default_value = "feeds.toml")]
        config: PathBuf,
    },
    /// Show the relevance score of a stored article and why, and its story's other copies.
    Explain {
        #[command(flatten)]
        /// Configuration.
        config: ConfigArg,
        /// The article's URL (as published, or its canonical form).
        url: String,
    },
    /// Re-score the archive with the current [topic] rules and print what enters and leaves the curated feed.
    Curate {
        #[command(flatten)]
        /// Configuration.
        config: ConfigArg,
        /// Only print what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Measure marsad on a public corpus and print the figures.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Show the whole pipeline offline: serve fixtures on loopback, run one pass, serve the feed.
    Demo {
        /// Folder of feed fixtures (default: ./fixtures/feeds, else the source tree's).
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Address for the output feed (falls back to a free port if taken).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Exit after the pass instead of serving until Ctrl-C.
        #[arg(long)]
        once: bool,
    },
}

/// Evaluations.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Feed parsing against feedparser's conformance suite and feed-rs's fixtures.
    Feeds {
        /// Folder holding `feedparser/` and `feed-rs/` (e.g. ../shared/corpora/feeds).
        #[arg(long, default_value = "../shared/corpora/feeds")]
        corpus: PathBuf,
        /// Also list every failed check.
        #[arg(long)]
        verbose: bool,
    },
    /// Curation precision and recall on labelled JSON Lines (title, content, label yes/no/borderline).
    Curate {
        /// Labelled files (e.g. ../shared/corpora/curation/dev.jsonl fixtures/curation/en.jsonl).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Configuration whose [topic] is measured (default: the built-in topic).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Also list every wrong decision.
        #[arg(long)]
        verbose: bool,
        /// Print the full assessment of these item ids.
        #[arg(long)]
        explain: Vec<String>,
    },
    /// Extraction precision, recall and F1 over 4-word shingles, and speed, on a page corpus.
    Extract {
        /// Corpus folders: Scrapinghub (ground-truth.json), WCXB (ground-truth/) or marsad's (NN-*.html + .json).
        #[arg(required = true)]
        corpora: Vec<PathBuf>,
        /// Also list the 15 worst pages.
        #[arg(long)]
        verbose: bool,
        /// Write each page's extracted text to DIR/<id>.txt, to compare with other extractors.
        #[arg(long, value_name = "DIR")]
        dump: Option<PathBuf>,
    },
    /// Near-duplicate precision and recall on labelled pairs.
    Dedup {
        /// Labelled pairs written for marsad (JSON Lines); repeat for several files.
        #[arg(
            long,
            default_values = [
                "fixtures/dedup/pairs.jsonl",
                "fixtures/dedup/heldout-pairs.jsonl",
                "fixtures/dedup/heldout-pairs-r2.jsonl",
                "fixtures/dedup/heldout-pairs-r3.jsonl"
            ]
        )]
        pairs: Vec<PathBuf>,
        /// SemEval-2022 task 8 CSV.
        #[arg(
            long,
            default_value = "../shared/corpora/near-duplicates/semeval2022-task8-train.csv"
        )]
        semeval: PathBuf,
        /// Labelled SaudiNewsNet pairs (ids only); repeat for several sets. The
        /// default is the three sets the decision was fitted on.
        #[arg(
            long,
            default_values = [
                "fixtures/dedup/saudinewsnet-labels.jsonl",
                "fixtures/dedup/saudinewsnet-labels-b.jsonl",
                "fixtures/dedup/saudinewsnet-labels-c.jsonl",
            ]
        )]
        labels: Vec<PathBuf>,
        /// The SaudiNewsNet folder the labels refer to.
        #[arg(long, default_value = "../shared/corpora/arabic-news/saudinewsnet-dev")]
        corpus: PathBuf,
        /// Also list every wrong decision.
        #[arg(long)]
        verbose: bool,
        /// Write every labelled SaudiNewsNet pair's similarity measures to this
        /// file (tab-separated), to fit the decision.
        #[arg(long, value_name = "FILE")]
        features: Option<PathBuf>,
        /// Also replay the labelled pairs' whole days (about 16,000 articles)
        /// through a new database, and check whether each pair ended in one
        /// story: what a reader sees. Takes a minute or two.
        #[arg(long)]
        replay: bool,
    },
}

/// Runs the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    init_logging(
        cli.log_format,
        cli.log.as_deref(),
        matches!(
            cli.command,
            Command::Export { .. }
                | Command::Check { .. }
                | Command::Eval(_)
                | Command::Explain { .. }
                | Command::Curate { .. }
                | Command::Extract { .. }
        ),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat, filter: Option<&str>, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    // html5ever's parse warnings ("foster parenting not implemented") say nothing to an operator.
    let default = if quiet {
        "warn,html5ever=error"
    } else {
        "info,html5ever=error"
    };
    let filter = filter
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn load(config: &Path) -> anyhow::Result<Config> {
    Ok(Config::load(config)?)
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(c) => {
            let config = load(&c.config)?;
            let token = shutdown_on_signal();
            crate::daemon::run(config, token).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(c) => {
            let config = load(&c.config)?;
            crate::daemon::serve_only(config, shutdown_on_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Poll {
            config,
            source,
            all,
        } => {
            let config = load(&config.config)?;
            let selection = match (&source, all) {
                (Some(name), _) => Selection::One(name),
                (None, true) => Selection::All,
                (None, false) => Selection::Due,
            };
            let ctx = Context::new(config)?;
            let reports = pipeline::poll_sources(&ctx, selection).await?;
            let rendered = ctx.publisher().refresh(true).await?;
            print_summary(&reports);
            match &ctx.config.output.file {
                Some(f) => println!(
                    "\n{} curated stories published to {} ({} stories in all: {})",
                    rendered.entries,
                    f.display(),
                    rendered.all_entries,
                    crate::publish::all_path(f).display()
                ),
                None => println!(
                    "\n{} curated stories, {} in all (no [output] file configured)",
                    rendered.entries, rendered.all_entries
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { config, fetch } => {
            let code = check(&config.config)?;
            if fetch && code == ExitCode::SUCCESS {
                return check_rules(&config.config).await;
            }
            Ok(code)
        }
        Command::Export { config, since } => {
            let config = load(&config.config)?;
            let since = since.as_deref().map(parse_since).transpose()?;
            let store = crate::store::Store::open(&config.service.database)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            store.for_each_article(since, |a, duplicates| {
                let line = crate::publish::export_json(&a, &duplicates);
                writeln!(out, "{line}")
            })?;
            out.flush().ok();
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            fixtures,
            listen,
            once,
        } => demo(fixtures, listen, once).await,
        Command::Explain { config, url } => explain(&config.config, &url),
        Command::Extract {
            target,
            source,
            url,
            config,
        } => extract_one(&config, &target, source.as_deref(), url.as_deref()).await,
        Command::Eval(EvalCommand::Extract {
            corpora,
            verbose,
            dump,
        }) => {
            if let Some(out) = &dump {
                std::fs::create_dir_all(out)
                    .with_context(|| format!("cannot create {}", out.display()))?;
            }
            for dir in corpora {
                let d = dir.clone();
                let out = dump.clone();
                let report = tokio::task::spawn_blocking(move || {
                    crate::eval::extraction(&d, out.as_deref())
                })
                .await?
                .with_context(|| format!("cannot read the corpus {}", dir.display()))?;
                println!("{}: {report}", dir.display());
                if verbose {
                    for (id, f1) in report.worst.iter().take(15) {
                        println!("  {id}: F1 {f1:.3}");
                    }
                    for (id, reason) in &report.refused {
                        println!("  {id}: the gate refuses it: {reason}");
                    }
                    let n = report.headline_support.len().max(1) as f64;
                    let sweep: Vec<String> = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
                        .iter()
                        .map(|t| {
                            let own = report.headline_support.iter().filter(|s| s.0 < *t).count();
                            let other = report.headline_support.iter().filter(|s| s.1 < *t).count();
                            format!(
                                "<{t}: own {:.1} %, another's {:.1} %",
                                own as f64 * 100.0 / n,
                                other as f64 * 100.0 / n
                            )
                        })
                        .collect();
                    println!(
                        "  headline support below a threshold: {}",
                        sweep.join(" | ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Curate { config, dry_run } => curate(&config.config, dry_run),
        Command::Eval(EvalCommand::Curate {
            files,
            config,
            verbose,
            explain,
        }) => {
            let topic_config = match config {
                Some(path) => load(&path)?.topic,
                None => crate::curate::TopicConfig::default(),
            };
            let topic = crate::curate::Topic::new(&topic_config)?;
            for file in files {
                let c = crate::eval::curation(&topic, &file, &explain)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                println!("{}: {c}", file.display());
                if verbose {
                    let sweep: Vec<String> = [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]
                        .iter()
                        .map(|t| {
                            let (p, r) = c.at(*t);
                            format!("{t}: P {p:.2} R {r:.2}")
                        })
                        .collect();
                    println!("  thresholds: {}", sweep.join(" | "));
                }
                if verbose {
                    for e in &c.errors {
                        println!("  {e}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Dedup {
            pairs,
            semeval,
            labels,
            corpus,
            verbose,
            features,
            replay,
        }) => {
            let present = |p: &PathBuf| p.exists().then_some(p.clone());
            let corpus_path = corpus.clone();
            let (semeval, corpus) = (present(&semeval), present(&corpus));
            let pairs: Vec<PathBuf> = pairs
                .iter()
                .filter_map(|p| {
                    let found = present(p);
                    if found.is_none() {
                        eprintln!("note: {} not found; those pairs are skipped", p.display());
                    }
                    found
                })
                .collect();
            if corpus.is_none() && (replay || features.is_some()) {
                eprintln!(
                    "note: the SaudiNewsNet corpus {} is missing, so --replay and --features have \
                     nothing to work on; give its folder with --corpus",
                    corpus_path.display()
                );
            }
            let labels: Vec<PathBuf> = labels
                .iter()
                .filter_map(|l| {
                    let found = present(l);
                    if found.is_none() {
                        eprintln!("note: {} not found; that label set is skipped", l.display());
                    }
                    found
                })
                .collect();
            let report = tokio::task::spawn_blocking(move || {
                let labels: Vec<&std::path::Path> = labels.iter().map(PathBuf::as_path).collect();
                let pairs: Vec<&std::path::Path> = pairs.iter().map(PathBuf::as_path).collect();
                // The replay's database lives in a fresh temporary folder, removed after.
                let dir = replay.then(|| {
                    std::env::temp_dir().join(format!(
                        "marsad-replay-{}-{}",
                        std::process::id(),
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_nanos())
                            .unwrap_or(0)
                    ))
                });
                if let Some(dir) = &dir {
                    let _ = std::fs::remove_dir_all(dir);
                    std::fs::create_dir_all(dir)?;
                }
                let report = crate::eval::dedup(
                    &pairs,
                    semeval.as_deref(),
                    &labels,
                    corpus.as_deref(),
                    dir.as_ref().map(|d| d.join("replay.db")).as_deref(),
                );
                if let Some(dir) = &dir {
                    let _ = std::fs::remove_dir_all(dir);
                }
                report
            })
            .await??;
            println!("{report}");
            if verbose {
                for c in report
                    .fixtures
                    .values()
                    .chain(report.saudinewsnet.iter().map(|s| &s.decision))
                    .chain(
                        report
                            .saudinewsnet
                            .iter()
                            .filter_map(|s| s.replayed.as_ref()),
                    )
                    .chain([&report.semeval_monolingual])
                {
                    for e in &c.errors {
                        println!("  {e}");
                    }
                }
            }
            if let Some(path) = features {
                std::fs::write(&path, crate::eval::feature_table(&report))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!(
                    "features of every labelled pair written to {}",
                    path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Feeds { corpus, verbose }) => {
            if !corpus.join("feedparser").is_dir() {
                bail!(
                    "{} has no feedparser/ folder; pass --corpus PATH/TO/corpora/feeds",
                    corpus.display()
                );
            }
            let report = tokio::task::spawn_blocking(move || crate::eval::feeds(&corpus)).await?;
            println!("{report}");
            if verbose {
                for m in &report.misses {
                    println!("miss: {m}");
                }
            }
            for p in &report.panics {
                println!("PANIC (caught): {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(path: &Path) -> anyhow::Result<ExitCode> {
    match Config::load(path) {
        Ok(config) => {
            let enabled = config.enabled_sources().count();
            println!(
                "{}: OK ({} sources, {} enabled; database {}; listen {})",
                path.display(),
                config.sources.len(),
                enabled,
                config.service.database.display(),
                config.service.listen
            );
            for s in &config.sources {
                println!(
                    "  {:<40} {:>4}  {}{}",
                    s.name,
                    s.lang.as_deref().unwrap_or("-"),
                    s.url,
                    if s.enabled { "" } else { "  (disabled)" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ crate::config::ConfigError::Invalid { .. }) => {
            eprintln!("{e}");
            eprintln!("fix the lines above and run `marsad check` again");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn explain(config: &Path, url: &str) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let store = crate::store::Store::open(&config.service.database)?;
    let canonical = crate::dedup::canonical_url(url);
    let found = store.find_by_url(url, canonical.as_deref())?;
    if found.is_empty() {
        eprintln!("no stored article has the URL {url}; `marsad export` lists the stored ones");
        return Ok(ExitCode::FAILURE);
    }
    for a in found {
        let e: serde_json::Value = serde_json::from_str(&a.explanation).unwrap_or_default();
        println!(
            "{}
  source: {}   story: {}",
            a.title, a.source, a.story_uid
        );
        println!(
            "  score: {}   {}   topics: {}",
            a.score,
            if a.relevant {
                "IN the curated feed"
            } else {
                "not in the curated feed"
            },
            if a.topics.is_empty() {
                "-".to_string()
            } else {
                a.topics.join(", ")
            }
        );
        if let Some(reason) = e["reason"].as_str() {
            println!("  why: {reason}");
        }
        if let Some(parts) = e["parts"].as_object() {
            let parts: Vec<String> = parts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!("  contributions: {}", parts.join(", "));
        }
        println!("  matched terms:");
        for m in e["matched"].as_array().into_iter().flatten() {
            println!(
                "    {:<32} {:<40} {:<6} ×{}",
                m["term"].as_str().unwrap_or(""),
                m["group"].as_str().unwrap_or(""),
                m["zone"].as_str().unwrap_or(""),
                m["count"]
            );
        }
        let dups = store.duplicates_of(a.id)?;
        if !dups.is_empty() {
            println!("  also reported by:");
            for (source, url) in dups {
                println!("    {source}: {}", url.unwrap_or_default());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn extract_one(
    config_path: &Path,
    target: &str,
    source: Option<&str>,
    page_url: Option<&str>,
) -> anyhow::Result<ExitCode> {
    // The configuration is optional here unless a source is named.
    let config = match (Config::load(config_path), source) {
        (Ok(c), _) => Some(c),
        (Err(e), Some(_)) => return Err(e.into()),
        (Err(_), None) => None,
    };
    let src = match (source, &config) {
        (Some(name), Some(c)) => Some(
            c.sources
                .iter()
                .find(|s| s.name == name)
                .cloned()
                .with_context(|| format!("no source named {name:?}; `marsad check` lists them"))?,
        ),
        _ => None,
    };
    let (bytes, content_type, url) = if target.starts_with("http://")
        || target.starts_with("https://")
    {
        let url = url::Url::parse(target).with_context(|| format!("{target:?} is not a URL"))?;
        let s = config.as_ref().map(|c| c.service.clone());
        let fetcher = crate::fetch::Fetcher::new(crate::fetch::FetchOptions {
            user_agent: s.as_ref().map_or_else(
                || crate::config::DEFAULT_USER_AGENT.to_string(),
                |s| s.user_agent.clone(),
            ),
            timeout: std::time::Duration::from_secs(30),
            connect_timeout: std::time::Duration::from_secs(10),
            max_body: s.as_ref().map_or(10 << 20, |s| s.max_body),
            concurrency: 1,
            per_host: 1,
            allow_private_networks: s.as_ref().is_some_and(|s| s.allow_private_networks),
        })?;
        match fetcher
            .get(&url, &crate::fetch::Validators::default())
            .await?
        {
            crate::fetch::Fetched::Body(p) => (p.body, p.content_type, p.url),
            crate::fetch::Fetched::NotModified => bail!("the server answered 304 Not Modified"),
        }
    } else {
        let bytes = std::fs::read(target)
            .with_context(|| format!("cannot read {target}; pass a URL or an HTML file"))?;
        let url = page_url.unwrap_or("https://example.invalid/");
        (
            bytes,
            None,
            url::Url::parse(url).with_context(|| format!("--url {url:?} is not a URL"))?,
        )
    };
    let rule = src.as_ref().and_then(|s| s.extract.clone());
    let encoding = src.as_ref().and_then(|s| s.encoding);
    let page = crate::extract::Page {
        bytes: &bytes,
        content_type: content_type.as_deref(),
        url: &url,
        encoding,
    };
    let ex = crate::extract::extract(&page, rule.as_ref())?;
    println!(
        "method: {:?}{}",
        ex.method,
        if ex.rule_missed {
            " (the source's rule matched nothing: it may be stale)"
        } else {
            ""
        }
    );
    println!(
        "encoding: {}   words: {}   link density: {:.2}",
        ex.encoding,
        ex.text.split_whitespace().count(),
        ex.link_density
    );
    if let Err(reason) =
        crate::extract::gate(&ex, "", "", src.as_ref().and_then(|s| s.lang.as_deref()))
    {
        println!("quality gate: would keep the feed's text ({reason})");
    }
    println!("metadata: {}", serde_json::to_string_pretty(&ex.meta)?);
    println!("\n{}", ex.text);
    Ok(ExitCode::SUCCESS)
}

fn curate(config: &Path, dry_run: bool) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let topic = crate::curate::Topic::new(&config.topic)?;
    let store = crate::store::Store::open(&config.service.database)?;
    let items = store.scorables()?;
    let mut stories: std::collections::BTreeMap<String, (bool, bool, String, f64)> =
        std::collections::BTreeMap::new();
    let mut updates = Vec::new();
    for it in &items {
        let source = config.sources.iter().find(|s| s.name == it.source);
        let (focus, force) = source.map(|s| (s.focus, s.curate)).unwrap_or_default();
        let a = topic.assess(&it.title, &it.text, it.lang.as_deref(), focus, force);
        let entry =
            stories
                .entry(it.story_uid.clone())
                .or_insert((false, false, it.title.clone(), 0.0));
        entry.0 |= it.relevant;
        entry.1 |= a.relevant;
        entry.3 = entry.3.max(a.score);
        if a.relevant != it.relevant || (a.score - it.score).abs() > 1e-9 {
            updates.push((
                it.id,
                a.score,
                a.relevant,
                a.topics.clone(),
                a.explanation_json(),
            ));
        }
    }
    let entering: Vec<_> = stories.values().filter(|s| !s.0 && s.1).collect();
    let leaving: Vec<_> = stories.values().filter(|s| s.0 && !s.1).collect();
    for (_, _, title, score) in &entering {
        println!("+ {score:>6.2}  {title}");
    }
    for (_, _, title, score) in &leaving {
        println!("- {score:>6.2}  {title}");
    }
    let curated = stories.values().filter(|s| s.1).count();
    println!(
        "\n{} articles re-scored with topic {:?} (threshold {}): {} stories would enter, {} would leave; {} of {} stories curated",
        items.len(),
        topic.name,
        topic.threshold,
        entering.len(),
        leaving.len(),
        curated,
        stories.len()
    );
    if dry_run {
        println!("dry run: nothing written; run `marsad curate` without --dry-run to apply");
    } else {
        store.update_scores(&updates)?;
        println!(
            "applied: {} articles updated; the feed is re-rendered on the next request or pass",
            updates.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Fetches the newest article of each source that has an `extract` rule and says whether the rule still matches.
async fn check_rules(path: &Path) -> anyhow::Result<ExitCode> {
    let config = load(path)?;
    let ctx = Context::new(config)?;
    let mut stale = 0;
    for source in ctx.config.enabled_sources().filter(|s| s.extract.is_some()) {
        let verdict = match rule_check(&ctx, source).await {
            Ok((url, true)) => format!("rule OK on {url}"),
            Ok((url, false)) => {
                stale += 1;
                format!(
                    "STALE: the extract rule matched nothing on {url}; update `extract` for this source (try `marsad extract {url}`)"
                )
            }
            Err(e) => format!("could not check: {e:#}"),
        };
        println!("{:<32} {verdict}", source.name);
    }
    Ok(if stale > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn rule_check(
    ctx: &Context,
    source: &crate::config::Source,
) -> anyhow::Result<(String, bool)> {
    let feed = match ctx
        .fetcher
        .get(&source.url, &crate::fetch::Validators::default())
        .await?
    {
        crate::fetch::Fetched::Body(p) => p,
        crate::fetch::Fetched::NotModified => bail!("the feed answered 304"),
    };
    let parsed = crate::parse::parse_feed(
        &feed.body,
        feed.content_type.as_deref(),
        Some(&feed.url),
        source.encoding,
    )?;
    let link = parsed
        .entries
        .iter()
        .find_map(|e| e.link.clone())
        .context("the feed has no article links")?;
    let url = url::Url::parse(&link)?;
    let page = match ctx
        .fetcher
        .get(&url, &crate::fetch::Validators::default())
        .await?
    {
        crate::fetch::Fetched::Body(p) => p,
        crate::fetch::Fetched::NotModified => bail!("the page answered 304"),
    };
    let rule = source.extract.clone();
    let encoding = source.encoding;
    let ex = tokio::task::spawn_blocking(move || {
        let p = crate::extract::Page {
            bytes: &page.body,
            content_type: page.content_type.as_deref(),
            url: &page.url,
            encoding,
        };
        crate::extract::extract(&p, rule.as_ref())
    })
    .await??;
    Ok((link, !ex.rule_missed))
}

fn parse_since(s: &str) -> anyhow::Result<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(d.timestamp());
    }
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| {
        format!("--since {s:?}: write a date as YYYY-MM-DD or RFC 3339 (2026-11-20T00:00:00Z)")
    })?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp())
        .unwrap_or(0))
}

fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        t.cancel();
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn fmt_time(ts: Option<i64>) -> String {
    ts.and_then(|t| chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0))
        .map(|d| d.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Prints the per-source summary table.
pub fn print_summary(reports: &[SourceReport]) {
    let width = reports
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 40);
    println!(
        "{:<width$}  {:<12} {:>7} {:>5} {:>7} {:>5} {:>8} {:>5} {:>6}  {:<9}  problem",
        "source",
        "status",
        "fetched",
        "new",
        "updated",
        "dup",
        "relevant",
        "full",
        "errors",
        "next"
    );
    let mut totals = [0usize; 7];
    for r in reports {
        let status = match r.status {
            Status::Ok => "ok",
            Status::NotModified => "not modified",
            Status::Failed => "FAILED",
            Status::Disabled => "disabled",
            Status::NotDue => "not due",
        };
        let errs =
            usize::from(r.error.is_some() && matches!(r.status, Status::Failed | Status::Disabled));
        let problem = r
            .error
            .clone()
            .or_else(|| r.warnings.first().map(|w| format!("warning: {w}")))
            .unwrap_or_default();
        let name: String = r.name.chars().take(width).collect();
        println!(
            "{:<width$}  {:<12} {:>7} {:>5} {:>7} {:>5} {:>8} {:>5} {:>6}  {:<9}  {}",
            name,
            status,
            r.fetched,
            r.new,
            r.updated,
            r.duplicates,
            r.relevant,
            r.full_text,
            errs,
            fmt_time(r.next_poll),
            problem
        );
        for (t, v) in totals.iter_mut().zip([
            r.fetched,
            r.new,
            r.updated,
            r.duplicates,
            r.relevant,
            r.full_text,
            errs,
        ]) {
            *t += v;
        }
    }
    println!(
        "{:<width$}  {:<12} {:>7} {:>5} {:>7} {:>5} {:>8} {:>5} {:>6}",
        "total", "", totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6]
    );
}

fn find_fixtures(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        if dir.is_dir() {
            return Ok(dir);
        }
        bail!("fixtures folder {} does not exist", dir.display());
    }
    for candidate in [
        PathBuf::from("fixtures/feeds"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds"),
    ] {
        if candidate.is_dir() {
            return Ok(candidate);
        }
    }
    bail!("no fixtures found; run `marsad demo` from the repository root or pass --fixtures DIR")
}

async fn demo(
    fixtures: Option<PathBuf>,
    listen: std::net::SocketAddr,
    once: bool,
) -> anyhow::Result<ExitCode> {
    let dir = find_fixtures(fixtures)?;
    // The fixture server serves the folder above feeds/ so article pages can sit beside the feeds.
    let root = dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.clone());
    let server = crate::demo::serve_fixtures(&root)
        .await
        .context("cannot start the fixture server")?;
    let files =
        crate::demo::feed_files(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let work = std::env::temp_dir().join(format!("marsad-demo-{}", std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    // Use the requested port when free, else any free one.
    let listen = match std::net::TcpListener::bind(listen) {
        Ok(l) => l.local_addr().unwrap_or(listen),
        Err(_) => std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let config_path = crate::demo::write_demo_config(&work, &server.base(), &files, listen)?;
    println!(
        "fixtures served at {} ({} feeds from {})",
        server.base(),
        files.len(),
        dir.display()
    );
    println!("configuration: {}\n", config_path.display());
    let config = Config::load(&config_path)?;
    let ctx = Context::new(config.clone())?;
    let reports = pipeline::poll_sources(&ctx, Selection::All).await?;
    let publisher = ctx.publisher();
    let rendered = publisher.refresh(true).await?;
    print_summary(&reports);
    if let Some(file) = &ctx.config.output.file {
        println!(
            "\nAtom feed, curated ({} stories): {}",
            rendered.entries,
            file.display()
        );
        println!(
            "Atom feed, all stories ({}): {}",
            rendered.all_entries,
            crate::publish::all_path(file).display()
        );
        println!(
            "RSS feeds: {} and {}",
            crate::publish::rss_path(file).display(),
            crate::publish::rss_path(&crate::publish::all_path(file)).display()
        );
    }
    if once {
        return Ok(ExitCode::SUCCESS);
    }
    let listener = crate::publish::bind(listen).await?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    println!(
        "\nserving http://{bound}/feed.atom (curated), http://{bound}/feed/all.atom (all stories) and their .rss twins; press Ctrl-C to stop"
    );
    let token = shutdown_on_signal();
    crate::publish::serve(publisher, listener, async move { token.cancelled().await })
        .await
        .context("HTTP server failed")?;
    drop(server);
    Ok(ExitCode::SUCCESS)
}
