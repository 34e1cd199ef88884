"""The weekly digest: the week's findings, in plain words, for people who sell things.

:func:`gather_digest` reads one analysed week from the database (the rows ``trendscout
analyze`` wrote for that ``as_of``: ``trends``, ``audience_shifts``, ``topics``,
``topic_weeks``) and the posts behind them, into a :class:`Digest`. Every sentence a
reader sees is written here, once, so the HTML mail, the plain-text part, Markdown and
JSON all say the same. :func:`render` lays a digest out with the Jinja2 templates in
``pipelines/templates/`` (HTML with autoescaping on), and :func:`build_email` makes the
multipart mail: a plain-text part and an HTML part whose sparkline images travel as
``multipart/related`` parts referenced by Content-ID, which mail clients show without
loading anything from the web.

Older weeks can be regenerated at any time: the analysis keeps every ``as_of``'s rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import json
import os
import string
import struct
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import click
import jinja2
import sqlite_utils

from nlp.trends import Windows, iso_week
from pipelines.config import Config, ConfigError, load_config
from pipelines.mail import address_problem, bare_address, outbox_key, queue_message
from pipelines.options import config_option, db_option, env_file_option

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("html", "text", "markdown", "json", "eml")
SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".md": "markdown",
    ".json": "json",
    ".eml": "eml",
}
DIGEST_KEYS = {"to", "from", "subject", "top", "examples"}
SUBJECT_FIELDS = {"week", "start", "end", "as_of", "top"}
DEFAULT_SUBJECT = "Trends {start} – {end}: {top}"
DEFAULT_SENDER = "trendscout <trendscout@localhost>"
SPARK_WEEKS = 12
EXCERPT_CHARS = 220

LANGUAGE_NAMES = {
    "pl": "Polish",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "cs": "Czech",
    "sk": "Slovak",
    "uk": "Ukrainian",
    "ru": "Russian",
    "ja": "Japanese",
    "ko": "Korean",
    "th": "Thai",
    "id": "Indonesian",
    "tr": "Turkish",
    "sv": "Swedish",
}
SEGMENT_WORDS = {
    "female": "women and girls",
    "male": "men and boys",
    "child": "children",
    "teen": "teenagers",
    "adult": "adults",
    "senior": "older people (60+)",
    "parent": "parents",
    "student": "students",
}
KIND_WORDS = {"entity": "watched product", "topic": "topic", "term": "phrase"}


class DigestError(Exception):
    """No digest can be made for the asked week; the message says what to run."""


# -- settings from sources.yml -------------------------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    """The ``digest:`` block of sources.yml: who gets it, and how much it shows."""

    to: tuple[str, ...] = ()
    sender: str | None = None
    subject: str = DEFAULT_SUBJECT
    top: int = 5  # items per section
    examples: int = 3  # example posts per item


def digest_settings(config: Config | None) -> DigestSettings:
    """Validate the ``digest:`` block; raises :class:`ConfigError` naming the bad entry."""
    if config is None or config.extra.get("digest") is None:
        return DigestSettings()
    path, block = config.path, config.extra["digest"]
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: digest: expected to, from and subject (key: value lines)")
    for key in block:
        if key not in DIGEST_KEYS:
            raise ConfigError(
                f"{path}: digest.{key}: unknown key; allowed keys here: "
                f"{', '.join(sorted(DIGEST_KEYS))}"
            )
    raw_to = block.get("to") or []
    if isinstance(raw_to, str):
        raw_to = [raw_to]
    if not isinstance(raw_to, list):
        raise ConfigError(f"{path}: digest.to: expected a list of e-mail addresses")
    for index, address in enumerate(raw_to):
        problem = address_problem(address)
        if problem:
            raise ConfigError(f"{path}: digest.to[{index}]: {problem}")
    sender = block.get("from")
    if sender is not None and address_problem(sender):
        raise ConfigError(f"{path}: digest.from: {address_problem(sender)}")
    subject = block.get("subject", DEFAULT_SUBJECT)
    if not isinstance(subject, str) or not subject.strip():
        raise ConfigError(f"{path}: digest.subject: expected a line of text")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(subject) if name is not None}
    except ValueError as exc:
        raise ConfigError(
            f"{path}: digest.subject: {exc}; write literal braces as {{{{ }}}}"
        ) from None
    unknown = names - SUBJECT_FIELDS
    if unknown:
        raise ConfigError(
            f"{path}: digest.subject: unknown placeholder {{{sorted(unknown)[0]}}}; use "
            + ", ".join(f"{{{n}}}" for n in sorted(SUBJECT_FIELDS))
        )
    numbers = {}
    for key, default, high in (("top", 5, 50), ("examples", 3, 10)):
        value = block.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ConfigError(
                f"{path}: digest.{key}: expected a whole number from 1 to {high}, found {value!r}"
            )
        numbers[key] = value
    return DigestSettings(
        to=tuple(str(a).strip() for a in raw_to),
        sender=str(sender).strip() if sender else None,
        subject=subject.strip(),
        **numbers,
    )


# -- what a digest holds -------------------------------------------------------------------


@dataclass
class PostRef:
    """One example post, as it was written, linked to where it came from."""

    id: str
    title: str
    excerpt: str
    url: str | None
    source: str
    lang: str | None
    language: str
    published: str
    evidence: str | None = None  # for audience shifts: the phrase that revealed the segment


@dataclass
class Sparkline:
    """Posts per ISO week, oldest first; ``image`` is its name in the mail (``spark-N``)."""

    weeks: list[str]
    counts: list[int]
    image: str
    tone: str  # up | down | flat: the colour of the last bar

    @property
    def text(self) -> str:
        """The series in block characters, e.g. ``▁▁▂▃▅█``."""
        return spark_text(self.counts)

    @property
    def alt(self) -> str:
        return "Posts per week, last {} weeks: {}".format(
            len(self.counts), ", ".join(map(str, self.counts))
        )


@dataclass
class TrendItem:
    kind: str  # entity | topic | term
    kind_word: str
    label: str
    status: str
    headline: str
    confidence: str
    score: float
    recent: int
    baseline_mean: float
    growth: float
    p_value: float | None
    languages: list[str]
    posts: list[PostRef]
    spark: Sparkline | None = None


@dataclass
class ShiftItem:
    subject_kind: str
    subject: str
    dimension: str
    segment: str
    segment_word: str
    headline: str
    basis: str
    confidence: str
    baseline_share: float
    recent_share: float
    change_points: float
    ci_low_points: float | None
    ci_high_points: float | None
    baseline_n: int
    recent_n: int
    p_adjusted: float | None
    direction: str
    posts: list[PostRef]


@dataclass
class Digest:
    """One analysed week, ready to lay out in any format."""

    as_of: str
    week: str  # ISO week of as_of, e.g. 2026-W47
    start: str  # first day of the week (as_of − 6 days)
    end: str  # as_of
    period: str  # "16–22 Nov 2026"
    summary: str
    emerging: list[TrendItem]
    new: list[TrendItem]
    fading: list[TrendItem]
    shifts: list[ShiftItem]
    notes: list[str]
    generated_at: str
    program_version: str
    regenerate: str
    key_points: list[str] = field(default_factory=list)

    @property
    def images(self) -> dict[str, bytes]:
        """Every sparkline as PNG bytes, by image name."""
        return {
            item.spark.image: sparkline_png(item.spark.counts, item.spark.tone)
            for item in [*self.emerging, *self.new, *self.fading]
            if item.spark is not None
        }

    def top_label(self) -> str:
        if self.emerging:
            return f"{self.emerging[0].label} is rising"
        if self.new:
            return f"new: {self.new[0].label}"
        if self.shifts:
            return f"audience shift around {self.shifts[0].subject}"
        return "no big changes"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- reading the week from the database ----------------------------------------------------


def analysed_dates(db: sqlite_utils.Database) -> list[str]:
    """Every ``as_of`` the analysis wrote findings for (or ran cleanly on), newest first."""
    rows = db.query(
        "select as_of from trends union select as_of from audience_shifts "
        "union select as_of from analysis_runs where status = 'ok' order by as_of desc"
    )
    return [r["as_of"] for r in rows if r["as_of"]]


def resolve_as_of(db: sqlite_utils.Database, as_of: dt.date | None, *, exact: bool = False) -> str:
    """The analysed week to show: ``as_of`` itself, else the newest analysis in the 6 days
    before it (``exact`` forbids that), else the newest of all when ``as_of`` is None."""
    dates = analysed_dates(db)
    if not dates:
        raise DigestError(
            "the database has no findings yet; run 'trendscout analyze' (or 'trendscout run') first"
        )
    if as_of is None:
        return dates[0]
    wanted = as_of.isoformat()
    if wanted in dates:
        return wanted
    earliest = (as_of - dt.timedelta(days=6)).isoformat()
    close = [d for d in dates if earliest <= d < wanted]
    if close and not exact:
        return close[0]
    listed = ", ".join(dates[:5]) + (" ..." if len(dates) > 5 else "")
    raise DigestError(
        f"no findings for the week ending {wanted}; analysed weeks: {listed}. "
        f"Run 'trendscout analyze --as-of {wanted}' first"
    )


def gather_digest(
    db: sqlite_utils.Database,
    as_of: dt.date | None = None,
    settings: DigestSettings | None = None,
    *,
    config: Config | None = None,
    exact: bool = False,
    db_label: str = "trendscout.db",
) -> Digest:
    """Read the analysed week ending ``as_of`` (default: the newest) into a :class:`Digest`."""
    settings = settings or DigestSettings()
    day = resolve_as_of(db, as_of, exact=exact)
    windows = Windows(dt.date.fromisoformat(day))
    week_start = windows.recent_start.date()
    posts = _PostReader(db, windows)

    def trends(status: str, order: str) -> list[dict]:
        return list(
            db.query(
                "select * from trends where as_of = ? and status = ? "
                f"order by score {order}, label "
                "limit ?",
                [day, status, settings.top],
            )
        )

    aliases = {w.name.casefold(): list(w.aliases) for w in (config.watch if config else ())}
    emerging = [_trend_item(r, "up", posts, settings, aliases) for r in trends("emerging", "desc")]
    new = [_trend_item(r, "up", posts, settings, aliases) for r in trends("new", "desc")]
    new += _new_topics(db, day, week_start, {t.label for t in new}, posts, settings)
    new = new[: settings.top]
    fading = [_trend_item(r, "down", posts, settings, aliases) for r in trends("fading", "asc")]
    shifts = _shifts(db, day, posts, settings)
    posts.fill_sparklines([*emerging, *new, *fading])

    totals = posts.week_totals()
    return Digest(
        as_of=day,
        week=iso_week(f"{day}T12:00:00Z") or "",
        start=week_start.isoformat(),
        end=day,
        period=_period(week_start, dt.date.fromisoformat(day)),
        summary=totals,
        emerging=emerging,
        new=new,
        fading=fading,
        shifts=shifts,
        notes=_notes(db, windows),
        generated_at=_now_text(),
        program_version=_program_version(),
        regenerate=f"trendscout digest --db {db_label} --as-of {day}",
        key_points=_key_points(emerging, new, fading, shifts),
    )


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _program_version() -> str:
    try:
        return version("trendscout")
    except PackageNotFoundError:
        return "unknown"


def _period(first: dt.date, last: dt.date) -> str:
    if first.year != last.year:
        return f"{first:%-d %b %Y} – {last:%-d %b %Y}"
    if first.month != last.month:
        return f"{first:%-d %b} – {last:%-d %b %Y}"
    return f"{first.day}–{last:%-d %b %Y}"


def language_name(code: str | None) -> str:
    """``pl`` → ``Polish``; unknown codes come back upper-case, None as ``unknown language``."""
    if not code:
        return "unknown language"
    return LANGUAGE_NAMES.get(code.lower(), code.upper())


def _join_words(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _people(n: float) -> str:
    n = int(round(n))
    return "1 person" if n == 1 else f"{n} people"


def _weekly(mean: float) -> str:
    if mean < 0.5:
        return "less than one a week"
    return (
        f"about {mean:.0f} a week" if mean >= 10 else f"about {mean:.1f} a week".replace(".0 ", " ")
    )


def confidence_words(p: float | None) -> str:
    """A p-value in words: how likely a change this large would be by chance alone."""
    if p is None:
        return "Confidence: not tested"
    if p < 0.001:
        level = "very high"
    elif p < 0.01:
        level = "high"
    elif p < 0.05:
        level = "good"
    else:
        level = "low, could be chance"
    shown = "< 0.001" if p < 0.001 else f"{p:.3f}"
    return f"Confidence: {level} (p {'' if shown.startswith('<') else '= '}{shown})"


def _trend_headline(row: dict) -> str:
    recent, base, growth = (
        row["recent_count"] or 0,
        row["baseline_mean"] or 0.0,
        row["growth"] or 0.0,
    )
    if row["status"] == "new":
        return f"New: {_people(recent)} wrote about it this week, nobody in the weeks before."
    if row["status"] == "fading":
        drop = max(0, round((1 - growth) * 100))
        return f"{_people(recent)} this week, down from {_weekly(base)} ({drop}% fewer than usual)."
    return (
        f"{_people(recent)} wrote about it this week, {growth:.1f}× the usual "
        f"({_weekly(base)} before)."
    )


def _trend_item(
    row: dict,
    tone: str,
    posts: _PostReader,
    settings: DigestSettings,
    aliases: dict[str, list[str]],
) -> TrendItem:
    languages = [language_name(c) for c in _json_list(row.get("languages"))]
    item = TrendItem(
        kind=row["kind"],
        kind_word=KIND_WORDS.get(row["kind"], row["kind"]),
        label=row["label"],
        status=row["status"],
        headline=_trend_headline(row),
        confidence=confidence_words(row.get("p_value")),
        score=float(row["score"] or 0.0),
        recent=int(row["recent_count"] or 0),
        baseline_mean=float(row["baseline_mean"] or 0.0),
        growth=float(row["growth"] or 0.0),
        p_value=row.get("p_value"),
        languages=languages,
        posts=posts.examples(_json_list(row.get("evidence")), settings.examples),
    )
    posts.want_series(
        item, tone, row.get("topic_id"), [row["label"], *aliases.get(row["label"].casefold(), [])]
    )
    return item


def _new_topics(
    db: sqlite_utils.Database,
    day: str,
    week_start: dt.date,
    listed: set[str],
    posts: _PostReader,
    settings: DigestSettings,
) -> list[TrendItem]:
    """Topics the analysis first found this week that no trend row already lists.

    Not on a database's first analysis (every topic is "first seen" then), and not topics
    whose trend row this week says they are emerging, steady or fading.
    """
    earlier = db.execute(
        "select exists (select 1 from analysis_runs where status = 'ok' and as_of < ?) "
        "or exists (select 1 from trends where as_of < ?)",
        [week_start.isoformat(), week_start.isoformat()],
    ).fetchone()[0]
    if not earlier:
        return []
    rows = db.query(
        "select * from topics t where first_seen >= ? and first_seen <= ? and not exists "
        "(select 1 from trends r where r.as_of = ? and r.kind = 'topic' and r.topic_id = t.id "
        "and r.status != 'new') order by size desc limit ?",
        [week_start.isoformat(), day, day, settings.top],
    )
    items = []
    for row in rows:
        if row["label"] in listed:
            continue
        ids = [
            r["post_id"]
            for r in db.query(
                "select pt.post_id from post_topics pt join posts p on p.id = pt.post_id "
                "where pt.topic_id = ? and p.published_at >= ? and p.published_at < ? "
                "order by pt.weight desc limit 50",
                [row["id"], *posts.week_bounds],
            )
        ]
        terms = ", ".join(_json_list(row.get("top_terms"))[:5])
        item = TrendItem(
            kind="topic",
            kind_word="new topic",
            label=row["label"],
            status="new",
            headline=f"A new topic found this week ({row['size'] or len(ids)} posts so far)"
            + (f", about: {terms}." if terms else "."),
            confidence="",
            score=0.0,
            recent=len(ids),
            baseline_mean=0.0,
            growth=0.0,
            p_value=None,
            languages=[language_name(c) for c in _json_list(row.get("languages"))],
            posts=posts.examples(ids, settings.examples),
        )
        posts.want_series(item, "up", row["id"], [])
        items.append(item)
    return items


def _shifts(
    db: sqlite_utils.Database, day: str, posts: _PostReader, settings: DigestSettings
) -> list[ShiftItem]:
    rows = db.query(
        "select * from audience_shifts where as_of = ? and significant = 1 "
        "order by coalesce(p_adjusted, p_value), abs(recent_share - baseline_share) desc limit ?",
        [day, settings.top],
    )
    items = []
    for row in rows:
        base, recent = float(row["baseline_share"] or 0), float(row["recent_share"] or 0)
        change = (recent - base) * 100
        lo, hi = _points(row.get("ci_low")), _points(row.get("ci_high"))
        who = SEGMENT_WORDS.get(row["segment"], row["segment"])
        subject = (
            row["subject"] if row["subject_kind"] == "entity" else f"the topic “{row['subject']}”"
        )
        verb = "rose" if recent >= base else "fell"
        likely = (
            f"; likely between {lo:+.0f} and {hi:+.0f} points"
            if lo is not None and hi is not None
            else ""
        )
        headline = (
            f"Among people posting about {subject}, the share of {who} {verb} from "
            f"{base:.0%} to {recent:.0%} ({change:+.0f} points{likely})."
        )
        basis = (
            f"Based on {_people(row['recent_n'] or 0)} this week and "
            f"{_people(row['baseline_n'] or 0)} "
            f"before who said something about themselves ({row['recent_posts'] or 0} and "
            f"{row['baseline_posts'] or 0} posts)."
        )
        p = row.get("p_adjusted") if row.get("p_adjusted") is not None else row.get("p_value")
        items.append(
            ShiftItem(
                subject_kind=row["subject_kind"],
                subject=row["subject"],
                dimension=row["dimension"],
                segment=row["segment"],
                segment_word=who,
                headline=headline,
                basis=basis,
                confidence=confidence_words(p),
                baseline_share=base,
                recent_share=recent,
                change_points=round(change, 1),
                ci_low_points=lo,
                ci_high_points=hi,
                baseline_n=int(row["baseline_n"] or 0),
                recent_n=int(row["recent_n"] or 0),
                p_adjusted=p,
                direction=row["direction"] or ("up" if change >= 0 else "down"),
                posts=posts.examples(
                    _json_list(row.get("evidence")),
                    settings.examples,
                    segment=(row["dimension"], row["segment"]),
                ),
            )
        )
    return items


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary when there is one, with …."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-") + "…"


def _points(share_change: float | None) -> float | None:
    """A change in share (0.07) as percentage points (7.0)."""
    return None if share_change is None else round(float(share_change) * 100, 1)


def _json_list(value: Any) -> list:
    if not value:
        return []
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return list(parsed) if isinstance(parsed, list) else []


def _key_points(
    emerging: list[TrendItem],
    new: list[TrendItem],
    fading: list[TrendItem],
    shifts: list[ShiftItem],
) -> list[str]:
    points = []
    if emerging:
        names = _join_words([f"{t.label}" for t in emerging[:3]])
        points.append(f"Rising: {names}.")
    if new:
        points.append(f"New this week: {_join_words([t.label for t in new[:3]])}.")
    if shifts:
        s = shifts[0]
        points.append(
            f"Audience: {s.segment_word} {'up' if s.change_points >= 0 else 'down'} "
            f"{abs(s.change_points):.0f} points among people posting about {s.subject}."
        )
    if fading:
        points.append(f"Cooling down: {_join_words([t.label for t in fading[:3]])}.")
    return points or ["No convincing changes this week: talk stayed at its usual level."]


def _notes(db: sqlite_utils.Database, windows: Windows) -> list[str]:
    """Caveats about the data behind the week: failed sources, no crawl in the week."""
    start, end = windows.recent_start.strftime("%Y-%m-%d"), windows.end.strftime("%Y-%m-%d")
    run = next(
        iter(
            db.query(
                "select * from crawl_runs where started_at < ? order by started_at desc limit 1",
                [f"{end}T00:00:00Z"],
            )
        ),
        None,
    )
    notes = []
    if run is None:
        return ["No crawl was recorded before the end of this week."]
    if run["started_at"] < f"{start}T00:00:00Z":
        notes.append(
            f"The latest crawl before this week's end ran on {run['started_at'][:10]}; "
            "posts after that are missing."
        )
    failed = [
        r["name"]
        for r in db.query(
            "select s.name from crawl_source_stats c join sources s on s.id = c.source_id "
            "where c.run_id = ? and c.status = 'failed' order by s.name",
            [run["id"]],
        )
    ]
    if failed:
        notes.append(
            f"Could not be read in the crawl of {run['started_at'][:10]}: "
            f"{_join_words(failed)}. Their posts this week may be missing."
        )
    return notes


class _PostReader:
    """Example posts and weekly series for the digest's items, read in few queries."""

    def __init__(self, db: sqlite_utils.Database, windows: Windows):
        self.db = db
        self.windows = windows
        # [start, end) of the digest's week, comparable with posts.published_at
        self.week_bounds = (
            windows.recent_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            windows.bounds()[1],
        )
        self.weeks = [
            iso_week(f"{windows.as_of - dt.timedelta(weeks=n)}T12:00:00Z") or ""
            for n in range(SPARK_WEEKS - 1, -1, -1)
        ]
        self.has_duplicates = "duplicate_of" in db["posts"].columns_dict
        self._wanted: list[tuple[TrendItem, str, int | None, list[str]]] = []

    def examples(
        self, post_ids: Sequence[str], limit: int, segment: tuple[str, str] | None = None
    ) -> list[PostRef]:
        """Up to ``limit`` posts from ``post_ids``, in order, one per language first."""
        if not post_ids:
            return []
        dupe = "and p.duplicate_of is null" if self.has_duplicates else ""
        rows = {
            r["id"]: r
            for r in self.db.query(
                "select p.id, p.title, p.text, p.url, p.thread_url, p.lang, p.published_at, "
                "s.name as source, s.language as source_language from posts p "
                "join sources s on s.id = p.source_id "
                f"where p.id in (select value from json_each(?)) {dupe}",
                [json.dumps(list(post_ids))],
            )
        }
        ordered = [rows[i] for i in dict.fromkeys(post_ids) if i in rows]
        chosen: list[dict] = []
        seen_langs: set[str | None] = set()
        for row in ordered:  # first pass: language variety
            lang = row["lang"] or row["source_language"]
            if lang not in seen_langs and len(chosen) < limit:
                chosen.append(row)
                seen_langs.add(lang)
        for row in ordered:
            if len(chosen) >= limit:
                break
            if row not in chosen:
                chosen.append(row)
        phrases = self._segment_phrases([r["id"] for r in chosen], segment) if segment else {}
        return [self._post_ref(r, phrases.get(r["id"])) for r in chosen]

    def _segment_phrases(self, ids: list[str], segment: tuple[str, str]) -> dict[str, str]:
        rows = self.db.query(
            "select post_id, evidence from post_segments where dimension = ? and segment = ? "
            "and post_id in (select value from json_each(?))",
            [segment[0], segment[1], json.dumps(ids)],
        )
        return {r["post_id"]: r["evidence"] for r in rows if r["evidence"]}

    @staticmethod
    def _post_ref(row: dict, evidence: str | None) -> PostRef:
        text = " ".join((row["text"] or "").split())
        title = " ".join((row["title"] or "").split())
        if title and text.startswith(title.rstrip("…. ")):
            title = ""  # the title is just the start of the text: show the text once
        excerpt = _shorten(text, EXCERPT_CHARS)
        lang = row["lang"] or row["source_language"]
        return PostRef(
            id=row["id"],
            title=title or excerpt,
            excerpt=excerpt if title else "",
            url=row["url"] or row["thread_url"],
            source=row["source"],
            lang=lang,
            language=language_name(lang),
            published=(row["published_at"] or "")[:10],
            evidence=evidence,
        )

    def want_series(
        self, item: TrendItem, tone: str, topic_id: int | None, names: list[str]
    ) -> None:
        self._wanted.append((item, tone, topic_id, names))

    def fill_sparklines(self, items: Sequence[TrendItem]) -> None:
        """Give each item its weekly series: topics from topic_weeks, others by name."""
        by_name: dict[int, list[int]] = {}
        named = [
            (i, names)
            for i, (_, _, topic, names) in enumerate(self._wanted)
            if topic is None and names
        ]
        if named:
            by_name = self._name_series({i: names for i, names in named})
        for index, (item, tone, topic_id, _) in enumerate(self._wanted):
            if topic_id is not None:
                counts = self._topic_series(int(topic_id))
            else:
                counts = by_name.get(index, [])
            if counts and sum(counts) > 0:
                item.spark = Sparkline(self.weeks, counts, f"spark-{index + 1}", tone)

    def _topic_series(self, topic_id: int) -> list[int]:
        rows = {
            r["week"]: r["posts"]
            for r in self.db.query(
                "select week, posts from topic_weeks "
                "where topic_id = ? and week >= ? and week <= ?",
                [topic_id, self.weeks[0], self.weeks[-1]],
            )
        }
        return [int(rows.get(w) or 0) for w in self.weeks]

    def _name_series(self, names: dict[int, list[str]]) -> dict[int, list[int]]:
        """Posts per week mentioning any of an item's names (case-insensitive), one scan."""
        first = self.windows.as_of - dt.timedelta(weeks=SPARK_WEEKS)
        needles = {i: [n.casefold() for n in ns if n.strip()] for i, ns in names.items()}
        counts = {i: dict.fromkeys(self.weeks, 0) for i in names}
        dupe = "and duplicate_of is null" if self.has_duplicates else ""
        for row in self.db.query(
            "select title, text, published_at from posts "
            f"where published_at >= ? and published_at < ? {dupe}",
            [f"{first}T00:00:00Z", self.week_bounds[1]],
        ):
            week = iso_week(row["published_at"])
            if week not in counts[next(iter(counts))]:
                continue
            haystack = f"{row['title'] or ''}\n{row['text'] or ''}".casefold()
            for i, words in needles.items():
                if any(w in haystack for w in words):
                    counts[i][week] += 1
        return {i: [c[w] for w in self.weeks] for i, c in counts.items()}

    def week_totals(self) -> str:
        dupe = "and p.duplicate_of is null" if self.has_duplicates else ""
        row = next(
            iter(
                self.db.query(
                    "select count(*) as posts, count(distinct p.source_id) as sources from posts p "
                    f"where p.published_at >= ? and p.published_at < ? {dupe}",
                    list(self.week_bounds),
                )
            )
        )
        langs = [
            r
            for r in self.db.query(
                "select coalesce(p.lang, s.language) as lang, count(*) as n from posts p "
                "join sources s on s.id = p.source_id "
                "where p.published_at >= ? and p.published_at < ? "
                f"{dupe} group by 1 order by n desc, 1",
                list(self.week_bounds),
            )
        ]
        if not row["posts"]:
            return "No posts were published in this week's sources."
        parts = [f"{language_name(r['lang'])} ({r['n']})" for r in langs[:6]]
        more = f" and {len(langs) - 6} more languages" if len(langs) > 6 else ""
        sources = "1 source" if row["sources"] == 1 else f"{row['sources']} sources"
        return f"{row['posts']} posts this week from {sources}, in {_join_words(parts)}{more}."


