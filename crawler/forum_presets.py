"""Selector presets for the stock themes of classic forum software, and date vocabularies.

A preset says where things are on a stock board: the topic rows of a forum page and
what marks a topic as changed, the paging links, and for every post its author, date,
text and permalink. Each field is a tuple of CSS or XPath selectors (XPath when it
starts with ``/``, ``(``, ``./``, ``../``, ``@`` or a function such as ``concat(``;
inside a post or a topic row, XPath is relative to it). For most fields the first
selector that matches wins; for ``topic_marker`` and ``remove`` every selector is used.

The markup of phpBB 3.x prosilver and XenForo 2 was checked against real pages (the
shared corpus); vBulletin 4 and 5 follow their stock templates (postbit_legacy,
threadbit, the vB5 ``b-post`` conversation list), as no real vBulletin page was at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

Selectors = tuple[str, ...]

NEXT_LINK: Selectors = ('a[rel="next"]', 'link[rel="next"]')


@dataclass(frozen=True)
class ForumPreset:
    """Where topics, pages and posts are on one kind of forum page."""

    name: str
    detect: Selectors = ()  # matches on pages of this variant (empty: the fallback variant)
    # Forum (topic list) pages
    topic_row: Selectors = ()  # one element per topic; empty: rows are guessed around links
    topic_links: Selectors = ()  # the topic's first-page link (within its row)
    topic_marker: Selectors = ()  # ALL of these, joined: changes when the topic gains posts
    topic_date: Selectors = ()  # the topic's last-post time (skips old topics under `since`)
    next_page: Selectors = NEXT_LINK  # the next page of the topic list
    forum_links: Selectors = ()  # sub-forums (and forums of a board index) to crawl too
    # Topic pages
    title: Selectors = ()
    post: Selectors = ()
    author: Selectors = ()
    date: Selectors = ()
    text: Selectors = ()
    remove: Selectors = ("script", "style")  # ALL removed from the text (quotes, signatures)
    permalink: Selectors = ()
    topic_next_page: Selectors = NEXT_LINK
    # Page-wide hints
    timezone_hint: Selectors = ()  # text naming the board's time zone ("All times are UTC+1")
    date_order: str = "dmy"  # numeric dates like 03/04/2024 when the page does not tell

    def with_overrides(self, overrides: dict[str, Selectors]) -> ForumPreset:
        """This preset with some selectors replaced (a source's ``selectors:``)."""
        return replace(self, **overrides) if overrides else self


# The selectors a source may set in sources.yml (pipelines.config.FORUM_SELECTORS).
SELECTOR_FIELDS = tuple(
    f.name
    for f in fields(ForumPreset)
    if f.name not in {"name", "detect", "date_order", "timezone_hint"}
)

PHPBB3 = ForumPreset(
    name="phpBB 3 prosilver",
    topic_row=("ul.topiclist.topics > li.row", "ul.topics li.row"),
    topic_links=("a.topictitle",),
    topic_marker=(
        "dd.posts::text",
        'dd.lastpost a[href*="p="]::attr(href)',
        "dd.lastpost time::attr(datetime)",
    ),
    topic_date=("dd.lastpost time", "dd.lastpost span"),
    next_page=(
        '//div[contains(@class, "pagination")]//a[@rel="next"]',
        '//div[contains(@class, "pagination")]//li[contains(@class, "next")]/a',
        # phpBB 3.0: no next link, the page after the current (bold) number
        '//div[contains(@class, "pagination")]/span/strong/following-sibling::a[1]',
    ),
    forum_links=("a.forumtitle",),
    title=("h2.topic-title a", "#page-body > h2 a", "h2 a"),
    post=('div.post[id^="p"]',),
    author=("p.author strong", "dl.postprofile dt .username", "dl.postprofile dt a"),
    date=("p.author time", "p.author"),
    text=("div.content",),
    remove=("script", "style", "blockquote", "div.signature"),
    permalink=('p.author a[href*="#p"]::attr(href)', 'h3 a[href*="#p"]::attr(href)'),
    timezone_hint=(
        '//*[@id="page-footer"]//span[@title][contains(., "UTC") or contains(., "GMT")]/@title',
        '//*[@id="page-footer"]//li[contains(., "UTC") or contains(., "GMT")]',
        '//div[@class="navbar"]//li[contains(., "UTC") or contains(., "GMT")]',
    ),
    date_order="dmy",
)

XENFORO2 = ForumPreset(
    name="XenForo 2",
    topic_row=("div.structItem--thread",),
    topic_links=(".structItem-title a[data-tp-primary]", ".structItem-title a:not(.labelLink)"),
    topic_marker=(
        ".structItem-cell--latest time::attr(data-time)",
        './/div[contains(@class, "structItem-cell--meta")]/dl[1]/dd/text()',
    ),
    topic_date=(".structItem-cell--latest time",),
    next_page=("a.pageNav-jump--next", 'link[rel="next"]'),
    forum_links=(".node-title a", "a.subNodeLink"),
    title=('//h1[contains(@class, "p-title-value")]/text()[normalize-space()]', "h1.p-title-value"),
    post=("article.message--post",),
    author=("@data-author", ".message-name .username"),
    date=("header.message-attribution time", ".message-attribution time"),
    text=(".message-body .bbWrapper", "article.message-body"),
    remove=(
        "script",
        "style",
        "blockquote.bbCodeBlock--quote",
        ".bbCodeBlock--unfurl",
        ".js-selectToQuoteEnd",
    ),
    permalink=(
        "a.message-attribution-gadget::attr(href)",
        'header.message-attribution a[href*="post-"]::attr(href)',
    ),
    topic_next_page=("a.pageNav-jump--next", 'link[rel="next"]'),
)

VBULLETIN5 = ForumPreset(
    name="vBulletin 5",
    detect=("body#vb-page-body", "li.b-post", "tr.topic-item"),
    topic_row=("tr.topic-item",),
    topic_links=("a.topic-title",),
    topic_marker=(
        "td.cell-count .posts-count",
        "td.cell-lastpost a.go-to-last-post::attr(href)",
        "td.cell-lastpost::attr(data-lastpost-timestamp)",
    ),
    topic_date=("td.cell-lastpost::attr(data-lastpost-timestamp)", "td.cell-lastpost .post-date"),
    next_page=(
        "a.js-pagenav-next-button:not(.h-hide-imp)",
        'link[rel="next"]',
        'a[rel="next"]',
    ),
    forum_links=("a.forum-title", ".subforum-list a"),
    title=("h1.main-title span", "h1.main-title"),
    post=("li.b-post[data-node-id]",),
    author=('[itemprop="author"] div.author a', '[itemprop="author"] div.author'),
    date=("@data-node-publishdate", ".b-post__timestamp time", ".b-post__timestamp"),
    text=("div.js-post__content-text",),
    remove=("script", "style", "div.bbcode_quote", "div.bbcode_postedby"),
    permalink=(
        'a.b-post__count[href*="#post"]::attr(href)',
        'concat("#post", @data-node-id)',
    ),
    topic_next_page=(
        "a.js-pagenav-next-button:not(.h-hide-imp)",
        'link[rel="next"]',
        'a[rel="next"]',
    ),
    date_order="mdy",
)

VBULLETIN4 = ForumPreset(
    name="vBulletin 4",
    topic_row=("li.threadbit",),
    topic_links=("h3.threadtitle a.title",),
    topic_marker=(
        "ul.threadstats li:first-child",
        "dl.threadlastpost a.lastpostdate::attr(href)",
    ),
    topic_date=("dl.threadlastpost dd:last-child",),
    next_page=('span.prev_next a[rel="next"]', 'a[rel="next"]'),
    forum_links=("h2.forumtitle a", "ol.subforumlist a"),
    title=("span.threadtitle a", "span.threadtitle"),
    post=('li.postcontainer[id^="post_"]',),
    author=(".username_container .username strong", ".username_container .username"),
    date=("span.postdate span.date", "span.postdate"),
    text=("blockquote.postcontent",),
    remove=("script", "style", "div.bbcode_quote", "div.bbcode_postedby"),
    permalink=("a.postcounter::attr(href)", '.nodecontrols a[href*="#post"]::attr(href)'),
    topic_next_page=('span.prev_next a[rel="next"]', 'a[rel="next"]'),
    timezone_hint=("#footer_time", ".footer_time"),
    date_order="mdy",
)

GENERIC = ForumPreset(
    name="generic",
    remove=("script", "style", "blockquote"),
)

# Which presets a source type tries, most specific variant first.
PRESETS: dict[str, tuple[ForumPreset, ...]] = {
    "phpbb": (PHPBB3,),
    "xenforo": (XENFORO2,),
    "vbulletin": (VBULLETIN5, VBULLETIN4),
    "forum": (GENERIC,),
}

# -- words in dates ---------------------------------------------------------------------
# Lower-case; a trailing dot is stripped before lookup. English, German, Polish (both
# nominative and genitive), plus short forms; Vietnamese months are "tháng 11" (numeric).
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner jän styczeń stycznia styczen sty",
        "february feb februar feber luty lutego lut",
        "march mar märz maerz mär mrz marzec marca",
        "april apr kwiecień kwietnia kwiecien kwi",
        "may mai maj maja",
        "june jun juni czerwiec czerwca cze",
        "july jul juli lipiec lipca lip",
        "august aug sierpień sierpnia sierpien sie",
        "september sep sept wrzesień września wrzesien wrzesnia wrz",
        "october oct oktober okt październik października pazdziernik paz paź",
        "november nov listopad listopada lis",
        "december dec dezember dez grudzień grudnia grudzien gru",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

# Monday = 0, as datetime.weekday().
WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "monday montag poniedziałek poniedzialek thứ_hai",
        "tuesday dienstag wtorek thứ_ba",
        "wednesday mittwoch środa środę sroda thứ_tư",
        "thursday donnerstag czwartek thứ_năm",
        "friday freitag piątek piatek thứ_sáu",
        "saturday samstag sonnabend sobota sobotę thứ_bảy",
        "sunday sonntag niedziela niedzielę chủ_nhật",
    ]
):
    for _name in _names.split():
        WEEKDAYS[_name.replace("_", " ")] = _number

