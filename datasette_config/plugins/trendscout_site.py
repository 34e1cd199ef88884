"""trendscout's Datasette plugin (loaded with ``--plugins-dir``; see pipelines/serve.py).

- The served database is always called ``trendscout``, whatever its file is named, so the
  metadata, canned queries, dashboards and bookmarked links all find it.
- Week and month facets that list periods newest first (Datasette's date facet sorts by
  count), and a ``period`` facet for columns that already hold a date or ISO week.
- Evidence cells link to the posts behind a trend or an audience shift.
- The home page gets this week's findings (see templates/index.html).
- Chinese search queries are split into words like the posts' search text.
- No robots: an ``X-Robots-Tag`` header on every answer (robots.txt comes from
  datasette-block-robots).
- Optional password: when ``TRENDSCOUT_PASSWORD_HASH`` is set, only logged-in users see
  anything (login form and HTTP Basic auth come from datasette-auth-passwords).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_replaced_args
from datasette.utils.asgi import Response
from markupsafe import Markup

DATABASE = "trendscout"
INTERNAL = {"_internal", "_memory"}
ROBOTS_HEADER = (b"x-robots-tag", b"noindex, nofollow, noarchive")
ISO_DAY_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"


# -- one database, one name ---------------------------------------------------------------


@hookimpl
def startup(datasette: Any) -> None:
    """Serve the single attached database as ``/trendscout``."""
    names = [name for name in datasette.databases if name not in INTERNAL]
    if len(names) == 1 and names[0] != DATABASE:
        db = datasette.databases[names[0]]
        datasette.remove_database(names[0])
        datasette.add_database(db, name=DATABASE)


# -- facets: periods newest first ---------------------------------------------------------


class PeriodFacet(Facet):
    """A column that already holds a period (``as_of`` dates, ISO weeks), newest first.

    Configure in metadata as ``facets: [{period: as_of}]``; selecting a value filters
    ``column = value`` like Datasette's own column facet.
    """

    type = "period"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    def bucket_sql(self, column: str) -> str:
        """SQL for the bucket a row falls into; buckets must sort as text in time order."""
        return column

    def where_sql(self, column: str) -> str:
        return f"{column} is not null"

    def label(self, value: str) -> str:
        return str(value)

    def selection(self, column: str, value: str) -> dict[str, str]:
        """The query-string arguments that select the rows of one bucket."""
        return {f"{column}__exact" if column.startswith("_") else column: str(value)}

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (
                f"select {self.bucket_sql(col)} as value, count(*) as count "
                f"from ({self.sql}) where {self.where_sql(col)} "
                f"group by value order by value desc limit {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                selection = self.selection(column, row["value"])
                selected = all(args.get(k) == v for k, v in selection.items())
                change = {k: None for k in selection} if selected else selection
                values.append(
                    {
                        "value": row["value"],
                        "label": self.label(row["value"]),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(
                            self.request,
                            self.ds.urls.path(
                                path_with_replaced_args(self.request, {**change, "_next": None})
                            ),
                        ),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_replaced_args(self.request, {f"_facet_{self.type}": None})
                    ),
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


class WeekFacet(PeriodFacet):
    """ISO weeks (Monday to Sunday) of a date or ISO 8601 timestamp column, newest first."""

    type = "week"

    def bucket_sql(self, column: str) -> str:
        return f"date({column}, 'weekday 0', '-6 days')"  # the week's Monday

    def where_sql(self, column: str) -> str:
        return f"{column} glob '{ISO_DAY_GLOB}'"

    def label(self, value: str) -> str:
        return week_label(value)

    def selection(self, column: str, value: str) -> dict[str, str]:
        end = dt.date.fromisoformat(value) + dt.timedelta(days=7)
        return {f"{column}__gte": value, f"{column}__lt": end.isoformat()}


class MonthFacet(WeekFacet):
    """Calendar months of a date or ISO 8601 timestamp column, newest first."""

    type = "month"

    def bucket_sql(self, column: str) -> str:
        return f"substr({column}, 1, 7) || '-01'"

    def label(self, value: str) -> str:
        return dt.date.fromisoformat(value).strftime("%B %Y")

    def selection(self, column: str, value: str) -> dict[str, str]:
        start = dt.date.fromisoformat(value)
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return {f"{column}__gte": value, f"{column}__lt": end.isoformat()}


def week_label(monday: str) -> str:
    """``2026-11-16`` → ``2026-W47 (16 Nov)``: the ISO week the analysis also uses."""
    day = dt.date.fromisoformat(monday)
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d} ({day.day} {day.strftime('%b')})"


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [PeriodFacet, WeekFacet, MonthFacet]


# -- evidence links -----------------------------------------------------------------------


def query_url(datasette: Any, query: str, args: dict[str, Any]) -> str:
    """The address of one of our canned queries with its parameters filled in."""
    return datasette.urls.table(DATABASE, query) + "?" + urlencode(args)


def evidence_link(row: Any, value: Any, datasette: Any) -> str | None:
    """Where a row's evidence is listed, when the row says enough to find it."""
    keys = set(row.keys())
    if {"as_of", "subject_kind", "subject", "dimension", "segment"} <= keys:
        return query_url(
            datasette,
            "posts_behind_a_shift",
            {k: row[k] for k in ("as_of", "subject_kind", "subject", "dimension", "segment")},
        )
    label_key = "label" if "label" in keys else "trend" if "trend" in keys else None
    if {"as_of", "kind"} <= keys and label_key:
        return query_url(
            datasette,
            "posts_behind_a_trend",
            {"as_of": row["as_of"], "kind": row["kind"], "label": row[label_key]},
        )
    return None


