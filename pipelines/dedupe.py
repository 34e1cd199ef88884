"""Duplicate detection for stored posts, in three layers.

1. Canonical URL: the same address (tracking parameters stripped, see
   ``crawler.text.canonical_url``) reached through another source.
2. Exact content: the same normalised title and text (``posts.content_hash``).
3. Near-duplicates: syndicated or re-posted text with small edits. A post's text is cut
   into overlapping word 3-grams (for Chinese and Japanese, character 3-grams). Two
   posts are near-duplicates when the Jaccard similarity of those sets is at least
   ``MIN_JACCARD``. Candidates are found without comparing all pairs through MinHash
   locality-sensitive hashing: a 64-value MinHash signature cut into 16 bands of 4; two
   posts that share any band's values become candidates (with Jaccard 0.8 that happens
   with probability 1 − (1 − 0.8⁴)¹⁶ > 0.999), and each candidate is then checked on
   the real 3-gram sets.

A duplicate keeps its row (nothing is lost) and points at the earliest post it repeats
through ``duplicate_of`` and ``duplicate_kind`` (url | exact | near); the analysis counts
only originals.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import sqlite_utils

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
MIN_JACCARD = 0.6
MIN_SHINGLES = 12  # shorter texts are too short to judge: exact matching only
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_rng = np.random.default_rng(20261123)
# Multiply-add hashing modulo 2^64: one (odd multiplier, offset) pair per permutation.
_MULT = (_rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) * 2 + 1).astype(np.uint64)
_ADD = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)


def shingles(text: str, size: int = 3) -> set[str]:
    """Overlapping word 3-grams; CJK characters count as words (they have no spaces)."""
    words = _WORD.findall(text.casefold())
    if _CJK.search(text):
        tokens: list[str] = []
        for word in words:
            if _CJK.search(word):
                tokens.extend(word)
            else:
                tokens.append(word)
    else:
        tokens = words
    return {" ".join(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def minhash(grams: set[str]) -> np.ndarray | None:
    """The 64-value MinHash signature of a shingle set; None when the set is too small."""
    if len(grams) < MIN_SHINGLES:
        return None
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(g.encode(), digest_size=8).digest() for g in grams])
    values = np.frombuffer(digests, dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashed = values[None, :] * _MULT[:, None] + _ADD[:, None]
    return hashed.min(axis=1)


def band_keys(signature: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (SQLite INTEGER)."""
    data, size, blake2b = signature.tobytes(), ROWS * 8, hashlib.blake2b
    return [
        int.from_bytes(blake2b(data[start : start + size], digest_size=8).digest(), "little",
                       signed=True)
        for start in range(0, BANDS * size, size)
    ]  # fmt: skip


def _sharing_bands(
    db: sqlite_utils.Database, signatures: list[list[int]]
) -> dict[tuple[int, int], set[str]]:
    """(band, key) → ids of stored posts with that key in that band, for any band of the
    given band-key lists: one indexed lookup per band and distinct key."""
    if not signatures:
        return {}
    per_band = [json.dumps(sorted({keys[band] for keys in signatures})) for band in range(BANDS)]
    sql = " union all ".join(
        f"select {band}, value, post_id from lsh_bands "
        f"where band = {band} and value in (select value from json_each(?))"
        for band in range(BANDS)
    )
    sharing: dict[tuple[int, int], set[str]] = {}
    for band, value, post in db.conn.execute(sql, per_band):
        sharing.setdefault((band, value), set()).add(post)
    return sharing


def _order(row: dict) -> tuple[str, str, str]:
    """Which of two posts came first: the earlier one is the original."""
    return (row["first_seen_at"] or "", row["published_at"] or "", row["id"])


