//! SQLite storage: sources with their health, and articles.
//!
//! WAL mode, versioned migrations through `PRAGMA user_version`, and every
//! source pass written in one transaction, so a process killed at any moment
//! leaves either the whole pass or none of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use serde::Serialize;

use crate::dedup::{Candidate, Fingerprint};

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    // 1: sources, stories (clusters of articles), articles, and the LSH index.
    r#"
    CREATE TABLE sources (
        id                   INTEGER PRIMARY KEY,
        name                 TEXT NOT NULL UNIQUE,
        url                  TEXT NOT NULL,
        etag                 TEXT,
        last_modified        TEXT,
        feed_title           TEXT,
        last_attempt         INTEGER,
        last_success         INTEGER,
        last_error           TEXT,
        last_error_at        INTEGER,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_poll            INTEGER,
        disabled_reason      TEXT,
        moved_to             TEXT
    ) STRICT;
    CREATE TABLE stories (
        id        INTEGER PRIMARY KEY,
        uid       TEXT NOT NULL UNIQUE,
        time      INTEGER NOT NULL,
        changed   INTEGER NOT NULL,
        relevant  INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX stories_by_time ON stories (time DESC);
    CREATE INDEX stories_relevant ON stories (relevant, time DESC);
    CREATE TABLE articles (
        id            INTEGER PRIMARY KEY,
        uid           TEXT NOT NULL UNIQUE,
        source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        story_id      INTEGER REFERENCES stories(id),
        entry_key     TEXT NOT NULL,
        guid          TEXT,
        url           TEXT,
        canonical_url TEXT,
        title         TEXT NOT NULL,
        summary       TEXT,
        content       TEXT,
        author        TEXT,
        categories    TEXT NOT NULL DEFAULT '[]',
        lang          TEXT,
        published     INTEGER,
        updated       INTEGER,
        fetched       INTEGER NOT NULL,
        changed       INTEGER NOT NULL,
        content_hash  TEXT NOT NULL,
        text          TEXT NOT NULL DEFAULT '',
        body_hash     INTEGER,
        shingles      BLOB NOT NULL DEFAULT x'',
        title_hashes  BLOB NOT NULL DEFAULT x'',
        score         REAL NOT NULL DEFAULT 0,
        relevant      INTEGER NOT NULL DEFAULT 0,
        topics        TEXT NOT NULL DEFAULT '[]',
        explanation   TEXT NOT NULL DEFAULT '{}',
        UNIQUE (source_id, entry_key)
    ) STRICT;
    CREATE INDEX articles_by_time ON articles (coalesce(published, fetched) DESC);
    CREATE INDEX articles_by_changed ON articles (changed);
    CREATE INDEX articles_story ON articles (story_id);
    CREATE INDEX articles_canonical ON articles (canonical_url);
    CREATE INDEX articles_body_hash ON articles (body_hash);
    CREATE INDEX articles_url ON articles (url);
    CREATE TABLE lsh (
        hash       INTEGER NOT NULL,
        time       INTEGER NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX lsh_lookup ON lsh (hash, time);
    CREATE INDEX lsh_article ON lsh (article_id);
    "#,
    // 2: full-text extraction.
    r#"
    ALTER TABLE articles ADD COLUMN html TEXT;
    ALTER TABLE articles ADD COLUMN image TEXT;
    ALTER TABLE articles ADD COLUMN site_name TEXT;
    ALTER TABLE articles ADD COLUMN extraction TEXT NOT NULL DEFAULT '{}';
    "#,
    // 3: a generation counter bumped by every write that can change what is published.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
    INSERT INTO meta (key, value) VALUES ('generation', 0);
    "#,
    // 4: content-word hashes, the second near-duplicate signal (rewrites of one dispatch).
    r#"
    ALTER TABLE articles ADD COLUMN words BLOB NOT NULL DEFAULT x'';
    "#,
    // 5: lead fingerprints (the body's first content words), for the same-story
    // decision and a third LSH family. Older articles keep them empty and are
    // judged without them.
    r#"
    ALTER TABLE articles ADD COLUMN lead_words BLOB NOT NULL DEFAULT x'';
    "#,
];

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The database folder could not be created.
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was written by a newer marsad.
    #[error(
        "database {path} has schema version {found}, newer than this marsad knows ({known}); upgrade marsad or point `database` at another file"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A source named in a call is not in the database.
    #[error("unknown source {0:?}")]
    UnknownSource(String),
}

/// What the scheduler needs to know about a source.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceState {
    /// Source name.
    pub name: String,
    /// Feed URL.
    pub url: String,
    /// ETag from the last 200.
    pub etag: Option<String>,
    /// Last-Modified from the last 200.
    pub last_modified: Option<String>,
    /// Unix time of the last attempt.
    pub last_attempt: Option<i64>,
    /// Unix time of the last success (200 or 304).
    pub last_success: Option<i64>,
    /// Last error message.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// Unix time the source is due.
    pub next_poll: Option<i64>,
    /// Set when the source stopped being polled (410 Gone), with the reason.
    pub disabled_reason: Option<String>,
    /// Where a permanent redirect pointed.
    pub moved_to: Option<String>,
}

