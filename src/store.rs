//! SQLite storage: sources with their health, and articles.
//!
//! WAL mode, versioned migrations through `PRAGMA user_version`, and every
//! source pass written in one transaction, so a process killed at any moment
//! leaves either the whole pass or none of it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    // 1: sources and articles.
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
    CREATE TABLE articles (
        id           INTEGER PRIMARY KEY,
        uid          TEXT NOT NULL UNIQUE,
        source_id    INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        entry_key    TEXT NOT NULL,
        guid         TEXT,
        url          TEXT,
        title        TEXT NOT NULL,
        summary      TEXT,
        content      TEXT,
        author       TEXT,
        categories   TEXT NOT NULL DEFAULT '[]',
        lang         TEXT,
        published    INTEGER,
        updated      INTEGER,
        fetched      INTEGER NOT NULL,
        changed      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        text         TEXT NOT NULL DEFAULT '',
        UNIQUE (source_id, entry_key)
    ) STRICT;
    CREATE INDEX articles_by_time ON articles (coalesce(published, fetched) DESC);
    CREATE INDEX articles_by_changed ON articles (changed);
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

/// An entry ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArticle {
    /// Identity within the source: `guid:…`, `link:…` or `hash:…`.
    pub entry_key: String,
    /// GUID as published.
    pub guid: Option<String>,
    /// Article URL.
    pub url: Option<String>,
    /// Title.
    pub title: String,
    /// Summary HTML.
    pub summary: Option<String>,
    /// Content HTML.
    pub content: Option<String>,
    /// Authors, comma separated.
    pub author: Option<String>,
    /// Category terms.
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
}

/// A stored article, as published and exported.
#[derive(Debug, Clone, Serialize)]
pub struct Article {
    /// Row id.
    pub id: i64,
    /// Stable public id (the Atom entry id).
    pub uid: String,
    /// Source name.
    pub source: String,
    /// Source feed URL.
    pub source_url: String,
    /// Source feed title, if known.
    pub source_title: Option<String>,
    /// Article URL.
    pub url: Option<String>,
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
    /// Category terms.
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

    /// Stores a successful pass (200) in one transaction: the entries and the source's health.
    pub fn record_success(
        &self,
        source: &str,
        validators: (Option<&str>, Option<&str>),
        feed_title: Option<&str>,
        moved_to: Option<&str>,
        entries: &[NewArticle],
        next_poll: i64,
    ) -> Result<Stored, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let t = now();
        let source_id = source_id(&tx, source)
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::UnknownSource(source.into()))?;
        let mut stored = Stored::default();
        for a in entries {
            match upsert(&tx, source_id, source, a, t).map_err(|e| self.err(e))? {
                Upsert::New => stored.new += 1,
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

    /// The newest articles, newest first.
    pub fn latest(&self, limit: usize) -> Result<Vec<Article>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("{ARTICLE_SELECT} ORDER BY coalesce(a.published, a.fetched) DESC, a.id DESC LIMIT ?1"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], article_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Calls `f` for every article stored (first seen) at or after `since`, oldest first.
    pub fn for_each_article(
        &self,
        since: Option<i64>,
        mut f: impl FnMut(Article) -> std::io::Result<()>,
    ) -> Result<usize, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("{ARTICLE_SELECT} WHERE coalesce(a.published, a.fetched) >= ?1 ORDER BY coalesce(a.published, a.fetched), a.id"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since.unwrap_or(i64::MIN)], article_row)
            .map_err(|e| self.err(e))?;
        let mut n = 0;
        for row in rows {
            let article = row.map_err(|e| self.err(e))?;
            if f(article).is_err() {
                break; // e.g. a closed pipe: stop quietly
            }
            n += 1;
        }
        Ok(n)
    }

    /// A number that changes whenever anything published changes (for caching the rendered feed).
    pub fn stamp(&self) -> Result<(i64, i64), StoreError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT coalesce(max(changed), 0), count(*) FROM articles",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
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

const ARTICLE_SELECT: &str = "SELECT a.id, a.uid, s.name, s.url, s.feed_title, a.url, a.guid, a.title, a.summary,
    a.content, a.author, a.categories, a.lang, a.published, coalesce(a.updated, a.published, a.fetched), a.fetched, a.text
    FROM articles a JOIN sources s ON s.id = a.source_id";