def timeline_link(row: Any, datasette: Any) -> str | None:
    """The chart of a trend's weekly volume: a topic's, or a term's or entity's."""
    keys = set(row.keys())
    label = row["label"] if "label" in keys else row["trend"] if "trend" in keys else None
    if not label or "kind" not in keys:
        return None
    field = "topic" if row["kind"] == "topic" else "entity"
    return datasette.urls.path("/-/dashboards/timelines") + "?" + urlencode({field: label})


def count_of(value: Any) -> int | None:
    """How many post ids a JSON list holds (None when it is not a JSON list)."""
    try:
        items = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return len(items) if isinstance(items, list) else None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """Link evidence to its posts, and timelines to their chart. Everything is escaped."""
    if column == "evidence":
        href = evidence_link(row, value, datasette)
        n = count_of(value)
        if href and n is not None:
            return Markup('<a href="{}">{} post{}</a>').format(href, n, "" if n == 1 else "s")
    elif column == "timeline" and table is None:
        href = timeline_link(row, datasette)
        if href:
            return Markup('<a href="{}">{}</a>').format(href, value or "chart")
    return None


# -- the home page ------------------------------------------------------------------------


HOME_QUERIES = {
    "trends_as_of": "select max(as_of) from trends",
    "shifts_as_of": "select max(as_of) from audience_shifts",
    "emerging": """
        select as_of, kind, label, status, score, recent_count, recent_posts, expected,
               growth, authors, languages, evidence
        from trends where as_of = :as_of and status in ('new', 'emerging')
        order by score desc limit 8""",
    "shifts": """
        select as_of, subject_kind, subject, dimension, segment, baseline_share,
               recent_share, recent_n, lift, p_adjusted, significant, direction, evidence
        from audience_shifts where as_of = :shifts_as_of
        order by significant desc, p_adjusted asc,
                 abs(recent_share - baseline_share) desc limit 8""",
    "counts": """
        select (select count(*) from posts) as posts,
               (select count(*) from sources) as sources,
               (select count(*) from posts
                 where published_at >= date(:week_end, '-6 days')
                   and published_at < date(:week_end, '+1 day')
                   and duplicate_of is null) as posts_week,
               (select count(*) from trends where as_of = :as_of
                   and status in ('new', 'emerging')) as emerging,
               (select count(*) from trends where as_of = :as_of
                   and status = 'fading') as fading,
               (select count(*) from audience_shifts where as_of = :shifts_as_of
                   and significant = 1) as shifts_significant,
               (select min(published_at) from posts) as first_post,
               (select max(published_at) from posts) as last_post""",
    "last_crawl": """
        select id, started_at, finished_at, status, posts_new, errors
        from crawl_runs order by id desc limit 1""",
    "weekly": """
        select date(published_at, 'weekday 0', '-6 days') as week,
               coalesce(lang, 'unknown') as language, count(*) as posts
        from posts
        where published_at >= date((select max(published_at) from posts), '-83 days')
          and duplicate_of is null and coalesce(date_estimated, 0) = 0
        group by week, language order by week""",
}


