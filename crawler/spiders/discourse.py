"""Discourse forums through their public JSON: every post of every recent topic.

``url:`` is the forum's address (``https://forum.example.com`` or a sub-folder
install). The spider pages through ``/latest.json`` (or a ``category:``'s latest list)
by ``more_topics_url``, reads each topic's ``/t/{id}.json`` and fetches the post
stream beyond the first 20 posts from ``/t/{id}/posts.json?post_ids[]=...``, 20 at a
time. Each post is a row with its topic as ``thread_url``; only the first post of a
topic carries the topic title.

Incremental: a topic whose ``last_posted_at`` and ``posts_count`` did not change since
the last run is skipped, and the listing stops at the first page on which every topic
is unchanged (it is sorted by last activity). Of a changed topic only posts newer than
the ones already stored are fetched beyond the first page. A topic's state is stored
after its last post, and a run that did not finish cleanly (killed, or a page or topic
failed) makes the next one page the whole listing, so nothing is left behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.base import SourceSpider, describe_failure
from crawler.extract import JSON_PROBLEMS, MalformedJSON, json_problem, later_of, load_json, utc_iso
from crawler.items import CrawlStateItem, PostItem
from crawler.text import html_to_text
from pipelines.config import Source

CHUNK = 20  # post ids per /posts.json request, as Discourse's own client asks
# Parts of a post's HTML that are not what its author wrote: quotes of other posts,
# link previews, image file names and sizes.
NOT_THE_AUTHORS = (
    "//aside[contains(concat(' ', @class, ' '), ' quote ')]"
    " | //aside[contains(concat(' ', @class, ' '), ' onebox ')]"
    " | //div[contains(concat(' ', @class, ' '), ' lightbox-wrapper ')]//div[@class='meta']"
)


class ListingSpider(SourceSpider):
    """A spider that pages a newest-first listing and reads each changed thread in it.

    It counts what is open per source (listing pages, thread reads) and remembers
    whether the last run finished cleanly: ``False`` is stored when a run starts and
    ``True`` once everything of a source is read without a failure. ``thorough()`` is
    true after a run that did not finish (killed, or a page or thread failed): the
    listing is then paged to its end (or ``since``/``max_pages``) instead of stopping at
    the first unchanged page, so the threads left behind are found again.
    """

    api = "the API"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: dict[str, int] = {}
        self._failed: set[str] = set()
        self._listed: dict[str, set[object]] = {}  # source -> thread ids listed this run

    def first_requests(self, source: Source) -> Iterator[Any]:
        """What to ask for first (a listing page opened with :meth:`request`)."""
        raise NotImplementedError

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            yield CrawlStateItem(source.name, self._complete_key(source), False)
            for request in self.first_requests(source):
                yield request

    def since_for(self, source: Source) -> str | None:
        """The source's ``since:`` or the crawl's ``--since``, whichever is later."""
        return later_of(source.options.get("since"), self.since)

    def thorough(self, source: Source) -> bool:
        return self.remembered(self._complete_key(source)) is False

    def first_listed(self, source: Source, thread_id: object) -> bool:
        """Whether a thread is listed for the first time in this run.

        A listing page with none such only repeats earlier pages (a server paging in
        circles): paging stops there.
        """
        listed = self._listed.setdefault(source.name, set())
        first = thread_id not in listed
        listed.add(thread_id)
        return first

    def request(self, source: Source, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A request that stays open until its callback calls :meth:`done` (or it fails)."""
        self._open[source.name] = self._open.get(source.name, 0) + 1
        request = self.conditional_request(source, url, callback, **meta)
        return request.replace(errback=self.request_failed)

    def done(self, source: Source, failed: bool = False) -> Iterator[CrawlStateItem]:
        """Close one open request; when none is left, remember how the run went."""
        if failed:
            self._failed.add(source.name)
        self._open[source.name] -= 1
        if self._open[source.name] == 0:
            clean = source.name not in self._failed
            yield CrawlStateItem(source.name, self._complete_key(source), clean)

    def request_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        source = self._by_name[request.meta["source"]]
        yield self.error_item(source, request.url, *describe_failure(failure))
        yield from self.done(source, failed=True)

    def unreadable(self, source: Source, url: str, exc: Exception) -> Iterator[Any]:
        """Record an answer that is not the JSON expected, and close its request."""
        yield self.error_item(source, url, "malformed_json", json_problem(exc, self.api))
        yield from self.done(source, failed=True)

    def _complete_key(self, source: Source) -> str:
        return f"{self.name}:{source.name}:last_run_complete"