/// An entry ready to be stored, with what dedup and curation made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArticle {
    /// Identity within the source: `guid:…`, `link:…` or `hash:…`.
    pub entry_key: String,
    /// GUID as published.
    pub guid: Option<String>,
    /// Article URL.
    pub url: Option<String>,
    /// Canonical form of the URL (exact duplicates across sources).
    pub canonical_url: Option<String>,
    /// Title.
    pub title: String,
    /// Summary HTML.
    pub summary: Option<String>,
    /// Content HTML.
    pub content: Option<String>,
    /// Authors, comma separated.
    pub author: Option<String>,
    /// Category terms from the feed.
    pub categories: Vec<String>,
    /// Language tag.
    pub lang: Option<String>,
    /// Unix time published.
    pub published: Option<i64>,
    /// Unix time updated.
    pub updated: Option<i64>,
    /// Hash of what the reader sees (title, summary, content); a change means an edit.
    pub content_hash: String,
    /// Plain text of the body.
    pub text: String,
    /// Dedup fingerprint.
    pub fingerprint: Fingerprint,
    /// Relevance score for the topic.
    pub score: f64,
    /// Whether the article enters the curated feed.
    pub relevant: bool,
    /// Sub-topics (Atom categories).
    pub topics: Vec<String>,
    /// The score's explanation (JSON).
    pub explanation: String,
    /// The extracted body HTML, when the page was fetched and extraction passed its gate.
    pub html: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
    /// The outlet's name as the page gives it.
    pub site_name: Option<String>,
    /// How the body was obtained (JSON: method, quality figures, reason).
    pub extraction: String,
}

/// A stored article, as published and exported.
#[derive(Debug, Clone, Serialize)]
pub struct Article {
    /// Row id.
    pub id: i64,
    /// Stable public id of this article.
    pub uid: String,
    /// The id of its story (the Atom entry id).
    pub story_uid: String,
    /// Source name.
    pub source: String,
    /// Source feed URL.
    pub source_url: String,
    /// Source feed title, if known.
    pub source_title: Option<String>,
    /// Article URL.
    pub url: Option<String>,
    /// Canonical URL.
    pub canonical_url: Option<String>,
    /// GUID as published.
    pub guid: Option<String>,
    /// Title.
    pub title: String,
    /// Summary HTML.
    pub summary: Option<String>,
    /// Content HTML.
    pub content: Option<String>,
    /// Authors.
    pub author: Option<String>,
    /// Category terms from the feed.
    pub categories: Vec<String>,
    /// Language tag.
    pub lang: Option<String>,
    /// Unix time published, if the feed said.
    pub published: Option<i64>,
    /// Unix time of the last visible change.
    pub updated: i64,
    /// Unix time first stored.
    pub fetched: i64,
    /// Plain text.
    pub text: String,
    /// Relevance score.
    pub score: f64,
    /// In the curated feed.
    pub relevant: bool,
    /// Sub-topics.
    pub topics: Vec<String>,
    /// The score's explanation (JSON).
    pub explanation: String,
    /// The extracted body HTML.
    pub html: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
    /// The outlet's name as the page gives it.
    pub site_name: Option<String>,
    /// How the body was obtained (JSON).
    pub extraction: String,
}

/// A story: one or more articles about the same news item, published as one entry.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    /// Stable id (the Atom entry id): the uid of its first article.
    pub uid: String,
    /// Unix time of the last change (a new copy, an edit).
    pub changed: i64,
    /// Whether any member is relevant.
    pub relevant: bool,
    /// Members, the representative first (fullest body, then earliest).
    pub articles: Vec<Article>,
}

/// Counts from storing one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stored {
    /// Entries not seen before.
    pub new: usize,
    /// Entries seen before whose text changed.
    pub updated: usize,
    /// Entries seen before, unchanged.
    pub unchanged: usize,
    /// New entries that joined an existing story (duplicates).
    pub duplicates: usize,
    /// New entries that are relevant for the topic.
    pub relevant: usize,
}

/// Decides which existing story, if any, a new article belongs to.
pub type Decide<'a> = &'a dyn Fn(&NewArticle, &str, i64, &[Candidate]) -> Option<i64>;

/// An article's text and scoring fields, for re-scoring (`marsad curate`).
#[derive(Debug, Clone)]
pub struct Scorable {
    /// Row id.
    pub id: i64,
    /// Its story uid.
    pub story_uid: String,
    /// Source name.
    pub source: String,
    /// URL.
    pub url: Option<String>,
    /// Title.
    pub title: String,
    /// Plain text.
    pub text: String,
    /// Language.
    pub lang: Option<String>,
    /// Current score.
    pub score: f64,
    /// Currently relevant.
    pub relevant: bool,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn blob(hashes: &[u32]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.to_le_bytes()).collect()
}

