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
    tokens: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if _CJK.search(word):
            tokens.extend(word)
        else:
            tokens.append(word)
    return {" ".join(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def minhash(grams: set[str]) -> np.ndarray | None:
    """The 64-value MinHash signature of a shingle set; None when the set is too small."""
    if len(grams) < MIN_SHINGLES:
        return None
    digests = b"".join(hashlib.blake2b(g.encode(), digest_size=8).digest() for g in grams)
    values = np.frombuffer(digests, dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashed = values[None, :] * _MULT[:, None] + _ADD[:, None]
    return hashed.min(axis=1)


def band_keys(signature: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (SQLite INTEGER)."""
    keys = []
    for band in range(BANDS):
        chunk = signature[band * ROWS : (band + 1) * ROWS].tobytes()
        keys.append(
            int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True)
        )
    return keys


class DuplicateFinder:
    """Finds the original of a post among those stored (including the current batch)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def index(self, post_id: str, text: str) -> list[int]:
        """Record a post's LSH band keys so later posts can find it; returns the keys."""
        self.db.execute("delete from lsh_bands where post_id = ?", [post_id])
        signature = minhash(shingles(text))
        if signature is None:
            return []
        keys = band_keys(signature)
        self.db["lsh_bands"].insert_all(
            {"band": i, "value": key, "post_id": post_id} for i, key in enumerate(keys)
        )
        return keys

    def original_of(self, post: dict, keys: list[int]) -> tuple[str, str] | None:
        """``(original post id, kind)`` when ``post`` repeats an earlier one, else None.

        Only posts seen before it (by first_seen_at, published_at, then id) can be its
        original, so links never form cycles. The URL layer applies across sources only:
        within one source, replies and comments may share a page address.
        """
        earlier = "(first_seen_at, published_at, id) < (?, ?, ?)"
        order = [post["first_seen_at"], post["published_at"], post["id"]]
        layers = (
            ("url", "url = ? and source_id != ?", [post["url"], post["source_id"]]),
            ("exact", "content_hash = ?", [post["content_hash"]]),
        )
        for kind, condition, params in layers:
            row = next(
                self.db.query(
                    f"select id, duplicate_of from posts where {condition} and {earlier} "
                    "order by first_seen_at, published_at, id limit 1",
                    [*params, *order],
                ),
                None,
            )
            if row:
                return (row["duplicate_of"] or row["id"], kind)
        if not keys:
            return None
        where = " or ".join("(band = ? and value = ?)" for _ in keys)
        params: list[int] = []
        for band, key in enumerate(keys):
            params += [band, key]
        candidates = self.db.query(
            "select id, duplicate_of, text from posts where id in "
            f"(select post_id from lsh_bands where {where}) and {earlier} "
            "order by first_seen_at, published_at, id",
            [*params, *order],
        )
        grams = shingles(post["text"])
        for row in candidates:
            if jaccard(grams, shingles(row["text"] or "")) >= MIN_JACCARD:
                return (row["duplicate_of"] or row["id"], "near")
        return None