# -- sparklines ------------------------------------------------------------------------------

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_SIZE = (192, 48)  # drawn at twice the shown size (96 × 24) for sharp high-DPI screens
SPARK_COLOURS = {
    "up": (26, 127, 55),
    "down": (207, 34, 46),
    "flat": (9, 105, 218),
    "past": (175, 184, 193),
    "stub": (225, 228, 232),
    "background": (255, 255, 255),
}


def spark_text(counts: Sequence[int]) -> str:
    """A series as block characters, scaled to its maximum (``▁`` also for zero)."""
    top = max(counts, default=0) or 1
    return "".join(SPARK_BLOCKS[min(7, round(c / top * 7))] for c in counts)


def sparkline_png(
    counts: Sequence[int], tone: str = "flat", size: tuple[int, int] = SPARK_SIZE
) -> bytes:
    """A small bar chart of ``counts`` as PNG bytes (pure Python: no imaging library).

    One bar per week, the last (this week) in the tone's colour, earlier weeks grey;
    weeks with no posts get a faint stub so the time axis stays readable.
    """
    width, height = size
    n = max(1, len(counts))
    slot = width // n
    gap = max(1, slot // 5)
    top = max(counts, default=0) or 1
    bg = bytes(SPARK_COLOURS["background"])
    rows = [bytearray(bg * width) for _ in range(height)]
    for i, count in enumerate(counts):
        colour = SPARK_COLOURS[tone if i == n - 1 else "past"]
        bar = max(2, round(count / top * (height - 2))) if count else 2
        if not count:
            colour = SPARK_COLOURS["stub"]
        x0, x1 = i * slot + gap // 2, (i + 1) * slot - (gap - gap // 2)
        for y in range(height - bar, height):
            rows[y][x0 * 3 : x1 * 3] = bytes(colour) * (x1 - x0)
    return png_bytes(width, height, rows)


def png_bytes(width: int, height: int, rgb_rows: Sequence[bytes | bytearray]) -> bytes:
    """Encode 8-bit RGB rows (``width * 3`` bytes each) as a PNG file."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + bytes(row) for row in rgb_rows)  # filter type 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


# -- rendering -------------------------------------------------------------------------------


def markdown_escape(value: Any) -> str:
    """Text safe inside Markdown: no markup, no raw HTML a viewer could run."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\`*_[]#|~":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and ".html" in name),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = markdown_escape
    env.filters["pct"] = lambda v: f"{float(v):.0%}"
    return env


