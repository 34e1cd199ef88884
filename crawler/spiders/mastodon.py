"""A Mastodon hashtag or account timeline through the instance's public API.

``url:`` is the instance (``https://mastodon.social``); ``hashtag: NAME`` reads
``/api/v1/timelines/tag/NAME``, ``account: USER[@instance]`` looks the account up once
(``/api/v1/accounts/lookup?acct=``) and reads ``/api/v1/accounts/{id}/statuses``
(boosts left out). Pages follow the ``Link: <...max_id=...>; rel="next"`` header, 40
statuses a page, ``max_pages`` pages at most (10 by default).

Incremental: the newest status id is remembered after a complete run and sent as
``since_id`` next time, so an unchanged timeline costs one request that returns ``[]``.
Authors are stored as ``user@instance`` even for local accounts, so the same person is
the same author whichever instance a status was read from.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from crawler.base import SourceSpider
from crawler.extract import JSON_PROBLEMS, MalformedJSON, json_problem, later_of, load_json, utc_iso
from crawler.items import CrawlStateItem, PostItem
from crawler.text import html_to_text
from pipelines.config import Source

API = "the Mastodon API"
PAGE_SIZE = 40
DEFAULT_MAX_PAGES = 10
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')


class MastodonSpider(SourceSpider):
    name = "mastodon"
    source_types = ("mastodon",)

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            account = source.options.get("account")
            if not account:
                yield self.timeline_request(source, tag_url(source), page=1)
                continue
            account_id = self.remembered(state_key(source, "account_id"))
            if account_id:
                yield self.timeline_request(source, statuses_url(source, str(account_id)), page=1)
            else:
                acct = str(account).strip().lstrip("@")
                url = f"{base_url(source)}/api/v1/accounts/lookup?{urlencode({'acct': acct})}"
                yield self.conditional_request(source, url, self.parse_account)

    def timeline_request(self, source: Source, url: str, page: int, **meta: Any) -> Any:
        since_id = self.remembered(state_key(source, "since_id"))
        if since_id:
            url = with_query(url, since_id=since_id)
        return self.conditional_request(source, url, self.parse_timeline, page=page, **meta)

    def parse_account(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            account_id = str(load_json(response.body)["id"])
        except JSON_PROBLEMS as exc:
            yield self.error_item(source, response.url, "malformed_json", json_problem(exc, API))
            return
        yield CrawlStateItem(source.name, state_key(source, "account_id"), account_id)
        yield self.timeline_request(source, statuses_url(source, account_id), page=1)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            statuses = load_json(response.body, expect=list)
            if not all(isinstance(s, dict) and "id" in s for s in statuses):
                raise MalformedJSON("expected a list of statuses with ids")
        except JSON_PROBLEMS as exc:
            yield self.error_item(source, response.url, "malformed_json", json_problem(exc, API))
            return
        since = later_of(source.options.get("since"), self.since)
        newest = response.meta.get("newest")
        older = False
        for status in statuses:
            newest = max_id(newest, status["id"])
            published = utc_iso(status.get("created_at"))
            if since and published and published < since:
                older = True
                continue
            item = self.status_item(source, status)
            if item is not None:
                yield item
        page = response.meta["page"]
        max_pages = int(source.options.get("max_pages") or DEFAULT_MAX_PAGES)
        next_url = link_header(response).get("next")
        if statuses and next_url and not older and page < max_pages:
            yield self.timeline_request(source, next_url, page + 1, newest=newest)
            return
        if newest:  # the whole run's statuses are stored: from here next time
            yield CrawlStateItem(source.name, state_key(source, "since_id"), newest)

    def status_item(self, source: Source, status: dict) -> PostItem | None:
        """A status as a post; boosts, and statuses without text, give None."""
        if status.get("reblog"):
            return None
        text = html_to_text(status.get("content") or "")
        warning = html_to_text(status.get("spoiler_text") or "")
        if warning and text:
            text = f"{warning}\n\n{text}"
        if not text:
            return None
        account = status.get("account") or {}
        uri = status.get("uri") or status.get("url")
        return PostItem(
            source=source.name,
            url=str(status.get("url") or uri),
            title=None,
            text=text,
            author=full_acct(account, source),
            published_at=utc_iso(status.get("created_at")),
            guid=str(uri or f"{base_url(source)}/statuses/{status['id']}"),
        )


def full_acct(account: dict, source: Source) -> str | None:
    """``user@instance`` for any account; a local one's instance is its profile's host."""
    acct = str(account.get("acct") or "").lstrip("@")
    if not acct or "@" in acct:
        return acct or None
    host = urlsplit(str(account.get("url") or source.url)).hostname or urlsplit(source.url).hostname
    return f"{acct}@{host}"


def max_id(current: str | None, candidate: object) -> str:
    """The newer of two status ids (numeric strings of different lengths compare as numbers)."""
    text = str(candidate)
    if current is None:
        return text
    if text.isdigit() and current.isdigit():
        return text if int(text) > int(current) else current
    return max(current, text)


def link_header(response: Response) -> dict[str, str]:
    """The ``Link`` header's URLs by ``rel`` (``next``: older statuses, ``prev``: newer)."""
    links: dict[str, str] = {}
    for value in response.headers.getlist("Link"):
        for url, rel in _LINK.findall(value.decode("latin-1")):
            links.setdefault(rel.strip(), url.strip())
    return links


def with_query(url: str, **params: object) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def base_url(source: Source) -> str:
    parts = urlsplit(source.url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def tag_url(source: Source) -> str:
    tag = str(source.options.get("hashtag") or "").strip().lstrip("#")
    return f"{base_url(source)}/api/v1/timelines/tag/{quote(tag)}?limit={PAGE_SIZE}"


def statuses_url(source: Source, account_id: str) -> str:
    query = urlencode({"limit": PAGE_SIZE, "exclude_reblogs": "true"})
    return f"{base_url(source)}/api/v1/accounts/{quote(account_id)}/statuses?{query}"


def state_key(source: Source, what: str) -> str:
    return f"mastodon:{source.name}:{what}"
