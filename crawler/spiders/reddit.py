"""A subreddit's posts and comments through Reddit's public JSON listings.

``url:`` is Reddit's address (``https://www.reddit.com``), ``subreddit:`` the community.
The spider pages ``/r/{subreddit}/new.json`` by ``after`` (newest first, 100 a page,
``max_pages`` pages at most, 10 by default: Reddit lists about 1000) and reads each
post's comment tree from ``/comments/{id}.json``, nested replies flattened into rows
whose ``thread_url`` is the post. "Load more comments" stubs are fetched through
``/api/morechildren.json``; "continue this thread" stubs (deep threads) cannot be and
are counted in the crawl stats (``trendscout/reddit/continue_thread_skipped``).
``comments: false`` stores posts only.

Incremental: the listing stops after the first page whose posts were all seen before,
and a post's comments are read again only when its ``num_comments`` changed. The count
is remembered after the post's last comment, and a run that did not finish cleanly makes
the next one page the whole listing (see ``ListingSpider``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from crawler.extract import JSON_PROBLEMS, load_json, utc_iso
from crawler.items import CrawlStateItem, PostItem
from crawler.spiders.discourse import ListingSpider
from crawler.text import html_to_text
from pipelines.config import Source

PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 10
MORE_PER_REQUEST = 100  # ids per /api/morechildren request (Reddit's limit)
GONE = {"[deleted]", "[removed]"}


class RedditSpider(ListingSpider):
    name = "reddit"
    source_types = ("reddit",)
    api = "Reddit's JSON listings"

    def first_requests(self, source: Source) -> Iterator[Any]:
        yield self.request(source, listing_url(source), self.parse_listing, page=1)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            listing = load_json(response.body)["data"]
            children = list(listing["children"])
        except JSON_PROBLEMS as exc:
            yield from self.unreadable(source, response.url, exc)
            return
        since = self.since_for(source)
        with_comments = source.options.get("comments", True) is not False
        known = older = fresh = 0
        for child in children:
            post = child.get("data") if isinstance(child, dict) else None
            if child.get("kind") != "t3" or not isinstance(post, dict) or "id" not in post:
                continue
            if not self.first_listed(source, post["id"]):
                continue  # listed on an earlier page of this run
            fresh += 1
            published = utc_iso(post.get("created_utc"))
            if since and published and published < since:
                older += not post.get("stickied")
                continue
            seen = self.remembered(post_key(source, post["id"]))
            known += seen is not None
            item = self.post_item(source, post)
            if item is not None:
                yield item
            comments = int(post.get("num_comments") or 0)
            if seen == comments:
                continue
            if with_comments and comments:
                url = f"{base_url(source)}/comments/{post['id']}.json?raw_json=1"
                thread_url = item.url if item else None
                yield self.request(source, url, self.parse_comments, thread_url=thread_url)
            else:
                yield CrawlStateItem(source.name, post_key(source, post["id"]), comments)
        after = listing.get("after")
        page = response.meta["page"]
        max_pages = int(source.options.get("max_pages") or DEFAULT_MAX_PAGES)
        news = known < fresh or self.thorough(source)
        if after and not older and fresh and news and page < max_pages:
            yield self.request(
                source, listing_url(source, after), self.parse_listing, page=page + 1
            )
        yield from self.done(source)

    def post_item(self, source: Source, post: dict) -> PostItem | None:
        """A self post's text, or a link post's title with its link."""
        title = html_to_text(post.get("title")) or None
        body = post.get("selftext_html") or post.get("selftext") or ""
        text = html_to_text(body) if body not in GONE else ""
        if not text and not post.get("is_self", True) and post.get("url"):
            text = str(post["url"])
        if not text and not title:
            return None
        return PostItem(
            source=source.name,
            url=base_url(source) + str(post.get("permalink") or f"/comments/{post['id']}/"),
            title=title,
            text=text or title or "",
            author=author_name(post.get("author")),
            published_at=utc_iso(post.get("created_utc")),
            guid=f"reddit:{post.get('name') or 't3_' + str(post['id'])}",
        )

    # -- comments -------------------------------------------------------------------------

    def parse_comments(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            data = load_json(response.body, expect=list)
            post = data[0]["data"]["children"][0]["data"]
            tree = data[1]["data"]["children"]
        except JSON_PROBLEMS as exc:
            yield from self.unreadable(source, response.url, exc)
            return
        thread_url = response.meta["thread_url"] or base_url(source) + str(post["permalink"])
        more: list[str] = []
        yield from self._comments(source, tree, thread_url, more)
        count = int(post.get("num_comments") or 0)
        state = CrawlStateItem(source.name, post_key(source, post["id"]), count)
        yield from self._more(source, str(post["id"]), thread_url, more, state)

    def parse_more(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        try:
            things = load_json(response.body)["json"]["data"]["things"]
        except JSON_PROBLEMS as exc:
            yield from self.unreadable(source, response.url, exc)
            return  # the thread's state is not stored: read again next run
        meta = response.meta
        more: list[str] = list(meta["more"])
        yield from self._comments(source, things, meta["thread_url"], more)
        yield from self._more(source, meta["post_id"], meta["thread_url"], more, meta["state"])

    def _more(
        self, source: Source, post_id: str, thread_url: str, more: list[str], state: Any
    ) -> Iterator[Any]:
        """Ask for the next batch of "load more" comments; after the last, remember the post.

        The thread's read stays open (one request at a time) until its last comment is in.
        """
        if not more:
            yield state
        else:
            batch, rest = more[:MORE_PER_REQUEST], more[MORE_PER_REQUEST:]
            query = urlencode(
                {
                    "api_type": "json",
                    "link_id": f"t3_{post_id}",
                    "children": ",".join(batch),
                    "raw_json": 1,
                }
            )
            url = f"{base_url(source)}/api/morechildren.json?{query}"
            meta = {"post_id": post_id, "thread_url": thread_url, "more": rest, "state": state}
            yield self.request(source, url, self.parse_more, **meta)
        yield from self.done(source)

    def _comments(
        self, source: Source, things: Iterable[Any], thread_url: str, more: list[str]
    ) -> Iterator[PostItem]:
        """Comments of a tree (or a flat morechildren list), depth first; stub ids to ``more``."""
        for thing in things:
            if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
                continue
            data = thing["data"]
            if thing.get("kind") == "more":
                ids = [str(i) for i in data.get("children") or [] if i]
                if ids:
                    more.extend(ids)
                else:  # "continue this thread": only the thread's own page shows the rest
                    self.crawler.stats.inc_value("trendscout/reddit/continue_thread_skipped")
                    self.logger.info(
                        "%s: skipped a 'continue this thread' link in %s", source.name, thread_url
                    )
                continue
            if thing.get("kind") != "t1":
                continue
            item = self.comment_item(source, data, thread_url)
            if item is not None:
                yield item
            replies = data.get("replies")
            if isinstance(replies, dict):
                children = replies.get("data", {}).get("children") or []
                yield from self._comments(source, children, thread_url, more)

    def comment_item(self, source: Source, comment: dict, thread_url: str) -> PostItem | None:
        body = comment.get("body_html") or comment.get("body") or ""
        if not body or comment.get("body") in GONE:
            return None
        text = html_to_text(body)
        if not text:
            return None
        permalink = comment.get("permalink")
        return PostItem(
            source=source.name,
            url=base_url(source) + permalink if permalink else f"{thread_url}{comment['id']}/",
            title=None,
            text=text,
            author=author_name(comment.get("author")),
            published_at=utc_iso(comment.get("created_utc")),
            guid=f"reddit:{comment.get('name') or 't1_' + str(comment['id'])}",
            thread_url=thread_url,
        )


def author_name(author: object) -> str | None:
    return None if not author or author in GONE else str(author)


def base_url(source: Source) -> str:
    parts = urlsplit(source.url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def subreddit(source: Source) -> str:
    return str(source.options.get("subreddit") or "").strip().strip("/").removeprefix("r/")


def listing_url(source: Source, after: str | None = None) -> str:
    query = {"limit": PAGE_SIZE, "raw_json": 1, **({"after": after} if after else {})}
    return f"{base_url(source)}/r/{subreddit(source)}/new.json?{urlencode(query)}"


def post_key(source: Source, post_id: object) -> str:
    return f"reddit:{source.name}:post:{post_id}"