def render(digest: Digest, fmt: str, *, images: str = "data") -> str:
    """Lay ``digest`` out as ``html``, ``text``, ``markdown`` or ``json``.

    HTML images are ``data:`` URIs (``images="data"``, for a file or a browser) or
    ``cid:`` references (``images="cid"``, for the mail built by :func:`build_email`).
    """
    if fmt == "json":
        return json.dumps(digest.to_json(), ensure_ascii=False, indent=2) + "\n"
    names = {"html": "digest.html.j2", "text": "digest.txt.j2", "markdown": "digest.md.j2"}
    if fmt not in names:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    pictures = digest.images if fmt == "html" else {}

    def image_src(name: str) -> str:
        if images == "cid":
            return f"cid:{image_cid(digest, name)}"
        return "data:image/png;base64," + base64.b64encode(pictures[name]).decode("ascii")

    template = _environment().get_template(names[fmt])
    return template.render(d=digest, image_src=image_src, lang_attr=_lang_attr)


def _lang_attr(code: str | None) -> str:
    return code if code and code.isalpha() and len(code) <= 3 else "und"


def image_cid(digest: Digest, name: str) -> str:
    """The Content-ID (without angle brackets) of one sparkline in the mail."""
    return f"{name}.{digest.as_of}@trendscout"