fn unblob(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let err = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        migrate(&mut conn, path)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        match self.conn.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Makes the sources table match the configuration: new names are added;
    /// a changed URL resets the validators, the backoff and a 410 disablement.
    pub fn sync_sources<'a>(
        &self,
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        for (name, url) in sources {
            let existing: Option<String> = tx
                .query_row("SELECT url FROM sources WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| self.err(e))?;
            match existing {
                None => {
                    tx.execute(
                        "INSERT INTO sources (name, url) VALUES (?1, ?2)",
                        params![name, url],
                    )
                    .map_err(|e| self.err(e))?;
                }
                Some(old) if old != url => {
                    tx.execute(
                        "UPDATE sources SET url = ?2, etag = NULL, last_modified = NULL, consecutive_failures = 0,
                         next_poll = NULL, disabled_reason = NULL, moved_to = NULL WHERE name = ?1",
                        params![name, url],
                    )
                    .map_err(|e| self.err(e))?;
                }
                Some(_) => {}
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// The state of one source.
    pub fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        let conn = self.lock();
        conn.query_row(
            &format!("{SOURCE_SELECT} WHERE name = ?1"),
            [name],
            source_row,
        )
        .optional()
        .map_err(|e| self.err(e))?
        .ok_or_else(|| StoreError::UnknownSource(name.to_string()))
    }

    /// The state of every source.
    pub fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("{SOURCE_SELECT} ORDER BY name"))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], source_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Stores a successful pass (200) in one transaction: the entries, their
    /// stories, and the source's health. `decide` picks the story of each new
    /// article among the candidates the LSH index returns.
    #[allow(clippy::too_many_arguments)]
    pub fn record_success(
        &self,
        source: &str,
        validators: (Option<&str>, Option<&str>),
        feed_title: Option<&str>,
        moved_to: Option<&str>,
        entries: &[NewArticle],
        next_poll: i64,
        decide: Decide<'_>,
    ) -> Result<Stored, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let t = now();
        let source_id = source_id(&tx, source)
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::UnknownSource(source.into()))?;
        let mut stored = Stored::default();
        for a in entries {
            match upsert(&tx, source_id, source, a, t, decide).map_err(|e| self.err(e))? {
                Upsert::New { joined } => {
                    stored.new += 1;
                    stored.duplicates += usize::from(joined);
                    stored.relevant += usize::from(a.relevant);
                }
                Upsert::Updated => stored.updated += 1,
                Upsert::Unchanged => stored.unchanged += 1,
            }
        }
        tx.execute(
            "UPDATE sources SET etag = ?2, last_modified = ?3, feed_title = coalesce(?4, feed_title), last_attempt = ?5,
             last_success = ?5, last_error = NULL, consecutive_failures = 0, next_poll = ?6, moved_to = ?7 WHERE id = ?1",
            params![source_id, validators.0, validators.1, feed_title, t, next_poll, moved_to],
        )
        .map_err(|e| self.err(e))?;
        if stored.new + stored.updated > 0 {
            bump_generation(&tx).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(stored)
    }

    /// Records a `304 Not Modified`.
    pub fn record_not_modified(&self, source: &str, next_poll: i64) -> Result<(), StoreError> {
        let conn = self.lock();
        let t = now();
        conn.execute(
            "UPDATE sources SET last_attempt = ?2, last_success = ?2, last_error = NULL, consecutive_failures = 0,
             next_poll = ?3 WHERE name = ?1",
            params![source, t, next_poll],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Records a failure; `disable` stops polling the source (410 Gone). Returns the failures in a row.
    pub fn record_failure(
        &self,
        source: &str,
        error: &str,
        next_poll: i64,
        disable: Option<&str>,
    ) -> Result<u32, StoreError> {
        let conn = self.lock();
        let t = now();
        conn.query_row(
            "UPDATE sources SET last_attempt = ?2, last_error = ?3, last_error_at = ?2,
             consecutive_failures = consecutive_failures + 1, next_poll = ?4,
             disabled_reason = coalesce(?5, disabled_reason) WHERE name = ?1 RETURNING consecutive_failures",
            params![source, t, error, next_poll, disable],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(|e| self.err(e))?
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .ok_or_else(|| StoreError::UnknownSource(source.into()))
    }

    /// The content hash stored for each of `keys` already known for `source`.
    pub fn known_entries(
        &self,
        source: &str,
        keys: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT a.content_hash FROM articles a JOIN sources s ON s.id = a.source_id WHERE s.name = ?1 AND a.entry_key = ?2",
            )
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for k in keys {
            if let Some(h) = stmt
                .query_row(params![source, k], |r| r.get::<_, String>(0))
                .optional()
                .map_err(|e| self.err(e))?
            {
                out.insert(k.clone(), h);
            }
        }
        Ok(out)
    }

    /// The newest stories, newest first; only relevant ones when `curated`.
    pub fn latest_stories(&self, limit: usize, curated: bool) -> Result<Vec<Story>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT id, uid, changed, relevant FROM stories WHERE relevant >= ?1 ORDER BY time DESC, id DESC LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let heads: Vec<(i64, String, i64, bool)> = stmt
            .query_map(
                params![i64::from(curated), i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0)),
            )
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut members = conn
            .prepare(&format!(
                "{ARTICLE_SELECT} WHERE a.story_id = ?1 ORDER BY length(a.text) DESC, a.fetched, a.id"
            ))
            .map_err(|e| self.err(e))?;
        let mut stories = Vec::with_capacity(heads.len());
        for (id, uid, changed, relevant) in heads {
            let articles = members
                .query_map([id], article_row)
                .map_err(|e| self.err(e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.err(e))?;
            stories.push(Story {
                uid,
                changed,
                relevant,
                articles,
            });
        }
        Ok(stories)
    }

    /// Every stored article with the other copies of its story (`(source, url)`),
    /// oldest first, from `since` on (by publication, else first sight).
    pub fn for_each_article(
        &self,
        since: Option<i64>,
        mut f: impl FnMut(Article, Vec<(String, Option<String>)>) -> std::io::Result<()>,
    ) -> Result<usize, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "{ARTICLE_SELECT} WHERE coalesce(a.published, a.fetched) >= ?1 ORDER BY coalesce(a.published, a.fetched), a.id"
            ))
            .map_err(|e| self.err(e))?;
        let mut dups = conn.prepare(DUPLICATES_SQL).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since.unwrap_or(i64::MIN)], article_row)
            .map_err(|e| self.err(e))?;
        let mut n = 0;
        for row in rows {
            let article = row.map_err(|e| self.err(e))?;
            let others = dups
                .query_map([article.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.err(e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.err(e))?;
            if f(article, others).is_err() {
                break; // e.g. a closed pipe: stop quietly
            }
            n += 1;
        }
        Ok(n)
    }

    /// The other members of an article's story: `(source, url)`.
    pub fn duplicates_of(
        &self,
        article_id: i64,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(DUPLICATES_SQL).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([article_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Finds stored articles by URL (as published or canonical).
    pub fn find_by_url(
        &self,
        url: &str,
        canonical: Option<&str>,
    ) -> Result<Vec<Article>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "{ARTICLE_SELECT} WHERE a.url = ?1 OR a.canonical_url = ?2 ORDER BY a.id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![url, canonical.unwrap_or(url)], article_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Every article's scoring inputs, for re-scoring.
    pub fn scorables(&self) -> Result<Vec<Scorable>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT a.id, st.uid, s.name, a.url, a.title, a.text, a.lang, a.score, a.relevant
                 FROM articles a JOIN sources s ON s.id = a.source_id JOIN stories st ON st.id = a.story_id ORDER BY a.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Scorable {
                    id: r.get(0)?,
                    story_uid: r.get(1)?,
                    source: r.get(2)?,
                    url: r.get(3)?,
                    title: r.get(4)?,
                    text: r.get(5)?,
                    lang: r.get(6)?,
                    score: r.get(7)?,
                    relevant: r.get::<_, i64>(8)? != 0,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Writes new scores (one transaction) and refreshes the stories they touch.
    pub fn update_scores(
        &self,
        scores: &[(i64, f64, bool, Vec<String>, String)],
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let t = now();
        for (id, score, relevant, topics, explanation) in scores {
            let story: i64 = tx
                .query_row(
                    "UPDATE articles SET score = ?2, relevant = ?3, topics = ?4, explanation = ?5 WHERE id = ?1 RETURNING story_id",
                    params![id, score, i64::from(*relevant), serde_json::to_string(topics).unwrap_or_default(), explanation],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(e))?;
            let before: i64 = tx
                .query_row("SELECT relevant FROM stories WHERE id = ?1", [story], |r| {
                    r.get(0)
                })
                .map_err(|e| self.err(e))?;
            refresh_story(&tx, story, None).map_err(|e| self.err(e))?;
            let after: i64 = tx
                .query_row("SELECT relevant FROM stories WHERE id = ?1", [story], |r| {
                    r.get(0)
                })
                .map_err(|e| self.err(e))?;
            // A story entering or leaving the curated feed is a visible change.
            if after != before {
                refresh_story(&tx, story, Some(t)).map_err(|e| self.err(e))?;
            }
        }
        bump_generation(&tx).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Drops the LSH rows of articles both dated and fetched before `before`
    /// (Unix seconds), so the near-duplicate index holds recent articles only
    /// and stops growing with the archive. The articles themselves, and exact
    /// duplicate detection, are untouched. Returns how many rows went. Old
    /// articles are found by id, which grows with time, and rows go in
    /// batches of 10,000 (one short transaction each), so a first run over a
    /// large backlog never holds the database for long.
    pub fn prune_index(&self, before: i64) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let conn = self.lock();
            let n = conn
                .execute(
                    "DELETE FROM lsh WHERE rowid IN (
                       SELECT rowid FROM lsh WHERE time < ?1 AND article_id <=
                         (SELECT id FROM articles WHERE fetched < ?1 ORDER BY id DESC LIMIT 1)
                       LIMIT 10000)",
                    [before],
                )
                .map_err(|e| self.err(e))?;
            drop(conn);
            total += n;
            if n < 10_000 {
                return Ok(total);
            }
        }
    }

    /// Changes whenever anything published may have changed (for caching the rendered feed):
    /// the write generation and the number of articles.
    pub fn stamp(&self) -> Result<(i64, i64), StoreError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT (SELECT value FROM meta WHERE key = 'generation'), (SELECT count(*) FROM articles)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| self.err(e))
    }

    /// Counts of articles and stories.
    pub fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM stories), (SELECT count(*) FROM stories WHERE relevant = 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| self.err(e))
    }

    /// Runs SQLite's integrity check; `Ok("ok")` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let conn = self.lock();
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(err)?;
        tx.commit().map_err(err)?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

