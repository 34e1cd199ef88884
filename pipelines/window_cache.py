"""What reading the analysis window computes per post, kept for the next run.

A weekly re-run of ``trendscout analyze`` reads the posts the last run read, less the oldest
week, plus a week of new ones. Reading a post means splitting its tokens and numbering them,
and looking for watched entities in its title and text; both depend only on the post's
tokens and text (and on the watch list), so they are kept in three tables (migration m011):

- ``window_cache``: per post (``post_rowid`` = ``posts.rowid``) its token ids (int32,
  little-endian), before keyphrases are merged: phrases are found again on each run's sample
  and merged when the window is loaded; the ``tokens_hash`` they were read from; the indexes
  of the watched entities it mentions (NULL: not known for the current watch list);
- ``window_cache_tokens``: the vocabulary the ids number (only appended to; the cache starts
  anew once it outgrows :data:`MAX_VOCABULARY` and four times what the window uses);
- ``window_cache_state``: the cache's :data:`FORMAT` and the fingerprint of the watch list
  its entities were found with.

Rows of posts published before the window are dropped once the table holds more than twice
the window, so it stays about the size of one window.

A kept row is used only where reading the post again could not give anything else:

- triggers delete a post's row when its tokens, title or text change or the post is deleted;
- its ``tokens_hash`` must be the post's, its blobs well formed, its ids inside the stored
  vocabulary and its entity indexes valid (a row that fails is read again);
- entities count only while the watch list's fingerprint is the stored one;
- with another format, a vocabulary that is not numbered 0 … n−1 with distinct tokens, or a
  trigger missing, nothing is used and the cache is written anew.

What a run learns is written in one transaction at the end of reading, and only if no other
connection wrote to the database since reading began (``PRAGMA data_version``): a run cut
short leaves the last complete cache, and an edit made meanwhile cannot leave a stale row.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlite_utils

from nlp.trends import EntityMatcher
from pipelines.db import TOKEN_SEPARATOR, WINDOW_CACHE_TRIGGERS, rows_by_rowid, write_transaction

__all__ = ["FORMAT", "WindowCache", "WindowPosts"]

FORMAT = "1"
MAX_VOCABULARY = 2_000_000  # beyond this (and 4× the window's own), start the cache anew
_IDS = np.dtype("<i4")
_CHUNK = 10_000  # posts read from SQLite at a time
_TRIGGERS = ("window_cache_posts_au", "window_cache_posts_ad")


@dataclass
class WindowPosts:
    """The window's posts in reading order (published time, then id)."""

    rowids: list[int]
    post_ids: list[str]
    source_ids: list[int]
    authors: list[str | None]
    published: list[str]
    languages: list[str | None]
    ids: np.ndarray  # token ids of every post, concatenated: post i's are ids[offsets[i]:...]
    offsets: np.ndarray  # n + 1 positions into ids
    vocabulary: list[str]  # id → token
    index: dict[str, int]  # token → id
    entity_rows: np.ndarray  # (post, entity) pairs, one per mention
    entity_cols: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.post_ids)


