"""Crawl throughput end to end, against a bare Scrapy spider over the same pages.

Usage (from the repository root; on a shared machine, under the benchmark lock)::

    flock /tmp/bench.lock .venv/bin/python benchmarks/bench_crawl.py
    .venv/bin/python benchmarks/bench_crawl.py --pages 300 --topics 150 --repeat 2
    .venv/bin/python benchmarks/bench_crawl.py --only phpbb --profile /tmp/prof

Two sites, each served from memory by a local server on 127.0.0.1 (LocalServer):

``sitemap``
    a blog of ``--pages`` generated article pages as a WordPress theme renders them
    (cookie banner, menu, breadcrumbs, byline, 6-12 paragraphs, tags, author box,
    related posts, 2-12 comments and a comment form, sidebar widgets, footer, inline
    CSS and JS; about 25 KB each), a robots.txt with a ``Sitemap:`` line and the
    sitemap; crawled through the ``sitemap`` type (trafilatura on every page).
``phpbb``
    a phpBB 3.3 board (prosilver markup, as tests/fixtures/forums/make_boards.py
    renders it) of ``--topics`` topics of 1 to 3 pages of 10 posts; crawled through
    the ``phpbb`` type (selector preset, dates, quotes and signatures removed).

For each, in the same run: a bare Scrapy spider that only fetches the same pages (no
parsing, no storage), ``trendscout crawl`` into a fresh SQLite database (fetch,
extraction, dedupe, storage), the bare spider again (the faster of its two runs
counts), then the same crawl again over the unchanged site.
Rates are pages fetched (robots.txt not counted) over Scrapy's own
``elapsed_time_seconds`` (process start-up excluded, the final database flush
included); both use the same settings (no delay, no AutoThrottle, 16 concurrent).
The ratio trendscout / bare is the figure to quote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import importlib.util
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.localserver import LocalServer, Route  # noqa: E402

SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_TIMES": 0,
    "LOG_LEVEL": "INFO",
}
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)

# -- text -------------------------------------------------------------------------------

SYLLABLES = "ka to mi ra sze gro na po wie dzi ła ny ko bie ta gra my śmy ją ce".split()
WORDS = (
    "game games player players board card deck strategy release studio update patch season "
    "review preview launch trailer console indie arena campaign story quest map level boss "
    "character hero puzzle coop multiplayer online community event tournament stream price "
    "edition expansion feature design artist composer soundtrack beta early access demo "
    "week month year team fans critics market sales store shelf café table night friends "
    "family rules turn round score win lose play plays played new old small big first last "
    "best worst more less fast slow simple deep light heavy classic modern popular rare "
    "the a an and or but with without for from into over under after before about because "
    "is are was were will would can could should may might has have had do does did "
    "this that these those it they we you he she our their its many most some every"
).split()


def polish_sentence(rng: random.Random) -> str:
    """A made-up Polish-looking sentence: real forum posts rarely repeat each other, and
    repeated text would measure the near-duplicate layer instead of the crawl."""
    words = [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(8, 24))
    ]
    return " ".join(words).capitalize() + "."


def english_sentence(rng: random.Random, low: int = 9, high: int = 26) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: tuple[int, int] = (3, 6)) -> str:
    return " ".join(english_sentence(rng) for _ in range(rng.randint(*sentences)))


# -- the blog (sitemap) -----------------------------------------------------------------

STYLE = (
    "body{margin:0;font:16px/1.6 Georgia,serif;color:#222}"
    ".site-header{background:#123;color:#fff;padding:1rem}"
    ".main-navigation ul{list-style:none;display:flex;gap:1rem}"
    ".entry-content p{margin:0 0 1.2em}.widget{margin-bottom:2rem}"
    ".comment-list{list-style:none}.comment-body{border-top:1px solid #eee;padding:1em 0}"
    ".site-footer{background:#eee;padding:2rem}.cookie-banner{position:fixed;bottom:0}"
) * 6
SCRIPT = (
    "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    "gtag('js',new Date());gtag('config','G-BENCH');"
    "(function(){var s=document.createElement('script');s.async=true;"
    "s.src='/wp-includes/js/wp-emoji-release.min.js';document.head.appendChild(s);})();"
) * 4
CATEGORIES = ["Reviews", "News", "Previews", "Events", "Guides", "Interviews", "Deals", "Opinion"]


@dataclass
class Article:
    path: str
    title: str
    author: str
    when: dt.datetime
    category: str
    number: int


def blog_articles(pages: int, seed: int = 11) -> list[Article]:
    rng = random.Random(seed)
    articles = []
    for number in range(pages):
        when = NOW - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 365))
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).title()
        slug = re.sub(r"\W+", "-", title.lower()).strip("-") + f"-{number}"
        articles.append(
            Article(
                path=f"/{when:%Y/%m}/{slug}/",
                title=title,
                author=f"{rng.choice(['Anna', 'Tom', 'Sarah', 'Piotr', 'Lena'])} "
                f"{rng.choice(['Baker', 'Kowalska', 'Lee', 'Nowak', 'Schmidt'])}",
                when=when,
                category=rng.choice(CATEGORIES),
                number=1000 + number,
            )
        )
    return articles


def render_article(article: Article, others: list[Article], rng: random.Random) -> str:
    esc = html.escape
    iso = article.when.isoformat()
    menu = "".join(f'<li class="menu-item"><a href="/category/{c.lower()}/">{c}</a></li>'
                   for c in CATEGORIES)  # fmt: skip
    body = []
    for index in range(rng.randint(6, 12)):
        if index and index % 4 == 0:
            body.append(f"<h2>{esc(english_sentence(rng, 3, 7)[:-1])}</h2>")
        if index == 5:
            items = "".join(f"<li>{esc(english_sentence(rng, 4, 10))}</li>" for _ in range(4))
            body.append(f"<ul>{items}</ul>")
        elif index == 3:
            body.append(f"<blockquote><p>{esc(paragraph(rng, (1, 2)))}</p></blockquote>")
        body.append(f"<p>{esc(paragraph(rng))}</p>")
    related = rng.sample(others, k=min(6, len(others)))
    related_html = "".join(
        f'<li class="related-post"><a href="{o.path}">{esc(o.title)}</a>'
        f"<p>{esc(english_sentence(rng, 8, 16))}</p></li>"
        for o in related
    )
    comments = []
    for number in range(rng.randint(2, 12)):
        when = article.when + dt.timedelta(hours=rng.randint(1, 400))
        comments.append(
            f'<li id="comment-{number + 1}" class="comment depth-1"><article class="comment-body">'
            f'<footer class="comment-meta"><div class="comment-author vcard">'
            f'<img class="avatar" src="/avatar/{number}.png" alt="" width="48" height="48">'
            f'<b class="fn">reader{rng.randint(1, 999)}</b> <span class="says">says:</span></div>'
            f'<div class="comment-metadata"><a href="#comment-{number + 1}">'
            f'<time datetime="{when.isoformat()}">{when:%B %d, %Y at %H:%M}</time></a></div>'
            f'</footer><div class="comment-content"><p>{esc(paragraph(rng, (1, 3)))}</p></div>'
            f'<div class="reply"><a class="comment-reply-link" href="#respond">Reply</a></div>'
            f"</article></li>"
        )
    recent = "".join(f'<li><a href="{o.path}">{esc(o.title)}</a></li>' for o in others[:10])
    archives = "".join(
        f'<li><a href="/{(NOW - dt.timedelta(days=31 * m)):%Y/%m}/">'
        f"{(NOW - dt.timedelta(days=31 * m)):%B %Y}</a></li>"
        for m in range(24)
    )
    tags = "".join(f'<a href="/tag/{w}/" class="tag-cloud-link">{w}</a> ' for w in WORDS[:30])
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": article.title,
            "datePublished": iso,
            "author": {"@type": "Person", "name": article.author},
        }
    )
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(article.title)} – Tabletop Weekly</title>
<meta name="description" content="{esc(english_sentence(rng))}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(article.title)}">
<meta property="og:site_name" content="Tabletop Weekly">
<meta property="article:published_time" content="{iso}">
<meta name="author" content="{esc(article.author)}">
<link rel="canonical" href="{article.path}">
<link rel="alternate" type="application/rss+xml" title="Tabletop Weekly &raquo; Feed" href="/feed/">
<link rel="stylesheet" href="/wp-content/themes/tabletop/style.css?ver=6.4">
<style id="global-styles-inline-css">{STYLE}</style>
<script type="application/ld+json">{ld}</script>
<script>{SCRIPT}</script>
</head>
<body class="post-template-default single single-post single-format-standard">
<div id="cookie-notice" class="cookie-banner" role="dialog"><p>We use cookies to give you
the best experience on our website. By continuing you agree to our use of cookies.</p>
<button class="cookie-accept">Accept</button> <a href="/privacy-policy/">Privacy policy</a></div>
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header">
<p class="site-title"><a href="/" rel="home">Tabletop Weekly</a></p>
<p class="site-description">Board games, card games and the people who play them</p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li><a href="/">Home</a></li>{menu}<li><a href="/about/">About</a></li>
<li><a href="/contact/">Contact</a></li></ul></nav>
<form role="search" class="search-form" action="/"><input type="search" name="s"
placeholder="Search …"><button type="submit">Search</button></form>
</header>
<div id="content" class="site-content"><main id="main" class="site-main">
<nav class="breadcrumbs"><a href="/">Home</a> » <a href="/category/{article.category.lower()}/">
{article.category}</a> » {esc(article.title)}</nav>
<article id="post-{article.number}" class="post type-post status-publish">
<header class="entry-header"><h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta"><span class="byline">By <span class="author vcard">
<a class="url fn n" href="/author/{article.author.split()[0].lower()}/">{esc(article.author)}</a>
</span></span> <span class="posted-on"><time class="entry-date published" datetime="{iso}">
{article.when:%B %d, %Y}</time></span></div></header>
<div class="entry-content">{"".join(body)}</div>
<footer class="entry-footer"><span class="cat-links">Posted in
<a href="/category/{article.category.lower()}/">{article.category}</a></span>
<span class="tags-links">Tagged {tags[:400]}</span>
<div class="share-buttons">Share: <a href="#">Facebook</a> <a href="#">X</a>
<a href="#">Reddit</a> <a href="#">Email</a></div></footer>
</article>
<div class="author-info"><h2 class="author-title">About {esc(article.author)}</h2>
<p class="author-bio">{esc(paragraph(rng, (1, 2)))}</p></div>
<nav class="post-navigation"><a href="{related[0].path}" rel="prev">Previous post</a>
<a href="{related[-1].path}" rel="next">Next post</a></nav>
<section class="related-posts"><h3>You might also like</h3><ul>{related_html}</ul></section>
<div id="comments" class="comments-area"><h2 class="comments-title">{len(comments)} thoughts
on “{esc(article.title)}”</h2><ol class="comment-list">{"".join(comments)}</ol>
<div id="respond" class="comment-respond"><h3 class="comment-reply-title">Leave a Reply</h3>
<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form">
<p class="comment-notes">Your email address will not be published.</p>
<p class="comment-form-comment"><label for="comment">Comment</label>
<textarea id="comment" name="comment" cols="45" rows="8"></textarea></p>
<p class="comment-form-author"><label for="author">Name</label><input id="author" name="author"></p>
<p class="form-submit"><input name="submit" type="submit" value="Post Comment"></p>
</form></div></div>
</main>
<aside id="secondary" class="widget-area">
<section class="widget widget_search"><form role="search" action="/"><input type="search"
name="s"></form></section>
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>
<ul>{recent}</ul></section>
<section class="widget widget_categories"><h2 class="widget-title">Categories</h2>
<ul>{menu}</ul></section>
<section class="widget widget_archive"><h2 class="widget-title">Archives</h2>
<ul>{archives}</ul></section>
<section class="widget widget_tag_cloud"><h2 class="widget-title">Tags</h2>
<div class="tagcloud">{tags}</div></section>
<section class="widget widget_newsletter"><h2 class="widget-title">Newsletter</h2>
<p>Sign up for our weekly round-up of new releases and reviews.</p></section>
</aside></div>
<footer id="colophon" class="site-footer"><div class="footer-widgets">
<section class="widget"><h2>About us</h2><p>{esc(paragraph(rng, (2, 2)))}</p></section>
<section class="widget"><h2>Follow</h2><ul><li><a href="#">Facebook</a></li>
<li><a href="#">Instagram</a></li><li><a href="#">YouTube</a></li></ul></section></div>
<div class="site-info">© 2026 Tabletop Weekly. All rights reserved.
<a href="/terms/">Terms</a> · <a href="/privacy-policy/">Privacy</a>
· Proudly powered by WordPress</div></footer>
<script src="/wp-content/themes/tabletop/js/navigation.js?ver=6.4" id="tabletop-navigation-js">
</script>
</body>
</html>
"""