const DUPLICATES_SQL: &str = "SELECT s.name, b.url FROM articles a
    JOIN articles b ON b.story_id = a.story_id AND b.id != a.id
    JOIN sources s ON s.id = b.source_id WHERE a.id = ?1 ORDER BY b.fetched, b.id";

const SOURCE_SELECT: &str =
    "SELECT name, url, etag, last_modified, last_attempt, last_success, last_error,
    consecutive_failures, next_poll, disabled_reason, moved_to FROM sources";

fn source_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceState> {
    Ok(SourceState {
        name: r.get(0)?,
        url: r.get(1)?,
        etag: r.get(2)?,
        last_modified: r.get(3)?,
        last_attempt: r.get(4)?,
        last_success: r.get(5)?,
        last_error: r.get(6)?,
        consecutive_failures: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
        next_poll: r.get(8)?,
        disabled_reason: r.get(9)?,
        moved_to: r.get(10)?,
    })
}

const ARTICLE_SELECT: &str = "SELECT a.id, a.uid, st.uid, s.name, s.url, s.feed_title, a.url, a.canonical_url, a.guid,
    a.title, a.summary, a.content, a.author, a.categories, a.lang, a.published,
    coalesce(a.updated, a.published, a.fetched), a.fetched, a.text, a.score, a.relevant, a.topics, a.explanation,
    a.html, a.image, a.site_name, a.extraction
    FROM articles a JOIN sources s ON s.id = a.source_id JOIN stories st ON st.id = a.story_id";