fn article_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Article> {
    let categories: String = r.get(11)?;
    Ok(Article {
        id: r.get(0)?,
        uid: r.get(1)?,
        source: r.get(2)?,
        source_url: r.get(3)?,
        source_title: r.get(4)?,
        url: r.get(5)?,
        guid: r.get(6)?,
        title: r.get(7)?,
        summary: r.get(8)?,
        content: r.get(9)?,
        author: r.get(10)?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        lang: r.get(12)?,
        published: r.get(13)?,
        updated: r.get(14)?,
        fetched: r.get(15)?,
        text: r.get(16)?,
    })
}

fn source_id(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<Option<i64>> {
    tx.query_row("SELECT id FROM sources WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
}

enum Upsert {
    New,
    Updated,
    Unchanged,
}

/// The public id of an entry: fixed when first stored, never recomputed.
fn make_uid(source: &str, entry_key: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(format!("{source}\u{1f}{entry_key}").as_bytes());
    format!("urn:marsad:entry:{h:032x}")
}

fn upsert(
    tx: &Transaction<'_>,
    source_id: i64,
    source: &str,
    a: &NewArticle,
    t: i64,
) -> rusqlite::Result<Upsert> {
    let existing: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, content_hash FROM articles WHERE source_id = ?1 AND entry_key = ?2",
            params![source_id, a.entry_key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let categories = serde_json::to_string(&a.categories).unwrap_or_else(|_| "[]".into());
    // A date in the future is a time-zone bug at the source: do not let it pin the entry to the top.
    let published = a.published.map(|p| p.min(t));
    match existing {
        None => {
            tx.execute(
                "INSERT INTO articles (uid, source_id, entry_key, guid, url, title, summary, content, author, categories,
                 lang, published, updated, fetched, changed, content_hash, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16)",
                params![
                    make_uid(source, &a.entry_key),
                    source_id,
                    a.entry_key,
                    a.guid,
                    a.url,
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
                    a.text
                ],
            )?;
            Ok(Upsert::New)
        }
        Some((_, hash)) if hash == a.content_hash => Ok(Upsert::Unchanged),
        Some((id, _)) => {
            tx.execute(
                "UPDATE articles SET url = ?2, title = ?3, summary = ?4, content = ?5, author = ?6, categories = ?7,
                 lang = ?8, updated = max(?9, coalesce(updated, 0)), changed = ?9, content_hash = ?10, text = ?11 WHERE id = ?1",
                params![id, a.url, a.title, a.summary, a.content, a.author, categories, a.lang, t, a.content_hash, a.text],
            )?;
            Ok(Upsert::Updated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(key: &str, title: &str) -> NewArticle {
        NewArticle {
            entry_key: key.into(),
            guid: None,
            url: Some(format!("https://alwasat.ly/news/{key}")),
            title: title.into(),
            summary: None,
            content: None,
            author: None,
            categories: vec!["أمن".into()],
            lang: Some("ar".into()),
            published: Some(1_700_000_000),
            updated: None,
            content_hash: format!("{:x}", xxhash_rust::xxh3::xxh3_64(title.as_bytes())),
            text: String::new(),
        }
    }

    #[test]
    fn edits_update_in_place_and_ids_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("sub/m.db")).expect("open");
        store
            .sync_sources([("الوسط", "https://alwasat.ly/rss")])
            .expect("sync");
        let a = article("guid:1", "اشتباكات في طرابلس");
        let s = store
            .record_success(
                "الوسط",
                (None, None),
                None,
                None,
                std::slice::from_ref(&a),
                0,
            )
            .expect("store");
        assert_eq!(
            s,
            Stored {
                new: 1,
                updated: 0,
                unchanged: 0
            }
        );
        let uid = store.latest(10).expect("latest")[0].uid.clone();
        let s = store
            .record_success("الوسط", (None, None), None, None, &[a], 0)
            .expect("store");
        assert_eq!(s.unchanged, 1);
        let edited = article("guid:1", "اشتباكات عنيفة في طرابلس");
        let s = store
            .record_success("الوسط", (None, None), None, None, &[edited], 0)
            .expect("store");
        assert_eq!(s.updated, 1);
        let all = store.latest(10).expect("latest");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].uid, uid);
        assert_eq!(all[0].title, "اشتباكات عنيفة في طرابلس");
        assert_eq!(all[0].categories, vec!["أمن".to_string()]);
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
}