TODAY_WORDS = ("today", "heute", "dzisiaj", "dziś", "dzis", "hôm nay")
YESTERDAY_WORDS = ("yesterday", "gestern", "wczoraj", "hôm qua")
JUST_NOW_WORDS = (
    "just now",
    "moment ago",
    "moments ago",
    "less than a minute",
    "gerade eben",
    "soeben",
    "vor wenigen sekunden",
    "weniger als einer minute",
    "przed chwilą",
    "chwilę temu",
    "mniej niż minutę",
    "vừa xong",
    "vài giây trước",
)
AGO_WORDS = ("ago", "vor ", "temu", "trước")
# Unit word stems → seconds ("vor 2 Tagen", "3 dni temu", "5 phút trước").
AGO_UNITS: tuple[tuple[str, int], ...] = (
    ("sec", 1),
    ("sekund", 1),
    ("giây", 1),
    ("min", 60),
    ("phút", 60),
    ("hour", 3600),
    ("hr", 3600),
    ("stunde", 3600),
    ("godzin", 3600),
    ("giờ", 3600),
    ("day", 86400),
    ("tag", 86400),
    ("dni", 86400),
    ("dzień", 86400),
    ("ngày", 86400),
    ("week", 604800),
    ("woche", 604800),
    ("tydzień", 604800),
    ("tygodni", 604800),
    ("tuần", 604800),
    ("month", 2592000),
    ("monat", 2592000),
    ("miesiąc", 2592000),
    ("miesięc", 2592000),
    ("tháng", 2592000),
    ("year", 31536000),
    ("jahr", 31536000),
    ("rok", 31536000),
    ("lat", 31536000),
    ("năm", 31536000),
)
# Number words meaning "one" in "an hour ago", "vor einer Stunde", "godzinę temu".
ONE_WORDS = ("a", "an", "one", "ein", "eine", "einer", "einem", "einen")
# 12-hour clock markers, including Vietnamese SA (sáng) / CH (chiều).
AM_WORDS = ("am", "a.m.", "sa")
PM_WORDS = ("pm", "p.m.", "ch")
# Localised IANA region names that boards print in their footer ("Europa/Berlin").
TZ_REGIONS = {
    "europa": "Europe",
    "amerika": "America",
    "ameryka": "America",
    "afrika": "Africa",
    "afryka": "Africa",
    "asien": "Asia",
    "azja": "Asia",
    "australien": "Australia",
    "pazifik": "Pacific",
    "pacyfik": "Pacific",
    "atlantik": "Atlantic",
    "atlantyk": "Atlantic",
}
TZ_CITIES = {
    "warszawa": "Warsaw",
    "wien": "Vienna",
    "wiedeń": "Vienna",
    "rom": "Rome",
    "rzym": "Rome",
    "prag": "Prague",
    "praga": "Prague",
    "brüssel": "Brussels",
    "bruksela": "Brussels",
    "kopenhagen": "Copenhagen",
    "zürich": "Zurich",
    "moskau": "Moscow",
    "moskwa": "Moscow",
    "londyn": "London",
    "paryż": "Paris",
    "berlín": "Berlin",
    "ho_chi_minh": "Ho_Chi_Minh",
    "sajgon": "Ho_Chi_Minh",
}