def serve_blog(server: LocalServer, root: Path, pages: int) -> list[str]:
    """Render the blog into the server; returns the page URLs (paths)."""
    rng = random.Random(5)
    articles = blog_articles(pages)
    date = format_datetime(NOW, usegmt=True)
    for article in articles:
        others = [a for a in rng.sample(articles, k=min(12, len(articles))) if a is not article]
        body = render_article(article, others or [article], rng).encode()
        server.routes[article.path] = Route(
            body=body, headers={"Content-Type": "text/html; charset=UTF-8", "Date": date}
        )
    urls = "".join(
        f"<url><loc>{server.url(a.path)}</loc><lastmod>{a.when:%Y-%m-%dT%H:%M:%SZ}</lastmod></url>"
        for a in articles
    )
    # The sitemap is a file: served with ETag and Last-Modified, so a second crawl gets a 304.
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        "utf-8",
    )
    server.robots_txt = (
        f"User-agent: *\nDisallow: /private/\nSitemap: {server.url('/sitemap.xml')}\n"
    )
    return [a.path for a in articles]


# -- the forum (phpbb) ------------------------------------------------------------------


def load_make_boards():  # type: ignore[no-untyped-def]
    path = REPO / "tests" / "fixtures" / "forums" / "make_boards.py"
    spec = importlib.util.spec_from_file_location("forum_fixture_boards", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def big_board(mb, topics: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """A phpBB board of ``topics`` topics, 1-3 pages of 10 posts each, seeded."""
    rng = random.Random(seed)
    all_topics = []
    post_id = 1000
    for number in range(topics):
        posts = []
        for _ in range(rng.randint(3, 30)):
            post_id += 1
            when = mb.NOW - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 90))
            lines = [polish_sentence(rng) for _ in range(rng.randint(1, 3))]
            posts.append(mb.Post(post_id, f"user{rng.randint(1, 400)}", when, lines))
        posts.sort(key=lambda p: p.when)
        title = f"Temat {number}: {polish_sentence(rng)[:40]}"
        all_topics.append(
            mb.Topic(100 + number, f"t{number}", title, posts, views=rng.randint(1, 9999))
        )
    all_topics.sort(key=lambda t: t.posts[-1].when, reverse=True)
    pages = [all_topics[i : i + 25] for i in range(0, len(all_topics), 25)]
    return mb.Board(key="phpbb", source_type="phpbb", name="Forum Graczy",
                    tz=mb.ZoneInfo("Europe/Warsaw"), per_page=10, list_pages=pages,
                    list_size=25)  # fmt: skip