def subject_line(digest: Digest, settings: DigestSettings) -> str:
    """The mail subject from the ``digest.subject`` template."""
    return settings.subject.format(
        week=digest.week,
        start=_short_date(digest.start),
        end=_short_date(digest.end),
        as_of=digest.as_of,
        top=digest.top_label(),
    )


def _short_date(day: str) -> str:
    return f"{dt.date.fromisoformat(day):%-d %b %Y}"


def build_email(digest: Digest, settings: DigestSettings) -> EmailMessage:
    """The digest as a mail: text/plain, and text/html with its sparklines as CID parts.

    The Message-ID is derived from the outbox key, so a re-sent copy is recognisable.
    """
    sender = settings.sender or DEFAULT_SENDER
    message = EmailMessage()
    message["Subject"] = subject_line(digest, settings)
    message["From"] = sender
    if settings.to:
        message["To"] = ", ".join(settings.to)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    key = outbox_key(digest.as_of, settings.to)
    domain = bare_address(sender).rpartition("@")[2] or "trendscout"
    message["Message-ID"] = f"<digest-{digest.as_of}-{key[:16]}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Trendscout-Week"] = digest.week
    message.set_content(
        render(digest, "text"), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        render(digest, "html", images="cid"),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    html_part = message.get_payload()[1]  # type: ignore[index]
    for name, png in digest.images.items():
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=f"<{image_cid(digest, name)}>",
            filename=f"{name}.png",
            disposition="inline",
        )
    return message