fn article_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Article> {
    let categories: String = r.get(13)?;
    let topics: String = r.get(21)?;
    Ok(Article {
        id: r.get(0)?,
        uid: r.get(1)?,
        story_uid: r.get(2)?,
        source: r.get(3)?,
        source_url: r.get(4)?,
        source_title: r.get(5)?,
        url: r.get(6)?,
        canonical_url: r.get(7)?,
        guid: r.get(8)?,
        title: r.get(9)?,
        summary: r.get(10)?,
        content: r.get(11)?,
        author: r.get(12)?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        lang: r.get(14)?,
        published: r.get(15)?,
        updated: r.get(16)?,
        fetched: r.get(17)?,
        text: r.get(18)?,
        score: r.get(19)?,
        relevant: r.get::<_, i64>(20)? != 0,
        topics: serde_json::from_str(&topics).unwrap_or_default(),
        explanation: r.get(22)?,
        html: r.get(23)?,
        image: r.get(24)?,
        site_name: r.get(25)?,
        extraction: r.get(26)?,
    })
}

fn source_id(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<Option<i64>> {
    tx.query_row("SELECT id FROM sources WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
}

enum Upsert {
    New { joined: bool },
    Updated,
    Unchanged,
}

/// The public id of an entry: fixed when first stored, never recomputed.
fn make_uid(source: &str, entry_key: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(format!("{source}\u{1f}{entry_key}").as_bytes());
    format!("urn:marsad:entry:{h:032x}")
}

fn bump_generation(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
        [],
    )?;
    Ok(())
}

/// Recomputes a story's time and relevance; `changed` marks a visible change.
fn refresh_story(tx: &Transaction<'_>, story: i64, changed: Option<i64>) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE stories SET
           time = coalesce((SELECT max(coalesce(published, fetched)) FROM articles WHERE story_id = ?1), time),
           relevant = coalesce((SELECT max(relevant) FROM articles WHERE story_id = ?1), 0),
           changed = max(changed, coalesce(?2, changed))
         WHERE id = ?1",
        params![story, changed],
    )?;
    Ok(())
}