class WindowCache:
    """Reads the window through the cache (:meth:`read`) and keeps what it learnt (:meth:`save`)."""

    def __init__(self, db: sqlite_utils.Database, matcher: EntityMatcher) -> None:
        self.db = db
        self.matcher = matcher
        self.enabled = db["window_cache"].exists() and db["window_cache_tokens"].exists()
        self.reset = False  # True: nothing stored is used, and the cache is written anew
        self.entities_known = False  # the stored entities were found with this watch list
        self.vocabulary: list[str] = []
        self.index: dict[str, int] = {}
        self.stored_tokens = 0  # ids below this are in window_cache_tokens
        self._rows: list[tuple[int, str, bytes, bytes]] = []  # rows to (re)write
        self._entity_updates: list[tuple[bytes, int]] = []
        self._data_version: int | None = None
        self._window_size = 0
        self._matched = 0
        self._used_tokens = 0
        self._oldest = ""
        if self.enabled:
            self._open()

    def _open(self) -> None:
        db = self.db
        state = dict(db.execute("select key, value from window_cache_state").fetchall())
        triggers = {
            name
            for (name,) in db.execute(
                "select name from sqlite_master where type = 'trigger' and tbl_name = 'posts'"
            )
        }
        tokens = [token for _, token in db.execute(
            "select id, token from window_cache_tokens order by id")]  # fmt: skip
        last = db.execute("select max(id), min(id) from window_cache_tokens").fetchone()
        index = {token: i for i, token in enumerate(tokens)}
        sound = (
            state.get("format") == FORMAT
            and set(_TRIGGERS) <= triggers
            and (not tokens or (last[0] == len(tokens) - 1 and last[1] == 0))
            and len(index) == len(tokens)
            and all(isinstance(token, str) for token in tokens)
            and "" not in index
            and not any(TOKEN_SEPARATOR in token for token in tokens)
        )
        if not sound:
            self.reset = True
            return
        self.vocabulary, self.index, self.stored_tokens = tokens, index, len(tokens)
        self.entities_known = state.get("entities") == self.matcher.fingerprint

    # ----------------------------------------------------------------------------------------

    def read(
        self,
        where: str,
        params: dict[str, Any],
        oldest: str,
    ) -> WindowPosts:
        """The posts of ``posts p`` matching ``where``, with token ids and entity mentions
        from the cache where it holds them and from the posts themselves otherwise.
        ``oldest``: the window's first instant (posts before it may be forgotten)."""
        db = self.db
        self._oldest = oldest
        self._data_version = db.execute("pragma data_version").fetchone()[0]
        use = self.enabled and not self.reset
        if use:
            join = (
                "left join window_cache c on c.post_rowid = p.rowid "
                "and c.tokens_hash = p.tokens_hash and typeof(c.tokens) = 'blob' "
                "and length(c.tokens) % 4 = 0"
            )
            cached_tokens = "c.tokens"
            cached_entities = (
                "case when typeof(c.entities) = 'blob' and length(c.entities) % 4 = 0 "
                "then c.entities end"
                if self.entities_known
                else "null"
            )
        else:
            join, cached_tokens, cached_entities = "", "null", "null"
        need_text = f"({cached_tokens} is null or ({cached_entities}) is null)"
        cursor = db.execute(
            f"select p.rowid, p.id, p.source_id, p.author, p.published_at, p.lang, "
            f"{cached_tokens}, {cached_entities}, "
            f"case when {cached_tokens} is null then p.tokens end, "
            f"case when {cached_tokens} is null then p.tokens_hash end, "
            f"case when {need_text} then p.title end, case when {need_text} then p.text end "
            f"from posts p {join} where {where} order by p.published_at, p.id",
            params,
        )
        rowids: list[int] = []
        post_ids: list[str] = []
        source_ids: list[int] = []
        authors: list[str | None] = []
        published: list[str] = []
        languages: list[str | None] = []
        token_parts: list[bytes] = []
        entity_parts: list[bytes] = []
        cached: list[bool] = []
        # In chunks, so that the text of a whole window (a first run) is never held at once.
        while rows := cursor.fetchmany(_CHUNK):
            columns = list(zip(*rows, strict=True))
            del rows
            first = len(rowids)
            for values, column in zip(
                (rowids, post_ids, source_ids, authors, published, languages, token_parts,
                 entity_parts),
                columns,
                strict=False,
            ):  # fmt: skip
                values.extend(column)
            cached.extend(blob is not None for blob in columns[6])
            tokens, hashes, titles, texts = columns[8:]
            unread = [i for i, blob in enumerate(columns[6]) if blob is None]
            for i, blob in zip(unread, self._encode([tokens[i] for i in unread]), strict=True):
                token_parts[first + i] = blob
            for i, entities in enumerate(columns[7]):
                at = first + i
                if entities is not None and cached[at]:
                    continue
                if entities is None:
                    entities = entity_parts[at] = self._entities(titles[i], texts[i])
                    if cached[at]:
                        self._entity_updates.append((entities, rowids[at]))
                if not cached[at] and hashes[i] is not None:
                    self._rows.append((rowids[at], hashes[i], token_parts[at], entities))
        ids, offsets = _joined(token_parts)
        entities, entity_offsets = _joined(entity_parts)
        if self._repair(rowids, cached, token_parts, entity_parts, ids, offsets, entities,
                        entity_offsets):  # fmt: skip
            ids, offsets = _joined(token_parts)
            entities, entity_offsets = _joined(entity_parts)
        entity_rows = np.repeat(np.arange(len(rowids)), np.diff(entity_offsets))
        self._window_size = len(rowids)
        self._used_tokens = int(np.count_nonzero(np.bincount(ids))) if len(ids) else 0
        reused = sum(cached)
        return WindowPosts(
            rowids=rowids,
            post_ids=post_ids,
            source_ids=source_ids,
            authors=authors,
            published=published,
            languages=languages,
            ids=ids,
            offsets=offsets,
            vocabulary=self.vocabulary,
            index=self.index,
            entity_rows=entity_rows,
            entity_cols=entities.astype(np.int64),
            stats={
                "cached_posts": reused,
                "read_posts": len(rowids) - reused,
                "matched_posts": self._matched,
            },
        )

    def _encode(self, posts: Sequence[str | None]) -> list[bytes]:
        """Each post's tokens (tab-separated) as int32 ids, adding new tokens to the
        vocabulary (numbered in the order they first occur)."""
        words = [(tokens or "").split(TOKEN_SEPARATOR) for tokens in posts]
        for i, part in enumerate(words):
            if "" in part:
                words[i] = [word for word in part if word]
        index, vocabulary = self.index, self.vocabulary
        for word in dict.fromkeys(itertools.chain.from_iterable(words)):
            if word not in index:
                index[word] = len(vocabulary)
                vocabulary.append(word)
        lengths = [len(part) for part in words]
        ids = np.fromiter(
            map(index.__getitem__, itertools.chain.from_iterable(words)),
            dtype=np.int64,
            count=sum(lengths),
        )
        data = ids.astype(_IDS).tobytes()
        ends = itertools.accumulate(lengths, initial=0)
        start = next(ends)
        blobs = []
        for end in ends:
            blobs.append(data[4 * start : 4 * end])
            start = end
        return blobs

    def _entities(self, title: str | None, text: str | None) -> bytes:
        self._matched += 1
        found = sorted(self.matcher.find(f"{title or ''}\n{text or ''}"))
        return np.asarray(found, dtype=_IDS).tobytes()

    def _repair(
        self,
        rowids: list[int],
        cached: list[bool],
        token_parts: list[bytes],
        entity_parts: list[bytes],
        ids: np.ndarray,
        offsets: np.ndarray,
        entities: np.ndarray,
        entity_offsets: np.ndarray,
    ) -> bool:
        """Read again the posts whose kept ids or entity indexes cannot be right; True if
        there were any (their parts are replaced)."""
        bad: set[int] = set()
        from_cache = np.asarray(cached, dtype=bool)
        outside = np.flatnonzero((ids < 0) | (ids >= self.stored_tokens))
        if len(outside):
            posts = np.searchsorted(offsets, outside, side="right") - 1
            bad.update(posts[from_cache[posts]].tolist())
        if len(entities):
            post = np.repeat(np.arange(len(rowids)), np.diff(entity_offsets))
            wrong = (entities < 0) | (entities >= len(self.matcher.names))
            wrong[1:] |= (post[1:] == post[:-1]) & (entities[1:] <= entities[:-1])
            bad.update(post[wrong].tolist())
        if not bad:
            return False
        where = {rowids[i]: i for i in bad}
        for row in rows_by_rowid(self.db, sorted(where), "rowid, tokens, tokens_hash, title, text"):
            i = where[row["rowid"]]
            token_parts[i] = self._encode([row["tokens"]])[0]
            entity_parts[i] = self._entities(row["title"], row["text"])
            if row["tokens_hash"] is not None:
                self._rows.append((row["rowid"], row["tokens_hash"], token_parts[i],
                                   entity_parts[i]))  # fmt: skip
            cached[i] = False
        self._entity_updates = [(e, r) for e, r in self._entity_updates if r not in where]
        return True

    # ----------------------------------------------------------------------------------------

    def save(self) -> dict[str, Any]:
        """Write what :meth:`read` learnt, in one transaction; figures for the run's stats."""
        if not self.enabled or self._data_version is None:
            return {"cache_saved": False}
        db = self.db
        grown = len(self.vocabulary) > max(MAX_VOCABULARY, 4 * self._used_tokens)
        with write_transaction(db):
            if db.execute("pragma data_version").fetchone()[0] != self._data_version:
                return {"cache_saved": False}  # another connection wrote since reading began
            if self.reset or grown:
                db.execute("delete from window_cache")
                db.execute("delete from window_cache_tokens")
                db.execute("delete from window_cache_state")
                for statement in WINDOW_CACHE_TRIGGERS:
                    db.execute(statement)
            if grown:  # the next run starts from nothing
                return {"cache_saved": False, "cache_cleared": True}
            db.conn.executemany(
                "insert into window_cache_tokens (id, token) values (?, ?)",
                ((i, self.vocabulary[i]) for i in range(self.stored_tokens, len(self.vocabulary))),
            )
            if not self.entities_known:
                db.execute("update window_cache set entities = null where entities is not null")
            db.conn.executemany(
                "insert or replace into window_cache (post_rowid, tokens_hash, tokens, entities) "
                "values (?, ?, ?, ?)",
                self._rows,
            )
            db.conn.executemany(
                "update window_cache set entities = ? where post_rowid = ?", self._entity_updates
            )
            db.conn.executemany(
                "insert or replace into window_cache_state (key, value) values (?, ?)",
                [("format", FORMAT), ("entities", self.matcher.fingerprint)],
            )
            kept = db.execute("select count(*) from window_cache").fetchone()[0]
            if kept > 2 * self._window_size + 10_000:
                self._prune()
        self.stored_tokens = len(self.vocabulary)
        written = len(self._rows) + len(self._entity_updates)
        self._rows, self._entity_updates = [], []
        return {
            "cache_saved": True,
            "cache_rows_written": written,
        }

    def _prune(self) -> None:
        """Forget the posts published before this window (and any whose post is gone)."""
        self.db.execute(
            "delete from window_cache where post_rowid not in "
            "(select rowid from posts where published_at >= ?)",
            [self._oldest],
        )


def _joined(parts: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """int32 blobs → one int32 array and the offsets of each blob in it."""
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) // 4
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.frombuffer(b"".join(parts), dtype=_IDS).astype(np.int32), offsets