def serve_board(server: LocalServer, root: Path, topics: int) -> tuple[list[str], str]:
    """Render the board into the server; returns the page URLs (paths) and the board URL."""
    mb = load_make_boards()
    board = big_board(mb, topics)
    routes = mb.write_board(board, root)
    date = mb.format_datetime(mb.NOW, usegmt=True)
    for url, page in routes.items():
        body = (root / page["file"]).read_bytes()
        server.routes[url] = Route(
            body=body, headers={"Content-Type": page["content_type"], "Date": date}
        )
    return list(routes), mb.PhpBB.list_url(board, 0)


# -- running ----------------------------------------------------------------------------

BARE_SPIDER = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

urls = json.load(open(sys.argv[1]))
settings = json.loads(sys.argv[2])

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url in urls:
            yield scrapy.Request(url, callback=self.parse)
    def parse(self, response):
        return None

process = CrawlerProcess({**settings, "ROBOTSTXT_OBEY": True, "USER_AGENT": "bench"})
process.crawl(Bare)
process.start()
"""


@dataclass
class Run:
    pages: int  # requests the server answered, robots.txt not counted
    requests: int  # all requests the server answered
    seconds: float  # Scrapy's elapsed_time_seconds
    wall: float  # the whole child process
    summary: str = ""

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def elapsed_of(log: str) -> float:
    found = re.findall(r"'elapsed_time_seconds': ([0-9.]+)", log)
    if not found:
        raise SystemExit("no Scrapy stats in the log:\n" + log[-3000:])
    return max(float(value) for value in found)


def served(server: LocalServer) -> tuple[int, int]:
    paths = [r.path for r in server.requests]
    return len([p for p in paths if p != "/robots.txt"]), len(paths)


def run_bare(server: LocalServer, tmp: Path, paths: list[str]) -> Run:
    (tmp / "urls.json").write_text(json.dumps([server.url(p) for p in paths]))
    server.clear_log()
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", BARE_SPIDER, str(tmp / "urls.json"), json.dumps(SETTINGS)],
        capture_output=True, text=True, cwd=REPO, timeout=900,
    )  # fmt: skip
    wall = time.monotonic() - started
    return Run(*served(server), elapsed_of(result.stderr), wall)


def run_trendscout(server: LocalServer, config: Path, db: Path, profile: Path | None) -> Run:
    server.clear_log()
    command = ["-m", "pipelines.cli", "crawl", "-c", str(config), "--db", str(db), "-v"]
    if profile is not None:
        command = ["-m", "cProfile", "-o", str(profile), *command]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, cwd=REPO, timeout=900
    )
    wall = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr[-3000:])
    summary = result.stdout.strip().splitlines()[-1]
    return Run(*served(server), elapsed_of(result.stderr), wall, summary)


@dataclass
class CaseResult:
    case: str
    bare: Run
    first: Run
    second: Run

    @property
    def ratio(self) -> float:
        return self.first.rate / self.bare.rate


def run_case(
    case: str, size: int, profile_dir: Path | None, extra: dict[str, object] | None = None
) -> CaseResult:
    import yaml

    tmp = Path(tempfile.mkdtemp(prefix=f"bench-crawl-{case}-"))
    with LocalServer(tmp) as server:
        if case == "sitemap":
            paths = serve_blog(server, tmp, size)
            source = {"name": "blog", "type": "sitemap", "url": server.url("/")}
        else:
            paths, board_url = serve_board(server, tmp, size)
            source = {"name": "forum", "type": "phpbb", "url": server.url(board_url)}
        before = run_bare(server, tmp, paths)
        config = tmp / "sources.yml"
        settings = {**SETTINGS, **(extra or {})}
        config.write_text(yaml.safe_dump({"sources": [source], "settings": settings}), "utf-8")
        db = tmp / "bench.db"
        profile = profile_dir / f"{case}.prof" if profile_dir else None
        first = run_trendscout(server, config, db, profile)
        after = run_bare(server, tmp, paths)
        second = run_trendscout(server, config, db, None)
    # The bare spider runs before and after the first crawl; the faster run counts.
    return CaseResult(case, max(before, after, key=lambda run: run.rate), first, second)


def describe_sizes(case: str, size: int) -> str:
    if case == "sitemap":
        return f"sitemap: a blog of {size} article pages behind robots.txt and one sitemap"
    return f"phpbb:   a phpBB board of {size} topics (1-3 pages of 10 posts each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="blog pages (sitemap case)")
    parser.add_argument("--topics", type=int, default=500, help="forum topics (phpbb case)")
    parser.add_argument("--only", choices=["sitemap", "phpbb"], help="run one case only")
    parser.add_argument("--repeat", type=int, default=1, help="run each case this many times")
    parser.add_argument(
        "--profile", type=Path, help="write cProfile data of each first crawl into this folder"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for the trendscout crawls only (YAML value), e.g. "
        "TRENDSCOUT_EXTRACT_PROCESSES=0",
    )
    args = parser.parse_args()
    import yaml

    extra = {}
    for pair in args.setting:
        name, _, value = pair.partition("=")
        extra[name] = yaml.safe_load(value)
    cases = [args.only] if args.only else ["sitemap", "phpbb"]
    sizes = {"sitemap": args.pages, "phpbb": args.topics}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    for case in cases:
        print(describe_sizes(case, sizes[case]))
    print(f"settings: {json.dumps({k: v for k, v in SETTINGS.items() if k != 'LOG_LEVEL'})}")
    if extra:
        print(f"trendscout only: {json.dumps(extra)}")

    results = []
    for _ in range(args.repeat):
        for case in cases:
            results.append(run_case(case, sizes[case], args.profile, extra))

    print(
        f"\n{'case':8} {'pages':>6} {'bare p/s':>9} {'trendscout p/s':>15} {'ratio':>6}"
        f" {'posts stored':>13}   {'2nd crawl':>9} {'2nd s':>6}"
    )
    for r in results:
        stored = re.search(r"(\d+) new", r.first.summary)
        print(
            f"{r.case:8} {r.first.pages:6d} {r.bare.rate:9.1f} {r.first.rate:15.1f}"
            f" {r.ratio:6.2f} {stored.group(1) if stored else '?':>13}"
            f"   {r.second.requests:5d} req {r.second.seconds:6.2f}"
        )
    print(
        "\npages: fetched by each crawl (robots.txt not counted; bare fetched "
        + ", ".join(str(r.bare.pages) for r in results)
        + "); 2nd crawl: requests of the same crawl again over the unchanged site"
    )
    for r in results:
        print(f"{r.case} first crawl:  {r.first.summary}")
        print(f"{r.case} second crawl: {r.second.summary}")
    if args.profile:
        print(f"\nprofiles: {', '.join(str(p) for p in sorted(args.profile.glob('*.prof')))}")


if __name__ == "__main__":
    main()