class DiscourseSpider(ListingSpider):
    name = "discourse"
    source_types = ("discourse",)
    api = "a Discourse forum's JSON API"

    def first_requests(self, source: Source) -> Iterator[Any]:
        yield self.request(source, listing_url(source), self.parse_listing, page=1)

    # -- topic lists ----------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            data = load_json(response.body)
            topics = data["topic_list"]["topics"]
            if not isinstance(topics, list):
                raise MalformedJSON("topic_list.topics is not a list")
        except JSON_PROBLEMS as exc:
            yield from self.unreadable(source, response.url, exc)
            return
        since = self.since_for(source)
        changed = older = fresh = 0
        for topic in topics:
            if not isinstance(topic, dict) or "id" not in topic:
                continue
            fresh += self.first_listed(source, topic["id"])
            last = utc_iso(topic.get("last_posted_at") or topic.get("bumped_at"))
            if since and last and last < since:
                older += not topic.get("pinned")
                continue
            state = self.remembered(topic_key(source, topic["id"]))
            if (
                isinstance(state, dict)
                and state.get("last_posted_at") == last
                and state.get("posts_count") == topic.get("posts_count")
            ):
                continue
            changed += not topic.get("pinned")
            yield self.request(
                source,
                f"{base_url(source)}/t/{int(topic['id'])}.json",
                self.parse_topic,
                listed={"last_posted_at": last, "posts_count": topic.get("posts_count")},
            )
        more = data["topic_list"].get("more_topics_url")
        page = response.meta["page"]
        max_pages = source.options.get("max_pages")
        # Go on unless at the end, older than `since`, nothing changed from here on, or the
        # page only repeats topics listed before in this run (a server paging in circles).
        if more and not older and fresh and (changed or self.thorough(source)):
            if not max_pages or page < int(max_pages):
                url = json_url(urljoin(response.url, more))
                yield self.request(source, url, self.parse_listing, page=page + 1)
        yield from self.done(source)

    # -- topics and their posts -----------------------------------------------------------

    def parse_topic(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            topic = load_json(response.body)
            stream = topic["post_stream"]
            posts, ids = stream["posts"], stream.get("stream") or []
            topic_id = int(topic["id"])
        except JSON_PROBLEMS as exc:
            yield from self.unreadable(source, response.url, exc)
            return
        context = {
            "topic_id": topic_id,
            "slug": str(topic.get("slug") or "topic"),
            "title": html_to_text(topic.get("title") or topic.get("fancy_title")) or None,
        }
        state = self.remembered(topic_key(source, topic_id))
        newest = int(state.get("newest_post_id") or 0) if isinstance(state, dict) else 0
        have = {p.get("id") for p in posts if isinstance(p, dict)}
        missing = [i for i in ids if isinstance(i, int) and i not in have and i > newest]
        yield from self._posts(source, context, posts)
        known = [i for i in (*ids, *have) if isinstance(i, int)]
        finished = {**response.meta["listed"], "newest_post_id": max([newest, *known])}
        yield from self._next_chunk(source, context, missing, finished)

    def parse_posts(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            posts = load_json(response.body)["post_stream"]["posts"]
        except JSON_PROBLEMS as exc:
            yield from self.unreadable(source, response.url, exc)
            return  # the topic's state is not stored: next run fetches it again
        context = response.meta["topic"]
        yield from self._posts(source, context, posts)
        yield from self._next_chunk(
            source, context, response.meta["missing"], response.meta["finished"]
        )

    def _next_chunk(
        self, source: Source, context: dict, missing: list[int], finished: dict
    ) -> Iterator[Any]:
        """Ask for the next 20 missing posts; after the last, remember the topic.

        The topic's read stays open (one request at a time) until its last post is in.
        """
        if not missing:
            yield CrawlStateItem(source.name, topic_key(source, context["topic_id"]), finished)
        else:
            chunk, rest = missing[:CHUNK], missing[CHUNK:]
            query = urlencode([("post_ids[]", post_id) for post_id in chunk])
            url = f"{base_url(source)}/t/{context['topic_id']}/posts.json?{query}"
            meta = {"topic": context, "missing": rest, "finished": finished}
            yield self.request(source, url, self.parse_posts, **meta)
        yield from self.done(source)

    def _posts(self, source: Source, context: dict, posts: list) -> Iterator[PostItem]:
        base = base_url(source)
        thread_url = f"{base}/t/{context['slug']}/{context['topic_id']}"
        since = self.since_for(source)
        for post in posts:
            if not isinstance(post, dict) or post.get("post_type", 1) != 1:
                continue  # moderator actions, whispers
            if post.get("deleted_at") or post.get("hidden") or post.get("user_deleted"):
                continue
            text = post_text(post.get("cooked") or "")
            published = utc_iso(post.get("created_at"))
            if not text or (since and published and published < since):
                continue
            number = post.get("post_number")
            yield PostItem(
                source=source.name,
                url=f"{thread_url}/{number}",
                title=context["title"] if number == 1 else None,
                text=text,
                author=post.get("username") or None,
                published_at=published,
                guid=f"{base}/p/{post['id']}",
                thread_url=thread_url,
            )


def post_text(cooked: str) -> str:
    """A post's own words: its cooked HTML without quotes, link previews, image captions."""
    if not cooked.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(cooked, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return html_to_text(cooked)
    for element in root.xpath(NOT_THE_AUTHORS):
        element.drop_tree()
    return html_to_text(lxml.html.tostring(root, encoding="unicode"))


def base_url(source: Source) -> str:
    """The forum's root: its URL without query, fragment or trailing slash."""
    parts = urlsplit(source.url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def listing_url(source: Source) -> str:
    category = str(source.options.get("category") or "").strip("/")
    if category:
        return f"{base_url(source)}/c/{category}/l/latest.json"
    return f"{base_url(source)}/latest.json"


def json_url(url: str) -> str:
    """``/latest?page=1`` (as more_topics_url gives it) to ``/latest.json?page=1``."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith(".json") else parts.path.rstrip("/") + ".json"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def topic_key(source: Source, topic_id: object) -> str:
    return f"discourse:{source.name}:topic:{topic_id}"