def queue_digest(
    db: sqlite_utils.Database, digest: Digest, settings: DigestSettings, run_id: int | None = None
) -> str:
    """Put the digest's mail in the outbox for ``settings.to``; see :func:`queue_message`.

    Raises ValueError when no recipients or no sender are configured.
    """
    if not settings.to:
        raise ValueError("no recipients: list them in sources.yml under 'digest:' as 'to: [...]'")
    if not settings.sender:
        raise ValueError(
            "no sender: add 'from: you@example.com' to the digest: block of sources.yml"
        )
    message = build_email(digest, settings)
    return queue_message(
        db,
        key=outbox_key(digest.as_of, settings.to),
        as_of=digest.as_of,
        recipients=list(settings.to),
        sender=settings.sender,
        subject=str(message["Subject"]),
        message=message.as_bytes(policy=email.policy.SMTP),  # CRLF line ends, as sent
        run_id=run_id,
    )


# -- trendscout digest -----------------------------------------------------------------------


def load_optional_config(path: Path | None) -> Config | None:
    """sources.yml from ``-c``, else ./sources.yml when it exists, else None."""
    if path is None:
        path = Path("sources.yml")
        if not path.exists():
            return None
    return load_config(path)


@click.command()
@db_option()
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Last day of the week to show (YYYY-MM-DD); default: the newest analysed week.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format; default: from -o's extension, else text.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the screen.",
)
@config_option(
    default=None, help="sources.yml with the digest: block (default: ./sources.yml if present)."
)
@click.option("--send", is_flag=True, help="Also mail it to digest.to (see trendscout run --help).")
@env_file_option()
def digest_command(
    db_path: Path,
    as_of: str | None,
    fmt: str | None,
    output: Path | None,
    config_path: Path | None,
    send: bool,
    env_file: Path | None,
) -> None:
    """Show the week's findings: rising and new trends, audience shifts, fading talk.

    Each with example posts in their own languages, linked to their sources. Earlier
    weeks can be regenerated with --as-of. Formats: html (a page with charts), text,
    markdown, json, eml (the mail, openable in any mail program).
    """
    from pipelines.cli import UsageError
    from pipelines.db import open_db

    day = parse_day(as_of, "--as-of") if as_of else None
    if fmt is None:
        fmt = SUFFIX_FORMATS.get(output.suffix.lower(), "text") if output else "text"
    try:
        config = load_optional_config(config_path)
        settings = digest_settings(config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if not db_path.exists():
        raise UsageError(
            f"{db_path}: no such database; pass --db PATH (run 'trendscout crawl' first)"
        )
    db = open_db(db_path)
    try:
        digest = gather_digest(db, day, settings, config=config, db_label=str(db_path))
    except DigestError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "eml":
        data = build_email(digest, settings).as_bytes()
    else:
        data = render(digest, fmt).encode("utf-8")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        click.echo(f"Wrote the digest of {digest.period} to {output}", err=True)
    else:
        click.get_binary_stream("stdout").write(data)
    if send:
        from pipelines.mail import MailError, load_env_file, send_pending, smtp_settings

        try:
            env = {**os.environ, **(load_env_file(env_file) if env_file else {})}
            smtp = smtp_settings(config, env)
            state = queue_digest(db, digest, settings)
        except (MailError, ConfigError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        if state == "already_sent":
            click.echo(
                f"The digest of {digest.period} was already sent to these recipients; "
                "not sending it again.",
                err=True,
            )
        failed = [d for d in send_pending(db, smtp) if d.status == "failed"]
        for delivery in failed:
            click.echo(
                f"Not sent ({delivery.error}); it waits in the outbox and the next "
                "'trendscout run --send' or 'trendscout outbox --send' retries it.",
                err=True,
            )
        db.close()
        if failed:
            raise SystemExit(5)
    db.close()


def parse_day(value: str, option: str) -> dt.date:
    """``YYYY-MM-DD`` → date, or a one-line :class:`click.UsageError`-style message."""
    from pipelines.cli import UsageError

    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date; write it as YYYY-MM-DD") from None