# Columns of posts that only the pipeline needs; the home page links to posts without them.
POSTS_BOOKKEEPING = ("content_hash", "guid", "tokens", "tokens_hash", "search_text", "fetched_at")


async def home_findings(datasette: Any) -> dict[str, Any]:
    """This week's findings for the home page (empty lists before the first analysis)."""
    if DATABASE not in datasette.databases:
        return {"home": None}
    db = datasette.get_database(DATABASE)

    async def rows(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        result = await db.execute(HOME_QUERIES[name], params)
        return [dict(r) for r in result.rows]

    as_of = (await db.execute(HOME_QUERIES["trends_as_of"])).first()[0]
    shifts_as_of = (await db.execute(HOME_QUERIES["shifts_as_of"])).first()[0]
    last_post = (await db.execute("select max(published_at) from posts")).first()[0]
    params = {
        "as_of": as_of or "",
        "shifts_as_of": shifts_as_of or "",
        "week_end": as_of or last_post or "",
    }
    emerging = await rows("emerging", params)
    shifts = await rows("shifts", params)
    for row in [*emerging, *shifts]:
        row["evidence_url"] = evidence_link(row, row["evidence"], datasette)
        row["evidence_count"] = count_of(row["evidence"]) or 0
    for row in emerging:
        row["timeline_url"] = timeline_link(row, datasette)
        row["languages"] = ", ".join(json.loads(row.get("languages") or "[]"))
    last = await rows("last_crawl", params)
    return {
        "home": {
            "as_of": as_of,
            "shifts_as_of": shifts_as_of,
            "emerging": emerging,
            "shifts": shifts,
            "counts": (await rows("counts", params))[0],
            "last_crawl": last[0] if last else None,
            "weekly": await rows("weekly", params),
            "query_url": lambda name, **args: query_url(datasette, name, args),
            "posts_url": datasette.urls.table(DATABASE, "posts")
            + "?"
            + urlencode([("_nocol", c) for c in POSTS_BOOKKEEPING]),
        }
    }


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    if template == "index.html":
        return home_findings(datasette)
    return None


# -- Chinese search, no robots -------------------------------------------------------------


HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


@functools.cache
def _search_tokenizer() -> Any:
    from nlp.tokens import Tokenizer  # jieba: loaded on the first Chinese search only

    return Tokenizer()


def segment_search(query_string: bytes) -> bytes:
    """Split Chinese in ``_search`` values into words, as the analysis does for posts.

    Posts' ``search_text`` holds Chinese split into words (jieba); a query such as
    ``新赛季开始`` is one token to SQLite's full-text index and would find nothing, so it
    is split the same way (``新 赛季 开始``): Datasette then looks for posts with every word.
    """
    if b"_search" not in query_string:
        return query_string
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # UTF-8 inside
    if not any(k.startswith("_search") and HAN.search(v) for k, v in pairs):
        return query_string
    tokenizer = _search_tokenizer()
    changed = [
        (k, tokenizer.search_text(v, None) if k.startswith("_search") and HAN.search(v) else v)
        for k, v in pairs
    ]
    return urlencode(changed).encode("ascii")


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def trendscout_asgi(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            query_string = scope.get("query_string") or b""
            if b"_search" in query_string:
                segmented = await asyncio.to_thread(segment_search, query_string)
                if segmented != query_string:
                    scope = {**scope, "query_string": segmented}

            async def send_with_header(event: dict) -> None:
                if event["type"] == "http.response.start":
                    event = {**event, "headers": [*event.get("headers", []), ROBOTS_HEADER]}
                await send(event)

            await app(scope, receive, send_with_header)

        return trendscout_asgi

    return wrap


# -- optional password ---------------------------------------------------------------------


def password_required(datasette: Any) -> bool:
    config = datasette.plugin_config("datasette-auth-passwords") or {}
    return any(k.endswith("_password_hash") and v for k, v in config.items())


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str) -> bool | None:
    """With a password configured, anonymous visitors may see nothing but the login page."""
    if action == "view-instance" and actor is None and password_required(datasette):
        return False
    return None


@hookimpl
def forbidden(datasette: Any, request: Any) -> Any:
    # People get the login form; programs asking for JSON or CSV get the 403.
    wants_data = request.path.endswith((".json", ".csv"))
    if request.actor is None and password_required(datasette) and not wants_data:
        return Response.redirect(datasette.urls.path("/-/login"))
    return None