def link_duplicates(db: sqlite_utils.Database, rows: list[dict]) -> int:
    """Index ``rows`` (just written to ``posts``) and link each to the post it repeats.

    Works on a whole batch with a handful of queries. Only a post seen before another
    can be its original, so links never form cycles; a link points at the root original.
    The URL layer applies across sources only (within one source, replies and comments
    may share a page address); the content layers only to texts long enough to tell
    (two "+1" replies are two voices, not a duplicate). Returns the number of links set.
    """
    if not rows:
        return 0
    ids = [row["id"] for row in rows]
    grams = {row["id"]: shingles(row["text"] or "") for row in rows}
    keys: dict[str, list[int]] = {}
    for row in rows:
        signature = minhash(grams[row["id"]])
        keys[row["id"]] = band_keys(signature) if signature is not None else []
    judged = {pid for pid, k in keys.items() if k}

    # Bands of earlier posts first (an updated post's old bands are gone), then this
    # batch's own, which no query needs to read back.
    db.execute("delete from lsh_bands where post_id in (select value from json_each(?))",
               [json.dumps(ids)])  # fmt: skip
    sharing = _sharing_bands(db, [keys[pid] for pid in judged])
    for pid in judged:
        for band_key in enumerate(keys[pid]):
            sharing.setdefault(band_key, set()).add(pid)
    # One statement for the batch: {post id: [key of band 0, key of band 1, ...]}.
    db.execute(
        "insert or ignore into lsh_bands (band, value, post_id) "
        "select band.key, band.value, post.key from json_each(?) post, json_each(post.value) band",
        [json.dumps({pid: keys[pid] for pid in judged})],
    )

    columns = "id, source_id, url, content_hash, first_seen_at, published_at, duplicate_of"
    by_url: dict[str, list[dict]] = {}
    for row in db.query(
        f"select {columns} from posts where url in (select value from json_each(?))",
        [json.dumps(sorted({r["url"] for r in rows}))],
    ):
        by_url.setdefault(row["url"], []).append(row)
    by_hash: dict[str, list[dict]] = {}
    for row in db.query(
        f"select {columns} from posts where content_hash in (select value from json_each(?))",
        [json.dumps(sorted({r["content_hash"] for r in rows if r["id"] in judged}))],
    ):
        by_hash.setdefault(row["content_hash"], []).append(row)
    candidate_ids = set().union(*(posts for posts in sharing.values() if len(posts) > 1))
    candidates = {
        row["id"]: row
        for row in db.query(
            f"select {columns}, text from posts where id in (select value from json_each(?))",
            [json.dumps(sorted(candidate_ids))],
        )
    }

    decided: dict[str, str | None] = {}

    def root(other: dict) -> str:
        return decided.get(other["id"], other["duplicate_of"]) or other["id"]

    links = []
    for row in sorted(rows, key=_order):
        pid, mine = row["id"], _order(row)
        found: tuple[str, str] | None = None
        earlier = sorted(
            (o for o in by_url.get(row["url"], []) if o["source_id"] != row["source_id"]
             and _order(o) < mine),
            key=_order,
        )  # fmt: skip
        if earlier:
            found = (root(earlier[0]), "url")
        elif pid in judged:
            same = sorted((o for o in by_hash.get(row["content_hash"], []) if _order(o) < mine),
                          key=_order)  # fmt: skip
            if same:
                found = (root(same[0]), "exact")
            else:
                near_ids = set().union(
                    *(sharing.get((band, key), set()) for band, key in enumerate(keys[pid]))
                )
                near = sorted(
                    (candidates[c] for c in near_ids
                     if c in candidates and _order(candidates[c]) < mine),
                    key=_order,
                )  # fmt: skip
                for other in near:
                    if jaccard(grams[pid], shingles(other["text"] or "")) >= MIN_JACCARD:
                        found = (root(other), "near")
                        break
        decided[pid] = found[0] if found else None
        if found or row.get("duplicate_of"):
            links.append((*(found or (None, None)), pid))
    if links:
        db.conn.executemany(
            "update posts set duplicate_of = ?, duplicate_kind = ? where id = ?", links
        )
    return sum(1 for link in links if link[0])