/// Finds the story of a new article: an exact copy (same canonical URL or
/// body), else a near-duplicate among the LSH candidates, chosen by `decide`.
fn find_story(
    tx: &Transaction<'_>,
    id: i64,
    source: &str,
    a: &NewArticle,
    time: i64,
    decide: Decide<'_>,
) -> rusqlite::Result<Option<i64>> {
    if let Some(url) = &a.canonical_url {
        let hit: Option<i64> = tx
            .query_row(
                "SELECT story_id FROM articles WHERE canonical_url = ?1 AND id != ?2 AND story_id IS NOT NULL LIMIT 1",
                params![url, id],
                |r| r.get(0),
            )
            .optional()?;
        if hit.is_some() {
            return Ok(hit);
        }
    }
    if let Some(h) = a.fingerprint.body_hash {
        let hit: Option<i64> = tx
            .query_row(
                "SELECT story_id FROM articles WHERE body_hash = ?1 AND id != ?2 AND story_id IS NOT NULL LIMIT 1",
                params![h, id],
                |r| r.get(0),
            )
            .optional()?;
        if hit.is_some() {
            return Ok(hit);
        }
    }
    if a.fingerprint.bands.is_empty() {
        return Ok(None);
    }
    let window = crate::dedup::WINDOW_SECS;
    let placeholders = vec!["?"; a.fingerprint.bands.len()].join(",");
    let sql = format!(
        "SELECT a.id, a.story_id, s.name, a.shingles, a.title_hashes, coalesce(a.published, a.fetched), a.words,
                a.lead_words
         FROM articles a JOIN sources s ON s.id = a.source_id
         WHERE a.id IN (SELECT article_id FROM lsh WHERE hash IN ({placeholders}) AND time BETWEEN ? AND ?
                        GROUP BY article_id ORDER BY count(*) DESC LIMIT {MAX_CANDIDATES})
           AND a.id != ? AND a.story_id IS NOT NULL"
    );
    let mut args: Vec<i64> = a.fingerprint.bands.clone();
    args.extend([time - window, time + window, id]);
    let mut stmt = tx.prepare_cached(&sql)?;
    let candidates = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            Ok(Candidate {
                story: r.get(1)?,
                source: r.get(2)?,
                shingles: unblob(&r.get::<_, Vec<u8>>(3)?),
                title: unblob(&r.get::<_, Vec<u8>>(4)?),
                time: r.get(5)?,
                words: unblob(&r.get::<_, Vec<u8>>(6)?),
                lead_words: unblob(&r.get::<_, Vec<u8>>(7)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(decide(a, source, time, &candidates))
}

/// The most candidates verified for one new article: those sharing the most
/// bands. A burst of look-alike texts (templated reports) cannot make a lookup
/// read more than this many fingerprints.
const MAX_CANDIDATES: usize = 64;

fn index_bands(tx: &Transaction<'_>, id: i64, bands: &[i64], time: i64) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM lsh WHERE article_id = ?1", [id])?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO lsh (hash, time, article_id) VALUES (?1, ?2, ?3)")?;
    for b in bands {
        stmt.execute(params![b, time, id])?;
    }
    Ok(())
}

fn upsert(
    tx: &Transaction<'_>,
    source_id: i64,
    source: &str,
    a: &NewArticle,
    t: i64,
    decide: Decide<'_>,
) -> rusqlite::Result<Upsert> {
    let existing: Option<(i64, String, Option<i64>)> = tx
        .query_row(
            "SELECT id, content_hash, story_id FROM articles WHERE source_id = ?1 AND entry_key = ?2",
            params![source_id, a.entry_key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let categories = serde_json::to_string(&a.categories).unwrap_or_else(|_| "[]".into());
    let topics = serde_json::to_string(&a.topics).unwrap_or_else(|_| "[]".into());
    // A date in the future is a time-zone bug at the source: do not let it pin the entry to the top.
    let published = a.published.map(|p| p.min(t));
    let time = published.unwrap_or(t);
    match existing {
        None => {
            let uid = make_uid(source, &a.entry_key);
            tx.execute(
                "INSERT INTO articles (uid, source_id, entry_key, guid, url, canonical_url, title, summary, content, author,
                 categories, lang, published, updated, fetched, changed, content_hash, text, body_hash, shingles, title_hashes,
                 score, relevant, topics, explanation, html, image, site_name, extraction)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17, ?18, ?19, ?20,
                         ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
                params![
                    uid,
                    source_id,
                    a.entry_key,
                    a.guid,
                    a.url,
                    a.canonical_url,
                    a.title,
                    a.summary,
                    a.content,
                    a.author,
                    categories,
                    a.lang,
                    published,
                    a.updated.map(|u| u.min(t)),
                    t,
                    a.content_hash,
                    a.text,
                    a.fingerprint.body_hash,
                    blob(&a.fingerprint.shingles),
                    blob(&a.fingerprint.title),
                    a.score,
                    i64::from(a.relevant),
                    topics,
                    a.explanation,
                    a.html,
                    a.image,
                    a.site_name,
                    a.extraction
                ],
            )?;
            let id = tx.last_insert_rowid();
            let found = find_story(tx, id, source, a, time, decide)?;
            let story = match found {
                Some(s) => s,
                None => {
                    tx.execute(
                        "INSERT INTO stories (uid, time, changed, relevant) VALUES (?1, ?2, ?3, ?4)",
                        params![uid, time, t, i64::from(a.relevant)],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            tx.execute(
                "UPDATE articles SET story_id = ?2, words = ?3, lead_words = ?4 WHERE id = ?1",
                params![
                    id,
                    story,
                    blob(&a.fingerprint.words),
                    blob(&a.fingerprint.lead_words)
                ],
            )?;
            index_bands(tx, id, &a.fingerprint.bands, time)?;
            refresh_story(tx, story, Some(t))?;
            Ok(Upsert::New {
                joined: found.is_some(),
            })
        }
        Some((_, hash, _)) if hash == a.content_hash => Ok(Upsert::Unchanged),
        Some((id, _, story)) => {
            tx.execute(
                "UPDATE articles SET url = ?2, canonical_url = ?3, title = ?4, summary = ?5, content = ?6, author = ?7,
                 categories = ?8, lang = ?9, updated = max(?10, coalesce(updated, 0)), changed = ?10, content_hash = ?11,
                 text = ?12, body_hash = ?13, shingles = ?14, title_hashes = ?15, score = ?16, relevant = ?17,
                 topics = ?18, explanation = ?19, html = ?20, image = coalesce(?21, image),
                 site_name = coalesce(?22, site_name), extraction = ?23, words = ?24,
                 lead_words = ?25 WHERE id = ?1",
                params![
                    id,
                    a.url,
                    a.canonical_url,
                    a.title,
                    a.summary,
                    a.content,
                    a.author,
                    categories,
                    a.lang,
                    t,
                    a.content_hash,
                    a.text,
                    a.fingerprint.body_hash,
                    blob(&a.fingerprint.shingles),
                    blob(&a.fingerprint.title),
                    a.score,
                    i64::from(a.relevant),
                    topics,
                    a.explanation,
                    a.html,
                    a.image,
                    a.site_name,
                    a.extraction,
                    blob(&a.fingerprint.words),
                    blob(&a.fingerprint.lead_words)
                ],
            )?;
            index_bands(tx, id, &a.fingerprint.bands, time)?;
            if let Some(story) = story {
                refresh_story(tx, story, Some(t))?;
            }
            Ok(Upsert::Updated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup;

    fn article(key: &str, title: &str, body: &str) -> NewArticle {
        NewArticle {
            entry_key: key.into(),
            guid: None,
            url: Some(format!("https://alwasat.ly/news/{key}")),
            canonical_url: dedup::canonical_url(&format!("https://alwasat.ly/news/{key}")),
            title: title.into(),
            summary: None,
            content: None,
            author: None,
            categories: vec!["أمن".into()],
            lang: Some("ar".into()),
            published: Some(1_700_000_000),
            updated: None,
            content_hash: format!(
                "{:x}",
                xxhash_rust::xxh3::xxh3_64(format!("{title}{body}").as_bytes())
            ),
            text: body.into(),
            fingerprint: dedup::fingerprint(title, body, Some("ar")),
            score: 0.0,
            relevant: false,
            topics: vec![],
            explanation: "{}".into(),
            html: None,
            image: None,
            site_name: None,
            extraction: "{}".into(),
        }
    }

    fn decide(a: &NewArticle, source: &str, time: i64, c: &[Candidate]) -> Option<i64> {
        dedup::choose_story(&a.fingerprint, source, time, c).map(|(s, _)| s)
    }

    #[test]
    fn edits_update_in_place_and_ids_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("sub/m.db")).expect("open");
        store
            .sync_sources([("الوسط", "https://alwasat.ly/rss")])
            .expect("sync");
        let a = article("guid:1", "اشتباكات في طرابلس", "نص");
        let s = store
            .record_success(
                "الوسط",
                (None, None),
                None,
                None,
                std::slice::from_ref(&a),
                0,
                &decide,
            )
            .expect("store");
        assert_eq!((s.new, s.updated, s.unchanged), (1, 0, 0));
        let uid = store.latest_stories(10, false).expect("latest")[0]
            .uid
            .clone();
        let s = store
            .record_success("الوسط", (None, None), None, None, &[a], 0, &decide)
            .expect("store");
        assert_eq!(s.unchanged, 1);
        let edited = article("guid:1", "اشتباكات عنيفة في طرابلس", "نص");
        let s = store
            .record_success("الوسط", (None, None), None, None, &[edited], 0, &decide)
            .expect("store");
        assert_eq!(s.updated, 1);
        let all = store.latest_stories(10, false).expect("latest");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].uid, uid);
        assert_eq!(all[0].articles[0].title, "اشتباكات عنيفة في طرابلس");
        assert_eq!(all[0].articles[0].categories, vec!["أمن".to_string()]);
    }

    #[test]
    fn the_stamp_changes_with_every_published_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("m.db")).expect("open");
        store.sync_sources([("A", "https://a.ly/")]).expect("sync");
        let a = article("guid:1", "اشتباكات", "نص");
        store
            .record_success(
                "A",
                (None, None),
                None,
                None,
                std::slice::from_ref(&a),
                0,
                &decide,
            )
            .expect("store");
        let s1 = store.stamp().expect("stamp");
        // An edit within the same second must still be seen.
        let edited = article("guid:1", "اشتباكات عنيفة", "نص");
        store
            .record_success("A", (None, None), None, None, &[edited], 0, &decide)
            .expect("store");
        let s2 = store.stamp().expect("stamp");
        assert_ne!(s1, s2);
        // Re-scoring that moves a story into the curated feed is seen too.
        let id = store.scorables().expect("scorables")[0].id;
        store
            .update_scores(&[(id, 5.0, true, vec![], "{}".into())])
            .expect("scores");
        assert_ne!(store.stamp().expect("stamp"), s2);
        assert_eq!(store.counts().expect("counts").2, 1);
        // A pass that changes nothing leaves it alone.
        let s3 = store.stamp().expect("stamp");
        store.record_not_modified("A", 0).expect("304");
        assert_eq!(store.stamp().expect("stamp"), s3);
    }

    #[test]
    fn reopening_keeps_schema_and_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        {
            let store = Store::open(&path).expect("open");
            store.sync_sources([("a", "https://a.ly/")]).expect("sync");
            store
                .record_failure("a", "HTTP 500", 5, None)
                .expect("fail");
            assert_eq!(
                store
                    .record_failure("a", "HTTP 500", 5, None)
                    .expect("fail"),
                2
            );
        }
        let store = Store::open(&path).expect("reopen");
        assert_eq!(
            store.source_state("a").expect("state").consecutive_failures,
            2
        );
        // A changed URL starts the source afresh.
        store
            .sync_sources([("a", "https://a.ly/feed")])
            .expect("sync");
        assert_eq!(
            store.source_state("a").expect("state").consecutive_failures,
            0
        );
        assert_eq!(store.integrity_check().expect("check"), "ok");
    }

    #[test]
    fn an_archive_of_the_previous_schema_upgrades_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        {
            // What the previous release left: schema version 3 and a source in it.
            let conn = Connection::open(&path).expect("open");
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).expect("old migration");
            }
            conn.pragma_update(None, "user_version", 3)
                .expect("version");
            conn.execute(
                "INSERT INTO sources (name, url) VALUES ('a', 'https://a.ly/')",
                [],
            )
            .expect("source");
        }
        let store = Store::open(&path).expect("upgrade");
        let conn = store.conn.lock().expect("lock");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
        let columns: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('articles')
                 WHERE name IN ('words', 'lead_words')",
                [],
                |r| r.get(0),
            )
            .expect("columns");
        assert_eq!(columns, 2, "migrations 4 and 5 added their columns");
        let sources: i64 = conn
            .query_row("SELECT count(*) FROM sources", [], |r| r.get(0))
            .expect("sources");
        assert_eq!(sources, 1, "the data survives the upgrade");
    }

    #[test]
    fn pruning_drops_old_index_rows_only_and_exact_copies_still_join() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let store = Store::open(&path).expect("open");
        store
            .sync_sources([("A", "https://a.ly/"), ("B", "https://b.ly/")])
            .expect("sync");
        let body = "أعلن جهاز خفر السواحل وأمن الموانئ انتشال جثث سبعة عشر مهاجرا غير نظامي بينهم ثلاث نساء وطفل إثر غرق قارب مطاطي على بعد نحو اثني عشر ميلا بحريا شمال مدينة زوارة فجر الخميس وأوضح المتحدث باسم الجهاز أن دوريات الإنقاذ تمكنت من انتشال واحد وأربعين ناجيا نقلوا إلى ميناء زوارة";
        let old = article("guid:1", "غرق قارب قبالة زوارة", body);
        let bands = old.fingerprint.bands.len() as i64;
        let mut recent = article(
            "guid:2",
            "اشتباكات في جنزور",
            "اندلعت اشتباكات مسلحة بين مجموعتين في منطقة جنزور غرب العاصمة طرابلس مساء الأحد استخدمت فيها الأسلحة المتوسطة ما أدى إلى إغلاق الطريق الساحلي لساعات وإجلاء عائلات من مناطق التماس وفق جهاز الإسعاف والطوارئ الذي أفاد بسقوط جريحين",
        );
        recent.published = None;
        store
            .record_success("A", (None, None), None, None, &[old, recent], 0, &decide)
            .expect("store");
        let db = rusqlite::Connection::open(&path).expect("open");
        let rows = |key: &str| -> i64 {
            db.query_row(
                "SELECT count(*) FROM lsh JOIN articles a ON a.id = lsh.article_id WHERE a.entry_key = ?1",
                [key],
                |r| r.get(0),
            )
            .expect("count")
        };
        assert_eq!((rows("guid:1"), rows("guid:2")), (bands, bands));
        let cutoff = now() - dedup::INDEX_RETENTION_SECS;
        // Both were fetched just now: nothing goes, though one is dated 2023.
        assert_eq!(store.prune_index(cutoff).expect("prune"), 0);
        // Say the 2023 article was fetched 40 days ago: its rows go, the other's stay.
        db.execute(
            "UPDATE articles SET fetched = ?1 WHERE entry_key = 'guid:1'",
            [now() - 40 * 86_400],
        )
        .expect("age");
        assert_eq!(store.prune_index(cutoff).expect("prune") as i64, bands);
        assert_eq!((rows("guid:1"), rows("guid:2")), (0, bands));
        assert_eq!(store.prune_index(cutoff).expect("prune again"), 0);
        // The article stays, and an exact copy from another outlet still joins its story.
        let mut copy = article("guid:9", "خفر السواحل ينتشل 17 جثة", body);
        copy.url = Some("https://b.ly/x".into());
        copy.canonical_url = dedup::canonical_url("https://b.ly/x");
        let s = store
            .record_success("B", (None, None), None, None, &[copy], 0, &decide)
            .expect("copy");
        assert_eq!((s.new, s.duplicates), (1, 1));
        assert_eq!(store.counts().expect("counts").0, 3);
    }

    #[test]
    fn copies_across_outlets_join_one_story() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("m.db")).expect("open");
        store
            .sync_sources([("A", "https://a.ly/"), ("B", "https://b.ly/")])
            .expect("sync");
        let body = "أعلن جهاز خفر السواحل وأمن الموانئ انتشال جثث سبعة عشر مهاجرا غير نظامي بينهم ثلاث نساء وطفل إثر غرق قارب مطاطي على بعد نحو اثني عشر ميلا بحريا شمال مدينة زوارة فجر الخميس وأوضح المتحدث باسم الجهاز أن دوريات الإنقاذ تمكنت من انتشال واحد وأربعين ناجيا نقلوا إلى ميناء زوارة لتلقي الإسعافات مشيرا إلى أن القارب انطلق من شاطئ قرب صبراتة وكان يقل نحو سبعين شخصا";
        let a = article("guid:1", "غرق قارب قبالة زوارة", body);
        let mut b = article(
            "guid:9",
            "خفر السواحل ينتشل 17 جثة",
            &format!("زوارة - وال: {body}"),
        );
        b.url = Some("https://b.ly/x".into());
        b.canonical_url = dedup::canonical_url("https://b.ly/x");
        let lead = a.fingerprint.lead_words.clone();
        assert!(!lead.is_empty());
        store
            .record_success("A", (None, None), None, None, &[a], 0, &decide)
            .expect("a");
        // The candidate read back from the database carries A's lead fingerprint.
        let seen = std::cell::RefCell::new(Vec::new());
        let record = |n: &NewArticle, s: &str, t: i64, c: &[Candidate]| {
            seen.borrow_mut()
                .extend(c.iter().map(|c| c.lead_words.clone()));
            decide(n, s, t, c)
        };
        let s = store
            .record_success("B", (None, None), None, None, &[b], 0, &record)
            .expect("b");
        assert_eq!((s.new, s.duplicates), (1, 1));
        assert_eq!(seen.borrow().as_slice(), [lead]);
        let stories = store.latest_stories(10, false).expect("stories");
        assert_eq!(stories.len(), 1);
        assert_eq!(stories[0].articles.len(), 2);
        // The fullest body represents the story.
        assert_eq!(stories[0].articles[0].source, "B");
    }
}
