"""The database: the one contract between crawl, analysis, publishing and the digest.

Every table and view trendscout writes is declared here and created or upgraded by
:func:`ensure_db_shape`, which every command calls first. Changes go through named
sqlite-utils migrations, so an older database upgrades in place and keeps its data.
To change the schema, append a new ``@MIGRATIONS()`` function; never edit one that
has shipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("trendscout")
TOKEN_SEPARATOR = "\t"  # between a post's analysis tokens in posts.tokens

DEFAULT_DB = "trendscout.db"


def utcnow() -> str:
    """The current time as an ISO 8601 UTC string with a trailing ``Z``, second precision."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@MIGRATIONS()
def m001_foundation(db: sqlite_utils.Database) -> None:
    """Sources, posts with full-text search, and the crawl log."""
    db["sources"].create(
        {
            "id": int,
            "name": str,
            "type": str,
            "url": str,
            "language": str,
            "options": str,  # JSON: the source's type-specific keys from sources.yml
            "added_at": str,
            "last_crawled_at": str,
        },
        pk="id",
        not_null={"name", "type", "url"},
    )
    db["sources"].create_index(["name"], unique=True)

    db["posts"].create(
        {
            "id": str,  # stable: hash of source name + the entry's guid or canonical URL
            "source_id": int,
            "url": str,
            "thread_url": str,
            "title": str,
            "text": str,
            "author": str,
            "published_at": str,  # ISO 8601 UTC
            "date_estimated": int,  # 1 when the source gave no date: published_at = first seen
            "lang": str,  # ISO 639-1, filled by analysis
            "lang_confidence": float,
            "content_hash": str,
            "guid": str,
            "fetched_at": str,
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
        not_null={"source_id"},
    )
    db["posts"].create_index(["source_id"])
    db["posts"].create_index(["published_at"])
    db["posts"].create_index(["content_hash"])
    db["posts"].create_index(["lang"])
    db["posts"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")

    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | partial | failed | interrupted
            "host": str,  # where the crawl process ran, and its pid: a "running" row whose
            "pid": int,  # process is gone was killed, and is marked interrupted
            "sources": int,
            "requests": int,
            "posts_new": int,
            "posts_updated": int,
            "posts_unchanged": int,
            "errors": int,
        },
        pk="id",
    )
    db["crawl_source_stats"].create(
        {
            "run_id": int,
            "source_id": int,
            "requests": int,
            "not_modified": int,
            "posts_new": int,
            "posts_updated": int,
            "posts_unchanged": int,
            "errors": int,
            "status": str,  # ok | not_modified | partial | failed
        },
        pk=("run_id", "source_id"),
        foreign_keys=[("run_id", "crawl_runs", "id"), ("source_id", "sources", "id")],
    )
    db["crawl_errors"].create(
        {
            "id": int,
            "run_id": int,
            "source_id": int,
            "url": str,
            "error": str,  # short kind: http_404, timeout, dns, unreadable_feed, ...
            "message": str,
            "occurred_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "crawl_runs", "id"), ("source_id", "sources", "id")],
    )
    db["crawl_errors"].create_index(["run_id"])

    # Validators for conditional GET (ETag / Last-Modified), one row per fetched URL.
    db["fetch_state"].create(
        {
            "url": str,
            "source_id": int,
            "etag": str,
            "last_modified": str,
            "last_status": int,
            "last_fetched_at": str,
        },
        pk="url",
    )
    # What spiders remember between runs beyond validators: a thread's last-post time,
    # a listing's newest id, a sitemap's lastmod. Key is spider-defined, value is JSON.
    db["crawl_state"].create(
        {"key": str, "source_id": int, "value": str, "updated_at": str},
        pk="key",
    )


@MIGRATIONS()
def m002_findings(db: sqlite_utils.Database) -> None:
    """Tables the analysis writes: topics, trends, audience segments and shifts."""
    db["topics"].create(
        {
            "id": int,  # stable across weekly runs: matched by content
            "label": str,
            "top_terms": str,  # JSON list
            "size": int,  # posts assigned in the latest analysis
            "languages": str,  # JSON list of ISO 639-1 codes
            "first_seen": str,  # as_of of the first analysis that found it
            "last_seen": str,
            "centroid": bytes,  # float32 vector used to match topics between runs
        },
        pk="id",
    )
    db["post_topics"].create(
        {"post_id": str, "topic_id": int, "weight": float},
        pk=("post_id", "topic_id"),
        foreign_keys=[("post_id", "posts", "id"), ("topic_id", "topics", "id")],
    )
    db["post_topics"].create_index(["topic_id"])
    db["topic_weeks"].create(
        {"topic_id": int, "week": str, "posts": int, "authors": int},  # week: ISO 2026-W47
        pk=("topic_id", "week"),
        foreign_keys=[("topic_id", "topics", "id")],
    )
    db["trends"].create(
        {
            "as_of": str,
            "kind": str,  # term | topic | entity
            "label": str,
            "score": float,
            "recent_count": int,
            "baseline_mean": float,
            "growth": float,
            "authors": int,
            "p_value": float,
            "status": str,  # new | emerging | steady | fading
            "languages": str,  # JSON list
            "evidence": str,  # JSON list of post ids
            "topic_id": int,
        },
        pk=("as_of", "kind", "label"),
    )
    db["trends"].create_index(["as_of", "score"])
    db["post_segments"].create(
        {
            "post_id": str,
            "dimension": str,  # gender | age | role
            "segment": str,  # female, male, child, teen, adult, senior, parent, student
            "evidence": str,  # the matched phrase
            "about": str,  # author | other (someone the author speaks for)
        },
        pk=("post_id", "dimension", "segment", "about"),
        foreign_keys=[("post_id", "posts", "id")],
    )
    db["post_segments"].create_index(["segment"])
    db["audience_shifts"].create(
        {
            "as_of": str,
            "subject_kind": str,  # entity | topic
            "subject": str,
            "dimension": str,
            "segment": str,
            "baseline_share": float,
            "recent_share": float,
            "baseline_n": int,  # authors with a known segment in this dimension
            "recent_n": int,
            "baseline_posts": int,
            "recent_posts": int,
            "lift": float,
            "ci_low": float,
            "ci_high": float,
            "p_value": float,
            "p_adjusted": float,
            "significant": int,
            "direction": str,  # up | down
            "evidence": str,  # JSON list of post ids
        },
        pk=("as_of", "subject_kind", "subject", "dimension", "segment"),
    )
    db["analysis_runs"].create(
        {
            "id": int,
            "as_of": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "posts": int,
            "stats": str,  # JSON: coverage, timings, model versions
        },
        pk="id",
    )


@MIGRATIONS()
def m003_duplicates(db: sqlite_utils.Database) -> None:
    """Duplicate links (see pipelines.dedupe): a repeat points at its original post."""
    db["posts"].add_column("duplicate_of", str)  # id of the earliest post this one repeats
    db["posts"].add_column("duplicate_kind", str)  # url | exact | near
    db["posts"].create_index(["url"])
    db["posts"].create_index(["duplicate_of"])
    # MinHash LSH band keys of each post long enough to judge (see pipelines.dedupe).
    db["lsh_bands"].create(
        {"band": int, "value": int, "post_id": str},
        pk=("band", "value", "post_id"),
    )
    db["lsh_bands"].create_index(["post_id"])


@MIGRATIONS()
def m004_runs_and_outbox(db: sqlite_utils.Database) -> None:
    """The weekly job's log (``runs``) and the digests waiting to be mailed (``outbox``)."""
    db["runs"].create(
        {
            "id": int,
            "as_of": str,  # the last day of the analysed week (YYYY-MM-DD)
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | partial | failed | interrupted
            "exit_code": int,
            "send": int,  # 1 when the run was asked to mail the digest
            "steps": str,  # JSON list: name, status, started_at, seconds, counts, error
            "error": str,  # the first failure, one line
            "program_version": str,
            "versions": str,  # JSON: libraries and sha256 of the models/lexicons used
            "pid": int,
        },
        pk="id",
    )
    db["runs"].create_index(["as_of"])
    db["outbox"].create(
        {
            "key": str,  # idempotency key: hash of as_of + sorted recipients
            "as_of": str,
            "recipients": str,  # JSON list of addresses
            "sender": str,
            "subject": str,
            "message": bytes,  # the exact RFC 5322 message sent (and re-sent) as is
            "status": str,  # pending | sent
            "created_at": str,
            "updated_at": str,
            "attempts": int,
            "last_attempt_at": str,
            "last_error": str,
            "sent_at": str,
            "refused": str,  # JSON: recipients the server refused when it accepted others
            "run_id": int,
        },
        pk="key",
    )
    db["outbox"].create_index(["status"])


@MIGRATIONS()
def m005_analysis(db: sqlite_utils.Database) -> None:
    """What analysis caches per post, searchable Chinese, and more figures per trend."""
    db["posts"].add_column("tokens", str)  # tab-separated analysis tokens (pipelines.analyze)
    db["posts"].add_column("tokens_hash", str)  # content_hash the tokens were made from
    db["posts"].add_column("search_text", str)  # segmented text (Chinese) for full-text search
    db["posts"].enable_fts(
        ["title", "text", "search_text"], create_triggers=True, tokenize="unicode61", replace=True
    )
    # Re-index a post only when an indexed column changes, not when lang, tokens or
    # duplicate_of are set (that doubled the cost of writing them).
    db.executescript(
        """
        DROP TRIGGER IF EXISTS "posts_au";
        CREATE TRIGGER "posts_au" AFTER UPDATE OF "title", "text", "search_text" ON "posts" BEGIN
          INSERT INTO "posts_fts" ("posts_fts", rowid, "title", "text", "search_text")
            VALUES('delete', old.rowid, old."title", old."text", old."search_text");
          INSERT INTO "posts_fts" (rowid, "title", "text", "search_text")
            VALUES (new.rowid, new."title", new."text", new."search_text");
        END;
        """
    )
    # Posts the analysis has not prepared yet (new, or changed since): found without a scan.
    db.execute(
        "CREATE INDEX idx_posts_unprepared ON posts(source_id) "
        "WHERE tokens IS NULL OR tokens_hash IS NOT content_hash"
    )
    db["trends"].add_column("p_adjusted", float)  # Benjamini–Hochberg q within kind
    db["trends"].add_column("expected", float)  # authors expected this week from the baseline
    db["trends"].add_column("recent_posts", int)  # posts this week (recent_count is authors)
    db["post_topics"].create_index(["post_id"])


@MIGRATIONS()
def m006_audience(db: sqlite_utils.Database) -> None:
    """Which version of a post's text its audience segments were tagged from."""
    db["posts"].add_column("segments_hash", str)  # content_hash when last tagged


@MIGRATIONS()
def m007_untagged_index(db: sqlite_utils.Database) -> None:
    """Posts the audience step has not tagged yet (new, or changed since): found without a
    scan of the whole table, as idx_posts_unprepared does for the prepare step."""
    db.execute(
        "CREATE INDEX idx_posts_untagged ON posts(source_id) "
        "WHERE segments_hash IS NOT content_hash"
    )


@MIGRATIONS()
def m008_lsh_bands_without_rowid(db: sqlite_utils.Database) -> None:
    """MinHash bands in one B-tree keyed on (band, value, post_id), without a rowid table
    beside the key's index: a smaller table and fewer pages written per stored post. The
    rows are copied over; the post_id index stays (an updated post's bands are replaced)."""
    db.execute(
        "CREATE TABLE [lsh_bands_new] ([band] INTEGER NOT NULL, [value] INTEGER NOT NULL, "
        "[post_id] TEXT NOT NULL, PRIMARY KEY ([band], [value], [post_id])) WITHOUT ROWID"
    )
    db.execute(
        "INSERT OR IGNORE INTO [lsh_bands_new] ([band], [value], [post_id]) "
        "SELECT [band], [value], [post_id] FROM [lsh_bands] "
        "WHERE [band] IS NOT NULL AND [value] IS NOT NULL AND [post_id] IS NOT NULL "
        "ORDER BY [band], [value], [post_id]"
    )
    db.execute("DROP TABLE [lsh_bands]")
    db.execute("ALTER TABLE [lsh_bands_new] RENAME TO [lsh_bands]")
    db["lsh_bands"].create_index(["post_id"])


@MIGRATIONS()
def m009_link_tables_without_rowid(db: sqlite_utils.Database) -> None:
    """post_topics and post_segments (rewritten for the whole window / every new post on each
    analysis) as WITHOUT ROWID tables: their primary key is the table, so a row is written
    to one B-tree less; post_topics loses its post_id index, which the key already covers."""
    db.executescript(
        """
        CREATE TABLE "post_topics_new" (
           "post_id" TEXT REFERENCES "posts"("id"),
           "topic_id" INTEGER REFERENCES "topics"("id"),
           "weight" REAL,
           PRIMARY KEY ("post_id", "topic_id")
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO "post_topics_new" SELECT "post_id", "topic_id", "weight"
          FROM "post_topics" WHERE "post_id" IS NOT NULL AND "topic_id" IS NOT NULL;
        DROP TABLE "post_topics";
        ALTER TABLE "post_topics_new" RENAME TO "post_topics";
        CREATE INDEX "idx_post_topics_topic_id" ON "post_topics" ("topic_id");

        CREATE TABLE "post_segments_new" (
           "post_id" TEXT REFERENCES "posts"("id"),
           "dimension" TEXT,
           "segment" TEXT,
           "evidence" TEXT,
           "about" TEXT,
           PRIMARY KEY ("post_id", "dimension", "segment", "about")
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO "post_segments_new"
          SELECT "post_id", "dimension", "segment", "evidence", "about" FROM "post_segments"
          WHERE "post_id" IS NOT NULL AND "dimension" IS NOT NULL AND "segment" IS NOT NULL
            AND "about" IS NOT NULL;
        DROP TABLE "post_segments";
        ALTER TABLE "post_segments_new" RENAME TO "post_segments";
        CREATE INDEX "idx_post_segments_segment" ON "post_segments" ("segment");
        """
    )


# Posts whose tokens, title or text change (or that are deleted) lose what the analysis
# window kept of them; one statement each.
WINDOW_CACHE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS "window_cache_posts_au"
    AFTER UPDATE OF "tokens", "title", "text" ON "posts" BEGIN
      DELETE FROM "window_cache" WHERE "post_rowid" = old.rowid;
    END""",
    """CREATE TRIGGER IF NOT EXISTS "window_cache_posts_ad" AFTER DELETE ON "posts" BEGIN
      DELETE FROM "window_cache" WHERE "post_rowid" = old.rowid;
    END""",
)


@MIGRATIONS()
def m011_window_cache(db: sqlite_utils.Database) -> None:
    """What reading the analysis window computes per post, kept for the next run (see
    pipelines.window_cache): token ids over a vocabulary, watched-entity mentions."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS "window_cache" (
           "post_rowid" INTEGER PRIMARY KEY,  -- posts.rowid
           "tokens_hash" TEXT NOT NULL,  -- posts.tokens_hash the token ids were read from
           "tokens" BLOB NOT NULL,  -- int32 ids into window_cache_tokens
           "entities" BLOB  -- int32 indexes of the watched entities mentioned; NULL: not known
        );
        CREATE TABLE IF NOT EXISTS "window_cache_tokens" (
           "id" INTEGER PRIMARY KEY,
           "token" TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS "window_cache_state" (
           "key" TEXT PRIMARY KEY,
           "value" TEXT
        );
        """
    )
    for statement in WINDOW_CACHE_TRIGGERS:
        db.execute(statement)


def open_db(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open the database at ``path`` and bring its shape up to date.

    WAL mode lets Datasette read while a crawl writes.
    """
    path = Path(path)
    if not create and not path.exists():
        raise FileNotFoundError(str(path))
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 30000")
    # Two processes opening a new database at once (crawl workers) must not both migrate.
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.enable_wal()
            ensure_db_shape(db)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def rows_by_rowid(
    db: sqlite_utils.Database, rowids: Sequence[int], columns: str
) -> list[dict[str, Any]]:
    """``columns`` of the posts with these rowids, in rowid order (one query for a batch)."""
    return list(
        db.query(
            f"select {columns} from posts where rowid in (select value from json_each(?)) "
            "order by rowid",
            [json.dumps(list(rowids))],
        )
    )


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    In WAL mode a transaction that reads and then writes fails at once with "database is
    locked" when another process wrote in between; taking the lock first makes it wait
    (busy_timeout) instead. Use it wherever a transaction reads before it writes.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    else:
        db.conn.commit()


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Apply every pending migration; safe to call on every start."""
    MIGRATIONS.apply(db)
